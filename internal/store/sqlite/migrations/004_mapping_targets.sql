-- 004_mapping_targets: target descriptions of mapped relationships, stored
-- once per distinct description. Many mappings describe the same target
-- (every finding of a host carries that host's description), so a mapping
-- written from now on keeps its body without targetProperties and the id of
-- its description in target; the id is a 63-bit hash of the description's
-- JSON. Rows written before keep target NULL and the description in body.

CREATE TABLE mapping_targets (
    id    INTEGER PRIMARY KEY,
    props TEXT    NOT NULL
);
ALTER TABLE mappings ADD COLUMN target INTEGER;
ALTER TABLE mapping_versions ADD COLUMN target INTEGER;
