package postgres

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/qgraph/qgraph/internal/store"
)

func TestOpenMigratesOnceAndReopens(t *testing.T) {
	requireServer(t)
	ctx := context.Background()
	schema := newSchemaName(t)
	dropSchemaOnCleanup(t, schema)
	for i := range 2 {
		db, err := Open(ctx, testDSN(), Options{Schema: schema})
		if err != nil {
			t.Fatalf("open %d: %v", i+1, err)
		}
		var n, max int
		if err := db.pool.QueryRow(ctx, "SELECT count(*), max(version) FROM schema_migrations").Scan(&n, &max); err != nil {
			t.Fatalf("read schema_migrations: %v", err)
		}
		migs, _ := loadMigrations()
		if n != len(migs) || max != len(migs) {
			t.Errorf("open %d: schema_migrations has %d rows up to %d, want %d", i+1, n, max, len(migs))
		}
		db.Close()
	}
}

func TestOpenSearchPathFromDSN(t *testing.T) {
	requireServer(t)
	ctx := context.Background()
	schema := newSchemaName(t)
	dropSchemaOnCleanup(t, schema)
	dsn := testDSN()
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	db, err := Open(ctx, dsn+sep+"search_path="+schema, Options{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer db.Close()
	var n int
	if err := db.pool.QueryRow(ctx, "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'entities'", schema).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("entities table not created in schema %s from the DSN's search_path", schema)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	if _, err := db.pool.Exec(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)"); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, testDSN(), Options{Schema: db.schema})
	if !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("open a newer schema: got %v, want store.ErrSchemaTooNew", err)
	}
	if !strings.Contains(err.Error(), "999") {
		t.Errorf("error %q does not name the store's schema version", err)
	}
}

func TestOpenBadDSNNeverShowsPassword(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		dsn  string
		want string
	}{
		{"unreachable port", "postgres://qgraph:s3cretPW@127.0.0.1:1/test?sslmode=disable&connect_timeout=2", "127.0.0.1"},
		{"unknown host", "postgres://qgraph:s3cretPW@no-such-host.invalid:5432/test?sslmode=disable&connect_timeout=2", "no-such-host.invalid"},
		{"bad port", "postgres://qgraph:s3cretPW@127.0.0.1:notaport/test", "parse DSN"},
		{"password in query", "postgres://127.0.0.1:1/test?user=qgraph&password=s3cretPW&sslmode=disable&connect_timeout=2", "127.0.0.1"},
		{"bad option", "postgres://qgraph:s3cretPW@127.0.0.1:1/test?sslmode=sometimes", "parse DSN"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			db, err := Open(ctx, c.dsn, Options{})
			if err == nil {
				db.Close()
				t.Fatal("open succeeded, want an error")
			}
			msg := err.Error()
			if strings.Contains(msg, "s3cretPW") {
				t.Errorf("error shows the password: %s", msg)
			}
			if !strings.Contains(msg, "PostgreSQL") || !strings.Contains(msg, c.want) {
				t.Errorf("error %q should say it is the PostgreSQL store and mention %q", msg, c.want)
			}
		})
	}
}

func TestFirstSchema(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"":                   "",
		"x":                  "x",
		" x , public":        "x",
		`"My Schema",public`: "My Schema",
		`"$user", public`:    "",
		"$user, public":      "",
	}
	for in, want := range cases {
		if got := firstSchema(in); got != want {
			t.Errorf("firstSchema(%q) = %q, want %q", in, got, want)
		}
	}
}
