-- sessions.sql - what ends sessions.

-- A disabled staff member's live sessions end on every docketd at once.
CREATE OR REPLACE FUNCTION staff_disabled() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM session WHERE staff_id = NEW.id;
    PERFORM pg_notify('docket_staff', NEW.id::text);
    RETURN NEW;
END
$$;
