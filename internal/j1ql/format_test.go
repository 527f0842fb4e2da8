package j1ql_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/qgraph/qgraph/internal/j1ql"
)

// noon is 2026-11-30T12:00:00Z in epoch milliseconds.
var noon = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC).UnixMilli()

func TestWriteTableDates(t *testing.T) {
	cases := []struct {
		name     string
		res      *j1ql.Result
		want     []string // substrings of the table
		wantNot  []string
		wantJSON string // the raw value JSON and CSV must keep
	}{
		{
			name: "list properties by name",
			res: &j1ql.Result{Type: "list", Columns: []string{"_key", "_beginOn", "firstFoundOn", "lastScannedOn", "createdAt", "publishDate"},
				Data: []map[string]any{{"_key": "h1", "_beginOn": noon, "firstFoundOn": noon + 1500, "lastScannedOn": float64(noon), "createdAt": noon, "publishDate": noon}}},
			want:     []string{"2026-11-30T12:00:00Z", "2026-11-30T12:00:01.5Z"},
			wantNot:  []string{"1796"},
			wantJSON: "1796",
		},
		{
			name: "table columns by property",
			res: &j1ql.Result{Type: "table", Columns: []string{"h.hostname", "h.lastScannedOn", "f.[firstFoundOn]"},
				Data: []map[string]any{{"h.hostname": "web-1", "h.lastScannedOn": noon, "f.[firstFoundOn]": noon}}},
			want:     []string{"web-1", "2026-11-30T12:00:00Z"},
			wantNot:  []string{"1796"},
			wantJSON: "1796",
		},
		{
			name: "renamed date column",
			res: &j1ql.Result{Type: "table", Columns: []string{"Host", "Last Scanned"}, DateColumns: []string{"Last Scanned"},
				Data: []map[string]any{{"Host": "web-1", "Last Scanned": noon}}},
			want:     []string{"2026-11-30T12:00:00Z"},
			wantNot:  []string{"1796"},
			wantJSON: "1796",
		},
		{
			name: "not dates",
			res: &j1ql.Result{Type: "table", Columns: []string{"count", "Hosts", "action", "On", "statusOn", "sizeAt", "lastSeenOn"},
				Data: []map[string]any{{"count": noon, "Hosts": noon, "action": noon, "On": noon, "statusOn": "pending", "sizeAt": 1.5, "lastSeenOn": int64(-5)}}},
			want:    []string{"1796", "pending", "1.5", "-5"},
			wantNot: []string{"2026-", "1969-", "1970-"},
		},
		{
			name: "null date",
			res: &j1ql.Result{Type: "table", Columns: []string{"h.hostname", "h.lastScannedOn"},
				Data: []map[string]any{{"h.hostname": "web-1", "h.lastScannedOn": nil}}},
			want:    []string{"web-1"},
			wantNot: []string{"1970-"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var table bytes.Buffer
			if err := j1ql.WriteTable(&table, tc.res); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(table.String(), w) {
					t.Errorf("table lacks %q:\n%s", w, table.String())
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(table.String(), w) {
					t.Errorf("table holds %q:\n%s", w, table.String())
				}
			}
			if tc.wantJSON == "" {
				return
			}
			var js, csv bytes.Buffer
			if err := j1ql.WriteJSON(&js, tc.res); err != nil {
				t.Fatal(err)
			}
			if err := j1ql.WriteCSV(&csv, tc.res); err != nil {
				t.Fatal(err)
			}
			for name, out := range map[string]string{"JSON": js.String(), "CSV": csv.String()} {
				if !strings.Contains(out, tc.wantJSON) || strings.Contains(out, "2026-11-30T") {
					t.Errorf("%s does not keep the epoch milliseconds:\n%s", name, out)
				}
			}
		})
	}
}

func TestIsDateColumn(t *testing.T) {
	cases := map[string]bool{
		"firstFoundOn": true, "lastScannedOn": true, "createdOn": true, "_beginOn": true, "f._createdOn": true,
		"v.[publishedDate]": true, "[lastSeenAt]": true, "updatedAt": true,
		"On": false, "Date": false, "name": false, "action": false, "h.hostname": false, "Hosts Impacted": false,
		"isOnline": false, "count(f)": false,
	}
	for name, want := range cases {
		if got := j1ql.IsDateColumn(name); got != want {
			t.Errorf("IsDateColumn(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestExecuteMarksRenamedDateColumns runs queries whose date columns carry
// other names, on both stores, and checks the table prints times.
func TestExecuteMarksRenamedDateColumns(t *testing.T) {
	for _, s := range openStores(t, loadSmallGraph) {
		t.Run(s.name, func(t *testing.T) {
			for _, q := range []string{
				"FIND qualys_host_finding WITH _key = 'finding-001' AS f RETURN f.displayName AS 'Finding', f.createdOn AS 'Created'",
				"FIND qualys_host_finding WITH qid = 100 AND open = true AS f RETURN f.qid AS 'QID', max(f.createdOn) AS 'Newest'",
			} {
				res, err := j1ql.Execute(context.Background(), s.st, q, j1ql.Options{Now: testNow})
				if err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				var table bytes.Buffer
				if err := j1ql.WriteTable(&table, res); err != nil {
					t.Fatal(err)
				}
				want := time.UnixMilli(testNow.UnixMilli() - 2*day).UTC().Format(time.RFC3339)
				if !strings.Contains(table.String(), want) {
					t.Errorf("%s: table lacks %s:\n%s", q, want, table.String())
				}
			}
		})
	}
}
