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
		dsn = DefaultDSN
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
	default:
		return Target{Kind: SQLite, Path: dsn}, nil
	}
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
