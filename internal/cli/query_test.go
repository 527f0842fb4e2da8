package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func runQueryCmd(t *testing.T, dsn string, args ...string) (string, string, error) {
	t.Helper()
	f, out, errOut := testFactory()
	f.DSN = dsn
	cmd := NewRootCmd(f)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func TestQueryExplain(t *testing.T) {
	cases := []struct {
		name    string
		dsn     string
		query   string
		wantOut string
		wantErr string
	}{
		{name: "sqlite", dsn: "x.db", query: "FIND Host WITH open = true AS h RETURN count(h)", wantOut: "json_extract"},
		{name: "postgres", dsn: "postgres://u@127.0.0.1:1/db", query: "FIND Host THAT HAS Finding", wantOut: "$1"},
		{name: "syntax error", dsn: "x.db", query: "FIND Host THAT", wantErr: "1:15: expected a relationship verb, found end of query"},
		{name: "unknown alias", dsn: "x.db", query: "FIND Host AS h RETURN x.name", wantErr: "unknown alias x"},
		{name: "parameter", dsn: "x.db", query: "FIND Host WITH port = ${port} AND name = '{{host}}'", wantOut: `2=8443 3="web-1"`},
		{name: "missing placeholder", dsn: "x.db", query: "FIND Host WITH name = '{{other}}'", wantErr: "no value for {{other}}"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, _, err := runQueryCmd(t, c.dsn, "query", "--explain", "--var", "port=8443", "--var", "host=web-1", c.query)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil || !strings.Contains(out, c.wantOut) {
				t.Fatalf("err %v, output:\n%s\nwant it to contain %q", err, out, c.wantOut)
			}
		})
	}
}

func TestQueryJSONOnEmptyStore(t *testing.T) {
	dsn := newEmptyStore(t)
	for _, format := range []string{"json", "table", "csv"} {
		out, _, err := runQueryCmd(t, dsn, "query", "--format", format, "FIND Host AS h RETURN count(h) AS n")
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if format != "json" {
			if !strings.Contains(out, "n") {
				t.Errorf("%s output lacks the header: %q", format, out)
			}
			continue
		}
		var got struct {
			Type       string           `json:"type"`
			Data       []map[string]any `json:"data"`
			TotalCount int64            `json:"totalCount"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("decode %q: %v", out, err)
		}
		if got.Type != "table" || got.TotalCount != 1 || len(got.Data) != 1 || got.Data[0]["n"] != float64(0) {
			t.Errorf("got %+v", got)
		}
	}
	if _, _, err := runQueryCmd(t, dsn, "query", "--format", "xml", "FIND Host"); err == nil {
		t.Error("--format xml was accepted")
	}
}

func TestQuestionsCommands(t *testing.T) {
	dsn := newEmptyStore(t)
	out, _, err := runQueryCmd(t, dsn, "questions", "list")
	if err != nil || !strings.Contains(out, "qualys-open-findings-by-severity") {
		t.Fatalf("list: %v\n%s", err, out)
	}
	out, _, err = runQueryCmd(t, dsn, "questions", "run", "qualys-open-findings-by-severity", "--format", "json")
	if err != nil || !strings.Contains(out, `"answers"`) {
		t.Fatalf("run: %v\n%s", err, out)
	}
	if _, _, err := runQueryCmd(t, dsn, "questions", "run", "nope"); err == nil {
		t.Error("running an unknown question succeeded")
	}
}
