package storetest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/qgraph/qgraph/internal/store"
)

// Environment variables that turn a test binary into the child process of
// RunKill.
const (
	killPhaseEnv = "QGRAPH_STORETEST_KILL_PHASE"
	killDSNEnv   = "QGRAPH_STORETEST_KILL_DSN"
)

// killScope is the scope RunKill syncs.
var killScope = store.InstanceScope("kill-test")

// Sizes of the kill test: the baseline the parent writes and the sync the
// child is killed in. The child's commit must last long enough to be
// killed in the middle.
const (
	killBaseline  = 500
	killChildSize = 20000
	killBatchSize = 1000
)

// DSNOpener opens a store by DSN, as backend.Open does.
type DSNOpener func(ctx context.Context, dsn string) (store.Store, error)

// KillChildMain runs the child side of RunKill and exits when the
// environment asks for it; otherwise it returns at once. Call it first
// thing in the backend's TestMain.
func KillChildMain(open DSNOpener) {
	phase := os.Getenv(killPhaseEnv)
	if phase == "" {
		return
	}
	if err := killChild(phase, os.Getenv(killDSNEnv), open); err != nil {
		fmt.Fprintln(os.Stderr, "kill-test child:", err)
		os.Exit(2)
	}
	os.Exit(0)
}

// killChild changes every object of the baseline and adds as many again;
// it prints READY once staging has begun (phase "put") or COMMIT right
// before Commit (phase "commit"), and DONE if it gets to finish.
func killChild(phase, dsn string, open DSNOpener) error {
	ctx := context.Background()
	s, err := open(ctx, dsn)
	if err != nil {
		return err
	}
	sess, err := s.BeginSync(ctx, store.SyncParams{Scope: killScope, JobID: "killed-job", Now: at(2)})
	if err != nil {
		return err
	}
	b := bigBatch(killChildSize, "killed")
	for start := 0; ; start += killBatchSize {
		if phase == "put" && start == killBatchSize {
			fmt.Println("READY")
		}
		if start >= killChildSize {
			if phase == "put" {
				start = 0 // keep staging until killed
			} else {
				break
			}
		}
		end := min(start+killBatchSize, killChildSize)
		batch := store.Batch{Entities: b.Entities[start:end], Relationships: b.Relationships[start:min(end, len(b.Relationships))]}
		if err := sess.Put(ctx, batch); err != nil {
			return err
		}
	}
	fmt.Println("COMMIT")
	if _, err := sess.Commit(ctx, store.CommitParams{}); err != nil {
		return err
	}
	fmt.Println("DONE")
	return nil
}

// RunKill checks that a process SIGKILLed while staging a sync, or in the
// middle of its Commit, leaves the store exactly as it was: the test binary
// runs itself as a child (see KillChildMain), the parent kills it, reopens
// the store at dsn and compares. dsn must name a store nothing else uses
// during the test.
func RunKill(t *testing.T, dsn string, open DSNOpener) {
	if testing.Short() {
		t.Skip("kill test skipped in -short mode")
	}
	ctx := context.Background()
	s, err := open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := trySync(ctx, s, killScope, 1, bigBatch(killBaseline, "baseline"), syncOpts{}); err != nil {
		s.Close()
		t.Fatal(err)
	}
	before := mustSnapshot(t, s)
	s.Close()

	for _, phase := range []string{"put", "commit"} {
		t.Run("killed during "+phase, func(t *testing.T) {
			killed := false
			for _, delay := range []time.Duration{50 * time.Millisecond, 10 * time.Millisecond, 0} {
				if runKilledChild(t, dsn, phase, delay) {
					killed = true
					break
				}
			}
			if !killed {
				t.Fatalf("the child finished its commit every time before it could be killed")
			}
			s, err := open(ctx, dsn)
			if err != nil {
				t.Fatalf("reopen after the kill: %v", err)
			}
			defer s.Close()
			wantUnchanged(t, s, before)
		})
	}

	t.Run("usable after the kills", func(t *testing.T) {
		s, err := open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		res, err := trySync(ctx, s, killScope, 3, bigBatch(killBaseline, "after"), syncOpts{})
		if err != nil {
			t.Fatalf("sync after the kills: %v", err)
		}
		wantCounts(t, "after the kills", res.Entities, "suite_host", store.TypeCounts{Updated: killBaseline})
	})
}

// runKilledChild starts the child, kills it delay after it reports the
// phase, and reports whether it was killed before finishing.
func runKilledChild(t *testing.T, dsn, phase string, delay time.Duration) bool {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), killPhaseEnv+"="+phase, killDSNEnv+"="+dsn)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the child: %v", err)
	}
	marker := map[string]string{"put": "READY", "commit": "COMMIT"}[phase]
	lines := bufio.NewScanner(out)
	reached := false
	for lines.Scan() {
		if lines.Text() == marker {
			reached = true
			break
		}
	}
	if !reached {
		cmd.Wait()
		t.Fatalf("the child ended before %s: %s", marker, stderr.String())
	}
	time.Sleep(delay)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatalf("kill the child: %v", err)
	}
	rest, _ := io.ReadAll(out)
	cmd.Wait()
	if strings.Contains(string(rest), "DONE") {
		t.Logf("the child finished its %s before the kill after %v; trying again sooner", phase, delay)
		return false
	}
	if st := cmd.ProcessState; st != nil && st.Exited() {
		t.Fatalf("the child exited (%v) instead of being killed: %s", st, stderr.String())
	}
	return true
}
