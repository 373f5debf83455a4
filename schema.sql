-- schema.sql - Docket's whole data model (SPEC section 2), schema version 1.
--
-- `docketctl migrate` runs this file in one transaction on an empty
-- database and records the version in schema_version; it can also be fed
-- to psql by hand.  Enumerated values are CHECK constraints; each view of
-- SPEC section 4 has its own partial index, in the view's order
-- (priority_rank, created_at, id), so a view's page is one index range scan.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE schema_version (
    version     integer PRIMARY KEY,
    applied_at  timestamptz NOT NULL DEFAULT now()
);

-- Settings the database itself needs (business hours for due times).
CREATE TABLE setting (
    key    text PRIMARY KEY,
    value  text NOT NULL
);
INSERT INTO setting (key, value) VALUES
    ('business_timezone', 'UTC'),
    ('business_day_start', '8'),   -- hour of day work starts
    ('business_day_end', '16');    -- hour of day work ends

---------------------------------------------------------------------------
-- Clients: companies (schools), contacts, static lists.

CREATE TABLE company (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    website     text CHECK (website ~ '^https?://[^[:space:]]+$'),
    domain      text CHECK (domain ~ '^[a-z0-9.-]+$'),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX company_name_key ON company (lower(name));
CREATE INDEX company_name_trgm ON company USING gin (lower(name) gin_trgm_ops);

CREATE TABLE contact (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email              text NOT NULL
                       CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'
                              AND length(email) <= 254),
    first_name         text NOT NULL DEFAULT '' CHECK (length(first_name) <= 100),
    last_name          text NOT NULL DEFAULT '' CHECK (length(last_name) <= 100),
    title              text CHECK (length(title) <= 200),
    phone              text CHECK (length(phone) <= 50),
    company_id         bigint REFERENCES company (id) ON DELETE SET NULL,
    cloudfront_domain  text,
    -- Customer portal account: set when the contact registers.
    password_hash      text,
    registered_at      timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now()
);
-- Email is unique regardless of case: Ola@school.no is ola@school.no.
CREATE UNIQUE INDEX contact_email_key ON contact (lower(email));
CREATE INDEX contact_company ON contact (company_id);
CREATE INDEX contact_search_trgm ON contact
    USING gin (lower(first_name || ' ' || last_name || ' ' || email) gin_trgm_ops);

CREATE TABLE list (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (btrim(name) <> ''),
    created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO list (name) VALUES ('Authorized Portal Users');

CREATE TABLE list_member (
    list_id     bigint NOT NULL REFERENCES list (id) ON DELETE CASCADE,
    contact_id  bigint NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    added_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (list_id, contact_id)
);
CREATE INDEX list_member_contact ON list_member (contact_id);

---------------------------------------------------------------------------
-- Staff.

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

---------------------------------------------------------------------------
-- Pipelines and their stages are data; these are the seeded defaults.

CREATE TABLE pipeline (
    id        text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9_]*$'),
    name      text NOT NULL,
    position  integer NOT NULL
);

CREATE TABLE stage (
    pipeline    text NOT NULL REFERENCES pipeline (id) ON UPDATE CASCADE,
    id          text NOT NULL CHECK (id ~ '^[a-z][a-z0-9_]*$'),
    name        text NOT NULL,
    position    integer NOT NULL,
    is_default  boolean NOT NULL DEFAULT false,
    is_closed   boolean NOT NULL DEFAULT false,
    PRIMARY KEY (pipeline, id),
    -- Lets ticket carry the stage's closed flag under a foreign key.
    UNIQUE (pipeline, id, is_closed)
);
-- At most one default stage per pipeline.
CREATE UNIQUE INDEX stage_one_default ON stage (pipeline) WHERE is_default;

INSERT INTO pipeline (id, name, position) VALUES
    ('support', 'Customer Support', 1),
    ('graphics', 'Graphic Support', 2);
INSERT INTO stage (pipeline, id, name, position, is_default, is_closed) VALUES
    ('support', 'new', 'New', 1, true, false),
    ('support', 'in_progress', 'In Progress', 2, false, false),
    ('support', 'waiting_on_contact', 'Waiting on contact', 3, false, false),
    ('support', 'closed', 'Closed', 4, false, true),
    ('graphics', 'waiting_on_graphics', 'Waiting on Graphics', 1, true, false),
    ('graphics', 'graphics_in_progress', 'Graphics in progress', 2, false, false),
    ('graphics', 'graphics_complete', 'Graphics Complete', 3, false, false);

---------------------------------------------------------------------------
-- Due times: high = 4 business hours, medium = 2 business days, low = none.

-- start plus the given business hours, counting only Monday to Friday
-- between business_day_start and business_day_end in business_timezone.
CREATE FUNCTION business_hours_after(start timestamptz, hours integer)
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

