package qualysint

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qgraph/qgraph/internal/config"
	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/integration"
	"github.com/qgraph/qgraph/internal/qualys"
	"github.com/qgraph/qgraph/internal/qualys/sim"
	"github.com/qgraph/qgraph/internal/store"
	"github.com/qgraph/qgraph/internal/store/sqlite"
)

// simBundle is a simulator, a store and an instance configured against it.
type simBundle struct {
	sim   *sim.Server
	srv   *httptest.Server
	st    store.Store
	inst  config.Instance
	scope string
}

func newSimBundle(t *testing.T, opts sim.Options) *simBundle {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "graph.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newSimBundleOn(t, opts, st)
}

// newSimBundleOn is newSimBundle with the given store.
func newSimBundleOn(t *testing.T, opts sim.Options, st store.Store) *simBundle {
	t.Helper()
	s, err := sim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	q := config.DefaultQualys()
	q.APIURL, q.Username, q.Password = srv.URL, s.Options().Username, s.Options().Password
	q.VMDRFindingSeverities = []int{1, 2, 3, 4, 5}
	q.VMDRFindingTypes = []string{"Info", "Potential", "Confirmed"}
	inst := config.Instance{Name: "sim-test", PollingInterval: config.OneDay, TagWithAccountName: true, Qualys: q}
	return &simBundle{sim: s, srv: srv, st: st, inst: inst, scope: store.InstanceScope(inst.Name)}
}

func (b *simBundle) sync(t *testing.T, full bool) *integration.Report {
	t.Helper()
	rep, err := Sync(context.Background(), SyncOptions{Store: b.st, Instance: b.inst, Full: full, Now: b.sim.Now, BatchSize: 500})
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return rep
}

func (b *simBundle) entities(t *testing.T, typ string) map[string]store.EntityRecord {
	t.Helper()
	recs, err := b.st.ListEntities(context.Background(), store.EntityFilter{Scope: b.scope, Type: typ})
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]store.EntityRecord, len(recs))
	for _, r := range recs {
		out[r.Key] = r
	}
	return out
}

func smallSim() sim.Options {
	o := sim.DemoOptions()
	o.Hosts, o.DetectionsPerHost, o.WebApps = 80, 8, 4
	o.Seed = 7
	return o
}

func TestSimFullSync(t *testing.T) {
	b := newSimBundle(t, smallSim())
	rep := b.sync(t, true)
	for _, s := range rep.Steps {
		if s.Status != integration.StatusSuccess {
			t.Errorf("step %s: %s %s", s.ID, s.Status, s.Error)
		}
	}
	ents, rels, err := b.st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("entities %v", ents)
	t.Logf("relationships %v", rels)
	for _, typ := range []string{TypeAccount, TypeVMDR, TypeWAS, TypeHostFinding, TypeVuln, TypeWebApp, TypeWebFinding} {
		if ents[typ] == 0 {
			t.Errorf("no %s entities", typ)
		}
	}
	for _, typ := range []string{RelAccountHasVMDR, RelAccountHasWAS, RelVMDRIdentified, RelHostFindingIsVuln, RelWASScansWebApp, RelWASIdentified, RelWebAppHasFinding, RelWebFindingIsVuln} {
		if rels[typ] == 0 {
			t.Errorf("no %s relationships", typ)
		}
	}
	maps, err := b.st.ListMappings(context.Background(), store.MappingFilter{Scope: b.scope})
	if err != nil {
		t.Fatal(err)
	}
	byType := map[string]int{}
	for _, m := range maps {
		byType[m.Type]++
		if err := graph.ValidateMappedRelationship(&m.MappedRelationship); err != nil {
			t.Errorf("mapping %s: %v", m.Key, err)
		}
	}
	t.Logf("mappings %v", byType)
	for _, h := range HostTypes {
		if byType[relVMDRScans[h]] == 0 {
			t.Errorf("no %s mappings", relVMDRScans[h])
		}
		if byType[relHostHasFinding[h]] == 0 {
			t.Errorf("no %s mappings", relHostHasFinding[h])
		}
	}
	if byType[RelHostFindingIsCVE] == 0 {
		t.Errorf("no %s mappings", RelHostFindingIsCVE)
	}
	for _, e := range b.entities(t, TypeHostFinding) {
		if e.Properties["tag.AccountName"] != "sim-test" {
			t.Fatalf("%s lacks tag.AccountName", e.Key)
		}
		if strings.Contains(e.Key, "type:") {
			t.Fatalf("finding key %s holds the type", e.Key)
		}
		break
	}
	if rep.Sync.DanglingCount > 0 {
		t.Logf("dangling: %d %v", rep.Sync.DanglingCount, rep.Sync.Dangling[:min(5, len(rep.Sync.Dangling))])
	}
}

