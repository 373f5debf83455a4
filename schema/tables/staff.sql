-- staff.sql - the people who work tickets: roles, login, peer-login Unix user,
-- SSH keys.

CREATE TABLE staff (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username       text NOT NULL UNIQUE CHECK (username ~ '^[a-z][a-z0-9._-]{0,31}$'),
    name           text NOT NULL CHECK (btrim(name) <> ''),
    email          text NOT NULL CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    roles          text[] NOT NULL
                   CHECK (cardinality(roles) > 0
                          AND roles <@ ARRAY['content', 'graphics', 'coordinator', 'admin']),
    password_hash  text CHECK (password_hash LIKE '$argon2id$%'),
    unix_user      text UNIQUE CHECK (unix_user ~ '^[a-z_][a-z0-9._-]*\$?$'),
    active         boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- An SSH public key a staff member logs in with through the gateway
-- account (docketctl staff key add; sshd asks docketctl
-- ssh-authorized-keys).  A key belongs to one member: its fingerprint is
-- unique, and is what sshd's forced command names.  key is the canonical
-- base64 blob as libssh exports it; type its OpenSSH name.
CREATE TABLE staff_key (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id     bigint NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    type         text NOT NULL CHECK (type ~ '^[a-z0-9@.-]{1,64}$'),
    key          text NOT NULL CHECK (key ~ '^[A-Za-z0-9+/]+={0,2}$' AND length(key) BETWEEN 16 AND 16384),
    fingerprint  text NOT NULL UNIQUE CHECK (fingerprint ~ '^SHA256:[A-Za-z0-9+/]{43}$'),
    label        text CHECK (length(label) <= 200 AND label !~ '[[:cntrl:]]'),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_key_staff ON staff_key (staff_id);
