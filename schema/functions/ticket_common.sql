-- ticket_common.sql - what every ticket write shares: the summary, the actor
-- and role checks, the lock with its version check, the one version bump
-- (ticket_update), the event, notifications.

-- The workflow (SPEC section 3) as functions, so that every way in (the
-- server, docketctl, mail intake) follows the same rules, and each write
-- is one statement: one round trip, one transaction.  Each locks the
-- ticket, checks its precondition and the caller's version, updates and
-- bumps version/updated_at/last_activity_at (ticket_update(), the one
-- UPDATE of a ticket), writes its event (with the ticket's summary as it
-- now is), its notifications and its outbox rows.
--
-- Errors docketd maps to protocol errors (SQLSTATE → code):
--   DK400 → -32602 bad value     DK403 → 4003 forbidden
--   DK404 → 4004 not found       DK409 → 4009 conflict (DETAIL: JSON data)
--   DK422 → 4022 not allowed in this stage

CREATE OR REPLACE FUNCTION iso(ts timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$$;

-- The helpers below that read tables are PL/pgSQL, not SQL: a SQL
-- function that cannot be inlined (one with a FROM) is parsed and planned
-- again on every call made from PL/pgSQL, once per transaction, while a
-- PL/pgSQL statement's plan is kept for the session.  Parsing and planning
-- was most of what a claim cost (BENCHMARKS.md, "found on the way").
CREATE OR REPLACE FUNCTION staff_username(p_id bigint) RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT username FROM staff WHERE id = p_id);
END
$$;

-- The summary of SPEC section 6, from a ticket and the rows it refers to,
-- for events and for the answers of writes.  tickets.view writes the same
-- object itself from its rows' columns (server/rpc/tickets.c,
-- VIEW_COLUMNS: building 50 of them here took two thirds of a page's
-- time); a field added here goes there too, and rpc_view_rows holds the
-- two equal.
CREATE OR REPLACE FUNCTION summary_json(t ticket, owner text, graphics_owner text,
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
CREATE OR REPLACE FUNCTION ticket_summary(t ticket) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT summary_json(t, o.username, g.username, c, co)
              FROM contact c
              LEFT JOIN staff o ON o.id = t.owner_id
              LEFT JOIN staff g ON g.id = t.graphics_owner_id
              LEFT JOIN company co ON co.id = t.company_id
             WHERE c.id = t.contact_id);
END
$$;

-- The acting staff member, who must exist and be active.
CREATE OR REPLACE FUNCTION actor(p_staff bigint) RETURNS staff LANGUAGE plpgsql STABLE AS $$
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

