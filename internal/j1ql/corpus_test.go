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

// corpusPlanErrors are the corpus queries that do not plan by choice, each
// found by a fragment of its text, with a fragment of the expected error.
var corpusPlanErrors = map[string]string{
	// Spec j1ql.md §8.2: an alias declared inside a negated traversal
	// names nothing, so RETURN cannot use it (doc.go, choice 2).
	"as a\nreturn count(a) as value": "3:14: alias a (declared at 2:124) is inside the negated traversal at 2:1",
}

func TestCorpusPlansOnBothDialects(t *testing.T) {
	opts := Options{Variables: map[string]any{"type": "employee", "param.loginUrl": "https://login.example.com"}}
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		refused := map[string]bool{}
		for i, c := range loadCorpus(t) {
			q, err := Parse(c.Text)
			if err != nil {
				continue // reported by the parse test
			}
			_, err = Compile(c.Text, q, d, opts)
			wantErr := ""
			for fragment, e := range corpusPlanErrors {
				if strings.Contains(c.Text, fragment) {
					wantErr, refused[fragment] = e, true
				}
			}
			switch {
			case wantErr == "" && err != nil:
				t.Errorf("%s: query %d (%s):\n%s\nplan: %v", d, i, c.Source, c.Text, err)
			case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
				t.Errorf("%s: query %d (%s):\n%s\nplan error %v, want %q", d, i, c.Source, c.Text, err, wantErr)
			}
		}
		for fragment := range corpusPlanErrors {
			if !refused[fragment] {
				t.Errorf("%s: no corpus query holds %q", d, fragment)
			}
		}
	}
}
