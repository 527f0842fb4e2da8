package qualysint

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/qgraph/qgraph/internal/config"
	"github.com/qgraph/qgraph/internal/integration"
	"github.com/qgraph/qgraph/internal/qualys"
)

// noWASClient is a Qualys subscription without WAS: every other endpoint
// answers empty, the WAS search refuses the user.
type noWASClient struct{}

func (noWASClient) APIURL() string { return "https://qualysapi.qg3.apps.qualys.com" }
func (noWASClient) PortalVersion(context.Context) (*qualys.PortalVersion, error) {
	return &qualys.PortalVersion{}, nil
}
func (noWASClient) ScannedHostIDs(context.Context, qualys.HostListParams, func(int64) error) error {
	return nil
}
func (noWASClient) HostAssets(context.Context, qualys.HostAssetParams, func(*qualys.HostAsset) error) error {
	return nil
}
func (noWASClient) HostDetections(context.Context, qualys.DetectionParams, func(*qualys.DetectionHost) error) error {
	return nil
}
func (noWASClient) KnowledgeBase(context.Context, qualys.KBParams, func(*qualys.Vuln) error) error {
	return nil
}
func (noWASClient) WebApps(context.Context, qualys.WebAppParams, func(*qualys.WebApp) error) error {
	return &qualys.APIError{Endpoint: qualys.EndpointWebApps, StatusCode: 200, ResponseCode: "UNAUTHORIZED", Text: "no WAS module"}
}
func (noWASClient) WebAppFindings(context.Context, qualys.FindingParams, func(*qualys.Finding) error) error {
	return errors.New("not called")
}
func (noWASClient) Stats() qualys.Stats   { return qualys.Stats{} }
func (noWASClient) ServerTime() time.Time { return time.Time{} }

func TestSubscriptionWithoutWASKeepsWASData(t *testing.T) {
	b := newSimBundle(t, smallSim())
	rep, err := Sync(context.Background(), SyncOptions{Store: b.st, Instance: b.inst, Client: noWASClient{}})
	if err != nil {
		t.Fatal(err)
	}
	if s := rep.Step(StepWebApps); s.Status != integration.StatusPartial {
		t.Errorf("web apps step %s (%s)", s.Status, s.Error)
	}
	if rep.Failed() {
		t.Errorf("a subscription without WAS fails the job: %+v", rep.Steps)
	}
	for _, typ := range append(webAppStepTypes, webFindingStepTypes...) {
		if !contains(rep.PartialTypes, typ) {
			t.Errorf("%s is not partial", typ)
		}
	}
}

func TestWASDisabledKeepsItsTypes(t *testing.T) {
	inst := config.Instance{Name: "x", Qualys: config.DefaultQualys()}
	inst.Qualys.IngestWebAppScans = false
	steps := Steps(inst, noWASClient{}, nil, true)
	for _, s := range steps {
		switch s.ID {
		case StepWebApps:
			if !s.Disabled {
				t.Error("web apps step not disabled")
			}
		case StepVulns:
			for _, d := range s.DependsOn {
				if d == StepWebAppFindings {
					t.Error("the KnowledgeBase step depends on a disabled step")
				}
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
