// Package j1ql implements the J1QL query language over qgraph's store: a
// hand-written lexer and recursive-descent parser (every error carries
// line:col), an AST that prints back to canonical J1QL, a planner that
// compiles a query to one SQL statement per result page for the SQLite or
// the PostgreSQL dialect, and Execute, which runs it through store.Query and
// shapes the rows as a list, a table or a tree.
//
// Values from queries are always bound as parameters, never spliced into
// SQL text. Everything in this package is safe for concurrent use; there is
// no package state.
//
// How queries become SQL: every optional group doubles the readings of the
// query (skip it or traverse it); each reading is a chain of joins
// entities → relationships → entities, and the readings are combined with
// UNION ALL (at most 64). A negated step becomes NOT EXISTS over the rest
// of the path. Lists select the first selector's entities and test each
// reading with a correlated EXISTS; tables project every reading into
// JSON-text columns, then group (implicit GROUP BY of the non-aggregate
// items), deduplicate (UNIQUE), filter (HAVING), sort and page; trees
// collect the ids of every entity and relationship on the readings of a
// page of starting entities.
//
// Known limits: regular expressions need a regexp(pattern, text) SQL
// function, which PostgreSQL has (~) and the embedded store does not
// register yet; subqueries, MERGE and time travel are not supported;
// full-text search matches substrings of the key, type, classes and
// property JSON rather than a tokenised index.
//
// Choices made where the language reference is silent (spec j1ql.md §8):
//
//  1. A negated step (THAT !VERB) negates the whole remaining path: the
//     entity is kept when no path "VERB target THAT …" starts from it.
//  2. Aliases declared inside a negated path may be written but name
//     nothing (the negation keeps rows where no such path exists), so
//     using one in WHERE, RETURN or ORDER BY is a planning error at the
//     use, naming where the alias and the negation are.
//  3. An optional group ( … )? keeps both readings: every binding either
//     skips the group or traverses it, and both continue. An alias on the
//     group names whichever entity is current.
//  4. The list result (no RETURN) holds the entities matched by the first
//     selector, each once, even when an optional group follows it.
//  5. ORDER BY, SKIP and LIMIT apply to the final rows: entities for a list,
//     rows for a table, starting entities for a tree. LIMIT must be between
//     1 and MaxLimit.
//  6. min, max, avg and sum aggregate over bindings (paths); count counts
//     distinct entities or distinct values.
//  7. Comparisons are type-strict: true does not equal 'true', 5 does not
//     equal '5'. JSON null is treated like an absent property. Date math
//     uses month = 30 days and year = 365 days; date(…) without a zone is
//     UTC.
//  8. A quoted string after FIND is always a full-text search: every token
//     of it must occur, case-insensitively, in the entity's key, type,
//     classes or property values.
//  9. UNIQUE without RETURN is accepted and changes nothing.
//  10. ORDER BY sorts missing values last, and numbers before strings
//     before booleans; ties are broken so that pages are stable.
package j1ql
