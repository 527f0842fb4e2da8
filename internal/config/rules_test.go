package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/qgraph/qgraph/internal/mapper"
)

// withRules is the minimal config followed by a mappingRules section.
func withRules(rules string) string {
	return minimal + "mappingRules:\n" + rules
}

func TestParseMappingRules(t *testing.T) {
	src := withRules(`
  - source: {class: ThreatIntel, property: cveId}
    relationship: HAS
    target: {type: cve, property: name}
  - source:
      type: intel_item
      property: tag.Owner
    relationship: ${REL}
    target:
      class: Person
      property: email
`)
	c, err := Parse([]byte(src), env(map[string]string{"QUALYS_USERNAME": "u", "QUALYS_PASSWORD": "p", "REL": "OWNED_BY"}))
	if err != nil {
		t.Fatal(err)
	}
	want := []mapper.Rule{
		{Source: "ThreatIntel", SourceProperty: "cveId", Relationship: "HAS", Target: "cve", TargetProperty: "name"},
		{Source: "intel_item", SourceProperty: "tag.Owner", Relationship: "OWNED_BY", Target: "Person", TargetProperty: "email"},
	}
	if !reflect.DeepEqual(c.MappingRules, want) {
		t.Errorf("MappingRules = %v\nwant %v", c.MappingRules, want)
	}
	if got := c.MapperRules(); !reflect.DeepEqual(got, append(mapper.DefaultRules(), want...)) {
		t.Errorf("MapperRules = %v, want the defaults then the file's", got)
	}
	if err := mapper.ValidateRules(c.MapperRules()); err != nil {
		t.Errorf("the mapper refuses rules the config accepted: %v", err)
	}

	none, err := Parse([]byte(minimal+"mappingRules: []\n"), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	if len(none.MappingRules) != 0 || !reflect.DeepEqual(none.MapperRules(), mapper.DefaultRules()) {
		t.Errorf("an empty list gives %v, %v", none.MappingRules, none.MapperRules())
	}
}

func TestParseMappingRulesErrors(t *testing.T) {
	const good = "  - source: {class: ThreatIntel, property: cveId}\n    relationship: HAS\n    target: {type: cve, property: name}\n"
	cases := []struct {
		name  string
		rules string
		want  []string
	}{
		{"not a list", " {source: x}\n", []string{"mappingRules: must be a list of mapping rules"}},
		{"rule not a mapping", "  - ThreatIntel.qid HAS Finding.qid\n", []string{"mappingRules[0]: must be a mapping with source, relationship and target"}},
		{"unknown rule key", good + "    relation: HAS\n", []string{"mappingRules[0].relation: unknown key (known keys: relationship, source, target)"}},
		{"unknown side key", "  - source: {class: ThreatIntel, prop: cveId}\n    relationship: HAS\n    target: {type: cve, property: name}\n",
			[]string{"mappingRules[0].source.prop: unknown key (known keys: class, property, type)", "mappingRules[0].source.property: is required"}},
		{"missing property", good + "  - source: {class: ThreatIntel, property: qid}\n    relationship: HAS\n    target: {class: Finding}\n",
			[]string{"mappingRules[1].target.property: is required (line 14)"}},
		{"bad property", "  - source: {class: Host, property: _key}\n    relationship: HAS\n    target: {type: cve, property: name}\n",
			[]string{`mappingRules[0].source.property: "_key" is not a property name`}},
		{"lower-case relationship", "  - source: {class: Host, property: x}\n    relationship: has\n    target: {type: cve, property: name}\n",
			[]string{`mappingRules[0].relationship: "has" must be an upper-case class like HAS (line 10)`}},
		{"relationship with a space", "  - source: {class: Host, property: x}\n    relationship: RELATES TO\n    target: {type: cve, property: name}\n",
			[]string{`mappingRules[0].relationship: "RELATES TO" must be an upper-case class`}},
		{"missing relationship", "  - source: {class: Host, property: x}\n    target: {type: cve, property: name}\n",
			[]string{"mappingRules[0].relationship: is required"}},
		{"missing sides", "  - relationship: HAS\n", []string{"mappingRules[0].source: is required", "mappingRules[0].target: is required"}},
		{"class and type", "  - source: {class: Host, type: aws_instance, property: x}\n    relationship: HAS\n    target: {type: cve, property: name}\n",
			[]string{"mappingRules[0].source: give either class or type, not both"}},
		{"neither class nor type", "  - source: {property: x}\n    relationship: HAS\n    target: {type: cve, property: name}\n",
			[]string{"mappingRules[0].source: needs a class (like Finding) or a type"}},
		{"lower-case class", "  - source: {class: host, property: x}\n    relationship: HAS\n    target: {type: cve, property: name}\n",
			[]string{`mappingRules[0].source.class: "host" starts with a lower-case letter, which makes it a _type`}},
		{"capitalised type", "  - source: {class: Host, property: x}\n    relationship: HAS\n    target: {type: Cve, property: name}\n",
			[]string{`mappingRules[0].target.type: "Cve" starts with an upper-case letter, which makes it a class`}},
		{"bad type", "  - source: {class: Host, property: x}\n    relationship: HAS\n    target: {type: my cve, property: name}\n",
			[]string{`mappingRules[0].target.type: "my cve" is neither a class nor a _type`}},
		{"side not a mapping", "  - source: ThreatIntel.qid\n    relationship: HAS\n    target: {type: cve, property: name}\n",
			[]string{"mappingRules[0].source: must be a mapping"}},
		{"duplicate rule", good + good, []string{"mappingRules[1]: ThreatIntel.cveId HAS cve.name repeats mappingRules[0] (line 12)"}},
		{"a default rule", "  - source: {class: ThreatIntel, property: qid}\n    relationship: HAS\n    target: {class: Finding, property: qid}\n",
			[]string{"mappingRules[0]: ThreatIntel.qid HAS Finding.qid is a default rule, always applied"}},
		{"unset variable", "  - source: {class: Host, property: x}\n    relationship: ${NOPE}\n    target: {type: cve, property: name}\n",
			[]string{"mappingRules[0].relationship: environment variable NOPE is not set"}},
		{"every bad rule reported", "  - relationship: has\n" + good + "  - source: {class: host, property: x}\n    relationship: HAS\n    target: {type: cve, property: name}\n",
			[]string{"mappingRules[0].relationship:", "mappingRules[0].source: is required", "mappingRules[2].source.class:"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(withRules(tc.rules)), testEnv)
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
			// The rules-only reading refuses the same rules.
			if _, err := ParseMappingRules([]byte(withRules(tc.rules)), testEnv); err == nil || !strings.Contains(err.Error(), tc.want[0]) {
				t.Errorf("ParseMappingRules error %v, want %q", err, tc.want[0])
			}
		})
	}
}

