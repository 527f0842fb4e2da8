package j1ql

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/qgraph/qgraph/internal/store"
)

func sortStrings(s []string) { sort.Strings(s) }

// tableRows shapes table rows: decodes JSON cells, loads whole-alias
// objects and expands alias.* columns.
func (p *Plan) tableRows(ctx context.Context, st store.Store, rows [][]any) ([]map[string]any, []string, error) {
	entIDs, edgeIDs := map[int64]bool{}, map[int64]bool{}
	for _, r := range rows {
		for i, col := range p.columns {
			if r[i] == nil {
				continue
			}
			switch col.kind {
			case colEntity, colStar:
				entIDs[toInt(r[i])] = true
			case colEdge, colStarEdge:
				edgeIDs[toInt(r[i])] = true
			}
		}
	}
	ents, err := loadObjects(ctx, st, "entities", entIDs)
	if err != nil {
		return nil, nil, err
	}
	edges, err := loadObjects(ctx, st, "relationships", edgeIDs)
	if err != nil {
		return nil, nil, err
	}
	var cols []string
	seenCol := map[string]bool{}
	addCol := func(n string) {
		if !seenCol[n] {
			seenCol[n] = true
			cols = append(cols, n)
		}
	}
	if len(rows) == 0 {
		for _, col := range p.columns {
			if !col.hidden && col.kind != colStar && col.kind != colStarEdge {
				addCol(col.name)
			}
		}
	}
	data := make([]map[string]any, 0, len(rows))
	for _, r := range rows {
		row := map[string]any{}
		for i, col := range p.columns {
			if col.hidden {
				continue
			}
			switch col.kind {
			case colConst:
				row[col.name] = col.konst
				addCol(col.name)
			case colValue, colFloat:
				v, err := decodeJSON(r[i])
				if err != nil {
					return nil, nil, err
				}
				if col.kind == colFloat {
					switch x := v.(type) {
					case int64:
						v = float64(x)
					}
				}
				row[col.name] = v
				addCol(col.name)
			case colEntity, colEdge:
				var obj map[string]any
				if r[i] != nil {
					if col.kind == colEntity {
						obj = ents[toInt(r[i])]
					} else {
						obj = edges[toInt(r[i])]
					}
				}
				if obj == nil {
					row[col.name] = nil
				} else {
					row[col.name] = obj
				}
				addCol(col.name)
			case colStar, colStarEdge:
				var obj map[string]any
				if r[i] != nil {
					if col.kind == colStar {
						obj = ents[toInt(r[i])]
					} else {
						obj = edges[toInt(r[i])]
					}
				}
				keys := make([]string, 0, len(obj))
				for k := range obj {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					row[col.alias+"."+k] = obj[k]
					addCol(col.alias + "." + k)
				}
			}
		}
		data = append(data, row)
	}
	return data, cols, nil
}

// loadObjects reads entities or relationships by id as flat objects.
func loadObjects(ctx context.Context, st store.Store, table string, ids map[int64]bool) (map[int64]map[string]any, error) {
	out := map[int64]map[string]any{}
	list := make([]int64, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	sort.Slice(list, func(i, j int) bool { return list[i] < list[j] })
	c := &compiler{d: newDialect(st.Dialect())}
	for len(list) > 0 {
		n := min(len(list), 500)
		chunk := list[:n]
		list = list[n:]
		marks := make([]string, len(chunk))
		args := make([]any, len(chunk))
		for i, id := range chunk {
			marks[i] = "?"
			args[i] = id
		}
		cols := c.entityCols("x")
		if table == "relationships" {
			cols = c.edgeCols("x")
		}
		sql, args := finish(st.Dialect(), frag{s: "SELECT " + cols + " FROM " + table + " x WHERE x.id IN (" + strings.Join(marks, ", ") + ")", a: args})
		err := st.Query(ctx, sql, args, func(r []any) error {
			var obj map[string]any
			var err error
			if table == "relationships" {
				obj, err = edgeObject(r)
			} else {
				obj, err = entityObject(r)
			}
			if err != nil {
				return err
			}
			out[toInt(r[0])] = obj
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("load %s for results: %w", table, err)
		}
	}
	return out, nil
}

// runTree fetches the vertices and edges of a page of starting entities.
func (p *Plan) runTree(ctx context.Context, st store.Store, res *Result, fetch, offset int64) (int64, error) {
	tree := &Tree{Vertices: []Vertex{}, Edges: []Edge{}}
	sql, args := bindPage(p.Dialect, p.Page, fetch, offset)
	err := st.Query(ctx, sql, args, func(r []any) error {
		obj, err := entityObject(r)
		if err != nil {
			return err
		}
		tree.Vertices = append(tree.Vertices, vertexOf(obj))
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("run tree query: %w", err)
	}
	if p.Edges.s != "" {
		sql, args := bindPage(p.Dialect, p.Edges, fetch, offset)
		err := st.Query(ctx, sql, args, func(r []any) error {
			obj, err := edgeObject(r)
			if err != nil {
				return err
			}
			e := Edge{ID: obj["_id"].(string), FromVertexID: strconv.FormatInt(toInt(r[9]), 10), ToVertexID: strconv.FormatInt(toInt(r[10]), 10),
				Relationship: map[string]any{}, Properties: map[string]any{}}
			for k, v := range obj {
				if strings.HasPrefix(k, "_") || k == "displayName" {
					e.Relationship[k] = v
				} else {
					e.Properties[k] = v
				}
			}
			tree.Edges = append(tree.Edges, e)
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("run tree edges query: %w", err)
		}
	}
	res.Data = tree
	// The page holds up to fetch starting entities; Run learns the total
	// from the count query.
	return fetch, nil
}

// vertexOf splits a flat entity object into metadata and properties.
func vertexOf(obj map[string]any) Vertex {
	v := Vertex{ID: obj["_id"].(string), Entity: map[string]any{}, Properties: map[string]any{}}
	for k, x := range obj {
		if strings.HasPrefix(k, "_") || k == "displayName" {
			v.Entity[k] = x
		} else {
			v.Properties[k] = x
		}
	}
	return v
}
