package questions

import (
	"testing"
	"testing/fstest"

	"github.com/qgraph/qgraph/internal/j1ql"
	"github.com/qgraph/qgraph/internal/store"
)

func TestEmbeddedQuestionsLoadParseAndPlan(t *testing.T) {
	qs, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) < 10 {
		t.Fatalf("%d managed questions, want at least 10", len(qs))
	}
	for _, q := range qs {
		for _, nq := range q.Queries {
			t.Run(q.ID+"/"+nq.Name, func(t *testing.T) {
				for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
					if _, err := j1ql.Explain(nq.Query, d, j1ql.Options{}); err != nil {
						t.Errorf("%s: %v", d, err)
					}
				}
			})
		}
	}
	if _, err := Find(qs[0].ID); err != nil {
		t.Error(err)
	}
	if _, err := Find("no-such-question"); err == nil {
		t.Error("Find of an unknown id succeeded")
	}
}

func TestLoadRejectsBadQuestions(t *testing.T) {
	cases := map[string]string{
		"a.yaml": "id: a\ntitle: A\nqueries:\n  - name: q\n    query: FIND Host WITH\n",
		"b.yaml": "id: other\ntitle: B\nqueries:\n  - name: q\n    query: FIND Host\n",
		"c.yaml": "id: c\nqueries:\n  - name: q\n    query: FIND Host\n",
		"d.yaml": "id: d\ntitle: D\nunknown: 1\nqueries:\n  - name: q\n    query: FIND Host\n",
		"e.yaml": "id: e\ntitle: E\nqueries: []\n",
		"f.yaml": "id: f\ntitle: F\nqueries:\n  - name: q\n    query: FIND Host\n  - name: q\n    query: FIND Host\n",
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := load(fstest.MapFS{name: {Data: []byte(body)}}); err == nil {
				t.Errorf("%s was accepted", name)
			}
		})
	}
}
