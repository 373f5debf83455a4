-- ticket_rows.sql - the trigger functions that keep what hangs off a ticket
-- right without costing a workflow change anything: its words (ticket_text)
-- and its stage, which a foreign key used to check.

-- A ticket's words, when it is created or its subject or description
-- change (the trigger is AFTER INSERT OR UPDATE OF subject, description).
CREATE OR REPLACE FUNCTION ticket_text_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ticket_text (ticket_id, search)
    VALUES (NEW.id, to_tsvector('simple', NEW.subject || ' ' || NEW.description))
    ON CONFLICT (ticket_id) DO UPDATE SET search = EXCLUDED.search;
    RETURN NULL;
END
$$;

-- What the foreign key from ticket to stage did (ticket_sync refuses a
-- stage that does not exist): a stage that tickets are in cannot be
-- removed, and a change of its key or its closed flag carries to them, as
-- ON UPDATE CASCADE did.  The table lock waits for ticket writers in flight
-- and holds back new ones until this transaction ends, so none can slip a
-- ticket into a stage being removed or renamed (docketd and docketctl
-- write tickets in READ COMMITTED, where each statement sees what
-- committed before it).  Stages change only by migration: the lock costs
-- the helpdesk nothing, where the key's row lock cost every claim.
CREATE OR REPLACE FUNCTION stage_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE ticket IN SHARE ROW EXCLUSIVE MODE;
    IF EXISTS (SELECT 1 FROM ticket WHERE pipeline = OLD.pipeline AND stage = OLD.id) THEN
        RAISE EXCEPTION 'stage "%" of pipeline "%" still has tickets', OLD.id, OLD.pipeline
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN OLD;
END
$$;

CREATE OR REPLACE FUNCTION stage_cascade() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE ticket IN SHARE ROW EXCLUSIVE MODE;
    -- ticket_sync takes closed (and closed_at) from the stage as it now is.
    UPDATE ticket SET pipeline = NEW.pipeline, stage = NEW.id
     WHERE pipeline = OLD.pipeline AND stage = OLD.id;
    RETURN NULL;
END
$$;
