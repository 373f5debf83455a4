-- logins.sql - login attempts, counted before a password is hashed and
-- shared by every docketd (SPEC section 12): see functions/logins.sql.

-- One attempt: pending while its password is being checked (so that a
-- burst of parallel guesses is counted before any of them is hashed),
-- then failed, or deleted when it succeeded.  account is 'staff:NAME' or
-- 'contact:EMAIL', NULL for a token resume; address is the peer's IPv4
-- address or IPv6 /64, NULL on the Unix socket.
CREATE TABLE login_attempt (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account  text CHECK (length(account) <= 300),
    address  text CHECK (length(address) <= 64),
    failed   boolean NOT NULL DEFAULT false,
    at       timestamptz NOT NULL DEFAULT now(),
    CHECK (num_nonnulls(account, address) > 0)
);
CREATE INDEX login_attempt_account ON login_attempt (account, at) WHERE account IS NOT NULL;
CREATE INDEX login_attempt_address ON login_attempt (address, at) WHERE address IS NOT NULL;
CREATE INDEX login_attempt_at ON login_attempt (at);
