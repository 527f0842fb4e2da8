package storetest

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

func runValueCases(t *testing.T, open Opener) {
	values := []struct {
		name  string
		value any
	}{
		{"string", "hello \"world\" ✓"},
		{"empty string", ""},
		{"int64", int64(42)},
		{"negative int64", int64(-7)},
		{"GCP id of 19 digits", int64(1234567890123456789)},
		{"max int64", int64(9223372036854775807)},
		{"float", 2.5},
		{"float with no fraction", 1.0},
		{"tiny float", 1e-300},
		{"true", true},
		{"false", false},
		{"null", nil},
		{"string array", []any{"a", "b"}},
		{"mixed array", []any{int64(1), 2.5, "x", true, nil}},
		{"empty array", []any{}},
		{"numeric-looking string", "000123"},
	}
	t.Run("round trip keeps types", func(t *testing.T) {
		s := openStore(t, open)
		props := []any{}
		for i, v := range values {
			props = append(props, fmt.Sprintf("p%02d", i), v.value)
		}
		props = append(props, "tag.AccountName", "prod-qualys", "tag.Env", "0042", "with space", "x", "dotted.name", int64(5))
		e := host("values", props...)
		r := has(e, host("other"), props...)
		sync(t, s, scopeA, 1, store.Batch{Entities: ents(e, host("other")), Relationships: rels(r)}, syncOpts{})
		got := getEntity(t, s, scopeA, e.Key)
		gotRel := getRel(t, s, scopeA, r.Key)
		for name, want := range e.Properties {
			label := name
			if len(name) == 3 && name[0] == 'p' {
				var i int
				fmt.Sscanf(name[1:], "%d", &i)
				label = values[i].name
			}
			gv, ok := got.Properties[name]
			if !ok || !graph.ValueEqual(gv, want) {
				t.Errorf("entity %s (%s): got %#v (present %v), want %#v", name, label, gv, ok, want)
			}
			if name == "name" || name == "displayName" {
				continue
			}
			rv, ok := gotRel.Properties[name]
			if !ok || !graph.ValueEqual(rv, want) {
				t.Errorf("relationship %s (%s): got %#v (present %v), want %#v", name, label, rv, ok, want)
			}
		}
		if len(got.Properties) != len(e.Properties) {
			t.Errorf("entity has %d properties, want %d", len(got.Properties), len(e.Properties))
		}
		res := sync(t, s, scopeA, 2, store.Batch{Entities: ents(e, host("other")), Relationships: rels(r)}, syncOpts{})
		wantCounts(t, "re-sync", res.Entities, "suite_host", store.TypeCounts{Unchanged: 2})
		wantCounts(t, "re-sync", res.Relationships, r.Type, store.TypeCounts{Unchanged: 1})
	})

	t.Run("typed property filters", func(t *testing.T) {
		s := openStore(t, open)
		batch := ents(
			host("int", "v", int64(1), "tag.Env", "prod"),
			host("float", "v", 1.0, "tag.Env", "prod"),
			host("string", "v", "1", "tag.Env", "dev"),
			host("bool", "v", true),
			host("null", "v", nil),
			host("big", "v", int64(1234567890123456789)),
			host("array", "v", []any{"a", "b"}),
		)
		sync(t, s, scopeA, 1, store.Batch{Entities: batch}, syncOpts{})
		cases := []struct {
			name  string
			props map[string]any
			want  []string
		}{
			{"int", map[string]any{"v": int64(1)}, []string{"int"}},
			{"float", map[string]any{"v": 1.0}, []string{"float"}},
			{"string", map[string]any{"v": "1"}, []string{"string"}},
			{"bool", map[string]any{"v": true}, []string{"bool"}},
			{"null", map[string]any{"v": nil}, []string{"null"}},
			{"big int", map[string]any{"v": int64(1234567890123456789)}, []string{"big"}},
			{"big int off by one", map[string]any{"v": int64(1234567890123456788)}, nil},
			{"array", map[string]any{"v": []any{"a", "b"}}, []string{"array"}},
			{"tag", map[string]any{"tag.Env": "prod"}, []string{"int", "float"}},
			{"two properties", map[string]any{"tag.Env": "prod", "v": 1.0}, []string{"float"}},
			{"missing property", map[string]any{"nope": "x"}, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.ListEntities(context.Background(), store.EntityFilter{Properties: tc.props})
				if err != nil {
					t.Fatal(err)
				}
				var keys []string
				for _, e := range got {
					keys = append(keys, e.Key)
				}
				var want []string
				for _, w := range tc.want {
					want = append(want, host(w).Key)
				}
				sort.Strings(keys)
				sort.Strings(want)
				if fmt.Sprint(keys) != fmt.Sprint(want) {
					t.Errorf("filter %v matched %v, want %v", tc.props, keys, want)
				}
			})
		}
	})
}
