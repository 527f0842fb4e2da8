package questions

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/j1ql"
	"github.com/qgraph/qgraph/internal/store"
	"github.com/qgraph/qgraph/internal/store/postgres"
	"github.com/qgraph/qgraph/internal/store/sqlite"
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

// aggregateFuncs are the J1QL aggregates.
var aggregateFuncs = map[string]bool{"count": true, "min": true, "max": true, "avg": true, "sum": true}

// refName is the text of a reference as ORDER BY and RETURN names use it.
func refName(r *j1ql.Ref) string { return strings.Join(r.Parts, ".") }

// unorderedQueries are the managed queries that list every finding in the
// store's order, so that their first page stops early: ordering every
// finding of a 2.5 M-finding graph takes minutes (bench/j1ql.md). Their
// pages may differ between stores; their whole answers may not.
var unorderedQueries = map[string]string{
	"qualys-findings-with-vulnerability/findings": "lists every host finding",
}

// TestManagedQuestionsOrderCompletely checks that the first page of every
// managed query is the same on every store: an aggregated query orders by
// every grouping column, and a query of paths orders last by an _key, so no
// two rows tie.
func TestManagedQuestionsOrderCompletely(t *testing.T) {
	qs, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		for _, nq := range q.Queries {
			t.Run(q.ID+"/"+nq.Name, func(t *testing.T) {
				parsed, err := j1ql.Parse(nq.Query)
				if err != nil {
					t.Fatal(err)
				}
				if _, ok := unorderedQueries[q.ID+"/"+nq.Name]; ok {
					if len(parsed.OrderBy) != 0 {
						t.Errorf("listed as unordered but has ORDER BY")
					}
					return
				}
				if len(parsed.OrderBy) == 0 {
					t.Fatalf("no ORDER BY: the first page depends on the store")
				}
				keys := map[string]bool{}
				for _, k := range parsed.OrderBy {
					keys[refName(k.Key)] = true
				}
				if parsed.Return == nil || parsed.Return.Tree {
					return
				}
				var groups []string
				aggregated := false
				for _, it := range parsed.Return.Items {
					if c, ok := it.Expr.(*j1ql.Call); ok && aggregateFuncs[c.Name] {
						aggregated = true
						continue
					}
					groups = append(groups, it.Name())
				}
				if !aggregated {
					last := parsed.OrderBy[len(parsed.OrderBy)-1].Key
					if !strings.HasSuffix(refName(last), "._key") {
						t.Errorf("ORDER BY ends with %s, not an _key: rows may tie", refName(last))
					}
					return
				}
				for _, g := range groups {
					if !keys[g] {
						t.Errorf("ORDER BY lacks the grouping column %q: rows may tie", g)
					}
				}
			})
		}
	}
}

// questionGraph is a small Qualys graph with ties everywhere: two QIDs
// with the same title, hosts with the same number of findings, findings of
// the same severity.
func questionGraph() ([]graph.Entity, []graph.Relationship) {
	var ents []graph.Entity
	var rels []graph.Relationship
	add := func(key, typ, class string, p graph.Properties) {
		if p == nil {
			p = graph.Properties{}
		}
		if _, ok := p["displayName"]; !ok {
			p["displayName"] = key
		}
		p["name"] = p["displayName"]
		// The properties the data model requires of the class.
		defaults := map[string]graph.Properties{
			"Finding":       {"category": "vulnerability", "numericSeverity": int64(8)},
			"Vulnerability": {"category": "vulnerability", "severity": "high", "blocking": false, "open": true, "production": nil, "public": nil},
			"Service":       {"category": "security", "function": "scanning"},
		}[class]
		for k, v := range defaults {
			if _, ok := p[k]; !ok {
				p[k] = v
			}
		}
		ents = append(ents, graph.Entity{Key: key, Type: typ, Class: []string{class}, Properties: p})
	}
	link := func(from, class, to string) {
		rels = append(rels, graph.Relationship{Key: graph.RelationshipKey(from, class, to), Type: "test_" + strings.ToLower(class),
			Class: class, FromKey: from, ToKey: to})
	}
	add("test-account", "qualys_account", "Account", nil)
	add("test-vmdr-service", "qualys_vulnerability_manager", "Service", nil)
	add("test-was-service", "qualys_web_app_scanner", "Service", nil)
	link("test-account", "HAS", "test-vmdr-service")
	link("test-account", "HAS", "test-was-service")
	// QIDs 101 and 102 share a title; 103 has another.
	for _, v := range []struct {
		qid   int64
		title string
	}{{101, "OpenSSH Multiple Vulnerabilities"}, {102, "OpenSSH Multiple Vulnerabilities"}, {103, "Firewall Detected"}} {
		add(fmt.Sprintf("vuln-qid:%d", v.qid), "qualys_vuln", "Vulnerability", graph.Properties{
			"qid": v.qid, "displayName": v.title, "severityLevel": int64(3), "cveIds": []any{"CVE-2024-1"}, "cvssScoreV3": 7.5,
			"webLink": fmt.Sprintf("https://qualysguard.qualys.com/fo/common/vuln_info.php?id=%d", v.qid), "vulnType": "Vulnerability", "solution": "Patch."})
	}
	add("cve-2024-1", "cve", "Vulnerability", graph.Properties{"displayName": "CVE-2024-1"})
	types := []string{"aws_instance", "discovered_host", "azure_vm"}
	for h := range 9 {
		host := fmt.Sprintf("test-host-%d", h)
		add(host, types[h%len(types)], "Host", graph.Properties{"hostname": fmt.Sprintf("web-%d", h%3), "lastScannedOn": int64(1772000000000)})
		link("test-vmdr-service", "SCANS", host)
		// Every host has the same findings: each QID once, all open, all high.
		for _, qid := range []int64{101, 102, 103} {
			f := fmt.Sprintf("finding-%d-%d", h, qid)
			add(f, "qualys_host_finding", "Finding", graph.Properties{"displayName": fmt.Sprintf("QID %d", qid), "qid": qid, "open": true,
				"severity": "high", "numericSeverity": int64(8), "type": "Confirmed", "status": "Active", "public": false, "production": true})
			link(host, "HAS", f)
			link("test-vmdr-service", "IDENTIFIED", f)
			link(f, "IS", fmt.Sprintf("vuln-qid:%d", qid))
			link(f, "IS", "cve-2024-1")
		}
	}
	for a := range 4 {
		app := fmt.Sprintf("test-app-%d", a)
		add(app, "web_app", "Application", graph.Properties{"displayName": "Portal", "url": "https://portal.example.net/"})
		link("test-was-service", "SCANS", app)
		f := app + "-finding"
		add(f, "qualys_web_app_finding", "Finding", graph.Properties{"severity": "high", "open": true})
		link(app, "HAS", f)
		link("test-was-service", "IDENTIFIED", f)
	}
	return ents, rels
}

