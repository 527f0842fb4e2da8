package postgres

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

// stageSchema creates the temporary staging tables of one sync session.
// They live only as long as the session's connection. ord numbers every
// staged object and delete in Put order, so the last word on a key wins.
// JSON is staged as text: the server parses it only for the objects that
// are created or changed, not for the many that a re-sync finds unchanged.
const stageSchema = `
CREATE TEMP TABLE stage_entities (
    ord     BIGINT NOT NULL,
    key     TEXT   NOT NULL,
    type    TEXT   NOT NULL,
    classes TEXT   NOT NULL,
    props   TEXT   NOT NULL,
    hash    BIGINT NOT NULL
);
CREATE TEMP TABLE stage_relationships (
    ord        BIGINT NOT NULL,
    key        TEXT   NOT NULL,
    type       TEXT   NOT NULL,
    class      TEXT   NOT NULL,
    from_scope TEXT   NOT NULL,
    from_key   TEXT   NOT NULL,
    to_scope   TEXT   NOT NULL,
    to_key     TEXT   NOT NULL,
    props      TEXT   NOT NULL,
    hash       BIGINT NOT NULL
);
CREATE TEMP TABLE stage_mappings (
    ord   BIGINT NOT NULL,
    key   TEXT   NOT NULL,
    type  TEXT   NOT NULL,
    class TEXT   NOT NULL,
    spec  TEXT   NOT NULL,
    props TEXT   NOT NULL,
    hash  BIGINT NOT NULL
);
CREATE TEMP TABLE stage_deletes (
    ord  BIGINT NOT NULL,
    kind TEXT   NOT NULL,
    key  TEXT   NOT NULL
);
`

// Column lists of the staging tables, in COPY order.
var (
	stageEntityColumns       = []string{"ord", "key", "type", "classes", "props", "hash"}
	stageRelationshipColumns = []string{"ord", "key", "type", "class", "from_scope", "from_key", "to_scope", "to_key", "props", "hash"}
	stageMappingColumns      = []string{"ord", "key", "type", "class", "spec", "props", "hash"}
	stageDeleteColumns       = []string{"ord", "kind", "key"}
)

// stagedBatch is a validated batch as COPY rows.
type stagedBatch struct {
	entities      [][]any
	relationships [][]any
	mappings      [][]any
	deletes       [][]any
}

