package cli

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
	"github.com/qgraph/qgraph/internal/store/backend"
)

// TestQueryFlagAndExitCodes checks the exit code and message of bad flags,
// bad queries and failures to run them: bad input exits ExitUsage, like an
// invalid upload file, a failure to run exits ExitError.
func TestQueryFlagAndExitCodes(t *testing.T) {
	dsn := newEmptyStore(t)
	missing := filepath.Join(t.TempDir(), "missing.db")
	cases := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"limit zero", []string{"query", "--limit", "0", "FIND Host"}, ExitUsage, "--limit 0: use a positive number of rows per page, 1 to 100000"},
		{"limit negative", []string{"query", "--limit", "-5", "FIND Host"}, ExitUsage, "--limit -5: use a positive number"},
		{"limit too large", []string{"query", "--limit", "100001", "FIND Host"}, ExitUsage, "1 to 100000"},
		{"questions limit zero", []string{"questions", "run", "qualys-open-findings-by-severity", "--limit", "0"}, ExitUsage, "--limit 0: use a positive number"},
		{"timeout zero", []string{"query", "--timeout", "0s", "FIND Host"}, ExitUsage, "--timeout 0s: use a positive duration"},
		{"questions timeout negative", []string{"questions", "run", "qualys-open-findings-by-severity", "--timeout", "-1s"}, ExitUsage, "--timeout -1s: use a positive duration"},
		{"syntax error", []string{"query", "FIND Host THAT"}, ExitUsage, "expected a relationship verb"},
		{"several errors", []string{"query", "FIND ~\nFIND ~"}, ExitUsage, "invalid query:\n  1:6: unexpected character"},
		{"unknown alias", []string{"query", "FIND Host AS h RETURN x.name"}, ExitUsage, "unknown alias x"},
		{"explain syntax error", []string{"query", "--explain", "FIND Host THAT"}, ExitUsage, "expected a relationship verb"},
		{"bad cursor", []string{"query", "--cursor", "bm9wZQ", "FIND Host"}, ExitUsage, "bad cursor"},
		{"cursor of another query", []string{"query", "--cursor", otherCursor(t, dsn), "FIND Host"}, ExitUsage, "belongs to another query"},
		{"unknown question", []string{"questions", "run", "nope"}, ExitUsage, "no managed question"},
		{"missing store", []string{"--db", missing, "query", "FIND Host"}, ExitError, "no store at"},
		{"good query", []string{"query", "--limit", "1", "FIND Host"}, ExitOK, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, nil, append([]string{"--db", dsn}, tc.args...)...)
			if code != tc.wantCode || !strings.Contains(errOut, tc.wantErr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, tc.wantCode, tc.wantErr)
			}
		})
	}
}

// otherCursor returns a cursor of another query than FIND Host.
func otherCursor(t *testing.T, dsn string) string {
	t.Helper()
	loadEntities(t, dsn, 3, false)
	code, out, errOut := runCLI(t, nil, "--db", dsn, "query", "--format", "json", "--limit", "1", "FIND * WITH _type = 'test_node'")
	var page struct{ Cursor string }
	if err := json.Unmarshal([]byte(out), &page); code != ExitOK || err != nil || page.Cursor == "" {
		t.Fatalf("exit %d, %v: %s%s", code, err, out, errOut)
	}
	return page.Cursor
}

// loadEntities replaces the test scope of the store at dsn with n
// test_node entities, all related to each other when dense.
func loadEntities(t *testing.T, dsn string, n int, dense bool) {
	t.Helper()
	ctx := context.Background()
	st, err := backend.Open(ctx, dsn, backend.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var b store.Batch
	for i := range n {
		key := fmt.Sprintf("test-node-%03d", i)
		b.Entities = append(b.Entities, graph.Entity{Key: key, Type: "test_node", Class: []string{"Resource"},
			Properties: graph.Properties{"name": key, "displayName": key}})
		for j := range n {
			if dense && j != i {
				to := fmt.Sprintf("test-node-%03d", j)
				b.Relationships = append(b.Relationships, graph.Relationship{Key: graph.RelationshipKey(key, "HAS", to),
					Type: "test_node_has_node", Class: "HAS", FromKey: key, ToKey: to})
			}
		}
	}
	s, err := st.BeginSync(ctx, store.SyncParams{Scope: store.UploadScope("cli-test"), JobID: "job-cli-test", Mode: store.Replace, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, b); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit(ctx, store.CommitParams{}); err != nil {
		t.Fatal(err)
	}
}

// TestQueryCursorPaging reads an answer page by page with --cursor.
func TestQueryCursorPaging(t *testing.T) {
	dsn := newEmptyStore(t)
	loadEntities(t, dsn, 5, false)
	seen := map[string]bool{}
	cursor := ""
	for page := 0; ; page++ {
		args := []string{"--db", dsn, "query", "--format", "json", "--limit", "2", "FIND test_node AS n RETURN n._key AS key ORDER BY key"}
		if cursor != "" {
			args = append(args, "--cursor", cursor)
		}
		code, out, errOut := runCLI(t, nil, args...)
		var res struct {
			Data       []map[string]string
			TotalCount int
			Cursor     string
		}
		if err := json.Unmarshal([]byte(out), &res); code != ExitOK || err != nil {
			t.Fatalf("page %d: exit %d, %v: %s%s", page, code, err, out, errOut)
		}
		if len(res.Data) > 2 || res.TotalCount != 5 {
			t.Fatalf("page %d: %d rows of %d, want at most 2 of 5", page, len(res.Data), res.TotalCount)
		}
		for _, r := range res.Data {
			seen[r["key"]] = true
		}
		if cursor = res.Cursor; cursor == "" {
			break
		}
		if page > 5 {
			t.Fatal("the cursor never ends")
		}
	}
	if len(seen) != 5 {
		t.Errorf("paging returned %d distinct keys, want 5: %v", len(seen), seen)
	}
}

// slowQuery walks five hops through a complete graph: billions of paths,
// far longer than any test runs.
const slowQuery = "FIND test_node AS a THAT HAS test_node AS b THAT HAS test_node AS c THAT HAS test_node AS d " +
	"THAT HAS test_node AS e THAT HAS test_node AS f RETURN count(f) AS n"

// slowStores returns the DSNs of an embedded store and, when a server
// answers, a PostgreSQL store in a throw-away schema, each holding a
// complete graph of 40 entities.
func slowStores(t *testing.T) map[string]string {
	t.Helper()
	dsns := map[string]string{"sqlite": newEmptyStore(t)}
	base := os.Getenv("QGRAPH_TEST_POSTGRES")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if conn, err := pgx.Connect(ctx, base); err != nil {
		t.Logf("PostgreSQL part skipped: %v", err)
	} else {
		conn.Close(ctx)
		var b [6]byte
		rand.Read(b[:])
		schema := "cli_test_" + hex.EncodeToString(b[:])
		sep := "?"
		if strings.Contains(base, "?") {
			sep = "&"
		}
		dsns["postgres"] = base + sep + "search_path=" + schema
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if conn, err := pgx.Connect(ctx, base); err == nil {
				if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
					t.Errorf("drop schema %s (is the cancelled query still running?): %v", schema, err)
				}
				conn.Close(ctx)
			}
		})
	}
	for _, dsn := range dsns {
		loadEntities(t, dsn, 40, true)
	}
	return dsns
}

