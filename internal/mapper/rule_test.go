package mapper

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

func TestRuleValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		rule Rule
		want string // substring of the error; "" means valid
	}{
		{"default", DefaultRules()[0], ""},
		{"type sides", Rule{Source: "threat_feed_item", SourceProperty: "qid", Relationship: "HAS", Target: "qualys_host_finding", TargetProperty: "qid"}, ""},
		{"tag property", Rule{Source: "Host", SourceProperty: "tag.Owner", Relationship: "OWNS", Target: "Person", TargetProperty: "email"}, ""},
		{"missing source", Rule{SourceProperty: "qid", Relationship: "HAS", Target: "Finding", TargetProperty: "qid"}, "source is required"},
		{"lower-case relationship", Rule{Source: "A", SourceProperty: "x", Relationship: "has", Target: "B", TargetProperty: "y"}, "upper-case class"},
		{"bad property", Rule{Source: "A", SourceProperty: "_key", Relationship: "HAS", Target: "B", TargetProperty: "y"}, `sourceProperty "_key"`},
		{"bad target", Rule{Source: "A", SourceProperty: "x", Relationship: "HAS", Target: "no spaces", TargetProperty: "y"}, `target "no spaces"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.rule.Validate()
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("Validate() = %v, want an error containing %q", err, c.want)
			}
		})
	}
	t.Run("duplicates", func(t *testing.T) {
		err := ValidateRules(append(DefaultRules(), DefaultRules()[1]))
		if err == nil || !strings.Contains(err.Error(), "rule 2: ") || !strings.Contains(err.Error(), "repeats rule 1") {
			t.Fatalf("ValidateRules() = %v, want rule 2 repeating rule 1", err)
		}
	})
}

func TestCanonical(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   any
		want string
	}{
		{int64(100), "n:100"},
		{float64(100), "n:100"},
		{"100", "n:100"},
		{" 100 ", "n:100"},
		{"1e2", "n:100"},
		{1.5, "n:1.5"},
		{"1.5", "n:1.5"},
		{"QID-100", "s:QID-100"},
		{"0x10", "s:0x10"},
		{true, "b:true"},
	}
	for _, c := range cases {
		got, ok := canonical(c.in)
		if !ok || got != c.want {
			t.Errorf("canonical(%#v) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
	if _, ok := canonical(nil); ok {
		t.Error("canonical(nil) is ok")
	}
	if got := canonicalValues([]any{int64(1), "2", nil}); len(got) != 2 || got[0] != "n:1" || got[1] != "n:2" {
		t.Errorf("canonicalValues = %v", got)
	}
}

// ruleRelKey is the key the ThreatIntel→Finding rule gives a pair.
func ruleRelKey(rule Rule, srcScope, srcKey, tgtScope, tgtKey string) string {
	return rule.keyPrefix() + srcScope + "|" + srcKey + "|" + tgtScope + "|" + tgtKey
}

func TestThreatIntelRule(t *testing.T) { eachStore(t, threatIntelRule) }

func threatIntelRule(t *testing.T, st store.Store) {
	m := newTestMapper(st, DefaultRules())
	toFinding := DefaultRules()[0]
	toVuln := DefaultRules()[1]
	vuln := graph.Entity{Key: "vuln-qid:200", Type: "qualys_vuln", Class: []string{"Vulnerability"}, Properties: graph.Properties{
		"name": "QID 200", "displayName": "QID 200", "qid": int64(200), "category": "vuln", "severity": "high",
		"blocking": false, "open": true, "production": nil, "public": nil,
	}}
	f100, f200 := findingEntity("100", int64(100)), findingEntity("200", int64(200))
	syncScope(t, st, qualysScope, store.Batch{Entities: []graph.Entity{f100, f200, vuln}})
	intel := store.UploadScope("intel")
	ti := threatIntel("a", "100") // a numeric string matches the integer qid
	syncScope(t, st, intel, store.Batch{Entities: []graph.Entity{ti}})

	resolve(t, m)
	t.Run("numeric string matches number", func(t *testing.T) {
		r := liveRel(t, st, ruleRelKey(toFinding, intel, ti.Key, qualysScope, f100.Key))
		if r == nil {
			t.Fatal("ThreatIntel HAS finding 100 is missing")
		}
		if r.Class != "HAS" || r.Type != "threat_feed_item_has_qualys_host_finding" {
			t.Errorf("relationship = %s %s", r.Class, r.Type)
		}
		if liveRel(t, st, ruleRelKey(toFinding, intel, ti.Key, qualysScope, f200.Key)) != nil {
			t.Error("ThreatIntel HAS finding 200 exists with a different qid")
		}
	})

	ti.Properties["qid"] = int64(200)
	syncScope(t, st, intel, store.Batch{Entities: []graph.Entity{ti}})
	rep := resolve(t, m)
	t.Run("a changed qid moves the relationships", func(t *testing.T) {
		if liveRel(t, st, ruleRelKey(toFinding, intel, ti.Key, qualysScope, f100.Key)) != nil {
			t.Error("the relationship to finding 100 is still live")
		}
		if liveRel(t, st, ruleRelKey(toFinding, intel, ti.Key, qualysScope, f200.Key)) == nil {
			t.Error("ThreatIntel HAS finding 200 is missing")
		}
		if liveRel(t, st, ruleRelKey(toVuln, intel, ti.Key, qualysScope, vuln.Key)) == nil {
			t.Error("ThreatIntel HAS vulnerability 200 is missing")
		}
		if rep.RelationshipsDeleted != 1 || rep.RelationshipsPut != 2 {
			t.Errorf("report = %+v, want 2 put and 1 deleted", rep)
		}
	})

	f300 := findingEntity("300", 300.0) // a float qid equal to an integer
	ti2 := threatIntel("b", int64(300))
	syncScope(t, st, qualysScope, store.Batch{Entities: []graph.Entity{f100, f200, f300, vuln}})
	syncScope(t, st, intel, store.Batch{Entities: []graph.Entity{ti, ti2}})
	resolve(t, m)
	t.Run("float and integer compare as numbers", func(t *testing.T) {
		if liveRel(t, st, ruleRelKey(toFinding, intel, ti2.Key, qualysScope, f300.Key)) == nil {
			t.Error("ThreatIntel 300 HAS finding 300.0 is missing")
		}
	})

	syncScope(t, st, intel, store.Batch{Entities: []graph.Entity{ti2}})
	resolve(t, m)
	t.Run("a deleted source takes its relationships along", func(t *testing.T) {
		if liveRel(t, st, ruleRelKey(toFinding, intel, ti.Key, qualysScope, f200.Key)) != nil {
			t.Error("the relationship of the deleted ThreatIntel is still live")
		}
		if liveRel(t, st, ruleRelKey(toFinding, intel, ti2.Key, qualysScope, f300.Key)) == nil {
			t.Error("the other ThreatIntel lost its relationship")
		}
	})

	m = newTestMapper(st, DefaultRules()[1:])
	resolve(t, m)
	t.Run("a dropped rule's relationships go", func(t *testing.T) {
		if liveRel(t, st, ruleRelKey(toFinding, intel, ti2.Key, qualysScope, f300.Key)) != nil {
			t.Error("relationship of the dropped rule is still live")
		}
	})

	syncScope(t, st, store.UploadScope("misc"), store.Batch{Entities: []graph.Entity{hostEntity("aws_instance", arn, 0)}})
	t.Run("a change without rule values evaluates no rule", func(t *testing.T) {
		if rep := resolve(t, m); rep.RulesEvaluated != 0 {
			t.Errorf("report = %+v, want no rule evaluated", rep)
		}
	})
	vuln300 := vuln
	vuln300.Key, vuln300.Properties = "vuln-qid:300", vuln.Properties.Clone()
	vuln300.Properties["qid"] = "300"
	syncScope(t, st, qualysScope, store.Batch{Entities: []graph.Entity{f100, f200, f300, vuln, vuln300}})
	t.Run("a new target is linked by evaluating its value only", func(t *testing.T) {
		rep := resolve(t, m)
		if rep.RulesEvaluated != 1 || rep.RuleMatches != 1 || rep.RelationshipsPut != 1 {
			t.Errorf("report = %+v, want 1 evaluation with 1 match put", rep)
		}
		if liveRel(t, st, ruleRelKey(toVuln, intel, ti2.Key, qualysScope, vuln300.Key)) == nil {
			t.Error("ThreatIntel 300 HAS vulnerability \"300\" is missing")
		}
	})
}

func TestAppliedRules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openSQLite(t)
	custom := Rule{Source: "intel_item", SourceProperty: "cve", Relationship: "MENTIONS", Target: "cve_record", TargetProperty: "name"}
	steps := []struct {
		name    string
		resolve []Rule // nil: no Resolve before reading
		want    []Rule
	}{
		{"fresh store", nil, DefaultRules()},
		{"after a Resolve with a configured rule", append(DefaultRules(), custom), append(DefaultRules(), custom)},
		{"after the rule was removed", DefaultRules(), DefaultRules()},
	}
	for _, s := range steps {
		if s.resolve != nil {
			resolve(t, newTestMapper(st, s.resolve))
		}
		got, err := AppliedRules(ctx, st)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if !reflect.DeepEqual(got, s.want) {
			t.Errorf("%s: AppliedRules = %v, want %v", s.name, got, s.want)
		}
	}
}
