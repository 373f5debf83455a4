-- oidc.sql - the two steps of an OpenID Connect sign-in that the database
-- keeps (tables/sign_in.sql): begun, and taken back once.

-- A sign-in begun: refused (DK429) when the address has p_max_pending
-- within p_life not back yet or back and refused (docketd deletes the
-- row of one that worked), so that neither a flood of /oidc/login nor a
-- loop of login and a bogus callback (each a request to the provider's
-- token endpoint) goes unbounded, while a school behind one NAT address
-- signs in as often as it likes; rows older than p_life go first.
CREATE OR REPLACE FUNCTION oidc_begin(p_state_hash bytea, p_browser_hash bytea,
                                      p_nonce text, p_verifier text,
                                      p_address text, p_life interval,
                                      p_max_pending integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM oidc_pending WHERE created_at < now() - p_life;
    IF p_address IS NOT NULL AND
       (SELECT count(*) FROM oidc_pending WHERE address = p_address) >= p_max_pending THEN
        RAISE EXCEPTION 'too many sign-ins are waiting from this address'
            USING ERRCODE = 'DK429';
    END IF;
    INSERT INTO oidc_pending (state_hash, browser_hash, nonce, verifier, address)
    VALUES (p_state_hash, p_browser_hash, p_nonce, p_verifier, p_address);
END
$$;

-- The sign-in whose state came back, taken (marked used, so a second
-- callback with the same state finds nothing), if younger than p_life;
-- same_browser
-- says whether the browser is the one that began it.  No row: unknown,
-- used, or too old.
CREATE OR REPLACE FUNCTION oidc_take(p_state_hash bytea, p_browser_hash bytea,
                                     p_life interval)
RETURNS TABLE (nonce text, verifier text, same_browser boolean)
LANGUAGE sql AS $$
    UPDATE oidc_pending o SET used_at = now()
     WHERE o.state_hash = p_state_hash AND o.used_at IS NULL
       AND o.created_at >= now() - p_life
    RETURNING o.nonce, o.verifier, o.browser_hash = p_browser_hash
$$;
