package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/qgraph/qgraph/internal/store"
)

var _ store.Store = (*DB)(nil)

// Options configure Open. Zero values pick the defaults.
type Options struct {
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
	// BusyTimeout is how long a statement waits for a lock held by another
	// connection or process; default 30s.
	BusyTimeout time.Duration
	// Readers is the size of the read-only connection pool; default 4.
	Readers int
}

// DB is an open SQLite store. It is safe for concurrent use.
type DB struct {
	path     string
	log      *slog.Logger
	writer   *sql.DB // one connection for state, jobs and migrations
	reader   *sql.DB // read-only connections
	sessions *sql.DB // one connection per open sync session

	// writeMu serialises this process's write transactions, so that they
	// queue here rather than in SQLite's busy timeout.
	writeMu sync.Mutex

	mu      sync.Mutex
	syncing map[string]bool // scopes with an open sync session

	// targets keeps decoded mapping target descriptions between reads.
	targets decodedTargets
}

// sqliteHeader starts every SQLite database file.
var sqliteHeader = []byte("SQLite format 3\x00")

// Open opens the SQLite store at path, creating the file when it does not
// exist and migrating its schema to the current version.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if path == "" {
		return nil, errors.New("open SQLite store: empty file path")
	}
	if err := registerFunctions(); err != nil {
		return nil, fmt.Errorf("open SQLite store %s: %w", path, err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 30 * time.Second
	}
	if opts.Readers <= 0 {
		opts.Readers = 4
	}
	if err := checkHeader(path); err != nil {
		return nil, err
	}
	if dir := filepath.Dir(path); dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("open SQLite store %s: directory %s does not exist", path, dir)
		}
	}
	busy := fmt.Sprintf("busy_timeout(%d)", opts.BusyTimeout.Milliseconds())
	base := "file:" + url.PathEscape(path)
	// Page caches: 8 MiB for the state and jobs writer, 16 MiB per reader,
	// 32 MiB per sync session; memory stays flat in the size of a sync.
	writerDSN := base + "?_txlock=immediate" +
		"&_pragma=" + busy +
		"&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(NORMAL)" +
		"&_pragma=foreign_keys(0)" +
		"&_pragma=cache_size(-8192)" +
		"&_pragma=temp_store(FILE)"
	readerDSN := base + "?_pragma=" + busy +
		"&_pragma=query_only(1)" +
		"&_pragma=cache_size(-16384)"
	sessionDSN := base + "?_pragma=" + busy +
		"&_pragma=synchronous(NORMAL)" +
		"&_pragma=foreign_keys(0)" +
		"&_pragma=cache_size(-32768)" +
		"&_pragma=temp_store(FILE)"

	writer, err := sql.Open("sqlite", writerDSN)
	if err != nil {
		return nil, fmt.Errorf("open SQLite store %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)

	db := &DB{path: path, log: opts.Logger, writer: writer, syncing: map[string]bool{}}
	if err := db.migrate(ctx); err != nil {
		writer.Close()
		return nil, err
	}
	reader, err := sql.Open("sqlite", readerDSN)
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("open SQLite store %s: %w", path, err)
	}
	reader.SetMaxOpenConns(opts.Readers)
	reader.SetMaxIdleConns(opts.Readers)
	db.reader = reader
	sessions, err := sql.Open("sqlite", sessionDSN)
	if err != nil {
		reader.Close()
		writer.Close()
		return nil, fmt.Errorf("open SQLite store %s: %w", path, err)
	}
	sessions.SetMaxIdleConns(2)
	db.sessions = sessions
	return db, nil
}

// checkHeader refuses a file that exists, is not empty and is not a SQLite
// database, before SQLite gets to touch it.
func checkHeader(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open SQLite store %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("open SQLite store %s: %w", path, err)
	}
	if st.IsDir() {
		return fmt.Errorf("open SQLite store %s: is a directory, not a database file", path)
	}
	if st.Size() == 0 {
		return nil
	}
	head := make([]byte, len(sqliteHeader))
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, sqliteHeader) {
		return fmt.Errorf("open SQLite store %s: not a SQLite database (the file header is wrong; is it corrupt or another kind of file?)", path)
	}
	return nil
}

// Path returns the database file path.
func (db *DB) Path() string { return db.path }

// Dialect returns store.SQLite.
func (db *DB) Dialect() store.Dialect { return store.SQLite }

// Close releases the connections. Open sync sessions must be finished first.
func (db *DB) Close() error {
	var errs []error
	if db.sessions != nil {
		errs = append(errs, db.sessions.Close())
	}
	if db.reader != nil {
		errs = append(errs, db.reader.Close())
	}
	if db.writer != nil {
		errs = append(errs, db.writer.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close SQLite store %s: %w", db.path, err)
	}
	return nil
}

// wrap names the store file and the operation in an error.
func (db *DB) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s (SQLite store %s): %w", op, db.path, err)
}

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
