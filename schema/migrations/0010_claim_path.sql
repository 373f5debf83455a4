-- 0010_claim_path.sql - a workflow change writes less: the stage is checked
-- by ticket_sync instead of a foreign key (whose shared row lock on the
-- stage every claim took), the words of subject and description move to
-- ticket_text (written only when they change), and the trigram index on
-- the subject, which no query could use (tickets.view matches with strpos),
-- goes; the feed's unique index on seq leaves out rows not yet numbered.
-- See schema/tables/tickets.sql, events.sql and functions/ticket_rows.sql.

ALTER TABLE ticket DROP CONSTRAINT ticket_pipeline_stage_closed_fkey;
CREATE UNIQUE INDEX event_seq ON event (seq) WHERE seq IS NOT NULL;
ALTER TABLE event DROP CONSTRAINT event_seq_key;
ALTER TABLE stage DROP CONSTRAINT stage_pipeline_id_is_closed_key;
DROP INDEX ticket_subject_trgm;

CREATE TABLE ticket_text (
    ticket_id  bigint PRIMARY KEY REFERENCES ticket (id) ON DELETE CASCADE,
    search     tsvector NOT NULL
);
INSERT INTO ticket_text (ticket_id, search) SELECT id, search FROM ticket;
ALTER TABLE ticket DROP COLUMN search;  -- and its index, ticket_search
CREATE INDEX ticket_text_search ON ticket_text USING gin (search);

-- The triggers need their functions to exist; schema/functions/ticket_rows.sql
-- gives them their bodies later in this same docketctl migrate transaction.
-- Until then each refuses to run, so nothing can pass through a stand-in.
CREATE FUNCTION ticket_text_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ticket_text_sync: run docketctl migrate';
END
$$;
CREATE FUNCTION stage_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'stage_keep: run docketctl migrate';
END
$$;
CREATE FUNCTION stage_cascade() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'stage_cascade: run docketctl migrate';
END
$$;

CREATE TRIGGER ticket_text_sync AFTER INSERT OR UPDATE OF subject, description ON ticket
    FOR EACH ROW EXECUTE FUNCTION ticket_text_sync();
CREATE TRIGGER stage_keep BEFORE DELETE ON stage
    FOR EACH ROW EXECUTE FUNCTION stage_keep();
CREATE TRIGGER stage_cascade AFTER UPDATE OF pipeline, id, is_closed ON stage
    FOR EACH ROW WHEN (OLD.pipeline <> NEW.pipeline OR OLD.id <> NEW.id
                       OR OLD.is_closed <> NEW.is_closed)
    EXECUTE FUNCTION stage_cascade();
