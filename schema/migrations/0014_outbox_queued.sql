-- 0014: mail queued wakes every docketd's outbox (NOTIFY docket_mail)
-- instead of docketd looking for mail after every write it makes.  The
-- function is a placeholder: schema/functions/email.sql replaces it in
-- the same migrate.
CREATE FUNCTION outbox_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'outbox_queued: run docketctl migrate';
END
$$;

CREATE TRIGGER outbox_queued AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_queued();
