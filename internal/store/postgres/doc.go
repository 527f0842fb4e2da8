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
// batch and COPYs it into temporary staging tables of that connection;
// Commit merges the staged objects into the permanent tables with a few
// set-based statements inside one transaction. Because staging tables are
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
// A DB is safe for concurrent use. A SyncSession may be used by one
// goroutine at a time.
package postgres
