package j1ql_test

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"testing"

	"github.com/qgraph/qgraph/internal/j1ql"
)

// render turns a result into comparable text: list → keys; table → one
// JSON object per row; tree → vertex keys | edge classes. Unordered
// results are sorted.
func render(t testing.TB, res *j1ql.Result, ordered bool) string {
	t.Helper()
	var lines []string
	switch res.Type {
	case j1ql.TypeList:
		for _, row := range res.Data.([]map[string]any) {
			lines = append(lines, row["_key"].(string))
		}
	case j1ql.TypeTable:
		for _, row := range res.Data.([]map[string]any) {
			for k, v := range row {
				if m, ok := v.(map[string]any); ok {
					row[k] = m["_key"] // whole-alias cells: compare by key
				}
			}
			b, err := json.Marshal(row)
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, string(b))
		}
	case j1ql.TypeTree:
		tree := res.Data.(*j1ql.Tree)
		var vs, es []string
		for _, v := range tree.Vertices {
			vs = append(vs, v.Entity["_key"].(string))
		}
		for _, e := range tree.Edges {
			es = append(es, e.Relationship["_class"].(string))
		}
		sort.Strings(vs)
		sort.Strings(es)
		return strings.Join(vs, ",") + " | " + strings.Join(es, ",")
	}
	if !ordered {
		sort.Strings(lines)
	}
	if res.Type == j1ql.TypeList {
		return strings.Join(lines, ",")
	}
	return strings.Join(lines, "\n")
}

type semanticCase struct {
	name    string
	query   string
	want    string
	ordered bool
	opts    j1ql.Options
}