// openQuestionStores opens an embedded store and, when a server answers,
// a PostgreSQL store, both loaded with questionGraph.
func openQuestionStores(t *testing.T) map[string]store.Store {
	t.Helper()
	ctx := context.Background()
	out := map[string]store.Store{}
	lite, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "q.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	out["sqlite"] = lite
	dsn := os.Getenv("QGRAPH_TEST_POSTGRES")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if conn, err := pgx.Connect(pctx, dsn); err != nil {
		t.Logf("PostgreSQL part skipped: %v", err)
	} else {
		conn.Close(pctx)
		var b [6]byte
		rand.Read(b[:])
		schema := "questions_test_" + hex.EncodeToString(b[:])
		pg, err := postgres.Open(ctx, dsn, postgres.Options{Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			pg.Close()
			cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if conn, err := pgx.Connect(cctx, dsn); err == nil {
				conn.Exec(cctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
				conn.Close(cctx)
			}
		})
		out["postgres"] = pg
	}
	ents, rels := questionGraph()
	for name, st := range out {
		s, err := st.BeginSync(ctx, store.SyncParams{Scope: store.InstanceScope("questions-test"), JobID: "job-1", Mode: store.Replace, Now: time.Now()})
		if err != nil {
			t.Fatalf("%s: begin sync: %v", name, err)
		}
		if err := s.Put(ctx, store.Batch{Entities: ents, Relationships: rels}); err != nil {
			t.Fatalf("%s: put: %v", name, err)
		}
		if _, err := s.Commit(ctx, store.CommitParams{}); err != nil {
			t.Fatalf("%s: commit: %v", name, err)
		}
	}
	return out
}

// TestManagedQuestionsOnStores runs every managed question on a graph full
// of ties: each has an answer, the first pages agree between the stores,
// and the vulnerabilities question counts QIDs that share a title apart.
func TestManagedQuestionsOnStores(t *testing.T) {
	stores := openQuestionStores(t)
	qs, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, q := range qs {
		for _, nq := range q.Queries {
			t.Run(q.ID+"/"+nq.Name, func(t *testing.T) {
				pages := map[string]string{}
				_, unordered := unorderedQueries[q.ID+"/"+nq.Name]
				limit := 4
				if unordered {
					limit = 10000
				}
				for name, st := range stores {
					res, err := j1ql.Execute(ctx, st, nq.Query, j1ql.Options{Limit: limit})
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					var b bytes.Buffer
					if err := j1ql.WriteCSV(&b, res); err != nil {
						t.Fatal(err)
					}
					pages[name] = b.String()
					if unordered {
						// The whole answer, as a set of rows.
						lines := strings.Split(strings.TrimSpace(b.String()), "\n")
						sort.Strings(lines)
						pages[name] = strings.Join(lines, "\n")
					}
					if q.ID == "qualys-vulnerabilities-hosts-impacted" {
						checkQIDsApart(t, name, res)
					}
				}
				if pg, ok := pages["postgres"]; ok && pg != pages["sqlite"] {
					t.Errorf("first pages differ:\nsqlite:\n%s\npostgres:\n%s", pages["sqlite"], pg)
				}
			})
		}
	}
}

// checkQIDsApart checks the rows of the vulnerabilities question: QIDs 101
// and 102 share a title but are two rows, each impacting all 9 hosts.
func checkQIDsApart(t *testing.T, name string, res *j1ql.Result) {
	t.Helper()
	rows, _ := res.Data.([]map[string]any)
	hosts := map[any]any{}
	for _, r := range rows {
		if r["Vulnerability"] == "OpenSSH Multiple Vulnerabilities" {
			hosts[r["QID"]] = r["Hosts Impacted"]
		}
	}
	want := map[any]any{int64(101): int64(9), int64(102): int64(9)}
	if fmt.Sprint(hosts) != fmt.Sprint(want) {
		t.Errorf("%s: hosts impacted per QID of the shared title = %v, want %v (rows %v)", name, hosts, want, rows)
	}
}
