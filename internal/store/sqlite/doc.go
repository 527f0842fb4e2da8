// Package sqlite is the embedded store of qgraph: a store.Store over one
// SQLite file, using the pure-Go modernc.org/sqlite driver.
//
// Layout. The file holds the query-facing tables of docs/storage.md
// (entities, entity_classes, relationships) and internal tables (earlier
// versions, mappings, the change log, state, jobs, schema_migrations). The
// schema is created and upgraded by the numbered migrations embedded from
// migrations/; a file written by a newer qgraph is refused with
// store.ErrSchemaTooNew, and a file that is not a SQLite database is refused
// before SQLite touches it.
//
// Connections. The file is opened in WAL mode with a busy timeout. Reads and
// Query use a pool of query-only connections, so they never see a
// half-applied sync and cannot write. Each sync session takes a connection
// of its own; state and jobs are written through one more connection.
// Write transactions of this process queue on a mutex rather than in
// SQLite's busy timeout.
//
// Syncs. A session stages its batches in TEMP tables of its connection,
// keyed by _key so that a later object replaces an earlier one. Put
// validates and encodes in the caller's goroutine (in parallel for large
// batches) and writes in a background goroutine. Commit runs under BEGIN
// IMMEDIATE and merges with set-based statements: it collects the objects
// to delete (unseen ones in Replace mode, except partial types; named ones
// in Merge mode) and the relationships touching deleted entities in any
// scope, finds changed objects by joining staged and stored rows, copies
// their current versions to the *_versions tables, updates them, inserts
// new ones and writes a change-log row for every create, update and delete.
// Relationship endpoints resolve in one pass; relationships with a missing
// endpoint are dangling: counted, listed, not stored. Mapped relationships
// are applied one by one, each change taking the next seq.
//
// Atomicity. TEMP tables are private to the connection and vanish with it
// or with the process. An error, a cancelled context or a killed process
// before COMMIT leaves the store exactly as before the sync: SQLite rolls
// back the open transaction (or, after a crash, ignores its WAL frames).
//
// Concurrency. DB is safe for concurrent use. Syncs of different scopes
// stage in parallel and commit one after the other; a second sync of a
// scope that has one open in this process gets store.ErrSyncInProgress.
// That check is per process: syncs of the same scope from two processes are
// serialised by SQLite's lock, and the later commit wins. Put may be called
// from one goroutine at a time per session.
package sqlite
