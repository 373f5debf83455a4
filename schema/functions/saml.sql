-- saml.sql - the state of SAML sign-ins (tables/saml.sql), for
-- server/portal/saml.c.  Each step is one statement of docketd's, so
-- that what must be single-use is consumed in the same transaction that
-- checks it; whoever inserts also removes what has expired, so the
-- tables stay small without a janitor.

-- An AuthnRequest about to be sent: its ID, the hash of the browser's
-- dk_pre cookie, how long its answer may take.  Refused (DK429) when the
-- address already has p_max_pending waiting, before docketd signs it: a
-- flood of /saml/login fills neither the table nor the loop.
CREATE OR REPLACE FUNCTION saml_request_new(p_id text, p_pre_hash bytea, p_valid interval,
                                            p_address text, p_max_pending integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM saml_request WHERE expires_at < now();
    DELETE FROM saml_handoff WHERE expires_at < now();
    IF p_address IS NOT NULL AND
       (SELECT count(*) FROM saml_request WHERE address = p_address) >= p_max_pending THEN
        RAISE EXCEPTION 'too many sign-ins are waiting from this address'
            USING ERRCODE = 'DK429';
    END IF;
    INSERT INTO saml_request (id, pre_hash, expires_at, address)
    VALUES (p_id, p_pre_hash, now() + p_valid, p_address);
END
$$;

-- A verified assertion: accepted once.  Its (issuer, ID) is recorded
-- until p_expires (a replay is 'replayed'); the AuthnRequest it answers
-- (p_request, its InResponseTo) must be one of ours still waiting, and
-- is consumed ('unknown request' otherwise, and then nothing changes);
-- the email waits under p_token_hash for the browser that sent that
-- request, for p_valid.  Returns 'ok' or why not.
CREATE OR REPLACE FUNCTION saml_accept(p_request text, p_issuer text, p_assertion text,
                                       p_expires timestamptz, p_email text,
                                       p_token_hash bytea, p_valid interval)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    h bytea;
BEGIN
    DELETE FROM saml_assertion WHERE expires_at < now();
    -- A second POST of the same assertion, even at the same moment, waits
    -- here for the first one's commit and then finds its row.
    INSERT INTO saml_assertion (issuer, id, expires_at)
    VALUES (p_issuer, p_assertion, p_expires)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN 'replayed';
    END IF;
    DELETE FROM saml_request WHERE id = p_request AND expires_at > now()
    RETURNING pre_hash INTO h;
    IF NOT FOUND THEN
        DELETE FROM saml_assertion WHERE issuer = p_issuer AND id = p_assertion;
        RETURN 'unknown request';
    END IF;
    INSERT INTO saml_handoff (token_hash, pre_hash, email, expires_at)
    VALUES (p_token_hash, h, p_email, now() + p_valid);
    RETURN 'ok';
END
$$;

-- The hand-off's email, for the browser whose dk_pre hashes to
-- p_pre_hash; the token is used up by any try, also a wrong one.  One
-- row: the email (NULL when refused) and why not.
CREATE OR REPLACE FUNCTION saml_handoff_take(p_token_hash bytea, p_pre_hash bytea,
                                             OUT email text, OUT problem text)
LANGUAGE plpgsql AS $$
DECLARE
    r saml_handoff;
BEGIN
    DELETE FROM saml_handoff h WHERE h.token_hash = p_token_hash RETURNING h.* INTO r;
    IF NOT FOUND THEN
        problem := 'no such hand-off (used, or never made)';
    ELSIF r.expires_at <= now() THEN
        problem := 'the hand-off has expired';
    ELSIF r.pre_hash <> p_pre_hash THEN
        problem := 'another browser started this sign-in';
    ELSE
        email := r.email;
    END IF;
END
$$;
