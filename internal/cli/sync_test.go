package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qgraph/qgraph/internal/qualys/sim"
)

// runCLI runs the qgraph command line with test streams and returns the
// exit code, stdout and stderr.
func runCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	f := &Factory{IO: IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, Getenv: func(k string) string { return env[k] }}
	cmd := NewRootCmd(f)
	cmd.SetArgs(args)
	err := cmd.Execute()
	code := ExitOK
	if err != nil {
		code = ExitError
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		errOut.WriteString(err.Error())
	}
	return code, out.String(), errOut.String()
}

func TestSyncJobsInstancesAgainstSimulator(t *testing.T) {
	o := sim.DemoOptions()
	o.Hosts, o.DetectionsPerHost, o.WebApps = 30, 5, 2
	s, err := sim.New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "qgraph.yaml")
	src := "instances:\n  - name: lab\n    qualys:\n      apiUrl: " + srv.URL + "\n      username: " + o.Username + "\n      password: ${SIM_PASSWORD}\n"
	if err := os.WriteFile(cfg, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SIM_PASSWORD": o.Password}
	db := filepath.Join(dir, "graph.db")

	code, out, errOut := runCLI(t, env, "--db", db, "sync", "--config", cfg, "--full")
	if code != ExitOK {
		t.Fatalf("sync exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"fetch-host-detections", "success", "qualys_host_finding", "Objects by type"} {
		if !strings.Contains(out, want) {
			t.Errorf("sync report lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "step=fetch-host-detections status=success") {
		t.Errorf("no plain progress lines on a pipe:\n%s", errOut)
	}
	if strings.Contains(out+errOut, o.Password) {
		t.Error("the password was printed")
	}

	code, out, _ = runCLI(t, env, "--db", db, "jobs", "list", "--format", "json")
	if code != ExitOK {
		t.Fatalf("jobs list exit %d", code)
	}
	var jobs []jobSummary
	if err := json.Unmarshal([]byte(out), &jobs); err != nil || len(jobs) != 1 || jobs[0].Status != "success" || jobs[0].Instance != "lab" {
		t.Fatalf("jobs list: %v %+v\n%s", err, jobs, out)
	}
	code, out, _ = runCLI(t, env, "--db", db, "jobs", "show", jobs[0].ID, "--format", "json")
	if code != ExitOK || !strings.Contains(out, `"fetch-finding-vulns"`) {
		t.Fatalf("jobs show exit %d:\n%s", code, out)
	}
	if code, _, errOut = runCLI(t, env, "--db", db, "jobs", "show", "nope"); code == ExitOK || !strings.Contains(errOut, "no job") {
		t.Errorf("jobs show nope: exit %d, %s", code, errOut)
	}

	code, out, _ = runCLI(t, env, "--db", db, "instances", "list", "--config", cfg, "--format", "json")
	if code != ExitOK || !strings.Contains(out, `"********"`) || strings.Contains(out, o.Password) || !strings.Contains(out, `"detections"`) {
		t.Fatalf("instances list exit %d:\n%s", code, out)
	}
}

func TestSyncUsageErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("instances:\n  - name: x1234\n    qualys: {apiUrl: 'https://example.com', username: u, password: p, vmdrFindingSeverities: [9]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no config", []string{"sync"}, "--config is required"},
		{"bad config", []string{"sync", "--config", bad}, "vmdrFindingSeverities[0]: 9 is outside 1–5"},
		{"bad api url", []string{"sync", "--config", bad, "--instance", "zzz"}, "instances[0].qualys.apiUrl"},
		{"bad format", []string{"jobs", "list", "--format", "xml"}, "unknown --format"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, nil, append([]string{"--db", filepath.Join(dir, "g.db")}, tc.args...)...)
			if code != ExitUsage || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, ExitUsage, tc.want)
			}
		})
	}
}
