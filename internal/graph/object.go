package graph

import "strings"

// Entity is a node of the graph. Key is unique within the scope that owns
// the entity; Type is the specific type (qualys_host_finding) and Class the
// one or more abstract classes (Finding).
type Entity struct {
	Key        string
	Type       string
	Class      []string
	Properties Properties
}

// HasClass reports whether e carries class c.
func (e *Entity) HasClass(c string) bool {
	for _, x := range e.Class {
		if x == c {
			return true
		}
	}
	return false
}

// Relationship is a directed edge between two entities. FromKey and ToKey
// name entities in the relationship's own scope unless FromScope or ToScope
// name another scope.
type Relationship struct {
	Key        string
	Type       string
	Class      string
	FromKey    string
	ToKey      string
	FromScope  string
	ToScope    string
	Properties Properties
}

// Direction says which way a mapped relationship points.
type Direction string

// The directions of a mapped relationship.
const (
	// Forward makes the source entity the relationship's from side.
	Forward Direction = "FORWARD"
	// Reverse makes the target entity the relationship's from side.
	Reverse Direction = "REVERSE"
)

// MappedRelationship asks the mapper to link a source entity of the scope to
// every entity, in any scope, that matches one of TargetFilterKeys; when
// nothing matches and SkipTargetCreation is false, the mapper creates a
// placeholder from TargetEntity.
type MappedRelationship struct {
	Key       string
	Type      string
	Class     string
	Direction Direction
	SourceKey string
	// TargetFilterKeys lists alternatives (OR-ed); each is a list of property
	// names (AND-ed) whose values are taken from TargetEntity. "_type",
	// "_class" and "_key" are allowed names.
	TargetFilterKeys   [][]string
	TargetEntity       Entity
	SkipTargetCreation bool
	Properties         Properties
}

// TargetValue returns the value of a filter key on the target entity,
// resolving the reserved names _key, _type and _class (first class).
func (m *MappedRelationship) TargetValue(name string) (any, bool) {
	switch name {
	case "_key":
		return m.TargetEntity.Key, m.TargetEntity.Key != ""
	case "_type":
		return m.TargetEntity.Type, m.TargetEntity.Type != ""
	case "_class":
		if len(m.TargetEntity.Class) == 0 {
			return nil, false
		}
		return m.TargetEntity.Class[0], true
	}
	v, ok := m.TargetEntity.Properties[name]
	return v, ok
}

// RelationshipType builds a relationship _type from the source type, the
// relationship class and the target type: the leading segments of the target
// type that equal the source's at the same positions are dropped, keeping at
// least the last one. qualys_account HAS qualys_web_app_scanner gives
// qualys_account_has_web_app_scanner.
func RelationshipType(fromType, class, toType string) string {
	from := strings.Split(fromType, "_")
	to := strings.Split(toType, "_")
	i := 0
	for i < len(from) && i < len(to)-1 && from[i] == to[i] {
		i++
	}
	return fromType + "_" + strings.ToLower(class) + "_" + strings.Join(to[i:], "_")
}

// RelationshipKey builds a direct relationship _key: fromKey|class|toKey.
func RelationshipKey(fromKey, class, toKey string) string {
	return fromKey + "|" + strings.ToLower(class) + "|" + toKey
}
