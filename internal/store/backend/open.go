package backend

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"

	"github.com/qgraph/qgraph/internal/store"
	"github.com/qgraph/qgraph/internal/store/postgres"
	"github.com/qgraph/qgraph/internal/store/sqlite"
)

// ErrNoStore is returned by Open with Options.MustExist when the embedded
// store file does not exist.
var ErrNoStore = errors.New("no store")

// Options configure Open.
type Options struct {
	Logger *slog.Logger
	// MustExist refuses to create a new embedded store file: commands that
	// only read use it so that a mistyped path is an error, not an empty graph.
	MustExist bool
}

// Open opens the store named by dsn, creating and migrating it when needed
// (unless opts.MustExist refuses to create an embedded store file).
func Open(ctx context.Context, dsn string, opts Options) (store.Store, error) {
	t, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	switch t.Kind {
	case SQLite:
		if opts.MustExist {
			if _, err := os.Stat(t.Path); errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("open store: %w at %s (run qgraph sync or qgraph demo first, or pass --db)", ErrNoStore, t.Path)
			}
		}
		db, err := sqlite.Open(ctx, t.Path, sqlite.Options{Logger: opts.Logger})
		if err != nil {
			return nil, err // not a non-nil interface holding a nil *DB
		}
		return db, nil
	case Postgres:
		db, err := postgres.Open(ctx, t.URL, postgres.Options{Logger: opts.Logger})
		if err != nil {
			return nil, err // not a non-nil interface holding a nil *DB
		}
		return db, nil
	default:
		return nil, fmt.Errorf("open store: backend %q is not built yet", t.Kind)
	}
}