// encodeBatch validates every object of b and turns it into staging rows,
// numbering them from *ord on. It returns every problem of the batch, each
// naming its object, and then *ord is left unchanged.
func encodeBatch(b *store.Batch, scope string, ord *int64) (*stagedBatch, error) {
	var errs []error
	out := &stagedBatch{}
	next := *ord
	for i := range b.Entities {
		e := &b.Entities[i]
		if err := graph.ValidateEntity(e); err != nil {
			errs = append(errs, fmt.Errorf("entity %d: %w", i, err))
			continue
		}
		row, err := entityRow(e)
		if err != nil {
			errs = append(errs, fmt.Errorf("entity %d (%s/%s): %w", i, e.Type, e.Key, err))
			continue
		}
		next++
		out.entities = append(out.entities, append([]any{next}, row...))
	}
	for i := range b.Relationships {
		r := &b.Relationships[i]
		if err := graph.ValidateRelationship(r); err != nil {
			errs = append(errs, fmt.Errorf("relationship %d: %w", i, err))
			continue
		}
		row, err := relationshipRow(r, scope)
		if err != nil {
			errs = append(errs, fmt.Errorf("relationship %d (%s/%s): %w", i, r.Type, r.Key, err))
			continue
		}
		next++
		out.relationships = append(out.relationships, append([]any{next}, row...))
	}
	for i := range b.Mappings {
		m := &b.Mappings[i]
		if err := graph.ValidateMappedRelationship(m); err != nil {
			errs = append(errs, fmt.Errorf("mapping %d: %w", i, err))
			continue
		}
		row, err := mappingRow(m)
		if err != nil {
			errs = append(errs, fmt.Errorf("mapping %d (%s/%s): %w", i, m.Type, m.Key, err))
			continue
		}
		next++
		out.mappings = append(out.mappings, append([]any{next}, row...))
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
		if err := checkText(d.Key); err != nil {
			errs = append(errs, fmt.Errorf("delete %d: key %w", i, err))
			continue
		}
		next++
		out.deletes = append(out.deletes, []any{next, string(d.Kind), d.Key})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	*ord = next
	return out, nil
}

// entityRow encodes an entity as staging columns after ord.
func entityRow(e *graph.Entity) ([]any, error) {
	if err := checkText(e.Key); err != nil {
		return nil, fmt.Errorf("_key %w", err)
	}
	classes, err := encodeStrings(e.Class)
	if err != nil {
		return nil, fmt.Errorf("_class %w", err)
	}
	props, err := encodeProps(e.Properties)
	if err != nil {
		return nil, err
	}
	hash := objectHash([]byte(e.Type), classes, props)
	return []any{e.Key, e.Type, classes, props, hash}, nil
}

// relationshipRow encodes a relationship as staging columns after ord.
// Endpoints without a scope are in the synced scope.
func relationshipRow(r *graph.Relationship, scope string) ([]any, error) {
	fromScope, toScope := r.FromScope, r.ToScope
	if fromScope == "" {
		fromScope = scope
	}
	if toScope == "" {
		toScope = scope
	}
	for _, f := range []struct{ name, v string }{
		{"_key", r.Key}, {"_fromEntityKey", r.FromKey}, {"_toEntityKey", r.ToKey},
		{"from scope", fromScope}, {"to scope", toScope},
	} {
		if err := checkText(f.v); err != nil {
			return nil, fmt.Errorf("%s %w", f.name, err)
		}
	}
	props, err := encodeProps(r.Properties)
	if err != nil {
		return nil, err
	}
	hash := objectHash([]byte(r.Type), []byte(r.Class), []byte(fromScope), []byte(r.FromKey),
		[]byte(toScope), []byte(r.ToKey), props)
	return []any{r.Key, r.Type, r.Class, fromScope, r.FromKey, toScope, r.ToKey, props, hash}, nil
}

// mappingRow encodes a mapped relationship as staging columns after ord.
func mappingRow(m *graph.MappedRelationship) ([]any, error) {
	if err := checkText(m.Key); err != nil {
		return nil, fmt.Errorf("_key %w", err)
	}
	spec, err := encodeMappingSpec(m)
	if err != nil {
		return nil, err
	}
	props, err := encodeProps(m.Properties)
	if err != nil {
		return nil, err
	}
	hash := objectHash([]byte(m.Type), []byte(m.Class), spec, props)
	return []any{m.Key, m.Type, m.Class, spec, props, hash}, nil
}

// encodeMappingSpec writes everything of a mapped relationship but its key,
// type, class and properties as one JSON object.
func encodeMappingSpec(m *graph.MappedRelationship) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(`{"direction":`)
	if err := appendString(&buf, string(m.Direction)); err != nil {
		return nil, fmt.Errorf("direction %w", err)
	}
	buf.WriteString(`,"sourceKey":`)
	if err := appendString(&buf, m.SourceKey); err != nil {
		return nil, fmt.Errorf("source key %w", err)
	}
	buf.WriteString(`,"skipTargetCreation":`)
	if m.SkipTargetCreation {
		buf.WriteString("true")
	} else {
		buf.WriteString("false")
	}
	buf.WriteString(`,"targetFilterKeys":[`)
	for i, f := range m.TargetFilterKeys {
		if i > 0 {
			buf.WriteByte(',')
		}
		b, err := encodeStrings(f)
		if err != nil {
			return nil, fmt.Errorf("target filter key %w", err)
		}
		buf.Write(b)
	}
	buf.WriteString(`],"targetEntity":{"key":`)
	t := &m.TargetEntity
	if err := appendString(&buf, t.Key); err != nil {
		return nil, fmt.Errorf("target _key %w", err)
	}
	buf.WriteString(`,"type":`)
	if err := appendString(&buf, t.Type); err != nil {
		return nil, fmt.Errorf("target _type %w", err)
	}
	buf.WriteString(`,"class":`)
	classes, err := encodeStrings(t.Class)
	if err != nil {
		return nil, fmt.Errorf("target _class %w", err)
	}
	buf.Write(classes)
	buf.WriteString(`,"properties":`)
	props, err := encodeProps(t.Properties)
	if err != nil {
		return nil, fmt.Errorf("target %w", err)
	}
	buf.Write(props)
	buf.WriteString("}}")
	return buf.Bytes(), nil
}

// mappingSpec is the decoded form of encodeMappingSpec's output.
type mappingSpec struct {
	Direction          graph.Direction `json:"direction"`
	SourceKey          string          `json:"sourceKey"`
	SkipTargetCreation bool            `json:"skipTargetCreation"`
	TargetFilterKeys   [][]string      `json:"targetFilterKeys"`
	TargetEntity       struct {
		Key        string           `json:"key"`
		Type       string           `json:"type"`
		Class      []string         `json:"class"`
		Properties graph.Properties `json:"properties"`
	} `json:"targetEntity"`
}

// decodeMapping fills the parts of m stored in spec.
func decodeMapping(raw []byte, m *graph.MappedRelationship) error {
	var s mappingSpec
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("decode mapping %s: %w", m.Key, err)
	}
	m.Direction = s.Direction
	m.SourceKey = s.SourceKey
	m.SkipTargetCreation = s.SkipTargetCreation
	m.TargetFilterKeys = s.TargetFilterKeys
	m.TargetEntity = graph.Entity{Key: s.TargetEntity.Key, Type: s.TargetEntity.Type,
		Class: s.TargetEntity.Class, Properties: s.TargetEntity.Properties}
	return nil
}
