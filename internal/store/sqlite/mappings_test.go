package sqlite

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

// hostMapping is a mapped relationship whose target description is the
// same for every finding of host.
func hostMapping(finding, host string) graph.MappedRelationship {
	return graph.MappedRelationship{
		Key: finding + "|has|host-finding", Type: "suite_host_has_finding", Class: "HAS",
		Direction: graph.Reverse, SourceKey: finding,
		TargetFilterKeys: [][]string{{"_type", "_key"}},
		TargetEntity: graph.Entity{Key: host, Type: "suite_host", Class: []string{"Host"},
			Properties: graph.Properties{"name": host, "hostId": int64(7), "tags": []any{"a", "b"}}},
	}
}

func syncMappings(ctx context.Context, t *testing.T, db *DB, job string, ms ...graph.MappedRelationship) (*store.SyncResult, error) {
	t.Helper()
	sess, err := db.BeginSync(ctx, store.SyncParams{Scope: "instance:x", JobID: job})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Abort(ctx)
	if err := sess.Put(ctx, store.Batch{Mappings: ms}); err != nil {
		t.Fatal(err)
	}
	return sess.Commit(ctx, store.CommitParams{})
}

// TestMappingTargetsStoredOnce checks that mappings describing the same
// target share one stored description and read back whole.
func TestMappingTargetsStoredOnce(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t, "targets.db")
	if _, err := syncMappings(ctx, t, db, "job-1", hostMapping("f1", "h1"), hostMapping("f2", "h1"), hostMapping("f3", "h2")); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.writer.QueryRowContext(ctx, `SELECT count(*) FROM mapping_targets`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("%d stored target descriptions, want 2 (one per host)", n)
	}
	got, err := db.ListMappings(ctx, store.MappingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("ListMappings returned %d, want 3", len(got))
	}
	for _, m := range got {
		p := m.TargetEntity.Properties
		if p["name"] != m.TargetEntity.Key || p["hostId"] != int64(7) || len(p["tags"].([]any)) != 2 {
			t.Errorf("mapping %s target properties = %v", m.Key, p)
		}
	}
	// A changed description is a changed mapping.
	changed := hostMapping("f1", "h1")
	changed.TargetEntity.Properties["hostId"] = int64(8)
	res, err := syncMappings(ctx, t, db, "job-2", changed, hostMapping("f2", "h1"), hostMapping("f3", "h2"))
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Mappings["suite_host_has_finding"]; c.Updated != 1 || c.Unchanged != 2 {
		t.Errorf("counts after a changed description = %+v, want 1 updated, 2 unchanged", c)
	}
}

// TestMappingBodiesBeforeTargetsTable reads a mapping written before
// migration 004, whose body holds its target description.
func TestMappingBodiesBeforeTargetsTable(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t, "legacy.db")
	body := `{"direction":"REVERSE","sourceKey":"f1","targetFilterKeys":[["_type","_key"]],"targetKey":"h1","targetType":"suite_host","targetClass":["Host"],"targetProperties":{"hostId":7,"name":"h1"},"skipTargetCreation":false,"properties":{}}`
	if _, err := db.writer.ExecContext(ctx, `INSERT INTO mappings (scope, key, type, class, body, version, begin_on, deleted, job_id, seq)
		VALUES ('instance:x', 'f1|has|host-finding', 'suite_host_has_finding', 'HAS', ?, 1, 0, 0, 'job-0', 1)`, body); err != nil {
		t.Fatal(err)
	}
	got, err := db.ListMappings(ctx, store.MappingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].TargetEntity.Properties["hostId"] != int64(7) || got[0].TargetEntity.Key != "h1" {
		t.Fatalf("legacy mapping reads back as %+v", got)
	}
	// The same mapping synced again is rewritten in the new layout: a
	// changed row (its body differs), with the same target properties.
	res, err := syncMappings(ctx, t, db, "job-1", hostMapping("f1", "h1"))
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Mappings["suite_host_has_finding"]; c.Updated != 1 {
		t.Errorf("counts = %+v, want the legacy row updated", c)
	}
}

// TestMappingTargetIDClash refuses a commit whose description hashes to
// the id of a different stored description, and changes nothing.
func TestMappingTargetIDClash(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t, "clash.db")
	m := hostMapping("f1", "h1")
	enc, err := encodeMapping(&m, new([]byte))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.writer.ExecContext(ctx, `INSERT INTO mapping_targets (id, props) VALUES (?, '{"other":true}')`, enc.targetID); err != nil {
		t.Fatal(err)
	}
	_, err = syncMappings(ctx, t, db, "job-1", m)
	if err == nil || !strings.Contains(err.Error(), "hash to the id of another") {
		t.Fatalf("commit error = %v, want a clash error", err)
	}
	got, err := db.ListMappings(ctx, store.MappingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("a refused commit stored %d mappings", len(got))
	}
}