CREATE OR REPLACE FUNCTION has_role(s staff, r text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT r = ANY (s.roles) OR 'admin' = ANY (s.roles)
$$;

-- Refuse (DK403) a staff member without role r (admins have every role).
CREATE OR REPLACE FUNCTION require_role(s staff, r text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF NOT has_role(s, r) THEN
        RAISE EXCEPTION 'only % updaters (or admins) do that', r USING ERRCODE = 'DK403';
    END IF;
END
$$;

-- Lock a ticket for a change, checking it exists and, when the caller
-- says which version it saw, that nobody has changed it since.
CREATE OR REPLACE FUNCTION ticket_lock(p_id bigint, p_version integer) RETURNS ticket
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

-- {"field": [from, to]} for what differs between two versions of a ticket;
-- the owners' names are looked up only when they changed.
CREATE OR REPLACE FUNCTION ticket_diff(a ticket, b ticket) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    d jsonb := '{}';
BEGIN
    IF a.pipeline IS DISTINCT FROM b.pipeline THEN
        d := d || jsonb_build_object('pipeline', jsonb_build_array(a.pipeline, b.pipeline));
    END IF;
    IF a.stage IS DISTINCT FROM b.stage THEN
        d := d || jsonb_build_object('stage', jsonb_build_array(a.stage, b.stage));
    END IF;
    IF a.owner_id IS DISTINCT FROM b.owner_id THEN
        d := d || jsonb_build_object('owner', jsonb_build_array(staff_username(a.owner_id),
                                                                staff_username(b.owner_id)));
    END IF;
    IF a.graphics_owner_id IS DISTINCT FROM b.graphics_owner_id THEN
        d := d || jsonb_build_object('graphics_owner',
                                     jsonb_build_array(staff_username(a.graphics_owner_id),
                                                       staff_username(b.graphics_owner_id)));
    END IF;
    IF a.priority IS DISTINCT FROM b.priority THEN
        d := d || jsonb_build_object('priority', jsonb_build_array(a.priority, b.priority));
    END IF;
    RETURN d;
END
$$;

-- Record a change made to a ticket: its event, with the new summary.
CREATE OR REPLACE FUNCTION ticket_changed(old ticket, t ticket, p_actor bigint, p_action text,
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

-- Write a ticket's workflow fields (pipeline, stage, owners, priority) as t
-- has them and bump its version and times: the one UPDATE every change to a
-- ticket goes through, after ticket_lock() (so t starts as the locked row).
-- closed, closed_at and due_at follow from the trigger ticket_sync.
CREATE OR REPLACE FUNCTION ticket_update(t ticket) RETURNS ticket LANGUAGE plpgsql AS $$
DECLARE
    r ticket;
BEGIN
    UPDATE ticket SET pipeline = t.pipeline, stage = t.stage, owner_id = t.owner_id,
                      graphics_owner_id = t.graphics_owner_id, priority = t.priority,
                      version = version + 1, updated_at = now(), last_activity_at = now()
     WHERE id = t.id RETURNING * INTO r;
    RETURN r;
END
$$;

-- A notification for one staff member: its row, its feed event (for that
-- person only) and, when vars are given, its email from the system
-- template named like the kind.
CREATE OR REPLACE FUNCTION notify_staff(p_for bigint, p_kind text, p_ticket bigint, p_note bigint,
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
        INSERT INTO outbox (kind, to_addr, to_name, subject, body, ticket_id)
        SELECT p_kind, s.email, s.name, e.subject, e.body, p_ticket
          FROM staff s, email_text(p_kind, p_vars) e WHERE s.id = p_for;
    END IF;
    RETURN nid;
END
$$;

CREATE OR REPLACE FUNCTION notification_json(n notification) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', n.id, 'kind', n.kind, 'ticket', n.ticket_id,
                              'note', n.note_id, 'task', n.task_id,
                              'by', staff_username(n.by_staff_id),
                              'created_at', iso(n.created_at), 'read_at', iso(n.read_at))
$$;

-- A ticket's email thread as References (RFC 5322 section 3.6.4: the
-- parent's References and the parent), space-separated: the Message-IDs of
-- its conversation in order, the first and the last 10, so that a long
-- ticket keeps its root and its recent replies in a header of bounded
-- length.  The last one is the parent (In-Reply-To).  Only well-formed
-- ids: a contact's Message-ID is theirs to choose and goes into a header.
CREATE OR REPLACE FUNCTION ticket_references(p_ticket bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT string_agg(message_id, ' ' ORDER BY n)
      FROM (SELECT message_id, row_number() OVER w AS n, count(*) OVER () AS total
              FROM message
             WHERE ticket_id = p_ticket AND message_id ~ '^<[!-;=?-~]{1,250}>$'
            WINDOW w AS (ORDER BY created_at, id)) ids
     WHERE n = 1 OR n > total - 10
$$;

-- The last id of a References chain: the parent.
CREATE OR REPLACE FUNCTION references_parent(p_refs text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT nullif(substring(p_refs from '(<[^ ]*>)$'), '')
$$;

-- "Name <address>", or the address alone when there is no name.
CREATE OR REPLACE FUNCTION mailbox_text(p_name text, p_addr text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN btrim(coalesce(p_name, '')) = '' THEN p_addr
                ELSE btrim(p_name) || ' <' || p_addr || '>' END
$$;
