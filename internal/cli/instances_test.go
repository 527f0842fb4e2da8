package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInstancesListNeedsNoSecrets checks that instances list works without
// the credentials' environment variables or password file, shows where
// they come from, and never prints the password.
func TestInstancesListNeedsNoSecrets(t *testing.T) {
	dsn := newEmptyStore(t)
	dir := t.TempDir()
	write := func(name, src string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	const head = "instances:\n  - name: lab\n    qualys:\n      apiUrl: http://127.0.0.1:18080\n      username: ${QUALYS_USERNAME}\n"
	fromEnv := write("env.yaml", head+"      password: ${QUALYS_PASSWORD}\n")
	missingFile := filepath.Join(dir, "no-such-password")
	fromFile := write("file.yaml", head+"      passwordFile: "+missingFile+"\n")
	bad := write("bad.yaml", head+"      password: ${QUALYS_PASSWORD\n")
	cases := []struct {
		name               string
		config             string
		env                map[string]string
		wantUser, wantPw   string
		wantPwFrom         string
		wantCode           int
		wantErr, wantTable string
	}{
		{name: "variables unset", config: fromEnv, wantUser: "(from ${QUALYS_USERNAME})", wantPw: "(from ${QUALYS_PASSWORD})", wantPwFrom: "${QUALYS_PASSWORD}",
			wantTable: "(from ${QUALYS_USERNAME})"},
		{name: "variables set", config: fromEnv, env: map[string]string{"QUALYS_USERNAME": "alice", "QUALYS_PASSWORD": "s3cret!"},
			wantUser: "alice", wantPw: "********", wantPwFrom: "${QUALYS_PASSWORD}", wantTable: "alice"},
		{name: "password file not readable", config: fromFile, env: map[string]string{"QUALYS_USERNAME": "alice"},
			wantUser: "alice", wantPw: "(from passwordFile " + missingFile + ")", wantPwFrom: "passwordFile " + missingFile, wantTable: "alice"},
		{name: "bad reference", config: bad, wantCode: ExitUsage, wantErr: `instances[0].qualys.password: the environment reference at character 1 has no closing "}"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.env, "--db", dsn, "instances", "list", "--config", tc.config, "--format", "json")
			if code != tc.wantCode || !strings.Contains(errOut, tc.wantErr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errOut, tc.wantCode, tc.wantErr)
			}
			if strings.Contains(out+errOut, "s3cret!") {
				t.Fatalf("the password was printed:\n%s%s", out, errOut)
			}
			if tc.wantCode != ExitOK {
				return
			}
			var rows []instanceRow
			if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 1 {
				t.Fatalf("%v:\n%s", err, out)
			}
			r := rows[0]
			if r.Username != tc.wantUser || r.Password != tc.wantPw || r.PasswordFrom != tc.wantPwFrom {
				t.Errorf("username %q, password %q from %q; want %q, %q from %q", r.Username, r.Password, r.PasswordFrom, tc.wantUser, tc.wantPw, tc.wantPwFrom)
			}
			code, out, errOut = runCLI(t, tc.env, "--db", dsn, "instances", "list", "--config", tc.config)
			if code != ExitOK || !strings.Contains(out, tc.wantTable) {
				t.Errorf("table: exit %d, stdout %q, stderr %q; want %q", code, out, errOut, tc.wantTable)
			}
		})
	}
}