var semanticCases = []semanticCase{
	// FIND targets and the case rule.
	{name: "class", query: "FIND Host", want: "host-db-01,host-idle-1,host-web-1"},
	{name: "type", query: "find aws_instance", want: "host-web-1"},
	{name: "lower-case word is a type", query: "FIND host", want: ""},
	{name: "union of types", query: "FIND (aws_instance | discovered_host)", want: "host-db-01,host-web-1"},
	{name: "union mixing class and type", query: "FIND (Service|cve)", want: "cve-2021-1,service-vmdr"},
	{name: "any with filter", query: "FIND * WITH _key = 'host-web-1'", want: "host-web-1"},
	{name: "keywords any case", query: "fInD Host wItH hostname = 'idle'", want: "host-idle-1"},
	{name: "comments", query: "FIND /* hosts */ Host /* named */ WITH hostname = 'idle'", want: "host-idle-1"},
	{name: "full text", query: `FIND "WEB-1"`, want: "host-web-1"},
	{name: "smart class", query: "FIND #CriticalAsset", want: "host-web-1"},
	// Comparisons.
	{name: "gt", query: "FIND Finding WITH numericSeverity > 4", want: "finding-001,finding-003"},
	{name: "gte", query: "FIND Finding WITH numericSeverity >= 4", want: "finding-001,finding-002,finding-003"},
	{name: "lt", query: "FIND Finding WITH numericSeverity < 5", want: "finding-002"},
	{name: "lte float and int", query: "FIND Host WITH cpus <= 4", want: "host-idle-1,host-web-1"},
	{name: "neq includes absent", query: "FIND Host WITH platform != 'linux'", want: "host-db-01,host-idle-1"},
	{name: "contains", query: "FIND Host WITH hostname ~= 'db'", want: "host-db-01"},
	{name: "starts", query: "FIND Host WITH hostname ^= 'web'", want: "host-web-1"},
	{name: "ends", query: "FIND Host WITH hostname $= '-1'", want: "host-db-01,host-web-1"},
	{name: "not contains", query: "FIND Host WITH hostname !~= 'db'", want: "host-idle-1,host-web-1"},
	{name: "not starts", query: "FIND Host WITH hostname !^= 'web'", want: "host-db-01,host-idle-1"},
	{name: "not ends", query: "FIND Host WITH hostname !$= '-1'", want: "host-idle-1"},
	{name: "array contains", query: "FIND Host WITH ips = '10.0.0.3'", want: "host-db-01"},
	{name: "array starts", query: "FIND Host WITH ips ^= '10.0'", want: "host-db-01"},
	{name: "value set or", query: "FIND Finding WITH severity = ('high' OR 'low')", want: "finding-002"},
	{name: "value set and on array", query: "FIND Host WITH ips = ('10.0.0.2' AND '10.0.0.3')", want: "host-db-01"},
	{name: "value set negated (De Morgan)", query: "FIND Host WITH hostname != ('web-1' OR 'db-1')", want: "host-idle-1"},
	{name: "value set numbers", query: "FIND Finding WITH numericSeverity = (4 or 3)", want: "finding-002"},
	{name: "undefined", query: "FIND Host WITH platform = undefined", want: "host-idle-1"},
	{name: "defined", query: "FIND Host WITH platform != undefined", want: "host-db-01,host-web-1"},
	{name: "null is undefined", query: "FIND qualys_vuln WITH production = undefined", want: "vuln-qid-100,vuln-qid-200"},
	{name: "boolean", query: "FIND Finding WITH open = true", want: "finding-001,finding-002"},
	{name: "boolean is not a string", query: "FIND Finding WITH status = true", want: ""},
	{name: "string is not a boolean", query: "FIND Finding WITH status = 'true'", want: "finding-003"},
	{name: "tag property", query: "FIND Host WITH tag.Production = true", want: "host-web-1"},
	{name: "bracket property", query: "FIND Host WITH [tag.Production] = true", want: "host-web-1"},
	{name: "date math", query: "FIND Finding WITH createdOn > date.now - 7 days", want: "finding-001"},
	{name: "date math compact", query: "FIND Finding WITH createdOn > date.now-1month", want: "finding-001,finding-002"},
	{name: "date on the left", query: "FIND Finding WITH date.now - 30 days < createdOn", want: "finding-001,finding-002"},
	{name: "iso date", query: "FIND Finding WITH createdOn < date(2026-02-01)", want: "finding-003"},
	{name: "metadata class", query: "FIND * WITH _class = 'Vulnerability'", want: "cve-2021-1,vuln-qid-100,vuln-qid-200"},
	{name: "metadata type", query: "FIND Host WITH _type = 'azure_vm'", want: "host-idle-1"},
	{name: "and binds tighter than or", query: "FIND Finding WITH open = true OR numericSeverity = 5 AND qid = 200", want: "finding-001,finding-002"},
	{name: "parentheses", query: "FIND Finding WITH (open = true OR numericSeverity = 5) AND qid = 100", want: "finding-001,finding-003"},
	{name: "WITH( without space", query: "FIND Finding WITH(qid = 200)", want: "finding-002"},
	// Traversals.
	{name: "traversal either direction", query: "FIND Finding THAT HAS Host", want: "finding-001,finding-002,finding-003"},
	{name: "traversal out", query: "FIND Host THAT HAS >> Finding", want: "host-db-01,host-web-1"},
	{name: "traversal wrong way", query: "FIND Finding THAT HAS >> Host", want: ""},
	{name: "traversal in", query: "FIND Finding THAT HAS << Host", want: "finding-001,finding-002,finding-003"},
	{name: "verb case-insensitive", query: "FIND Host that has Finding WITH qid = 200", want: "host-web-1"},
	{name: "verb union", query: "FIND Host THAT (HAS|SCANS) Service", want: "host-db-01,host-idle-1,host-web-1"},
	{name: "relates to", query: "FIND qualys_vuln THAT RELATES TO Finding WITH open = false", want: "vuln-qid-100"},
	{name: "relates to direction", query: "FIND Service THAT RELATES TO << Account", want: "service-vmdr"},
	{name: "chain", query: "FIND Service THAT SCANS Host THAT HAS Finding THAT IS Vulnerability WITH cvssScoreV3 > 9", want: "service-vmdr"},
	{name: "negation", query: "FIND Host THAT !HAS Finding", want: "host-idle-1"},
	{name: "negation with filter", query: "FIND Host THAT !HAS Finding WITH open = true", want: "host-db-01,host-idle-1"},
	{name: "negation of the whole remaining path", query: "FIND Host THAT !HAS Finding THAT IS qualys_vuln WITH qid = 200", want: "host-db-01,host-idle-1"},
	{name: "negation respects direction", query: "FIND Finding THAT !HAS >> Host", want: "finding-001,finding-002,finding-003"},
	{name: "optional group list keeps start", query: "FIND Host (THAT HAS Finding)? THAT IS Vulnerability", want: "host-db-01,host-web-1"},
	{name: "optional group then step", query: "FIND Host AS h (THAT HAS Finding)? AS x THAT IS qualys_vuln AS v RETURN h.hostname, v.qid", want: `{"h.hostname":"db-1","v.qid":100}
{"h.hostname":"web-1","v.qid":100}
{"h.hostname":"web-1","v.qid":200}`},
	{name: "optional group keeps both readings", query: "FIND Host WITH hostname != 'db-1' AS h (THAT HAS Finding WITH open = true AS f)? RETURN h.hostname, f.qid", want: `{"f.qid":100,"h.hostname":"web-1"}
{"f.qid":200,"h.hostname":"web-1"}
{"f.qid":null,"h.hostname":"idle"}
{"f.qid":null,"h.hostname":"web-1"}`},
	// Aliases, WHERE, RETURN.
	{name: "where across aliases", query: "FIND Finding AS f THAT IS qualys_vuln AS v WHERE f.qid = v.qid RETURN f._key, v._key", want: `{"f._key":"finding-001","v._key":"vuln-qid-100"}
{"f._key":"finding-002","v._key":"vuln-qid-200"}
{"f._key":"finding-003","v._key":"vuln-qid-100"}`},
	{name: "where on relationship alias", query: "FIND Service THAT SCANS AS s Host AS h WHERE s.lastScan > 15 RETURN h.hostname", want: `{"h.hostname":"db-1"}`},
	{name: "default aliases", query: "FIND Host THAT HAS qualys_host_finding WHERE qualys_host_finding.qid = 200 RETURN Host.hostname", want: `{"Host.hostname":"web-1"}`},
	{name: "default verb alias", query: "FIND Service THAT SCANS Host WHERE scans.lastScan = 10 RETURN Host.hostname", want: `{"Host.hostname":"web-1"}`},
	{name: "return as quoted and bracket", query: "FIND Host WITH hostname = 'idle' AS h RETURN h.[hostname] AS 'Host Name', h._type AS kind", want: `{"Host Name":"idle","kind":"azure_vm"}`},
	{name: "return star", query: "FIND qualys_vuln WITH qid = 200 AS v RETURN v.*", want: `{"v._beginOn":1772193600000,"v._class":["Vulnerability"],"v._deleted":false,"v._id":"ID","v._key":"vuln-qid-200","v._scope":"instance:j1ql-test","v._type":"qualys_vuln","v._version":1,"v.blocking":false,"v.category":"vulnerability","v.cvssScoreV3":5,"v.displayName":"vuln-qid-200","v.name":"vuln-qid-200","v.open":true,"v.production":null,"v.public":null,"v.qid":200,"v.severity":"none","v.title":"Weak cipher"}`},
	{name: "return whole alias", query: "FIND Host WITH hostname = 'idle' AS h RETURN h", want: `{"h":"host-idle-1"}`},
	{name: "arithmetic", query: "FIND Host WITH hostname = 'db-1' AS h RETURN h.cpus * 2 + 1 AS x, h.cpus / 16 AS y", want: `{"x":17,"y":0.5}`},
	{name: "concat and coalesce", query: "FIND Host WITH hostname = 'idle' AS h RETURN concat(h.hostname, '/', h.platform) AS c, coalesce(h.platform, 'none') AS p", want: `{"c":"idle/","p":"none"}`},
	// Aggregates.
	{name: "count grouped", query: "FIND Host AS h THAT HAS Finding AS f RETURN h.hostname, count(f)", want: `{"count(f)":1,"h.hostname":"db-1"}
{"count(f)":2,"h.hostname":"web-1"}`},
	{name: "count all", query: "FIND Host AS h THAT HAS Finding AS f RETURN count(h), count(f)", want: `{"count(f)":3,"count(h)":2}`},
	{name: "count distinct values", query: "FIND Finding AS f RETURN count(f.qid) AS qids", want: `{"qids":2}`},
	{name: "min max sum avg", query: "FIND Finding AS f RETURN min(f.numericSeverity) AS lo, max(f.numericSeverity) AS hi, sum(f.numericSeverity) AS total, avg(f.numericSeverity) AS mean", want: `{"hi":5,"lo":4,"mean":4.666666666666667,"total":14}`},
	{name: "aggregate arithmetic", query: "FIND Finding AS f RETURN sum(f.numericSeverity) * 2 AS twice", want: `{"twice":28}`},
	{name: "count with default alias", query: "FIND Host THAT HAS Finding RETURN Host._type, count(Finding)", want: `{"Host._type":"aws_instance","count(Finding)":2}
{"Host._type":"discovered_host","count(Finding)":1}`},
	{name: "alias before a negation counts", query: "FIND Host WITH hostname = 'idle' AS h THAT !HAS Finding AS f RETURN count(h) AS hosts", want: `{"hosts":1}`},
	{name: "having", query: "FIND Host AS h THAT HAS Finding AS f RETURN h.hostname AS host, count(f) AS n HAVING n > 1", want: `{"host":"web-1","n":2}`},
	{name: "unique", query: "FIND UNIQUE Finding AS f RETURN f.severity", want: `{"f.severity":"critical"}
{"f.severity":"high"}`},
	{name: "unique without return is a no-op", query: "FIND UNIQUE Host THAT HAS Finding", want: "host-db-01,host-web-1"},
	{name: "unwind", query: "FIND qualys_vuln AS v RETURN UNWIND(v.cveIds) AS cve", want: `{"cve":"CVE-2021-1"}
{"cve":"CVE-2021-2"}`},
	// Ordering and limits.
	{name: "order by several keys", ordered: true, query: "FIND Finding AS f RETURN f._key AS k ORDER BY f.numericSeverity DESC, f.createdOn ASC", want: `{"k":"finding-003"}
{"k":"finding-001"}
{"k":"finding-002"}`},
	{name: "order by output name", ordered: true, query: "FIND Host AS h THAT HAS Finding AS f RETURN h.hostname AS host, count(f) AS n ORDER BY n DESC", want: `{"host":"web-1","n":2}
{"host":"db-1","n":1}`},
	{name: "order list, missing last", ordered: true, query: "FIND Host AS h ORDER BY h.platform DESC", want: "host-db-01,host-web-1,host-idle-1"},
	{name: "skip and limit", ordered: true, query: "FIND Finding AS f ORDER BY f.createdOn SKIP 1 LIMIT 1", want: "finding-002"},
	// Trees.
	{name: "tree", query: "FIND Host WITH hostname = 'web-1' THAT HAS Finding RETURN TREE", want: "finding-001,finding-002,host-web-1 | HAS,HAS"},
	{name: "tree with optional group", query: "FIND Host WITH hostname != 'web-1' (THAT HAS Finding)? RETURN TREE", want: "finding-003,host-db-01,host-idle-1 | HAS"},
	// Deleted objects.
	{name: "deleted excluded", query: "FIND Host WITH hostname = 'gone'", want: ""},
	{name: "deleted on request", query: "FIND Host WITH hostname = 'gone' THAT HAS Finding", want: "host-gone-1", opts: j1ql.Options{IncludeDeleted: true}},
	{name: "deleted filter", query: "FIND Host WITH _deleted = true", want: "host-gone-1", opts: j1ql.Options{IncludeDeleted: true}},
	{name: "parameters", query: "FIND Host WITH hostname = ${name}", want: "host-idle-1", opts: j1ql.Options{Variables: map[string]any{"name": "idle"}}},
}