CREATE FUNCTION ticket_due_at(priority text, start timestamptz)
RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT CASE priority
        WHEN 'high' THEN business_hours_after(start, 4)
        WHEN 'medium' THEN business_hours_after(start, 16)
        ELSE NULL
    END
$$;

---------------------------------------------------------------------------
-- Tickets.

CREATE TABLE ticket (
    id                 bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 1001) PRIMARY KEY,
    subject            text NOT NULL CHECK (btrim(subject) <> '' AND length(subject) <= 300),
    description        text NOT NULL DEFAULT '' CHECK (length(description) <= 100000),
    priority           text NOT NULL DEFAULT 'medium'
                       CHECK (priority IN ('low', 'medium', 'high')),
    -- The views sort high before medium before low.
    priority_rank      smallint GENERATED ALWAYS AS (
                           CASE priority WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END
                       ) STORED,
    pipeline           text NOT NULL,
    stage              text NOT NULL,
    -- Copied from the stage (by ticket_sync, kept by the foreign key).
    closed             boolean NOT NULL DEFAULT false,
    owner_id           bigint REFERENCES staff (id),
    graphics_owner_id  bigint REFERENCES staff (id),
    contact_id         bigint NOT NULL REFERENCES contact (id),
    company_id         bigint REFERENCES company (id) ON DELETE SET NULL,
    source             text NOT NULL CHECK (source IN ('portal', 'email', 'phone', 'form')),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    last_activity_at   timestamptz NOT NULL DEFAULT now(),
    closed_at          timestamptz,
    due_at             timestamptz,
    version            integer NOT NULL DEFAULT 1 CHECK (version > 0),
    search             tsvector GENERATED ALWAYS AS (
                           to_tsvector('simple', subject || ' ' || description)
                       ) STORED,
    FOREIGN KEY (pipeline, stage, closed)
        REFERENCES stage (pipeline, id, is_closed) ON UPDATE CASCADE,
    CHECK (closed = (closed_at IS NOT NULL))
);

-- Fill closed, closed_at and due_at so that no writer can get them wrong.
CREATE FUNCTION ticket_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.closed := coalesce((SELECT is_closed FROM stage
                            WHERE pipeline = NEW.pipeline AND id = NEW.stage), false);
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
CREATE TRIGGER ticket_sync BEFORE INSERT OR UPDATE ON ticket
    FOR EACH ROW EXECUTE FUNCTION ticket_sync();

-- One partial index per view (SPEC section 4), each in the view's order.
CREATE INDEX ticket_view_my_open ON ticket (owner_id, priority_rank, created_at, id)
    WHERE NOT closed;
CREATE INDEX ticket_view_unassigned ON ticket (priority_rank, created_at, id)
    WHERE owner_id IS NULL AND pipeline = 'support' AND NOT closed;
CREATE INDEX ticket_view_waiting_on_graphics ON ticket (priority_rank, created_at, id)
    WHERE pipeline = 'graphics' AND stage = 'waiting_on_graphics';
CREATE INDEX ticket_view_my_graphics ON ticket (graphics_owner_id, priority_rank, created_at, id)
    WHERE stage = 'graphics_in_progress';
CREATE INDEX ticket_view_open ON ticket (priority_rank, created_at, id)
    WHERE NOT closed;
CREATE INDEX ticket_view_closed ON ticket (priority_rank, created_at, id)
    WHERE closed;
CREATE INDEX ticket_contact ON ticket (contact_id, created_at);
CREATE INDEX ticket_company ON ticket (company_id, created_at);
CREATE INDEX ticket_search ON ticket USING gin (search);
CREATE INDEX ticket_subject_trgm ON ticket USING gin (lower(subject) gin_trgm_ops);

-- A new ticket in the support pipeline's default stage, with its
-- 'ticket.created' event; by is the staff member who entered it (NULL when
-- the contact did, through the portal or by email).  Shared by docketctl,
-- mail intake and the server so that every way in behaves the same.
CREATE FUNCTION ticket_create(p_contact_id bigint, p_subject text,
                              p_description text, p_priority text,
                              p_source text, p_by bigint)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    tid bigint;
BEGIN
    INSERT INTO ticket (subject, description, priority, pipeline, stage,
                        contact_id, company_id, source)
    SELECT p_subject, coalesce(p_description, ''), p_priority, 'support', s.id,
           c.id, c.company_id, p_source
      FROM contact c, stage s
     WHERE c.id = p_contact_id AND s.pipeline = 'support' AND s.is_default
    RETURNING id INTO tid;
    IF tid IS NULL THEN
        RAISE EXCEPTION 'contact % does not exist', p_contact_id
            USING ERRCODE = 'no_data_found';
    END IF;
    INSERT INTO event (type, action, ticket_id, staff_id, contact_id, change)
    VALUES ('ticket.created', 'created', tid, p_by,
            CASE WHEN p_by IS NULL THEN p_contact_id END,
            jsonb_build_object('source', p_source, 'priority', p_priority));
    RETURN tid;
