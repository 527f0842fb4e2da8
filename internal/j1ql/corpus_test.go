package j1ql

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/qgraph/qgraph/internal/store"
)

// corpusQuery is one query of the shared corpus with its source comment.
type corpusQuery struct {
	Source string
	Text   string
}

// loadCorpus reads testdata/j1ql/corpus.txt of the shared specification,
// with placeholders filled in.
func loadCorpus(t testing.TB) []corpusQuery {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "testdata", "j1ql", "corpus.txt")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	var out []corpusQuery
	for _, block := range strings.Split(string(data), "\n---\n") {
		var src []string
		var lines []string
		for _, l := range strings.Split(block, "\n") {
			if strings.HasPrefix(l, "# ") {
				src = append(src, l)
				continue
			}
			lines = append(lines, l)
		}
		text := strings.TrimSpace(strings.Join(lines, "\n"))
		if text == "" || text == "---" {
			continue
		}
		values := map[string]string{}
		for _, n := range Placeholders(text) {
			values[n] = "x"
		}
		text, err := SubstitutePlaceholders(text, values)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, corpusQuery{Source: strings.Join(src, " "), Text: text})
	}
	return out
}

func TestCorpusParsesAndRoundTrips(t *testing.T) {
	corpus := loadCorpus(t)
	if len(corpus) < 170 {
		t.Fatalf("corpus has %d queries, want at least 170", len(corpus))
	}
	for i, c := range corpus {
		q, err := Parse(c.Text)
		if err != nil {
			t.Errorf("query %d (%s):\n%s\nparse: %v", i, c.Source, c.Text, err)
			continue
		}
		printed := q.String()
		q2, err := Parse(printed)
		if err != nil {
			t.Errorf("query %d: reparse of %q: %v", i, printed, err)
			continue
		}
		if again := q2.String(); again != printed {
			t.Errorf("query %d: round trip differs:\n%s\n%s", i, printed, again)
		}
	}
}

func TestCorpusPlansOnBothDialects(t *testing.T) {
	opts := Options{Variables: map[string]any{"type": "employee", "param.loginUrl": "https://login.example.com"}}
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		for i, c := range loadCorpus(t) {
			q, err := Parse(c.Text)
			if err != nil {
				continue // reported by the parse test
			}
			if _, err := Compile(c.Text, q, d, opts); err != nil {
				t.Errorf("%s: query %d (%s):\n%s\nplan: %v", d, i, c.Source, c.Text, err)
			}
		}
	}
}
