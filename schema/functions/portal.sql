-- portal.sql - the customer portal's database side (SPEC section 8): who may
-- log in, portal sessions, what a contact may see, replies and new requests,
-- one-time links (register, reset, confirm) and their emails.
--
-- The portal's settings live in docketd's configuration and are passed in:
--   p_access      'list' (members of the list p_list) or 'self_registration'
--   p_list        the access list's name (portal.access_list), any case
--   p_visibility  'company' (a contact sees their company's tickets too);
--                 anything else is 'own'
--   p_pipelines   the pipelines the portal shows; NULL: every pipeline
-- p_contact is the logged-in contact (from portal_session_get).  A ticket or
-- attachment the contact may not see raises exactly what one that does not
-- exist raises (DK404 'ticket N not found', 'attachment N not found'), so
-- that the two cannot be told apart.  Nothing here reads the note table.
-- Tokens are made by the caller (dk_token_new: 43 characters of base64url);
-- only their SHA-256 is stored (portal_token_hash_, = dk_token_hash()).

-- ---- access -----------------------------------------------------------------

-- May this contact use the portal at all, password or not?  With 'list', a
-- member of p_list; with 'self_registration', any contact.  What a JWT
-- (portal_sso_find) and a live session (portal_session_get) need.
--
-- This and portal_visible_ are PL/pgSQL, not SQL: a SQL function with a
-- subquery cannot be inlined, and called from PL/pgSQL it is parsed and
-- planned again in every transaction, that is on every portal page.
CREATE OR REPLACE FUNCTION portal_access_(p_contact bigint, p_access text, p_list text)
RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN CASE p_access
           WHEN 'self_registration' THEN EXISTS (SELECT 1 FROM contact WHERE id = p_contact)
           WHEN 'list' THEN EXISTS (SELECT 1 FROM list_member m JOIN list l ON l.id = m.list_id
                                     WHERE m.contact_id = p_contact
                                       AND lower(l.name) = lower(p_list))
           ELSE false END;
END
$$;

-- May this contact log in with a password: registered (registered_at, which
-- a sign-up gets only when its address is confirmed), with a password, and
-- with access (portal_access_).
CREATE OR REPLACE FUNCTION portal_allowed(p_contact bigint, p_access text, p_list text)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM contact
                    WHERE id = p_contact AND password_hash IS NOT NULL
                      AND registered_at IS NOT NULL)
           AND portal_access_(p_contact, p_access, p_list)
$$;

-- The password to check for a login: one row for an allowed contact with
-- that email (any case), none for anyone else.
CREATE OR REPLACE FUNCTION portal_login_find(p_email text, p_access text, p_list text)
RETURNS TABLE (contact_id bigint, password_hash text) LANGUAGE sql STABLE AS $$
    SELECT c.id, c.password_hash FROM contact c
     WHERE lower(c.email) = lower(p_email) AND portal_allowed(c.id, p_access, p_list)
$$;

-- The contact a JWT's email claim names: with 'list', a member of p_list
-- (no password needed: the identity provider vouches); with
-- 'self_registration', any contact with that email.  NULL otherwise.
CREATE OR REPLACE FUNCTION portal_sso_find(p_email text, p_access text, p_list text)
RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT c.id FROM contact c
     WHERE lower(c.email) = lower(p_email) AND portal_access_(c.id, p_access, p_list)
$$;

-- ---- sessions ---------------------------------------------------------------

-- A new portal session (token made by the caller, its hash stored); with a
-- login attempt (login_begin), that attempt succeeded (login_end) in the
-- same statement.  Returns the session's id.
CREATE OR REPLACE FUNCTION portal_session_new(p_contact bigint, p_token_hash bytea,
                                              p_attempt bigint)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    sid bigint;
BEGIN
    INSERT INTO session (token_hash, contact_id) VALUES (p_token_hash, p_contact)
    RETURNING id INTO sid;
    IF p_attempt IS NOT NULL THEN
        PERFORM login_end(p_attempt, true);
    END IF;
    RETURN sid;
END
$$;

-- The session a cookie's token names, with its contact, when the contact
-- still has access (portal_access_) and the session was seen within
-- p_idle (NULL: no idle limit).  A session past p_idle, or whose contact
-- lost access, is deleted and gives no row.  last_seen_at is written at
-- most every 10 seconds (most page views then write nothing), so a
-- session may end up to 10 s before p_idle is over, never after.
CREATE OR REPLACE FUNCTION portal_session_get(p_token_hash bytea, p_idle interval,
                                              p_access text, p_list text,
                                              p_touch boolean DEFAULT true)
