package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"regexp"
	"testing"
)

// TestMergePlansUseIndexes guards the commit's set-based statements against
// plans that scan a whole store table: every one must drive from the
// staging tables or a scope range and reach stored rows by index.
func TestMergePlansUseIndexes(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t, "plans.db")
	st, err := openStage(ctx, db.sessions)
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	statements := map[string]string{
		"goneUnseenEntities": goneUnseenEntities, "goneNamedEntities": goneNamedEntities,
		"archiveGoneEntities": archiveGoneEntities, "deleteGoneEntities": deleteGoneEntities,
		"logGoneEntities": logGoneEntities, "cascadeGone": cascadeGone,
		"findChangedEntities": findChangedEntities, "archiveChangedEntities": archiveChangedEntities,
		"updateChangedEntities": updateChangedEntities, "dropChangedClasses": dropChangedClasses,
		"addChangedClasses": addChangedClasses, "logChangedEntities": logChangedEntities,
		"insertNewEntities": insertNewEntities, "addNewClasses": addNewClasses, "logNewEntities": logNewEntities,
		"resolveEnds": resolveEnds, "goneUnseenRels": goneUnseenRels, "goneNamedRels": goneNamedRels,
		"archiveGoneRels": archiveGoneRels, "deleteGoneRels": deleteGoneRels, "logGoneRels": logGoneRels,
		"findChangedRels": findChangedRels, "archiveChangedRels": archiveChangedRels,
		"updateChangedRels": updateChangedRels, "logChangedRels": logChangedRels,
		"insertNewRels": insertNewRels, "logNewRels": logNewRels,
		"goneUnseenMappings": goneUnseenMappings, "goneNamedMappings": goneNamedMappings,
		"findChangedMappings": findChangedMappings, "archiveChangedMappings": archiveChangedMappings,
		"updateChangedMappings": updateChangedMappings, "countChangedMappings": countChangedMappings,
		"insertNewMappings": insertNewMappings, "countNewMappings": countNewMappings,
		"queueGoneMappings": queueGoneMappings, "deleteGoneMappings": deleteGoneMappings,
		"countGoneMappings": countGoneMappings,
	}
	fullScan := regexp.MustCompile(`^SCAN (entities|relationships|mappings|entity_classes|changes|e|r|m)\b`)
	args := []any{sql.Named("scope", "instance:x"), sql.Named("job", "j"), sql.Named("now", int64(1)), sql.Named("max", int64(0)), sql.Named("base", int64(0))}
	for name, q := range statements {
		t.Run(name, func(t *testing.T) {
			rows, err := st.conn.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var (
					id, parent, unused int
					detail             string
				)
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				if fullScan.MatchString(detail) {
					t.Errorf("plan scans a store table: %s", detail)
				}
			}
		})
	}
}

// openTestDB opens a new store in the test's temporary directory, closed
// when the test ends.
func openTestDB(t *testing.T, name string) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), name), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
