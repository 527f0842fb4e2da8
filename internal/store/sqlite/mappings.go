package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

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

// mappingBody is the JSON of a mapping's target description as stored in
// mapping_targets: everything of a mapped relationship but its key, type,
// class, source key and properties, which mappings of one target share.
// Rows written before migration 005 hold the whole of this but
// TargetProperties in their body (and before migration 004, all of it), with
// SourceKey and Properties as well.
type mappingBody struct {
	Direction          graph.Direction  `json:"direction"`
	SourceKey          string           `json:"sourceKey"`
	TargetFilterKeys   [][]string       `json:"targetFilterKeys"`
	TargetKey          string           `json:"targetKey,omitempty"`
	TargetType         string           `json:"targetType,omitempty"`
	TargetClass        []string         `json:"targetClass,omitempty"`
	TargetProperties   graph.Properties `json:"targetProperties,omitempty"`
	SkipTargetCreation bool             `json:"skipTargetCreation"`
	Properties         graph.Properties `json:"properties"`
}

// encodedMapping is a mapping as stored: its source key, its body (its
// own properties) and its target description, which is stored apart under
// its id.
type encodedMapping struct {
	sourceKey string
	body      string
	targetID  int64
	target    string
}

// encodeMapping renders the body of m and its target description as
// canonical JSON.
func encodeMapping(m *graph.MappedRelationship, buf *[]byte) (encodedMapping, error) {
	body, err := encodeProps(m.Properties, buf)
	if err != nil {
		return encodedMapping{}, fmt.Errorf("encode mapping properties: %w", err)
	}
	target, err := appendTarget((*buf)[:0], m)
	if err != nil {
		return encodedMapping{}, fmt.Errorf("encode mapping target: %w", err)
	}
	*buf = target
	desc := string(target)
	return encodedMapping{sourceKey: m.SourceKey, body: body, targetID: targetID(desc), target: desc}, nil
}

// appendTarget appends the target description of m to dst as the JSON
// object mappingBody decodes, fields in a fixed order so that equal
// descriptions give equal text. Nil slices are written as null, as
// encoding/json writes them, so that they read back nil.
func appendTarget(dst []byte, m *graph.MappedRelationship) ([]byte, error) {
	dst = append(dst, `{"direction":`...)
	dst = graph.AppendJSONString(dst, string(m.Direction))
	dst = append(dst, `,"targetFilterKeys":`...)
	if m.TargetFilterKeys == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i, alt := range m.TargetFilterKeys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendStrings(dst, alt)
		}
		dst = append(dst, ']')
	}
	if m.TargetEntity.Key != "" {
		dst = append(dst, `,"targetKey":`...)
		dst = graph.AppendJSONString(dst, m.TargetEntity.Key)
	}
	if m.TargetEntity.Type != "" {
		dst = append(dst, `,"targetType":`...)
		dst = graph.AppendJSONString(dst, m.TargetEntity.Type)
	}
	if len(m.TargetEntity.Class) > 0 {
		dst = append(dst, `,"targetClass":`...)
		dst = appendStrings(dst, m.TargetEntity.Class)
	}
	dst = append(dst, `,"skipTargetCreation":`...)
	dst = strconv.AppendBool(dst, m.SkipTargetCreation)
	dst = append(dst, `,"targetProperties":`...)
	if m.TargetEntity.Properties == nil {
		dst = append(dst, "{}"...)
	} else {
		var err error
		if dst, err = m.TargetEntity.Properties.AppendJSON(dst); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

// appendStrings appends ss as a JSON array of strings (null when nil).
func appendStrings(dst []byte, ss []string) []byte {
	if ss == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, s := range ss {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = graph.AppendJSONString(dst, s)
	}
	return append(dst, ']')
}

// targetID is the id of a target description: the FNV-1a hash of its JSON,
// kept to 63 bits so that it is a positive SQLite integer. Commit checks
// that an id already stored holds the same description.
func targetID(desc string) int64 {
	h := fnv.New64a()
	h.Write([]byte(desc))
	return int64(h.Sum64() >> 1)
}

// targetPropertiesField introduces the last field of a description written
// by appendTarget. Inside a JSON string its quotes would be escaped, so its
// first occurrence is the field itself.
const targetPropertiesField = `,"targetProperties":`

// decodeTarget decodes a target description written by appendTarget: the
// fields before targetProperties with encoding/json, the properties, which
// are most of the text, with graph's decoder.
func decodeTarget(desc string) (*mappingBody, error) {
	var b mappingBody
	head, props, ok := strings.Cut(desc, targetPropertiesField)
	if !ok || !strings.HasSuffix(props, "}") {
		return nil, fmt.Errorf("target description has no %s field last", strings.Trim(targetPropertiesField, `,:`))
	}
	if err := json.Unmarshal([]byte(head+"}"), &b); err != nil {
		return nil, err
	}
	if err := b.TargetProperties.UnmarshalJSON([]byte(props[:len(props)-1])); err != nil {
		return nil, fmt.Errorf("targetProperties: %w", err)
	}
	if b.TargetProperties == nil {
		b.TargetProperties = graph.Properties{}
	}
	return &b, nil
}

// fillMapping fills m from its source key, its body (its properties) and
// its decoded target description, which m shares with the other mappings
// of that target.
func fillMapping(sourceKey, body string, t *mappingBody, m *graph.MappedRelationship) error {
	var props graph.Properties
	if err := props.UnmarshalJSON([]byte(body)); err != nil {
		return fmt.Errorf("decode mapping %s: %w", m.Key, err)
	}
	t.fill(m, sourceKey, props)
	return nil
}

// decodeMapping fills m from a body written before migration 005 and,
// when the body has none, the target properties props.
func decodeMapping(body string, props graph.Properties, m *graph.MappedRelationship) error {
	var b mappingBody
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		return fmt.Errorf("decode mapping %s: %w", m.Key, err)
	}
	if b.TargetProperties == nil {
		b.TargetProperties = props
	}
	if b.TargetProperties == nil {
		b.TargetProperties = graph.Properties{}
	}
	b.fill(m, b.SourceKey, b.Properties)
	return nil
}

