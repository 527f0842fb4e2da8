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
