-- 0002_login_attempts.sql - login attempts in the database, shared by every
-- docketd, instead of a table in each process that an attacker could
-- flush (tables/logins.sql).
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