END
$$;

---------------------------------------------------------------------------
-- The conversation (client-visible), notes (staff only), attachments.

CREATE TABLE message (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id          bigint NOT NULL REFERENCES ticket (id) ON DELETE CASCADE,
    direction          text NOT NULL CHECK (direction IN ('in', 'out')),
    author_staff_id    bigint REFERENCES staff (id),
    author_contact_id  bigint REFERENCES contact (id),
    body               text NOT NULL CHECK (length(body) <= 1000000),
    created_at         timestamptz NOT NULL DEFAULT now(),
    message_id         text UNIQUE,       -- RFC 5322 Message-ID, for threading
    in_reply_to        text,
    -- Out is written by staff; in comes from the contact (or mail intake).
    CHECK (direction = 'in' OR author_staff_id IS NOT NULL),
    CHECK (direction = 'out' OR author_staff_id IS NULL)
);
CREATE INDEX message_ticket ON message (ticket_id, created_at, id);

CREATE TABLE note (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id   bigint NOT NULL REFERENCES ticket (id) ON DELETE CASCADE,
    author_id   bigint NOT NULL REFERENCES staff (id),
    body        text NOT NULL CHECK (btrim(body) <> '' AND length(body) <= 100000),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX note_ticket ON note (ticket_id, created_at, id);

CREATE TABLE mention (
    note_id   bigint NOT NULL REFERENCES note (id) ON DELETE CASCADE,
    staff_id  bigint NOT NULL REFERENCES staff (id),
    PRIMARY KEY (note_id, staff_id)
);
CREATE INDEX mention_staff ON mention (staff_id);

CREATE TABLE attachment (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id     bigint NOT NULL REFERENCES ticket (id) ON DELETE CASCADE,
    message_id    bigint REFERENCES message (id) ON DELETE CASCADE,
    filename      text NOT NULL CHECK (filename <> '' AND filename !~ '[/\\]'
                                       AND length(filename) <= 255),
    content_type  text NOT NULL CHECK (content_type ~ '^[a-z0-9.+-]+/[a-zA-Z0-9.+_-]+'),
    size          bigint NOT NULL CHECK (size >= 0),
    sha256        bytea NOT NULL,
    content       bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (size = length(content)),
    CHECK (sha256 = sha256(content))
);
CREATE INDEX attachment_ticket ON attachment (ticket_id, id);
CREATE INDEX attachment_message ON attachment (message_id) WHERE message_id IS NOT NULL;

---------------------------------------------------------------------------
-- Tasks and notifications.

CREATE TABLE task (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id    bigint NOT NULL REFERENCES ticket (id) ON DELETE CASCADE,
    staff_id     bigint NOT NULL REFERENCES staff (id),
    created_by   bigint REFERENCES staff (id),
    title        text NOT NULL CHECK (btrim(title) <> '' AND length(title) <= 300),
    due_at       timestamptz,
    remind_at    timestamptz,
    reminded_at  timestamptz,
    done_at      timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX task_ticket ON task (ticket_id, id);
CREATE INDEX task_open_by_staff ON task (staff_id, due_at, id) WHERE done_at IS NULL;
-- The reminder sender's queue.
CREATE INDEX task_reminder_due ON task (remind_at)
    WHERE done_at IS NULL AND reminded_at IS NULL AND remind_at IS NOT NULL;

CREATE TABLE notification (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id     bigint NOT NULL REFERENCES staff (id),     -- who it is for
    kind         text NOT NULL
                 CHECK (kind IN ('mention', 'graphics_complete', 'task_reminder', 'assigned')),
    ticket_id    bigint REFERENCES ticket (id) ON DELETE CASCADE,
    note_id      bigint REFERENCES note (id) ON DELETE CASCADE,
    task_id      bigint REFERENCES task (id) ON DELETE CASCADE,
    by_staff_id  bigint REFERENCES staff (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    read_at      timestamptz
);
CREATE INDEX notification_unread ON notification (staff_id, id) WHERE read_at IS NULL;
CREATE INDEX notification_staff ON notification (staff_id, id);

---------------------------------------------------------------------------
-- Events: each ticket's timeline, and the change feed (SPEC section 6).
-- Writers only insert; xid records the writing transaction.  The sequencer
-- numbers rows (seq) once their transaction is below every snapshot's xmin,
-- in (xid, id) order, so the feed order is the same for every reader.

CREATE TABLE event (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    xid            xid8 NOT NULL DEFAULT pg_current_xact_id(),
    seq            bigint UNIQUE,
    type           text NOT NULL
                   CHECK (type IN ('ticket.created', 'ticket.changed', 'notification')),
    action         text NOT NULL
                   CHECK (action IN ('created', 'claimed', 'unclaimed', 'assigned',
                                     'handed_to_graphics', 'graphics_claimed',
                                     'graphics_unclaimed', 'graphics_completed',
                                     'moved', 'stage_set', 'priority_set',
                                     'closed', 'reopened', 'note_added',
                                     'message_sent', 'message_received',
                                     'task_added', 'task_done', 'attachment_added',
                                     'notified')),
    ticket_id      bigint REFERENCES ticket (id) ON DELETE CASCADE,
    staff_id       bigint REFERENCES staff (id),    -- who did it (NULL: a contact or the system)
    contact_id     bigint REFERENCES contact (id),  -- when a contact did it
    for_staff_id   bigint REFERENCES staff (id),    -- notifications: the only recipient
    notification_id bigint REFERENCES notification (id) ON DELETE CASCADE,
    change         jsonb NOT NULL DEFAULT '{}',     -- {"field": [from, to], ...}
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((type = 'notification') = (for_staff_id IS NOT NULL))
);
CREATE INDEX event_unsequenced ON event (xid, id) WHERE seq IS NULL;
CREATE INDEX event_ticket ON event (ticket_id, id);

---------------------------------------------------------------------------
-- Email: templates, workflows, the outbox.

CREATE TABLE email_template (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    folder      text NOT NULL CHECK (folder ~ '^[^/[:space:]][^/]*$'),
    name        text NOT NULL CHECK (name ~ '^[^/[:space:]][^/]*$'),
    subject     text NOT NULL CHECK (btrim(subject) <> ''),
    body        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (folder, name)
);

CREATE TABLE workflow (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (btrim(name) <> ''),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE workflow_step (
    workflow_id  bigint NOT NULL REFERENCES workflow (id) ON DELETE CASCADE,
    position     integer NOT NULL CHECK (position > 0),
    template_id  bigint NOT NULL REFERENCES email_template (id),
    delay        interval NOT NULL CHECK (delay >= interval '0'),
    PRIMARY KEY (workflow_id, position)
);

CREATE TABLE enrollment (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workflow_id  bigint NOT NULL REFERENCES workflow (id) ON DELETE CASCADE,
    contact_id   bigint NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    enrolled_at  timestamptz NOT NULL DEFAULT now(),
    next_step    integer,           -- NULL once every step is sent
    next_at      timestamptz,
    finished_at  timestamptz
);
CREATE UNIQUE INDEX enrollment_active ON enrollment (workflow_id, contact_id)
    WHERE finished_at IS NULL;
CREATE INDEX enrollment_due ON enrollment (next_at) WHERE finished_at IS NULL;

CREATE TABLE outbox (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text NOT NULL
                 CHECK (kind IN ('mention', 'graphics_complete', 'closed', 'reply',
                                 'portal_registration', 'password_reset',
                                 'task_reminder', 'workflow_step')),
    to_addr      text NOT NULL CHECK (to_addr ~ '@'),
    subject      text NOT NULL,
    body         text NOT NULL,
    message_id   text,              -- this email's Message-ID
    in_reply_to  text,              -- threading on replies
    ticket_id    bigint REFERENCES ticket (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    not_before   timestamptz NOT NULL DEFAULT now(),
    attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error   text,
    sent_at      timestamptz,
    failed_at    timestamptz,       -- given up after the last retry
    CHECK (sent_at IS NULL OR failed_at IS NULL)
);
-- The sender's queue: FOR UPDATE SKIP LOCKED over this index.
CREATE INDEX outbox_pending ON outbox (not_before, id)
    WHERE sent_at IS NULL AND failed_at IS NULL;

---------------------------------------------------------------------------
-- Sessions (staff in the terminal, contacts in the portal) and one-time
-- links (portal registration, password reset).  Only hashes are stored.

CREATE TABLE session (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash    bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    staff_id      bigint REFERENCES staff (id) ON DELETE CASCADE,
    contact_id    bigint REFERENCES contact (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (num_nonnulls(staff_id, contact_id) = 1)
);
CREATE INDEX session_staff ON session (staff_id) WHERE staff_id IS NOT NULL;
CREATE INDEX session_contact ON session (contact_id) WHERE contact_id IS NOT NULL;

CREATE TABLE contact_token (
    token_hash  bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    contact_id  bigint NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    purpose     text NOT NULL CHECK (purpose IN ('register', 'reset')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX contact_token_contact ON contact_token (contact_id);

INSERT INTO schema_version (version) VALUES (1);
