-- logins.sql - the login limiter (SPEC section 12), one for every docketd
-- and, later, the portal: an attempt is counted before its password is
-- hashed, so parallel guesses cannot pass the limit, and nothing an
-- attacker sends can evict what was counted.

-- The wait, in whole seconds, until fewer than p_max of the attempts
-- that q's rows are remain within p_window; 0 when there is room now.
-- (When the p_max-th newest ages out, at most p_max - 1 are left.)
CREATE OR REPLACE FUNCTION login_wait_(p_newest timestamptz[], p_max integer,
                                       p_window interval)
RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN cardinality(p_newest) >= p_max
                THEN greatest(1, ceil(extract(epoch FROM
                         p_newest[p_max] + p_window - now()))::integer)
                ELSE 0 END
$$;

-- May this attempt go ahead?  p_account is 'staff:NAME' or 'contact:EMAIL'
-- (NULL for a token resume), p_address the peer's IPv4 address or IPv6 /64
-- (NULL on the Unix socket, which has no per-address limit).  Attempts
-- within p_window, pending or failed, are counted per (account, address)
-- against p_max_pair, per account against p_max_account and per address
-- against p_max_address.  With room: a pending attempt is recorded and its
-- id returned (wait_s 0); pass it to login_end().  Without: attempt is
-- NULL and wait_s says when to try again.
CREATE OR REPLACE FUNCTION login_begin(p_account text, p_address text,
                                       p_max_pair integer, p_max_account integer,
                                       p_max_address integer, p_window interval,
                                       OUT attempt bigint, OUT wait_s integer)
LANGUAGE plpgsql AS $$
DECLARE
    since timestamptz := now() - p_window;
BEGIN
    IF p_account IS NULL AND p_address IS NULL THEN
        RAISE EXCEPTION 'login_begin() needs an account or an address' USING ERRCODE = 'DK400';
    END IF;
    -- One decision at a time per account and per address, always in this
    -- order (so no two attempts wait on each other): a burst of parallel
    -- guesses is counted one by one, each seeing the pending ones before.
    IF p_account IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(7234601, hashtext(p_account));
    END IF;
    IF p_address IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(7234602, hashtext(p_address));
    END IF;
    -- What has aged out of these keys goes now (login_sweep() does the rest).
    DELETE FROM login_attempt
     WHERE at <= since AND (account = p_account OR address = p_address);
    wait_s := greatest(
        CASE WHEN p_account IS NOT NULL AND p_address IS NOT NULL THEN
            login_wait_(ARRAY(SELECT at FROM login_attempt
                               WHERE account = p_account AND address = p_address
                                 AND at > since ORDER BY at DESC LIMIT p_max_pair),
                        p_max_pair, p_window) ELSE 0 END,
        CASE WHEN p_account IS NOT NULL THEN
            login_wait_(ARRAY(SELECT at FROM login_attempt
                               WHERE account = p_account AND at > since
                               ORDER BY at DESC LIMIT p_max_account),
                        p_max_account, p_window) ELSE 0 END,
        CASE WHEN p_address IS NOT NULL THEN
            login_wait_(ARRAY(SELECT at FROM login_attempt
                               WHERE address = p_address AND at > since
                               ORDER BY at DESC LIMIT p_max_address),
                        p_max_address, p_window) ELSE 0 END);
    IF wait_s > 0 THEN
        attempt := NULL;
        RETURN;
    END IF;
    INSERT INTO login_attempt (account, address) VALUES (p_account, p_address)
    RETURNING id INTO attempt;
END
$$;

-- The attempt's password was checked: a failure stays counted; a success
-- forgets the attempt and the earlier failures of the same account from
-- the same address (not those from elsewhere: a guesser elsewhere keeps
-- counting against the account).
CREATE OR REPLACE FUNCTION login_end(p_attempt bigint, p_ok boolean)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_ok THEN
        DELETE FROM login_attempt l USING login_attempt a
         WHERE a.id = p_attempt
           AND l.account IS NOT DISTINCT FROM a.account
           AND l.address IS NOT DISTINCT FROM a.address;
    ELSE
        UPDATE login_attempt SET failed = true WHERE id = p_attempt;
    END IF;
END
$$;

-- A token resume is no guess worth counting before it is checked (a token
-- is 256 random bits), and reconnecting clients resume in bursts: only
-- failures count, per address.  The wait before trying, as login_wait_.
CREATE OR REPLACE FUNCTION login_resume_wait(p_address text, p_max integer,
                                             p_window interval)
RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT login_wait_(ARRAY(SELECT at FROM login_attempt
                              WHERE address = p_address AND failed
                                AND at > now() - p_window
                              ORDER BY at DESC LIMIT p_max),
                       p_max, p_window)
$$;

-- A failure that was not counted before (a resume with an unknown token).
CREATE OR REPLACE FUNCTION login_failed(p_account text, p_address text)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO login_attempt (account, address, failed)
    VALUES (p_account, p_address, true)
$$;

-- Attempts older than p_keep (the longest session.login_lockout allowed)
-- count for nothing: gone.  docketd runs this now and then.
CREATE OR REPLACE FUNCTION login_sweep(p_keep interval) RETURNS integer
LANGUAGE sql AS $$
    WITH gone AS (DELETE FROM login_attempt WHERE at < now() - p_keep RETURNING 1)
    SELECT count(*)::integer FROM gone
$$;
