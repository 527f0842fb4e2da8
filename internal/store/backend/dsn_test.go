package backend

import (
	"strings"
	"testing"
)

func TestParseDSN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dsn     string
		want    Target
		wantErr string
	}{
		{"", Target{}, "empty"},
		{"host=db user=me password=KVSecret dbname=x", Target{}, "key=value"},
		{"my graph.db", Target{Kind: SQLite, Path: "my graph.db"}, ""},
		{"./x.db", Target{Kind: SQLite, Path: "./x.db"}, ""},
		{"sqlite:///var/lib/q.db", Target{Kind: SQLite, Path: "/var/lib/q.db"}, ""},
		{"sqlite://rel.db", Target{Kind: SQLite, Path: "rel.db"}, ""},
		{"postgres://u@127.0.0.1:5432/test", Target{Kind: Postgres, URL: "postgres://u@127.0.0.1:5432/test"}, ""},
		{"postgresql://u@h/db", Target{Kind: Postgres, URL: "postgresql://u@h/db"}, ""},
		{"sqlite://", Target{}, "no file path"},
		{"mysql://u@h/db", Target{}, `unknown scheme "mysql"`},
		{"postgres:///db", Target{}, "no host"},
		{"postgres://u:s3cret@/db", Target{}, "no host"},
	}
	for _, tt := range tests {
		t.Run(tt.dsn, func(t *testing.T) {
			got, err := ParseDSN(tt.dsn)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseDSN(%q) error = %v, want %q", tt.dsn, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "KVSecret") {
					t.Fatalf("error leaks the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDSN(%q): %v", tt.dsn, err)
			}
			if got != tt.want {
				t.Fatalf("ParseDSN(%q) = %+v, want %+v", tt.dsn, got, tt.want)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	got := Redact("postgres://me:s3cret@db:5432/x")
	if strings.Contains(got, "s3cret") || !strings.Contains(got, "me:") {
		t.Fatalf("Redact = %q", got)
	}
}
