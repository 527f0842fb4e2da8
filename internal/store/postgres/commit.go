package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/qgraph/qgraph/internal/store"
)

// objectKind describes how one kind of object is merged: its tables, the
// columns a new version carries, and the SQL that compares staged objects
// with stored ones.
type objectKind struct {
	kind     store.ObjectKind
	table    string // current versions
	versions string // earlier versions
	diff     string // temporary table: staged objects with their fate
	gone     string // temporary table: objects to soft-delete
	// payload lists the columns copied from the diff table on create and
	// update (the key, scope and system columns aside).
	payload []string
	// history lists the columns copied into the versions table besides the
	// system columns.
	history []string
	// seq is set for mappings, whose seq is bumped on every change.
	seq bool
	// stage is the staging table.
	stage string
	// diffSQL selects the diff table's rows: the last staged object per
	// key, its stored id and st: c(reate), u(pdate), r(evive), s(ame) or
	// x (dangling relationship). {{where}} is where the WHERE clause that
	// keeps only the last word on each key goes.
	diffSQL string
}

var (
	entityKind = objectKind{
		kind: store.KindEntity, table: "entities", versions: "entity_versions",
		diff: "diff_entities", gone: "gone_entities", stage: "stage_entities",
		payload: []string{"type", "classes", "props", "hash"},
		history: []string{"type", "classes", "props"},
		diffSQL: `SELECT m.key, m.type, m.classes, m.props, m.hash, o.id,
       CASE WHEN o.id IS NULL THEN 'c' WHEN o.deleted THEN 'r' WHEN o.hash <> m.hash THEN 'u' ELSE 's' END AS st
FROM stage_entities m
LEFT JOIN entities o ON o.scope = @scope AND o.key = m.key
{{where}}`,
	}
	relationshipKind = objectKind{
		kind: store.KindRelationship, table: "relationships", versions: "relationship_versions",
		diff: "diff_relationships", gone: "gone_relationships", stage: "stage_relationships",
		payload: []string{"type", "class", "from_id", "to_id", "props", "hash"},
		history: []string{"type", "class", "from_id", "to_id", "props"},
		diffSQL: `SELECT m.key, m.type, m.class, f.id AS from_id, t.id AS to_id, m.props, m.hash, o.id,
       CASE WHEN f.id IS NULL OR t.id IS NULL THEN 'x' WHEN o.id IS NULL THEN 'c' WHEN o.deleted THEN 'r'
            WHEN o.hash <> m.hash THEN 'u' ELSE 's' END AS st
FROM stage_relationships m
LEFT JOIN entities f ON f.scope = m.from_scope AND f.key = m.from_key AND NOT f.deleted
LEFT JOIN entities t ON t.scope = m.to_scope AND t.key = m.to_key AND NOT t.deleted
LEFT JOIN relationships o ON o.scope = @scope AND o.key = m.key
{{where}}`,
	}
	mappingKind = objectKind{
		kind: store.KindMapping, table: "mappings", versions: "mapping_versions",
		diff: "diff_mappings", gone: "gone_mappings", stage: "stage_mappings",
		payload: []string{"type", "class", "spec", "props", "hash"},
		history: []string{"type", "class", "spec", "props", "seq"},
		seq:     true,
		diffSQL: `SELECT m.key, m.type, m.class, m.spec, m.props, m.hash, o.id,
       CASE WHEN o.id IS NULL THEN 'c' WHEN o.deleted THEN 'r' WHEN o.hash <> m.hash THEN 'u' ELSE 's' END AS st
FROM stage_mappings m
LEFT JOIN mappings o ON o.scope = @scope AND o.key = m.key
{{where}}`,
	}
)

// committer runs the merge of one Commit.
type committer struct {
	s       *session
	tx      pgx.Tx
	now     int64
	partial []string
	res     store.SyncResult
	// goneEntities counts the entities deleted by this commit, whose
	// relationships must go too.
	goneEntities int64
}

