package graph

import (
	"errors"
	"fmt"
	"strings"
)

// Limits of the validation rules.
const (
	// MinKeyLength is the shortest allowed _key.
	MinKeyLength = 10
	// MinTypeLength is the shortest allowed _type (cve fits).
	MinTypeLength = 3
	// MaxKeyLength is the longest allowed _key.
	MaxKeyLength = 4096
)

// propertyNamePattern is the rule for property names, as a regular
// expression; validPropertyName implements it without one.
const propertyNamePattern = `^(_|tag\.)?[A-Za-z0-9. -]+$`

// reservedProperties are system properties that objects may not set.
var reservedProperties = map[string]bool{
	"_key": true, "_type": true, "_class": true, "_id": true, "_version": true,
	"_beginOn": true, "_endOn": true, "_deleted": true, "_scope": true,
	"_fromEntityKey": true, "_toEntityKey": true, "_fromEntityId": true, "_toEntityId": true,
}

// ValidationError is one violation of the graph rules, naming the object and
// the property.
type ValidationError struct {
	Type     string // _type of the object
	Key      string // _key of the object
	Property string // the offending property, "" when the object as a whole is wrong
	Msg      string
}

// Error renders "_type/_key: property: msg".
func (e *ValidationError) Error() string {
	obj := e.Type + "/" + e.Key
	if e.Type == "" && e.Key == "" {
		obj = "object"
	}
	if e.Property == "" {
		return obj + ": " + e.Msg
	}
	return obj + ": " + e.Property + ": " + e.Msg
}

// classRequirement lists the properties a class requires, and whether null
// is allowed for them.
type classRequirement struct {
	props     []string
	allowNull bool
}

var classRequirements = map[string]classRequirement{
	"Service":       {props: []string{"category", "function"}},
	"Finding":       {props: []string{"category", "severity", "numericSeverity", "open"}},
	"Vulnerability": {props: []string{"category", "severity", "blocking", "open", "production", "public"}, allowNull: true},
}

// ValidateEntity checks e against the graph rules and returns every
// violation joined (errors.Join of *ValidationError), or nil.
func ValidateEntity(e *Entity) error {
	var errs []error
	bad := func(prop, format string, args ...any) {
		errs = append(errs, &ValidationError{Type: e.Type, Key: e.Key, Property: prop, Msg: fmt.Sprintf(format, args...)})
	}
	checkKey(e.Key, bad)
	checkType(e.Type, bad)
	if len(e.Class) == 0 {
		bad("_class", "at least one class is required")
	}
	for _, c := range e.Class {
		if !validClass(c) {
			bad("_class", "class %q must start with an upper-case letter and hold only letters, digits and '_'", c)
		}
	}
	for _, name := range []string{"name", "displayName"} {
		v, ok := e.Properties[name]
		if _, isString := v.(string); !ok || !isString {
			bad(name, "is required and must be a string")
		}
	}
	for _, c := range e.Class {
		req, ok := classRequirements[c]
		if !ok {
			continue
		}
		for _, p := range req.props {
			v, present := e.Properties[p]
			if !present || (v == nil && !req.allowNull) {
				bad(p, "is required by class %s", c)
			}
		}
	}
	checkProperties(e.Properties, bad)
	return errors.Join(errs...)
}

// ValidateRelationship checks r against the graph rules.
func ValidateRelationship(r *Relationship) error {
	var errs []error
	bad := func(prop, format string, args ...any) {
		errs = append(errs, &ValidationError{Type: r.Type, Key: r.Key, Property: prop, Msg: fmt.Sprintf(format, args...)})
	}
	checkKey(r.Key, bad)
	checkType(r.Type, bad)
	checkRelClass(r.Class, bad)
	if r.FromKey == "" {
		bad("_fromEntityKey", "is required")
	}
	if r.ToKey == "" {
		bad("_toEntityKey", "is required")
	}
	checkProperties(r.Properties, bad)
	return errors.Join(errs...)
}

// ValidateMappedRelationship checks m against the graph rules.
func ValidateMappedRelationship(m *MappedRelationship) error {
	var errs []error
	bad := func(prop, format string, args ...any) {
		errs = append(errs, &ValidationError{Type: m.Type, Key: m.Key, Property: prop, Msg: fmt.Sprintf(format, args...)})
	}
	checkKey(m.Key, bad)
	checkType(m.Type, bad)
	checkRelClass(m.Class, bad)
	if m.SourceKey == "" {
		bad("_mapping.sourceEntityKey", "is required")
	}
	if m.Direction != Forward && m.Direction != Reverse {
		bad("_mapping.relationshipDirection", "must be FORWARD or REVERSE, not %q", m.Direction)
	}
	if m.TargetEntity.Type != "" {
		checkTypeOf("_mapping.targetEntity._type", m.TargetEntity.Type, bad)
	}
	for _, c := range m.TargetEntity.Class {
		if !validClass(c) {
			bad("_mapping.targetEntity._class", "class %q must start with an upper-case letter and hold only letters, digits and '_'", c)
		}
	}
	if len(m.TargetFilterKeys) == 0 {
		bad("_mapping.targetFilterKeys", "needs at least one filter")
	}
	for i, f := range m.TargetFilterKeys {
		if len(f) == 0 {
			bad("_mapping.targetFilterKeys", "filter %d is empty", i)
		}
		for _, name := range f {
			if _, ok := m.TargetValue(name); !ok {
				bad("_mapping.targetFilterKeys", "filter %d names %q, which the target entity does not have", i, name)
			}
		}
	}
	checkProperties(m.Properties, bad)
	return errors.Join(errs...)
}

