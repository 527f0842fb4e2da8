package backend

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/qgraph/qgraph/internal/store"
	"github.com/qgraph/qgraph/internal/store/postgres"
	"github.com/qgraph/qgraph/internal/store/sqlite"
)

// Options configure Open.
type Options struct {
	Logger *slog.Logger
}

// Open opens (creating and migrating when needed) the store named by dsn.
func Open(ctx context.Context, dsn string, opts Options) (store.Store, error) {
	t, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	switch t.Kind {
	case SQLite:
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
