-- 0001: the query-facing tables of docs/storage.md plus the backend's own
-- history, change-log, mapping, state and job tables.

CREATE TABLE entities (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope    TEXT    NOT NULL,
    key      TEXT    NOT NULL,
    type     TEXT    NOT NULL,
    classes  JSONB   NOT NULL,
    props    JSONB   NOT NULL,
    version  BIGINT  NOT NULL,
    begin_on BIGINT  NOT NULL,
    deleted  BOOLEAN NOT NULL DEFAULT false,
    job_id   TEXT    NOT NULL,
    -- hash of type, classes and properties: a changed hash means a new version.
    hash     BIGINT  NOT NULL,
    UNIQUE (scope, key)
);
CREATE INDEX entities_type_live ON entities (type) WHERE NOT deleted;
-- Property indexes skip entities without the property; equality filters,
-- being strict, still use them.
CREATE INDEX entities_qid ON entities ((props -> 'qid')) WHERE (props -> 'qid') IS NOT NULL;
CREATE INDEX entities_open ON entities ((props -> 'open')) WHERE (props -> 'open') IS NOT NULL;
CREATE INDEX entities_severity ON entities ((props -> 'severity')) WHERE (props -> 'severity') IS NOT NULL;
CREATE INDEX entities_numeric_severity ON entities ((props -> 'numericSeverity')) WHERE (props -> 'numericSeverity') IS NOT NULL;
CREATE INDEX entities_host_id ON entities ((props -> 'hostId')) WHERE (props -> 'hostId') IS NOT NULL;
CREATE INDEX entities_name ON entities ((props -> 'name')) WHERE (props -> 'name') IS NOT NULL;

CREATE TABLE entity_classes (
    entity_id BIGINT NOT NULL,
    class     TEXT   NOT NULL,
    PRIMARY KEY (class, entity_id)
);
CREATE INDEX entity_classes_entity ON entity_classes (entity_id);

CREATE TABLE relationships (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope    TEXT    NOT NULL,
    key      TEXT    NOT NULL,
    type     TEXT    NOT NULL,
    class    TEXT    NOT NULL,
    from_id  BIGINT  NOT NULL,
    to_id    BIGINT  NOT NULL,
    props    JSONB   NOT NULL,
    version  BIGINT  NOT NULL,
    begin_on BIGINT  NOT NULL,
    deleted  BOOLEAN NOT NULL DEFAULT false,
    job_id   TEXT    NOT NULL,
    -- hash of type, class, endpoints and properties.
    hash     BIGINT  NOT NULL,
    UNIQUE (scope, key)
);
-- Endpoint indexes cover deleted relationships too, so that history and
-- neighbour reads that include them do not scan the table.
CREATE INDEX relationships_from ON relationships (from_id);
CREATE INDEX relationships_to ON relationships (to_id);
CREATE INDEX relationships_type ON relationships (type);

CREATE TABLE entity_versions (
    id       BIGINT  NOT NULL,
    version  BIGINT  NOT NULL,
    scope    TEXT    NOT NULL,
    key      TEXT    NOT NULL,
    type     TEXT    NOT NULL,
    classes  JSONB   NOT NULL,
    props    JSONB   NOT NULL,
    begin_on BIGINT  NOT NULL,
    end_on   BIGINT  NOT NULL,
    deleted  BOOLEAN NOT NULL,
    job_id   TEXT    NOT NULL,
    PRIMARY KEY (id, version)
);

CREATE TABLE relationship_versions (
    id       BIGINT  NOT NULL,
    version  BIGINT  NOT NULL,
    scope    TEXT    NOT NULL,
    key      TEXT    NOT NULL,
    type     TEXT    NOT NULL,
    class    TEXT    NOT NULL,
    from_id  BIGINT  NOT NULL,
    to_id    BIGINT  NOT NULL,
    props    JSONB   NOT NULL,
    begin_on BIGINT  NOT NULL,
    end_on   BIGINT  NOT NULL,
    deleted  BOOLEAN NOT NULL,
    job_id   TEXT    NOT NULL,
    PRIMARY KEY (id, version)
);

CREATE SEQUENCE mapping_seq;

CREATE TABLE mappings (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope    TEXT    NOT NULL,
    key      TEXT    NOT NULL,
    type     TEXT    NOT NULL,
    class    TEXT    NOT NULL,
    -- direction, source key, target filter keys, target entity and the
    -- skip-target-creation flag.
    spec     JSONB   NOT NULL,
    props    JSONB   NOT NULL,
    version  BIGINT  NOT NULL,
    begin_on BIGINT  NOT NULL,
    deleted  BOOLEAN NOT NULL DEFAULT false,
    job_id   TEXT    NOT NULL,
    hash     BIGINT  NOT NULL,
    seq      BIGINT  NOT NULL,
    UNIQUE (scope, key)
);
CREATE INDEX mappings_seq ON mappings (seq);

CREATE TABLE mapping_versions (
    id       BIGINT  NOT NULL,
    version  BIGINT  NOT NULL,
    scope    TEXT    NOT NULL,
    key      TEXT    NOT NULL,
    type     TEXT    NOT NULL,
    class    TEXT    NOT NULL,
    spec     JSONB   NOT NULL,
    props    JSONB   NOT NULL,
    begin_on BIGINT  NOT NULL,
    end_on   BIGINT  NOT NULL,
    deleted  BOOLEAN NOT NULL,
    job_id   TEXT    NOT NULL,
    seq      BIGINT  NOT NULL,
    PRIMARY KEY (id, version)
);

-- changes is the change log. Old and new properties are not copied: they
-- are the properties of versions version-1 and version of the object.
CREATE TABLE changes (
    seq       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope     TEXT   NOT NULL,
    kind      TEXT   NOT NULL,
    key       TEXT   NOT NULL,
    type      TEXT   NOT NULL,
    op        TEXT   NOT NULL,
    object_id BIGINT NOT NULL,
    version   BIGINT NOT NULL,
    job_id    TEXT   NOT NULL,
    at        BIGINT NOT NULL
);
CREATE INDEX changes_scope_seq ON changes (scope, seq);

CREATE TABLE state (
    scope TEXT NOT NULL,
    name  TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (scope, name)
);

CREATE TABLE jobs (
    id          TEXT   PRIMARY KEY,
    scope       TEXT   NOT NULL,
    status      TEXT   NOT NULL,
    started_at  BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    report      TEXT   NOT NULL
);
CREATE INDEX jobs_scope_started ON jobs (scope, started_at DESC);
CREATE INDEX jobs_started ON jobs (started_at DESC);
