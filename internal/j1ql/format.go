package j1ql

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteJSON writes res as one JSON object: {"type", "data", "totalCount",
// "cursor"} (cursor only when another page follows).
func WriteJSON(w io.Writer, res *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		return fmt.Errorf("write JSON result: %w", err)
	}
	return nil
}

// WriteTable writes res as aligned columns for people. Trees are written
// as a table of vertices and a table of edges. Dates held as epoch
// milliseconds print as RFC 3339 UTC times (see IsDateColumn); JSON and CSV
// keep the raw numbers.
func WriteTable(w io.Writer, res *Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, rec := range recordsWith(res, tableCell(res)) {
		for i, c := range rec {
			rec[i] = strings.NewReplacer("\t", " ", "\n", " ").Replace(c)
		}
		fmt.Fprintln(tw, strings.Join(rec, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table result: %w", err)
	}
	return nil
}

// WriteCSV writes res as CSV with a header row.
func WriteCSV(w io.Writer, res *Result) error {
	cw := csv.NewWriter(w)
	if err := cw.WriteAll(records(res)); err != nil {
		return fmt.Errorf("write CSV result: %w", err)
	}
	return nil
}

// records renders res as a header and rows of text cells.
func records(res *Result) [][]string {
	return recordsWith(res, func(_ string, v any) string { return Cell(v) })
}

// tableCell renders the cells of a table for people: date columns as
// RFC 3339 times, the rest with Cell.
func tableCell(res *Result) func(col string, v any) string {
	dates := map[string]bool{}
	for _, c := range res.DateColumns {
		dates[c] = true
	}
	return func(col string, v any) string {
		if dates[col] || IsDateColumn(col) {
			if t, ok := EpochMillis(v); ok {
				return t.Format(time.RFC3339Nano)
			}
		}
		return Cell(v)
	}
}

// dateSuffixes end the names of properties that hold dates as epoch
// milliseconds (createdOn, _beginOn, lastSeenAt, publishDate).
var dateSuffixes = []string{"On", "At", "Date"}

// IsDateColumn reports whether a column or property name names a date by
// the naming convention of the data model: its last dotted part (without
// brackets) ends in On, At or Date after at least one other character, as
// in firstFoundOn, f.lastScannedOn, _beginOn or v.[publishedDate].
func IsDateColumn(name string) bool {
	name = strings.TrimSuffix(name, "]")
	if i := strings.LastIndexAny(name, ".["); i >= 0 {
		name = name[i+1:]
	}
	for _, suf := range dateSuffixes {
		if len(name) > len(suf) && strings.HasSuffix(name, suf) {
			return true
		}
	}
	return false
}

// maxEpochMillis is 9999-12-31T23:59:59.999Z, the last instant RFC 3339
// can write.
const maxEpochMillis = 253402300799999

// EpochMillis returns the UTC time of an epoch-milliseconds value: a
// non-negative integer (int64, or a float64 without a fraction) up to the
// year 9999. Anything else is not a date and returns false.
func EpochMillis(v any) (time.Time, bool) {
	var ms int64
	switch x := v.(type) {
	case int64:
		ms = x
	case float64:
		if x != math.Trunc(x) || x < 0 || x > maxEpochMillis {
			return time.Time{}, false
		}
		ms = int64(x)
	default:
		return time.Time{}, false
	}
	if ms < 0 || ms > maxEpochMillis {
		return time.Time{}, false
	}
	return time.UnixMilli(ms).UTC(), true
}

// dateColumns names the columns of a table answer whose RETURN item reads
// a date property, whatever the column is called: h.lastScannedOn AS
// 'Last Scanned', and min or max of such a property.
func dateColumns(q *Query) []string {
	if q == nil || q.Return == nil {
		return nil
	}
	var out []string
	for _, it := range q.Return.Items {
		e := it.Expr
		if c, ok := e.(*Call); ok && (c.Name == "min" || c.Name == "max") && len(c.Args) == 1 {
			e = c.Args[0]
		}
		r, ok := e.(*Ref)
		if !ok || r.Star || len(r.Parts) == 0 || len(r.Parts) == 1 && !r.Bracket {
			continue
		}
		if IsDateColumn(r.Parts[len(r.Parts)-1]) {
			out = append(out, it.Name())
		}
	}
	return out
}

// recordsWith renders res as a header and rows of text cells, each cell
// rendered by cell from its column name and value.
func recordsWith(res *Result, cell func(col string, v any) string) [][]string {
	switch data := res.Data.(type) {
	case []map[string]any:
		cols := res.Columns
		if len(cols) == 0 && len(data) > 0 {
			seen := map[string]bool{}
			for _, row := range data {
				for k := range row {
					seen[k] = true
				}
			}
			cols = listColumns(seen)
		}
		out := [][]string{append([]string(nil), cols...)}
		for _, row := range data {
			rec := make([]string, len(cols))
			for i, c := range cols {
				rec[i] = cell(c, row[c])
			}
			out = append(out, rec)
		}
		return out
	case *Tree:
		out := [][]string{{"kind", "id", "_type", "_key", "displayName", "from", "to"}}
		for _, v := range data.Vertices {
			out = append(out, []string{"vertex", v.ID, Cell(v.Entity["_type"]), Cell(v.Entity["_key"]), Cell(v.Entity["displayName"]), "", ""})
		}
		for _, e := range data.Edges {
			out = append(out, []string{"edge", e.ID, Cell(e.Relationship["_type"]), Cell(e.Relationship["_key"]), Cell(e.Relationship["_class"]), e.FromVertexID, e.ToVertexID})
		}
		return out
	}
	return nil
}

// Cell renders one result value as text: strings as they are, numbers in
// their shortest form, lists joined with ", ", entity objects by _key.
func Cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = Cell(e)
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		if k, ok := x["_key"].(string); ok {
			return k
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + Cell(x[k])
		}
		return strings.Join(parts, " ")
	}
	return fmt.Sprint(v)
}
