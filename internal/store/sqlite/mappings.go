package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

const (
	mappingByKeySQL   = `SELECT id, key, type, class, body, version, deleted FROM mappings WHERE scope = ? AND key = ?`
	insertMappingSQL  = `INSERT INTO mappings (scope, key, type, class, body, version, begin_on, deleted, job_id, seq) VALUES (?, ?, ?, ?, ?, 1, ?, 0, ?, ?)`
	archiveMappingSQL = `INSERT INTO mapping_versions (mapping_id, version, type, class, body, begin_on, end_on, deleted, job_id)
		SELECT id, version, type, class, body, begin_on, ?, deleted, job_id FROM mappings WHERE id = ?`
	updateMappingSQL = `UPDATE mappings SET type = ?, class = ?, body = ?, version = version + 1, begin_on = ?, deleted = 0, job_id = ?, seq = ? WHERE id = ?`
	deleteMappingSQL = `UPDATE mappings SET version = version + 1, begin_on = ?, deleted = 1, job_id = ?, seq = ? WHERE id = ?`
	// goneUnseenMappings and goneNamedMappings collect the mappings to
	// delete in Replace and Merge mode.
	goneUnseenMappings = `INSERT INTO temp.gone (id)
		SELECT m.id FROM mappings m
		WHERE m.scope = :scope AND NOT m.deleted
		  AND NOT EXISTS (SELECT 1 FROM temp.stage_mappings s WHERE s.key = m.key)
		  AND m.type NOT IN (SELECT type FROM temp.partial_types)`
	goneNamedMappings = `INSERT INTO temp.gone (id)
		SELECT m.id FROM temp.stage_deletes d CROSS JOIN mappings m ON m.scope = :scope AND m.key = d.key
		WHERE d.kind = 'mapping' AND NOT m.deleted`
)

// mappingChunk is how many staged mappings are read at a time.
const mappingChunk = 500

// row is one stored or staged mapping.
type row struct {
	id      int64
	key     string
	typ     string
	class   string
	body    string
	version int64
	deleted bool
}

// mappingBody is the stored JSON of a mapped relationship, without its
// key, type and class.
type mappingBody struct {
	Direction          graph.Direction  `json:"direction"`
	SourceKey          string           `json:"sourceKey"`
	TargetFilterKeys   [][]string       `json:"targetFilterKeys"`
	TargetKey          string           `json:"targetKey,omitempty"`
	TargetType         string           `json:"targetType,omitempty"`
	TargetClass        []string         `json:"targetClass,omitempty"`
	TargetProperties   graph.Properties `json:"targetProperties"`
	SkipTargetCreation bool             `json:"skipTargetCreation"`
	Properties         graph.Properties `json:"properties"`
}

// encodeMapping renders the body of m as canonical JSON.
func encodeMapping(m *graph.MappedRelationship) (string, error) {
	b := mappingBody{
		Direction:          m.Direction,
		SourceKey:          m.SourceKey,
		TargetFilterKeys:   m.TargetFilterKeys,
		TargetKey:          m.TargetEntity.Key,
		TargetType:         m.TargetEntity.Type,
		TargetClass:        m.TargetEntity.Class,
		TargetProperties:   m.TargetEntity.Properties,
		SkipTargetCreation: m.SkipTargetCreation,
		Properties:         m.Properties,
	}
	if b.TargetProperties == nil {
		b.TargetProperties = graph.Properties{}
	}
	if b.Properties == nil {
		b.Properties = graph.Properties{}
	}
	out, err := json.Marshal(b)
	if err != nil {
		return "", fmt.Errorf("encode mapping: %w", err)
	}
	return string(out), nil
}

// decodeMapping fills m from a stored body.
func decodeMapping(body string, m *graph.MappedRelationship) error {
	var b mappingBody
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		return fmt.Errorf("decode mapping %s: %w", m.Key, err)
	}
	m.Direction = b.Direction
	m.SourceKey = b.SourceKey
	m.TargetFilterKeys = b.TargetFilterKeys
	m.TargetEntity = graph.Entity{Key: b.TargetKey, Type: b.TargetType, Class: b.TargetClass, Properties: b.TargetProperties}
	m.SkipTargetCreation = b.SkipTargetCreation
	m.Properties = b.Properties
	return nil
}

