-- pipelines.sql - pipelines and their ordered stages, as data (seeded in
-- schema/seed.sql).

CREATE TABLE pipeline (
    id        text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9_]*$'),
    name      text NOT NULL,
    position  integer NOT NULL
);

CREATE TABLE stage (
    pipeline    text NOT NULL REFERENCES pipeline (id) ON UPDATE CASCADE,
    id          text NOT NULL CHECK (id ~ '^[a-z][a-z0-9_]*$'),
    name        text NOT NULL,
    position    integer NOT NULL,
    is_default  boolean NOT NULL DEFAULT false,
    is_closed   boolean NOT NULL DEFAULT false,
    PRIMARY KEY (pipeline, id)
);
-- At most one default stage per pipeline.
CREATE UNIQUE INDEX stage_one_default ON stage (pipeline) WHERE is_default;
