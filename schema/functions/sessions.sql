-- sessions.sql - ending sessions and making one-time portal links: the one
-- definition docketd, docketctl and the triggers all use.

-- End the sessions of one staff member (p_staff) or one contact (p_contact),
-- name the argument: session_end(p_staff => 42).  A staff member's live
-- connections close on every docketd at once (NOTIFY docket_staff, at
-- commit); a contact's portal sessions are forgotten by every docketd's
-- cache (NOTIFY docket_contact).  Returns how many sessions ended.
CREATE OR REPLACE FUNCTION session_end(p_staff bigint DEFAULT NULL, p_contact bigint DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    IF num_nonnulls(p_staff, p_contact) <> 1 THEN
        RAISE EXCEPTION 'session_end() takes a staff member or a contact' USING ERRCODE = 'DK400';
    END IF;
    IF p_staff IS NOT NULL THEN
        DELETE FROM session WHERE staff_id = p_staff;
        GET DIAGNOSTICS n = ROW_COUNT;
        PERFORM pg_notify('docket_staff', p_staff::text);
    ELSE
        DELETE FROM session WHERE contact_id = p_contact;
        GET DIAGNOSTICS n = ROW_COUNT;
        -- Every docketd forgets what it remembered of those sessions.
        PERFORM pg_notify('docket_contact', p_contact::text);
    END IF;
    RETURN n;
END
$$;

-- A disabled staff member's live sessions end on every docketd at once.
CREATE OR REPLACE FUNCTION staff_disabled() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM session_end(p_staff => NEW.id);
    RETURN NEW;
END
$$;

-- A removed SSH key (docketctl staff key remove, or any DELETE): each
-- session made with it ends on every docketd at once, as a logout would
-- (NOTIFY docket_session).  BEFORE the row goes: a login committing with
-- this key meanwhile holds its row lock, so its session is seen here.
CREATE OR REPLACE FUNCTION staff_key_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM session_logout(s.id) FROM session s
      WHERE s.ssh_fingerprint = OLD.fingerprint;
    RETURN OLD;
END
$$;

-- A one-time link for a contact (purpose 'register', 'reset' or 'confirm'), valid for
-- p_valid.  The caller makes the token and keeps it to send; only its
-- SHA-256 (p_token_hash, 32 bytes) is stored.  Returns when it expires.
CREATE OR REPLACE FUNCTION contact_token_new(p_contact bigint, p_purpose text,
                                             p_token_hash bytea, p_valid interval)
RETURNS timestamptz LANGUAGE sql AS $$
    INSERT INTO contact_token (token_hash, contact_id, purpose, expires_at)
    VALUES (p_token_hash, p_contact, p_purpose, now() + p_valid)
    RETURNING expires_at
$$;

-- End one session everywhere it is used: the row goes, and every docketd
-- closes it on each connection that resumed it (NOTIFY docket_session).
CREATE OR REPLACE FUNCTION session_logout(p_session bigint) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM session WHERE id = p_session;
    SELECT pg_notify('docket_session', p_session::text);
$$;

-- A contact's portal access is gone (docketctl list remove-member): their
-- unused one-time links stop working, and a registration email still
-- waiting in the outbox is not sent (marked failed, its link scrubbed).
-- Returns how many links were cancelled.
CREATE OR REPLACE FUNCTION contact_tokens_cancel(p_contact bigint)
RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
    RETURN contact_tokens_cancel_(p_contact, 'cancelled: portal access removed');
END
$$;

-- The same for any reason (p_reason becomes the unsent emails' last_error):
-- a new password, a registration or a logout (schema/functions/portal.sql).
CREATE OR REPLACE FUNCTION contact_tokens_cancel_(p_contact bigint, p_reason text)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    DELETE FROM contact_token WHERE contact_id = p_contact AND used_at IS NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    UPDATE outbox o SET failed_at = now(), last_error = p_reason,
                        body = outbox_scrub(o.body)
      FROM contact c
     WHERE c.id = p_contact AND lower(o.to_addr) = lower(c.email)
       AND o.kind IN ('portal_registration', 'password_reset', 'signup_confirm')
       AND o.sent_at IS NULL AND o.failed_at IS NULL;
    RETURN n;
END
$$;
