package storetest

import (
	"context"
	"errors"
	"fmt"
	stdsync "sync"
	"testing"
	"time"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

// bigBatch returns n hosts and n relationships between them, with props
// marking the generation gen so a later generation changes every object.
func bigBatch(n int, gen string) store.Batch {
	var b store.Batch
	for i := 0; i < n; i++ {
		b.Entities = append(b.Entities, host(fmt.Sprintf("%06d", i), "gen", gen, "n", int64(i)))
	}
	for i := 1; i < n; i++ {
		b.Relationships = append(b.Relationships, has(b.Entities[i-1], b.Entities[i], "gen", gen))
	}
	return b
}

func runAtomicityCases(t *testing.T, open Opener) {
	t.Run("abort applies nothing", func(t *testing.T) {
		s := openStore(t, open)
		sync(t, s, scopeA, 1, bigBatch(50, "one"), syncOpts{})
		before := mustSnapshot(t, s)
		ctx := context.Background()
		sess, err := s.BeginSync(ctx, store.SyncParams{Scope: scopeA, JobID: "job-2", Now: at(2)})
		if err != nil {
			t.Fatal(err)
		}
		if err := sess.Put(ctx, bigBatch(60, "two")); err != nil {
			t.Fatal(err)
		}
		if err := sess.Abort(ctx); err != nil {
			t.Fatal(err)
		}
		wantUnchanged(t, s, before)
	})

	t.Run("an invalid batch mid-sync fails it and applies nothing", func(t *testing.T) {
		s := openStore(t, open)
		sync(t, s, scopeA, 1, bigBatch(50, "one"), syncOpts{})
		before := mustSnapshot(t, s)
		ctx := context.Background()
		sess, err := s.BeginSync(ctx, store.SyncParams{Scope: scopeA, JobID: "job-2", Now: at(2)})
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Abort(ctx)
		if err := sess.Put(ctx, bigBatch(10, "two")); err != nil {
			t.Fatal(err)
		}
		bad := host("bad")
		bad.Properties["_version"] = int64(3)
		if err := sess.Put(ctx, store.Batch{Entities: []graph.Entity{bad}}); err == nil {
			t.Fatal("Put of an entity with a reserved property succeeded")
		}
		// The caller gives up on the job.
		if err := sess.Abort(ctx); err != nil {
			t.Fatal(err)
		}
		wantUnchanged(t, s, before)
	})

	t.Run("a cancelled context applies nothing", func(t *testing.T) {
		for _, when := range []string{"before put", "before commit"} {
			t.Run(when, func(t *testing.T) {
				s := openStore(t, open)
				sync(t, s, scopeA, 1, bigBatch(50, "one"), syncOpts{})
				before := mustSnapshot(t, s)
				ctx, cancel := context.WithCancel(context.Background())
				sess, err := s.BeginSync(ctx, store.SyncParams{Scope: scopeA, JobID: "job-2", Now: at(2)})
				if err != nil {
					t.Fatal(err)
				}
				defer sess.Abort(context.Background())
				if when == "before put" {
					cancel()
					if err := sess.Put(ctx, bigBatch(60, "two")); err == nil {
						t.Error("Put with a cancelled context succeeded")
					}
				} else {
					if err := sess.Put(ctx, bigBatch(60, "two")); err != nil {
						t.Fatal(err)
					}
					cancel()
				}
				if _, err := sess.Commit(ctx, store.CommitParams{}); err == nil {
					t.Error("Commit with a cancelled context succeeded")
				}
				wantUnchanged(t, s, before)
			})
		}
	})

	t.Run("cancelling during commit applies all or nothing", func(t *testing.T) {
		s := openStore(t, open)
		sync(t, s, scopeA, 1, bigBatch(2000, "one"), syncOpts{})
		before := mustSnapshot(t, s)
		for _, delay := range []time.Duration{time.Millisecond, 5 * time.Millisecond, 20 * time.Millisecond} {
			ctx, cancel := context.WithCancel(context.Background())
			sess, err := s.BeginSync(ctx, store.SyncParams{Scope: scopeA, JobID: "job-2", Now: at(2)})
			if err != nil {
				t.Fatal(err)
			}
			if err := sess.Put(ctx, bigBatch(2000, "two")); err != nil {
				t.Fatal(err)
			}
			timer := time.AfterFunc(delay, cancel)
			_, err = sess.Commit(ctx, store.CommitParams{})
			timer.Stop()
			cancel()
			sess.Abort(context.Background())
			if err == nil {
				// The commit won the race: everything must be there.
				got := getEntity(t, s, scopeA, host("001999").Key)
				if got.Properties["gen"] != "two" {
					t.Fatalf("commit succeeded but the last entity has gen %v", got.Properties["gen"])
				}
				return
			}
			if !errors.Is(err, context.Canceled) {
				t.Logf("cancelled commit returned %v (not wrapping context.Canceled)", err)
			}
			wantUnchanged(t, s, before)
		}
	})

	t.Run("concurrent syncs of different scopes", func(t *testing.T) {
		s := openStore(t, open)
		scopes := []string{scopeA, scopeB, store.InstanceScope("suite-c")}
		var wg stdsync.WaitGroup
		errs := make([]error, len(scopes))
		for i, scope := range scopes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 1; n <= 3; n++ {
					if _, err := trySync(context.Background(), s, scope, n, bigBatch(200, fmt.Sprint(n)), syncOpts{}); err != nil {
						errs[i] = fmt.Errorf("sync %d of %s: %w", n, scope, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		for _, scope := range scopes {
			got := getEntity(t, s, scope, host("000199").Key)
			if got.Properties["gen"] != "3" || got.Version != 3 {
				t.Errorf("%s: last entity = gen %v version %d, want gen 3 version 3", scope, got.Properties["gen"], got.Version)
			}
		}
		ec, rc, err := s.Counts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if ec["suite_host"] != 600 || rc["suite_host_has_host"] != 597 {
			t.Errorf("counts = %v %v, want 600 hosts and 597 relationships", ec, rc)
		}
	})
}
