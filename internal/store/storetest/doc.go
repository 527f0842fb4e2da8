// Package storetest is the conformance suite of store.Store: the
// executable definition of the sync semantics that every backend must pass.
//
// A backend's tests call Run with a function that opens a fresh, empty
// store for each case, and RunKill with a way to open a store by DSN to
// check that a process killed in the middle of a sync leaves the scope as
// it was. The suite uses only the store.Store interface and the
// query-facing schema of docs/storage.md; it knows no backend.
package storetest
