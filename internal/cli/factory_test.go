package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qgraph/qgraph/internal/store/backend"
)

// newEmptyStore creates an empty embedded store and returns its path.
func newEmptyStore(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "q.db")
	st, err := backend.Open(context.Background(), path, backend.Options{})
	if err != nil {
		t.Fatalf("create store: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Fatalf("close store: %v", err)
	}
	return path
}

func TestReadCommandsRefuseAMissingStore(t *testing.T) {
	t.Parallel()
	tests := [][]string{
		{"query", "FIND Host"},
		{"questions", "run", "qualys-open-findings-by-severity"},
		{"jobs", "list"},
	}
	for _, args := range tests {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "typo.db")
			_, _, err := runQueryCmd(t, path, args...)
			if err == nil || !strings.Contains(err.Error(), "no store at "+path) {
				t.Fatalf("error = %v, want it to say there is no store at %s", err, path)
			}
			if _, statErr := os.Stat(path); statErr == nil {
				t.Fatalf("%s created the store file %s", args[0], path)
			}
		})
	}
}
