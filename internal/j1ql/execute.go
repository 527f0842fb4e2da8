package j1ql

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
	"strings"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

// Result is one page of a query's answer, in the shapes of the J1QL API.
type Result struct {
	// Type is "list", "table" or "tree".
	Type string `json:"type"`
	// Data is []map[string]any for lists and tables, *Tree for trees.
	Data any `json:"data"`
	// TotalCount is the number of rows (list: entities; tree: starting
	// entities) of the whole answer, not just this page.
	TotalCount int64 `json:"totalCount"`
	// Estimate is set when TotalCount is a lower bound: counting stopped
	// Options.CountLimit rows past this page.
	Estimate bool `json:"estimate,omitempty"`
	// Cursor fetches the next page; "" on the last page.
	Cursor string `json:"cursor,omitempty"`
	// Columns lists table columns in RETURN order (list: the keys seen).
	Columns []string `json:"-"`
	// DateColumns lists the table columns that read a date property under
	// another name (h.lastScannedOn AS 'Last Scanned'); WriteTable prints
	// their epoch milliseconds as times.
	DateColumns []string `json:"-"`
}

// Tree is the graph of a RETURN TREE answer.
type Tree struct {
	Vertices []Vertex `json:"vertices"`
	Edges    []Edge   `json:"edges"`
}

// Vertex is an entity of a tree: metadata under Entity, the rest under
// Properties.
type Vertex struct {
	ID         string         `json:"id"`
	Entity     map[string]any `json:"entity"`
	Properties map[string]any `json:"properties"`
}

// Edge is a relationship of a tree.
type Edge struct {
	ID           string         `json:"id"`
	FromVertexID string         `json:"fromVertexId"`
	ToVertexID   string         `json:"toVertexId"`
	Relationship map[string]any `json:"relationship"`
	Properties   map[string]any `json:"properties"`
}

// Execute parses src, plans it for st's dialect and returns one page.
func Execute(ctx context.Context, st store.Store, src string, opts Options) (*Result, error) {
	q, err := Parse(src)
	if err != nil {
		return nil, err
	}
	p, err := Compile(src, q, st.Dialect(), opts)
	if err != nil {
		return nil, err
	}
	return p.Run(ctx, st, opts)
}

// cursorState is what a cursor encodes.
type cursorState struct {
	Query  uint64 `json:"q"`
	Offset int64  `json:"o"`
}

func queryHash(src string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(strings.Join(strings.Fields(src), " ")))
	return h.Sum64()
}

func encodeCursor(src string, off int64) string {
	b, _ := json.Marshal(cursorState{Query: queryHash(src), Offset: off})
	return base64.RawURLEncoding.EncodeToString(b)
}

// ErrBadCursor is wrapped by the error of a run given a cursor that is not
// one of its query's.
var ErrBadCursor = errors.New("bad cursor")

func decodeCursor(src, cur string) (int64, error) {
	if cur == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cur)
	var cs cursorState
	if err == nil {
		err = json.Unmarshal(b, &cs)
	}
	if err != nil || cs.Offset < 0 {
		return 0, fmt.Errorf("%w %q", ErrBadCursor, cur)
	}
	if cs.Query != queryHash(src) {
		return 0, fmt.Errorf("%w %q: it belongs to another query", ErrBadCursor, cur)
	}
	return cs.Offset, nil
}

// bindPage fills in the LIMIT and OFFSET markers of f.
func bindPage(d store.Dialect, f frag, limit, offset int64) (string, []any) {
	sql, args := finish(d, f)
	out := make([]any, len(args))
	for i, a := range args {
		switch a.(type) {
		case pageLimit:
			out[i] = limit
		case pageOffset:
			out[i] = offset
		default:
			out[i] = a
		}
	}
	return sql, out
}

// Run executes the plan and returns one page.
func (p *Plan) Run(ctx context.Context, st store.Store, opts Options) (*Result, error) {
	if st.Dialect() != p.Dialect {
		return nil, fmt.Errorf("run query: plan is for %s, store is %s", p.Dialect, st.Dialect())
	}
	pageSize := int64(opts.Limit)
	if pageSize <= 0 {
		pageSize = DefaultLimit
	}
	if pageSize > MaxLimit {
		return nil, fmt.Errorf("run query: page size %d is above the maximum %d", pageSize, MaxLimit)
	}
	off, err := decodeCursor(p.src, opts.Cursor)
	if err != nil {
		return nil, fmt.Errorf("run query: %w", err)
	}
	fetch := pageSize
	if p.limit > 0 {
		fetch = min(fetch, p.limit-off)
	}
	res := &Result{Type: p.Type}
	var got int64
	more := false
	if fetch > 0 {
		switch p.Type {
		case TypeTree:
			got, err = p.runTree(ctx, st, res, fetch, p.skip+off)
			if err == nil {
				more = true // decided by the count below
			}
		default:
			got, more, err = p.runRows(ctx, st, res, fetch, p.skip+off)
		}
		if err != nil {
			return nil, err
		}
	}
	if p.pageCounts && res.TotalCount >= 0 && got > 0 {
		total := max(res.TotalCount-p.skip, 0)
		if p.limit > 0 {
			total = min(total, p.limit)
		}
		res.TotalCount = total
		more = off+got < total
	} else if more || p.Type == TypeTree {
		limit := int64(opts.CountLimit)
		if limit == 0 {
			limit = DefaultCountLimit
		}
		countCap := int64(-1)
		if limit > 0 {
			countCap = p.skip + off + got + limit
		}
		n, err := p.count(ctx, st, countCap)
		if err != nil {
			return nil, err
		}
		res.Estimate = countCap >= 0 && n >= countCap
		total := max(n-p.skip, 0)
		if p.limit > 0 {
			total = min(total, p.limit)
		}
		res.TotalCount = total
		more = off+got < total
	} else {
		res.TotalCount = off + got
	}
	if more {
		res.Cursor = encodeCursor(p.src, off+got)
	}
	return res, nil
}

