-- base.sql - what every other file needs: pg_trgm, the schema's version, and
-- the settings the database itself uses (business hours for due times).

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE schema_version (
    version     integer PRIMARY KEY,
    applied_at  timestamptz NOT NULL DEFAULT now()
);

-- Settings the database itself needs (business hours for due times).
CREATE TABLE setting (
    key    text PRIMARY KEY,
    value  text NOT NULL
);
