package upload

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
	"github.com/qgraph/qgraph/internal/store/sqlite"
)

func openSQLite(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "graph.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

const ec2 = `{"_key": "arn:aws:ec2:us-east-1:123456789012:instance/i-1", "_type": "aws_instance", "_class": "Host", "name": "web-1", "displayName": "web-1", "qualysQwebHostId": 12345, "cpu": 2.0, "tag.Owner": "ops"}`
const vpc = `{"_key": "vpc-0123456789", "_type": "aws_vpc", "_class": ["Network"], "name": "main", "displayName": "main"}`
const containsRel = `{"_key": "vpc-0123456789|containsRel|i-1", "_type": "aws_vpc_contains_instance", "_class": "CONTAINS", "_fromEntityKey": "vpc-0123456789", "_toEntityKey": "arn:aws:ec2:us-east-1:123456789012:instance/i-1"}`
const mapped = `{"_class": "HAS", "_mapping": {"relationshipDirection": "FORWARD", "sourceEntityKey": "vpc-0123456789", "targetFilterKeys": [["_type", "_key"]], "targetEntity": {"_key": "cve-2021-44228", "_type": "cve", "_class": "Vulnerability", "name": "CVE-2021-44228", "displayName": "CVE-2021-44228", "category": "cve", "severity": null, "blocking": false, "open": null, "production": null, "public": null}}}`

func TestRunShapes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		input string
	}{
		{"array", "[" + ec2 + ",\n" + vpc + ",\n" + containsRel + ",\n" + mapped + "]"},
		{"sections", `{"entities": [` + ec2 + `,` + vpc + `], "relationships": [` + containsRel + `], "mappedRelationships": [` + mapped + `]}`},
		{"ndjson", ec2 + "\n\n" + vpc + "\n" + containsRel + "\r\n" + mapped + "\n"},
		{"relationships section holds mappings", `{"entities": [` + ec2 + `,` + vpc + `], "relationships": [` + containsRel + `,` + mapped + `]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			st := openSQLite(t)
			res, err := Run(t.Context(), st, strings.NewReader(c.input), Params{Scope: store.UploadScope("aws")})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if res.Entities != 2 || res.Relationships != 1 || res.Mappings != 1 {
				t.Fatalf("result = %+v, want 2 entities, 1 relationship, 1 mapping", res)
			}
			e, err := st.GetEntity(t.Context(), store.UploadScope("aws"), "arn:aws:ec2:us-east-1:123456789012:instance/i-1")
			if err != nil {
				t.Fatalf("get entity: %v", err)
			}
			if v := e.Properties["qualysQwebHostId"]; v != int64(12345) {
				t.Errorf("qualysQwebHostId = %#v, want int64 12345", v)
			}
			if v := e.Properties["cpu"]; v != 2.0 {
				t.Errorf("cpu = %#v, want float64 2", v)
			}
			ms, err := st.ListMappings(t.Context(), store.MappingFilter{})
			if err != nil || len(ms) != 1 {
				t.Fatalf("mappings = %v, %v", ms, err)
			}
			if got := ms[0].Key; got != "vpc-0123456789|has|cve-2021-44228" {
				t.Errorf("mapping key = %q", got)
			}
			if got := ms[0].Type; got != "mapped_has_cve" {
				t.Errorf("mapping type = %q", got)
			}
		})
	}
}

func TestRunRejectsInvalidFilesWhole(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		input string
		want  []string // each problem, rendered
	}{
		{
			name:  "array",
			input: "[" + ec2 + `, {"_type": "aws_vpc", "_class": "Network", "name": "x", "displayName": "x"}, {"_key": "short", "_type": "x", "_class": "lower"}]`,
			want: []string{
				"object 1: _key: is required",
				`object 2: _key: "short" is shorter than 10 characters`,
				`object 2: _type: "x" is shorter than 3 characters`,
				`object 2: _class: class "lower" must start with an upper-case letter and hold only letters, digits and '_'`,
				"object 2: name: is required and must be a string",
				"object 2: displayName: is required and must be a string",
			},
		},
		{
			name:  "ndjson with lines",
			input: ec2 + "\n\nnot json\n" + `{"_key": "rel-000000001", "_type": "a_b", "_class": "has", "_fromEntityKey": "x"}` + "\n",
			want: []string{
				"object 1 (line 3): not valid JSON at column 2: invalid character 'o' in literal null (expecting 'u')",
				"object 2 (line 4): _toEntityKey: is required",
				`object 2 (line 4): _class: relationship class "has" must be upper-case, like HAS`,
				`object 2 (line 4): _fromEntityKey: "x" is not the _key of an entity of the file; in replace mode the file is the scope's whole content, so both ends must be entities of the file (to link to an entity of another scope, give the relationship a _mapping; to link to an entity uploaded earlier into this scope, use --mode merge)`,
			},
		},
		{
			name: "ndjson syntax errors name line and column",
			input: "\n\n" + ec2 + "\n" + `  {"_key": "valid-key-12345", "_type": "aws_instance" "_class": "Host"}` + "\n" +
				`{"_key": "valid-key-12346", "_type": "aws_instance",` + "\n" + `"_class": "Host"}` + "\n",
			want: []string{
				"object 1 (line 4): not valid JSON at column 55: invalid character '\"' after object key:value pair",
				"object 2 (line 5): not valid JSON: the line ends before the JSON value does (unexpected end of JSON input); one object must fit on one line",
				"object 3 (line 6): not valid JSON at column 9: invalid character ':' after top-level value",
			},
		},
		{
			name: "every problem of an object",
			input: `[{"_key": "valid-key-12345", "_class": "Host", "displayName": "a"},` +
				`{"_key": "valid-key-12346", "_type": "aws_instance", "_class": "Host", "displayName": "a", "owner": {"team": "ops"}},` +
				`{"_key": 12345678901, "_type": "aws_instance", "_class": 7, "name": "a", "displayName": "a", "tags": ["a", ["b"]]}]`,
			want: []string{
				"object 0: _type: is required",
				"object 0: name: is required and must be a string",
				"object 1: owner: a property value cannot be an object; give its fields as properties of their own or send it as a JSON string",
				"object 1: name: is required and must be a string",
				"object 2: _key: must be a string",
				"object 2: _class: must be a string or an array of strings",
				"object 2: tags: an array may hold only strings, numbers, booleans and null, not arrays",
			},
		},
		{
			name: "a field given twice in one object",
			input: `[{"_key": "dupmember-01", "_type": "thing_x", "_class": "Record", "name": "a", "displayName": "a", "_key": "dupmember-02",` +
				` "tags": {"x": 1, "x": 2}, "name": "b"}]`,
			want: []string{
				"object 0: _key: appears more than once in the object; give each field once",
				"object 0: name: appears more than once in the object; give each field once",
				"object 0: tags: a property value cannot be an object; give its fields as properties of their own or send it as a JSON string",
			},
		},
		{
			name:  "relationships section without ends",
			input: `{"relationships": [{"_key": "rel-000000001", "_type": "a_has_b", "_class": "HAS"}]}`,
			want: []string{
				"relationships[0]: _fromEntityKey: is required for a relationship (or give a _mapping)",
				"relationships[0]: _toEntityKey: is required for a relationship (or give a _mapping)",
			},
		},
		{
			name:  "duplicate entity keys",
			input: "[" + ec2 + "," + vpc + "," + strings.Replace(ec2, `"web-1"`, `"web-2"`, 2) + "]",
			want: []string{
				`object 2: _key: "arn:aws:ec2:us-east-1:123456789012:instance/i-1" is also the _key of object 0; an entity _key must be unique in the upload, or the last object would silently replace the first`,
			},
		},
		{
			name:  "duplicate relationship keys",
			input: `{"entities": [` + ec2 + `,` + vpc + `], "relationships": [` + containsRel + `,` + containsRel + `]}`,
			want: []string{
				`relationships[1]: _key: "vpc-0123456789|containsRel|i-1" is also the _key of relationships[0]; a relationship _key must be unique in the upload, or the last object would silently replace the first`,
			},
		},
		{
			name:  "duplicate keys in ndjson, also of invalid objects",
			input: `{"_key": "valid-key-12345", "_type": "aws_instance", "_class": "Host"}` + "\n" + `{"_key": "valid-key-12345", "_type": "aws_instance", "_class": "Host", "name": "b", "displayName": "b"}` + "\n",
			want: []string{
				"object 0 (line 1): name: is required and must be a string",
				"object 0 (line 1): displayName: is required and must be a string",
				`object 1 (line 2): _key: "valid-key-12345" is also the _key of object 0 (line 1); an entity _key must be unique in the upload, or the last object would silently replace the first`,
			},
		},
		{
			name:  "duplicate mapped relationship keys",
			input: "[" + vpc + "," + mapped + "," + mapped + "]",
			want: []string{
				`object 2: _key: "vpc-0123456789|has|cve-2021-44228" (given, or built from the _mapping) is also the _key of object 1; a mapped relationship _key must be unique in the upload, or the last object would silently replace the first`,
			},
		},
		{
			name:  "capitalised types",
			input: "[" + strings.Replace(ec2, `"aws_instance"`, `"Aws_Instance"`, 1) + "," + strings.Replace(mapped, `"cve"`, `"CVE"`, 1) + "]",
			want: []string{
				`object 0: _type: "Aws_Instance" must start with a lower-case letter (types are snake_case, like aws_instance; J1QL reads a capitalised name as a class)`,
				`object 1: _mapping.targetEntity._type: "CVE" must start with a lower-case letter (types are snake_case, like aws_instance; J1QL reads a capitalised name as a class)`,
				`object 1: _mapping.sourceEntityKey: "vpc-0123456789" is not the _key of an entity of the file; in replace mode the file is the scope's whole content, so the source of a mapped relationship must be an entity of the file (to map from an entity uploaded earlier into this scope, use --mode merge)`,
			},
		},
		{
			name: "integers beyond int64",
			input: "[" + strings.Replace(ec2, `"cpu": 2.0`, `"big": 12345678901234567890, "low": -9223372036854775809, "ids": [1, 9223372036854775808]`, 1) + "," +
				strings.Replace(mapped, `"severity": null`, `"severity": 99999999999999999999`, 1) + "]",
			want: []string{
				`object 0: big: integer 12345678901234567890 does not fit in 64 bits (-9223372036854775808 to 9223372036854775807) and would lose precision; send it as a string, like "12345678901234567890"`,
				`object 0: ids: integer 9223372036854775808 does not fit in 64 bits (-9223372036854775808 to 9223372036854775807) and would lose precision; send it as a string, like "9223372036854775808"`,
				`object 0: low: integer -9223372036854775809 does not fit in 64 bits (-9223372036854775808 to 9223372036854775807) and would lose precision; send it as a string, like "-9223372036854775809"`,
				`object 1: _mapping.targetEntity.severity: integer 99999999999999999999 does not fit in 64 bits (-9223372036854775808 to 9223372036854775807) and would lose precision; send it as a string, like "99999999999999999999"`,
				`object 1: _mapping.sourceEntityKey: "vpc-0123456789" is not the _key of an entity of the file; in replace mode the file is the scope's whole content, so the source of a mapped relationship must be an entity of the file (to map from an entity uploaded earlier into this scope, use --mode merge)`,
			},
		},
		{
			name: "relationships whose ends are not entities of the file",
			input: `{"relationships": [` + containsRel + `,` +
				`{"_key": "rel-dangling-0001", "_type": "aws_vpc_has_instance", "_class": "HAS", "_fromEntityKey": "vpc-0123456789", "_toEntityKey": "valid-key-99999"}], ` +
				`"entities": [` + vpc + `, {"_key": "valid-key-12345", "_type": "aws_instance", "_class": "Host"}]}`,
			want: []string{
				`relationships[0]: _toEntityKey: "arn:aws:ec2:us-east-1:123456789012:instance/i-1" is not the _key of an entity of the file; in replace mode the file is the scope's whole content, so both ends must be entities of the file (to link to an entity of another scope, give the relationship a _mapping; to link to an entity uploaded earlier into this scope, use --mode merge)`,
				`relationships[1]: _toEntityKey: "valid-key-99999" is not the _key of an entity of the file; in replace mode the file is the scope's whole content, so both ends must be entities of the file (to link to an entity of another scope, give the relationship a _mapping; to link to an entity uploaded earlier into this scope, use --mode merge)`,
				"entities[1]: name: is required and must be a string",
				"entities[1]: displayName: is required and must be a string",
			},
		},
		{
			name: "missing ends in file order, both ends, an invalid entity still counts as present",
			input: `{"_key": "rel-dangling-0002", "_type": "a_has_b", "_class": "has", "_fromEntityKey": "nowhere-00001", "_toEntityKey": "nowhere-00002"}` + "\n" +
				`{"_key": "valid-key-12345", "_type": "aws_instance", "_class": "Host"}` + "\n" +
				`{"_key": "rel-000000003", "_type": "a_has_b", "_class": "HAS", "_fromEntityKey": "valid-key-12345", "_toEntityKey": "valid-key-12345"}` + "\n",
			want: []string{
				`object 0 (line 1): _class: relationship class "has" must be upper-case, like HAS`,
				`object 0 (line 1): _fromEntityKey: "nowhere-00001" is not the _key of an entity of the file; in replace mode the file is the scope's whole content, so both ends must be entities of the file (to link to an entity of another scope, give the relationship a _mapping; to link to an entity uploaded earlier into this scope, use --mode merge)`,
				`object 0 (line 1): _toEntityKey: "nowhere-00002" is not the _key of an entity of the file; in replace mode the file is the scope's whole content, so both ends must be entities of the file (to link to an entity of another scope, give the relationship a _mapping; to link to an entity uploaded earlier into this scope, use --mode merge)`,
				"object 1 (line 2): name: is required and must be a string",
				"object 1 (line 2): displayName: is required and must be a string",
			},
		},
		{
			name: "dates that are not dates",
			input: "[" + strings.Replace(ec2, `"cpu": 2.0`, `"createdOn": "yesterday", "scannedOn": [1714564800000, "2024-13-01"], "updatedOn": "1714564800000", "lastSeenOn": "2024-05-01T12:00:00", "boolOn": true, "halfOn": 1.5, "beforeOn": -5`, 1) + "," +
				strings.Replace(mapped, `"severity": null`, `"severity": null, "publishedOn": "soon"`, 1) + "]",
			want: []string{
				`object 0: boolOn: true is not a date; a property whose name ends in On holds a date: epoch milliseconds as a whole number or an ISO 8601 time; rename the property if it is not a date`,
				`object 0: createdOn: "yesterday" is not a date; a property whose name ends in On holds a date: epoch milliseconds as a number (1714564800000) or an ISO 8601 time with a time zone (2024-05-01T12:00:00Z) or date (2024-05-01); rename the property if it is not a date`,
				`object 0: halfOn: 1.5 is not a date: epoch milliseconds are a whole number (1714564800000)`,
				`object 0: lastSeenOn: "2024-05-01T12:00:00" is not a date; a property whose name ends in On holds a date: epoch milliseconds as a number (1714564800000) or an ISO 8601 time with a time zone (2024-05-01T12:00:00Z) or date (2024-05-01); rename the property if it is not a date`,
				`object 0: scannedOn: element 1: "2024-13-01" is not a date; a property whose name ends in On holds dates: epoch milliseconds as numbers (1714564800000) or ISO 8601 times with a time zone (2024-05-01T12:00:00Z) or dates (2024-05-01); rename the property if it does not hold dates`,
				`object 0: updatedOn: "1714564800000" is not a date; a property whose name ends in On holds a date: epoch milliseconds as a number (1714564800000) or an ISO 8601 time with a time zone (2024-05-01T12:00:00Z) or date (2024-05-01); rename the property if it is not a date`,
				`object 1: _mapping.targetEntity.publishedOn: "soon" is not a date; a property whose name ends in On holds a date: epoch milliseconds as a number (1714564800000) or an ISO 8601 time with a time zone (2024-05-01T12:00:00Z) or date (2024-05-01); rename the property if it is not a date`,
				`object 1: _mapping.sourceEntityKey: "vpc-0123456789" is not the _key of an entity of the file; in replace mode the file is the scope's whole content, so the source of a mapped relationship must be an entity of the file (to map from an entity uploaded earlier into this scope, use --mode merge)`,
			},
		},
		{
			name: "mapping target classes and types",
			input: `{"entities": [{"_key": "team-alpha-0001", "_type": "team", "_class": "Team", "name": "a", "displayName": "a"}],
			"mappedRelationships": [
				{"_class": "HAS", "_mapping": {"sourceEntityKey": "team-alpha-0001", "targetFilterKeys": [["serial"]], "targetEntity": {"_type": "device", "_class": "device", "serial": "s1"}}},
				{"_class": "HAS", "_mapping": {"sourceEntityKey": "team-alpha-0001", "targetFilterKeys": [["serial"]], "targetEntity": {"_type": "device", "serial": "s2"}}},
				{"_class": "HAS", "_mapping": {"sourceEntityKey": "team-alpha-0001", "targetFilterKeys": [["serial"]], "skipTargetCreation": true, "targetEntity": {"_type": "device", "serial": "s3"}}},
				{"_class": "HAS", "_mapping": {"sourceEntityKey": "team-alpha-0001", "targetFilterKeys": [["serial"]], "targetEntity": {"_class": "Device", "serial": "s4"}}}]}`,
			want: []string{
				"mappedRelationships[0]: _mapping.targetEntity._class: class \"device\" must start with an upper-case letter and hold only letters, digits and '_'",
				"mappedRelationships[1]: _mapping.targetEntity._class: is required: the target is created from this description when no entity matches (set skipTargetCreation to only link to entities that exist)",
				"mappedRelationships[3]: _type: is required",
			},
		},
		{
			name:  "bad mapping",
			input: `{"mappedRelationships": [{"_class": "HAS", "_mapping": {"sourceEntityKey": "vpc-0123456789", "targetFilterKeys": [["_type", "region"]], "targetEntity": {"_type": "aws_vpc", "_class": "Network"}}}]}`,
			want: []string{
				`mappedRelationships[0]: _mapping.targetFilterKeys: filter 0 names "region", which the target entity does not have`,
				`mappedRelationships[0]: _mapping.sourceEntityKey: "vpc-0123456789" is not the _key of an entity of the file; in replace mode the file is the scope's whole content, so the source of a mapped relationship must be an entity of the file (to map from an entity uploaded earlier into this scope, use --mode merge)`,
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			st := openSQLite(t)
			stored := `[{"_key": "valid-key-99999", "_type": "aws_instance", "_class": "Host", "name": "old", "displayName": "old"}]`
			if _, err := Run(t.Context(), st, strings.NewReader(stored), Params{Scope: store.UploadScope("bad")}); err != nil {
				t.Fatalf("store the first upload: %v", err)
			}
			before, _, err := st.Counts(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			_, err = Run(t.Context(), st, strings.NewReader(c.input), Params{Scope: store.UploadScope("bad")})
			var ie *InvalidError
			if !errors.As(err, &ie) {
				t.Fatalf("Run error = %v, want *InvalidError", err)
			}
			var got []string
			for _, p := range ie.Problems {
				got = append(got, p.String())
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			after, _, err := st.Counts(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(after, before) {
				t.Errorf("store holds %v after a rejected upload, %v before", after, before)
			}
			e, err := st.GetEntity(t.Context(), store.UploadScope("bad"), "valid-key-99999")
			if err != nil || e.Properties["name"] != "old" {
				t.Errorf("stored entity after a rejected upload: %+v, %v", e, err)
			}
		})
	}
}

func TestRunModes(t *testing.T) {
	t.Parallel()
	st := openSQLite(t)
	scope := store.UploadScope("aws")
	if _, err := Run(t.Context(), st, strings.NewReader("["+ec2+","+vpc+"]"), Params{Scope: scope}); err != nil {
		t.Fatal(err)
	}
	t.Run("merge keeps what the file does not name", func(t *testing.T) {
		res, err := Run(t.Context(), st, strings.NewReader(vpc), Params{Scope: scope, Mode: store.Merge})
		if err != nil {
			t.Fatal(err)
		}
		if tc := res.Sync.Entities["aws_instance"]; tc.Deleted != 0 {
			t.Errorf("merge deleted %+v", tc)
		}
	})
	t.Run("replace deletes what the file does not name", func(t *testing.T) {
		res, err := Run(t.Context(), st, strings.NewReader(vpc), Params{Scope: scope, Mode: store.Replace})
		if err != nil {
			t.Fatal(err)
		}
		if tc := res.Sync.Entities["aws_instance"]; tc.Deleted != 1 {
			t.Errorf("replace counts %+v, want 1 deleted", tc)
		}
	})
	t.Run("an empty file never empties a scope", func(t *testing.T) {
		if _, err := Run(t.Context(), st, strings.NewReader("[]"), Params{Scope: scope}); err == nil {
			t.Error("an empty replace upload was accepted")
		}
	})
	t.Run("syntax errors name the place", func(t *testing.T) {
		_, err := Run(t.Context(), st, strings.NewReader("["+vpc+", {"), Params{Scope: scope})
		if err == nil || !strings.Contains(err.Error(), "not valid JSON") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestDefaultMappingKey(t *testing.T) {
	t.Parallel()
	m := &graph.MappedRelationship{SourceKey: "src-000001", Class: "SCANS", Direction: graph.Forward,
		TargetFilterKeys: [][]string{{"_type", "name"}},
		TargetEntity:     graph.Entity{Type: "web_app", Properties: graph.Properties{"name": "shop"}}}
	if got, want := defaultMappingKey(m), "src-000001|scans|FORWARD:_type=web_app:name=shop"; got != want {
		t.Errorf("key = %q, want %q", got, want)
	}
}

func TestRunFileErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		input      string
		line, col  int // 0: no place
		wantSubstr string
	}{
		{"empty", "", 0, 0, "the file is empty"},
		{"only white space", " \n\t\n", 0, 0, "the file is empty"},
		{"no objects", "[]", 0, 0, "holds no objects; refusing to empty the scope"},
		{"not json", "\n  hello", 2, 3, `it starts with 'h'`},
		{"truncated array", `[{"_key":"valid-key-00001"`, 1, 27, "ends inside an object or array (after 0 objects); is it cut short?"},
		{"truncated after objects", "[\n" + vpc + ",\n" + `{"_key": "vpé`, 3, 14, "after 1 objects"},
		{"syntax error deep in a value", "[\n" + vpc + ",\n" + `{"_key": "vpc-é", "a": [1, 2,, 3]}]`, 3, 30, "invalid character ',' looking for beginning of value (after 1 objects)"},
		{"syntax error in a later section", `{"entities": [` + vpc + "],\n" + `"relationships": [{"_key": tru}]}`, 2, 31, "invalid character '}' in literal true"},
		{"syntax error on a later line", "[\n" + vpc + ",\n  {\"b\": x}]", 3, 9, "not valid JSON: invalid character 'x' looking for beginning of value (after 1 objects)"},
		{"missing comma", "[" + vpc + " " + vpc + "]", 1, len(vpc) + 3, "expected comma after array element"},
		{"unknown top-level field", "{\"entities\": [" + vpc + "],\n  \"things\": []}", 2, 3, `unknown top-level field "things" (expected entities, relationships, mappedRelationships)`},
		{"section not an array", `{"entities": {}}`, 1, 2, `"entities" must be an array`},
		{"truncated sections", `{"entities": [` + vpc, 1, len(vpc) + 15, `ends inside an object or array (after 1 objects of "entities")`},
		{"a misspelt section", `{"entites": [` + vpc + "]}", 1, 2, `unknown top-level field "entites": did you mean "entities"?`},
		{"a misspelt section in capitals", "\n {\"Relationship\": []}", 2, 3, `did you mean "relationships"?`},
		{"a second array after the first", "[" + vpc + "]\n[" + vpc + "]\n", 2, 1, `unexpected '[' after the end of the file's JSON value`},
		{"text after the array", "[" + vpc + "]  garbage", 1, len(vpc) + 5, `unexpected 'g' after the end`},
		{"a comma after the array", "[" + vpc + "],", 1, len(vpc) + 3, `unexpected ','`},
		{"text after the sections", `{"entities": [` + vpc + "]}\n x", 2, 2, `unexpected 'x'`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			st := openSQLite(t)
			_, err := Run(t.Context(), st, strings.NewReader(c.input), Params{Scope: store.UploadScope("f")})
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("Run error = %v (%T), want a *FileError", err, err)
			}
			if fe.Line != c.line || fe.Column != c.col || !strings.Contains(fe.Msg, c.wantSubstr) {
				t.Errorf("error at %d:%d %q, want %d:%d and %q", fe.Line, fe.Column, fe.Msg, c.line, c.col, c.wantSubstr)
			}
			if c.line > 0 && !strings.Contains(err.Error(), fmt.Sprintf("line %d, column %d: ", c.line, c.col)) {
				t.Errorf("error %q does not name line and column", err)
			}
		})
	}
}