// run applies the staged objects in one transaction and reports the effect.
func (c *committer) run(ctx context.Context) (*store.SyncResult, error) {
	tx, err := c.s.conn.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	c.tx = tx
	c.res = store.SyncResult{
		Entities:      map[string]store.TypeCounts{},
		Relationships: map[string]store.TypeCounts{},
		Mappings:      map[string]store.TypeCounts{},
	}
	if _, err := tx.Exec(ctx, "SET LOCAL work_mem = '256MB'"); err != nil {
		return nil, fmt.Errorf("set work_mem: %w", err)
	}
	for _, k := range []*objectKind{&entityKind, &relationshipKind, &mappingKind} {
		if err := c.merge(ctx, k); err != nil {
			return nil, fmt.Errorf("merge %s: %w", k.table, err)
		}
	}
	if err := c.dangling(ctx); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The commit itself is not cancellable: a cancel arriving during it
	// must not leave it unknown whether the transaction was applied.
	if err := tx.Commit(context.WithoutCancel(ctx)); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return &c.res, nil
}

// args returns the named arguments every merge statement may use.
func (c *committer) args() pgx.NamedArgs {
	return pgx.NamedArgs{"scope": c.s.p.Scope, "job": c.s.p.JobID, "now": c.now, "partial": c.partial}
}

// exec runs one statement of the merge, naming it in errors.
func (c *committer) exec(ctx context.Context, what, sql string) error {
	start := time.Now()
	tag, err := c.tx.Exec(ctx, sql, c.args())
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	c.s.db.log.Debug("sync statement", "scope", c.s.p.Scope, "step", what, "rows", tag.RowsAffected(), "duration", time.Since(start))
	return nil
}

// merge creates, updates, revives and deletes the objects of one kind.
func (c *committer) merge(ctx context.Context, k *objectKind) error {
	latest, err := c.latestFilter(ctx, k)
	if err != nil {
		return err
	}
	diff := strings.Replace(k.diffSQL, "{{where}}", where(latest), 1)
	if err := c.exec(ctx, "compare staged objects", "CREATE TEMP TABLE "+k.diff+" ON COMMIT DROP AS "+diff); err != nil {
		return err
	}
	// A small sample is enough for the planner to size the joins with the
	// diff table, and much cheaper than the default.
	if _, err := c.tx.Exec(ctx, "SET LOCAL default_statistics_target = 10; ANALYZE "+k.diff+"; SET LOCAL default_statistics_target TO DEFAULT"); err != nil {
		return fmt.Errorf("analyze staged objects: %w", err)
	}
	totals, err := c.count(ctx, k, "SELECT type, st, count(*) FROM "+k.diff+" WHERE st <> 'x' GROUP BY type, st")
	if err != nil {
		return err
	}
	if totals["u"]+totals["r"] > 0 {
		if err := c.applyChanges(ctx, k); err != nil {
			return err
		}
	}
	if totals["c"] > 0 {
		if err := c.applyCreates(ctx, k, totals["c"]); err != nil {
			return err
		}
	}
	if err := c.exec(ctx, "find objects to delete", "CREATE TEMP TABLE "+k.gone+" ON COMMIT DROP AS "+c.goneSQL(k)); err != nil {
		return err
	}
	gone, err := c.count(ctx, k, "SELECT type, 'd', count(*) FROM "+k.gone+" GROUP BY type")
	if err != nil {
		return err
	}
	if gone["d"] == 0 {
		return nil
	}
	if k == &entityKind {
		c.goneEntities = gone["d"]
	}
	return c.exec(ctx, "delete objects", deleteSQL(k))
}

// applyChanges writes the new versions of changed and revived objects.
func (c *committer) applyChanges(ctx context.Context, k *objectKind) error {
	if k == &entityKind {
		if err := c.exec(ctx, "update entity classes", `DELETE FROM entity_classes ec USING diff_entities d
			WHERE d.st IN ('u', 'r') AND ec.entity_id = d.id AND NOT (d.classes::jsonb ? ec.class)`); err != nil {
			return err
		}
		if err := c.exec(ctx, "update entity classes", `INSERT INTO entity_classes (entity_id, class)
			SELECT d.id, cl.v FROM diff_entities d, jsonb_array_elements_text(d.classes::jsonb) AS cl(v)
			WHERE d.st IN ('u', 'r') ON CONFLICT DO NOTHING`); err != nil {
			return err
		}
	}
	return c.exec(ctx, "update changed objects", updateSQL(k))
}

