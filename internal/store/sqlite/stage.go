package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

// stageTables are the temporary tables of a sync session: the staged
// objects, keyed by _key so that a later Put of the same key replaces the
// earlier one, and the work tables of Commit. They live in the session
// connection's TEMP schema: private to the connection, and gone with it or
// with the process.
var stageTables = []string{
	`stage_entities (
		key     TEXT PRIMARY KEY,
		type    TEXT NOT NULL,
		classes TEXT NOT NULL,
		props   TEXT NOT NULL
	) WITHOUT ROWID`,
	`stage_relationships (
		key        TEXT PRIMARY KEY,
		type       TEXT NOT NULL,
		class      TEXT NOT NULL,
		from_scope TEXT NOT NULL,
		from_key   TEXT NOT NULL,
		to_scope   TEXT NOT NULL,
		to_key     TEXT NOT NULL,
		props      TEXT NOT NULL
	) WITHOUT ROWID`,
	`stage_mappings (
		key   TEXT PRIMARY KEY,
		type  TEXT NOT NULL,
		class TEXT NOT NULL,
		body  TEXT NOT NULL
	) WITHOUT ROWID`,
	`stage_deletes (
		kind TEXT NOT NULL,
		key  TEXT NOT NULL,
		PRIMARY KEY (kind, key)
	) WITHOUT ROWID`,
	`partial_types (type TEXT PRIMARY KEY) WITHOUT ROWID`,
	`gone (id INTEGER PRIMARY KEY)`,
	`gone_rels (id INTEGER PRIMARY KEY)`,
	`changed (id INTEGER PRIMARY KEY, key TEXT NOT NULL, was_deleted INTEGER NOT NULL, classes_changed INTEGER NOT NULL)`,
	`rel_ends (key TEXT PRIMARY KEY, from_id INTEGER, to_id INTEGER) WITHOUT ROWID`,
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
	// deletes counts the Deletes staged, so Put skips clearing them when
	// there are none.
	deletes int
}

// openStage takes a connection from pool and creates empty staging tables
// on it.
func openStage(ctx context.Context, pool *sql.DB) (*stage, error) {
	conn, err := pool.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("open sync session connection: %w", err)
	}
	st := &stage{conn: conn}
	for _, def := range stageTables {
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
	for _, def := range stageTables {
		if _, err := s.conn.ExecContext(ctx, `DROP TABLE IF EXISTS temp.`+stageTableName(def)); err != nil {
			errs = append(errs, err)
			break
		}
	}
	errs = append(errs, s.conn.Close())
	return errors.Join(errs...)
}

// encodedBatch is a validated batch in the staging encoding.
type encodedBatch struct {
	entities      [][4]any
	relationships [][8]any
	mappings      [][4]any
	deletes       [][2]any
}

// validateBatch checks every object of b and encodes it for staging. It
// returns every validation error of the batch, each naming its object.
func validateBatch(b *store.Batch) (*encodedBatch, error) {
	var errs []error
	out := &encodedBatch{}
	for i := range b.Entities {
		e := &b.Entities[i]
		if err := graph.ValidateEntity(e); err != nil {
			errs = append(errs, fmt.Errorf("entity %d: %w", i, err))
			continue
		}
		classes, err := json.Marshal(e.Class)
		if err != nil {
			errs = append(errs, fmt.Errorf("entity %d (%s/%s): encode classes: %w", i, e.Type, e.Key, err))
			continue
		}
		props, err := encodeProps(e.Properties)
		if err != nil {
			errs = append(errs, fmt.Errorf("entity %d (%s/%s): %w", i, e.Type, e.Key, err))
			continue
		}
		out.entities = append(out.entities, [4]any{e.Key, e.Type, string(classes), props})
	}
	for i := range b.Relationships {
		r := &b.Relationships[i]
		if err := graph.ValidateRelationship(r); err != nil {
			errs = append(errs, fmt.Errorf("relationship %d: %w", i, err))
			continue
		}
		props, err := encodeProps(r.Properties)
		if err != nil {
			errs = append(errs, fmt.Errorf("relationship %d (%s/%s): %w", i, r.Type, r.Key, err))
			continue
		}
		out.relationships = append(out.relationships,
			[8]any{r.Key, r.Type, r.Class, r.FromScope, r.FromKey, r.ToScope, r.ToKey, props})
	}
	for i := range b.Mappings {
		m := &b.Mappings[i]
		if err := graph.ValidateMappedRelationship(m); err != nil {
			errs = append(errs, fmt.Errorf("mapping %d: %w", i, err))
			continue
		}
		body, err := encodeMapping(m)
		if err != nil {
			errs = append(errs, fmt.Errorf("mapping %d (%s/%s): %w", i, m.Type, m.Key, err))
			continue
		}
		out.mappings = append(out.mappings, [4]any{m.Key, m.Type, m.Class, body})
	}
	for i, d := range b.Deletes {
		switch d.Kind {
		case store.KindEntity, store.KindRelationship, store.KindMapping:
		default:
			errs = append(errs, fmt.Errorf("delete %d (%s): unknown kind %q", i, d.Key, d.Kind))
			continue
		}
		if d.Key == "" {
			errs = append(errs, fmt.Errorf("delete %d: empty key", i))
			continue
		}
		out.deletes = append(out.deletes, [2]any{string(d.Kind), d.Key})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// encodeProps renders properties as canonical JSON (sorted names), so that
// equal properties always give equal text.
func encodeProps(p graph.Properties) (string, error) {
	if p == nil {
		return "{}", nil
	}
	b, err := p.MarshalJSON()
	if err != nil {
		return "", fmt.Errorf("encode properties: %w", err)
	}
	return string(b), nil
}

// put stages an encoded batch in one staging transaction.
func (s *stage) put(ctx context.Context, b *encodedBatch) error {
	tx, err := s.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin staging transaction: %w", err)
	}
	defer tx.Rollback()
	if err := s.putRows(ctx, tx, b); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit staging transaction: %w", err)
	}
	s.deletes += len(b.deletes)
	return nil
}

