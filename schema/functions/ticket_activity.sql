-- ticket_activity.sql - what happens on a ticket besides its workflow: notes
-- and mentions, replies, client email, tasks and their reminders.

-- A note; "@username" tags an active staff member, who is notified and
-- emailed.  Unknown names stay plain text.
CREATE OR REPLACE FUNCTION note_add(p_actor bigint, p_ticket bigint, p_body text)
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
    t := ticket_update(old);
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

-- A reply to the contact, by a content updater (or an admin): the
-- conversation row (delivery 'queued' until the sender's outcome) and the
-- email, threaded under the ticket's conversation (ticket_references()).
-- p_domain is the domain of our Message-IDs (docketd's
-- mail.message_id_domain, or the domain of mail.from).
CREATE OR REPLACE FUNCTION message_send(p_actor bigint, p_ticket bigint, p_body text,
                                        p_domain text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    a staff := actor(p_actor);
    old ticket := ticket_lock(p_ticket, NULL);
    t ticket;
    mid bigint;
    msgid text;
    refs text := ticket_references(p_ticket);
    parent text := references_parent(refs);
BEGIN
    -- Content updaters answer clients (SPEC section 1); not coordinators.
    PERFORM require_role(a, 'content');
    IF btrim(coalesce(p_body, '')) = '' THEN
        RAISE EXCEPTION 'a reply needs a body' USING ERRCODE = 'DK400';
    END IF;
    -- It goes into a header: a DNS name and nothing else.
    IF p_domain IS NULL OR p_domain !~ '^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$' THEN
        RAISE EXCEPTION 'invalid Message-ID domain "%"', p_domain USING ERRCODE = 'DK400';
    END IF;
    INSERT INTO message (ticket_id, direction, author_staff_id, body, in_reply_to, source,
                         delivery)
    VALUES (p_ticket, 'out', a.id, p_body, parent, 'staff', 'queued') RETURNING id INTO mid;
    -- Not guessable: a reply naming it is how mail-in knows a message
    -- answers this ticket (SPEC section 9), and a delivery report naming
    -- it marks it failed (outbox_bounced()), so it must not be forgeable.
    msgid := format('<ticket-%s.%s.%s@%s>', p_ticket, mid,
                    replace(gen_random_uuid()::text, '-', ''), p_domain);
    UPDATE message SET message_id = msgid WHERE id = mid;
    t := ticket_update(old);
    PERFORM ticket_changed(old, t, a.id, 'message_sent', jsonb_build_object('message', mid));
    INSERT INTO outbox (kind, to_addr, to_name, subject, body, message_id, in_reply_to, refs,
                        ticket_id)
    SELECT 'reply', c.email, btrim(c.first_name || ' ' || c.last_name), e.subject, e.body,
           msgid, parent, refs, t.id
      FROM contact c,
           email_text_in('reply', jsonb_build_object('ticket.id', t.id, 'ticket.subject', t.subject,
                                                     'message.body', p_body,
                                                     'contact.first_name', c.first_name),
                         c.language) e
     WHERE c.id = t.contact_id;
    RETURN jsonb_build_object('id', mid);
END
$$;

CREATE OR REPLACE FUNCTION task_json(k task) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', k.id, 'ticket', k.ticket_id,
                              'staff', staff_username(k.staff_id), 'title', k.title,
                              'due_at', iso(k.due_at), 'remind_at', iso(k.remind_at),
                              'done_at', iso(k.done_at), 'created_at', iso(k.created_at))
$$;

CREATE OR REPLACE FUNCTION task_add(p_actor bigint, p_ticket bigint, p_title text,
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
    t := ticket_update(old);
    PERFORM ticket_changed(old, t, a.id, 'task_added', jsonb_build_object('task', k.id));
    RETURN task_json(k);
END
$$;

CREATE OR REPLACE FUNCTION task_done(p_actor bigint, p_task bigint)
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
    t := ticket_update(old);
    PERFORM ticket_changed(old, t, a.id, 'task_done', jsonb_build_object('task', k.id));
    RETURN task_json(k);
END
$$;

-- Task reminders that are due: each sent once (its notification, its
-- feed event, its email), never for a task that is done.  SKIP LOCKED, so
-- that several servers calling this at once share the work.
CREATE OR REPLACE FUNCTION task_remind_due() RETURNS integer LANGUAGE plpgsql AS $$
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

-- A contact's message on a ticket, by email (mail_in_contact) or from the
-- portal (portal_reply): the rules of SPEC section 3 in one place.  old is
-- the ticket as locked; t the workflow state the caller wants (old itself,
-- or old reopened by portal_reply).  The message row ('in', p_source); a
-- ticket waiting on its contact goes back to in_progress; one version bump;
-- a 'reopened' event when t reopens old, and the 'message_received' event
-- (change: the message, its source and, without a reopen, what moved);
-- the owner, when active, notified (kind client_reply: the row, their feed
-- event, the email); the servers woken.  Returns the message's id.
CREATE OR REPLACE FUNCTION message_from_contact(old ticket, t ticket, p_contact bigint,
                                                p_body text, p_source text,
                                                p_message_id text, p_in_reply_to text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    mid bigint;
    s jsonb;
    who text;
    reopened boolean;
BEGIN
    INSERT INTO message (ticket_id, direction, author_contact_id, body,
                         message_id, in_reply_to, source)
    VALUES (old.id, 'in', p_contact, p_body, p_message_id, p_in_reply_to, p_source)
    RETURNING id INTO mid;
    IF t.pipeline = 'support' AND t.stage = 'waiting_on_contact' THEN
        t.stage := 'in_progress';
    END IF;
    -- ticket_update() writes t's workflow fields; a reopen's stage is in t,
    -- and closed/closed_at follow from ticket_sync.
    t := ticket_update(t);
    reopened := old.closed AND NOT t.closed;
    s := ticket_summary(t);
    IF reopened THEN
        INSERT INTO event (type, action, ticket_id, contact_id, change, summary)
        VALUES ('ticket.changed', 'reopened', t.id, p_contact, ticket_diff(old, t), s);
    END IF;
    INSERT INTO event (type, action, ticket_id, contact_id, change, summary)
    VALUES ('ticket.changed', 'message_received', t.id, p_contact,
            CASE WHEN reopened THEN '{}' ELSE ticket_diff(old, t) END
            || jsonb_build_object('message', mid, 'source', p_source), s);
    IF t.owner_id IS NOT NULL AND EXISTS (SELECT 1 FROM staff WHERE id = t.owner_id AND active) THEN
        SELECT btrim(first_name || ' ' || last_name) INTO who FROM contact WHERE id = p_contact;
        PERFORM notify_staff(t.owner_id, 'client_reply', t.id, NULL, NULL, NULL,
                             jsonb_build_object('ticket.id', t.id, 'ticket.subject', t.subject,
                                                'contact.name', coalesce(nullif(who, ''),
                                                    (SELECT email FROM contact WHERE id = p_contact)),
                                                'message.body', p_body));
    END IF;
    PERFORM pg_notify('docket_wake', '');
    RETURN mid;
END
$$;
