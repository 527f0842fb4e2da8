// Package config loads and validates the qgraph configuration file: the
// integration instances, each with its Qualys credentials and the filters
// that shape what a sync reads, and the global mapping rules the mapper
// applies on top of the default ones (mappingRules). Rules are checked with
// the mapper's own checks, field by field, so a file accepted here is never
// refused when the mapper runs.
//
// The file is YAML. Every scalar value may reference environment variables
// as ${NAME}; a reference to an unset variable is an error, so a missing
// secret is caught before any request is made, and so is a "${" that does
// not start a complete reference (a password holding "${" belongs in
// passwordFile). LoadForListing reads the file without needing the
// credentials, for commands that only show it. Unknown keys are errors, and
// every error names the offending field by its path, for example
// instances[0].qualys.vmdrFindingSeverities[2]: 7 is outside 1–5.
//
// Secrets (the Qualys password) are never part of an error message or of
// the String form of a Config; Redacted returns a copy safe to print.
//
// Load is safe for concurrent use; a Config is a plain value and is not
// modified after Load returns.
package config
