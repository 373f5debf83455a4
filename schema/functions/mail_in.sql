-- mail_in.sql - what docketctl mail-in does with an email once it knows
-- who sent it and what it answers: a contact's message on a ticket, a new
-- or follow-up ticket, a staff member's answer to a notification.  One
-- call each, so that the rules live beside the portal's
-- (message_from_contact) and not in C.

-- The description of a follow-up ticket: the old one named, with its
-- subject and state only when it is the same contact's (anyone can write
-- "[#ID]" in a subject; the portal shows the description to its contact).
CREATE OR REPLACE FUNCTION mail_in_follow_up_(p_contact bigint, p_old bigint, p_body text)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT 'Follow-up to #' || p_old
           || coalesce((SELECT ' "' || o.subject || '"'
                               || CASE WHEN o.closed THEN ' (closed '
                                       || to_char(o.closed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')
                                       || ')' ELSE '' END
                          FROM ticket o WHERE o.id = p_old AND o.contact_id = p_contact), '')
           || '.' || E'\n\n' || p_body
$$;

-- A contact's email.  p_reply_to: the ticket it answers (its In-Reply-To
-- or References names a message Docket sent on it), or NULL; p_named: a
-- ticket its subject names with "[#ID]" when it answers nothing, or NULL.
-- A reply on an open ticket, or on one closed less than p_reopen_within
-- ago (NULL: never reopen), is a message on that ticket, and the second
-- reopens it (SPEC section 3, as portal_reply does); a reply to one
-- closed longer ago, and an email that only names a ticket, open a new
-- ticket that names the old one in its subject, description and timeline
-- (a 'follow_up' event); anything else is a new ticket.  DK403 when
-- p_reply_to belongs to another contact.  Returns the ticket, the
-- message, and what happened: 'reply', 'reopened', 'follow_up' or 'new'.
CREATE OR REPLACE FUNCTION mail_in_contact(p_contact bigint, p_reply_to bigint, p_named bigint,
                                           p_subject text, p_body text, p_message_id text,
                                           p_in_reply_to text, p_reopen_within interval,
                                           OUT tid bigint, OUT mid bigint, OUT outcome text)
LANGUAGE plpgsql AS $$
DECLARE
    old ticket;
    t ticket;
    named bigint := p_named;
    subj text := coalesce(nullif(btrim(p_subject), ''), '(no subject)');
    tail text;
BEGIN
    IF p_reply_to IS NOT NULL THEN
        old := ticket_lock(p_reply_to, NULL);
        IF old.contact_id <> p_contact THEN
            RAISE EXCEPTION 'ticket % belongs to another contact', p_reply_to
                USING ERRCODE = 'DK403';
        END IF;
        t := old;
        outcome := 'reply';
        IF old.closed THEN
            IF p_reopen_within IS NULL OR old.closed_at < now() - p_reopen_within THEN
                named := old.id;
                outcome := 'follow_up';
            ELSE
                t.pipeline := 'support';
                t.stage := CASE WHEN old.owner_id IS NULL THEN 'new' ELSE 'in_progress' END;
                outcome := 'reopened';
            END IF;
        END IF;
        IF outcome <> 'follow_up' THEN
            tid := old.id;
            mid := message_from_contact(old, t, p_contact, p_body, 'email',
                                        p_message_id, p_in_reply_to);
            RETURN;
        END IF;
    END IF;
    IF named IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ticket WHERE id = named) THEN
        named := NULL;
    END IF;
    -- The subject keeps room for its tail: ticket.subject is at most 300.
    tail := CASE WHEN named IS NULL THEN '' ELSE ' (follow-up to #' || named || ')' END;
    tid := (ticket_create(p_contact, left(subj, 300 - length(tail)) || tail,
                          left(CASE WHEN named IS NULL THEN p_body
                                    ELSE mail_in_follow_up_(p_contact, named, p_body) END, 100000),
                          'medium', 'email', NULL)->>'id')::bigint;
    INSERT INTO message (ticket_id, direction, author_contact_id, body, message_id,
                         in_reply_to, source)
    VALUES (tid, 'in', p_contact, p_body, p_message_id, p_in_reply_to, 'email')
    RETURNING id INTO mid;
    IF named IS NOT NULL THEN
        INSERT INTO event (type, action, ticket_id, contact_id, change, summary)
        SELECT 'ticket.changed', 'follow_up', x.id, p_contact,
               jsonb_build_object('follow_up_to', named), ticket_summary(x)
          FROM ticket x WHERE x.id = tid;
        outcome := 'follow_up';
    ELSE
        outcome := 'new';
    END IF;
    PERFORM pg_notify('docket_wake', '');
END
$$;

-- The notifications staff are emailed (notify_staff's kinds): a staff
-- member's answer to one of these is a note on its ticket.
CREATE OR REPLACE FUNCTION mail_in_staff_kinds_() RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['mention', 'graphics_complete', 'client_reply', 'task_reminder', 'mail_failed']
$$;

-- Which staff member and ticket an email answers: the first of p_ids
-- (Message-IDs from its In-Reply-To and References, the parent last, so
-- read from the end) that Docket sent to the staff member whose address
-- is p_from, about a ticket.  Nothing when none is: a From header is easy
-- to forge, an unguessable Message-ID sent only to that person is not.
CREATE OR REPLACE FUNCTION mail_in_staff_thread(p_from text, p_ids text[],
                                                OUT staff_id bigint, OUT ticket_id bigint)
LANGUAGE sql STABLE AS $$
    SELECT s.id, o.ticket_id
      FROM unnest(p_ids) WITH ORDINALITY AS i (id, n)
      JOIN outbox o ON o.message_id = i.id
      JOIN staff s ON lower(s.email) = lower(o.to_addr)
     WHERE lower(s.email) = lower(p_from) AND s.active AND o.ticket_id IS NOT NULL
       AND o.kind = ANY (mail_in_staff_kinds_())
     ORDER BY i.n DESC LIMIT 1
$$;

-- A staff member's emailed answer to a notification: a note by them on
-- its ticket (note_add: mentions notify as from the terminal), remembered
-- by its Message-ID so that an MTA's second delivery adds nothing.
-- Returns the note's id.
CREATE OR REPLACE FUNCTION mail_in_staff_note(p_staff bigint, p_ticket bigint, p_body text,
                                              p_message_id text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    nid bigint;
BEGIN
    nid := (note_add(p_staff, p_ticket, p_body)->>'id')::bigint;
    UPDATE note SET message_id = p_message_id WHERE id = nid;
    PERFORM pg_notify('docket_wake', '');
    RETURN nid;
END
$$;
