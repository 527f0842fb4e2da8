package qualysint

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/integration"
	"github.com/qgraph/qgraph/internal/qualys"
	"github.com/qgraph/qgraph/internal/qualys/sim"
	"github.com/qgraph/qgraph/internal/store"
	"github.com/qgraph/qgraph/internal/store/postgres"
	"github.com/qgraph/qgraph/internal/store/sqlite"
)

// twinSim is a second simulator with the bundle's seed and clock that
// injects faults, and a sync through either with quick retries.
type twinSim struct {
	b      *simBundle
	faulty *sim.Server
	srv    *httptest.Server
}

func newTwinSim(t *testing.T, b *simBundle, opts sim.Options, faults string) *twinSim {
	t.Helper()
	spec, err := sim.ParseFaults(faults)
	if err != nil {
		t.Fatal(err)
	}
	opts.Faults = spec
	faulty, err := sim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(faulty)
	t.Cleanup(srv.Close)
	return &twinSim{b: b, faulty: faulty, srv: srv}
}

// advance moves both simulators' clocks by d.
func (w *twinSim) advance(t *testing.T, d time.Duration) {
	t.Helper()
	for _, s := range []*sim.Server{w.b.sim, w.faulty} {
		if err := s.Advance(d); err != nil {
			t.Fatal(err)
		}
	}
}

// sync runs an incremental job against the faulty simulator (faulty true)
// or the healthy one.
func (w *twinSim) sync(t *testing.T, faulty bool) *integration.Report {
	t.Helper()
	apiURL := w.b.srv.URL
	if faulty {
		apiURL = w.srv.URL
	}
	inst := w.b.inst
	inst.Qualys.APIURL = apiURL
	client, err := qualys.New(qualys.Options{APIURL: apiURL, Username: inst.Qualys.Username, Password: inst.Qualys.Password,
		Retry: qualys.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Sync(context.Background(), SyncOptions{Store: w.b.st, Instance: inst, Client: client, Now: w.b.sim.Now, BatchSize: 500})
	if err != nil {
		t.Fatalf("sync (faulty %v): %v", faulty, err)
	}
	return rep
}

// linkGaps lists the live findings of typ whose qualys_vuln is stored but
// that have no live relType relationship to it, and the findings whose
// vulnerability names CVEs but that lack the mapped IS link to one of them.
func (b *simBundle) linkGaps(t *testing.T, typ, relType, cveRelType string) (noVuln, noCVE []string, checked int) {
	t.Helper()
	ctx := context.Background()
	vulns := b.entities(t, TypeVuln)
	mappings, err := b.st.ListMappings(ctx, store.MappingFilter{Scope: b.scope})
	if err != nil {
		t.Fatal(err)
	}
	mapped := map[string]bool{}
	for _, m := range mappings {
		if m.Type == cveRelType {
			mapped[m.Key] = true
		}
	}
	for key, e := range b.entities(t, typ) {
		qid, ok := e.Properties["qid"].(int64)
		if !ok {
			continue
		}
		v, ok := vulns[VulnKey(qid)]
		if !ok {
			continue // not in the KnowledgeBase
		}
		checked++
		ns, err := b.st.Neighbors(ctx, b.scope, key, store.NeighborFilter{RelationshipType: relType})
		if err != nil {
			t.Fatal(err)
		}
		linked := false
		for _, n := range ns {
			if n.Outgoing && n.Entity.Key == v.Key {
				linked = true
			}
		}
		if !linked {
			noVuln = append(noVuln, key)
		}
		cves, _ := v.Properties["cveIds"].([]any)
		for _, c := range cves {
			id, _ := c.(string)
			if !mapped[graph.RelationshipKey(key, ClassIs, strings.ToLower(id))] {
				noCVE = append(noCVE, key+" → "+id)
			}
		}
	}
	return noVuln, noCVE, checked
}

// TestSimFailedKnowledgeBaseIsRepaired runs a job whose KnowledgeBase reads
// all fail while the detections succeed, so findings are stored without
// their vulnerability, then a healthy incremental job a day later that
// re-reads only a few of those findings: it must fetch the vulnerabilities
// the stored findings lack and link every finding, re-read or not, to its
// qualys_vuln and CVEs, deleting nothing.
func TestSimFailedKnowledgeBaseIsRepaired(t *testing.T) {
	tests := []struct {
		name string
		open func(t *testing.T) store.Store
	}{
		{"sqlite", openSQLiteStore},
		{"postgres", openPostgresStore},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := tt.open(t)
			if st == nil {
				t.Skip("no PostgreSQL server answers")
			}
			testKnowledgeBaseRepair(t, newSimBundleOn(t, smallSim(), st))
		})
	}
}

