package j1ql

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
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
// as a table of vertices and a table of edges.
func WriteTable(w io.Writer, res *Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, rec := range records(res) {
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
				rec[i] = Cell(row[c])
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
