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
// A file with any invalid object is rejected whole, and the error lists
// every bad object by index (and line, for NDJSON) and field.
//
// The package holds no state; Run may be called concurrently for different
// scopes.
package upload
