-- email.sql - Docket's own emails from system templates, and contact
-- templates with workflows.

-- A system template's subject and body with {{name}} replaced by vars' values.
CREATE OR REPLACE FUNCTION email_text(p_name text, p_vars jsonb, OUT subject text, OUT body text)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    SELECT e.subject, e.body INTO subject, body FROM email_text_in(p_name, p_vars, 'en') e;
END
$$;

-- The same in a contact's language (contact.language): the agency's own
-- template for it when it has one (system/NAME.LANG, added with docketctl
-- template add), else the shipped translation of the English template
-- while that is as shipped (email_translation_(), from po/LANG.po), else
-- the English as it is.
CREATE OR REPLACE FUNCTION email_text_in(p_name text, p_vars jsonb, p_language text,
                                         OUT subject text, OUT body text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v record;
BEGIN
    SELECT t.subject, t.body INTO subject, body
      FROM email_template t
     WHERE t.folder = 'system' AND t.name = p_name || '.' || p_language
       AND p_language <> 'en';
    IF NOT FOUND THEN
        SELECT t.subject, t.body INTO subject, body
          FROM email_template t WHERE t.folder = 'system' AND t.name = p_name;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'no email template system/%', p_name USING ERRCODE = 'DK404';
        END IF;
        IF p_language <> 'en' THEN
            subject := coalesce(email_translation_(subject, p_language), subject);
            body := coalesce(email_translation_(body, p_language), body);
        END IF;
    END IF;
    FOR v IN SELECT key, value FROM jsonb_each_text(p_vars) LOOP
        subject := replace(subject, '{{' || v.key || '}}', coalesce(v.value, ''));
        body := replace(body, '{{' || v.key || '}}', coalesce(v.value, ''));
    END LOOP;
END
$$;

-- A template's {{fields}} filled in for one contact.  The fields a
-- template may use are exactly these; docketctl refuses others at add time.
CREATE OR REPLACE FUNCTION template_fields() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['contact.first_name', 'contact.last_name', 'contact.email',
                 'contact.title', 'company.name', 'company.website']
$$;

CREATE OR REPLACE FUNCTION template_render(p_text text, p_contact bigint)
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
CREATE OR REPLACE FUNCTION workflow_enroll(p_workflow bigint, p_contact bigint)
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
        INSERT INTO outbox (kind, to_addr, to_name, subject, body, not_before)
        SELECT 'workflow_step', c.email, btrim(c.first_name || ' ' || c.last_name),
               template_render(st.subject, c.id),
               template_render(st.body, c.id), due
          FROM contact c WHERE c.id = p_contact;
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;

-- A sent email's text with its one-time links spent: the token of every
-- "token=..." in a link (registration today; sign-up confirmation and
-- password reset use the same form) becomes "token=(used)", so a body
-- kept for the record no longer holds what its stored hash was made from.
CREATE OR REPLACE FUNCTION outbox_scrub(p_text text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT regexp_replace(p_text, '([?&;]token=)[^[:space:]&#"''<>]+',
                          '\1(used)', 'g')
$$;

-- The sender's outcomes (server/core/outbox.c): a row is marked sent, or
-- failed for good with the server's words, and its links are scrubbed in
-- the same statement.  Rows still to be retried keep theirs.  Only a row
-- still pending changes: a late or repeated outcome changes nothing.  A
-- staff reply's message row follows (message.delivery; a failed one that
-- an admin queued again becomes sent).
CREATE OR REPLACE FUNCTION outbox_sent(p_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    o outbox;
    t ticket;
    mid bigint;
BEGIN
    UPDATE outbox SET sent_at = now(), last_error = NULL,
                      subject = outbox_scrub(subject), body = outbox_scrub(body)
     WHERE id = p_id AND sent_at IS NULL AND failed_at IS NULL
    RETURNING * INTO o;
    IF NOT FOUND OR o.kind <> 'reply' OR o.ticket_id IS NULL THEN
        RETURN;
    END IF;
    -- A staff reply handed to the relay: its message says sent, and a
    -- 'message_delivered' event (no version bump, as for a failure) lets
    -- every open client show it, not "queued" until its next reload.
    t := ticket_lock(o.ticket_id, NULL);
    UPDATE message SET delivery = 'sent', delivery_error = NULL, delivery_at = now()
     WHERE message_id = o.message_id AND direction = 'out' AND ticket_id = o.ticket_id
    RETURNING id INTO mid;
    INSERT INTO event (type, action, ticket_id, change, summary)
    VALUES ('ticket.changed', 'message_delivered', t.id,
            jsonb_build_object('message', mid, 'kind', o.kind, 'to', o.to_addr),
            ticket_summary(t));
END
$$;

-- A relay's or a report's words as one line of bounded length: they come
-- from outside (any mail server on the way) and are shown in terminals.
CREATE OR REPLACE FUNCTION delivery_words_(p_error text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT left(coalesce(nullif(btrim(regexp_replace(p_error, '[[:cntrl:][:space:]]+', ' ',
                                                     'g')), ''),
                         'not delivered'), 1000)
$$;

-- What a failed email about a ticket does there (o is the outbox row, just
-- failed).  A staff reply ('reply'): its message is marked failed with
-- the server's words; the 'closed' email to the contact has no message.
-- Both: a 'message_failed' event on the ticket (change: the message or
-- null, the email's kind, to whom, the words; no version bump, since
-- nothing on the ticket itself changed, so nobody's next write is
-- refused as stale), which the feed pushes to every client.  A reply's
-- author, when active, is notified (mail_failed: the row, their event,
-- an email).  Every other kind (staff notifications, mail_failed itself,
-- portal links, workflows) stays in the outbox, the log and the metrics:
-- a failed mail_failed email notifies nobody, so there is no loop.
CREATE OR REPLACE FUNCTION outbox_undelivered_(o outbox) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    m message;
    t ticket;
BEGIN
    IF o.ticket_id IS NULL OR o.kind NOT IN ('reply', 'closed') THEN
        RETURN;
    END IF;
    -- The ticket locked (after the outbox row the callers hold, before
    -- the message: no other path takes an existing outbox row after a
    -- ticket), so that the event's summary is the ticket as it is, after
    -- any write in progress.
    t := ticket_lock(o.ticket_id, NULL);
    IF o.kind = 'reply' THEN
        UPDATE message SET delivery = 'failed', delivery_error = o.last_error,
                           delivery_at = now()
         WHERE message_id = o.message_id AND direction = 'out' AND ticket_id = o.ticket_id
        RETURNING * INTO m;
    END IF;
    INSERT INTO event (type, action, ticket_id, change, summary)
    VALUES ('ticket.changed', 'message_failed', t.id,
            jsonb_build_object('message', m.id, 'kind', o.kind, 'to', o.to_addr,
                               'error', o.last_error),
            ticket_summary(t));
    IF m.author_staff_id IS NOT NULL
       AND EXISTS (SELECT 1 FROM staff WHERE id = m.author_staff_id AND active) THEN
        PERFORM notify_staff(m.author_staff_id, 'mail_failed', t.id, NULL, NULL, NULL,
                             jsonb_build_object('ticket.id', t.id, 'ticket.subject', t.subject,
                                                'mail.to', mailbox_text(o.to_name, o.to_addr),
                                                'mail.error', o.last_error));
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION outbox_failed(p_id bigint, p_error text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    o outbox;
BEGIN
    UPDATE outbox SET failed_at = now(), last_error = delivery_words_(p_error),
                      subject = outbox_scrub(subject), body = outbox_scrub(body)
     WHERE id = p_id AND sent_at IS NULL AND failed_at IS NULL
    RETURNING * INTO o;
    IF FOUND THEN
        PERFORM outbox_undelivered_(o);
    END IF;
END
$$;

-- A delivery report (a bounce that came back after the relay took the
-- email; docketctl mail-in recognises it) about our email p_message_id:
-- its outbox row becomes failed with the report's words, with what
-- outbox_failed() does on its ticket, and the servers are woken to push
-- it.  Returns the row's ticket, or NULL when it is about none; NULL and
-- nothing changed when p_message_id is not one of ours.  A second report
-- (or one about a row already failed) changes nothing.  The Message-ID is
-- the guard: ours carry a random part, so only someone who received the
-- email can name it.
CREATE OR REPLACE FUNCTION outbox_bounced(p_message_id text, p_error text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_id text := btrim(coalesce(p_message_id, ''));
    o outbox;
BEGIN
    -- As the header has it, or without its angle brackets.
    IF left(v_id, 1) <> '<' THEN
        v_id := '<' || v_id || '>';
    END IF;
    SELECT * INTO o FROM outbox WHERE message_id = v_id ORDER BY id LIMIT 1 FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF o.failed_at IS NULL THEN
        UPDATE outbox SET sent_at = NULL, failed_at = now(),
                          last_error = delivery_words_(p_error),
                          subject = outbox_scrub(subject), body = outbox_scrub(body)
         WHERE id = o.id
        RETURNING * INTO o;
        PERFORM outbox_undelivered_(o);
        PERFORM pg_notify('docket_wake', '');
    END IF;
    RETURN o.ticket_id;
END
$$;

-- The outbox_queued trigger: a statement that queued mail wakes the outbox
-- of every docketd (NOTIFY docket_mail; PostgreSQL sends one per
-- transaction, however many rows), so that a write need not make docketd
-- look for mail after it, and mail queued by docketctl or another
-- instance leaves as soon as it would from this one.
CREATE OR REPLACE FUNCTION outbox_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('docket_mail', '');
    RETURN NULL;
END
$$;
