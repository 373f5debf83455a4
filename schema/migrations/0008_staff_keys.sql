-- 0008_staff_keys.sql - SSH-key identity without a Unix account per person:
-- staff members' SSH public keys (staff_key), the key a session was made
-- with (session.ssh_fingerprint), and the trigger that ends those sessions
-- when the key is removed (tables/staff.sql, tables/sessions.sql and
-- triggers.sql hold the same for new databases).

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

ALTER TABLE session
    ADD COLUMN ssh_fingerprint text REFERENCES staff_key (fingerprint) ON DELETE CASCADE
        CHECK (ssh_fingerprint IS NULL OR staff_id IS NOT NULL);
CREATE INDEX session_ssh ON session (ssh_fingerprint) WHERE ssh_fingerprint IS NOT NULL;

-- The trigger's function as in schema/functions/sessions.sql when this
-- migration was written: migrate re-creates the current one after it.
CREATE OR REPLACE FUNCTION staff_key_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM session_logout(s.id) FROM session s
      WHERE s.ssh_fingerprint = OLD.fingerprint;
    RETURN OLD;
END
$$;

CREATE TRIGGER staff_key_removed BEFORE DELETE ON staff_key
    FOR EACH ROW EXECUTE FUNCTION staff_key_removed();