func TestSemantics(t *testing.T) {
	stores := openStores(t, loadSmallGraph)
	ctx := context.Background()
	for _, c := range semanticCases {
		t.Run(c.name, func(t *testing.T) {
			var first string
			for i, s := range stores {
				opts := c.opts
				opts.Now = testNow
				res, err := j1ql.Execute(ctx, s.st, c.query, opts)
				if err != nil {
					t.Fatalf("%s: %s: %v", s.name, c.query, err)
				}
				got := render(t, res, c.ordered)
				got = maskIDs(got)
				if got != c.want {
					t.Errorf("%s: %s\n got: %s\nwant: %s", s.name, c.query, got, c.want)
				}
				if i == 0 {
					first = got
				} else if got != first {
					t.Errorf("stores disagree on %s:\n%s: %s\n%s: %s", c.query, stores[0].name, first, s.name, got)
				}
			}
		})
	}
}

// maskIDs hides internal ids, which differ between stores.
func maskIDs(s string) string {
	for {
		i := strings.Index(s, `"v._id":"`)
		if i < 0 {
			return s
		}
		j := strings.Index(s[i+9:], `"`)
		if s[i+9:i+9+j] == "ID" {
			return s
		}
		s = s[:i+9] + "ID" + s[i+9+j:]
	}
}

