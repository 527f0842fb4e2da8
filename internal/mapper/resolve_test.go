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

func TestSharedForwardTarget(t *testing.T) {
	st := openSQLite(t)
	cve := graph.Entity{Key: "cve-2021-44228", Type: "cve", Class: []string{"Vulnerability"}, Properties: graph.Properties{
		"name": "CVE-2021-44228", "displayName": "CVE-2021-44228", "category": "cve", "severity": nil,
		"blocking": false, "open": nil, "production": nil, "public": nil}}
	isCVE := func(f graph.Entity) graph.MappedRelationship {
		return graph.MappedRelationship{Key: graph.RelationshipKey(f.Key, "IS", cve.Key), Type: "qualys_host_finding_is_cve", Class: "IS",
			Direction: graph.Forward, SourceKey: f.Key, TargetFilterKeys: [][]string{{"_type", "_key"}}, TargetEntity: cve}
	}
	f1, f2 := findingEntity("11", int64(1)), findingEntity("12", int64(1))
	m := newTestMapper(st, nil)
	steps := []struct {
		name     string
		findings []graph.Entity
		wantRels int
		wantCVE  bool
	}{
		{"two findings share one cve", []graph.Entity{f1, f2}, 2, true},
		{"one finding left keeps the cve", []graph.Entity{f1}, 1, true},
		{"no finding left drops the cve", nil, 0, false},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			b := store.Batch{Entities: []graph.Entity{findingEntity("99", int64(9))}}
			for _, f := range s.findings {
				b.Entities = append(b.Entities, f)
				b.Mappings = append(b.Mappings, isCVE(f))
			}
			syncScope(t, st, qualysScope, b)
			resolve(t, m)
			rels := 0
			for _, f := range []graph.Entity{f1, f2} {
				if r := liveRel(t, st, graph.RelationshipKey(f.Key, "IS", cve.Key)); r != nil {
					rels++
					if got, want := endpoints(t, st, r), qualysScope+"/"+f.Key+" -> mapper/"+cve.Key; got != want {
						t.Errorf("endpoints = %s, want %s", got, want)
					}
				}
			}
			if rels != s.wantRels {
				t.Errorf("%d IS cve relationships, want %d", rels, s.wantRels)
			}
			if live := !entity(t, st, store.MapperScope, cve.Key).Deleted; live != s.wantCVE {
				t.Errorf("cve live = %v, want %v", live, s.wantCVE)
			}
		})
	}
}
