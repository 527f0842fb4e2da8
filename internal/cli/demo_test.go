package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qgraph/qgraph/internal/integration"
	"github.com/qgraph/qgraph/internal/store"
)

// TestDemo runs qgraph demo end to end: simulator, full sync, graph
// summary and every managed question, into a temporary store.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo syncs a few thousand findings")
	}
	db := filepath.Join(t.TempDir(), "demo.db")
	code, out, errOut := runCLI(t, nil, "--db", db, "demo")
	if code != ExitOK {
		t.Fatalf("demo exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"status success", "Entities by _type:", "qualys_host_finding", "Relationships by _type:",
		"aws_instance_has_qualys_host_finding", "== ", "result(s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if strings.Contains(out, "error:") || strings.Contains(out, "had no answer") {
		t.Errorf("a managed question failed or had no answer:\n%s", out)
	}
	if !strings.Contains(errOut, "Qualys simulator on http://127.0.0.1:") {
		t.Errorf("stderr does not name the simulator:\n%s", errOut)
	}

	// A second demo into the same store listens on another port, yet reads
	// the same data: its sync must change nothing.
	code, out, errOut = runCLI(t, nil, "--db", db, "demo")
	if code != ExitOK {
		t.Fatalf("second demo exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, nil, "--db", db, "jobs", "list", "--format", "json")
	var jobs []jobSummary
	if err := json.Unmarshal([]byte(out), &jobs); code != ExitOK || err != nil || len(jobs) != 2 {
		t.Fatalf("jobs list exit %d, %v: %s%s", code, err, out, errOut)
	}
	latest := jobs[0]
	if jobs[1].StartedAt.After(latest.StartedAt) {
		latest = jobs[1]
	}
	code, out, errOut = runCLI(t, nil, "--db", db, "jobs", "show", latest.ID, "--format", "json")
	var rep integration.Report
	if err := json.Unmarshal([]byte(out), &rep); code != ExitOK || err != nil || rep.Sync == nil {
		t.Fatalf("jobs show exit %d, %v: %s%s", code, err, out, errOut)
	}
	if n := rep.Sync.Entities["qualys_vuln"].Unchanged; n == 0 {
		t.Errorf("the second sync saw no unchanged qualys_vuln: %+v", rep.Sync.Entities)
	}
	for _, part := range []map[string]store.TypeCounts{rep.Sync.Entities, rep.Sync.Relationships, rep.Sync.Mappings} {
		for typ, c := range part {
			if c.Created != 0 || c.Updated != 0 || c.Deleted != 0 {
				t.Errorf("the second demo sync changed %s: %+v", typ, c)
			}
		}
	}
}

// TestDemoQueryHint checks that the demo's closing hint is a command that
// works as printed over the same store and shows no password.
func TestDemoQueryHint(t *testing.T) {
	const query = " query 'FIND Host THAT HAS qualys_host_finding WITH open=true'"
	const pgpass = " (with the password in PGPASSWORD or ~/.pgpass)"
	cases := []struct{ dsn, want string }{
		{"./qgraph-demo.db", "query it with: qgraph --db ./qgraph-demo.db" + query},
		{"/tmp/my demo.db", "query it with: qgraph --db '/tmp/my demo.db'" + query},
		{"sqlite:///tmp/d.db", "query it with: qgraph --db sqlite:///tmp/d.db" + query},
		{"postgres://qg@db.example:5432/graph", "query it with: qgraph --db postgres://qg@db.example:5432/graph" + query},
		{"postgres://qg:s3cret@db.example:5432/graph?sslmode=disable", "query it with: qgraph --db 'postgres://qg@db.example:5432/graph?sslmode=disable'" + query + pgpass},
		{"postgresql://qg@db.example/graph?password=s3cret&sslmode=disable", "query it with: qgraph --db 'postgresql://qg@db.example/graph?sslmode=disable'" + query + pgpass},
	}
	for _, tc := range cases {
		t.Run(tc.dsn, func(t *testing.T) {
			got := queryHint(tc.dsn)
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if strings.Contains(got, "s3cret") || strings.Contains(got, "xxxxx") {
				t.Errorf("the hint shows or masks a password: %s", got)
			}
		})
	}
}
