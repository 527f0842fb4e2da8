// Package postgres is the PostgreSQL backend of store.Store, for
// installations that outgrow one machine or share the graph between
// workers.
//
// Open connects with a pgx connection pool, creates the schema named by the
// DSN's search_path (or Options.Schema) when it does not exist, and applies
// the numbered migrations embedded under migrations/ inside one
// transaction, recorded in schema_migrations. A schema written by a newer
// qgraph is refused with store.ErrSchemaTooNew.
//
// A sync holds one pooled connection for its whole life. Put validates a
// batch and COPYs it into temporary staging tables of that connection (in
// the background, while the caller prepares the next batch; JSON is staged
// as text and parsed only for objects that change). Commit merges the
// staged objects into the permanent tables with a few set-based statements
// inside one transaction: compare by (scope, key) and hash, archive and
// update changed objects, insert new ones, soft-delete the unseen, cascade
// to relationships, and log every change. Because staging tables are
// temporary and the commit is one transaction, an error, a cancellation or
// the death of the process leaves the store as it was: the server drops the
// temporary tables and rolls back when the connection goes away. A
// session-level advisory lock per (schema, scope) refuses a second
// concurrent sync of the same scope, across processes, with
// store.ErrSyncInProgress; it too is released when the connection closes.
//
// Change detection compares a 64-bit hash of each object's type, classes,
// endpoints and canonical property JSON, computed in Go, so that an int64 1
// and a float64 1.0 differ even though jsonb compares them as equal numbers.
// Properties are written as JSON in which every float carries a decimal
// point and never an exponent, so jsonb keeps its scale and it reads back as
// a float; integers of any size are read back exactly.
//
// Known limits: a commit that at least doubles a table with 50,000 or more
// new objects (an initial load) drops that table's secondary indexes and
// rebuilds them before committing, which is much faster than growing them
// row by row but holds an exclusive lock on the table, so queries wait for
// the load to finish. Bulk loads write a lot of WAL; a server with a small
// max_wal_size checkpoints often during them.
//
// A DB is safe for concurrent use. A SyncSession may be used by one
// goroutine at a time; Close aborts the syncs still open.
package postgres
