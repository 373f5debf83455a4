-- staff.sql - the people who work tickets: roles, login, peer-login Unix user.

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
