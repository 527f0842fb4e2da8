package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/qgraph/qgraph/internal/store"
)

// stagedKind describes how one object kind is staged: its columns (after
// key, all NOT NULL), from which both of its tables are made. Put appends
// every object to the kind's log table in arrival order, each row with the
// session's next seq: appending touches only the last page of the table,
// whatever the order of the keys, so staging stays cheap when the staged
// data outgrows the page cache. Commit sorts each log into the kind's stage
// table, keyed by _key, so that the latest Put of a key wins and the merge
// statements read the staged objects in key order.
type stagedKind struct {
	kind    store.ObjectKind
	name    string      // entities, relationships, mappings
	columns [][2]string // name and type of each column after key
	// wide kinds have rows that often outgrow what a WITHOUT ROWID table
	// keeps on a 4 KiB page (about 1,000 bytes a row; the rest goes to an
	// overflow page): their stage table is a rowid table with a unique
	// key index instead. Sorted in key order, its rowids follow the keys.
	wide bool
}

// stagedKinds are the object kinds a sync session stages.
var stagedKinds = []stagedKind{
	{store.KindEntity, "entities", [][2]string{{"type", "TEXT"}, {"classes", "TEXT"}, {"props", "TEXT"}}, true},
	{store.KindRelationship, "relationships", [][2]string{{"type", "TEXT"}, {"class", "TEXT"}, {"from_scope", "TEXT"},
		{"from_key", "TEXT"}, {"to_scope", "TEXT"}, {"to_key", "TEXT"}, {"props", "TEXT"}}, false},
	{store.KindMapping, "mappings", [][2]string{{"type", "TEXT"}, {"class", "TEXT"}, {"source_key", "TEXT"}, {"body", "TEXT"},
		{"target", "INTEGER"}}, false},
}

// log and table are the kind's log and stage tables.
func (k stagedKind) log() string   { return "temp.log_" + k.name }
func (k stagedKind) table() string { return "temp.stage_" + k.name }

// cols lists the staged columns in the order of an encodedBatch row, then
// seq; width is their number.
func (k stagedKind) cols() string {
	names := []string{"key"}
	for _, c := range k.columns {
		names = append(names, c[0])
	}
	return strings.Join(append(names, "seq"), ", ")
}

// colsOf is cols with each column qualified by the table alias a.
func (k stagedKind) colsOf(a string) string {
	names := strings.Split(k.cols(), ", ")
	for i, n := range names {
		names[i] = a + "." + n
	}
	return strings.Join(names, ", ")
}

func (k stagedKind) width() int { return len(k.columns) + 2 }

// definitions returns the CREATE TABLE bodies of the kind's log and stage
// tables.
func (k stagedKind) definitions() []string {
	var body strings.Builder
	for _, c := range k.columns {
		body.WriteString(",\n\t\t" + c[0] + " " + c[1] + " NOT NULL")
	}
	stage := "stage_" + k.name + " (\n\t\tkey TEXT PRIMARY KEY" + body.String() + ",\n\t\tseq INTEGER NOT NULL\n\t) WITHOUT ROWID"
	if k.wide {
		stage = "stage_" + k.name + " (\n\t\tkey TEXT NOT NULL UNIQUE" + body.String() + ",\n\t\tseq INTEGER NOT NULL\n\t)"
	}
	return []string{"log_" + k.name + " (\n\t\tseq INTEGER PRIMARY KEY,\n\t\tkey TEXT NOT NULL" + body.String() + "\n\t)", stage}
}

// stageTables returns the temporary tables of a sync session: the log and
// stage tables of each staged kind, the staged mapping target
// descriptions, the staged deletes, which keep the seq of their latest
// request so that a Put after a Delete of the same key cancels it and the
// reverse, and the work tables of Commit. They live in the session
// connection's TEMP schema: private to the connection, and gone with it or
// with the process.
func stageTables() []string {
	var defs []string
	for _, k := range stagedKinds {
		defs = append(defs, k.definitions()...)
	}
	return append(defs,
		`stage_targets (id INTEGER PRIMARY KEY, props TEXT NOT NULL)`,
		`stage_deletes (
		kind TEXT NOT NULL,
		key  TEXT NOT NULL,
		seq  INTEGER NOT NULL,
		PRIMARY KEY (kind, key)
	) WITHOUT ROWID`,
		`partial_types (type TEXT PRIMARY KEY) WITHOUT ROWID`,
		`gone (id INTEGER PRIMARY KEY)`,
		`gone_rels (id INTEGER PRIMARY KEY)`,
		`changed (id INTEGER PRIMARY KEY, key TEXT NOT NULL, was_deleted INTEGER NOT NULL, classes_changed INTEGER NOT NULL)`,
		`rel_ends (key TEXT PRIMARY KEY, from_id INTEGER, to_id INTEGER) WITHOUT ROWID`,
		`map_changed (id INTEGER PRIMARY KEY, was_deleted INTEGER NOT NULL, seq INTEGER NOT NULL)`,
	)
}