RETURNS TABLE (session_id bigint, contact_id bigint, email text, first_name text,
               last_name text, company_id bigint, company_name text, language text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    s session;
BEGIN
    SELECT * INTO s FROM session
     WHERE token_hash = p_token_hash AND contact_id IS NOT NULL;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF s.last_seen_at <= now() - p_idle OR NOT portal_access_(s.contact_id, p_access, p_list) THEN
        DELETE FROM session WHERE id = s.id;
        RETURN;
    END IF;
    -- A live page's stream coming back (p_touch false) is not the
    -- contact at work: it does not keep the session from idling out.
    IF p_touch AND s.last_seen_at < now() - interval '10 seconds' THEN
        UPDATE session SET last_seen_at = now() WHERE id = s.id;
    END IF;
    RETURN QUERY
        SELECT s.id, c.id, c.email, c.first_name, c.last_name, c.company_id, co.name,
               c.language
          FROM contact c LEFT JOIN company co ON co.id = c.company_id
         WHERE c.id = s.contact_id;
END
$$;

-- Log out (SPEC section 8: logout ends all of that contact's sessions and
-- cancels their unused links).  A staff session's id does nothing here.
CREATE OR REPLACE FUNCTION portal_logout(p_session bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    cid bigint;
BEGIN
    SELECT contact_id INTO cid FROM session WHERE id = p_session;
    IF cid IS NOT NULL THEN
        PERFORM session_end(p_contact => cid);
        PERFORM contact_tokens_cancel_(cid, 'cancelled: logged out');
    END IF;
END
$$;

-- ---- what a contact sees ----------------------------------------------------

-- May p_contact see ticket t: their own, or (company visibility) their
-- company's; in a pipeline the portal shows.  Never NULL: for a contact
-- without a company the comparison is NULL, and NOT NULL would let
-- portal_ticket_get_ show them every company's tickets.
CREATE OR REPLACE FUNCTION portal_visible_(t ticket, p_contact bigint, p_visibility text,
                                           p_pipelines text[])
RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN coalesce((p_pipelines IS NULL OR t.pipeline = ANY (p_pipelines))
                    AND (t.contact_id = p_contact
                         OR (p_visibility = 'company' AND t.company_id IS NOT NULL
                             AND t.company_id = (SELECT company_id FROM contact
                                                  WHERE id = p_contact))), false);
END
$$;

-- The ticket, locked when p_lock, if p_contact may see it; else DK404 with
-- the message of a ticket that does not exist.
CREATE OR REPLACE FUNCTION portal_ticket_get_(p_contact bigint, p_visibility text,
                                              p_pipelines text[], p_id bigint, p_lock boolean)
RETURNS ticket LANGUAGE plpgsql AS $$
DECLARE
    t ticket;
BEGIN
    IF p_lock THEN
        SELECT * INTO t FROM ticket WHERE id = p_id FOR UPDATE;
    ELSE
        SELECT * INTO t FROM ticket WHERE id = p_id;
    END IF;
    IF t.id IS NULL OR NOT portal_visible_(t, p_contact, p_visibility, p_pipelines) THEN
        RAISE EXCEPTION 'ticket % not found', p_id USING ERRCODE = 'DK404';
    END IF;
    RETURN t;
END
$$;

-- The ticket list: rows, newest last activity first, of id, subject,
-- created, last_activity, closed, closed_at, pipeline, stage, stage_name,
-- contact_name, mine (rows, not a jsonb array: building the objects of a
-- contact's 20 open requests took 0.4 of the list's 0.6 ms).  p_view
-- 'mine' (NULL) is the contact's own tickets; 'company' adds their
-- company's, with company visibility and a company (else it is 'mine').  p_status 'open', 'closed' or 'all'.  p_q (NULL or
-- blank: everything) is found, regardless of case, in the subject, the
-- description or a message of the conversation.  At most p_limit (NULL:
-- all).
--
-- Plan: the contact's tickets come from ticket_contact (contact_id, ...)
-- and their company's from ticket_company (company_id, ...), a BitmapOr of
-- the two (for the contact's own, the company side finds nothing); then a
-- filter and a top-N sort of that set (a contact's own: hundreds; a
-- school's: thousands at most); only the rows shown look up their stage's
-- and contact's names, by primary key (as joins, a generic plan that
-- guesses the LIMIT's rows hashed the whole contact table).  OFFSET 0 keeps
-- the set so: without it, for status open the planner ANDs the BitmapOr
-- with ticket_view_open, every open ticket of the helpdesk (34,000 at
-- 1,000,000 tickets: 4 ms instead of 0.3).  An index on last_activity_at
-- would save the sort but would make every version bump (notes, replies) a
-- non-HOT update of the million-row table.  The search of messages is a
-- scalar subquery, one index probe per candidate: as EXISTS, a generic
-- plan hashes every matching message of the helpdesk instead.  The plan is
-- the generic one (force_generic_plan): each custom plan cost as much to
-- make as the list costs to run, and the planner, costing the generic
-- plan's filters on parameters too high, would otherwise make one for
-- every page.
CREATE OR REPLACE FUNCTION portal_tickets(p_contact bigint, p_visibility text,
                                          p_pipelines text[], p_view text, p_status text,
                                          p_q text, p_limit integer)
RETURNS TABLE (id bigint, subject text, created text, last_activity text, closed boolean,
               closed_at text, pipeline text, stage text, stage_name text,
               contact_name text, mine boolean)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
DECLARE
    co bigint;
    pat text;
BEGIN
    IF p_status IS NULL OR p_status NOT IN ('open', 'closed', 'all') THEN
        RAISE EXCEPTION 'status "%" is not one of open, closed, all', p_status
            USING ERRCODE = 'DK400';
    END IF;
    IF coalesce(p_view, 'mine') NOT IN ('mine', 'company') THEN
        RAISE EXCEPTION 'view "%" is not one of mine, company', p_view USING ERRCODE = 'DK400';
    END IF;
    IF p_limit < 0 THEN
        RAISE EXCEPTION 'limit % is negative', p_limit USING ERRCODE = 'DK400';
    END IF;
    IF p_view = 'company' AND p_visibility = 'company' THEN
        SELECT company_id INTO co FROM contact WHERE id = p_contact;
    END IF;
    IF btrim(coalesce(p_q, '')) <> '' THEN
        pat := '%' || replace(replace(replace(btrim(p_q), '\', '\\'), '%', '\%'), '_', '\_')
               || '%';
    END IF;
    RETURN QUERY
    SELECT t.id, t.subject, iso(t.created_at), iso(t.last_activity_at), t.closed,
           iso(t.closed_at), t.pipeline, t.stage,
           (SELECT st.name FROM stage st WHERE st.pipeline = t.pipeline AND st.id = t.stage),
           (SELECT btrim(c.first_name || ' ' || c.last_name)
              FROM contact c WHERE c.id = t.contact_id),
           t.contact_id = p_contact
      FROM (SELECT t.*
              FROM (SELECT id, subject, description, created_at, last_activity_at,
                           closed, closed_at, pipeline, stage, contact_id
                      FROM ticket
                     WHERE contact_id = p_contact OR company_id = co
                    OFFSET 0) t
             WHERE t.contact_id IS NOT NULL
               AND (p_pipelines IS NULL OR t.pipeline = ANY (p_pipelines))
               AND (p_status = 'all' OR t.closed = (p_status = 'closed'))
               AND (pat IS NULL OR t.subject ILIKE pat OR t.description ILIKE pat
                    OR coalesce((SELECT true FROM message m
                                  WHERE m.ticket_id = t.id AND m.body ILIKE pat
                                  LIMIT 1), false))
             ORDER BY t.last_activity_at DESC, t.id DESC
             LIMIT p_limit) t
     ORDER BY t.last_activity_at DESC, t.id DESC;
END
$$;

-- One message of a conversation as the portal shows it: who wrote it (the
-- staff member's name, or the contact's, the ticket's contact when the
-- message names none), when, its text and its files.  PL/pgSQL, not SQL:
-- PostgreSQL cannot inline a SQL function with subqueries, and parses and
-- plans its body again in every statement that calls it (0.19 ms of a
-- ticket page's 0.58 per message); PL/pgSQL keeps the plan.
CREATE OR REPLACE FUNCTION portal_message_json_(m message, p_ticket_contact bigint)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN jsonb_build_object(
        'id', m.id, 'direction', m.direction,
        'author', CASE WHEN m.direction = 'out'
                       THEN (SELECT name FROM staff WHERE id = m.author_staff_id)
                       ELSE (SELECT coalesce(nullif(btrim(a.first_name || ' ' || a.last_name), ''),
                                             a.email)
                               FROM contact a
                              WHERE a.id = coalesce(m.author_contact_id, p_ticket_contact)) END,
        'created', iso(m.created_at), 'body', m.body, 'source', m.source,
        'attachments', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'id', x.id, 'filename', x.filename,
                       'content_type', x.content_type, 'size', x.size)
                       ORDER BY x.id)
              FROM attachment x
             WHERE x.message_id = m.id AND x.ticket_id = m.ticket_id), '[]'));
END
$$;

-- One ticket and its conversation (never its notes): {id, subject,
-- description, priority, created, last_activity, closed, closed_at,
-- pipeline, stage, stage_name, contact_name, messages: [{id, direction,
-- author, created, body, source, attachments: [{id, filename,
-- content_type, size}]}]}, messages in conversation order.  author is the
-- staff member's display name (out) or the contact's name (in).  Only
-- attachments that came with a message are shown: the others may be
-- staff-internal.
CREATE OR REPLACE FUNCTION portal_ticket(p_contact bigint, p_visibility text,
                                         p_pipelines text[], p_id bigint)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    t ticket := portal_ticket_get_(p_contact, p_visibility, p_pipelines, p_id, false);
BEGIN
    RETURN (
    SELECT jsonb_build_object(
        'id', t.id, 'subject', t.subject, 'description', t.description,
        'priority', t.priority, 'created', iso(t.created_at),
        'last_activity', iso(t.last_activity_at), 'closed', t.closed,
        'closed_at', iso(t.closed_at), 'pipeline', t.pipeline, 'stage', t.stage,
        'stage_name', st.name, 'contact_name', btrim(c.first_name || ' ' || c.last_name),
        'messages', coalesce((
            SELECT jsonb_agg(portal_message_json_(m, t.contact_id) ORDER BY m.created_at, m.id)
              FROM message m WHERE m.ticket_id = t.id), '[]'))
      FROM stage st, contact c
     WHERE st.pipeline = t.pipeline AND st.id = t.stage AND c.id = t.contact_id);
END
$$;

-- What the live pages show of a change, beyond the event's own summary
-- (SPEC section 8, GET /events; server/portal/stream.c): the name of the
-- ticket's stage and whether it is a closed one, and, with p_message, the
-- new message of the conversation (as portal_ticket() shows it) when it is
-- one of that ticket's; and whose the ticket is now (contact, company,
-- pipeline).  Who may see it is checked by the caller for each contact
-- listening, against the event's summary and against these; this asks
-- only once per change however many listen.
CREATE OR REPLACE FUNCTION portal_event_(p_ticket bigint, p_pipeline text, p_stage text,
                                         p_message bigint)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        -- Whose the ticket is now, for pages that hear the change later.
        'contact', (SELECT contact_id FROM ticket WHERE id = p_ticket),
        'company', (SELECT company_id FROM ticket WHERE id = p_ticket),
        'pipeline', (SELECT pipeline FROM ticket WHERE id = p_ticket),
        'stage_name', (SELECT name FROM stage WHERE pipeline = p_pipeline AND id = p_stage),
        'closed', coalesce((SELECT is_closed FROM stage
                             WHERE pipeline = p_pipeline AND id = p_stage), false),
        'message', (SELECT portal_message_json_(m, t.contact_id)
                      FROM message m JOIN ticket t ON t.id = m.ticket_id
                     WHERE m.id = p_message AND m.ticket_id = p_ticket))
$$;

-- A download: the attachment when it came with a message of a ticket the
-- contact may see; else DK404, as for one that does not exist.
CREATE OR REPLACE FUNCTION portal_attachment(p_contact bigint, p_visibility text,
                                             p_pipelines text[], p_id bigint)
RETURNS TABLE (filename text, content_type text, size bigint, content bytea)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
        SELECT x.filename, x.content_type, x.size, x.content
          FROM attachment x JOIN ticket t ON t.id = x.ticket_id
         WHERE x.id = p_id AND x.message_id IS NOT NULL
           AND portal_visible_(t, p_contact, p_visibility, p_pipelines);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'attachment % not found', p_id USING ERRCODE = 'DK404';
    END IF;
END
$$;

-- ---- replies and new requests -------------------------------------------------

-- The files of a reply or a new request: the three arrays, one element per
-- file, must have one length; DK400 otherwise, or for a file without
-- content.  Returns how many files there are.
CREATE OR REPLACE FUNCTION portal_files_check_(p_names text[], p_types text[], p_contents bytea[])
RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    n integer := coalesce(cardinality(p_contents), 0);
BEGIN
    IF coalesce(cardinality(p_names), 0) <> n OR coalesce(cardinality(p_types), 0) <> n THEN
        RAISE EXCEPTION 'the files'' names, types and contents are not as many (% names, % types, % contents)',
                        coalesce(cardinality(p_names), 0), coalesce(cardinality(p_types), 0), n
            USING ERRCODE = 'DK400';
    END IF;
    IF array_position(p_contents, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'a file has no content' USING ERRCODE = 'DK400';
    END IF;
    RETURN n;
END
$$;

-- Store the files, each tied to message p_message (the attachment_clean
-- trigger makes names and types safe), in the order given.
CREATE OR REPLACE FUNCTION portal_files_(p_ticket bigint, p_message bigint, p_names text[],
                                         p_types text[], p_contents bytea[])
RETURNS void LANGUAGE sql AS $$
    INSERT INTO attachment (ticket_id, message_id, filename, content_type, size, sha256, content)
    SELECT p_ticket, p_message, coalesce(f.name, ''), coalesce(f.type, ''),
           length(f.content), sha256(f.content), f.content
      FROM unnest(p_names, p_types, p_contents) WITH ORDINALITY AS f (name, type, content, i)
     ORDER BY f.i
$$;

-- A contact's reply from the portal: any contact who may see the ticket
-- may answer it (its author is p_contact).  DK404 when they may not see it;
-- DK400 without a body or a file; a ticket closed more than
-- p_reopen_within ago (NULL: any closed ticket) is DK409, one closed more
-- recently is reopened (in_progress with an owner, else new; a 'reopened'
-- event by the contact).  Then the rules every contact reply follows
-- (message_from_contact: the owner's client_reply notification and email,
-- waiting_on_contact back to in_progress, one version bump, the
-- message_received event, the wake-up) and the files, tied to the message.
-- Returns the message's id.
CREATE OR REPLACE FUNCTION portal_reply(p_contact bigint, p_visibility text, p_pipelines text[],
                                        p_ticket bigint, p_body text, p_reopen_within interval,
                                        p_names text[], p_types text[], p_contents bytea[])
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n integer := portal_files_check_(p_names, p_types, p_contents);
    old ticket;
    t ticket;
    mid bigint;
BEGIN
    IF btrim(coalesce(p_body, '')) = '' AND n = 0 THEN
        RAISE EXCEPTION 'a reply needs a message or a file' USING ERRCODE = 'DK400';
    END IF;
    IF length(p_body) > 1000000 THEN
        RAISE EXCEPTION 'a reply may be at most 1000000 characters' USING ERRCODE = 'DK400';
    END IF;
    old := portal_ticket_get_(p_contact, p_visibility, p_pipelines, p_ticket, true);
    t := old;
    IF old.closed THEN
        IF p_reopen_within IS NULL OR old.closed_at < now() - p_reopen_within THEN
            RAISE EXCEPTION 'ticket % was closed on %; send a new request', p_ticket,
                            to_char(old.closed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')
                USING ERRCODE = 'DK409';
        END IF;
        t.pipeline := 'support';
        t.stage := CASE WHEN old.owner_id IS NULL THEN 'new' ELSE 'in_progress' END;
    END IF;
    mid := message_from_contact(old, t, p_contact, coalesce(p_body, ''), 'portal', NULL, NULL);
    PERFORM portal_files_(p_ticket, mid, p_names, p_types, p_contents);
    RETURN mid;
END
$$;

-- A new request from the portal: the ticket (ticket_create, source
-- 'portal': Unassigned, its ticket.created event), the description as the
-- conversation's first message (as mail-in does for an email), the files
-- tied to it, the servers woken.  Returns the ticket's id.
CREATE OR REPLACE FUNCTION portal_ticket_new(p_contact bigint, p_subject text,
                                             p_description text, p_priority text,
                                             p_names text[], p_types text[],
                                             p_contents bytea[])
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n integer := portal_files_check_(p_names, p_types, p_contents);
    tid bigint;
    mid bigint;
BEGIN
    IF length(p_subject) > 300 THEN
        RAISE EXCEPTION 'a subject may be at most 300 characters' USING ERRCODE = 'DK400';
    END IF;
    IF length(p_description) > 100000 THEN
        RAISE EXCEPTION 'a description may be at most 100000 characters' USING ERRCODE = 'DK400';
    END IF;
    tid := (ticket_create(p_contact, p_subject, p_description, coalesce(p_priority, 'medium'),
                          'portal', NULL)->>'id')::bigint;
    INSERT INTO message (ticket_id, direction, author_contact_id, body, source)
    VALUES (tid, 'in', p_contact, coalesce(p_description, ''), 'portal')
    RETURNING id INTO mid;
    IF n > 0 THEN
        PERFORM portal_files_(tid, mid, p_names, p_types, p_contents);
    END IF;
    PERFORM pg_notify('docket_wake', '');
    RETURN tid;
END
$$;

-- ---- one-time links -----------------------------------------------------------

-- What is stored for a token: SHA-256 of its text (dk_token_hash()).
CREATE OR REPLACE FUNCTION portal_token_hash_(p_token text) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT sha256(convert_to(p_token, 'UTF8'))
$$;

-- A token for a link must be URL-safe text of a sensible length
-- (dk_token_new() makes 43 characters of base64url): DK400 otherwise.
CREATE OR REPLACE FUNCTION portal_token_check_(p_token text) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF p_token IS NULL OR p_token !~ '^[A-Za-z0-9_-]{32,128}$' THEN
        RAISE EXCEPTION 'a link token must be 32 to 128 characters of base64url'
            USING ERRCODE = 'DK400';
    END IF;
END
$$;

-- Spend a token: marked used, once (the UPDATE re-checks its row after any
-- concurrent one, so two uses at once give one contact).  NULLs when the
-- token is unknown, used, expired or for another purpose.
CREATE OR REPLACE FUNCTION portal_token_take_(p_token_hash bytea, p_purpose text,
                                              OUT contact_id bigint, OUT password_hash text)
LANGUAGE sql AS $$
    UPDATE contact_token k SET used_at = now()
     WHERE k.token_hash = p_token_hash AND k.purpose = p_purpose
       AND k.used_at IS NULL AND k.expires_at > now()
    RETURNING k.contact_id, k.password_hash
$$;

-- A token still usable for p_purpose (for the page its link opens), not spent.
CREATE OR REPLACE FUNCTION portal_token_peek(p_token_hash bytea, p_purpose text)
RETURNS TABLE (contact_id bigint, email text, first_name text) LANGUAGE sql STABLE AS $$
    SELECT c.id, c.email, c.first_name
      FROM contact_token k JOIN contact c ON c.id = k.contact_id
     WHERE k.token_hash = p_token_hash AND k.purpose = p_purpose
       AND k.used_at IS NULL AND k.expires_at > now()
$$;

-- A new link of one purpose for a contact: their unused older ones of that
-- purpose stop working, and an email for one of them still unsent is not
-- sent.  Returns when the new one expires.
CREATE OR REPLACE FUNCTION portal_token_replace_(p_contact bigint, p_purpose text,
                                                 p_token text, p_valid interval,
                                                 p_password_hash text)
RETURNS timestamptz LANGUAGE plpgsql AS $$
DECLARE
    v_kind text := CASE p_purpose WHEN 'register' THEN 'portal_registration'
                                WHEN 'reset' THEN 'password_reset'
                                WHEN 'confirm' THEN 'signup_confirm' END;
    exp timestamptz;
BEGIN
    PERFORM portal_token_check_(p_token);
    DELETE FROM contact_token
     WHERE contact_id = p_contact AND purpose = p_purpose AND used_at IS NULL;
    UPDATE outbox o SET failed_at = now(), last_error = 'cancelled: a newer link was sent',
                        body = outbox_scrub(o.body)
      FROM contact c
     WHERE c.id = p_contact AND lower(o.to_addr) = lower(c.email) AND o.kind = v_kind
       AND o.sent_at IS NULL AND o.failed_at IS NULL;
    INSERT INTO contact_token (token_hash, contact_id, purpose, expires_at, password_hash)
    VALUES (portal_token_hash_(p_token), p_contact, p_purpose, now() + p_valid, p_password_hash)
    RETURNING expires_at INTO exp;
    RETURN exp;
END
$$;

-- The emailed link's address: base_url (any trailing '/' dropped), the
-- route, the token.
CREATE OR REPLACE FUNCTION portal_link_(p_base_url text, p_route text, p_token text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT rtrim(p_base_url, '/') || p_route || '?token=' || p_token
$$;

-- Queue one of the portal's emails (system template p_kind) to a contact.
CREATE OR REPLACE FUNCTION portal_email_(p_contact bigint, p_kind text, p_vars jsonb)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO outbox (kind, to_addr, to_name, subject, body)
    SELECT p_kind, c.email, btrim(c.first_name || ' ' || c.last_name), e.subject, e.body
      FROM contact c,
           email_text_in(p_kind, jsonb_build_object('contact.first_name', c.first_name) || p_vars,
                         c.language) e
     WHERE c.id = p_contact
$$;

-- The registration link (docketctl list add-member to the access list,
-- docketctl contact invite): a new 'register' token valid p_days days (older
-- unused ones cancelled) and the 'portal_registration' email with
-- base_url/register?token=.  Returns when the link expires.
CREATE OR REPLACE FUNCTION portal_invite(p_contact bigint, p_token text, p_base_url text,
                                         p_title text, p_days integer)
RETURNS timestamptz LANGUAGE plpgsql AS $$
DECLARE
    exp timestamptz;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM contact WHERE id = p_contact) THEN
        RAISE EXCEPTION 'contact % does not exist', p_contact USING ERRCODE = 'DK404';
    END IF;
    IF p_days IS NULL OR p_days < 1 THEN
        RAISE EXCEPTION 'a registration link must be valid for at least one day'
            USING ERRCODE = 'DK400';
    END IF;
    exp := portal_token_replace_(p_contact, 'register', p_token, make_interval(days => p_days),
                                 NULL);
    PERFORM portal_email_(p_contact, 'portal_registration',
                          jsonb_build_object('portal.title', p_title, 'link.days', p_days::text,
                                             'link.url', portal_link_(p_base_url, '/register', p_token)));
    RETURN exp;
END
$$;

-- Registration from the emailed link: the 'register' token spent, the
-- password set (registered_at kept when there is one), the contact's other
-- sessions ended and other unused links cancelled.  The contact, or NULL
-- when the token is not usable.
CREATE OR REPLACE FUNCTION portal_register(p_token_hash bytea, p_password_hash text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    cid bigint;
BEGIN
    IF btrim(coalesce(p_password_hash, '')) = '' THEN
        RAISE EXCEPTION 'a password hash is required' USING ERRCODE = 'DK400';
    END IF;
    SELECT k.contact_id INTO cid FROM portal_token_take_(p_token_hash, 'register') k;
    IF cid IS NULL THEN
        RETURN NULL;
    END IF;
    UPDATE contact SET password_hash = p_password_hash,
                       registered_at = coalesce(registered_at, now())
     WHERE id = cid;
    PERFORM session_end(p_contact => cid);
    PERFORM contact_tokens_cancel_(cid, 'cancelled: registered');
    RETURN cid;
END
$$;

-- Whether another link of p_kind may be mailed to p_contact: at most 5 an
-- hour, so that a stranger repeating /reset or /signup cannot flood the
-- address (the page answers the same either way).
CREATE OR REPLACE FUNCTION portal_mail_quota_(p_contact bigint, p_kind text)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT count(*) < 5
      FROM contact c, outbox o
     WHERE c.id = p_contact AND lower(o.to_addr) = lower(c.email)
       AND o.kind = p_kind AND o.created_at > now() - interval '1 hour'
$$;

-- "Forgot my password": for a contact who may log in (portal_allowed), a
-- 'reset' token for 1 hour (older unused ones cancelled) and the
-- 'password_reset' email with base_url/reset/confirm?token=.  For any
-- other address nothing happens, and no error: the page answers the same.
CREATE OR REPLACE FUNCTION portal_reset_request(p_email text, p_access text, p_list text,
                                                p_token text, p_base_url text, p_title text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    cid bigint;
BEGIN
    PERFORM portal_token_check_(p_token);
    SELECT id INTO cid FROM contact WHERE lower(email) = lower(p_email);
    IF cid IS NULL OR NOT portal_allowed(cid, p_access, p_list)
       OR NOT portal_mail_quota_(cid, 'password_reset') THEN
        RETURN;
    END IF;
    PERFORM portal_token_replace_(cid, 'reset', p_token, interval '1 hour', NULL);
    PERFORM portal_email_(cid, 'password_reset',
                          jsonb_build_object('portal.title', p_title,
                                             'link.url', portal_link_(p_base_url, '/reset/confirm', p_token)));
END
$$;

-- The reset link followed: the 'reset' token spent, the new password set,
-- ALL the contact's sessions ended, their unused links cancelled.  The
-- contact, or NULL when the token is not usable.
CREATE OR REPLACE FUNCTION portal_reset_finish(p_token_hash bytea, p_password_hash text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    cid bigint;
BEGIN
    IF btrim(coalesce(p_password_hash, '')) = '' THEN
        RAISE EXCEPTION 'a password hash is required' USING ERRCODE = 'DK400';
    END IF;
    SELECT k.contact_id INTO cid FROM portal_token_take_(p_token_hash, 'reset') k;
    IF cid IS NULL THEN
        RETURN NULL;
    END IF;
    UPDATE contact SET password_hash = p_password_hash WHERE id = cid;
    PERFORM session_end(p_contact => cid);
    PERFORM contact_tokens_cancel_(cid, 'cancelled: password changed');
    RETURN cid;
END
$$;

-- Self-registration.  An unknown address becomes a contact (no company,
-- not registered); a contact not yet registered keeps their row; both get a
-- 'confirm' token for 24 hours (older unused ones cancelled) holding the
-- chosen password, and the 'signup_confirm' email with
-- base_url/signup/confirm?token=.  The password is the account's only when
-- that link is followed (portal_signup_confirm), so nobody can sign up in
-- another's name, nor replace the password of a sign-up in progress.  A
-- registered contact gets nothing and no error (the page answers the same).
-- DK400 for an address the contact table would refuse, names over 100
-- characters, no password hash.
CREATE OR REPLACE FUNCTION portal_signup(p_email text, p_first text, p_last text,
                                         p_password_hash text, p_token text,
                                         p_base_url text, p_title text,
                                         p_language text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    addr text := btrim(coalesce(p_email, ''));
    cid bigint;
    reg timestamptz;
BEGIN
    IF addr !~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$' OR length(addr) > 254 THEN
        RAISE EXCEPTION 'email "%" is not an address', addr USING ERRCODE = 'DK400';
    END IF;
    IF length(p_first) > 100 OR length(p_last) > 100 THEN
        RAISE EXCEPTION 'a name may be at most 100 characters' USING ERRCODE = 'DK400';
    END IF;
    IF btrim(coalesce(p_password_hash, '')) = '' THEN
        RAISE EXCEPTION 'a password hash is required' USING ERRCODE = 'DK400';
    END IF;
    PERFORM portal_token_check_(p_token);
    -- A new contact speaks the sign-up page's language; one that exists
    -- keeps its own (a stranger's sign-up changes nothing of it).
    INSERT INTO contact (email, first_name, last_name, language, language_chosen)
    VALUES (addr, btrim(coalesce(p_first, '')), btrim(coalesce(p_last, '')),
            coalesce(p_language, 'en'), p_language IS NOT NULL)
    ON CONFLICT ((lower(email))) DO NOTHING;
    SELECT id, registered_at INTO cid, reg FROM contact
     WHERE lower(email) = lower(addr) FOR UPDATE;
    IF reg IS NOT NULL OR NOT portal_mail_quota_(cid, 'signup_confirm') THEN
        RETURN;
    END IF;
    PERFORM portal_token_replace_(cid, 'confirm', p_token, interval '24 hours',
                                  p_password_hash);
    PERFORM portal_email_(cid, 'signup_confirm',
                          jsonb_build_object('portal.title', p_title,
                                             'link.url', portal_link_(p_base_url, '/signup/confirm', p_token)));
END
$$;

-- The sign-up's emailed link followed: the 'confirm' token spent, the
-- password it holds set, registered_at set (an earlier one kept); other
-- sessions end and other unused links are cancelled.  The contact, or NULL
-- when the token is not usable.
CREATE OR REPLACE FUNCTION portal_signup_confirm(p_token_hash bytea)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    cid bigint;
    ph text;
BEGIN
    SELECT k.contact_id, k.password_hash INTO cid, ph
      FROM portal_token_take_(p_token_hash, 'confirm') k;
    IF cid IS NULL THEN
        RETURN NULL;
    END IF;
    UPDATE contact SET password_hash = coalesce(ph, password_hash),
                       registered_at = coalesce(registered_at, now())
     WHERE id = cid;
    PERFORM session_end(p_contact => cid);
    PERFORM contact_tokens_cancel_(cid, 'cancelled: account confirmed');
    RETURN cid;
END
$$;

-- ---- languages ----------------------------------------------------------------

-- The contact's language, chosen in the portal (POST /language); the code
-- is one of portal.languages, checked by docketd.
CREATE OR REPLACE FUNCTION portal_language_set(p_contact bigint, p_language text)
RETURNS text LANGUAGE sql AS $$
    UPDATE contact SET language = p_language, language_chosen = true
     WHERE id = p_contact RETURNING language
$$;

-- A single sign-on's page language becomes the contact's if they never
-- chose one (they may never register: the school's account is their way
-- in, and the first sign-in is their registration).
CREATE OR REPLACE FUNCTION portal_language_first(p_contact bigint, p_language text)
RETURNS void LANGUAGE sql AS $$
    UPDATE contact SET language = p_language, language_chosen = true
     WHERE id = p_contact AND NOT language_chosen AND p_language IS NOT NULL
$$;
