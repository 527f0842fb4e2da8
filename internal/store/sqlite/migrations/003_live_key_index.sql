-- 003_live_key_index: the live entities by scope and key, with the deleted
-- flag in the index so that a lookup of a live entity's id reads the index
-- alone. Relationship endpoints resolve through it (INDEXED BY): through
-- the UNIQUE (scope, key) index each endpoint cost a random read of the
-- table row to check that the entity is not deleted.

CREATE INDEX entities_live_key ON entities (scope, key, deleted) WHERE NOT deleted;
