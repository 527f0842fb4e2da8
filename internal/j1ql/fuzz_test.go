package j1ql

import (
	"strings"
	"testing"

	"github.com/qgraph/qgraph/internal/store"
)

// FuzzParseAndPlan feeds arbitrary text to the parser and planner: they
// must never panic, a parse error must carry a position, and a query that
// parses must print back to text that parses again.
func FuzzParseAndPlan(f *testing.F) {
	for _, c := range loadCorpus(f) {
		f.Add(c.Text)
	}
	for _, s := range []string{
		"FIND Host WITH a = 1 AND (b ~= 'x' OR c = undefined) AS h THAT !HAS >> AS r * RETURN h.a, count(r)",
		"FIND (A|b) (THAT HAS C AS c)? AS g WHERE g.x = c.y RETURN TREE ORDER BY g.x DESC SKIP 1 LIMIT 2",
		"FIND x WITH d > date.now - 3 days AND e < date(2020-01-02)",
		"'full text' RETURN UNWIND(a.b) AS c",
		"FIND", "", "(", "FIND Host WITH", "FIND Host THAT", "FIND Host RETURN sum(",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		q, err := Parse(src)
		if err != nil {
			list, ok := err.(ErrorList)
			if !ok || len(list) == 0 {
				t.Fatalf("Parse(%q) returned %T %v, want a non-empty ErrorList", src, err, err)
			}
			for _, e := range list {
				if e.Line < 1 || e.Col < 1 || !strings.Contains(e.Error(), ":") {
					t.Fatalf("error without position: %v", e)
				}
			}
			return
		}
		printed := q.String()
		if _, err := Parse(printed); err != nil {
			t.Fatalf("Parse(%q) ok, but its print %q does not parse: %v", src, printed, err)
		}
		for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
			p, err := Compile(src, q, d, Options{Variables: map[string]any{}})
			if err != nil {
				if strings.Contains(err.Error(), "internal error") {
					t.Fatalf("Compile(%q): %v", src, err)
				}
				continue
			}
			_ = p.String()
		}
	})
}