// reported returns the findings the simulator reports now, as the job
// would read them: key → open.
func (b *simBundle) reported(t *testing.T, since time.Time) map[string]bool {
	t.Helper()
	c, err := NewClient(b.inst, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var ids []int64
	if err := c.ScannedHostIDs(ctx, qualys.HostListParams{}, func(id int64) error { ids = append(ids, id); return nil }); err != nil {
		t.Fatal(err)
	}
	q := b.inst.Qualys
	out := map[string]bool{}
	err = c.HostDetections(ctx, qualys.DetectionParams{HostIDs: ids, UpdatedSince: since, Severities: q.VMDRFindingSeverities, Statuses: q.VMDRFindingStatuses, ShowIGs: true}, func(h *qualys.DetectionHost) error {
		for _, d := range h.Detections {
			out[HostFindingKey(h.ID, d.Port, d.Protocol, d.QID, d.SSL)] = isOpen(d.Status)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSimIncrementalAndReconcile(t *testing.T) {
	b := newSimBundle(t, smallSim())
	b.sync(t, true)
	before := b.entities(t, TypeHostFinding)
	webBefore := b.entities(t, TypeWebFinding)
	t0 := b.sim.Now()
	if err := b.sim.Advance(5 * 24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	window := b.reported(t, t0)
	rep := b.sync(t, false)
	if rep.Failed() {
		t.Fatalf("incremental sync failed: %+v", rep.Steps)
	}
	after := b.entities(t, TypeHostFinding)
	for k := range before {
		if _, ok := after[k]; !ok {
			t.Errorf("incremental sync lost finding %s", k)
		}
	}
	webAfter := b.entities(t, TypeWebFinding)
	for k := range webBefore {
		if _, ok := webAfter[k]; !ok {
			t.Errorf("incremental sync lost web-app finding %s", k)
		}
	}
	added, closed := 0, 0
	for k, open := range window {
		e, ok := after[k]
		if !ok {
			t.Errorf("finding %s reported in the window is missing", k)
			continue
		}
		if e.Properties["open"] != open {
			t.Errorf("finding %s: open=%v, Qualys says %v", k, e.Properties["open"], open)
		}
		if _, old := before[k]; !old {
			added++
		} else if !open && before[k].Properties["open"] == true {
			closed++
		}
	}
	t.Logf("findings before %d after %d; window %d: %d added, %d closed", len(before), len(after), len(window), added, closed)
	if added == 0 {
		t.Error("no new finding added")
	}
	for _, typ := range []string{TypeAccount, TypeVMDR, TypeWebApp, TypeVuln} {
		if len(b.entities(t, typ)) == 0 {
			t.Errorf("incremental sync lost the %s entities", typ)
		}
	}

	all := b.reported(t, time.Time{})
	rep = b.sync(t, true)
	if rep.Failed() {
		t.Fatalf("full sync failed: %+v", rep.Steps)
	}
	full := b.entities(t, TypeHostFinding)
	for k := range full {
		if _, ok := all[k]; !ok {
			t.Errorf("reconcile kept finding %s, which Qualys no longer reports", k)
		}
	}
	for k, open := range all {
		if e, ok := full[k]; !ok || e.Properties["open"] != open {
			t.Errorf("after reconcile finding %s: present %v, open %v; Qualys says open=%v", k, ok, e.Properties["open"], open)
		}
	}
	t.Logf("after reconcile: %d findings (%d deleted)", len(full), rep.Sync.Entities[TypeHostFinding].Deleted)
}

// TestSimFailedPageKeepsDataAndRereadsWindow runs against two simulators
// with the same seed and clock, one of which truncates every detection
// page: a run against it fails the detections step, keeps the findings and
// the mark, and the next run against the healthy one re-reads the window.
func TestSimFailedPageKeepsDataAndRereadsWindow(t *testing.T) {
	b := newSimBundle(t, smallSim())
	o := smallSim()
	faults, err := sim.ParseFaults("truncate:rate=1:endpoint=detections")
	if err != nil {
		t.Fatal(err)
	}
	o.Faults = faults
	faulty, err := sim.New(o)
	if err != nil {
		t.Fatal(err)
	}
	faultySrv := httptest.NewServer(faulty)
	defer faultySrv.Close()
	run := func(apiURL string) *integration.Report {
		inst := b.inst
		inst.Qualys.APIURL = apiURL
		client, err := qualys.New(qualys.Options{APIURL: apiURL, Username: inst.Qualys.Username, Password: inst.Qualys.Password,
			Retry: qualys.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Sync(context.Background(), SyncOptions{Store: b.st, Instance: inst, Client: client, Now: b.sim.Now})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if rep := run(b.srv.URL); rep.Failed() {
		t.Fatalf("first sync failed: %+v", rep.Steps)
	}
	before := b.entities(t, TypeHostFinding)
	state0, err := integration.LoadState(context.Background(), b.st, b.scope)
	if err != nil {
		t.Fatal(err)
	}
	t0 := b.sim.Now()
	for _, s := range []*sim.Server{b.sim, faulty} {
		if err := s.Advance(5 * 24 * time.Hour); err != nil {
			t.Fatal(err)
		}
	}

	rep := run(faultySrv.URL)
	step := rep.Step(StepHostDetections)
	if step.Status != integration.StatusFailed || step.PagesFailed == 0 || !rep.Failed() {
		t.Fatalf("detections step: %s, %d pages failed (%s)", step.Status, step.PagesFailed, step.Error)
	}
	got := b.entities(t, TypeHostFinding)
	// Records decoded before a page broke are complete and may update
	// findings; nothing may be deleted.
	for k := range before {
		if _, ok := got[k]; !ok {
			t.Fatalf("failed run deleted %s", k)
		}
	}
	state1, _ := integration.LoadState(context.Background(), b.st, b.scope)
	if !state1.HighWaterMarks[DatasetDetections].Equal(state0.HighWaterMarks[DatasetDetections]) {
		t.Errorf("failed step moved the detections mark: %v → %v", state0.HighWaterMarks[DatasetDetections], state1.HighWaterMarks[DatasetDetections])
	}

	window := b.reported(t, t0)
	rep = run(b.srv.URL)
	if rep.Failed() {
		t.Fatalf("retry run failed: %+v", rep.Step(StepHostDetections))
	}
	after := b.entities(t, TypeHostFinding)
	for k, open := range window {
		if e, ok := after[k]; !ok || e.Properties["open"] != open {
			t.Errorf("window finding %s not re-read (present %v, open %v, want %v)", k, ok, e.Properties["open"], open)
		}
	}
	state2, _ := integration.LoadState(context.Background(), b.st, b.scope)
	if !state2.HighWaterMarks[DatasetDetections].Equal(b.sim.Now()) {
		t.Errorf("detections mark %v, want %v", state2.HighWaterMarks[DatasetDetections], b.sim.Now())
	}
}
