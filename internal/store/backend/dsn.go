// Package backend opens a store.Store from a DSN: a bare path or
// sqlite://PATH for the embedded SQLite store, postgres:// or postgresql://
// for PostgreSQL.
package backend

import (
	"fmt"
	"net/url"
	"strings"
)

// DefaultDSN is the store used when neither --db nor QGRAPH_DB is given.
const DefaultDSN = "./qgraph.db"

// Kind names a backend.
type Kind string

// The backends.
const (
	SQLite   Kind = "sqlite"
	Postgres Kind = "postgres"
)

// Target is a parsed DSN.
type Target struct {
	Kind Kind
	// Path is the SQLite file path.
	Path string
	// URL is the PostgreSQL connection URL as given.
	URL string
}

// ParseDSN parses a store DSN. It never echoes a password in its errors.
func ParseDSN(dsn string) (Target, error) {
	dsn = strings.TrimSpace(dsn)
	if dsn == "" {
		return Target{}, fmt.Errorf("parse DSN: empty (expected a file path, sqlite://PATH or postgres://USER@HOST:PORT/DB)")
	}
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		u, err := url.Parse(dsn)
		if err != nil {
			return Target{}, fmt.Errorf("parse PostgreSQL DSN: not a valid URL (expected postgres://USER@HOST:PORT/DB)")
		}
		if u.Host == "" {
			return Target{}, fmt.Errorf("parse PostgreSQL DSN %s: no host (expected postgres://USER@HOST:PORT/DB)", redact(u))
		}
		return Target{Kind: Postgres, URL: dsn}, nil
	case strings.HasPrefix(dsn, "sqlite://"):
		path := strings.TrimPrefix(dsn, "sqlite://")
		if path == "" {
			return Target{}, fmt.Errorf("parse SQLite DSN %q: no file path (expected sqlite://PATH)", dsn)
		}
		return Target{Kind: SQLite, Path: path}, nil
	case strings.Contains(dsn, "://"):
		scheme := dsn[:strings.Index(dsn, "://")]
		return Target{}, fmt.Errorf("parse DSN: unknown scheme %q (expected a file path, sqlite://PATH or postgres://…)", scheme)
	case looksLikeKeyValueDSN(dsn):
		return Target{}, fmt.Errorf("parse DSN: key=value connection strings are not supported; write PostgreSQL as postgres://USER@HOST:PORT/DB?sslmode=disable")
	default:
		return Target{Kind: SQLite, Path: dsn}, nil
	}
}

// looksLikeKeyValueDSN reports whether dsn is a libpq-style "host=… dbname=…"
// string, which would otherwise be taken for a file name.
func looksLikeKeyValueDSN(dsn string) bool {
	for _, field := range strings.Fields(dsn) {
		name, _, ok := strings.Cut(field, "=")
		switch strings.ToLower(name) {
		case "host", "hostaddr", "port", "dbname", "user", "password", "sslmode":
			if ok {
				return true
			}
		}
	}
	return false
}

// redact renders u without its password.
func redact(u *url.URL) string {
	c := *u
	if c.User != nil {
		if _, has := c.User.Password(); has {
			c.User = url.UserPassword(c.User.Username(), "xxxxx")
		}
	}
	return c.String()
}

// Redact renders a DSN with any password replaced, for logs and errors.
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		if strings.Contains(dsn, "://") {
			return "(unparseable DSN)"
		}
		return dsn
	}
	return redact(u)
}
