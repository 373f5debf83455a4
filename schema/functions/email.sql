-- email.sql - Docket's own emails from system templates, and contact
-- templates with workflows.

-- A system template's subject and body with {{name}} replaced by vars' values.
CREATE OR REPLACE FUNCTION email_text(p_name text, p_vars jsonb, OUT subject text, OUT body text)
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
        INSERT INTO outbox (kind, to_addr, subject, body, not_before)
        SELECT 'workflow_step', c.email, template_render(st.subject, c.id),
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
-- the same statement.  Rows still to be retried keep theirs.
CREATE OR REPLACE FUNCTION outbox_sent(p_id bigint) RETURNS void
LANGUAGE sql AS $$
    UPDATE outbox SET sent_at = now(), last_error = NULL,
                      subject = outbox_scrub(subject), body = outbox_scrub(body)
     WHERE id = p_id
$$;

CREATE OR REPLACE FUNCTION outbox_failed(p_id bigint, p_error text) RETURNS void
LANGUAGE sql AS $$
    UPDATE outbox SET failed_at = now(), last_error = p_error,
                      subject = outbox_scrub(subject), body = outbox_scrub(body)
     WHERE id = p_id
$$;
