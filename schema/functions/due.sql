-- due.sql - due times from the priority (high = 4 business hours, medium = 2
-- business days, low = none) and ticket_sync, which keeps closed, closed_at
-- and due_at right for every writer.

-- start plus the given business hours, counting only Monday to Friday
-- between business_day_start and business_day_end in business_timezone.
CREATE OR REPLACE FUNCTION business_hours_after(start timestamptz, hours integer)
RETURNS timestamptz LANGUAGE plpgsql STABLE AS $$
DECLARE
    tz        text := coalesce((SELECT value FROM setting WHERE key = 'business_timezone'), 'UTC');
    day_start interval := make_interval(hours => coalesce(
                  (SELECT value::int FROM setting WHERE key = 'business_day_start'), 8));
    day_end   interval := make_interval(hours => coalesce(
                  (SELECT value::int FROM setting WHERE key = 'business_day_end'), 16));
    t         timestamp := start AT TIME ZONE tz;   -- local wall-clock time
    left_s    double precision := hours * 3600;
    avail_s   double precision;
    dow       integer;
BEGIN
    LOOP
        dow := extract(isodow FROM t);
        IF dow >= 6 THEN                            -- weekend: Monday morning
            t := date_trunc('day', t) + (8 - dow) * interval '1 day' + day_start;
        ELSIF t < date_trunc('day', t) + day_start THEN
            t := date_trunc('day', t) + day_start;
        ELSIF t >= date_trunc('day', t) + day_end THEN
            t := date_trunc('day', t) + interval '1 day' + day_start;
        ELSE
            avail_s := extract(epoch FROM date_trunc('day', t) + day_end - t);
            IF left_s <= avail_s THEN
                RETURN (t + left_s * interval '1 second') AT TIME ZONE tz;
            END IF;
            left_s := left_s - avail_s;
            t := date_trunc('day', t) + interval '1 day' + day_start;
        END IF;
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION ticket_due_at(priority text, start timestamptz)
RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT CASE priority
        WHEN 'high' THEN business_hours_after(start, 4)
        WHEN 'medium' THEN business_hours_after(start, 16)
        ELSE NULL
    END
$$;

-- Fill closed, closed_at and due_at so that no writer can get them wrong.
CREATE OR REPLACE FUNCTION ticket_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The stage must exist (stage_keep, ticket_rows.sql, keeps it so).
    SELECT is_closed INTO NEW.closed FROM stage
     WHERE pipeline = NEW.pipeline AND id = NEW.stage;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'stage "%" of pipeline "%" does not exist', NEW.stage, NEW.pipeline
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF NEW.closed AND (TG_OP = 'INSERT' OR NOT OLD.closed OR NEW.closed_at IS NULL) THEN
        NEW.closed_at := coalesce(NEW.closed_at, now());
    ELSIF NOT NEW.closed THEN
        NEW.closed_at := NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.due_at IS NULL THEN
            NEW.due_at := ticket_due_at(NEW.priority, NEW.created_at);
        END IF;
    ELSIF NEW.priority IS DISTINCT FROM OLD.priority THEN
        NEW.due_at := ticket_due_at(NEW.priority, now());
    END IF;
    RETURN NEW;
END
$$;