func testKnowledgeBaseRepair(t *testing.T, b *simBundle) {
	w := newTwinSim(t, b, smallSim(), "5xx:rate=1:endpoint=kb")

	rep := w.sync(t, true)
	if s := rep.Step(StepVulns); s.Status != integration.StatusFailed {
		t.Fatalf("KnowledgeBase step %s (%s), want failed", s.Status, s.Error)
	}
	if s := rep.Step(StepHostDetections); s.Status != integration.StatusSuccess {
		t.Fatalf("detections step %s (%s)", s.Status, s.Error)
	}
	findings := b.entities(t, TypeHostFinding)
	webFindings := b.entities(t, TypeWebFinding)
	if len(findings) == 0 || len(webFindings) == 0 {
		t.Fatalf("the faulty run stored %d host and %d web-app findings", len(findings), len(webFindings))
	}
	if n := len(b.entities(t, TypeVuln)); n != 0 {
		t.Fatalf("the faulty run stored %d vulnerabilities", n)
	}

	w.advance(t, 24*time.Hour)
	rep = w.sync(t, false)
	if rep.Failed() {
		t.Fatalf("healthy run failed: %+v", rep.Steps)
	}
	reread := rep.Step(StepHostDetections).Counters["findings"]
	if reread >= int64(len(findings)) {
		t.Fatalf("the healthy run re-read %d findings of %d; the test needs some left unread", reread, len(findings))
	}
	vs := rep.Step(StepVulns)
	t.Logf("healthy run: %d findings re-read of %d; KnowledgeBase step counters %v", reread, len(findings), vs.Counters)
	if vs.Counters["repairedLinks"] == 0 {
		t.Error("the healthy run repaired no link")
	}
	for typ, c := range rep.Sync.Entities {
		if c.Deleted != 0 {
			t.Errorf("incremental run deleted %d %s", c.Deleted, typ)
		}
	}
	for typ, c := range rep.Sync.Relationships {
		if c.Deleted != 0 {
			t.Errorf("incremental run deleted %d %s relationships", c.Deleted, typ)
		}
	}
	for _, tc := range []struct{ typ, rel, cveRel string }{
		{TypeHostFinding, RelHostFindingIsVuln, RelHostFindingIsCVE},
		{TypeWebFinding, RelWebFindingIsVuln, RelWebFindingIsCVE},
	} {
		noVuln, noCVE, checked := b.linkGaps(t, tc.typ, tc.rel, tc.cveRel)
		if checked == 0 {
			t.Errorf("no %s has its vulnerability stored", tc.typ)
		}
		if len(noVuln) > 0 {
			t.Errorf("%d of %d %s lack their %s link, e.g. %s", len(noVuln), checked, tc.typ, tc.rel, noVuln[0])
		}
		if len(noCVE) > 0 {
			t.Errorf("%d CVE links of %s are missing, e.g. %s", len(noCVE), tc.typ, noCVE[0])
		}
	}
	missing := map[string]bool{}
	for _, q := range rep.Step(StepVulns).Lists[ListMissingQIDs] {
		missing[q] = true
	}
	vulns := b.entities(t, TypeVuln)
	for key, e := range b.entities(t, TypeHostFinding) {
		qid := e.Properties["qid"].(int64)
		if _, ok := vulns[VulnKey(qid)]; !ok && !missing[strconv.FormatInt(qid, 10)] {
			t.Errorf("finding %s: QID %d neither fetched nor reported missing", key, qid)
		}
	}

	// A second healthy run has nothing left to repair.
	w.advance(t, time.Hour)
	rep = w.sync(t, false)
	if rep.Failed() {
		t.Fatalf("second healthy run failed: %+v", rep.Steps)
	}
	if n := rep.Step(StepVulns).Counters["repairedLinks"]; n != 0 {
		t.Errorf("second healthy run repaired %d links again", n)
	}
}

// openSQLiteStore opens an empty embedded store in a temporary directory.
func openSQLiteStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "graph.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// openPostgresStore opens an empty PostgreSQL store in a throw-away schema
// of QGRAPH_TEST_POSTGRES (default: the local test database), or returns
// nil when no server answers.
func openPostgresStore(t *testing.T) store.Store {
	t.Helper()
	dsn := os.Getenv("QGRAPH_TEST_POSTGRES")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Logf("no PostgreSQL server at QGRAPH_TEST_POSTGRES: %v", err)
		return nil
	}
	conn.Close(ctx)
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	schema := "qualysint_test_" + hex.EncodeToString(b[:])
	st, err := postgres.Open(context.Background(), dsn, postgres.Options{Schema: schema})
	if err != nil {
		t.Fatalf("open postgres store: %v", err)
	}
	t.Cleanup(func() {
		st.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Logf("drop schema %s: %v", schema, err)
		}
	})
	return st
}
