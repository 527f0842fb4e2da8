package upload

import (
	"context"
	"errors"
	"path/filepath"
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
				"object 1 (line 3): not valid JSON",
				"object 2 (line 4): _toEntityKey: is required",
			},
		},
		{
			name:  "bad mapping",
			input: `{"mappedRelationships": [{"_class": "HAS", "_mapping": {"sourceEntityKey": "vpc-0123456789", "targetFilterKeys": [["_type", "region"]], "targetEntity": {"_type": "aws_vpc"}}}]}`,
			want: []string{
				`mappedRelationships[0]: _mapping.targetFilterKeys: filter 0 names "region", which the target entity does not have`,
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			st := openSQLite(t)
			_, err := Run(t.Context(), st, strings.NewReader(c.input), Params{Scope: store.UploadScope("bad")})
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
			counts, _, err := st.Counts(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(counts) != 0 {
				t.Errorf("store holds %v after a rejected upload", counts)
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
