package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
	"github.com/qgraph/qgraph/internal/store/sqlite"
)

func TestOpenBadFiles(t *testing.T) {
	dir := t.TempDir()
	// A real store whose pages are then overwritten with garbage.
	mangled := filepath.Join(dir, "mangled.db")
	db, err := sqlite.Open(context.Background(), mangled, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := os.ReadFile(mangled)
	if err != nil {
		t.Fatal(err)
	}
	for i := 100; i < len(raw); i++ {
		raw[i] = byte(i * 7)
	}
	if err := os.WriteFile(mangled, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	os.Remove(mangled + "-wal")
	os.Remove(mangled + "-shm")

	cases := []struct {
		name    string
		path    string
		content string
		want    string
	}{
		{"text file", "notes.txt", "these are not the pages you are looking for\n", "not a SQLite database"},
		{"short file", "short.db", "SQL", "not a SQLite database"},
		{"directory", "", "", "is a directory"},
		{"missing directory", "no/such/dir/x.db", "", "no/such/dir/x.db"},
		{"mangled pages", "mangled.db", "", "mangled.db"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.path)
			if tc.content != "" {
				if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			before, _ := os.ReadFile(path)
			db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
			if err == nil {
				db.Close()
				t.Fatalf("Open(%s) succeeded", path)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), filepath.Base(strings.TrimSuffix(path, "/"))) {
				t.Errorf("error %q does not name the file and say %q", err, tc.want)
			}
			if after, _ := os.ReadFile(path); string(after) != string(before) {
				t.Errorf("Open changed the file")
			}
		})
	}
}

func TestOpenNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "newer.db")
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', 0)`, sqlite.SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	_, err = sqlite.Open(context.Background(), path, sqlite.Options{})
	if !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("Open of a newer schema = %v, want ErrSchemaTooNew", err)
	}
	if !strings.Contains(err.Error(), "newer.db") {
		t.Errorf("error %q does not name the file", err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "reopen.db")
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := db.BeginSync(ctx, store.SyncParams{Scope: "instance:x", JobID: "j1"})
	if err != nil {
		t.Fatal(err)
	}
	e := graph.Entity{Key: "account-key-1", Type: "qualys_account", Class: []string{"Account"},
		Properties: graph.Properties{"name": "x", "displayName": "x"}}
	if err := sess.Put(ctx, store.Batch{Entities: []graph.Entity{e}}); err != nil {
		t.Fatal(err)
	}
	if _, err := sess.Commit(ctx, store.CommitParams{}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.GetEntity(ctx, "instance:x", e.Key); err != nil {
		t.Fatalf("entity lost across reopen: %v", err)
	}
}

func TestQueryValueTypes(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "values.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got []any
	err = db.Query(context.Background(), `SELECT 42, 2.5, 'text', CAST('blob' AS BLOB), NULL, json_extract('{"big":1234567890123456789}', '$.big')`, nil,
		func(row []any) error { got = row; return nil })
	if err != nil {
		t.Fatal(err)
	}
	want := []any{int64(42), 2.5, "text", "blob", nil, int64(1234567890123456789)}
	if len(got) != len(want) {
		t.Fatalf("got %d values, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("value %d = %#v (%T), want %#v (%T)", i, got[i], got[i], want[i], want[i])
		}
	}
}
