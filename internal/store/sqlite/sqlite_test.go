package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/qgraph/qgraph/internal/store"
	"github.com/qgraph/qgraph/internal/store/sqlite"
	"github.com/qgraph/qgraph/internal/store/storetest"
)

// openTemp opens a fresh store in the test's temporary directory.
func openTemp(t *testing.T) store.Store {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "qgraph.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, openTemp)
}
