-- saml.sql - signing in with SAML 2.0 (server/portal/saml.c): the
-- AuthnRequests we sent and still wait for, the assertions already used,
-- and the one-time hand-off from the assertion consumer's cross-site POST
-- to the browser's own GET.  Each row lives minutes; whoever inserts
-- removes the expired ones (functions/saml.sql).  Only hashes of the
-- browser's tokens are kept.

-- An AuthnRequest of ours (its ID, which the answer's InResponseTo must
-- name), bound to the browser that asked: pre_hash is the SHA-256 of its
-- dk_pre cookie.  Consumed by the first answer.  address is the peer's
-- IPv4 address or IPv6 /64, for the bound on requests waiting per address.
CREATE TABLE saml_request (
    id          text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 256),
    pre_hash    bytea NOT NULL CHECK (length(pre_hash) = 32),
    expires_at  timestamptz NOT NULL,
    address     text CHECK (length(address) <= 64)
);
CREATE INDEX saml_request_expires ON saml_request (expires_at);
CREATE INDEX saml_request_address ON saml_request (address) WHERE address IS NOT NULL;

-- An assertion accepted once: (issuer, ID) may not come again while it
-- could still be valid (expires_at: its NotOnOrAfter and the clock skew
-- allowed), after which it is refused as expired anyway.
CREATE TABLE saml_assertion (
    issuer      text NOT NULL CHECK (length(issuer) BETWEEN 1 AND 1024),
    id          text NOT NULL CHECK (length(id) BETWEEN 1 AND 256),
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (issuer, id)
);
CREATE INDEX saml_assertion_expires ON saml_assertion (expires_at);

-- A verified email waiting for its browser: the assertion consumer's POST
-- carries no cookie (SameSite=Lax), so it redirects to a GET with token,
-- which must come with the dk_pre cookie the request was started from.
CREATE TABLE saml_handoff (
    token_hash  bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    pre_hash    bytea NOT NULL CHECK (length(pre_hash) = 32),
    email       text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX saml_handoff_expires ON saml_handoff (expires_at);
