package backend_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qgraph/qgraph/internal/store"
	"github.com/qgraph/qgraph/internal/store/backend"
)

func TestOpenSQLite(t *testing.T) {
	dir := t.TempDir()
	for _, dsn := range []string{filepath.Join(dir, "bare.db"), "sqlite://" + filepath.Join(dir, "url.db")} {
		s, err := backend.Open(context.Background(), dsn, backend.Options{})
		if err != nil {
			t.Fatalf("Open(%s): %v", dsn, err)
		}
		if s.Dialect() != store.SQLite {
			t.Errorf("Open(%s) dialect = %s", dsn, s.Dialect())
		}
		s.Close()
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.db")
	if err := os.WriteFile(corrupt, []byte("definitely not SQLite, just some words"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		dsn  string
		want []string
	}{
		{"corrupt file", corrupt, []string{"corrupt.db", "not a SQLite database"}},
		{"corrupt file by URL", "sqlite://" + corrupt, []string{"corrupt.db", "not a SQLite database"}},
		{"missing directory", filepath.Join(dir, "missing", "x.db"), []string{"missing", "does not exist"}},
		{"unknown scheme", "mysql://root@localhost/db", []string{"unknown scheme", "mysql"}},
		{"empty sqlite path", "sqlite://", []string{"no file path"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := backend.Open(context.Background(), tc.dsn, backend.Options{})
			if err == nil {
				s.Close()
				t.Fatalf("Open(%s) succeeded", tc.dsn)
			}
			if s != nil {
				t.Errorf("Open(%s) failed but returned a non-nil store", tc.dsn)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	raw, _ := os.ReadFile(corrupt)
	if string(raw) != "definitely not SQLite, just some words" {
		t.Errorf("opening the corrupt file changed it")
	}
}