func (s *stage) putRows(ctx context.Context, tx *sql.Tx, b *encodedBatch) error {
	type table struct {
		kind store.ObjectKind
		sql  string
		rows func(yield func([]any) error) error
	}
	tables := []table{
		{store.KindEntity, `INSERT OR REPLACE INTO temp.stage_entities (key, type, classes, props) VALUES (?, ?, ?, ?)`,
			func(yield func([]any) error) error {
				for i := range b.entities {
					if err := yield(b.entities[i][:]); err != nil {
						return err
					}
				}
				return nil
			}},
		{store.KindRelationship, `INSERT OR REPLACE INTO temp.stage_relationships
			(key, type, class, from_scope, from_key, to_scope, to_key, props) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			func(yield func([]any) error) error {
				for i := range b.relationships {
					if err := yield(b.relationships[i][:]); err != nil {
						return err
					}
				}
				return nil
			}},
		{store.KindMapping, `INSERT OR REPLACE INTO temp.stage_mappings (key, type, class, body) VALUES (?, ?, ?, ?)`,
			func(yield func([]any) error) error {
				for i := range b.mappings {
					if err := yield(b.mappings[i][:]); err != nil {
						return err
					}
				}
				return nil
			}},
	}
	var undelete *sql.Stmt
	if s.deletes > 0 {
		st, err := tx.PrepareContext(ctx, `DELETE FROM temp.stage_deletes WHERE kind = ? AND key = ?`)
		if err != nil {
			return fmt.Errorf("prepare staging statement: %w", err)
		}
		defer st.Close()
		undelete = st
	}
	for _, t := range tables {
		st, err := tx.PrepareContext(ctx, t.sql)
		if err != nil {
			return fmt.Errorf("prepare staging statement: %w", err)
		}
		n := 0
		err = t.rows(func(args []any) error {
			n++
			if n%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if _, err := st.ExecContext(ctx, args...); err != nil {
				return fmt.Errorf("stage %s %v: %w", t.kind, args[0], err)
			}
			if undelete != nil {
				if _, err := undelete.ExecContext(ctx, string(t.kind), args[0]); err != nil {
					return fmt.Errorf("stage %s %v: %w", t.kind, args[0], err)
				}
			}
			return nil
		})
		st.Close()
		if err != nil {
			return err
		}
	}
	if len(b.deletes) > 0 {
		del, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO temp.stage_deletes (kind, key) VALUES (?, ?)`)
		if err != nil {
			return fmt.Errorf("prepare staging statement: %w", err)
		}
		defer del.Close()
		for _, d := range b.deletes {
			if _, err := del.ExecContext(ctx, d[:]...); err != nil {
				return fmt.Errorf("stage delete of %s %v: %w", d[0], d[1], err)
			}
			tableName := map[string]string{
				string(store.KindEntity): "temp.stage_entities", string(store.KindRelationship): "temp.stage_relationships",
				string(store.KindMapping): "temp.stage_mappings",
			}[d[0].(string)]
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+tableName+` WHERE key = ?`, d[1]); err != nil {
				return fmt.Errorf("stage delete of %s %v: %w", d[0], d[1], err)
			}
		}
	}
	return nil
}