func TestRunKeepsInt64Integers(t *testing.T) {
	t.Parallel()
	st := openSQLite(t)
	in := strings.Replace(ec2, `"cpu": 2.0`, `"max": 9223372036854775807, "min": -9223372036854775808, "float": 12345678901234567890.0, "exp": 1e20, "ids": [1, 2]`, 1)
	if _, err := Run(t.Context(), st, strings.NewReader(in), Params{Scope: store.UploadScope("ints")}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	e, err := st.GetEntity(t.Context(), store.UploadScope("ints"), "arn:aws:ec2:us-east-1:123456789012:instance/i-1")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"max": int64(math.MaxInt64), "min": int64(math.MinInt64), "float": 12345678901234567890.0, "exp": 1e20, "ids": []any{int64(1), int64(2)}}
	for k, v := range want {
		if !reflect.DeepEqual(e.Properties[k], v) {
			t.Errorf("%s = %#v, want %#v", k, e.Properties[k], v)
		}
	}
}

func TestRunNamesMissingEnds(t *testing.T) {
	t.Parallel()
	st := openSQLite(t)
	other := `[{"_key": "valid-key-30002", "_type": "aws_instance", "_class": "Host", "name": "b", "displayName": "b"}]`
	if _, err := Run(t.Context(), st, strings.NewReader(other), Params{Scope: store.UploadScope("bscope")}); err != nil {
		t.Fatal(err)
	}
	// An entity stored before in the scope is a valid end in merge mode.
	if _, err := Run(t.Context(), st, strings.NewReader(`[{"_key": "valid-key-30003", "_type": "aws_instance", "_class": "Host", "name": "c", "displayName": "c"}]`),
		Params{Scope: store.UploadScope("dang")}); err != nil {
		t.Fatal(err)
	}
	in := `{"entities": [` + vpc + `], "relationships": [` + containsRel + `,` +
		`{"_key": "rel-dangling-0001", "_type": "aws_vpc_has_instance", "_class": "HAS", "_fromEntityKey": "vpc-0123456789", "_toEntityKey": "valid-key-30002"},` +
		`{"_key": "rel-stored-end-01", "_type": "aws_vpc_has_instance", "_class": "HAS", "_fromEntityKey": "vpc-0123456789", "_toEntityKey": "valid-key-30003"},` +
		`{"_key": "rel-dangling-0002", "_type": "aws_instance_has_instance", "_class": "HAS", "_fromEntityKey": "valid-key-30003", "_toEntityKey": "nowhere-00001"}]}`
	res, err := Run(t.Context(), st, strings.NewReader(in), Params{Scope: store.UploadScope("dang"), Mode: store.Merge})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Sync.DanglingCount != 3 {
		t.Fatalf("dangling = %d %v, want 3", res.Sync.DanglingCount, res.Sync.Dangling)
	}
	want := []MissingEnd{
		{Relationship: "rel-dangling-0001", Field: "_toEntityKey", Key: "valid-key-30002"},
		{Relationship: "rel-dangling-0002", Field: "_toEntityKey", Key: "nowhere-00001"},
		{Relationship: "vpc-0123456789|containsRel|i-1", Field: "_toEntityKey", Key: "arn:aws:ec2:us-east-1:123456789012:instance/i-1"},
	}
	if !reflect.DeepEqual(res.MissingEnds, want) {
		t.Errorf("missing ends = %+v, want %+v", res.MissingEnds, want)
	}
	if _, err := st.GetRelationship(t.Context(), store.UploadScope("dang"), "rel-stored-end-01"); err != nil {
		t.Errorf("relationship to an entity stored before: %v", err)
	}
}