func TestPaging(t *testing.T) {
	stores := openStores(t, loadSmallGraph)
	ctx := context.Background()
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			var keys []string
			cursor := ""
			for page := 0; page < 5; page++ {
				res, err := j1ql.Execute(ctx, s.st, "FIND Finding AS f ORDER BY f.qid", j1ql.Options{Limit: 2, Cursor: cursor})
				if err != nil {
					t.Fatal(err)
				}
				if res.TotalCount != 3 {
					t.Errorf("page %d: totalCount %d, want 3", page, res.TotalCount)
				}
				for _, row := range res.Data.([]map[string]any) {
					keys = append(keys, row["_key"].(string))
				}
				cursor = res.Cursor
				if cursor == "" {
					break
				}
			}
			if got := strings.Join(keys, ","); got != "finding-001,finding-003,finding-002" {
				t.Errorf("pages gave %s", got)
			}
			// A LIMIT caps the whole answer across pages; tables page too.
			for _, q := range []string{"FIND Finding AS f ORDER BY f.qid LIMIT 2", "FIND Finding AS f RETURN f._key LIMIT 2", "FIND Host THAT HAS Finding RETURN TREE LIMIT 2"} {
				var n int64
				cursor = ""
				for page := 0; page < 5; page++ {
					res, err := j1ql.Execute(ctx, s.st, q, j1ql.Options{Limit: 1, Cursor: cursor})
					if err != nil {
						t.Fatal(err)
					}
					if res.TotalCount != 2 {
						t.Errorf("%s page %d: totalCount %d, want 2", q, page, res.TotalCount)
					}
					n++
					if cursor = res.Cursor; cursor == "" {
						break
					}
				}
				if n != 2 {
					t.Errorf("%s: %d pages, want 2", q, n)
				}
			}
			// Counting stops CountLimit rows past the page: the total is then
			// a lower bound marked as an estimate.
			res, err := j1ql.Execute(ctx, s.st, "FIND Finding", j1ql.Options{Limit: 1, CountLimit: 1})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Estimate || res.TotalCount != 2 || res.Cursor == "" {
				t.Errorf("capped count: estimate %v, totalCount %d, cursor %q", res.Estimate, res.TotalCount, res.Cursor)
			}
			res, err = j1ql.Execute(ctx, s.st, "FIND Finding", j1ql.Options{Limit: 1, CountLimit: -1})
			if err != nil || res.Estimate || res.TotalCount != 3 {
				t.Errorf("exact count: %v, estimate %v, totalCount %d", err, res.Estimate, res.TotalCount)
			}
			if _, err := j1ql.Execute(ctx, s.st, "FIND Host", j1ql.Options{Cursor: "bogus"}); !errors.Is(err, j1ql.ErrBadCursor) {
				t.Errorf("a bad cursor gave %v, want ErrBadCursor", err)
			}
			if _, err := j1ql.Execute(ctx, s.st, "FIND Host", j1ql.Options{Cursor: res.Cursor}); !errors.Is(err, j1ql.ErrBadCursor) {
				t.Errorf("the cursor of another query gave %v, want ErrBadCursor", err)
			}
		})
	}
}

