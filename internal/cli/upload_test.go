package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runUpload runs qgraph with args against a store in dir and returns
// stdout, stderr and the exit code.
func runUpload(t *testing.T, dsn string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	f := &Factory{IO: IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}, DSN: dsn, Getenv: func(string) string { return "" }}
	cmd := NewRootCmd(f)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	code := ExitOK
	if err != nil {
		code = ExitError
		if ee, ok := err.(*exitError); ok {
			code = ee.code
		}
		errOut.WriteString(err.Error())
	}
	return out.String(), errOut.String(), code
}

func TestUploadCommand(t *testing.T) {
	dir := t.TempDir()
	dsn := filepath.Join(dir, "graph.db")
	file := filepath.Join(dir, "aws-inventory.ndjson")
	data := `{"_key": "arn:aws:ec2:us-east-1:123456789012:instance/i-1", "_type": "aws_instance", "_class": "Host", "name": "web-1", "displayName": "web-1"}
{"_key": "intel-000000001", "_type": "threat_feed_item", "_class": "ThreatIntel", "name": "t", "displayName": "t", "qid": "100"}
`
	if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		args     []string
		stdin    string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"file with default scope", []string{"upload", file}, "", ExitOK, "into upload:aws-inventory", ""},
		{"stdin needs a scope", []string{"upload", "-"}, data, ExitUsage, "", "--scope is required"},
		{"stdin merge as json", []string{"upload", "-", "--scope", "intel", "--mode", "merge", "--format", "json"}, data, ExitOK, `"scope": "upload:intel"`, ""},
		{"bad mode", []string{"upload", file, "--mode", "append"}, "", ExitUsage, "", "expected replace or merge"},
		{"invalid object", []string{"upload", "-", "--scope", "bad"}, `{"_key": "x", "_type": "aws_instance", "_class": "Host"}`, ExitUsage, "", "object 0 (line 1): _key"},
		{"truncated file", []string{"upload", "-", "--scope", "bad"}, `[{"_key":"valid-key-00001"`, ExitUsage, "", "line 1, column 27: not valid JSON: the file ends inside an object or array"},
		{"unknown top-level field", []string{"upload", "-", "--scope", "bad"}, `{"entities": [], "hosts": []}`, ExitUsage, "", `line 1, column 18: unknown top-level field "hosts"`},
		{"empty file", []string{"upload", "-", "--scope", "bad"}, "", ExitUsage, "", "the file is empty"},
		{"no objects", []string{"upload", "-", "--scope", "bad"}, "[]", ExitUsage, "", "holds no objects"},
		{"duplicate key", []string{"upload", "-", "--scope", "bad"}, "[" + uploadEntity("valid-key-12345", "aws_instance") + "," + uploadEntity("valid-key-12345", "aws_instance") + "]", ExitUsage, "",
			`object 1: _key: "valid-key-12345" is also the _key of object 0`},
		{"capitalised type", []string{"upload", "-", "--scope", "bad"}, uploadEntity("valid-key-12345", "Aws_Instance"), ExitUsage, "",
			`object 0 (line 1): _type: "Aws_Instance" must start with a lower-case letter`},
		{"replace: relationship to another scope", []string{"upload", "-", "--scope", "dang"},
			`{"entities": [` + uploadEntity("valid-key-30001", "aws_vpc") + `], "relationships": [{"_key": "rel-dangling-0001", "_type": "aws_vpc_has_threat", "_class": "HAS", "_fromEntityKey": "valid-key-30001", "_toEntityKey": "intel-000000001"}]}`,
			ExitUsage, "", "upload rejected: 1 invalid object(s) of 2, nothing was stored\n" +
				`  relationships[0]: _toEntityKey: "intel-000000001" is not the _key of an entity of the file; in replace mode the file is the scope's whole content`},
		{"replace: dates", []string{"upload", "-", "--scope", "bad"},
			`{"_key": "valid-key-12345", "_type": "aws_instance", "_class": "Host", "name": "a", "displayName": "a", "createdOn": "yesterday"}`, ExitUsage, "",
			`object 0 (line 1): createdOn: "yesterday" is not a date`},
		{"mapping left unresolved", []string{"upload", "-", "--scope", "skip"},
			`{"entities": [` + uploadEntity("valid-key-40001", "team") + `], "mappedRelationships": [{"_class": "HAS", "_mapping": {"sourceEntityKey": "valid-key-40001", "targetFilterKeys": [["serial"]], "skipTargetCreation": true, "targetEntity": {"_type": "device", "serial": "no-such-serial"}}}]}`,
			ExitOK, "; 1 left without a target (no entity matched, and skipTargetCreation or an invalid target description kept one from being made)\n", ""},
		{"merge: relationship to another scope", []string{"upload", "-", "--scope", "dang", "--mode", "merge"},
			`{"entities": [` + uploadEntity("valid-key-30001", "aws_vpc") + `], "relationships": [{"_key": "rel-dangling-0001", "_type": "aws_vpc_has_threat", "_class": "HAS", "_fromEntityKey": "valid-key-30001", "_toEntityKey": "intel-000000001"}]}`,
			ExitOK, "1 relationships were not stored because an end is neither an entity of the file nor stored in this upload's scope upload:dang:\n" +
				"    rel-dangling-0001: _toEntityKey \"intel-000000001\" is not an entity of upload:dang\n" +
				"  _fromEntityKey and _toEntityKey name entities of the same upload scope; to link to an entity of another scope, give the relationship a _mapping instead\n", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, code := runUpload(t, dsn, c.stdin, append([]string{"--db", dsn}, c.args...)...)
			if code != c.wantCode || !strings.Contains(out, c.wantOut) || !strings.Contains(errOut, c.wantErr) {
				t.Errorf("code %d, stdout:\n%s\nstderr:\n%s\nwant code %d, stdout containing %q, stderr containing %q", code, out, errOut, c.wantCode, c.wantOut, c.wantErr)
			}
		})
	}
}

// uploadEntity renders a valid upload entity of type typ.
func uploadEntity(key, typ string) string {
	return `{"_key": "` + key + `", "_type": "` + typ + `", "_class": "Host", "name": "a", "displayName": "a"}`
}
