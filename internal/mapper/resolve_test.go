package mapper

import (
	"testing"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

func TestInvalidTargetDescription(t *testing.T) {
	st := openSQLite(t)
	f := findingEntity("9", int64(1))
	host := hostEntity("discovered_host", "Host:12688456999", 12688456999)
	host.Class = nil // a target description without a class cannot become an entity
	syncScope(t, st, qualysScope, store.Batch{Entities: []graph.Entity{f},
		Mappings: []graph.MappedRelationship{hostHasFinding(f.Key, host, []string{"qualysQwebHostId"})}})
	rep := resolve(t, newTestMapper(st, nil))
	if rep.InvalidTargets != 1 || rep.Unresolved != 1 || rep.PlaceholdersCreated != 0 {
		t.Errorf("report = %+v, want 1 invalid target, 1 unresolved, no placeholder", rep)
	}
}

func TestSeveralMatches(t *testing.T) {
	st := openSQLite(t)
	f := findingEntity("7", int64(1))
	syncScope(t, st, qualysScope, store.Batch{Entities: []graph.Entity{f},
		Mappings: []graph.MappedRelationship{hostHasFinding(f.Key, hostEntity("discovered_host", "Host:12688456777", 777), []string{"_class", "qualysQwebHostId"})}})
	// Two inventories both know a host with QWEB id 777.
	a, b := store.UploadScope("cmdb"), store.UploadScope("edr")
	syncScope(t, st, a, store.Batch{Entities: []graph.Entity{hostEntity("cmdb_server", "server-000777", 777)}})
	syncScope(t, st, b, store.Batch{Entities: []graph.Entity{hostEntity("edr_agent", "agent-000777", 777)}})
	m := newTestMapper(st, nil)
	rep := resolve(t, m)
	if rep.PlaceholdersCreated != 0 || rep.RelationshipsPut != 2 {
		t.Fatalf("report = %+v, want 2 relationships and no placeholder", rep)
	}
	base := graph.RelationshipKey(f.Key, "HAS", "Host:12688456777")
	for _, want := range []string{
		base + "||" + a + "|server-000777",
		base + "||" + b + "|agent-000777",
	} {
		if liveRel(t, st, want) == nil {
			t.Errorf("relationship %s is missing", want)
		}
	}
	// One inventory drops the host: the other match keeps the mapping's
	// own key.
	syncScope(t, st, b, store.Batch{Entities: []graph.Entity{hostEntity("edr_agent", "agent-000001", 1)}})
	resolve(t, m)
	if liveRel(t, st, base) == nil {
		t.Errorf("relationship %s is missing after one match went", base)
	}
	if liveRel(t, st, base+"||"+a+"|server-000777") != nil {
		t.Error("the suffixed key of a single match is still live")
	}
}
