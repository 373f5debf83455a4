-- sessions.sql - sessions (staff in the terminal, contacts in the portal) and
-- one-time portal links.  Only hashes are stored.

CREATE TABLE session (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash    bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    staff_id      bigint REFERENCES staff (id) ON DELETE CASCADE,
    contact_id    bigint REFERENCES contact (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (num_nonnulls(staff_id, contact_id) = 1),
    -- A login by SSH key (session.ssh): removing the key ends the session
    -- (trigger staff_key_removed, which also tells every docketd).  Last:
    -- migration 0008 added it.
    ssh_fingerprint  text REFERENCES staff_key (fingerprint) ON DELETE CASCADE
                     CHECK (ssh_fingerprint IS NULL OR staff_id IS NOT NULL)
);
CREATE INDEX session_staff ON session (staff_id) WHERE staff_id IS NOT NULL;
CREATE INDEX session_ssh ON session (ssh_fingerprint) WHERE ssh_fingerprint IS NOT NULL;
CREATE INDEX session_contact ON session (contact_id) WHERE contact_id IS NOT NULL;

CREATE TABLE contact_token (
    token_hash  bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    contact_id  bigint NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    -- register: the link a portal member is sent; reset: a password
    -- reset; confirm: a self-registration's address check.
    purpose     text NOT NULL CHECK (purpose IN ('register', 'reset', 'confirm')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    -- confirm: the password chosen at sign-up, set when (and only if) this
    -- link is followed, so that a later sign-up for the same address by
    -- someone else cannot replace it.  Last: migration 0004 added it.
    password_hash  text
);
CREATE INDEX contact_token_contact ON contact_token (contact_id);
