package qualysint

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qgraph/qgraph/internal/config"
	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
	"github.com/qgraph/qgraph/internal/store/sqlite"
)

var update = flag.Bool("update", false, "update golden files")

const testdata = "../../../../shared/testdata/qualys"

// harBody returns the response body of entry i of a recording.
func harBody(t *testing.T, name string, i int) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testdata, "recordings", name+".har"))
	if err != nil {
		t.Skipf("recordings not available: %v", err)
	}
	var har struct {
		Log struct {
			Entries []struct {
				Response struct {
					Content struct {
						Text string `json:"text"`
					} `json:"content"`
				} `json:"response"`
			} `json:"entries"`
		} `json:"log"`
	}
	if err := json.Unmarshal(raw, &har); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	if i < 0 {
		i = len(har.Log.Entries) + i
	}
	return har.Log.Entries[i].Response.Content.Text
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdata, "fixtures", name))
	if err != nil {
		t.Skipf("fixtures not available: %v", err)
	}
	return string(b)
}

// recordingServer answers each Qualys endpoint with a recorded body.
func recordingServer(t *testing.T, bodies map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := bodies[strings.TrimSuffix(r.URL.Path, "/")]
		if !ok {
			http.Error(w, "no recording for "+r.URL.Path, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// capturingStore records every batch put into the syncs of an instance.
type capturingStore struct {
	store.Store
	mu      sync.Mutex
	batches []store.Batch
}

func (c *capturingStore) BeginSync(ctx context.Context, p store.SyncParams) (store.SyncSession, error) {
	s, err := c.Store.BeginSync(ctx, p)
	if err != nil || p.Scope == store.MapperScope {
		return s, err
	}
	return &capturingSession{SyncSession: s, c: c}, nil
}

type capturingSession struct {
	store.SyncSession
	c *capturingStore
}

func (s *capturingSession) Put(ctx context.Context, b store.Batch) error {
	s.c.mu.Lock()
	s.c.batches = append(s.c.batches, b)
	s.c.mu.Unlock()
	return s.SyncSession.Put(ctx, b)
}

// goldenObject is one object of the golden file.
type goldenObject struct {
	Kind       string           `json:"kind"`
	Type       string           `json:"_type"`
	Key        string           `json:"_key"`
	Class      any              `json:"_class"`
	From       string           `json:"_fromEntityKey,omitempty"`
	To         string           `json:"_toEntityKey,omitempty"`
	Mapping    any              `json:"_mapping,omitempty"`
	Properties graph.Properties `json:"properties,omitempty"`
}

func goldenObjects(batches []store.Batch) []goldenObject {
	var out []goldenObject
	for _, b := range batches {
		for _, e := range b.Entities {
			out = append(out, goldenObject{Kind: "entity", Type: e.Type, Key: e.Key, Class: e.Class, Properties: e.Properties})
		}
		for _, r := range b.Relationships {
			out = append(out, goldenObject{Kind: "relationship", Type: r.Type, Key: r.Key, Class: r.Class, From: r.FromKey, To: r.ToKey, Properties: r.Properties})
		}
		for _, m := range b.Mappings {
			out = append(out, goldenObject{Kind: "mapping", Type: m.Type, Key: m.Key, Class: m.Class, Mapping: map[string]any{
				"relationshipDirection": m.Direction, "sourceEntityKey": m.SourceKey, "targetFilterKeys": m.TargetFilterKeys,
				"skipTargetCreation": m.SkipTargetCreation,
				"targetEntity":       goldenObject{Kind: "entity", Type: m.TargetEntity.Type, Key: m.TargetEntity.Key, Class: m.TargetEntity.Class, Properties: m.TargetEntity.Properties},
			}})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		return a.Key < b.Key
	})
	return out
}

// TestRecordedJob replays recorded Qualys responses (and the detection
// fixture) through the whole job and compares every object it produced
// with testdata/recorded.golden.json, which was checked by hand against
// the recorded XML. Run with -update to rewrite it, then review the diff.
func TestRecordedJob(t *testing.T) {
	srv := recordingServer(t, map[string]string{
		"/qps/rest/portal/version":            harBody(t, "fetchPortalInfo", 0),
		"/api/2.0/fo/asset/host":              harBody(t, "fetchScannedHostIds", 0),
		"/qps/rest/2.0/search/am/hostasset":   harBody(t, "iterateHostDetails", -1),
		"/api/2.0/fo/asset/host/vm/detection": fixture(t, "detections.xml"),
		"/api/2.0/fo/knowledge_base/vuln":     harBody(t, "iterateVulnerabilities", -1),
		"/qps/rest/3.0/search/was/webapp":     harBody(t, "iterateWebApps", -1),
		"/qps/rest/3.0/search/was/finding":    harBody(t, "iterateWebAppFindingsUnknownId", -1),
	})
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "graph.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st := &capturingStore{Store: db}
	q := config.DefaultQualys()
	q.APIURL, q.Username, q.Password = srv.URL, "user", "pass"
	inst := config.Instance{Name: "recorded", Qualys: q}
	now := time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC)
	rep, err := Sync(context.Background(), SyncOptions{Store: st, Instance: inst, Full: true, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Steps {
		if s.Status != "success" {
			t.Errorf("step %s: %s %s", s.ID, s.Status, s.Error)
		}
	}
	// The detection fixture's QIDs are not in the recorded KnowledgeBase
	// answer, so the report names them (upstream dropped them silently).
	if got := strings.Join(rep.Step(StepVulns).Lists[ListMissingQIDs], ","); got != "38170,38173,38601" {
		t.Errorf("missing QIDs %q", got)
	}
	// The mapper resolved the mapped relationships into placeholders.
	ents, rels, err := db.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for typ, want := range map[string]int64{relVMDRScans[TypeAWSInstance]: 1, relHostHasFinding[TypeDiscoveredHost]: 3, RelVMDRIdentified: 3} {
		if rels[typ] != want {
			t.Errorf("%d %s relationships, want %d", rels[typ], typ, want)
		}
	}
	for typ, want := range map[string]int64{TypeAWSInstance: 1, TypeDiscoveredHost: 1, TypeHostFinding: 3, TypeWebApp: 7} {
		if ents[typ] != want {
			t.Errorf("%d %s entities, want %d", ents[typ], typ, want)
		}
	}
	got, err := json.MarshalIndent(goldenObjects(st.batches), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	// The replay server's port changes per run; the golden file says
	// http://qualys.test instead.
	got = append(bytes.ReplaceAll(got, []byte(srv.URL), []byte("http://qualys.test")), '\n')
	golden := filepath.Join("testdata", "recorded.golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("objects differ from %s; run with -update and review the diff", golden)
	}
	for _, b := range st.batches {
		for i := range b.Entities {
			if err := graph.ValidateEntity(&b.Entities[i]); err != nil {
				t.Errorf("invalid entity: %v", err)
			}
		}
	}
}