// applyCreates inserts the new objects, through the bulk-load path when
// they are many.
func (c *committer) applyCreates(ctx context.Context, k *objectKind, creates int64) error {
	rebuild, err := c.dropIndexesForBulk(ctx, k, creates)
	if err != nil {
		return err
	}
	if err := c.exec(ctx, "create new objects", createSQL(k)); err != nil {
		return err
	}
	for _, def := range rebuild {
		if err := c.exec(ctx, "rebuild index", def); err != nil {
			return err
		}
	}
	if rebuild != nil {
		// The planner must know of the new rows for the statements that
		// follow (relationships join the entities just created).
		if err := c.exec(ctx, "analyze after bulk load", "ANALYZE "+k.table); err != nil {
			return err
		}
	}
	return nil
}

// where renders conditions as a WHERE clause; none gives "".
func where(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return "WHERE " + strings.Join(conds, " AND ")
}

// latestFilter returns the conditions that keep, of the objects staged
// under one key, only the last, and drop it when a later delete names the
// key. Keys staged more than once are found with one hash aggregate; most
// syncs have none and get no condition at all.
func (c *committer) latestFilter(ctx context.Context, k *objectKind) ([]string, error) {
	var conds []string
	dups := "dup_" + k.stage
	tag, err := c.tx.Exec(ctx, "CREATE TEMP TABLE "+dups+" ON COMMIT DROP AS SELECT key, max(ord) AS ord FROM "+k.stage+" GROUP BY key HAVING count(*) > 1")
	if err != nil {
		return nil, fmt.Errorf("find keys staged twice: %w", err)
	}
	if tag.RowsAffected() > 0 {
		conds = append(conds, "NOT EXISTS (SELECT 1 FROM "+dups+" dd WHERE dd.key = m.key AND dd.ord > m.ord)")
	}
	if c.s.deletes > 0 {
		conds = append(conds, fmt.Sprintf("NOT EXISTS (SELECT 1 FROM stage_deletes x WHERE x.kind = '%s' AND x.key = m.key AND x.ord > m.ord)", k.kind))
	}
	return conds, nil
}

// stagedAsText lists the columns staged as JSON text that the permanent
// tables hold as jsonb.
var stagedAsText = map[string]bool{"classes": true, "props": true, "spec": true}

// fromDiff renders a payload column read from the diff table d.
func fromDiff(col string) string {
	if stagedAsText[col] {
		return "d." + col + "::jsonb"
	}
	return "d." + col
}

// defaultBulkCreates is the number of new objects from which a commit that
// at least doubles a table drops its secondary indexes and builds them
// again afterwards: building an index from sorted rows is many times faster
// than inserting a million rows into it one by one.
const defaultBulkCreates = 50000

