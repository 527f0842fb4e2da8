-- 005_mapping_source_key: a mapping written from now on keeps its source
-- entity's key in source_key and only its own properties in body; its
-- target description (the row in mapping_targets its target column names)
-- holds everything else: direction, target filter keys, the target entity
-- and skipTargetCreation. Mappings of one target then share all of it, and
-- a mapping row shrinks to its key, source key and properties. Rows
-- written before keep source_key NULL and are read as before.

ALTER TABLE mappings ADD COLUMN source_key TEXT;
ALTER TABLE mapping_versions ADD COLUMN source_key TEXT;
