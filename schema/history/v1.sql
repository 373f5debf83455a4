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
    summary        jsonb,                           -- the ticket as it was after the change
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((type = 'notification') = (for_staff_id IS NOT NULL))
);
CREATE INDEX event_unsequenced ON event (xid, id) WHERE seq IS NULL;
CREATE INDEX event_ticket ON event (ticket_id, id);
CREATE INDEX event_for_staff ON event (for_staff_id, id) WHERE for_staff_id IS NOT NULL;

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

-- The texts of Docket's own emails, as templates an admin can change
-- (docketctl template add system NAME --replace).  Their {{fields}} are
-- filled by email_text() from what the sending function passes.
INSERT INTO email_template (folder, name, subject, body) VALUES
    ('system', 'mention', '[#{{ticket.id}}] {{staff.name}} mentioned you: {{ticket.subject}}',
     E'{{staff.name}} wrote on ticket #{{ticket.id}} "{{ticket.subject}}":\n\n{{note.body}}\n'),
    ('system', 'graphics_complete', '[#{{ticket.id}}] Graphics complete: {{ticket.subject}}',
     E'{{staff.name}} has finished the graphics for ticket #{{ticket.id}} "{{ticket.subject}}".\n'),
    ('system', 'closed', '[#{{ticket.id}}] Your request is complete: {{ticket.subject}}',
     E'Hello {{contact.first_name}},\n\nYour request "{{ticket.subject}}" (#{{ticket.id}}) is complete.\n\n'
     || E'If something is not right, reply to this email and we will look at it again.\n'),
    ('system', 'reply', 'Re: [#{{ticket.id}}] {{ticket.subject}}', '{{message.body}}'),
    ('system', 'task_reminder', '[#{{ticket.id}}] Reminder: {{task.title}}',
     E'A reminder you set on ticket #{{ticket.id}} "{{ticket.subject}}":\n\n{{task.title}}\n'),
    ('system', 'portal_registration', 'Your {{portal.title}} account',
     E'Hello {{contact.first_name}},\n\nYou now have access to {{portal.title}}, where you can '
     || E'follow your requests and send new ones.\n\nChoose your password here (the link works for '
     || E'{{link.days}} days):\n{{link.url}}\n');

