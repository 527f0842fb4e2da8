package config

import (
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/qgraph/qgraph/internal/mapper"
)

// MapperRules returns the mapping rules the mapper runs with: the rules
// qgraph ships (mapper.DefaultRules) followed by those of the file.
func (c *Config) MapperRules() []mapper.Rule {
	return append(mapper.DefaultRules(), c.MappingRules...)
}

var (
	ruleKeys     = []string{"source", "relationship", "target"}
	ruleSideKeys = []string{"class", "type", "property"}
)

// mappingRules reads the mappingRules list. Each rule is checked field by
// field with the mapper's own checks, so that an error names its path, and
// the whole set (defaults first) is then checked by mapper.ValidateRules.
func (d *decoder) mappingRules(n *yaml.Node) []mapper.Rule {
	const path = "mappingRules"
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "must be a list of mapping rules")
		return nil
	}
	defaults := map[string]bool{}
	for _, r := range mapper.DefaultRules() {
		defaults[r.String()] = true
	}
	failed := len(d.errs)
	var rules []mapper.Rule
	seen := map[string]string{}
	for i, rn := range n.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		r, ok := d.mappingRule(rn, p)
		if !ok {
			continue
		}
		switch prev, dup := seen[r.String()]; {
		case defaults[r.String()]:
			d.fail(rn, p, "%s is a default rule, always applied: remove it from the file", r)
		case dup:
			d.fail(rn, p, "%s repeats %s", r, prev)
		default:
			seen[r.String()] = p
			rules = append(rules, r)
		}
	}
	if len(d.errs) == failed {
		// The field checks above are the mapper's; this is what Resolve
		// itself will check, so a file accepted here is never refused there.
		if err := mapper.ValidateRules(append(mapper.DefaultRules(), rules...)); err != nil {
			d.fail(n, path, "%v", err)
		}
	}
	return rules
}

// mappingRule reads one rule; ok is false when it has a problem (recorded).
func (d *decoder) mappingRule(n *yaml.Node, path string) (mapper.Rule, bool) {
	if isNull(n) || n.Kind != yaml.MappingNode {
		d.fail(n, path, "must be a mapping with source, relationship and target")
		return mapper.Rule{}, false
	}
	failed := len(d.errs)
	var r mapper.Rule
	var source, target *yaml.Node
	d.mapping(n, path, ruleKeys, func(key string, v *yaml.Node, p string) {
		switch key {
		case "source":
			source = v
		case "target":
			target = v
		case "relationship":
			r.Relationship = d.str(v, p)
			if d.failedAt(p) {
				return
			}
			if err := mapper.ValidateRuleRelationship(r.Relationship); err != nil {
				d.fail(v, p, "%v", err)
			}
		}
	})
	if r.Relationship == "" && !d.failedAt(path+".relationship") {
		d.fail(n, path+".relationship", "is required, an upper-case class like HAS")
	}
	r.Source, r.SourceProperty = d.ruleSide(n, source, path+".source")
	r.Target, r.TargetProperty = d.ruleSide(n, target, path+".target")
	return r, len(d.errs) == failed
}

// ruleSide reads one side of a rule: a class or a _type, and a property.
// parent is the rule node, for the line of a missing side.
func (d *decoder) ruleSide(parent, n *yaml.Node, path string) (side, property string) {
	if isNull(n) {
		d.fail(parent, path, "is required: {class: NAME, property: NAME} or {type: NAME, property: NAME}")
		return "", ""
	}
	var class, typ string
	var classNode, typeNode *yaml.Node
	d.mapping(n, path, ruleSideKeys, func(key string, v *yaml.Node, p string) {
		switch key {
		case "class":
			class, classNode = d.str(v, p), v
		case "type":
			typ, typeNode = d.str(v, p), v
		case "property":
			property = d.str(v, p)
			if d.failedAt(p) {
				return
			}
			if err := mapper.ValidateRuleProperty(property); err != nil {
				d.fail(v, p, "%v", err)
			}
		}
	})
	if n.Kind != yaml.MappingNode {
		return "", ""
	}
	if property == "" && !d.failedAt(path+".property") {
		d.fail(n, path+".property", "is required")
	}
	switch {
	case class != "" && typ != "":
		d.fail(n, path, "give either class or type, not both")
	case class != "":
		side = class
		if err := mapper.ValidateRuleSide(class); err != nil {
			d.fail(classNode, path+".class", "%v", err)
		} else if !mapper.IsClassSide(class) {
			d.fail(classNode, path+".class", "%q starts with a lower-case letter, which makes it a _type: write type: %s, or capitalise the class", class, class)
		}
	case typ != "":
		side = typ
		if err := mapper.ValidateRuleSide(typ); err != nil {
			d.fail(typeNode, path+".type", "%v", err)
		} else if mapper.IsClassSide(typ) {
			d.fail(typeNode, path+".type", "%q starts with an upper-case letter, which makes it a class: write class: %s, or use the lower-case _type", typ, typ)
		}
	case !d.failedAt(path+".class") && !d.failedAt(path+".type"):
		d.fail(n, path, "needs a class (like Finding) or a type (like qualys_host_finding)")
	}
	return side, property
}
