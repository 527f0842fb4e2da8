package sqlite_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qgraph/qgraph/internal/store/sqlite"
)

func TestRegexpFunction(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "regexp.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tests := []struct {
		pattern string
		text    any
		want    any
		wantErr string
	}{
		{pattern: "^web-(dev|prod)$", text: "web-prod", want: int64(1)},
		{pattern: "web", text: "db-1", want: int64(0)},
		{pattern: "^4", text: int64(443), want: int64(1)},
		{pattern: "x", text: nil, want: nil},
		{pattern: "(", text: "x", wantErr: "invalid pattern"},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			var got []any
			err := db.Query(context.Background(), "SELECT regexp(?, ?)", []any{tt.pattern, tt.text},
				func(row []any) error { got = row; return nil })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0] != tt.want {
				t.Fatalf("regexp(%q, %v) = %#v, want %#v", tt.pattern, tt.text, got, tt.want)
			}
		})
	}
}