// stageTableName returns the name of a stageTables entry.
func stageTableName(def string) string {
	for i := 0; i < len(def); i++ {
		if def[i] == ' ' {
			return def[:i]
		}
	}
	return def
}

// stage is the connection of one sync session and its temporary tables.
type stage struct {
	conn *sql.Conn
	// seq is the last seq handed to a staged object or delete.
	seq int64
	// deletes counts the Deletes staged, so sort skips applying them when
	// there are none.
	deletes int
	// lastKey holds, per object kind, the last key staged while the keys
	// have come in increasing order; such objects go straight into the
	// stage table, where appending in key order is as cheap as appending
	// to the log. Once a key comes out of order, that kind uses the log.
	lastKey  map[store.ObjectKind]string
	unsorted map[store.ObjectKind]bool
	// targets holds the ids of the mapping target descriptions staged so
	// far, so each distinct description is staged once.
	targets map[int64]bool
}

// openStage takes a connection from pool and creates empty staging tables
// on it.
func openStage(ctx context.Context, pool *sql.DB) (*stage, error) {
	conn, err := pool.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("open sync session connection: %w", err)
	}
	st := &stage{conn: conn, lastKey: map[store.ObjectKind]string{}, unsorted: map[store.ObjectKind]bool{}, targets: map[int64]bool{}}
	for _, def := range stageTables() {
		name := stageTableName(def)
		if _, err := conn.ExecContext(ctx, `DROP TABLE IF EXISTS temp.`+name); err != nil {
			st.close()
			return nil, fmt.Errorf("reset staging table %s: %w", name, err)
		}
		if _, err := conn.ExecContext(ctx, `CREATE TEMP TABLE `+def); err != nil {
			st.close()
			return nil, fmt.Errorf("create staging table %s: %w", name, err)
		}
	}
	return st, nil
}

// close drops the staging tables and hands the connection back.
func (s *stage) close() error {
	var errs []error
	ctx := context.Background()
	for _, def := range stageTables() {
		if _, err := s.conn.ExecContext(ctx, `DROP TABLE IF EXISTS temp.`+stageTableName(def)); err != nil {
			errs = append(errs, err)
			break
		}
	}
	errs = append(errs, s.conn.Close())
	return errors.Join(errs...)
}

// rowsPerInsert is how many rows one staging INSERT carries.
const rowsPerInsert = 64

