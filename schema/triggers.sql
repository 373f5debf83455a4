-- triggers.sql - triggers bind functions to tables, so they are structure:
-- created with the tables, changed only by a numbered migration.  Their
-- functions (schema/functions/) are re-created by every docketctl migrate.

CREATE TRIGGER ticket_sync BEFORE INSERT OR UPDATE ON ticket
    FOR EACH ROW EXECUTE FUNCTION ticket_sync();

-- Only when the words change: a workflow change never names these columns.
CREATE TRIGGER ticket_text_sync AFTER INSERT OR UPDATE OF subject, description ON ticket
    FOR EACH ROW EXECUTE FUNCTION ticket_text_sync();

-- A stage's tickets keep it (ticket_rows.sql).
CREATE TRIGGER stage_keep BEFORE DELETE ON stage
    FOR EACH ROW EXECUTE FUNCTION stage_keep();
CREATE TRIGGER stage_cascade AFTER UPDATE OF pipeline, id, is_closed ON stage
    FOR EACH ROW WHEN (OLD.pipeline <> NEW.pipeline OR OLD.id <> NEW.id
                       OR OLD.is_closed <> NEW.is_closed)
    EXECUTE FUNCTION stage_cascade();

CREATE TRIGGER staff_disabled AFTER UPDATE OF active ON staff
    FOR EACH ROW WHEN (OLD.active AND NOT NEW.active)
    EXECUTE FUNCTION staff_disabled();

-- Every attachment's name and type made safe, whichever path stores it.
CREATE TRIGGER attachment_clean BEFORE INSERT OR UPDATE OF filename, content_type
    ON attachment FOR EACH ROW EXECUTE FUNCTION attachment_clean();

-- A removed SSH key's sessions end on every docketd at once.
CREATE TRIGGER staff_key_removed BEFORE DELETE ON staff_key
    FOR EACH ROW EXECUTE FUNCTION staff_key_removed();

-- Mail queued wakes every docketd's outbox (email.sql).
CREATE TRIGGER outbox_queued AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_queued();
