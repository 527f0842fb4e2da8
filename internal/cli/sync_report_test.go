package cli

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qgraph/qgraph/internal/qualys/sim"
)

// simConfig starts a small simulator and writes a configuration for it;
// it returns the config path, the environment and the store path.
func simConfig(t *testing.T, faults string) (string, map[string]string, string) {
	t.Helper()
	o := sim.DemoOptions()
	o.Hosts, o.DetectionsPerHost, o.WebApps = 20, 4, 1
	if faults != "" {
		fs, err := sim.ParseFaults(faults)
		if err != nil {
			t.Fatal(err)
		}
		o.Faults = fs
	}
	s, err := sim.New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "qgraph.yaml")
	src := "instances:\n  - name: lab\n    qualys:\n      apiUrl: " + srv.URL + "\n      username: " + o.Username + "\n      password: ${SIM_PASSWORD}\n"
	if err := os.WriteFile(cfg, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg, map[string]string{"SIM_PASSWORD": o.Password}, filepath.Join(dir, "graph.db")
}

func TestSyncReportDetails(t *testing.T) {
	cfg, env, db := simConfig(t, "")
	if code, out, errOut := runCLI(t, env, "--db", db, "sync", "--config", cfg, "--full"); code != ExitOK {
		t.Fatalf("full sync exit %d\n%s\n%s", code, out, errOut)
	}
	tests := []struct {
		name      string
		args      []string
		wantKept  bool
		wantInErr string
	}{
		{name: "successful incremental run", args: []string{"sync", "--config", cfg}, wantInErr: "committed in "},
		{name: "verbose", args: []string{"sync", "--config", cfg, "--verbose"}, wantKept: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, env, append([]string{"--db", db}, tt.args...)...)
			if code != ExitOK {
				t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
			}
			if got := strings.Contains(out, "kept (partial) types"); got != tt.wantKept {
				t.Errorf("kept types printed %v, want %v:\n%s", got, tt.wantKept, out)
			}
			if !strings.Contains(errOut, tt.wantInErr) {
				t.Errorf("progress lacks %q:\n%s", tt.wantInErr, errOut)
			}
		})
	}
}

func TestSyncInterrupted(t *testing.T) {
	tests := []struct {
		name string
		// faults slow the simulator so that the signal comes mid-job.
		faults string
		after  time.Duration
	}{
		{name: "before the store is open"},
		{name: "while detections are read", faults: "slow:delay=2s:rate=1:endpoint=detections", after: 200 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, env, db := simConfig(t, tt.faults)
			var out, errOut bytes.Buffer
			f := &Factory{IO: IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, Getenv: func(k string) string { return env[k] }}
			cmd := NewRootCmd(f)
			cmd.SetArgs([]string{"--db", db, "sync", "--config", cfg, "--full"})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.after == 0 {
				cancel()
			} else {
				time.AfterFunc(tt.after, cancel)
			}
			start := time.Now()
			err := cmd.ExecuteContext(ctx)
			if took := time.Since(start); took > 1500*time.Millisecond {
				t.Errorf("sync took %s to stop", took)
			}
			var ee *exitError
			if !errors.As(err, &ee) || ee.code != ExitInterrupted {
				t.Fatalf("error %v, want exit code %d\n%s", err, ExitInterrupted, errOut.String())
			}
			if msg := err.Error(); !strings.Contains(msg, "sync interrupted; nothing of this job was stored") || strings.Contains(msg, "context canceled") {
				t.Errorf("message %q", msg)
			}
		})
	}
}
