// Package graph defines the objects of the qgraph graph: entities,
// relationships and mapped relationships, their typed properties, the naming
// rules for relationship types and keys, and validation.
//
// Property values are kept typed: string, int64, float64, bool, nil, and
// slices of those ([]any holding only those). Integers and floats are never
// confused: Properties encode a float64 with a decimal point or exponent so
// that it decodes (and is typed by SQLite's and PostgreSQL's JSON functions)
// as a real number again, while an int64 stays an integer of any size.
//
// The package has no dependencies inside qgraph and is safe for concurrent
// use: it holds no state.
package graph
