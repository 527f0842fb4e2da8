-- 001_init: the query-facing tables of docs/storage.md and the backend's
-- internal tables (versions, mappings, change log, state, jobs).

CREATE TABLE entities (
    id       INTEGER PRIMARY KEY,
    scope    TEXT    NOT NULL,
    key      TEXT    NOT NULL,
    type     TEXT    NOT NULL,
    classes  TEXT    NOT NULL,
    props    TEXT    NOT NULL,
    version  INTEGER NOT NULL,
    begin_on INTEGER NOT NULL,
    deleted  INTEGER NOT NULL DEFAULT 0,
    job_id   TEXT    NOT NULL DEFAULT '',
    UNIQUE (scope, key)
);
CREATE INDEX entities_type ON entities (type) WHERE NOT deleted;
CREATE INDEX entities_qid ON entities (json_extract(props, '$."qid"'));
CREATE INDEX entities_open ON entities (json_extract(props, '$."open"'));
CREATE INDEX entities_severity ON entities (json_extract(props, '$."severity"'));
CREATE INDEX entities_numeric_severity ON entities (json_extract(props, '$."numericSeverity"'));
CREATE INDEX entities_host_id ON entities (json_extract(props, '$."hostId"'));
CREATE INDEX entities_name ON entities (json_extract(props, '$."name"'));

CREATE TABLE entity_classes (
    entity_id INTEGER NOT NULL,
    class     TEXT    NOT NULL,
    PRIMARY KEY (class, entity_id)
) WITHOUT ROWID;
CREATE INDEX entity_classes_entity ON entity_classes (entity_id);

CREATE TABLE relationships (
    id       INTEGER PRIMARY KEY,
    scope    TEXT    NOT NULL,
    key      TEXT    NOT NULL,
    type     TEXT    NOT NULL,
    class    TEXT    NOT NULL,
    from_id  INTEGER NOT NULL,
    to_id    INTEGER NOT NULL,
    props    TEXT    NOT NULL,
    version  INTEGER NOT NULL,
    begin_on INTEGER NOT NULL,
    deleted  INTEGER NOT NULL DEFAULT 0,
    job_id   TEXT    NOT NULL DEFAULT '',
    UNIQUE (scope, key)
);
CREATE INDEX relationships_from ON relationships (from_id) WHERE NOT deleted;
CREATE INDEX relationships_to ON relationships (to_id) WHERE NOT deleted;
CREATE INDEX relationships_type ON relationships (type);

CREATE TABLE entity_versions (
    entity_id INTEGER NOT NULL,
    version   INTEGER NOT NULL,
    type      TEXT    NOT NULL,
    classes   TEXT    NOT NULL,
    props     TEXT    NOT NULL,
    begin_on  INTEGER NOT NULL,
    end_on    INTEGER NOT NULL,
    deleted   INTEGER NOT NULL,
    job_id    TEXT    NOT NULL,
    PRIMARY KEY (entity_id, version)
) WITHOUT ROWID;

CREATE TABLE relationship_versions (
    relationship_id INTEGER NOT NULL,
    version         INTEGER NOT NULL,
    type            TEXT    NOT NULL,
    class           TEXT    NOT NULL,
    from_id         INTEGER NOT NULL,
    to_id           INTEGER NOT NULL,
    props           TEXT    NOT NULL,
    begin_on        INTEGER NOT NULL,
    end_on          INTEGER NOT NULL,
    deleted         INTEGER NOT NULL,
    job_id          TEXT    NOT NULL,
    PRIMARY KEY (relationship_id, version)
) WITHOUT ROWID;

-- mappings holds mapped relationships; body is the JSON of everything but
-- key, type and class. seq is bumped on every create, change and delete.
CREATE TABLE mappings (
    id       INTEGER PRIMARY KEY,
    scope    TEXT    NOT NULL,
    key      TEXT    NOT NULL,
    type     TEXT    NOT NULL,
    class    TEXT    NOT NULL,
    body     TEXT    NOT NULL,
    version  INTEGER NOT NULL,
    begin_on INTEGER NOT NULL,
    deleted  INTEGER NOT NULL DEFAULT 0,
    job_id   TEXT    NOT NULL DEFAULT '',
    seq      INTEGER NOT NULL,
    UNIQUE (scope, key)
);
CREATE INDEX mappings_seq ON mappings (seq);

CREATE TABLE mapping_versions (
    mapping_id INTEGER NOT NULL,
    version    INTEGER NOT NULL,
    type       TEXT    NOT NULL,
    class      TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    begin_on   INTEGER NOT NULL,
    end_on     INTEGER NOT NULL,
    deleted    INTEGER NOT NULL,
    job_id     TEXT    NOT NULL,
    PRIMARY KEY (mapping_id, version)
) WITHOUT ROWID;

-- changes is the change log. Old and new properties are not copied: they
-- are the properties of versions version-1 and version of the object.
CREATE TABLE changes (
    seq       INTEGER PRIMARY KEY,
    scope     TEXT    NOT NULL,
    kind      TEXT    NOT NULL,
    key       TEXT    NOT NULL,
    type      TEXT    NOT NULL,
    op        TEXT    NOT NULL,
    object_id INTEGER NOT NULL,
    version   INTEGER NOT NULL,
    job_id    TEXT    NOT NULL,
    at        INTEGER NOT NULL
);

CREATE TABLE state (
    scope TEXT NOT NULL,
    name  TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (scope, name)
) WITHOUT ROWID;

CREATE TABLE jobs (
    id          TEXT PRIMARY KEY,
    scope       TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    report      TEXT
);
CREATE INDEX jobs_scope_started ON jobs (scope, started_at);
CREATE INDEX jobs_started ON jobs (started_at);