// dropIndexesForBulk drops the secondary indexes of k's table when this
// commit creates enough objects to make rebuilding them cheaper, and
// returns the statements that rebuild them. The drop holds an exclusive
// lock on the table until the commit ends, so readers wait for a bulk
// load instead of seeing it half done.
func (c *committer) dropIndexesForBulk(ctx context.Context, k *objectKind, creates int64) ([]string, error) {
	if creates < c.s.db.bulkCreates {
		return nil, nil
	}
	var existing int64
	if err := c.tx.QueryRow(ctx, "SELECT count(*) FROM "+k.table).Scan(&existing); err != nil {
		return nil, fmt.Errorf("count stored objects: %w", err)
	}
	if creates < existing {
		return nil, nil
	}
	rows, err := c.tx.Query(ctx, `SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
		FROM pg_index i WHERE i.indrelid = $1::regclass AND NOT i.indisprimary AND NOT i.indisunique`, k.table)
	if err != nil {
		return nil, fmt.Errorf("list indexes of %s: %w", k.table, err)
	}
	var names, defs []string
	var name, def string
	if _, err := pgx.ForEachRow(rows, []any{&name, &def}, func() error {
		names, defs = append(names, name), append(defs, def)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list indexes of %s: %w", k.table, err)
	}
	// Take the table's exclusive lock only if it comes at once: waiting in
	// the lock queue behind (and in front of) other syncs could deadlock.
	// When the table is busy the load goes the ordinary way.
	if _, err := c.tx.Exec(ctx, "SAVEPOINT bulk_load; SET LOCAL lock_timeout = '200ms'"); err != nil {
		return nil, fmt.Errorf("prepare bulk load: %w", err)
	}
	if _, err := c.tx.Exec(ctx, "LOCK TABLE "+k.table+" IN ACCESS EXCLUSIVE MODE"); err != nil {
		if _, rerr := c.tx.Exec(ctx, "ROLLBACK TO SAVEPOINT bulk_load"); rerr != nil {
			return nil, fmt.Errorf("give up bulk load: %w", rerr)
		}
		c.s.db.log.Debug("table busy, no bulk load", "table", k.table, "err", err)
		return nil, nil
	}
	if _, err := c.tx.Exec(ctx, "SET LOCAL lock_timeout = 0; RELEASE SAVEPOINT bulk_load"); err != nil {
		return nil, fmt.Errorf("prepare bulk load: %w", err)
	}
	if _, err := c.tx.Exec(ctx, "SET LOCAL maintenance_work_mem = '256MB'"); err != nil {
		return nil, fmt.Errorf("set maintenance_work_mem: %w", err)
	}
	for _, n := range names {
		if err := c.exec(ctx, "drop index for bulk load", "DROP INDEX "+n); err != nil {
			return nil, err
		}
	}
	return defs, nil
}

// updateSQL archives the current version of every changed or revived
// object, logs the change and writes the new version.
func updateSQL(k *objectKind) string {
	hist := strings.Join(k.history, ", ")
	var set []string
	for _, col := range k.payload {
		set = append(set, col+" = "+fromDiff(col))
	}
	if k.seq {
		set = append(set, "seq = nextval('mapping_seq')")
	}
	return `WITH old AS MATERIALIZED (
    SELECT o.*, d.type AS new_type, d.st FROM ` + k.table + ` o JOIN ` + k.diff + ` d ON d.id = o.id
    WHERE d.st IN ('u', 'r')
), v AS (
    INSERT INTO ` + k.versions + ` (id, version, scope, key, ` + hist + `, begin_on, end_on, deleted, job_id)
    SELECT id, version, scope, key, ` + hist + `, begin_on, @now, deleted, job_id FROM old
), c AS (
    INSERT INTO changes (scope, kind, key, type, op, object_id, version, job_id, at)
    SELECT scope, '` + string(k.kind) + `', key, new_type, CASE WHEN st = 'r' THEN 'created' ELSE 'updated' END,
           id, version + 1, @job, @now FROM old ORDER BY key
)
UPDATE ` + k.table + ` o SET ` + strings.Join(set, ", ") + `,
    version = o.version + 1, begin_on = @now, deleted = false, job_id = @job
FROM ` + k.diff + ` d WHERE o.id = d.id AND d.st IN ('u', 'r')`
}

// createSQL inserts the new objects and logs their creation.
func createSQL(k *objectKind) string {
	var vals []string
	for _, col := range k.payload {
		vals = append(vals, fromDiff(col))
	}
	insCols, insVals := strings.Join(k.payload, ", "), strings.Join(vals, ", ")
	if k.seq {
		insCols += ", seq"
		insVals += ", nextval('mapping_seq')"
	}
	returning := "id, key, type"
	final := "SELECT count(*) FROM ins"
	if k == &entityKind {
		returning += ", classes"
		final = `INSERT INTO entity_classes (entity_id, class)
SELECT ins.id, cl.v FROM ins, jsonb_array_elements_text(ins.classes) AS cl(v)`
	}
	return `WITH ins AS (
    INSERT INTO ` + k.table + ` (scope, key, ` + insCols + `, version, begin_on, deleted, job_id)
    SELECT @scope, d.key, ` + insVals + `, 1, @now, false, @job FROM ` + k.diff + ` d WHERE d.st = 'c'
    RETURNING ` + returning + `
), c AS (
    INSERT INTO changes (scope, kind, key, type, op, object_id, version, job_id, at)
    SELECT @scope, '` + string(k.kind) + `', key, type, 'created', id, 1, @job, @now FROM ins
)
` + final
}

// goneSQL selects the objects this commit deletes: in Replace mode those of
// the scope it did not see, except partial types; in Merge mode those
// named by deletes (unless put again later). Relationships touching a
// deleted entity, in any scope, go too.
func (c *committer) goneSQL(k *objectKind) string {
	var sql string
	if c.s.p.Mode == store.Replace {
		sql = `SELECT o.id, o.type FROM ` + k.table + ` o
WHERE o.scope = @scope AND NOT o.deleted AND o.type <> ALL(@partial::text[])
  AND NOT EXISTS (SELECT 1 FROM ` + k.diff + ` d WHERE d.key = o.key AND d.st <> 'x')`
	} else {
		sql = `SELECT o.id, o.type FROM ` + k.table + ` o
JOIN (SELECT DISTINCT x.key FROM stage_deletes x WHERE x.kind = '` + string(k.kind) + `'
      AND NOT EXISTS (SELECT 1 FROM ` + k.diff + ` d WHERE d.key = x.key)) k
  ON o.scope = @scope AND o.key = k.key
WHERE NOT o.deleted`
	}
	if k == &relationshipKind && c.goneEntities > 0 {
		sql += `
UNION
SELECT r.id, r.type FROM relationships r
WHERE NOT r.deleted AND (r.from_id IN (SELECT id FROM gone_entities) OR r.to_id IN (SELECT id FROM gone_entities))`
	}
	return sql
}

// deleteSQL archives and soft-deletes the objects of the gone table.
func deleteSQL(k *objectKind) string {
	hist := strings.Join(k.history, ", ")
	seq := ""
	if k.seq {
		seq = ", seq = nextval('mapping_seq')"
	}
	return `WITH old AS MATERIALIZED (
    SELECT o.* FROM ` + k.table + ` o JOIN ` + k.gone + ` g ON g.id = o.id
), v AS (
    INSERT INTO ` + k.versions + ` (id, version, scope, key, ` + hist + `, begin_on, end_on, deleted, job_id)
    SELECT id, version, scope, key, ` + hist + `, begin_on, @now, deleted, job_id FROM old
), c AS (
    INSERT INTO changes (scope, kind, key, type, op, object_id, version, job_id, at)
    SELECT scope, '` + string(k.kind) + `', key, type, 'deleted', id, version + 1, @job, @now FROM old ORDER BY key
)
UPDATE ` + k.table + ` o SET version = o.version + 1, begin_on = @now, deleted = true, job_id = @job` + seq + `
FROM ` + k.gone + ` g WHERE o.id = g.id`
}

// count adds to the result the counts per type and fate that sql selects
// (type, st, count) and returns the totals per fate.
func (c *committer) count(ctx context.Context, k *objectKind, sql string) (map[string]int64, error) {
	counts := map[store.ObjectKind]map[string]store.TypeCounts{
		store.KindEntity: c.res.Entities, store.KindRelationship: c.res.Relationships, store.KindMapping: c.res.Mappings,
	}[k.kind]
	rows, err := c.tx.Query(ctx, sql)
	if err != nil {
		return nil, fmt.Errorf("count changes: %w", err)
	}
	defer rows.Close()
	totals := map[string]int64{}
	for rows.Next() {
		var typ, st string
		var n int64
		if err := rows.Scan(&typ, &st, &n); err != nil {
			return nil, fmt.Errorf("count changes: %w", err)
		}
		totals[st] += n
		tc := counts[typ]
		switch st {
		case "c", "r":
			tc.Created += n
		case "u":
			tc.Updated += n
		case "s":
			tc.Unchanged += n
		case "d":
			tc.Deleted += n
		}
		counts[typ] = tc
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count changes: %w", err)
	}
	return totals, nil
}

// maxDangling caps SyncResult.Dangling.
const maxDangling = 100

// dangling reports the staged relationships whose endpoints do not exist.
func (c *committer) dangling(ctx context.Context) error {
	if err := c.tx.QueryRow(ctx, "SELECT count(*) FROM diff_relationships WHERE st = 'x'").Scan(&c.res.DanglingCount); err != nil {
		return fmt.Errorf("count dangling relationships: %w", err)
	}
	if c.res.DanglingCount == 0 {
		return nil
	}
	rows, err := c.tx.Query(ctx, "SELECT key FROM diff_relationships WHERE st = 'x' ORDER BY key LIMIT $1", maxDangling)
	if err != nil {
		return fmt.Errorf("list dangling relationships: %w", err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("list dangling relationships: %w", err)
	}
	c.res.Dangling = keys
	return nil
}
