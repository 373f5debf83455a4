-- sign_in.sql - single sign-on with the school's own accounts: what
-- docketd keeps between sending a browser to the identity provider and its
-- coming back (see functions/oidc.sql).  Last: migration 0012 added it.

-- An OpenID Connect sign-in begun (GET /oidc/login) and not yet back: the
-- hash of its state (the only part the browser carries back), the hash of
-- the dk_pre cookie of the browser that began it (so that a code for the
-- attacker's own account, planted in a victim's browser, is refused), and
-- the nonce and PKCE verifier the ID token and the token endpoint must
-- match.  Used once (used_at), within 10 minutes; the row stays until
-- then, so that address (the peer's IPv4 address or IPv6 /64) bounds the
-- sign-ins begun in 10 minutes, used or not: each callback costs a
-- request to the provider's token endpoint.
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