// mergeMappings applies the staged mapped relationships one by one (each
// change takes the next seq), then deletes unseen (Replace) or named
// (Merge) mappings.
func (c *committer) mergeMappings(ctx context.Context) error {
	after := ""
	for {
		chunk, err := c.stagedMappings(ctx, after)
		if err != nil {
			return err
		}
		if len(chunk) == 0 {
			break
		}
		for i := range chunk {
			if err := c.putMapping(ctx, &chunk[i]); err != nil {
				return err
			}
		}
		after = chunk[len(chunk)-1].key
	}
	if _, err := c.exec(ctx, "reset work table", `DELETE FROM temp.gone`); err != nil {
		return err
	}
	collect := goneUnseenMappings
	if c.s.p.Mode != store.Replace {
		collect = goneNamedMappings
	}
	if _, err := c.exec(ctx, "find mappings to delete", collect); err != nil {
		return err
	}
	rows, err := c.conn.QueryContext(ctx, `SELECT m.id, m.key, m.type, m.class, m.body, m.version, m.deleted
		FROM temp.gone g CROSS JOIN mappings m ON m.id = g.id ORDER BY m.key`)
	if err != nil {
		return fmt.Errorf("read mappings to delete: %w", err)
	}
	var gone []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.key, &r.typ, &r.class, &r.body, &r.version, &r.deleted); err != nil {
			rows.Close()
			return fmt.Errorf("read mappings to delete: %w", err)
		}
		gone = append(gone, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read mappings to delete: %w", err)
	}
	for i := range gone {
		if err := c.deleteMapping(ctx, &gone[i]); err != nil {
			return err
		}
	}
	return nil
}

// stagedMappings reads the next chunk of staged mappings after key.
func (c *committer) stagedMappings(ctx context.Context, after string) ([]row, error) {
	rows, err := c.conn.QueryContext(ctx, `SELECT key, type, class, body FROM temp.stage_mappings WHERE key > ? ORDER BY key LIMIT ?`, after, mappingChunk)
	if err != nil {
		return nil, fmt.Errorf("read staged mappings: %w", err)
	}
	defer rows.Close()
	var out []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.key, &r.typ, &r.class, &r.body); err != nil {
			return nil, fmt.Errorf("read staged mappings: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// nextSeq hands out the next mapping seq; the write lock makes max+1 safe.
func (c *committer) nextSeq(ctx context.Context) (int64, error) {
	if c.mapSeq == 0 {
		if err := c.conn.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM mappings`).Scan(&c.mapSeq); err != nil {
			return 0, fmt.Errorf("read mapping seq: %w", err)
		}
	}
	c.mapSeq++
	return c.mapSeq, nil
}

// putMapping creates, revives, updates or leaves alone one mapping.
func (c *committer) putMapping(ctx context.Context, st *row) error {
	var ex row
	err := c.conn.QueryRowContext(ctx, mappingByKeySQL, c.scope, st.key).
		Scan(&ex.id, &ex.key, &ex.typ, &ex.class, &ex.body, &ex.version, &ex.deleted)
	found := err == nil
	if err != nil && !isNoRows(err) {
		return fmt.Errorf("read mapping %s: %w", st.key, err)
	}
	if found && !ex.deleted && ex.typ == st.typ && ex.class == st.class && ex.body == st.body {
		count(c.res.Mappings, st.typ, unchanged)
		return nil
	}
	seq, err := c.nextSeq(ctx)
	if err != nil {
		return err
	}
	if !found {
		if _, err := c.conn.ExecContext(ctx, insertMappingSQL, c.scope, st.key, st.typ, st.class, st.body, c.now, c.job, seq); err != nil {
			return fmt.Errorf("create mapping %s: %w", st.key, err)
		}
		count(c.res.Mappings, st.typ, created)
		return nil
	}
	if _, err := c.conn.ExecContext(ctx, archiveMappingSQL, c.now, ex.id); err != nil {
		return fmt.Errorf("keep version %d of mapping %s: %w", ex.version, ex.key, err)
	}
	if _, err := c.conn.ExecContext(ctx, updateMappingSQL, st.typ, st.class, st.body, c.now, c.job, seq, ex.id); err != nil {
		return fmt.Errorf("update mapping %s: %w", st.key, err)
	}
	if ex.deleted {
		count(c.res.Mappings, st.typ, created)
	} else {
		count(c.res.Mappings, st.typ, updated)
	}
	return nil
}

// deleteMapping soft-deletes a live mapping.
func (c *committer) deleteMapping(ctx context.Context, ex *row) error {
	seq, err := c.nextSeq(ctx)
	if err != nil {
		return err
	}
	if _, err := c.conn.ExecContext(ctx, archiveMappingSQL, c.now, ex.id); err != nil {
		return fmt.Errorf("keep version %d of mapping %s: %w", ex.version, ex.key, err)
	}
	if _, err := c.conn.ExecContext(ctx, deleteMappingSQL, c.now, c.job, seq, ex.id); err != nil {
		return fmt.Errorf("delete mapping %s: %w", ex.key, err)
	}
	count(c.res.Mappings, ex.typ, deleted)
	return nil
}

// count adds one to the counter picked by pick for typ in m.
func count(m map[string]store.TypeCounts, typ string, pick func(*store.TypeCounts)) {
	tc := m[typ]
	pick(&tc)
	m[typ] = tc
}

func created(tc *store.TypeCounts)   { tc.Created++ }
func updated(tc *store.TypeCounts)   { tc.Updated++ }
func unchanged(tc *store.TypeCounts) { tc.Unchanged++ }
func deleted(tc *store.TypeCounts)   { tc.Deleted++ }