// TestQueryTimeout cancels a slow query after --timeout on both stores:
// the command fails soon after the timeout with an error naming it, so the
// cancellation reached the database driver.
func TestQueryTimeout(t *testing.T) {
	for name, dsn := range slowStores(t) {
		t.Run(name, func(t *testing.T) {
			cases := [][]string{
				{"query", "--timeout", "300ms", slowQuery},
				{"questions", "run", "qualys-open-findings-by-severity", "--timeout", "1ns"},
			}
			for _, args := range cases {
				type result struct {
					code   int
					errOut string
				}
				done := make(chan result, 1)
				start := time.Now()
				go func() {
					code, _, errOut := runCLI(t, nil, append([]string{"--db", dsn}, args...)...)
					done <- result{code, errOut}
				}()
				select {
				case r := <-done:
					if r.code != ExitError || !strings.Contains(r.errOut, "ran longer than the timeout of") {
						t.Errorf("%v: exit %d, stderr %q; want %d and the timeout named", args, r.code, r.errOut, ExitError)
					}
					if el := time.Since(start); el > 15*time.Second {
						t.Errorf("%v: took %v to stop", args, el)
					}
				case <-time.After(60 * time.Second):
					t.Fatalf("%v still runs a minute later: the timeout did not stop it", args)
				}
			}
		})
	}
}

// TestQueryInterrupted cancels the command's context while a slow query
// runs, as SIGINT does in Main: the exit code is ExitInterrupted.
func TestQueryInterrupted(t *testing.T) {
	dsn := newEmptyStore(t)
	loadEntities(t, dsn, 40, true)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	f, _, _ := testFactory()
	f.DSN = dsn
	cmd := NewRootCmd(f)
	cmd.SetArgs([]string{"query", slowQuery})
	err := cmd.ExecuteContext(ctx)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != ExitInterrupted || !strings.Contains(err.Error(), "query interrupted") {
		t.Fatalf("error %v, want exit %d and \"query interrupted\"", err, ExitInterrupted)
	}
}

// TestHelperMain is not a test: TestDemoInterrupted runs the test binary
// with QGRAPH_TEST_MAIN=1 to run Main in a process of its own.
func TestHelperMain(t *testing.T) {
	if os.Getenv("QGRAPH_TEST_MAIN") != "1" {
		t.Skip("runs only as the subprocess of TestDemoInterrupted")
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	os.Exit(Main(args))
}

// TestDemoInterrupted sends SIGINT to qgraph demo while it syncs: it must
// exit 130 with a message saying so, as qgraph sync does.
func TestDemoInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the demo")
	}
	db := filepath.Join(t.TempDir(), "demo.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperMain$", "--", "--db", db, "demo")
	cmd.Env = append(os.Environ(), "QGRAPH_TEST_MAIN=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(stderr)
	signalled := false
	for sc.Scan() {
		lines = append(lines, sc.Text())
		// Interrupt in the middle of the sync, once it reads detections.
		if !signalled && strings.Contains(sc.Text(), "step=fetch-host-detections started") {
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			signalled = true
		}
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !signalled {
		t.Fatalf("the demo never started to read detections:\n%s", strings.Join(lines, "\n"))
	}
	if !errors.As(err, &ee) || ee.ExitCode() != ExitInterrupted {
		t.Fatalf("demo ended with %v, want exit %d\n%s", err, ExitInterrupted, strings.Join(lines, "\n"))
	}
	if all := strings.Join(lines, "\n"); !strings.Contains(all, "qgraph: demo interrupted") {
		t.Errorf("stderr does not say the demo was interrupted:\n%s", all)
	}
}