func (p *Plan) count(ctx context.Context, st store.Store, capRows int64) (int64, error) {
	sql, args := finish(p.Dialect, p.Count)
	for i, a := range args {
		if _, ok := a.(countCap); ok {
			args[i] = countCapValue(capRows)
		}
	}
	var n int64
	err := st.Query(ctx, sql, args, func(row []any) error {
		n = toInt(row[0])
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count query results: %w", err)
	}
	return n, nil
}

// runRows fetches a list or table page (one row more than asked, to know
// whether another page follows).
func (p *Plan) runRows(ctx context.Context, st store.Store, res *Result, fetch, offset int64) (int64, bool, error) {
	sql, args := bindPage(p.Dialect, p.Page, fetch+1, offset)
	var rows [][]any
	err := st.Query(ctx, sql, args, func(row []any) error {
		rows = append(rows, row)
		return nil
	})
	if err != nil {
		return 0, false, fmt.Errorf("run query: %w", err)
	}
	more := int64(len(rows)) > fetch
	if more {
		rows = rows[:fetch]
	}
	res.TotalCount = -1
	if p.pageCounts && len(rows) > 0 {
		last := len(rows[0]) - 1
		res.TotalCount = toInt(rows[0][last])
		for i := range rows {
			rows[i] = rows[i][:last]
		}
	}
	if p.Type == TypeList {
		data := make([]map[string]any, 0, len(rows))
		seen := map[string]bool{}
		for _, r := range rows {
			obj, err := entityObject(r)
			if err != nil {
				return 0, false, err
			}
			data = append(data, obj)
			for k := range obj {
				if !seen[k] {
					seen[k] = true
				}
			}
		}
		res.Data = data
		res.Columns = listColumns(seen)
		return int64(len(rows)), more, nil
	}
	data, cols, err := p.tableRows(ctx, st, rows)
	if err != nil {
		return 0, false, err
	}
	res.Data, res.Columns, res.DateColumns = data, cols, dateColumns(p.query)
	return int64(len(rows)), more, nil
}

// listColumns orders the keys of list rows: metadata first, then the rest
// alphabetically.
func listColumns(seen map[string]bool) []string {
	first := []string{"_type", "_key", "_class", "displayName", "name"}
	var cols []string
	for _, k := range first {
		if seen[k] {
			cols = append(cols, k)
			delete(seen, k)
		}
	}
	rest := make([]string, 0, len(seen))
	for k := range seen {
		rest = append(rest, k)
	}
	sortStrings(rest)
	return append(cols, rest...)
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	case bool:
		if x {
			return 1
		}
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	}
	return 0
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// decodeJSON decodes a JSON-text cell with the graph typing rules.
func decodeJSON(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	s := toString(v)
	if s == "" || s == "null" {
		return nil, nil
	}
	out, err := graph.UnmarshalValue([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("decode result value %q: %w", s, err)
	}
	return out, nil
}

// entityObject builds a flat entity object from the entity columns (id,
// key, type, classes, props, scope, version, begin_on, deleted).
func entityObject(r []any) (map[string]any, error) {
	obj := map[string]any{}
	if s := toString(r[4]); s != "" {
		var props graph.Properties
		if err := json.Unmarshal([]byte(s), &props); err != nil {
			return nil, fmt.Errorf("decode properties of entity %v: %w", r[0], err)
		}
		for k, v := range props {
			obj[k] = v
		}
	}
	var classes []any
	if s := toString(r[3]); s != "" {
		v, err := graph.UnmarshalValue([]byte(s))
		if err != nil {
			return nil, fmt.Errorf("decode classes of entity %v: %w", r[0], err)
		}
		classes, _ = v.([]any)
	}
	obj["_id"] = strconv.FormatInt(toInt(r[0]), 10)
	obj["_key"] = toString(r[1])
	obj["_type"] = toString(r[2])
	obj["_class"] = classes
	obj["_scope"] = toString(r[5])
	obj["_version"] = toInt(r[6])
	obj["_beginOn"] = toInt(r[7])
	obj["_deleted"] = toInt(r[8]) != 0
	return obj, nil
}

// edgeObject builds a flat relationship object from the edge columns.
func edgeObject(r []any) (map[string]any, error) {
	obj := map[string]any{}
	if s := toString(r[4]); s != "" {
		var props graph.Properties
		if err := json.Unmarshal([]byte(s), &props); err != nil {
			return nil, fmt.Errorf("decode properties of relationship %v: %w", r[0], err)
		}
		for k, v := range props {
			obj[k] = v
		}
	}
	obj["_id"] = strconv.FormatInt(toInt(r[0]), 10)
	obj["_key"] = toString(r[1])
	obj["_type"] = toString(r[2])
	obj["_class"] = toString(r[3])
	obj["_scope"] = toString(r[5])
	obj["_version"] = toInt(r[6])
	obj["_beginOn"] = toInt(r[7])
	obj["_deleted"] = toInt(r[8]) != 0
	obj["_fromEntityKey"] = toString(r[11])
	obj["_toEntityKey"] = toString(r[12])
	return obj, nil
}

// countCapValue is the LIMIT of a capped count; -1 means no cap.
func countCapValue(n int64) any {
	if n < 0 {
		return int64(math.MaxInt64)
	}
	return n
}

// PageSQL returns the statement and arguments of one page of the plan, as
// Run would send them (for EXPLAIN and benchmarks).
func (p *Plan) PageSQL(limit, offset int64) (string, []any) {
	return bindPage(p.Dialect, p.Page, limit, offset)
}