func TestRunStoresDatesAsEpochMillis(t *testing.T) {
	t.Parallel()
	st := openSQLite(t)
	in := strings.Replace(ec2, `"cpu": 2.0`, `"createdOn": "2024-05-01T12:00:00Z", "updatedOn": "2024-05-01T14:00:00.5+02:00", "firstSeenOn": "2024-05-01", `+
		`"lastSeenOn": 1714564800000, "scannedOn": ["2024-05-01", 5, null], "closedOn": null, "tag.TurnedOn": "yes", "On": "x"`, 1)
	if _, err := Run(t.Context(), st, strings.NewReader(in), Params{Scope: store.UploadScope("dates")}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	e, err := st.GetEntity(t.Context(), store.UploadScope("dates"), "arn:aws:ec2:us-east-1:123456789012:instance/i-1")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"createdOn": int64(1714564800000), "updatedOn": int64(1714564800500), "firstSeenOn": int64(1714521600000),
		"lastSeenOn": int64(1714564800000), "scannedOn": []any{int64(1714521600000), int64(5), nil}, "closedOn": nil,
		"tag.TurnedOn": "yes", "On": "x"}
	for k, v := range want {
		if !reflect.DeepEqual(e.Properties[k], v) {
			t.Errorf("%s = %#v, want %#v", k, e.Properties[k], v)
		}
	}
}
