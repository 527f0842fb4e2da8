// Package sqlite is the embedded store of qgraph: a store.Store over one
// SQLite file, using the pure-Go modernc.org/sqlite driver.
//
// Layout. The file holds the query-facing tables of docs/storage.md
// (entities, entity_classes, relationships) and internal tables (earlier
// versions, mappings, the change log, state, jobs, schema_migrations). The
// schema is created and upgraded by the numbered migrations embedded from
// migrations/; a file written by a newer qgraph is refused with
// store.ErrSchemaTooNew.
//
// Connections. The file is opened in WAL mode with a busy timeout. One
// writer connection serialises every write (commits, state, jobs); a pool
// of read-only connections serves reads and Query, which therefore never
// see a half-applied sync.
//
// Syncs. A SyncSession stages its batches in a private temporary SQLite
// database (unlinked from the file system, so a killed process leaves
// nothing behind), deduplicating by key. Commit then runs in one write
// transaction: it walks the staged objects and the scope's stored objects
// in key order side by side, writing only what differs. Versions that are
// replaced are copied to the *_versions tables, every create, update and
// delete of an entity or relationship gets a change-log row, and deleting an
// entity deletes the relationships touching it. An error, a cancelled
// context or a killed process leaves the store exactly as before the sync.
//
// Concurrency. DB is safe for concurrent use. Syncs of different scopes
// stage in parallel and commit one after the other; a second sync of a
// scope that has one open in this process gets store.ErrSyncInProgress.
// That check is per process: two processes syncing the same scope are
// serialised by SQLite's lock, and the later commit wins.
package sqlite
