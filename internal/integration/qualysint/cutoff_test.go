package qualysint

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/qgraph/qgraph/internal/integration"
	"github.com/qgraph/qgraph/internal/qualys"
	"github.com/qgraph/qgraph/internal/qualys/sim"
)

// TestSimCutOffDetectionPageIsRetried runs a sync against a simulator that
// breaks the first detection answer: a body cut off (truncated or hung up
// mid-body) or a reset is read again and the step succeeds with every
// finding; corrupt bytes in a complete body are not read again and fail
// the page.
func TestSimCutOffDetectionPageIsRetried(t *testing.T) {
	healthy := newSimBundle(t, smallSim())
	healthy.sync(t, true)
	want := healthy.entities(t, TypeHostFinding)

	tests := []struct {
		fault      string
		wantStatus integration.Status
	}{
		{fault: "truncate:on=1:endpoint=detections", wantStatus: integration.StatusSuccess},
		{fault: "hangup:on=1:endpoint=detections", wantStatus: integration.StatusSuccess},
		{fault: "reset:on=1:endpoint=detections", wantStatus: integration.StatusSuccess},
		{fault: "corrupt:on=1:endpoint=detections", wantStatus: integration.StatusFailed},
	}
	for _, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			b := newSimBundle(t, smallSim())
			o := smallSim()
			faults, err := sim.ParseFaults(tt.fault)
			if err != nil {
				t.Fatal(err)
			}
			o.Faults = faults
			faulty, err := sim.New(o)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(faulty)
			defer srv.Close()
			inst := b.inst
			inst.Qualys.APIURL = srv.URL
			client, err := qualys.New(qualys.Options{APIURL: srv.URL, Username: inst.Qualys.Username, Password: inst.Qualys.Password,
				Retry: qualys.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Sync(context.Background(), SyncOptions{Store: b.st, Instance: inst, Client: client, Full: true, Now: faulty.Now})
			if err != nil {
				t.Fatal(err)
			}
			step := rep.Step(StepHostDetections)
			if step.Status != tt.wantStatus {
				t.Fatalf("detections step %s (%s), want %s", step.Status, step.Error, tt.wantStatus)
			}
			if tt.wantStatus != integration.StatusSuccess {
				if step.PagesFailed != 1 {
					t.Errorf("pages failed %d, want 1", step.PagesFailed)
				}
				return
			}
			if step.PagesRetried == 0 || step.PagesFailed != 0 {
				t.Errorf("pages retried %d, failed %d; want some retried, none failed", step.PagesRetried, step.PagesFailed)
			}
			got := b.entities(t, TypeHostFinding)
			if len(got) != len(want) {
				t.Errorf("%d findings, want %d", len(got), len(want))
			}
			for k := range want {
				if _, ok := got[k]; !ok {
					t.Errorf("finding %s missing", k)
				}
			}
		})
	}
}
