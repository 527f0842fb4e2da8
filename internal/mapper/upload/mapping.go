package upload

import (
	"encoding/json"
	"strings"

	"github.com/qgraph/qgraph/internal/graph"
)

// mappingJSON is the _mapping field of a mapped relationship.
type mappingJSON struct {
	RelationshipDirection string                     `json:"relationshipDirection"`
	SourceEntityKey       string                     `json:"sourceEntityKey"`
	TargetFilterKeys      [][]string                 `json:"targetFilterKeys"`
	TargetEntity          map[string]json.RawMessage `json:"targetEntity"`
	SkipTargetCreation    bool                       `json:"skipTargetCreation"`
}

// decodeMapping reads a mapped relationship. A missing _key is built as
// upstream does: <source>|<class>|<target _key>, or
// <source>|<class>|<DIRECTION>:k=v… from the first filter when the target
// has no _key. A missing _type is built from the target's _type.
func decodeMapping(fields map[string]json.RawMessage, bad badFunc) (*graph.MappedRelationship, []Problem) {
	var probs []Problem
	m := &graph.MappedRelationship{}
	var mj mappingJSON
	dec := json.NewDecoder(strings.NewReader(string(fields["_mapping"])))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&mj); err != nil {
		return m, []Problem{bad("_mapping", "%v", err)}
	}
	m.Direction = graph.Direction(strings.ToUpper(mj.RelationshipDirection))
	if m.Direction == "" {
		m.Direction = graph.Forward
	}
	m.SourceKey = mj.SourceEntityKey
	m.TargetFilterKeys = mj.TargetFilterKeys
	m.SkipTargetCreation = mj.SkipTargetCreation
	if mj.TargetEntity == nil {
		probs = append(probs, bad("_mapping.targetEntity", "is required"))
	} else {
		var tprobs []Problem
		tbad := func(field, format string, args ...any) Problem {
			return bad("_mapping.targetEntity."+field, format, args...)
		}
		if raw, ok := mj.TargetEntity["_key"]; ok {
			if err := json.Unmarshal(raw, &m.TargetEntity.Key); err != nil {
				tprobs = append(tprobs, tbad("_key", "must be a string"))
			}
		}
		if raw, ok := mj.TargetEntity["_type"]; ok {
			if err := json.Unmarshal(raw, &m.TargetEntity.Type); err != nil {
				tprobs = append(tprobs, tbad("_type", "must be a string"))
			}
		}
		if _, ok := mj.TargetEntity["_class"]; ok {
			m.TargetEntity.Class = classes(mj.TargetEntity, &tprobs, func(field, format string, args ...any) Problem {
				return tbad(field, format, args...)
			})
		}
		m.TargetEntity.Properties = properties(mj.TargetEntity, &tprobs, tbad, "_key", "_type", "_class")
		if _, ok := mj.TargetEntity["_class"]; !ok && !m.SkipTargetCreation {
			tprobs = append(tprobs, tbad("_class", "is required: the target is created from this description when no entity matches (set skipTargetCreation to only link to entities that exist)"))
		}
		probs = append(probs, tprobs...)
	}
	str := func(name string) string {
		raw, ok := fields[name]
		if !ok {
			return ""
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			probs = append(probs, bad(name, "must be a string"))
		}
		return s
	}
	m.Class = str("_class")
	if m.Class == "" {
		probs = append(probs, bad("_class", "is required"))
	}
	m.Type = str("_type")
	m.Key = str("_key")
	m.Properties = properties(fields, &probs, bad, "_key", "_type", "_class", "_mapping")
	if m.Type == "" && m.TargetEntity.Type != "" && m.Class != "" {
		m.Type = "mapped_" + strings.ToLower(m.Class) + "_" + m.TargetEntity.Type
	}
	if m.Key == "" && m.SourceKey != "" && m.Class != "" {
		m.Key = defaultMappingKey(m)
	}
	return m, probs
}

func defaultMappingKey(m *graph.MappedRelationship) string {
	base := m.SourceKey + "|" + strings.ToLower(m.Class) + "|"
	if m.TargetEntity.Key != "" {
		return base + m.TargetEntity.Key
	}
	var b strings.Builder
	b.WriteString(base + string(m.Direction))
	for _, f := range m.TargetFilterKeys {
		for _, n := range f {
			v, _ := m.TargetValue(n)
			b.WriteString(":" + n + "=")
			if s, ok := v.(string); ok {
				b.WriteString(s)
			} else {
				enc, _ := graph.MarshalValue(v)
				b.Write(enc)
			}
		}
	}
	return b.String()
}