// fill sets the parts of m that a stored mapping keeps apart from its
// key, type and class: the target description b, the source key and the
// mapping's properties (empty, not nil, when it has none).
func (b *mappingBody) fill(m *graph.MappedRelationship, sourceKey string, props graph.Properties) {
	if props == nil {
		props = graph.Properties{}
	}
	m.Direction = b.Direction
	m.SourceKey = sourceKey
	m.TargetFilterKeys = b.TargetFilterKeys
	m.TargetEntity = graph.Entity{Key: b.TargetKey, Type: b.TargetType, Class: b.TargetClass, Properties: b.TargetProperties}
	m.SkipTargetCreation = b.SkipTargetCreation
	m.Properties = props
}

// Mapping merge statements. Every mapping created, changed, revived or
// deleted takes the next seq, in key order within each statement, starting
// above :base, the largest seq before the statement.
const (
	findChangedMappings = `INSERT INTO temp.map_changed (id, was_deleted, seq)
		SELECT m.id, m.deleted, :base + row_number() OVER (ORDER BY s.key)
		FROM temp.stage_mappings s CROSS JOIN mappings m ON m.scope = :scope AND m.key = s.key
		WHERE m.deleted OR m.type <> s.type OR m.class <> s.class OR m.body <> s.body OR m.target IS NOT s.target
		   OR m.source_key IS NOT s.source_key`
	archiveChangedMappings = `INSERT INTO mapping_versions (mapping_id, version, type, class, source_key, body, target, begin_on, end_on, deleted, job_id)
		SELECT m.id, m.version, m.type, m.class, m.source_key, m.body, m.target, m.begin_on, :now, m.deleted, m.job_id
		FROM temp.map_changed c CROSS JOIN mappings m ON m.id = c.id`
	updateChangedMappings = `UPDATE mappings
		SET (type, class, source_key, body, target) = (SELECT s.type, s.class, s.source_key, s.body, s.target FROM temp.stage_mappings s WHERE s.key = mappings.key),
		    seq = (SELECT c.seq FROM temp.map_changed c WHERE c.id = mappings.id),
		    version = version + 1, begin_on = :now, deleted = 0, job_id = :job
		WHERE id IN (SELECT id FROM temp.map_changed)`
	// countChangedMappings counts revived mappings as created and the
	// others as updated, by their new type.
	countChangedMappings = `SELECT m.type, c.was_deleted, count(*)
		FROM temp.map_changed c CROSS JOIN mappings m ON m.id = c.id GROUP BY m.type, c.was_deleted`
	insertNewMappings = `INSERT INTO mappings (scope, key, type, class, source_key, body, target, version, begin_on, deleted, job_id, seq)
		SELECT :scope, s.key, s.type, s.class, s.source_key, s.body, s.target, 1, :now, 0, :job, :base + row_number() OVER (ORDER BY s.key)
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
	if err := c.storeTargets(ctx); err != nil {
		return err
	}
	base, err := c.maxMappingSeq(ctx)
	if err != nil {
		return err
	}
	// The mappings to delete are collected before any is created, so the
	// scan for unseen ones does not walk the new rows as well.
	if err := c.run(ctx, "reset work tables", `DELETE FROM temp.gone`, `DELETE FROM temp.map_changed`); err != nil {
		return err
	}
	collect := goneUnseenMappings
	if c.s.p.Mode != store.Replace {
		collect = goneNamedMappings
	}
	gone, err := c.exec(ctx, "find mappings to delete", collect)
	if err != nil {
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

	if gone == 0 {
		return nil
	}
	if err := c.run(ctx, "reset work table", `DELETE FROM temp.map_changed`); err != nil {
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

// storeTargets adds the staged target descriptions that are not stored
// yet, after checking that no id already stands for another description.
func (c *committer) storeTargets(ctx context.Context) error {
	var clash int64
	if err := c.conn.QueryRowContext(ctx, `SELECT count(*) FROM temp.stage_targets s
		CROSS JOIN mapping_targets t ON t.id = s.id WHERE t.props <> s.props`).Scan(&clash); err != nil {
		return fmt.Errorf("check mapping target descriptions: %w", err)
	}
	if clash > 0 {
		return fmt.Errorf("store mapping target descriptions: %d descriptions hash to the id of another one", clash)
	}
	_, err := c.exec(ctx, "store mapping target descriptions",
		`INSERT OR IGNORE INTO mapping_targets (id, props) SELECT id, props FROM temp.stage_targets`)
	return err
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
