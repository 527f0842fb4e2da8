package mapper

import (
	"context"
	"fmt"
	"testing"

	"github.com/qgraph/qgraph/internal/store"
)

// syncAs creates n entities in scope under a job id.
func syncAs(t *testing.T, st store.Store, scope, job string, n int) {
	t.Helper()
	ctx := context.Background()
	s, err := st.BeginSync(ctx, store.SyncParams{Scope: scope, JobID: job, Mode: store.Merge, Now: testClock.now()})
	if err != nil {
		t.Fatal(err)
	}
	var b store.Batch
	for i := 0; i < n; i++ {
		b.Entities = append(b.Entities, hostEntity("discovered_host", fmt.Sprintf("%s-host-%04d", job, i), 0))
	}
	if err := s.Put(ctx, b); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit(ctx, store.CommitParams{}); err != nil {
		t.Fatal(err)
	}
}

// TestChangeLogCursor checks the probes that find the end of the log and
// the end of the mapper's own entries.
func TestChangeLogCursor(t *testing.T) {
	st := openSQLite(t)
	m := newTestMapper(st, nil)
	ctx := context.Background()
	syncAs(t, st, store.UploadScope("a"), "job-a", 3)
	syncAs(t, st, store.MapperScope, "mapper-1", 600)
	syncAs(t, st, store.UploadScope("b"), "job-b", 2)
	all, err := st.Changes(ctx, store.ChangeFilter{})
	if err != nil || len(all) != 605 {
		t.Fatalf("changes = %d, %v; want 605", len(all), err)
	}
	seqOf := func(i int) int64 { return all[i].Seq }
	cases := []struct {
		name string
		from int64
		job  string
		want int64
	}{
		{"last entry of the log", 0, "", seqOf(604)},
		{"own run after the snapshot", seqOf(2), "mapper-1", seqOf(602)},
		{"a foreign entry first", seqOf(1), "mapper-1", seqOf(1)},
		{"nothing after", seqOf(604), "mapper-1", seqOf(604)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got int64
			var err error
			if c.job == "" {
				got, err = m.lastSeq(ctx, c.from)
			} else {
				got, err = m.skipOwnChanges(ctx, c.from, c.job)
			}
			if err != nil || got != c.want {
				t.Errorf("got %d, %v; want %d", got, err, c.want)
			}
		})
	}
}
