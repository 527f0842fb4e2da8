-- 002_endpoint_indexes: index every relationship endpoint, deleted or not,
-- so reads that include deleted relationships (history, neighbours with
-- IncludeDeleted) do not scan the table. The indexes still serve the
-- queries on live relationships.

DROP INDEX relationships_from;
DROP INDEX relationships_to;
CREATE INDEX relationships_from ON relationships (from_id);
CREATE INDEX relationships_to ON relationships (to_id);