// put appends an encoded batch to the log tables in one staging
// transaction, objects first, then the batch's deletes.
func (s *stage) put(ctx context.Context, b *encodedBatch) error {
	tx, err := s.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin staging transaction: %w", err)
	}
	defer tx.Rollback()
	seq := s.seq
	byKind := map[store.ObjectKind][][]any{
		store.KindEntity: b.entities, store.KindRelationship: b.relationships, store.KindMapping: b.mappings,
	}
	for _, k := range stagedKinds {
		rows := byKind[k.kind]
		for i := range rows {
			seq++
			rows[i] = append(rows[i], seq)
		}
		inOrder := s.inOrder(k.kind, rows)
		if err := insertRows(ctx, tx, k.table(), k.cols(), k.width(), rows[:inOrder]); err != nil {
			return fmt.Errorf("stage %ss: %w", k.kind, err)
		}
		if err := insertRows(ctx, tx, k.log(), k.cols(), k.width(), rows[inOrder:]); err != nil {
			return fmt.Errorf("stage %ss: %w", k.kind, err)
		}
	}
	var targets [][]any
	for _, t := range b.targets {
		if id := t[0].(int64); !s.targets[id] {
			s.targets[id] = true
			targets = append(targets, t)
		}
	}
	if err := insertRows(ctx, tx, "temp.stage_targets", "id, props", 2, targets); err != nil {
		return fmt.Errorf("stage mapping target descriptions: %w", err)
	}
	for _, d := range b.deletes {
		seq++
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO temp.stage_deletes (kind, key, seq) VALUES (?, ?, ?)`, d[0], d[1], seq); err != nil {
			return fmt.Errorf("stage delete of %s %s: %w", d[0], d[1], err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit staging transaction: %w", err)
	}
	s.seq = seq
	s.deletes += len(b.deletes)
	return nil
}

// inOrder returns how many leading rows continue the increasing key order
// of kind (keys are never empty, so the first key always does); from the
// first row that breaks it, the kind is unsorted for the rest of the
// session.
func (s *stage) inOrder(kind store.ObjectKind, rows [][]any) int {
	if s.unsorted[kind] {
		return 0
	}
	last := s.lastKey[kind]
	for i, r := range rows {
		k, ok := r[0].(string)
		if !ok || k <= last {
			s.unsorted[kind] = true
			return i
		}
		last = k
	}
	s.lastKey[kind] = last
	return len(rows)
}

// sort moves each log into its stage table in key order, the latest Put of
// a key winning, then settles staged deletes against staged objects: the
// later of the two wins. It runs before the commit takes the write lock.
func (s *stage) sort(ctx context.Context) error {
	for _, k := range stagedKinds {
		table, log, cols := k.table(), k.log(), k.cols()
		sorted := `INSERT OR REPLACE INTO ` + table + ` (` + cols + `) SELECT ` + cols + ` FROM ` + log + ` ORDER BY key, seq`
		if k.wide {
			// Only keys and seqs go through the sort (GROUP BY key emits
			// the keys in order); each key's latest row is then read from
			// the log by its seq, so wide rows are not copied through the
			// sorter. For narrow rows those lookups cost more than the
			// sort they save.
			sorted = `INSERT OR REPLACE INTO ` + table + ` (` + cols + `) SELECT ` + k.colsOf("l") +
				` FROM (SELECT max(seq) AS seq FROM ` + log + ` GROUP BY key) g CROSS JOIN ` + log + ` l ON l.seq = g.seq`
		}
		queries := []string{sorted, `DELETE FROM ` + log}
		if s.deletes > 0 {
			queries = append(queries,
				`DELETE FROM `+table+` WHERE EXISTS (SELECT 1 FROM temp.stage_deletes d
					WHERE d.kind = '`+string(k.kind)+`' AND d.key = `+table+`.key AND d.seq > `+table+`.seq)`,
				`DELETE FROM temp.stage_deletes WHERE kind = '`+string(k.kind)+`' AND EXISTS (SELECT 1 FROM `+table+` s
					WHERE s.key = stage_deletes.key AND s.seq > stage_deletes.seq)`)
		}
		for _, q := range queries {
			if _, err := s.conn.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("sort staged %ss: %w", k.kind, err)
			}
		}
	}
	return nil
}

// insertRows appends rows to table with multi-row INSERT statements.
func insertRows(ctx context.Context, tx *sql.Tx, table, cols string, width int, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	args := make([]any, 0, rowsPerInsert*width)
	for start := 0; start < len(rows); start += rowsPerInsert {
		if err := ctx.Err(); err != nil {
			return err
		}
		end := min(start+rowsPerInsert, len(rows))
		args = args[:0]
		for _, r := range rows[start:end] {
			args = append(args, r...)
		}
		n := end - start
		if n == rowsPerInsert {
			if full == nil {
				st, err := tx.PrepareContext(ctx, insertSQL(table, cols, width, n))
				if err != nil {
					return err
				}
				full = st
			}
			if _, err := full.ExecContext(ctx, args...); err != nil {
				return fmt.Errorf("rows %d to %d: %w", start, end-1, err)
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, insertSQL(table, cols, width, n), args...); err != nil {
			return fmt.Errorf("rows %d to %d: %w", start, end-1, err)
		}
	}
	return nil
}

// insertSQL builds an INSERT of n rows of width columns.
func insertSQL(table, cols string, width, n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + cols + ") VALUES ")
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")"
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}
