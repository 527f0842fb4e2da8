package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

const (
	mappingColumns    = `id, key, type, class, body, version, deleted`
	stagedMappingSQL  = `SELECT key, type, class, body FROM stage_mappings ORDER BY key`
	storedMappingSQL  = `SELECT ` + mappingColumns + ` FROM mappings WHERE scope = ? ORDER BY key`
	mappingByKeySQL   = `SELECT ` + mappingColumns + ` FROM mappings WHERE scope = ? AND key = ?`
	insertMappingSQL  = `INSERT INTO mappings (scope, key, type, class, body, version, begin_on, deleted, job_id, seq) VALUES (?, ?, ?, ?, ?, 1, ?, 0, ?, ?)`
	archiveMappingSQL = `INSERT INTO mapping_versions (mapping_id, version, type, class, body, begin_on, end_on, deleted, job_id)
		SELECT id, version, type, class, body, begin_on, ?, deleted, job_id FROM mappings WHERE id = ?`
	updateMappingSQL = `UPDATE mappings SET type = ?, class = ?, body = ?, version = version + 1, begin_on = ?, deleted = 0, job_id = ?, seq = ? WHERE id = ?`
	deleteMappingSQL = `UPDATE mappings SET version = version + 1, begin_on = ?, deleted = 1, job_id = ?, seq = ? WHERE id = ?`
)

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

func scanStagedMapping(s scanner, r *row) error { return s.Scan(&r.key, &r.typ, &r.a, &r.b) }

func scanStoredMapping(s scanner, r *row) error {
	return s.Scan(&r.id, &r.key, &r.typ, &r.a, &r.b, &r.version, &r.deleted)
}

// mergeMappings applies the staged mapped relationships.
func (c *committer) mergeMappings(ctx context.Context) error {
	staged, err := c.s.stage.conn.QueryContext(ctx, stagedMappingSQL)
	if err != nil {
		return fmt.Errorf("read staged mappings: %w", err)
	}
	sc := &cursor{rows: staged, scan: scanStagedMapping}
	var stored *cursor
	if c.r != nil {
		rows, err := c.r.QueryContext(ctx, storedMappingSQL, c.scope)
		if err != nil {
			sc.close()
			return c.s.db.wrap("read stored mappings", err)
		}
		stored = &cursor{rows: rows, scan: scanStoredMapping}
	}
	unseen := func(ctx context.Context, ex *row) error {
		if ex.deleted || c.partial[ex.typ] {
			return nil
		}
		return c.deleteMapping(ctx, ex)
	}
	if err := c.pair(ctx, sc, stored, c.mappingByKey, c.putMapping, unseen); err != nil {
		return fmt.Errorf("merge mappings: %w", err)
	}
	err = c.stagedDeletes(ctx, store.KindMapping, func(ctx context.Context, key string) error {
		ex, err := c.mappingByKey(ctx, key)
		if err != nil || ex == nil || ex.deleted {
			return err
		}
		return c.deleteMapping(ctx, ex)
	})
	if err != nil {
		return fmt.Errorf("delete mappings: %w", err)
	}
	return nil
}

func (c *committer) mappingByKey(ctx context.Context, key string) (*row, error) {
	return c.queryRow(ctx, mappingByKeySQL, scanStoredMapping, c.scope, key)
}

// nextSeq hands out the next mapping seq; the write lock makes max+1 safe.
func (c *committer) nextSeq(ctx context.Context) (int64, error) {
	if c.mapSeq == 0 {
		if err := c.w.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM mappings`).Scan(&c.mapSeq); err != nil {
			return 0, fmt.Errorf("read mapping seq: %w", err)
		}
	}
	c.mapSeq++
	return c.mapSeq, nil
}

// putMapping creates, revives, updates or leaves alone one mapping.
func (c *committer) putMapping(ctx context.Context, st, ex *row) error {
	if ex != nil && !ex.deleted && ex.typ == st.typ && ex.a == st.a && ex.b == st.b {
		count(c.res.Mappings, st.typ, unchanged)
		return nil
	}
	seq, err := c.nextSeq(ctx)
	if err != nil {
		return err
	}
	if ex == nil {
		if _, err := c.exec(ctx, insertMappingSQL, c.scope, st.key, st.typ, st.a, st.b, c.now, c.job, seq); err != nil {
			return fmt.Errorf("create mapping %s: %w", st.key, err)
		}
		count(c.res.Mappings, st.typ, created)
		return nil
	}
	if _, err := c.exec(ctx, archiveMappingSQL, c.now, ex.id); err != nil {
		return fmt.Errorf("keep version %d of mapping %s: %w", ex.version, ex.key, err)
	}
	if _, err := c.exec(ctx, updateMappingSQL, st.typ, st.a, st.b, c.now, c.job, seq, ex.id); err != nil {
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
	if _, err := c.exec(ctx, archiveMappingSQL, c.now, ex.id); err != nil {
		return fmt.Errorf("keep version %d of mapping %s: %w", ex.version, ex.key, err)
	}
	if _, err := c.exec(ctx, deleteMappingSQL, c.now, c.job, seq, ex.id); err != nil {
		return fmt.Errorf("delete mapping %s: %w", ex.key, err)
	}
	count(c.res.Mappings, ex.typ, deleted)
	return nil
}
