// Package mapper turns stored mapped relationships and global mapping rules
// into ordinary relationships of the graph.
//
// A mapped relationship (graph.MappedRelationship) names a source entity of
// its scope and describes its target by filters. The mapper links the source
// to every live entity, in any scope, that matches one of the filters. When
// nothing matches it creates a placeholder entity in store.MapperScope from
// the target description, unless the mapping says SkipTargetCreation. Every
// mapping that resolves to the placeholder it would create fills it out:
// its description's properties are merged in. When an entity with the
// placeholder's _type and _key later arrives in another scope, the
// placeholder is adopted: the mapped relationships move to the real entity
// and the placeholder is deleted. A placeholder that no relationship
// references any more is deleted too.
//
// Global mapping rules (Rule) link entities whose properties are equal, for
// example ThreatIntel.qid HAS Finding.qid; numbers and numeric strings
// compare as numbers.
//
// Invariants:
//   - Everything the mapper writes lives in store.MapperScope and is written
//     through Merge-mode syncs, so a Resolve that fails changes nothing.
//   - A resolved relationship keeps the mapping's _type and _key when the
//     mapping has one target; with several targets each key gets the suffix
//     "||<target scope>|<target key>".
//   - Resolution is incremental: Resolve reads mappings whose Seq is beyond
//     its cursor and entity changes beyond its change-log cursor, both kept
//     with store.GetState/PutState in the mapper scope, and re-resolves only
//     the mappings those touch. Targets are resolved once per distinct
//     filter value, in batches, never one lookup per mapping.
//   - Entity changes are read only for the _types targets can have (types
//     seen as targets, types named by target descriptions, and the types
//     of the classes _class filters name). A changed entity that matches a
//     filter in use (a Bloom filter of them is kept in the state) makes
//     Resolve scan the stored mappings for those using it; unrelated
//     changes cost no scan. An arriving entity with a placeholder's _type
//     and _key adopts it directly: the placeholder's relationships are
//     re-pointed and no scan is needed.
//   - A run holds a little per distinct target (resolved filter, entity
//     looked up, placeholder) and nothing per mapping beyond the page in
//     hand. A placeholder is staged as it is created, and again whenever
//     a fill changes it; a stored placeholder that fills changed is
//     staged at the end, if still valid. A placeholder keeps only its
//     properties as JSON and the hash of the description merged last, so
//     the same description again costs nothing; the properties of a
//     stored placeholder are read only for the page of mappings that may
//     fill it.
//   - Global rules are evaluated after a change: for a small change window
//     only for the values changed entities had or have (reading the
//     sources and targets holding them through the property index), for a
//     large one (or a changed rule set) for every source; either way only
//     the difference is written.
//
// Goroutine-safety: a Mapper may be shared, but Resolve calls must not
// overlap (the store refuses a second open sync of the mapper scope).
//
// Known limits: two scopes whose mappings use the same _key share the
// resolved relationship's key (the later wins); a mapping whose source
// entity is deleted and later re-created keeps no relationship until the
// mapping itself changes; a filter that names neither _type nor _class
// notices a changed entity only when its _type has been a target before;
// the scan of stored mappings after another relevant target change (a real
// target deleted, an entity newly matching a filter by property) reads
// every mapping.
package mapper
