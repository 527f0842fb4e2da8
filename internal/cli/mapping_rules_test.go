package cli

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/qgraph/qgraph/internal/qualys/sim"
)

// writeFile writes a test file into dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// linkedPairs runs a J1QL query returning the _keys of both ends as a and
// b, and returns the pairs as sorted "a>b" strings.
func linkedPairs(t *testing.T, db, query string) []string {
	t.Helper()
	code, out, errOut := runCLI(t, nil, "--db", db, "query", "--format", "json", query)
	if code != ExitOK {
		t.Fatalf("query exit %d: %s", code, errOut)
	}
	var res struct {
		Data []struct{ A, B string } `json:"data"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("query output: %v\n%s", err, out)
	}
	pairs := []string{}
	for _, r := range res.Data {
		pairs = append(pairs, r.A+">"+r.B)
	}
	sort.Strings(pairs)
	return pairs
}

// intelItems renders intel_item entities, one per key=qid pair, as NDJSON.
// A qid is written as a JSON string so it must match a numeric qid as a
// number.
func intelItems(pairs ...string) string {
	var b strings.Builder
	for _, p := range pairs {
		key, qid, _ := strings.Cut(p, "=")
		fmt.Fprintf(&b, `{"_key": "intel-item-%s", "_type": "intel_item", "_class": "Record", "name": "%s", "displayName": "%s", "qid": %q}`+"\n", key, key, key, qid)
	}
	return b.String()
}

// TestUploadAppliesConfiguredMappingRules uploads entities of two types and
// checks that a rule of the config links them, follows value changes, stays
// in force for an upload without --config, and goes with the rule.
func TestUploadAppliesConfiguredMappingRules(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "graph.db")
	// The instance's secrets are not set: upload reads only the rules.
	instances := "instances:\n  - name: lab\n    qualys: {apiUrl: 'https://qualysapi.qualys.com', username: u, password: '${QUALYS_PASSWORD}'}\n"
	rule := "mappingRules:\n  - source: {type: intel_item, property: qid}\n    relationship: TRACKS\n    target: {type: kb_entry, property: qid}\n"
	withRule := writeFile(t, dir, "with-rule.yaml", instances+rule)
	withoutRule := writeFile(t, dir, "without-rule.yaml", instances)
	kb := writeFile(t, dir, "kb.ndjson",
		`{"_key": "kb-entry-100", "_type": "kb_entry", "_class": "Record", "name": "KB 100", "displayName": "KB 100", "qid": 100}
{"_key": "kb-entry-200", "_type": "kb_entry", "_class": "Record", "name": "KB 200", "displayName": "KB 200", "qid": 200}
`)
	const tracks = "FIND intel_item AS i THAT TRACKS kb_entry AS k RETURN i._key AS a, k._key AS b"

	upload := func(t *testing.T, file string, args ...string) string {
		t.Helper()
		code, out, errOut := runCLI(t, nil, append([]string{"--db", db, "upload", file, "--format", "json"}, args...)...)
		if code != ExitOK {
			t.Fatalf("upload %s exit %d\n%s\n%s", file, code, out, errOut)
		}
		return out
	}
	intel := filepath.Join(dir, "intel.ndjson")
	steps := []struct {
		name  string
		items []string // intel_item key=qid pairs uploaded (replace mode)
		args  []string
		want  []string
	}{
		{"numeric strings match numbers", []string{"a=100", "b=200"}, []string{"--config", withRule},
			[]string{"intel-item-a>kb-entry-100", "intel-item-b>kb-entry-200"}},
		{"a changed value loses its relationship", []string{"a=300", "b=200"}, []string{"--config", withRule},
			[]string{"intel-item-b>kb-entry-200"}},
		{"without --config the rule stays in force", []string{"a=100", "b=200"}, nil,
			[]string{"intel-item-a>kb-entry-100", "intel-item-b>kb-entry-200"}},
		{"a rule removed from the config loses its relationships", []string{"a=100", "b=200"}, []string{"--config", withoutRule},
			[]string{}},
		{"and stays removed without --config", []string{"a=200", "b=100"}, nil,
			[]string{}},
	}
	upload(t, kb, "--scope", "kb", "--config", withRule)
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if err := os.WriteFile(intel, []byte(intelItems(s.items...)), 0o600); err != nil {
				t.Fatal(err)
			}
			upload(t, intel, s.args...)
			if got := linkedPairs(t, db, tracks); !reflect.DeepEqual(got, s.want) {
				t.Errorf("TRACKS relationships %v, want %v", got, s.want)
			}
		})
	}

	t.Run("a bad rule is refused before anything is stored", func(t *testing.T) {
		bad := writeFile(t, dir, "bad.yaml", "mappingRules:\n  - source: {type: intel_item, property: qid}\n    relationship: tracks\n    target: {type: kb_entry}\n")
		code, _, errOut := runCLI(t, nil, "--db", filepath.Join(dir, "other.db"), "upload", intel, "--config", bad)
		for _, want := range []string{`mappingRules[0].relationship: "tracks" must be an upper-case class`, "mappingRules[0].target.property: is required"} {
			if code != ExitUsage || !strings.Contains(errOut, want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, ExitUsage, want)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "other.db")); err == nil {
			t.Error("the store was created although the config was refused")
		}
	})
}

// TestSyncAppliesConfiguredMappingRules checks that sync runs the mapper
// with the config's rules, and drops a rule's relationships once the rule
// is gone from the config.
func TestSyncAppliesConfiguredMappingRules(t *testing.T) {
	o := sim.DemoOptions()
	o.Hosts, o.DetectionsPerHost, o.WebApps = 3, 2, 1
	s, err := sim.New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	dir := t.TempDir()
	db := filepath.Join(dir, "graph.db")
	env := map[string]string{"SIM_PASSWORD": o.Password}
	instances := "instances:\n  - name: lab\n    qualys:\n      apiUrl: " + srv.URL + "\n      username: " + o.Username + "\n      password: ${SIM_PASSWORD}\n"
	rule := "mappingRules:\n  - source: {type: team, property: qualysAccount}\n    relationship: MANAGES\n    target: {class: Account, property: accountName}\n"
	withRule := writeFile(t, dir, "with-rule.yaml", instances+rule)
	withoutRule := writeFile(t, dir, "without-rule.yaml", instances)
	teams := writeFile(t, dir, "teams.ndjson", `{"_key": "team-security", "_type": "team", "_class": "Team", "name": "Security", "displayName": "Security", "qualysAccount": "lab"}`+"\n")
	if code, out, errOut := runCLI(t, env, "--db", db, "upload", teams); code != ExitOK {
		t.Fatalf("upload exit %d\n%s\n%s", code, out, errOut)
	}
	const manages = "FIND team AS t THAT MANAGES Account AS a RETURN t._key AS a, a._key AS b"
	if got := linkedPairs(t, db, manages); len(got) != 0 {
		t.Fatalf("MANAGES before the rule is configured: %v", got)
	}
	steps := []struct {
		name string
		args []string
		want int
	}{
		{"the configured rule links the team to the synced account", []string{"sync", "--config", withRule}, 1},
		{"a demo into the same store keeps the configured rule", []string{"demo"}, 1},
		{"the rule removed from the config takes its relationship along", []string{"sync", "--config", withoutRule}, 0},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if code, out, errOut := runCLI(t, env, append([]string{"--db", db}, st.args...)...); code != ExitOK {
				t.Fatalf("%s exit %d\n%s\n%s", st.args[0], code, out, errOut)
			}
			got := linkedPairs(t, db, manages)
			if len(got) != st.want || (st.want == 1 && !strings.HasPrefix(got[0], "team-security>")) {
				t.Errorf("MANAGES relationships %v, want %d from team-security", got, st.want)
			}
		})
	}
}
