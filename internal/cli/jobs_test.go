package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/integration"
	"github.com/qgraph/qgraph/internal/mapper"
	"github.com/qgraph/qgraph/internal/store"
	"github.com/qgraph/qgraph/internal/store/sqlite"
)

func TestJobsShowNamesMissingEnds(t *testing.T) {
	ctx := context.Background()
	dsn := filepath.Join(t.TempDir(), "graph.db")
	st, err := sqlite.Open(ctx, dsn, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	scope := store.InstanceScope("lab")
	sess, err := st.BeginSync(ctx, store.SyncParams{Scope: scope, JobID: "job-0001"})
	if err != nil {
		t.Fatal(err)
	}
	entity := func(key, typ, class string) graph.Entity {
		return graph.Entity{Key: key, Type: typ, Class: []string{class}, Properties: graph.Properties{"name": key, "displayName": key}}
	}
	if err := sess.Put(ctx, store.Batch{Entities: []graph.Entity{
		entity("qualys-account:lab", "qualys_account", "Account"),
		entity("hostId:1|qid:6|ssl:0", "qualys_host_thing", "Record"),
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := sess.Commit(ctx, store.CommitParams{}); err != nil {
		t.Fatal(err)
	}
	dangling := []string{
		"hostId:1|qid:6|ssl:0|is|vuln-qid:6",                  // the to end is missing
		"qualys-service:vmdr|identified|hostId:1|qid:6|ssl:0", // the from end is missing
		"nowhere-0001|has|nowhere-0002",                       // both are
		"no-class-word-in-this-key",                           // cannot tell
	}
	rep := integration.Report{JobID: "job-0002", Scope: scope, Instance: "lab", Status: integration.StatusSuccess,
		Sync:        &store.SyncResult{Dangling: dangling, DanglingCount: 7},
		AfterCommit: &mapper.Report{MappingsResolved: 40, MappingsRechecked: 2, RelationshipsPut: 41, PlaceholdersCreated: 5}}
	raw, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := st.SaveJob(ctx, &store.Job{ID: "job-0002", Scope: scope, Status: "success", StartedAt: now, FinishedAt: now, Report: raw}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	out, errOut, code := runUpload(t, dsn, "", "--db", dsn, "jobs", "show", "job-0002")
	want := "  7 relationship(s) were not stored because an end was not an entity of the job's data in instance:lab:\n" +
		"    hostId:1|qid:6|ssl:0|is|vuln-qid:6: _toEntityKey \"vuln-qid:6\" was not in the job's data\n" +
		"    qualys-service:vmdr|identified|hostId:1|qid:6|ssl:0: _fromEntityKey \"qualys-service:vmdr\" was not in the job's data\n" +
		"    nowhere-0001|has|nowhere-0002: _fromEntityKey \"nowhere-0001\" was not in the job's data\n" +
		"    nowhere-0001|has|nowhere-0002: _toEntityKey \"nowhere-0002\" was not in the job's data\n" +
		"    … and 4 more\n"
	if code != ExitOK || !strings.Contains(out, want) {
		t.Errorf("jobs show exit %d, stdout:\n%s\nstderr:\n%s\nwant stdout containing:\n%s", code, out, errOut, want)
	}
	// The mapper's part, read back from the stored report.
	wantMapper := "  mapper: 42 mappings resolved, 41 relationships written, 0 deleted, placeholders 5 created, 0 deleted\n"
	if !strings.Contains(out, wantMapper) {
		t.Errorf("jobs show stdout:\n%s\nwant it to contain:\n%s", out, wantMapper)
	}
}

func TestWriteDanglingWithoutLookups(t *testing.T) {
	rep := &integration.Report{JobID: "job-0003", Scope: "instance:lab",
		Sync: &store.SyncResult{Dangling: []string{"a-key-000001", "a-key-000002"}, DanglingCount: 2}}
	var b strings.Builder
	writeDangling(&b, rep, nil)
	want := "  2 relationship(s) were not stored because an end was not an entity of the job's data in instance:lab:\n" +
		"    a-key-000001\n    a-key-000002\n" +
		"    (qgraph jobs show job-0003 names the missing ends)\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}