// TestMappingBodiesBeforeSourceKey reads a mapping written between
// migrations 004 and 005: its body holds everything but the target
// properties, which its target row holds. Synced again, it is rewritten in
// the current layout as an update, and its target description is stored
// anew.
func TestMappingBodiesBeforeSourceKey(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t, "v4.db")
	body := `{"direction":"REVERSE","sourceKey":"f1","targetFilterKeys":[["_type","_key"]],"targetKey":"h1","targetType":"suite_host","targetClass":["Host"],"skipTargetCreation":false,"properties":{}}`
	props := `{"hostId":7,"name":"h1","tags":["a","b"]}`
	if _, err := db.writer.ExecContext(ctx, `INSERT INTO mapping_targets (id, props) VALUES (42, ?)`, props); err != nil {
		t.Fatal(err)
	}
	if _, err := db.writer.ExecContext(ctx, `INSERT INTO mappings (scope, key, type, class, body, target, version, begin_on, deleted, job_id, seq)
		VALUES ('instance:x', 'f1|has|host-finding', 'suite_host_has_finding', 'HAS', ?, 42, 1, 0, 0, 'job-0', 1)`, body); err != nil {
		t.Fatal(err)
	}
	got, err := db.ListMappings(ctx, store.MappingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := hostMapping("f1", "h1")
	want.Properties = graph.Properties{}
	if len(got) != 1 || !reflect.DeepEqual(got[0].MappedRelationship, want) {
		t.Fatalf("mapping of the 004 layout reads back as %+v, want %+v", got, want)
	}
	res, err := syncMappings(ctx, t, db, "job-1", hostMapping("f1", "h1"))
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Mappings["suite_host_has_finding"]; c.Updated != 1 {
		t.Errorf("counts = %+v, want the 004-layout row updated", c)
	}
	got, err = db.ListMappings(ctx, store.MappingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !reflect.DeepEqual(got[0].MappedRelationship, want) {
		t.Fatalf("rewritten mapping reads back as %+v, want %+v", got, want)
	}
}

// TestMappingRoundTrip writes mappings whose parts need escaping or are
// empty and reads them back unchanged.
func TestMappingRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		m    graph.MappedRelationship
	}{
		{"escaped strings", graph.MappedRelationship{
			Key: `f"1|has|<h>`, Type: "suite_host_has_finding", Class: "HAS", Direction: graph.Reverse, SourceKey: "f\"1\n\u2028é",
			TargetFilterKeys: [][]string{{"_class", "qualysQwebHostId"}, {"_type", "_key"}},
			TargetEntity: graph.Entity{Key: "h&<1>", Type: "suite_host", Class: []string{"Host", "Device"},
				Properties: graph.Properties{"qualysQwebHostId": int64(9), "name": "a\"b"}},
			SkipTargetCreation: true,
			Properties:         graph.Properties{"weight": 1.5, "note": "x"},
		}},
		{"no target key or type", graph.MappedRelationship{
			Key: "finding-2|is|cve", Type: "suite_finding_is_cve", Class: "IS", Direction: graph.Forward, SourceKey: "f2",
			TargetFilterKeys: [][]string{{"cveId"}},
			TargetEntity:     graph.Entity{Properties: graph.Properties{"cveId": "CVE-2021-1"}},
			Properties:       graph.Properties{},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db := openTestDB(t, "rt.db")
			if _, err := syncMappings(ctx, t, db, "job-1", tt.m); err != nil {
				t.Fatal(err)
			}
			got, err := db.ListMappings(ctx, store.MappingFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || !reflect.DeepEqual(got[0].MappedRelationship, tt.m) {
				t.Fatalf("read back %+v, want %+v", got, tt.m)
			}
			res, err := syncMappings(ctx, t, db, "job-2", tt.m)
			if err != nil {
				t.Fatal(err)
			}
			if c := res.Mappings[tt.m.Type]; c.Unchanged != 1 {
				t.Errorf("the same mapping again counts %+v, want unchanged", c)
			}
		})
	}
}

// TestDecodedTargetsGenerations keeps at most two generations of decoded
// descriptions and brings an entry read from the older one back.
func TestDecodedTargetsGenerations(t *testing.T) {
	var c decodedTargets
	first := &mappingBody{TargetKey: "first"}
	c.put(0, first)
	for id := int64(1); id < decodedTargetsPerGeneration; id++ {
		c.put(id, &mappingBody{})
	}
	c.put(decodedTargetsPerGeneration, &mappingBody{}) // starts a second generation
	if got, ok := c.get(0); !ok || got != first {
		t.Fatalf("entry of the previous generation: got %v, %v", got, ok)
	}
	for id := int64(decodedTargetsPerGeneration + 1); id < 3*decodedTargetsPerGeneration; id++ {
		c.put(id, &mappingBody{})
	}
	if _, ok := c.get(1); ok {
		t.Error("an entry two generations old is still kept")
	}
	if n := len(c.cur) + len(c.prev); n > 2*decodedTargetsPerGeneration {
		t.Errorf("%d entries kept, want at most %d", n, 2*decodedTargetsPerGeneration)
	}
}

// TestListMappingsPagesShareTargets pages through mappings of one target
// and checks that later pages reuse the description decoded by the first.
func TestListMappingsPagesShareTargets(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t, "pages.db")
	if _, err := syncMappings(ctx, t, db, "job-1", hostMapping("f1", "h1"), hostMapping("f2", "h1")); err != nil {
		t.Fatal(err)
	}
	first, err := db.ListMappings(ctx, store.MappingFilter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	second, err := db.ListMappings(ctx, store.MappingFilter{AfterSeq: first[0].Seq, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 1 || len(second) != 1 {
		t.Fatalf("pages of %d and %d mappings, want 1 and 1", len(first), len(second))
	}
	if &first[0].TargetFilterKeys[0] != &second[0].TargetFilterKeys[0] {
		t.Error("the second page decoded the target description again")
	}
	if second[0].SourceKey != "f2" || second[0].TargetEntity.Key != "h1" {
		t.Errorf("second page = %+v", second[0].MappedRelationship)
	}
}