func checkKey(key string, bad func(string, string, ...any)) {
	switch {
	case len(key) < MinKeyLength:
		bad("_key", "%q is shorter than %d characters", key, MinKeyLength)
	case len(key) > MaxKeyLength:
		bad("_key", "is longer than %d characters", MaxKeyLength)
	case strings.TrimSpace(key) != key:
		bad("_key", "%q has leading or trailing spaces", key)
	}
}

func checkType(typ string, bad func(string, string, ...any)) {
	checkTypeOf("_type", typ, bad)
}

// checkTypeOf checks the type typ of the property prop. A type starts with
// a lower-case letter: J1QL reads a bare word that starts with an upper-case
// letter as a class, so FIND could never reach a capitalised type.
func checkTypeOf(prop, typ string, bad func(string, string, ...any)) {
	switch {
	case typ == "":
		bad(prop, "is required")
	case len(typ) < MinTypeLength:
		bad(prop, "%q is shorter than %d characters", typ, MinTypeLength)
	case typ[0] < 'a' || typ[0] > 'z':
		bad(prop, "%q must start with a lower-case letter (types are snake_case, like aws_instance; J1QL reads a capitalised name as a class)", typ)
	case !validType(typ):
		bad(prop, "%q may hold only letters, digits, '_', ':', '.' and '-'", typ)
	}
}

func checkRelClass(class string, bad func(string, string, ...any)) {
	if class == "" || strings.ToUpper(class) != class {
		bad("_class", "relationship class %q must be upper-case, like HAS", class)
	}
}

// checkProperties reports every bad property name and value of p, in name
// order. Valid properties, the common case, are checked in map order
// without sorting; only a failure takes the sorted path that reports.
func checkProperties(p Properties, bad func(string, string, ...any)) {
	for name, v := range p {
		if !propertyOK(name, v) {
			checkPropertiesSorted(p, bad)
			return
		}
	}
}

// propertyOK reports whether checkPropertiesSorted would accept the
// property name with value v.
func propertyOK(name string, v any) bool {
	if len(name) > 0 && name[0] == '_' && reservedProperties[name] {
		return false
	}
	if !validPropertyName(name) {
		return false
	}
	switch v.(type) {
	case string, int64, float64, bool:
		return true
	}
	n, err := Normalize(v)
	if err != nil {
		return false
	}
	switch n.(type) {
	case string, int64, float64, bool:
		return true
	}
	return !strings.HasPrefix(name, "tag.")
}

func checkPropertiesSorted(p Properties, bad func(string, string, ...any)) {
	for _, name := range p.Names() {
		v := p[name]
		if reservedProperties[name] {
			bad(name, "is a reserved property name")
			continue
		}
		if !validPropertyName(name) {
			bad(name, "property name must match %s", propertyNamePattern)
			continue
		}
		n, err := Normalize(v)
		if err != nil {
			bad(name, "%v", err)
			continue
		}
		if strings.HasPrefix(name, "tag.") {
			switch n.(type) {
			case string, int64, float64, bool:
			default:
				bad(name, "tag values must be a string, number or boolean")
			}
		}
	}
}

// validPropertyName implements propertyNamePattern: an optional '_' then
// one or more of letters, digits, '.', ' ' and '-'. The optional "tag."
// prefix of the pattern needs no case: its characters are in the set.
func validPropertyName(name string) bool {
	if len(name) > 0 && name[0] == '_' {
		name = name[1:]
	}
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isAlnum(c) && c != '.' && c != ' ' && c != '-' {
			return false
		}
	}
	return true
}

// validType implements ^[a-z][A-Za-z0-9_:.-]*$.
func validType(typ string) bool {
	if typ == "" || typ[0] < 'a' || typ[0] > 'z' {
		return false
	}
	for i := 1; i < len(typ); i++ {
		c := typ[i]
		if !isAlnum(c) && c != '_' && c != ':' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

// validClass implements ^[A-Z][A-Za-z0-9_]*$.
func validClass(class string) bool {
	if class == "" || class[0] < 'A' || class[0] > 'Z' {
		return false
	}
	for i := 1; i < len(class); i++ {
		if c := class[i]; !isAlnum(c) && c != '_' {
			return false
		}
	}
	return true
}

// isAlnum reports whether c is an ASCII letter or digit.
func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
