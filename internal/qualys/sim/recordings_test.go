package sim

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/qgraph/qgraph/internal/qualys"
	"github.com/qgraph/qgraph/internal/qualys/qualystest"
)

// testdataDir is the shared test data folder, beside the repository.
const testdataDir = "../../../../shared/testdata/qualys"

// setFields lists the field paths of v that hold a non-zero value, the way
// a converter sees a decoded record: "Detections[].QID", "Tags[].Name", ...
func setFields(v any) map[string]bool {
	out := map[string]bool{}
	walkSet("", reflect.ValueOf(v), out)
	return out
}

func walkSet(path string, v reflect.Value, out map[string]bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkSet(path, v.Elem(), out)
		}
	case reflect.Struct:
		if t, ok := v.Interface().(time.Time); ok {
			if !t.IsZero() {
				out[path] = true
			}
			return
		}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if f.IsExported() {
				walkSet(strings.TrimPrefix(path+"."+f.Name, "."), v.Field(i), out)
			}
		}
	case reflect.Slice:
		if v.Len() > 0 {
			out[path] = true
		}
		for i := range v.Len() {
			walkSet(path+"[]", v.Index(i), out)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			out[path+"["+k.String()+"]"] = true
		}
	default:
		if !v.IsZero() {
			out[path] = true
		}
	}
}

// missing returns the paths set in real that no simulated record sets.
func missing(real, sim map[string]bool) []string {
	var out []string
	for p := range real {
		if !sim[p] {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func union(dst, src map[string]bool) {
	for k := range src {
		dst[k] = true
	}
}

// fixtureServer serves one fixture file for every request.
func fixtureServer(t *testing.T, name string) string {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(testdataDir, "fixtures", name))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.Write(body)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

func clientFor(t *testing.T, url string) *qualys.Client {
	t.Helper()
	c, err := qualys.New(qualys.Options{APIURL: url, Username: "u", Password: "p",
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// simRecords pulls every record kind from a simulator with the client.
type simRecords struct {
	portal     *qualys.PortalVersion
	assets     map[string]map[string]bool // by kind: ec2, azure, gcp, agent
	detections map[string]bool
	vulns      map[string]bool
	webApps    map[string]bool
}

func pullSim(t *testing.T) simRecords {
	t.Helper()
	s, c := newPair(t, Options{Hosts: 120, DetectionsPerHost: 12, WebApps: 5, Seed: 8, Limits: UnlimitedLimits()}, nil)
	ctx := context.Background()
	r := simRecords{assets: map[string]map[string]bool{}, detections: map[string]bool{}, vulns: map[string]bool{}, webApps: map[string]bool{}}
	var err error
	if r.portal, err = c.PortalVersion(ctx); err != nil {
		t.Fatal(err)
	}
	ids := allHostIDs(t, c, 0)
	err = c.HostAssets(ctx, qualys.HostAssetParams{HostIDs: ids}, func(a *qualys.HostAsset) error {
		kind := "other"
		switch {
		case len(a.EC2Sources) > 0:
			kind = "ec2"
		case len(a.AzureSources) > 0:
			kind = "azure"
		case len(a.GCPSources) > 0:
			kind = "gcp"
		case a.Agent != nil:
			kind = "agent"
		}
		if r.assets[kind] == nil {
			r.assets[kind] = map[string]bool{}
		}
		union(r.assets[kind], setFields(a))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	qids := map[int64]bool{}
	err = c.HostDetections(ctx, qualys.DetectionParams{HostIDs: ids, ShowResults: true, ShowIGs: true}, func(h *qualys.DetectionHost) error {
		union(r.detections, setFields(h))
		for _, d := range h.Detections {
			qids[d.QID] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var list []int64
	for q := range qids {
		list = append(list, q)
	}
	err = c.KnowledgeBase(ctx, qualys.KBParams{QIDs: list, Details: "Basic"}, func(v *qualys.Vuln) error {
		union(r.vulns, setFields(v))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = c.WebApps(ctx, qualys.WebAppParams{}, func(w *qualys.WebApp) error {
		union(r.webApps, setFields(w))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = s
	return r
}

// TestShapesMatchRecordings decodes the recorded real responses and the
// fixtures with the client, and checks that the simulator's responses set
// every field the real ones set.
func TestShapesMatchRecordings(t *testing.T) {
	simr := pullSim(t)
	ctx := context.Background()
	har := func(t *testing.T, name string) *qualys.Client {
		srv := qualystest.NewHARServer(t, filepath.Join(testdataDir, "recordings", name))
		return clientFor(t, srv.URL)
	}
	t.Run("portal version", func(t *testing.T) {
		pv, err := har(t, "verifyAuthentication.har").PortalVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m := missing(setFields(pv), setFields(simr.portal)); len(m) > 0 {
			t.Errorf("simulator lacks %v", m)
		}
	})
	assetCases := []struct{ name, fixture, har, kind string }{
		{"EC2 host asset (recorded)", "", "iterateHostDetails.har", "ec2"},
		{"EC2 host assets", "ec2-host-assets.xml", "", "ec2"},
		{"Azure host assets", "azure-host-assets.xml", "", "azure"},
		{"GCP host assets", "gcp-host-assets.xml", "", "gcp"},
		{"agent host assets", "list-host-assets.xml", "", "agent"},
	}
	for _, tc := range assetCases {
		t.Run(tc.name, func(t *testing.T) {
			var c *qualys.Client
			var ids []int64
			if tc.har != "" {
				c = har(t, tc.har)
				ids = allHostIDs(t, c, 0)
			} else {
				c = clientFor(t, fixtureServer(t, tc.fixture))
				ids = []int64{1}
			}
			real := map[string]bool{}
			err := c.HostAssets(ctx, qualys.HostAssetParams{HostIDs: ids}, func(a *qualys.HostAsset) error {
				union(real, setFields(a))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(real) == 0 {
				t.Fatal("no fields decoded from the real response")
			}
			if m := missing(real, simr.assets[tc.kind]); len(m) > 0 {
				t.Errorf("simulated %s host assets lack %v", tc.kind, m)
			}
		})
	}
	t.Run("detections", func(t *testing.T) {
		c := clientFor(t, fixtureServer(t, "detections.xml"))
		real := map[string]bool{}
		err := c.HostDetections(ctx, qualys.DetectionParams{HostIDs: []int64{6506432}, ShowResults: true}, func(h *qualys.DetectionHost) error {
			union(real, setFields(h))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if m := missing(real, simr.detections); len(m) > 0 {
			t.Errorf("simulated detections lack %v", m)
		}
	})
	t.Run("knowledge base", func(t *testing.T) {
		real := map[string]bool{}
		err := har(t, "iterateVulnerabilities.har").KnowledgeBase(ctx, qualys.KBParams{QIDs: []int64{316760}, Details: "Basic"}, func(v *qualys.Vuln) error {
			union(real, setFields(v))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if m := missing(real, simr.vulns); len(m) > 0 {
			t.Errorf("simulated vulnerabilities lack %v", m)
		}
	})
	t.Run("web apps", func(t *testing.T) {
		real := map[string]bool{}
		yes := true
		err := har(t, "iterateWebApps.har").WebApps(ctx, qualys.WebAppParams{Scanned: &yes}, func(w *qualys.WebApp) error {
			union(real, setFields(w))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if m := missing(real, simr.webApps); len(m) > 0 {
			t.Errorf("simulated web apps lack %v", m)
		}
	})
}
