-- 0012_oidc.sql - signing in to the portal with OpenID Connect
-- (portal.oidc): the sign-ins begun and not yet back, and whether a
-- contact's language was chosen or is the default (a contact who only
-- ever signs in with the school's account gets the language of the first
-- sign-in).  See schema/tables/sign_in.sql, clients.sql, functions/oidc.sql.

ALTER TABLE contact ADD COLUMN language_chosen boolean NOT NULL DEFAULT false;
-- A registered contact chose at registration (or registered before there
-- was a choice, and has had English since): theirs stands.
UPDATE contact SET language_chosen = true WHERE registered_at IS NOT NULL;

CREATE TABLE oidc_pending (
    state_hash    bytea PRIMARY KEY CHECK (length(state_hash) = 32),
    browser_hash  bytea NOT NULL CHECK (length(browser_hash) = 32),
    nonce         text NOT NULL CHECK (length(nonce) BETWEEN 32 AND 128),
    verifier      text NOT NULL CHECK (length(verifier) BETWEEN 43 AND 128),
    address       text CHECK (length(address) <= 64),
    created_at    timestamptz NOT NULL DEFAULT now(),
    used_at       timestamptz
);
CREATE INDEX oidc_pending_created ON oidc_pending (created_at);
CREATE INDEX oidc_pending_address ON oidc_pending (address) WHERE address IS NOT NULL;