func TestExecuteErrors(t *testing.T) {
	st := openSQLite(t)
	cases := []struct{ query, want string }{
		{"FIND Host AS h RETURN x.name", "1:23: unknown alias x in RETURN; known aliases: Host, h"},
		{"FIND Host AS h WHERE y.name = 1", "1:22: unknown alias y in WHERE; known aliases: Host, h"},
		{"FIND Host AS h RETURN h.name + count(h)", "mixes per-row values with aggregates"},
		{"FIND Host WITH created > date(2026-13-45)", `bad date "2026-13-45"`},
		{"FIND Host WITH name ~= 5", "operator ~= needs a string"},
		{"FIND Host WITH name > undefined", "undefined can only be compared with = or !="},
		{"FIND Host AS h RETURN h.name ORDER BY nope", "ORDER BY nope is not a RETURN output name"},
		{"FIND Host AS h THAT HAS Finding AS h", "alias h is declared twice"},
		{"FIND Host WITH name = ${missing}", "no value for parameter ${missing}"},
		{"FIND Host" + strings.Repeat(" (THAT HAS Finding)?", 7), "too many optional groups"},
		{"FIND Host WITH name = /a(/", "bad regular expression"},
		{"FIND Host AS h RETURN h.a, count(count(h))", "aggregates cannot be nested"},
		// An alias inside a negated traversal names nothing: using it is an
		// error at the use, naming where it and the negation are.
		{"FIND Host THAT !HAS qualys_host_finding AS f RETURN count(f)", "1:59: alias f (declared at 1:44) is inside the negated traversal at 1:11, which matches no row, so RETURN cannot use it"},
		{"FIND Host THAT !HAS qualys_host_finding AS f RETURN f.qid", "1:53: alias f (declared at 1:44) is inside the negated traversal at 1:11"},
		{"FIND Host AS h THAT !HAS Finding AS f WHERE f.open = true", "1:45: alias f (declared at 1:37) is inside the negated traversal at 1:16, which matches no row, so WHERE cannot use it"},
		{"FIND Host AS h THAT !HAS Finding AS f RETURN h.name ORDER BY f.name", "1:62: alias f (declared at 1:37) is inside the negated traversal at 1:16, which matches no row, so ORDER BY cannot use it"},
		{"FIND Host AS h THAT !HAS AS r Finding RETURN count(r)", "1:52: alias r (declared at 1:29) is inside the negated traversal at 1:16"},
		{"FIND Host AS h THAT !HAS Finding THAT IS Vulnerability AS v RETURN v.name", "1:68: alias v (declared at 1:59) is inside the negated traversal at 1:16"},
		{"FIND Host THAT !HAS Finding RETURN Finding.name", "1:36: alias Finding (declared at 1:21) is inside the negated traversal at 1:11"},
		{"FIND Host\nTHAT !HAS Finding WITH name = '日本' AS f RETURN f.x", "2:48: alias f (declared at 2:39) is inside the negated traversal at 2:1"},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			_, err := j1ql.Execute(context.Background(), st, c.query, j1ql.Options{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
}
