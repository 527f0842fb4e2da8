package mapper

import (
	"fmt"
	"testing"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

// hostDesc returns a discovered host's target description: a name, the
// QWEB id and the given properties.
func hostDesc(kv ...any) graph.Properties {
	p := graph.Properties{"name": "host-1", "displayName": "host-1", "qualysQwebHostId": int64(12688456922)}
	for i := 0; i+1 < len(kv); i += 2 {
		p[kv[i].(string)] = kv[i+1]
	}
	return p
}

// fillMapping describes one mapping of a fill test: a finding HAS the
// discovered host of key (discKey when empty) described by desc, found by
// filter (_class and QWEB id when nil).
type fillMapping struct {
	desc   graph.Properties
	key    string
	filter []string
}

// fillStep adds mappings, resolves, and checks the placeholder discKey
// and the report.
type fillStep struct {
	add              []fillMapping
	want             graph.Properties // properties the placeholder must have
	created, updated int64
}

func TestPlaceholderFills(t *testing.T) {
	tests := []struct {
		name  string
		steps []fillStep
	}{
		{"descriptions of one run merge", []fillStep{
			{add: []fillMapping{{desc: hostDesc("os", "linux")}, {desc: hostDesc("fqdn", "h1.example.com")}},
				want: hostDesc("os", "linux", "fqdn", "h1.example.com"), created: 1},
		}},
		{"the same description adds nothing", []fillStep{
			{add: []fillMapping{{desc: hostDesc("os", "linux")}, {desc: hostDesc("os", "linux")}}, want: hostDesc("os", "linux"), created: 1},
			{add: []fillMapping{{desc: hostDesc("os", "linux")}}, want: hostDesc("os", "linux")},
		}},
		{"a later run fills out the stored placeholder", []fillStep{
			{add: []fillMapping{{desc: hostDesc("os", "linux")}}, want: hostDesc("os", "linux"), created: 1},
			{add: []fillMapping{{desc: hostDesc("fqdn", "h1.example.com")}}, want: hostDesc("os", "linux", "fqdn", "h1.example.com"), updated: 1},
			{add: []fillMapping{{desc: hostDesc("os", "linux")}}, want: hostDesc("os", "linux", "fqdn", "h1.example.com")},
		}},
		{"a later description changes a value", []fillStep{
			{add: []fillMapping{{desc: hostDesc("os", "linux")}}, want: hostDesc("os", "linux"), created: 1},
			{add: []fillMapping{{desc: hostDesc("os", "windows")}, {desc: hostDesc("os", "windows")}}, want: hostDesc("os", "windows"), updated: 1},
		}},
		{"a fill that would make the stored placeholder invalid is dropped", []fillStep{
			{add: []fillMapping{{desc: hostDesc("os", "linux")}}, want: hostDesc("os", "linux"), created: 1},
			{add: []fillMapping{{desc: hostDesc("displayName", int64(5), "fqdn", "h1.example.com")}}, want: hostDesc("os", "linux")},
		}},
		{"missing names default to the key", []fillStep{
			{add: []fillMapping{{desc: graph.Properties{"qualysQwebHostId": int64(12688456922)}}},
				want: graph.Properties{"name": discKey, "displayName": discKey, "qualysQwebHostId": int64(12688456922)}, created: 1},
		}},
		{"a filter first used after the placeholder was made finds it", []fillStep{
			{add: []fillMapping{{desc: hostDesc("hostname", "h1")}, {desc: hostDesc("hostname", "h1"), key: "Host:other-host", filter: []string{"hostname"}}},
				want: hostDesc("hostname", "h1"), created: 1},
		}},
	}
	for _, pageSize := range []int{1, 100} {
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%s/page size %d", tc.name, pageSize), func(t *testing.T) {
				eachStore(t, func(t *testing.T, st store.Store) { runFillSteps(t, st, pageSize, tc.steps) })
			})
		}
	}
}

// runFillSteps runs the steps of a fill test against st.
func runFillSteps(t *testing.T, st store.Store, pageSize int, steps []fillStep) {
	m := New(st, Options{Now: testClock.now, PageSize: pageSize})
	var b store.Batch
	for i, step := range steps {
		for j, fm := range step.add {
			f := findingEntity(fmt.Sprintf("%d-%d", i, j), nil)
			host := graph.Entity{Key: discKey, Type: "discovered_host", Class: []string{"Host"}, Properties: fm.desc}
			if fm.key != "" {
				host.Key = fm.key
			}
			filter := fm.filter
			if filter == nil {
				filter = []string{"_class", "qualysQwebHostId"}
			}
			b.Entities = append(b.Entities, f)
			b.Mappings = append(b.Mappings, hostHasFinding(f.Key, host, filter))
		}
		syncScope(t, st, qualysScope, b)
		rep := resolve(t, m)
		if rep.PlaceholdersCreated != step.created || rep.PlaceholdersUpdated != step.updated {
			t.Errorf("step %d: %d placeholders created, %d updated; want %d, %d", i, rep.PlaceholdersCreated, rep.PlaceholdersUpdated, step.created, step.updated)
		}
		e := entity(t, st, store.MapperScope, discKey)
		if !e.Properties.Equal(step.want) {
			t.Errorf("step %d: placeholder properties = %v, want %v", i, e.Properties, step.want)
		}
		for _, fm := range step.add {
			if fm.key != "" {
				if _, err := st.GetEntity(t.Context(), store.MapperScope, fm.key); err == nil {
					t.Errorf("step %d: a placeholder %s was made though a filter finds %s", i, fm.key, discKey)
				}
			}
		}
	}
}
