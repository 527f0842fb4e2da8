package j1ql

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qgraph/qgraph/internal/store"
)

var update = flag.Bool("update", false, "update golden files")

// goldenQueries cover each shape of generated SQL; testdata/plans.golden
// holds their plans for both dialects. Review diffs like code.
var goldenQueries = []string{
	"FIND Host WITH open = true AND name ^= 'web'",
	"FIND Finding WITH severity = ('high' OR 'critical') AND port != undefined",
	"FIND Host AS h THAT HAS >> Finding WITH numericSeverity >= 8 AS f RETURN h.name, count(f) AS n ORDER BY n DESC LIMIT 10",
	"FIND Host THAT !HAS Finding THAT IS Vulnerability WITH qid = 1",
	"FIND User (THAT IS Person AS p)? AS u WHERE u.email ~= '@' RETURN u._key, p.name",
	"FIND Host AS a THAT RELATES TO << * AS b WHERE a.x = b.y RETURN TREE",
	"FIND x WITH t > date.now - 7 days RETURN x.*, UNWIND(x.tags) AS tag",
}

func TestGoldenPlans(t *testing.T) {
	var b strings.Builder
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, src := range goldenQueries {
		for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
			plan, err := Explain(src, d, Options{Now: now})
			if err != nil {
				t.Fatalf("%s: %s: %v", d, src, err)
			}
			b.WriteString("==== " + string(d) + "\n" + plan + "\n")
		}
	}
	path := filepath.Join("testdata", "plans.golden")
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("plans differ from %s; run go test ./internal/j1ql -run TestGoldenPlans -update and review the diff", path)
	}
}