func TestLoadMappingRulesSkipsInstances(t *testing.T) {
	dir := t.TempDir()
	rule := "mappingRules:\n  - source: {type: intel_item, property: cve}\n    relationship: MENTIONS\n    target: {type: cve_record, property: name}\n"
	cases := []struct {
		name    string
		src     string
		rules   int
		wantErr string
	}{
		// The instance's secrets are unset in this environment.
		{"instance secrets unset", minimal + rule, 1, ""},
		{"no instances", rule, 1, ""},
		{"empty file", "", 0, ""},
		{"bad instance ignored", "instances:\n  - qualys: {}\n" + rule, 1, ""},
		{"unknown top key", "rules: []\n", 0, "rules: unknown key (known keys: instances, mappingRules)"},
		{"bad rule", "mappingRules:\n  - source: {type: intel_item}\n", 0, "mappingRules[0].source.property: is required"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".yaml")
			if err := os.WriteFile(path, []byte(tc.src), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := LoadMappingRules(path, env(nil))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), path) {
					t.Fatalf("case %d: error %v, want one naming %s and containing %q", i, err, path, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(c.MappingRules) != tc.rules || len(c.Instances) != 0 || c.Path != path {
				t.Errorf("got %d rules, %d instances, path %q", len(c.MappingRules), len(c.Instances), c.Path)
			}
		})
	}
	// Load itself still needs the instance's secrets.
	path := filepath.Join(dir, "full.yaml")
	if err := os.WriteFile(path, []byte(minimal+rule), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, env(nil)); err == nil || !strings.Contains(err.Error(), "QUALYS_PASSWORD is not set") {
		t.Errorf("Load without the secrets: %v", err)
	}
}
