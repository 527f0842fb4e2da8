package mapper

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Rule is a global mapping rule: every entity matching Source whose
// SourceProperty equals the TargetProperty of an entity matching Target gets
// a relationship of class Relationship to it. Source and Target name a class
// when they start with an upper-case letter (ThreatIntel, Finding) and a
// _type otherwise (qualys_host_finding). Numbers and numeric strings compare
// as numbers. Rules compare single values: an array-valued property is not
// matched reliably (a target array never matches; a source array matches on
// its elements only when the whole rule is evaluated), so the README tells
// users to keep rule properties single-valued.
type Rule struct {
	Source         string `json:"source" yaml:"source"`
	SourceProperty string `json:"sourceProperty" yaml:"sourceProperty"`
	Relationship   string `json:"relationship" yaml:"relationship"`
	Target         string `json:"target" yaml:"target"`
	TargetProperty string `json:"targetProperty" yaml:"targetProperty"`
}

// DefaultRules returns the rules qgraph ships: ThreatIntel.qid HAS
// Finding.qid and ThreatIntel.qid HAS Vulnerability.qid.
func DefaultRules() []Rule {
	return []Rule{
		{Source: "ThreatIntel", SourceProperty: "qid", Relationship: "HAS", Target: "Finding", TargetProperty: "qid"},
		{Source: "ThreatIntel", SourceProperty: "qid", Relationship: "HAS", Target: "Vulnerability", TargetProperty: "qid"},
	}
}

var (
	ruleSideRE     = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_:.-]*$`)
	rulePropertyRE = regexp.MustCompile(`^(tag\.)?[A-Za-z0-9][A-Za-z0-9. -]*$`)
	ruleClassRE    = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
)

// ValidateRuleSide checks one side of a rule: a class like Finding or a
// _type like qualys_host_finding. The error does not name the field; the
// caller does.
func ValidateRuleSide(v string) error {
	if v == "" {
		return errors.New("is required (a class like Finding or a _type like qualys_host_finding)")
	}
	if !ruleSideRE.MatchString(v) {
		return fmt.Errorf("%q is neither a class nor a _type", v)
	}
	return nil
}

// ValidateRuleProperty checks the property name of one side of a rule.
func ValidateRuleProperty(v string) error {
	if v == "" {
		return errors.New("is required")
	}
	if !rulePropertyRE.MatchString(v) {
		return fmt.Errorf("%q is not a property name", v)
	}
	return nil
}

// ValidateRuleRelationship checks the relationship class of a rule.
func ValidateRuleRelationship(v string) error {
	if !ruleClassRE.MatchString(v) {
		return fmt.Errorf("%q must be an upper-case class like HAS", v)
	}
	return nil
}

// Validate checks every field of r and returns all problems joined, each
// naming the field.
func (r Rule) Validate() error {
	var errs []error
	check := func(field string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %w", field, err))
		}
	}
	check("source", ValidateRuleSide(r.Source))
	check("sourceProperty", ValidateRuleProperty(r.SourceProperty))
	check("relationship", ValidateRuleRelationship(r.Relationship))
	check("target", ValidateRuleSide(r.Target))
	check("targetProperty", ValidateRuleProperty(r.TargetProperty))
	if len(errs) > 0 {
		return fmt.Errorf("mapping rule %s: %w", r, errors.Join(errs...))
	}
	return nil
}

// ValidateRules validates every rule and rejects duplicates, naming each
// rule by its index.
func ValidateRules(rules []Rule) error {
	var errs []error
	seen := map[string]int{}
	for i, r := range rules {
		if err := r.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("rule %d: %w", i, err))
			continue
		}
		if j, dup := seen[r.String()]; dup {
			errs = append(errs, fmt.Errorf("rule %d: %s repeats rule %d", i, r, j))
		}
		seen[r.String()] = i
	}
	return errors.Join(errs...)
}

// String renders r as "Source.prop REL Target.prop".
func (r Rule) String() string {
	return r.Source + "." + r.SourceProperty + " " + r.Relationship + " " + r.Target + "." + r.TargetProperty
}

// keyPrefix starts the _key of every relationship the rule makes.
func (r Rule) keyPrefix() string {
	return "mapping-rule:" + r.Source + "." + r.SourceProperty + ">" + r.Relationship + ">" + r.Target + "." + r.TargetProperty + "|"
}

// IsClassSide reports whether a rule side names a class (it starts with an
// upper-case letter) rather than a _type.
func IsClassSide(side string) bool {
	for _, c := range side {
		return unicode.IsUpper(c)
	}
	return false
}

// canonical returns the comparison form of a rule property value: numbers
// and numeric strings become "n:<number>", other strings "s:<text>",
// booleans "b:<bool>". ok is false for nil and unsupported values.
func canonical(v any) (string, bool) {
	switch x := v.(type) {
	case int64:
		return "n:" + strconv.FormatInt(x, 10), true
	case float64:
		return canonicalFloat(x)
	case string:
		s := strings.TrimSpace(x)
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return "n:" + strconv.FormatInt(n, 10), true
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && s != "" && !strings.ContainsAny(s, "xXpP_") {
			return canonicalFloat(f)
		}
		return "s:" + x, true
	case bool:
		return "b:" + strconv.FormatBool(x), true
	}
	return "", false
}

func canonicalFloat(f float64) (string, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", false
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<62 {
		return "n:" + strconv.FormatInt(int64(f), 10), true
	}
	return "n:" + strconv.FormatFloat(f, 'g', -1, 64), true
}

// canonicalValues returns the comparison forms of a property value; an
// array yields one per supported element.
func canonicalValues(v any) []string {
	if arr, ok := v.([]any); ok {
		var out []string
		for _, e := range arr {
			if c, ok := canonical(e); ok {
				out = append(out, c)
			}
		}
		return out
	}
	if c, ok := canonical(v); ok {
		return []string{c}
	}
	return nil
}

// storedForms returns the typed values a canonical form may be stored as,
// for binding in SQL lookups: a number as int64 or float64 and as its
// decimal string; a string as itself.
func storedForms(c string) []any {
	body := c[2:]
	switch c[0] {
	case 'n':
		if n, err := strconv.ParseInt(body, 10, 64); err == nil {
			return []any{n, body}
		}
		f, _ := strconv.ParseFloat(body, 64)
		return []any{f, body}
	case 's':
		return []any{body}
	case 'b':
		return []any{body == "true"}
	}
	return nil
}
