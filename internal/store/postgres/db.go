package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/qgraph/qgraph/internal/store"
)

// Options configure Open. The zero value is usable.
type Options struct {
	// Schema is the PostgreSQL schema that holds qgraph's tables. It
	// overrides a search_path given in the DSN; empty means the DSN's
	// search_path, or the server's default (public).
	Schema string
	// MaxConns caps the connection pool; zero means 8. Each open sync holds
	// one connection until it commits or aborts.
	MaxConns int32
	// ConnectTimeout bounds each connection attempt; zero means 10s.
	ConnectTimeout time.Duration
	// Logger receives debug messages about migrations and syncs; nil
	// discards them.
	Logger *slog.Logger
}

// DB is a PostgreSQL-backed store.Store.
type DB struct {
	pool   *pgxpool.Pool
	schema string // the schema holding the tables; "" for the server default
	log    *slog.Logger

	// bulkCreates is the bulk-load threshold (defaultBulkCreates; tests
	// lower it).
	bulkCreates int64

	mu      sync.Mutex
	syncing map[string]*session // open syncs of this process, by scope; nil while one is starting
}

var _ store.Store = (*DB)(nil)

// Open connects to the PostgreSQL server named by dsn (postgres://…),
// creates the schema when needed and migrates it to the version of this
// qgraph. Errors never contain the password.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	shown := redactDSN(dsn)
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open PostgreSQL store %s: parse DSN: %w", shown, scrub(err, dsn))
	}
	password := cfg.ConnConfig.Password
	hide := func(err error) error { return scrub(scrub(err, dsn), password) }

	schema := opts.Schema
	if schema == "" {
		schema = firstSchema(cfg.ConnConfig.RuntimeParams["search_path"])
	}
	if schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{schema}.Sanitize()
	}
	cfg.MaxConns = opts.MaxConns
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 8
	}
	cfg.MinConns = 0
	if opts.ConnectTimeout > 0 {
		cfg.ConnConfig.ConnectTimeout = opts.ConnectTimeout
	} else if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 10 * time.Second
	}
	cfg.AfterConnect = registerTypes
	// On cancellation, ask the server to stop the statement at once (and
	// give up on the socket a second later), so that a cancelled sync
	// releases its scope promptly.
	cfg.ConnConfig.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, DeadlineDelay: time.Second}
	}

	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open PostgreSQL store %s: %w", shown, hide(err))
	}
	db := &DB{pool: pool, schema: schema, log: log, syncing: map[string]*session{}, bulkCreates: defaultBulkCreates}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open PostgreSQL store %s: connect: %w", shown, hide(err))
	}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open PostgreSQL store %s: %w", shown, hide(err))
	}
	return db, nil
}

// Dialect reports store.Postgres.
func (db *DB) Dialect() store.Dialect { return store.Postgres }

// Close aborts the syncs still open, then closes every pooled connection.
func (db *DB) Close() error {
	db.mu.Lock()
	var open []*session
	for _, s := range db.syncing {
		if s != nil {
			open = append(open, s)
		}
	}
	db.mu.Unlock()
	for _, s := range open {
		s.kill()
	}
	db.pool.Close()
	return nil
}

// lockKey derives the advisory-lock key of a name within db's schema.
func (db *DB) lockKey(kind, name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("qgraph\x00" + kind + "\x00" + db.schema + "\x00" + name))
	return int64(h.Sum64())
}

// firstSchema returns the first schema of a search_path value, unquoted.
func firstSchema(searchPath string) string {
	first, _, _ := strings.Cut(searchPath, ",")
	first = strings.TrimSpace(first)
	if len(first) >= 2 && first[0] == '"' && first[len(first)-1] == '"' {
		first = strings.ReplaceAll(first[1:len(first)-1], `""`, `"`)
	}
	if first == "$user" {
		return ""
	}
	return first
}

// redactDSN renders a URL DSN without its password; other forms are not
// shown at all because they may carry one anywhere.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "(DSN not shown)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// scrubbedError carries an error whose text had a secret removed; errors.Is
// and errors.As still see the original.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// scrub removes every occurrence of secret from err's text.
func scrub(err error, secret string) error {
	if err == nil || secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return &scrubbedError{msg: strings.ReplaceAll(err.Error(), secret, "xxxxx"), err: err}
}

// isNoRows reports whether err means an empty result.
func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

// millis converts t to milliseconds since the epoch; the zero time is 0.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMillis converts milliseconds since the epoch to a UTC time; 0 is the
// zero time.
func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
