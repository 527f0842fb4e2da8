package cli

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qgraph/qgraph/internal/qualys/sim"
)

func testFactory() (*Factory, *bytes.Buffer, *bytes.Buffer) {
	out, errOut := &bytes.Buffer{}, &bytes.Buffer{}
	f := NewFactory(IOStreams{In: strings.NewReader(""), Out: out, ErrOut: errOut})
	f.Getenv = func(string) string { return "" }
	return f, out, errOut
}

func TestSimulateFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
		check   func(t *testing.T, o *SimulateOptions)
	}{
		{name: "defaults", args: nil, check: func(t *testing.T, o *SimulateOptions) {
			if o.Listen != "127.0.0.1:8080" || o.Sim.Hosts != 100 || o.Sim.Limits != sim.StandardLimits() || o.PasswordGiven {
				t.Errorf("defaults: %+v", o)
			}
		}},
		{name: "scale and faults", args: []string{"--hosts", "76000", "--detections-per-host", "33", "--webapps", "0", "--seed", "7",
			"--faults", "5xx:rate=0.1;reset:on=2", "--limits", "premium", "--concurrency-limit", "4", "--password", "pw"},
			check: func(t *testing.T, o *SimulateOptions) {
				if o.Sim.Hosts != 76000 || o.Sim.DetectionsPerHost != 33 || !o.Sim.NoWebApps || o.Sim.Seed != 7 {
					t.Errorf("sizes: %+v", o.Sim)
				}
				if len(o.Sim.Faults.Rules) != 2 || o.Sim.Limits.Concurrency != 4 || o.Sim.Limits.Calls != 2000 || !o.PasswordGiven {
					t.Errorf("faults/limits/password: %+v", o)
				}
			}},
		{name: "bad faults", args: []string{"--faults", "explode:rate=0.1"}, wantErr: `unknown fault kind "explode"`},
		{name: "pinned clock", args: []string{"--now", "2026-03-02T09:00:00Z"}, check: func(t *testing.T, o *SimulateOptions) {
			if !o.Sim.Now.Equal(sim.DefaultNow()) {
				t.Errorf("--now: got %v", o.Sim.Now)
			}
		}},
		{name: "zero hosts", args: []string{"--hosts", "0"}, wantErr: "--hosts 0: want at least 1"},
		{name: "zero kb", args: []string{"--kb-size", "0"}, wantErr: "--kb-size 0: want at least 1"},
		{name: "empty faults", args: []string{"--faults", ";;;"}, wantErr: "holds no rule"},
		{name: "bad clock", args: []string{"--now", "yesterday"}, wantErr: `--now "yesterday"`},
		{name: "bad account", args: []string{"--account", "frozen"}, wantErr: `unknown account state "frozen"`},
		{name: "bad limits", args: []string{"--limits", "gold"}, wantErr: `unknown limits profile "gold"`},
		{name: "bad listen", args: []string{"--listen", "8080"}, wantErr: "--listen"},
		{name: "advance without url", args: []string{"--advance", "24h"}, wantErr: "--advance and --url go together"},
		{name: "advance too short", args: []string{"--advance", "1ms", "--url", "http://127.0.0.1:1"}, wantErr: "at least 1s"},
		{name: "advance zero", args: []string{"--advance", "0s", "--url", "http://127.0.0.1:1"}, wantErr: "--advance 0s: the clock only moves forward"},
		{name: "advance negative", args: []string{"--advance", "-24h", "--url", "http://127.0.0.1:1"}, wantErr: "--advance -24h0m0s: the clock only moves forward"},
		{name: "advance zero without url", args: []string{"--advance", "0"}, wantErr: "--advance and --url go together"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := testFactory()
			var got *SimulateOptions
			cmd := newSimulateCmdWith(f, func(o *SimulateOptions) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, got)
		})
	}
}

// TestSimulateServeAndAdvance runs the simulator command, calls it, moves
// its clock with --advance, and stops it.
func TestSimulateServeAndAdvance(t *testing.T) {
	f, out, _ := testFactory()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	var runErr error
	go func() {
		defer wg.Done()
		cmd := newSimulateCmdWith(f, func(o *SimulateOptions) error {
			o.Ready = func(u string) { ready <- u }
			return simulateRun(ctx, o)
		})
		cmd.SetArgs([]string{"--listen", "127.0.0.1:0", "--hosts", "5", "--password", "hunter2-secret"})
		runErr = cmd.ExecuteContext(ctx)
	}()
	var base string
	select {
	case base = <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("simulator did not start")
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/qps/rest/portal/version", nil)
	req.SetBasicAuth(sim.DefaultUsername, "hunter2-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("portal version: %s", resp.Status)
	}

	f2, out2, _ := testFactory()
	adv := newSimulateCmd(f2)
	adv.SetArgs([]string{"--advance", "48h", "--url", base, "--password", "hunter2-secret"})
	if err := adv.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("--advance: %v", err)
	}
	if !strings.Contains(out2.String(), "epoch 1") {
		t.Errorf("--advance printed %q, want epoch 1", out2.String())
	}
	f3, _, _ := testFactory()
	bad := newSimulateCmd(f3)
	bad.SetArgs([]string{"--advance", "1h", "--url", base, "--password", "wrong"})
	if err := bad.ExecuteContext(context.Background()); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("--advance with a wrong password: got %v, want a 401 error", err)
	}

	cancel()
	wg.Wait()
	if runErr != nil {
		t.Fatalf("simulate: %v", runErr)
	}
	if strings.Contains(out.String(), "hunter2-secret") {
		t.Errorf("the password was printed: %s", out.String())
	}
	if !strings.Contains(out.String(), base) {
		t.Errorf("output %q does not name %s", out.String(), base)
	}
}
