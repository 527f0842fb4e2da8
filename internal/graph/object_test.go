package graph

import (
	"errors"
	"strings"
	"testing"
)

func TestRelationshipType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from, class, to, want string
	}{
		{"qualys_account", "HAS", "qualys_web_app_scanner", "qualys_account_has_web_app_scanner"},
		{"qualys_web_app_scanner", "IDENTIFIED", "qualys_web_app_finding", "qualys_web_app_scanner_identified_finding"},
		{"qualys_host_finding", "IS", "qualys_vuln", "qualys_host_finding_is_vuln"},
		{"qualys_vulnerability_manager", "SCANS", "discovered_host", "qualys_vulnerability_manager_scans_discovered_host"},
		{"qualys_host_finding", "IS", "cve", "qualys_host_finding_is_cve"},
		{"qualys_host_finding", "IS", "qualys_host_finding", "qualys_host_finding_is_finding"},
		{"web_app", "HAS", "qualys_web_app_finding", "web_app_has_qualys_web_app_finding"},
	}
	for _, tt := range tests {
		if got := RelationshipType(tt.from, tt.class, tt.to); got != tt.want {
			t.Errorf("RelationshipType(%q, %q, %q) = %q, want %q", tt.from, tt.class, tt.to, got, tt.want)
		}
	}
}

func TestRelationshipKey(t *testing.T) {
	t.Parallel()
	got := RelationshipKey("qualys-account:prod", "HAS", "qualys-service:was")
	if want := "qualys-account:prod|has|qualys-service:was"; got != want {
		t.Fatalf("RelationshipKey = %q, want %q", got, want)
	}
}

func finding() Entity {
	return Entity{
		Key: "hostId:1|qid:38170", Type: "qualys_host_finding", Class: []string{"Finding"},
		Properties: Properties{
			"name": "QID 38170", "displayName": "QID 38170", "category": "system scan",
			"severity": "medium", "numericSeverity": int64(3), "open": true,
		},
	}
}

func TestValidateEntity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		mutate   func(e *Entity)
		wantProp string // "" means valid
	}{
		{"valid", func(e *Entity) {}, ""},
		{"short key", func(e *Entity) { e.Key = "k1" }, "_key"},
		{"short type", func(e *Entity) { e.Type = "ab" }, "_type"},
		{"capitalised type", func(e *Entity) { e.Type = "Aws_Instance" }, "_type"},
		{"upper-case type", func(e *Entity) { e.Type = "AWS_INSTANCE" }, "_type"},
		{"type starting with a digit", func(e *Entity) { e.Type = "3rd_party_host" }, "_type"},
		{"type starting with '_'", func(e *Entity) { e.Type = "_host" }, "_type"},
		{"type with an upper-case letter inside", func(e *Entity) { e.Type = "aws_EC2_instance" }, ""},
		{"no class", func(e *Entity) { e.Class = nil }, "_class"},
		{"lower class", func(e *Entity) { e.Class = []string{"finding"} }, "_class"},
		{"missing name", func(e *Entity) { delete(e.Properties, "name") }, "name"},
		{"missing open", func(e *Entity) { delete(e.Properties, "open") }, "open"},
		{"null severity", func(e *Entity) { e.Properties["severity"] = nil }, "severity"},
		{"bad name", func(e *Entity) { e.Properties["bad/name"] = "x" }, "bad/name"},
		{"reserved", func(e *Entity) { e.Properties["_version"] = int64(2) }, "_version"},
		{"tag array", func(e *Entity) { e.Properties["tag.Env"] = []any{"a"} }, "tag.Env"},
		{"map value", func(e *Entity) { e.Properties["x"] = map[string]any{} }, "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := finding()
			e.Properties = e.Properties.Clone()
			tt.mutate(&e)
			err := ValidateEntity(&e)
			if tt.wantProp == "" {
				if err != nil {
					t.Fatalf("ValidateEntity: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("ValidateEntity = %v, want a *ValidationError", err)
			}
			if !strings.Contains(err.Error(), tt.wantProp) || !strings.Contains(err.Error(), e.Type+"/") {
				t.Fatalf("error %q does not name the object and property %q", err, tt.wantProp)
			}
		})
	}
}

func TestVulnerabilityAllowsNull(t *testing.T) {
	t.Parallel()
	e := Entity{Key: "vuln-qid:38170", Type: "qualys_vuln", Class: []string{"Vulnerability"}, Properties: Properties{
		"name": "x", "displayName": "x", "category": "c", "severity": "high", "blocking": false,
		"open": true, "production": nil, "public": nil,
	}}
	if err := ValidateEntity(&e); err != nil {
		t.Fatalf("ValidateEntity: %v", err)
	}
}

func TestValidateMappedRelationship(t *testing.T) {
	t.Parallel()
	m := MappedRelationship{
		Key: "qualys-service:vmdr|scans|Host:123", Type: "qualys_vulnerability_manager_scans_aws_instance", Class: "SCANS",
		Direction: Forward, SourceKey: "qualys-service:vmdr", TargetFilterKeys: [][]string{{"_type", "_key"}},
		TargetEntity: Entity{Key: "arn:aws:ec2:us-east-1:000123:instance/i-1", Type: "aws_instance", Class: []string{"Host"}},
	}
	if err := ValidateMappedRelationship(&m); err != nil {
		t.Fatalf("valid mapping: %v", err)
	}
	m.TargetEntity.Type = "Aws_Instance"
	if err := ValidateMappedRelationship(&m); err == nil || !strings.Contains(err.Error(), `_mapping.targetEntity._type: "Aws_Instance" must start with a lower-case letter`) {
		t.Fatalf("capitalised target type: got %v", err)
	}
	m.TargetEntity.Type = "aws_instance"
	m.TargetFilterKeys = [][]string{{"qualysQwebHostId"}}
	if err := ValidateMappedRelationship(&m); err == nil || !strings.Contains(err.Error(), "qualysQwebHostId") {
		t.Fatalf("missing filter property: got %v", err)
	}
	m.Direction = "SIDEWAYS"
	if err := ValidateMappedRelationship(&m); err == nil || !strings.Contains(err.Error(), "relationshipDirection") {
		t.Fatalf("bad direction: got %v", err)
	}
}
