package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

const (
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

// Mapping merge statements. Every mapping created, changed, revived or
// deleted takes the next seq, in key order within each statement, starting
// above :base, the largest seq before the statement.
const (
	findChangedMappings = `INSERT INTO temp.map_changed (id, was_deleted, seq)
		SELECT m.id, m.deleted, :base + row_number() OVER (ORDER BY s.key)
		FROM temp.stage_mappings s CROSS JOIN mappings m ON m.scope = :scope AND m.key = s.key
		WHERE m.deleted OR m.type <> s.type OR m.class <> s.class OR m.body <> s.body`
	archiveChangedMappings = `INSERT INTO mapping_versions (mapping_id, version, type, class, body, begin_on, end_on, deleted, job_id)
		SELECT m.id, m.version, m.type, m.class, m.body, m.begin_on, :now, m.deleted, m.job_id
		FROM temp.map_changed c CROSS JOIN mappings m ON m.id = c.id`
	updateChangedMappings = `UPDATE mappings
		SET (type, class, body) = (SELECT s.type, s.class, s.body FROM temp.stage_mappings s WHERE s.key = mappings.key),
		    seq = (SELECT c.seq FROM temp.map_changed c WHERE c.id = mappings.id),
		    version = version + 1, begin_on = :now, deleted = 0, job_id = :job
		WHERE id IN (SELECT id FROM temp.map_changed)`
	// countChangedMappings counts revived mappings as created and the
	// others as updated, by their new type.
	countChangedMappings = `SELECT m.type, c.was_deleted, count(*)
		FROM temp.map_changed c CROSS JOIN mappings m ON m.id = c.id GROUP BY m.type, c.was_deleted`
	insertNewMappings = `INSERT INTO mappings (scope, key, type, class, body, version, begin_on, deleted, job_id, seq)
		SELECT :scope, s.key, s.type, s.class, s.body, 1, :now, 0, :job, :base + row_number() OVER (ORDER BY s.key)
		FROM temp.stage_mappings s
		WHERE NOT EXISTS (SELECT 1 FROM mappings m WHERE m.scope = :scope AND m.key = s.key)
		ORDER BY s.key`
	countNewMappings    = `SELECT type, count(*) FROM mappings WHERE seq > :base GROUP BY type`
	countStagedMappings = `SELECT type, count(*) FROM temp.stage_mappings GROUP BY type`
	queueGoneMappings   = `INSERT INTO temp.map_changed (id, was_deleted, seq)
		SELECT g.id, 0, :base + row_number() OVER (ORDER BY m.key)
		FROM temp.gone g CROSS JOIN mappings m ON m.id = g.id`
	deleteGoneMappings = `UPDATE mappings
		SET seq = (SELECT c.seq FROM temp.map_changed c WHERE c.id = mappings.id),
		    version = version + 1, begin_on = :now, deleted = 1, job_id = :job
		WHERE id IN (SELECT id FROM temp.map_changed)`
	countGoneMappings = `SELECT m.type, count(*) FROM temp.map_changed c CROSS JOIN mappings m ON m.id = c.id GROUP BY m.type`
)

// mergeMappings applies the staged mapped relationships with set-based
// statements: changed and revived ones are archived and updated, new ones
// inserted, then unseen (Replace) or named (Merge) ones soft-deleted. Each
// change takes the next seq, which the mapper reads to find its work.
func (c *committer) mergeMappings(ctx context.Context) error {
	base, err := c.maxMappingSeq(ctx)
	if err != nil {
		return err
	}
	if err := c.run(ctx, "reset work table", `DELETE FROM temp.map_changed`); err != nil {
		return err
	}
	n, err := c.exec(ctx, "find changed mappings", findChangedMappings, sql.Named("base", base))
	if err != nil {
		return err
	}
	if n > 0 {
		if err := c.run(ctx, "update mappings", archiveChangedMappings, updateChangedMappings); err != nil {
			return err
		}
		if err := c.countMappings(ctx, countChangedMappings, func(tc *store.TypeCounts, revived bool, n int64) {
			if revived {
				tc.Created += n
			} else {
				tc.Updated += n
			}
		}); err != nil {
			return err
		}
		base += n
	}
	n, err = c.exec(ctx, "create mappings", insertNewMappings, sql.Named("base", base))
	if err != nil {
		return err
	}
	if n > 0 {
		if err := c.countMappings(ctx, countNewMappings, func(tc *store.TypeCounts, _ bool, n int64) { tc.Created += n }, sql.Named("base", base)); err != nil {
			return err
		}
		base += n
	}
	if err := c.countMappings(ctx, countStagedMappings, func(tc *store.TypeCounts, _ bool, n int64) {
		tc.Unchanged = n - tc.Created - tc.Updated
	}); err != nil {
		return err
	}

	if err := c.run(ctx, "reset work tables", `DELETE FROM temp.gone`, `DELETE FROM temp.map_changed`); err != nil {
		return err
	}
	collect := goneUnseenMappings
	if c.s.p.Mode != store.Replace {
		collect = goneNamedMappings
	}
	n, err = c.exec(ctx, "find mappings to delete", collect)
	if err != nil || n == 0 {
		return err
	}
	if _, err := c.exec(ctx, "delete mappings", queueGoneMappings, sql.Named("base", base)); err != nil {
		return err
	}
	if err := c.run(ctx, "delete mappings", archiveChangedMappings, deleteGoneMappings); err != nil {
		return err
	}
	return c.countMappings(ctx, countGoneMappings, func(tc *store.TypeCounts, _ bool, n int64) { tc.Deleted += n })
}

// maxMappingSeq returns the largest mapping seq handed out so far.
func (c *committer) maxMappingSeq(ctx context.Context) (int64, error) {
	var seq int64
	if err := c.conn.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM mappings`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("read mapping seq: %w", err)
	}
	return seq, nil
}

// countMappings runs a query that returns (type, count) or (type, flag,
// count) rows and hands each to add with the type's counters.
func (c *committer) countMappings(ctx context.Context, query string, add func(tc *store.TypeCounts, flag bool, n int64), extra ...any) error {
	rows, err := c.conn.QueryContext(ctx, query, append(extra, c.args...)...)
	if err != nil {
		return fmt.Errorf("count mappings: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return fmt.Errorf("count mappings: %w", err)
	}
	for rows.Next() {
		var (
			typ  string
			flag bool
			n    int64
		)
		dest := []any{&typ, &n}
		if len(cols) == 3 {
			dest = []any{&typ, &flag, &n}
		}
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("count mappings: %w", err)
		}
		tc := c.res.Mappings[typ]
		add(&tc, flag, n)
		c.res.Mappings[typ] = tc
	}
	return rows.Err()
}
