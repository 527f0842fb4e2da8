// Package upload reads graph objects from a JSON or NDJSON file and syncs
// them into an upload scope ("upload:<name>") with the store's sync
// semantics: Replace makes the scope equal to the file, Merge creates and
// updates only.
//
// Accepted shapes: a JSON array of objects; a JSON object with "entities",
// "relationships" and/or "mappedRelationships" arrays; or NDJSON, one
// object per line. Every object has _key, _type and _class; entities carry
// their properties beside them; relationships name their ends with
// _fromEntityKey and _toEntityKey (entities of the same upload) or carry a
// _mapping (relationshipDirection, sourceEntityKey, targetFilterKeys,
// targetEntity, skipTargetCreation) that the mapper resolves.
//
// The file is streamed: objects are validated and staged batch by batch.
// A file with any invalid object is rejected whole, and the error (an
// *InvalidError) lists every problem of every bad object by index (and
// line, for NDJSON) and field. A _key used twice among the entities, the
// relationships or the mapped relationships of a file is a problem, as is
// an integer beyond int64 (send it as a string). A file that cannot be read
// as a whole (empty, cut short, not JSON, an unknown top-level field) is
// rejected with a *FileError that gives the line and column.
//
// A property whose name ends in On (createdOn; not tag.*) holds a date:
// epoch milliseconds, or an ISO 8601 time with a zone or a date, which is
// stored as epoch milliseconds; any other string is a problem.
//
// _fromEntityKey and _toEntityKey resolve in the upload's scope only. In
// Replace mode the file is the scope's whole content, so a relationship
// whose end is not an entity of the file is a problem that rejects the
// file. In Merge mode an end may also be an entity stored in the scope
// before; the store drops a relationship whose end is in neither, and
// Result.MissingEnds names those ends.
//
// The package holds no state; Run may be called concurrently for different
// scopes.
package upload