-- A system template's subject and body with {{name}} replaced by vars' values.
CREATE FUNCTION email_text(p_name text, p_vars jsonb, OUT subject text, OUT body text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v record;
BEGIN
    SELECT t.subject, t.body INTO subject, body
      FROM email_template t WHERE t.folder = 'system' AND t.name = p_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no email template system/%', p_name USING ERRCODE = 'DK404';
    END IF;
    FOR v IN SELECT key, value FROM jsonb_each_text(p_vars) LOOP
        subject := replace(subject, '{{' || v.key || '}}', coalesce(v.value, ''));
        body := replace(body, '{{' || v.key || '}}', coalesce(v.value, ''));
    END LOOP;
END
$$;

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


---------------------------------------------------------------------------
-- The workflow (SPEC section 3) as functions, so that every way in (the
-- server, docketctl, mail intake) follows the same rules, and each write
-- is one statement: one round trip, one transaction.  Each locks the
-- ticket, checks its precondition and the caller's version, updates,
-- bumps version/updated_at/last_activity_at, writes its event (with the
-- ticket's summary as it now is), its notifications and its outbox rows.
--
-- Errors docketd maps to protocol errors (SQLSTATE → code):
--   DK400 → -32602 bad value     DK403 → 4003 forbidden
--   DK404 → 4004 not found       DK409 → 4009 conflict (DETAIL: JSON data)
--   DK422 → 4022 not allowed in this stage

CREATE FUNCTION iso(ts timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$$;

CREATE FUNCTION staff_username(p_id bigint) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT username FROM staff WHERE id = p_id
$$;

-- The summary of SPEC section 6, from a ticket and the rows it refers to.
-- One definition of the shape: a plain SQL expression the planner inlines,
-- so a page of 50 summaries is built by joins, not 50 function calls.
CREATE FUNCTION summary_json(t ticket, owner text, graphics_owner text,
                             c contact, co company)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', t.id, 'subject', t.subject, 'priority', t.priority,
        'pipeline', t.pipeline, 'stage', t.stage,
        'owner', owner, 'graphics_owner', graphics_owner,
        'contact', jsonb_build_object('id', (c).id,
                       'name', btrim((c).first_name || ' ' || (c).last_name),
                       'email', (c).email),
        'company', CASE WHEN (co).id IS NOT NULL
                        THEN jsonb_build_object('id', (co).id, 'name', (co).name) END,
        'created_at', iso(t.created_at), 'updated_at', iso(t.updated_at),
        'last_activity_at', iso(t.last_activity_at), 'due_at', iso(t.due_at),
        'version', t.version)
$$;

-- The summary of one ticket (writes use it for their answer and event).
CREATE FUNCTION ticket_summary(t ticket) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT summary_json(t, o.username, g.username, c, co)
      FROM contact c
      LEFT JOIN staff o ON o.id = t.owner_id
      LEFT JOIN staff g ON g.id = t.graphics_owner_id
      LEFT JOIN company co ON co.id = t.company_id
     WHERE c.id = t.contact_id
$$;

-- The acting staff member, who must exist and be active.
CREATE FUNCTION actor(p_staff bigint) RETURNS staff LANGUAGE plpgsql STABLE AS $$
DECLARE
    s staff;
BEGIN
    SELECT * INTO s FROM staff WHERE id = p_staff AND active;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'staff member % is not active', p_staff USING ERRCODE = 'DK403';
    END IF;
    RETURN s;
END
$$;

CREATE FUNCTION has_role(s staff, r text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT r = ANY (s.roles) OR 'admin' = ANY (s.roles)
$$;

-- Refuse (DK403) a staff member without role r (admins have every role).
CREATE FUNCTION require_role(s staff, r text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF NOT has_role(s, r) THEN
        RAISE EXCEPTION 'only % updaters (or admins) do that', r USING ERRCODE = 'DK403';
    END IF;
END
$$;

-- Lock a ticket for a change, checking it exists and, when the caller
-- says which version it saw, that nobody has changed it since.
CREATE FUNCTION ticket_lock(p_id bigint, p_version integer) RETURNS ticket
LANGUAGE plpgsql AS $$
DECLARE
    t ticket;
BEGIN
    SELECT * INTO t FROM ticket WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'ticket % does not exist', p_id USING ERRCODE = 'DK404';
    END IF;
    IF p_version IS NOT NULL AND p_version <> t.version THEN
        RAISE EXCEPTION 'ticket % has changed since version % (it is now version %)',
                        p_id, p_version, t.version
            USING ERRCODE = 'DK409',
                  DETAIL = jsonb_build_object('ticket', ticket_summary(t),
                                              'owner', staff_username(t.owner_id))::text;
    END IF;
    RETURN t;
END
$$;

-- {"field": [from, to]} for what differs between two versions of a ticket.
CREATE FUNCTION ticket_diff(a ticket, b ticket) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_object_agg(k, jsonb_build_array(x, y)), '{}')
      FROM (VALUES
        ('pipeline', to_jsonb(a.pipeline), to_jsonb(b.pipeline)),
        ('stage', to_jsonb(a.stage), to_jsonb(b.stage)),
        ('owner', to_jsonb(staff_username(a.owner_id)), to_jsonb(staff_username(b.owner_id))),
        ('graphics_owner', to_jsonb(staff_username(a.graphics_owner_id)),
                           to_jsonb(staff_username(b.graphics_owner_id))),
        ('priority', to_jsonb(a.priority), to_jsonb(b.priority))
      ) AS f(k, x, y)
     WHERE x IS DISTINCT FROM y
$$;

-- Record a change made to a ticket: its event, with the new summary.
CREATE FUNCTION ticket_changed(old ticket, t ticket, p_actor bigint, p_action text,
                               p_extra jsonb DEFAULT '{}')
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    s jsonb := ticket_summary(t);
BEGIN
    INSERT INTO event (type, action, ticket_id, staff_id, change, summary)
    VALUES ('ticket.changed', p_action, t.id, p_actor,
            ticket_diff(old, t) || p_extra, s);
    RETURN s;
END
$$;

-- Bump a ticket's version and times; every change goes through here.
CREATE FUNCTION ticket_touch(p_id bigint) RETURNS ticket LANGUAGE sql AS $$
    UPDATE ticket SET version = version + 1, updated_at = now(), last_activity_at = now()
     WHERE id = p_id RETURNING *
$$;

-- A notification for one staff member: its row, its feed event (for that
-- person only) and, when vars are given, its email from the system
-- template named like the kind.
CREATE FUNCTION notify_staff(p_for bigint, p_kind text, p_ticket bigint, p_note bigint,
                             p_task bigint, p_by bigint, p_vars jsonb)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    nid bigint;
BEGIN
    INSERT INTO notification (staff_id, kind, ticket_id, note_id, task_id, by_staff_id)
    VALUES (p_for, p_kind, p_ticket, p_note, p_task, p_by) RETURNING id INTO nid;
    INSERT INTO event (type, action, ticket_id, staff_id, for_staff_id, notification_id)
    VALUES ('notification', 'notified', p_ticket, p_by, p_for, nid);
    IF p_vars IS NOT NULL THEN
        INSERT INTO outbox (kind, to_addr, subject, body, ticket_id)
        SELECT p_kind, s.email, e.subject, e.body, p_ticket
          FROM staff s, email_text(p_kind, p_vars) e WHERE s.id = p_for;
    END IF;
    RETURN nid;
END
$$;

CREATE FUNCTION notification_json(n notification) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', n.id, 'kind', n.kind, 'ticket', n.ticket_id,
                              'note', n.note_id, 'task', n.task_id,
                              'by', staff_username(n.by_staff_id),
                              'created_at', iso(n.created_at), 'read_at', iso(n.read_at))
$$;

-- A new ticket in the support pipeline's default stage, with its
-- 'ticket.created' event; p_by is the staff member who entered it (NULL
-- when the contact did, through the portal or by email).
CREATE FUNCTION ticket_create(p_contact_id bigint, p_subject text,
                              p_description text, p_priority text,
                              p_source text, p_by bigint)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    t ticket;
    s jsonb;
BEGIN
    IF btrim(coalesce(p_subject, '')) = '' THEN
        RAISE EXCEPTION 'a ticket needs a subject' USING ERRCODE = 'DK400';
    END IF;
    IF p_priority NOT IN ('low', 'medium', 'high') THEN
        RAISE EXCEPTION 'priority "%" is not one of low, medium, high', p_priority
            USING ERRCODE = 'DK400';
    END IF;
    IF p_source NOT IN ('portal', 'email', 'phone', 'form') THEN
        RAISE EXCEPTION 'source "%" is not one of portal, email, phone, form', p_source
            USING ERRCODE = 'DK400';
    END IF;
    INSERT INTO ticket (subject, description, priority, pipeline, stage,
                        contact_id, company_id, source)
    SELECT p_subject, coalesce(p_description, ''), p_priority, 'support', st.id,
           c.id, c.company_id, p_source
      FROM contact c, stage st
     WHERE c.id = p_contact_id AND st.pipeline = 'support' AND st.is_default
    RETURNING * INTO t;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'contact % does not exist', p_contact_id USING ERRCODE = 'DK404';
    END IF;
    s := ticket_summary(t);
    INSERT INTO event (type, action, ticket_id, staff_id, contact_id, change, summary)
    VALUES ('ticket.created', 'created', t.id, p_by,
            CASE WHEN p_by IS NULL THEN p_contact_id END,
            jsonb_build_object('source', p_source), s);
    RETURN s;
END
$$;

CREATE FUNCTION ticket_claim(p_actor bigint, p_id bigint, p_version integer)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    a staff := actor(p_actor);
    old ticket := ticket_lock(p_id, p_version);
    t ticket;
BEGIN
    PERFORM require_role(a, 'content');
    IF old.owner_id = p_actor THEN
        RETURN ticket_summary(old);                 -- already yours: no change
    END IF;
    IF old.owner_id IS NOT NULL THEN
        RAISE EXCEPTION 'ticket % is already claimed by %', p_id, staff_username(old.owner_id)
            USING ERRCODE = 'DK409',
                  DETAIL = jsonb_build_object('ticket', ticket_summary(old),
                                              'owner', staff_username(old.owner_id))::text;
    END IF;
    IF old.closed THEN
        RAISE EXCEPTION 'ticket % is closed; reopen it first', p_id USING ERRCODE = 'DK422';
    END IF;
    UPDATE ticket SET owner_id = a.id,
                      stage = CASE WHEN stage = 'new' THEN 'in_progress' ELSE stage END,
                      version = version + 1, updated_at = now(), last_activity_at = now()
     WHERE id = p_id RETURNING * INTO t;
    RETURN ticket_changed(old, t, p_actor, 'claimed');
END
$$;

CREATE FUNCTION ticket_unclaim(p_actor bigint, p_id bigint, p_version integer)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    a staff := actor(p_actor);
    old ticket := ticket_lock(p_id, p_version);
    t ticket;
BEGIN
    PERFORM require_role(a, 'content');
    IF old.owner_id IS NULL THEN
        RETURN ticket_summary(old);                 -- nobody's: no change
    END IF;
    IF old.owner_id <> a.id AND NOT 'admin' = ANY (a.roles) THEN
        RAISE EXCEPTION 'ticket % is claimed by %; only they or an admin can unclaim it',
                        p_id, staff_username(old.owner_id) USING ERRCODE = 'DK403';
    END IF;
    IF old.closed OR old.pipeline <> 'support' THEN
        RAISE EXCEPTION 'ticket % is % (%): only an open support ticket can be unclaimed',
                        p_id, old.stage, old.pipeline USING ERRCODE = 'DK422';
    END IF;
    UPDATE ticket SET owner_id = NULL, stage = 'new',
                      version = version + 1, updated_at = now(), last_activity_at = now()
     WHERE id = p_id RETURNING * INTO t;
    RETURN ticket_changed(old, t, p_actor, 'unclaimed');
END
$$;

CREATE FUNCTION ticket_assign(p_actor bigint, p_id bigint, p_version integer, p_owner text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    a staff := actor(p_actor);
    old ticket := ticket_lock(p_id, p_version);
    o staff;
    t ticket;
BEGIN
    PERFORM require_role(a, 'content');
    IF p_owner IS NOT NULL THEN
        SELECT * INTO o FROM staff WHERE username = p_owner AND active;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'no active staff member "%"', p_owner USING ERRCODE = 'DK404';
        END IF;
        IF NOT has_role(o, 'content') THEN
            RAISE EXCEPTION '% is not a content updater', p_owner USING ERRCODE = 'DK400';
        END IF;
    END IF;
    IF NOT 'admin' = ANY (a.roles)
       AND (o.id IS DISTINCT FROM a.id OR old.owner_id IS NOT NULL)
       AND NOT (o.id IS NULL AND old.owner_id = a.id) THEN
        RAISE EXCEPTION 'only an admin can assign a ticket to someone else'
            USING ERRCODE = 'DK403';
    END IF;
    IF old.owner_id IS NOT DISTINCT FROM o.id THEN
        RETURN ticket_summary(old);
    END IF;
    IF old.closed THEN
        RAISE EXCEPTION 'ticket % is closed; reopen it first', p_id USING ERRCODE = 'DK422';
    END IF;
    UPDATE ticket SET owner_id = o.id,
                      stage = CASE WHEN o.id IS NOT NULL AND stage = 'new' THEN 'in_progress'
                                   WHEN o.id IS NULL AND pipeline = 'support' THEN 'new'
                                   ELSE stage END,
                      version = version + 1, updated_at = now(), last_activity_at = now()
     WHERE id = p_id RETURNING * INTO t;
    IF o.id IS NOT NULL AND o.id <> a.id THEN
        -- A live notification; no email (SPEC section 7 lists none for it).
        PERFORM notify_staff(o.id, 'assigned', p_id, NULL, NULL, a.id, NULL);
    END IF;
    RETURN ticket_changed(old, t, p_actor, 'assigned');
END
$$;

CREATE FUNCTION ticket_hand_to_graphics(p_actor bigint, p_id bigint, p_version integer)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    a staff := actor(p_actor);
    old ticket := ticket_lock(p_id, p_version);
    t ticket;
BEGIN
    PERFORM require_role(a, 'content');
    IF old.closed OR old.pipeline <> 'support' THEN
        RAISE EXCEPTION 'ticket % is % (%): only an open support ticket can go to graphics',
                        p_id, old.stage, old.pipeline USING ERRCODE = 'DK422';
    END IF;
    -- The owner stays: the ticket remains in their My Open Tickets.
    UPDATE ticket SET pipeline = 'graphics',
                      stage = (SELECT id FROM stage WHERE pipeline = 'graphics' AND is_default),
                      graphics_owner_id = NULL,
                      version = version + 1, updated_at = now(), last_activity_at = now()
     WHERE id = p_id RETURNING * INTO t;
    RETURN ticket_changed(old, t, a.id, 'handed_to_graphics');
END
$$;

CREATE FUNCTION ticket_graphics_claim(p_actor bigint, p_id bigint, p_version integer)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    a staff := actor(p_actor);
    old ticket := ticket_lock(p_id, p_version);
    t ticket;
BEGIN
    PERFORM require_role(a, 'graphics');
    IF old.graphics_owner_id = p_actor AND old.stage = 'graphics_in_progress' THEN
        RETURN ticket_summary(old);
    END IF;
    IF old.graphics_owner_id IS NOT NULL AND old.stage = 'graphics_in_progress' THEN
        RAISE EXCEPTION 'ticket % is already claimed by % for graphics', p_id,
                        staff_username(old.graphics_owner_id)
            USING ERRCODE = 'DK409',
                  DETAIL = jsonb_build_object('ticket', ticket_summary(old),
                                              'owner', staff_username(old.graphics_owner_id))::text;
    END IF;
    IF old.pipeline <> 'graphics' OR old.stage <> 'waiting_on_graphics' THEN
        RAISE EXCEPTION 'ticket % is % (%): only a ticket waiting on graphics can be claimed for graphics',
                        p_id, old.stage, old.pipeline USING ERRCODE = 'DK422';
    END IF;
    UPDATE ticket SET graphics_owner_id = a.id, stage = 'graphics_in_progress',
                      version = version + 1, updated_at = now(), last_activity_at = now()
     WHERE id = p_id RETURNING * INTO t;
    RETURN ticket_changed(old, t, a.id, 'graphics_claimed');
END
$$;

CREATE FUNCTION ticket_graphics_unclaim(p_actor bigint, p_id bigint, p_version integer)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    a staff := actor(p_actor);
    old ticket := ticket_lock(p_id, p_version);
    t ticket;
BEGIN
    PERFORM require_role(a, 'graphics');
    IF old.graphics_owner_id IS NULL AND old.stage = 'waiting_on_graphics' THEN
        RETURN ticket_summary(old);
    END IF;
    IF old.stage <> 'graphics_in_progress' THEN
        RAISE EXCEPTION 'ticket % is % (%): only graphics in progress can be unclaimed',
                        p_id, old.stage, old.pipeline USING ERRCODE = 'DK422';
    END IF;
    IF old.graphics_owner_id <> a.id AND NOT 'admin' = ANY (a.roles) THEN
        RAISE EXCEPTION 'ticket % is claimed for graphics by %; only they or an admin can unclaim it',
                        p_id, staff_username(old.graphics_owner_id) USING ERRCODE = 'DK403';
    END IF;
    UPDATE ticket SET graphics_owner_id = NULL, stage = 'waiting_on_graphics',
                      version = version + 1, updated_at = now(), last_activity_at = now()
     WHERE id = p_id RETURNING * INTO t;
    RETURN ticket_changed(old, t, a.id, 'graphics_unclaimed');
END
$$;

CREATE FUNCTION ticket_graphics_complete(p_actor bigint, p_id bigint, p_version integer)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    a staff := actor(p_actor);
    old ticket := ticket_lock(p_id, p_version);
    t ticket;
BEGIN
    PERFORM require_role(a, 'graphics');
    IF old.stage <> 'graphics_in_progress' THEN
        RAISE EXCEPTION 'ticket % is % (%): only graphics in progress can be completed',
                        p_id, old.stage, old.pipeline USING ERRCODE = 'DK422';
    END IF;
    IF old.graphics_owner_id <> a.id AND NOT 'admin' = ANY (a.roles) THEN
        RAISE EXCEPTION 'ticket % is claimed for graphics by %; only they or an admin can complete it',
                        p_id, staff_username(old.graphics_owner_id) USING ERRCODE = 'DK403';
    END IF;
    UPDATE ticket SET stage = 'graphics_complete',
                      version = version + 1, updated_at = now(), last_activity_at = now()
     WHERE id = p_id RETURNING * INTO t;
    IF t.owner_id IS NOT NULL THEN
        PERFORM notify_staff(t.owner_id, 'graphics_complete', p_id, NULL, NULL, a.id,
                             jsonb_build_object('ticket.id', p_id, 'ticket.subject', t.subject,
                                                'staff.name', a.name));
    END IF;
    RETURN ticket_changed(old, t, a.id, 'graphics_completed');
END
$$;

CREATE FUNCTION ticket_close(p_actor bigint, p_id bigint, p_version integer)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    a staff := actor(p_actor);
    old ticket := ticket_lock(p_id, p_version);
    t ticket;
BEGIN
    PERFORM require_role(a, 'content');
    IF old.closed THEN
        RAISE EXCEPTION 'ticket % is already closed', p_id USING ERRCODE = 'DK422';
    END IF;
    UPDATE ticket SET pipeline = 'support', stage = 'closed',
                      version = version + 1, updated_at = now(), last_activity_at = now()
     WHERE id = p_id RETURNING * INTO t;
    INSERT INTO outbox (kind, to_addr, subject, body, ticket_id, in_reply_to)
    SELECT 'closed', c.email, e.subject, e.body, t.id,
           (SELECT message_id FROM message WHERE ticket_id = t.id AND message_id IS NOT NULL
             ORDER BY created_at DESC, id DESC LIMIT 1)
      FROM contact c,
           email_text('closed', jsonb_build_object('ticket.id', t.id, 'ticket.subject', t.subject,
                                                   'contact.first_name', c.first_name)) e
     WHERE c.id = t.contact_id;
    RETURN ticket_changed(old, t, a.id, 'closed');
END
$$;

CREATE FUNCTION ticket_reopen(p_actor bigint, p_id bigint, p_version integer)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    a staff := actor(p_actor);
    old ticket := ticket_lock(p_id, p_version);
    t ticket;
BEGIN
    PERFORM require_role(a, 'content');
    IF NOT old.closed THEN
        RAISE EXCEPTION 'ticket % is not closed', p_id USING ERRCODE = 'DK422';
    END IF;
    UPDATE ticket SET pipeline = 'support',
                      stage = CASE WHEN owner_id IS NULL THEN 'new' ELSE 'in_progress' END,
                      version = version + 1, updated_at = now(), last_activity_at = now()
     WHERE id = p_id RETURNING * INTO t;
    RETURN ticket_changed(old, t, a.id, 'reopened');
END
$$;

CREATE FUNCTION ticket_move(p_actor bigint, p_id bigint, p_version integer,
                            p_pipeline text, p_stage text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    a staff := actor(p_actor);
    old ticket := ticket_lock(p_id, p_version);
    st stage;
    t ticket;
BEGIN
    PERFORM require_role(a, 'content');
    SELECT * INTO st FROM stage WHERE pipeline = p_pipeline
       AND (id = p_stage OR (p_stage IS NULL AND is_default));
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no stage "%" in pipeline "%"', coalesce(p_stage, '(default)'), p_pipeline
            USING ERRCODE = 'DK400';
    END IF;
    IF old.pipeline = st.pipeline AND old.stage = st.id THEN
        RETURN ticket_summary(old);
    END IF;
    -- Moves that would skip a rule have their own methods.
    IF old.closed THEN
        RAISE EXCEPTION 'ticket % is closed; reopen it first', p_id USING ERRCODE = 'DK422';
    END IF;
    IF st.is_closed THEN
        RAISE EXCEPTION 'close ticket % with tickets.close, so the client is told', p_id
            USING ERRCODE = 'DK422';
    END IF;
    IF st.id IN ('graphics_in_progress', 'graphics_complete')
       AND old.graphics_owner_id IS NULL THEN
        RAISE EXCEPTION 'ticket % has no graphics owner: a graphics updater claims it first', p_id
            USING ERRCODE = 'DK422';
    END IF;
    UPDATE ticket SET pipeline = st.pipeline, stage = st.id,
                      graphics_owner_id = CASE WHEN st.id = 'waiting_on_graphics' THEN NULL
                                               ELSE graphics_owner_id END,
                      version = version + 1, updated_at = now(), last_activity_at = now()
     WHERE id = p_id RETURNING * INTO t;
    RETURN ticket_changed(old, t, a.id, CASE WHEN old.pipeline = t.pipeline
                                             THEN 'stage_set' ELSE 'moved' END);
END
$$;

CREATE FUNCTION ticket_set_stage(p_actor bigint, p_id bigint, p_version integer, p_stage text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    old ticket := ticket_lock(p_id, p_version);
BEGIN
    IF NOT EXISTS (SELECT 1 FROM stage WHERE pipeline = old.pipeline AND id = p_stage) THEN
        RAISE EXCEPTION 'no stage "%" in pipeline "%" (use tickets.move to change pipeline)',
                        p_stage, old.pipeline USING ERRCODE = 'DK400';
    END IF;
    RETURN ticket_move(p_actor, p_id, NULL, old.pipeline, p_stage);
END
$$;

CREATE FUNCTION ticket_set_priority(p_actor bigint, p_id bigint, p_version integer,
                                    p_priority text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    a staff := actor(p_actor);
    old ticket := ticket_lock(p_id, p_version);
    t ticket;
BEGIN
    PERFORM require_role(a, 'content');
    IF p_priority NOT IN ('low', 'medium', 'high') THEN
        RAISE EXCEPTION 'priority "%" is not one of low, medium, high', p_priority
            USING ERRCODE = 'DK400';
    END IF;
    IF old.priority = p_priority THEN
        RETURN ticket_summary(old);
    END IF;
    UPDATE ticket SET priority = p_priority,
                      version = version + 1, updated_at = now(), last_activity_at = now()
     WHERE id = p_id RETURNING * INTO t;
    RETURN ticket_changed(old, t, a.id, 'priority_set');
END
$$;

-- A note; "@username" tags an active staff member, who is notified and
-- emailed.  Unknown names stay plain text.
CREATE FUNCTION note_add(p_actor bigint, p_ticket bigint, p_body text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    a staff := actor(p_actor);
    old ticket := ticket_lock(p_ticket, NULL);
    t ticket;
    nid bigint;
    tagged text[];
    m record;
BEGIN
    IF btrim(coalesce(p_body, '')) = '' THEN
        RAISE EXCEPTION 'a note needs a body' USING ERRCODE = 'DK400';
    END IF;
    INSERT INTO note (ticket_id, author_id, body) VALUES (p_ticket, a.id, p_body)
    RETURNING id INTO nid;
    t := ticket_touch(p_ticket);
    PERFORM ticket_changed(old, t, a.id, 'note_added', jsonb_build_object('note', nid));
    FOR m IN
        SELECT DISTINCT s.id, s.username
          FROM regexp_matches(p_body, '(?:^|[^[:alnum:]_.@])@([a-z][a-z0-9._-]{0,31})', 'g') r,
               staff s
         WHERE s.username = rtrim(r[1], '.-') AND s.active
         ORDER BY s.username
    LOOP
        INSERT INTO mention (note_id, staff_id) VALUES (nid, m.id);
        tagged := tagged || m.username;
        IF m.id <> a.id THEN
            PERFORM notify_staff(m.id, 'mention', p_ticket, nid, NULL, a.id,
                                 jsonb_build_object('ticket.id', p_ticket,
                                                    'ticket.subject', t.subject,
                                                    'staff.name', a.name, 'note.body', p_body));
        END IF;
    END LOOP;
    RETURN jsonb_build_object('id', nid, 'mentions', to_jsonb(coalesce(tagged, '{}')));
END
$$;

-- A reply to the contact: the conversation row and the email, threaded
-- under the last message that has a Message-ID.
CREATE FUNCTION message_send(p_actor bigint, p_ticket bigint, p_body text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    a staff := actor(p_actor);
    old ticket := ticket_lock(p_ticket, NULL);
    t ticket;
    mid bigint;
    msgid text;
    parent text;
BEGIN
    IF btrim(coalesce(p_body, '')) = '' THEN
        RAISE EXCEPTION 'a reply needs a body' USING ERRCODE = 'DK400';
    END IF;
    SELECT message_id INTO parent FROM message
     WHERE ticket_id = p_ticket AND message_id IS NOT NULL
     ORDER BY created_at DESC, id DESC LIMIT 1;
    INSERT INTO message (ticket_id, direction, author_staff_id, body, in_reply_to)
    VALUES (p_ticket, 'out', a.id, p_body, parent) RETURNING id INTO mid;
    msgid := format('<ticket-%s.%s@docket>', p_ticket, mid);
    UPDATE message SET message_id = msgid WHERE id = mid;
    t := ticket_touch(p_ticket);
    PERFORM ticket_changed(old, t, a.id, 'message_sent', jsonb_build_object('message', mid));
    INSERT INTO outbox (kind, to_addr, subject, body, message_id, in_reply_to, ticket_id)
    SELECT 'reply', c.email, e.subject, e.body, msgid, parent, t.id
      FROM contact c,
           email_text('reply', jsonb_build_object('ticket.id', t.id, 'ticket.subject', t.subject,
                                                  'message.body', p_body,
                                                  'contact.first_name', c.first_name)) e
     WHERE c.id = t.contact_id;
    RETURN jsonb_build_object('id', mid);
END
$$;

CREATE FUNCTION task_json(k task) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', k.id, 'ticket', k.ticket_id,
                              'staff', staff_username(k.staff_id), 'title', k.title,
                              'due_at', iso(k.due_at), 'remind_at', iso(k.remind_at),
                              'done_at', iso(k.done_at), 'created_at', iso(k.created_at))
$$;

CREATE FUNCTION task_add(p_actor bigint, p_ticket bigint, p_title text,
                         p_due timestamptz, p_remind timestamptz)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    a staff := actor(p_actor);
    old ticket := ticket_lock(p_ticket, NULL);
    t ticket;
    k task;
BEGIN
    IF btrim(coalesce(p_title, '')) = '' THEN
        RAISE EXCEPTION 'a task needs a title' USING ERRCODE = 'DK400';
    END IF;
    INSERT INTO task (ticket_id, staff_id, created_by, title, due_at, remind_at)
    VALUES (p_ticket, a.id, a.id, p_title, p_due, p_remind) RETURNING * INTO k;
    t := ticket_touch(p_ticket);
    PERFORM ticket_changed(old, t, a.id, 'task_added', jsonb_build_object('task', k.id));
    RETURN task_json(k);
END
$$;

CREATE FUNCTION task_done(p_actor bigint, p_task bigint)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    a staff := actor(p_actor);
    k task;
    old ticket;
    t ticket;
BEGIN
    -- Locked, so that two "done" at once make one change and one event.
    SELECT * INTO k FROM task WHERE id = p_task FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'task % does not exist', p_task USING ERRCODE = 'DK404';
    END IF;
    IF k.staff_id <> a.id AND NOT 'admin' = ANY (a.roles) THEN
        RAISE EXCEPTION 'task % belongs to %', p_task, staff_username(k.staff_id)
            USING ERRCODE = 'DK403';
    END IF;
    IF k.done_at IS NOT NULL THEN
        RETURN task_json(k);
    END IF;
    old := ticket_lock(k.ticket_id, NULL);
    UPDATE task SET done_at = now() WHERE id = p_task RETURNING * INTO k;
    t := ticket_touch(k.ticket_id);
    PERFORM ticket_changed(old, t, a.id, 'task_done', jsonb_build_object('task', k.id));
    RETURN task_json(k);
END
$$;

-- Task reminders that are due: each sent once (its notification, its
-- feed event, its email), never for a task that is done.  SKIP LOCKED, so
-- that several servers calling this at once share the work.
CREATE FUNCTION task_remind_due() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    k task;
    n integer := 0;
BEGIN
    FOR k IN SELECT * FROM task
              WHERE remind_at <= now() AND done_at IS NULL AND reminded_at IS NULL
              ORDER BY remind_at, id LIMIT 100
              FOR UPDATE SKIP LOCKED
    LOOP
        UPDATE task SET reminded_at = now() WHERE id = k.id;
        PERFORM notify_staff(k.staff_id, 'task_reminder', k.ticket_id, NULL, k.id, NULL,
                             jsonb_build_object('ticket.id', k.ticket_id,
                                                'ticket.subject', (SELECT subject FROM ticket
                                                                    WHERE id = k.ticket_id),
                                                'task.title', k.title));
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;

-- A client's email on an existing ticket (docketctl mail-in): appended to
-- the conversation, the ticket touched, its event written, the servers
-- woken.  Only the ticket's contact may add to it.
CREATE FUNCTION message_receive(p_ticket bigint, p_contact bigint, p_body text,
                                p_message_id text, p_in_reply_to text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    old ticket := ticket_lock(p_ticket, NULL);
    t ticket;
    mid bigint;
BEGIN
    IF old.contact_id <> p_contact THEN
        RAISE EXCEPTION 'ticket % belongs to another contact', p_ticket
            USING ERRCODE = 'DK403';
    END IF;
    INSERT INTO message (ticket_id, direction, author_contact_id, body,
                         message_id, in_reply_to)
    VALUES (p_ticket, 'in', p_contact, p_body, p_message_id, p_in_reply_to)
    RETURNING id INTO mid;
    t := ticket_touch(p_ticket);
    INSERT INTO event (type, action, ticket_id, contact_id, change, summary)
    VALUES ('ticket.changed', 'message_received', p_ticket, p_contact,
            jsonb_build_object('message', mid), ticket_summary(t));
    PERFORM pg_notify('docket_wake', '');
    RETURN mid;
END
$$;

-- A template's {{fields}} filled in for one contact.  The fields a
-- template may use are exactly these; docketctl refuses others at add time.
CREATE FUNCTION template_fields() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['contact.first_name', 'contact.last_name', 'contact.email',
                 'contact.title', 'company.name', 'company.website']
$$;

CREATE FUNCTION template_render(p_text text, p_contact bigint)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT replace(replace(replace(replace(replace(replace(p_text,
               '{{contact.first_name}}', c.first_name),
               '{{contact.last_name}}', c.last_name),
               '{{contact.email}}', c.email),
               '{{contact.title}}', coalesce(c.title, '')),
               '{{company.name}}', coalesce(co.name, '')),
               '{{company.website}}', coalesce(co.website, ''))
      FROM contact c LEFT JOIN company co ON co.id = c.company_id
     WHERE c.id = p_contact
$$;

-- Enrol a contact in a workflow: every step is queued in the outbox now,
-- each due after the delays of the steps before it and its own, so the
-- sends survive any restart and happen once.
CREATE FUNCTION workflow_enroll(p_workflow bigint, p_contact bigint)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    st record;
    due timestamptz := now();
    n integer := 0;
BEGIN
    IF EXISTS (SELECT 1 FROM enrollment WHERE workflow_id = p_workflow
                  AND contact_id = p_contact AND finished_at IS NULL) THEN
        RAISE EXCEPTION 'already enrolled' USING ERRCODE = 'DK409';
    END IF;
    INSERT INTO enrollment (workflow_id, contact_id, next_step, next_at)
    VALUES (p_workflow, p_contact, NULL, NULL);
    FOR st IN SELECT ws.delay, t.subject, t.body
                FROM workflow_step ws JOIN email_template t ON t.id = ws.template_id
               WHERE ws.workflow_id = p_workflow ORDER BY ws.position
    LOOP
        due := due + st.delay;
        INSERT INTO outbox (kind, to_addr, subject, body, not_before)
        SELECT 'workflow_step', c.email, template_render(st.subject, c.id),
               template_render(st.body, c.id), due
          FROM contact c WHERE c.id = p_contact;
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;

-- Everything tickets.get shows: the ticket, its people and its history.
CREATE FUNCTION ticket_full(p_id bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT ticket_summary(t) || jsonb_build_object(
        'description', t.description, 'source', t.source, 'closed_at', iso(t.closed_at),
        'contact', (SELECT jsonb_build_object('id', c.id, 'first_name', c.first_name,
                        'last_name', c.last_name,
                        'name', btrim(c.first_name || ' ' || c.last_name),
                        'title', c.title, 'email', c.email, 'phone', c.phone,
                        'cloudfront_domain', c.cloudfront_domain)
                      FROM contact c WHERE c.id = t.contact_id),
        'company', (SELECT jsonb_build_object('id', co.id, 'name', co.name,
                        'website', co.website, 'domain', co.domain)
                      FROM company co WHERE co.id = t.company_id),
        'attachments', coalesce((SELECT jsonb_agg(jsonb_build_object('id', x.id,
                        'filename', x.filename, 'content_type', x.content_type,
                        'size', x.size, 'sha256', encode(x.sha256, 'hex'),
                        'message', x.message_id, 'created_at', iso(x.created_at))
                        ORDER BY x.id) FROM attachment x WHERE x.ticket_id = t.id), '[]'),
        'messages', coalesce((SELECT jsonb_agg(jsonb_build_object('id', m.id,
                        'direction', m.direction,
                        'author', coalesce(staff_username(m.author_staff_id),
                                  (SELECT email FROM contact WHERE id = m.author_contact_id)),
                        'body', m.body, 'created_at', iso(m.created_at))
                        ORDER BY m.created_at, m.id) FROM message m WHERE m.ticket_id = t.id), '[]'),
        'notes', coalesce((SELECT jsonb_agg(jsonb_build_object('id', n.id,
                        'author', staff_username(n.author_id), 'body', n.body,
                        'mentions', coalesce((SELECT jsonb_agg(staff_username(mm.staff_id))
                                                FROM mention mm WHERE mm.note_id = n.id), '[]'),
                        'created_at', iso(n.created_at))
                        ORDER BY n.created_at, n.id) FROM note n WHERE n.ticket_id = t.id), '[]'),
        'tasks', coalesce((SELECT jsonb_agg(task_json(k) ORDER BY k.id)
                             FROM task k WHERE k.ticket_id = t.id), '[]'),
        'events', coalesce((SELECT jsonb_agg(jsonb_build_object('id', e.id, 'action', e.action,
                        'by', coalesce(staff_username(e.staff_id),
                                       (SELECT email FROM contact WHERE id = e.contact_id)),
                        'change', e.change, 'created_at', iso(e.created_at))
                        ORDER BY e.created_at, e.id)
                        FROM event e WHERE e.ticket_id = t.id AND e.type <> 'notification'), '[]'))
      FROM ticket t WHERE t.id = p_id
$$;

-- A disabled staff member's live sessions end on every docketd at once.
CREATE FUNCTION staff_disabled() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM session WHERE staff_id = NEW.id;
    PERFORM pg_notify('docket_staff', NEW.id::text);
    RETURN NEW;
END
$$;
CREATE TRIGGER staff_disabled AFTER UPDATE OF active ON staff
    FOR EACH ROW WHEN (OLD.active AND NOT NEW.active)
    EXECUTE FUNCTION staff_disabled();

INSERT INTO schema_version (version) VALUES (1);
