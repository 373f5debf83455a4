-- ticket_workflow.sql - the workflow of SPEC section 3: create, claim, assign,
-- graphics, close, reopen, move, priority; one statement each.

-- A new ticket in the support pipeline's default stage, with its
-- 'ticket.created' event; p_by is the staff member who entered it (NULL
-- when the contact did, through the portal or by email).
CREATE OR REPLACE FUNCTION ticket_create(p_contact_id bigint, p_subject text,
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

CREATE OR REPLACE FUNCTION ticket_claim(p_actor bigint, p_id bigint, p_version integer)
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
    t := old;
    t.owner_id := a.id;
    t.stage := CASE WHEN old.stage = 'new' THEN 'in_progress' ELSE old.stage END;
    t := ticket_update(t);
    RETURN ticket_changed(old, t, p_actor, 'claimed');
END
$$;

CREATE OR REPLACE FUNCTION ticket_unclaim(p_actor bigint, p_id bigint, p_version integer)
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
    t := old;
    t.owner_id := NULL;
    t.stage := 'new';
    t := ticket_update(t);
    RETURN ticket_changed(old, t, p_actor, 'unclaimed');
END
$$;

CREATE OR REPLACE FUNCTION ticket_assign(p_actor bigint, p_id bigint, p_version integer, p_owner text)
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
    t := old;
    t.owner_id := o.id;
    t.stage := CASE WHEN o.id IS NOT NULL AND old.stage = 'new' THEN 'in_progress'
                    WHEN o.id IS NULL AND old.pipeline = 'support' THEN 'new'
                    ELSE old.stage END;
    t := ticket_update(t);
    IF o.id IS NOT NULL AND o.id <> a.id THEN
        -- A live notification; no email (SPEC section 7 lists none for it).
        PERFORM notify_staff(o.id, 'assigned', p_id, NULL, NULL, a.id, NULL);
    END IF;
    RETURN ticket_changed(old, t, p_actor, 'assigned');
END
$$;

CREATE OR REPLACE FUNCTION ticket_hand_to_graphics(p_actor bigint, p_id bigint, p_version integer)
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
    t := old;
    t.pipeline := 'graphics';
    t.stage := (SELECT id FROM stage WHERE pipeline = 'graphics' AND is_default);
    t.graphics_owner_id := NULL;
    t := ticket_update(t);
    RETURN ticket_changed(old, t, a.id, 'handed_to_graphics');
END
$$;

CREATE OR REPLACE FUNCTION ticket_graphics_claim(p_actor bigint, p_id bigint, p_version integer)
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
    t := old;
    t.graphics_owner_id := a.id;
    t.stage := 'graphics_in_progress';
    t := ticket_update(t);
    RETURN ticket_changed(old, t, a.id, 'graphics_claimed');
END
$$;

CREATE OR REPLACE FUNCTION ticket_graphics_unclaim(p_actor bigint, p_id bigint, p_version integer)
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
    t := old;
    t.graphics_owner_id := NULL;
    t.stage := 'waiting_on_graphics';
    t := ticket_update(t);
    RETURN ticket_changed(old, t, a.id, 'graphics_unclaimed');
END
$$;

CREATE OR REPLACE FUNCTION ticket_graphics_complete(p_actor bigint, p_id bigint, p_version integer)
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
    t := old;
    t.stage := 'graphics_complete';
    t := ticket_update(t);
    IF t.owner_id IS NOT NULL THEN
        PERFORM notify_staff(t.owner_id, 'graphics_complete', p_id, NULL, NULL, a.id,
                             jsonb_build_object('ticket.id', p_id, 'ticket.subject', t.subject,
                                                'staff.name', a.name));
    END IF;
    RETURN ticket_changed(old, t, a.id, 'graphics_completed');
END
$$;

-- Who may close a ticket (SPEC section 1: content updaters close their
-- requests): its owner, an admin, or, while it has no owner (spam), any
-- content updater.  Refuses with DK403 naming the owner.
CREATE OR REPLACE FUNCTION require_close(a staff, t ticket) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM require_role(a, 'content');
    IF t.owner_id IS NOT NULL AND t.owner_id <> a.id AND NOT 'admin' = ANY (a.roles) THEN
        RAISE EXCEPTION 'ticket % is %''s: only they or an admin can close it',
                        t.id, staff_username(t.owner_id) USING ERRCODE = 'DK403';
    END IF;
END
$$;

-- The stages that a method of their own puts a ticket in, because it does
-- more than set the stage, with the role that method needs.  From the
-- functions in this file: graphics_claim (graphics_in_progress: the caller
-- becomes graphics owner) and graphics_complete (graphics_complete: the
-- owner is emailed) need graphics; the other stages a method sets (new,
-- in_progress, waiting_on_graphics) are content's, like tickets.move
-- itself, and a closed stage is tickets.close's (require_close()).
CREATE OR REPLACE FUNCTION stage_method(p_pipeline text, p_stage text,
                                        OUT method text, OUT role text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT m.method, m.role
      FROM (VALUES ('graphics', 'graphics_in_progress', 'tickets.graphics_claim', 'graphics'),
                   ('graphics', 'graphics_complete', 'tickets.graphics_complete', 'graphics'))
           AS m (pipeline, stage, method, role)
     WHERE m.pipeline = p_pipeline AND m.stage = p_stage
$$;

CREATE OR REPLACE FUNCTION ticket_close(p_actor bigint, p_id bigint, p_version integer)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    a staff := actor(p_actor);
    old ticket := ticket_lock(p_id, p_version);
    t ticket;
BEGIN
    PERFORM require_close(a, old);
    IF old.closed THEN
        RAISE EXCEPTION 'ticket % is already closed', p_id USING ERRCODE = 'DK422';
    END IF;
    t := old;
    t.pipeline := 'support';
    t.stage := 'closed';
    t := ticket_update(t);
    -- Threaded under the conversation, like a reply.
    INSERT INTO outbox (kind, to_addr, to_name, subject, body, ticket_id, in_reply_to, refs)
    SELECT 'closed', c.email, btrim(c.first_name || ' ' || c.last_name), e.subject, e.body,
           t.id, references_parent(r.refs), r.refs
      FROM contact c, (SELECT ticket_references(t.id) AS refs) r,
           email_text_in('closed', jsonb_build_object('ticket.id', t.id, 'ticket.subject', t.subject,
                                                      'contact.first_name', c.first_name),
                         c.language) e
     WHERE c.id = t.contact_id;
    RETURN ticket_changed(old, t, a.id, 'closed');
END
$$;

CREATE OR REPLACE FUNCTION ticket_reopen(p_actor bigint, p_id bigint, p_version integer)
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
    t := old;
    t.pipeline := 'support';
    t.stage := CASE WHEN old.owner_id IS NULL THEN 'new' ELSE 'in_progress' END;
    t := ticket_update(t);
    RETURN ticket_changed(old, t, a.id, 'reopened');
END
$$;

CREATE OR REPLACE FUNCTION ticket_move(p_actor bigint, p_id bigint, p_version integer,
                            p_pipeline text, p_stage text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    a staff := actor(p_actor);
    old ticket := ticket_lock(p_id, p_version);
    st stage;
    m_method text;
    m_role text;
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
    -- Moves that would skip a rule have their own methods: first who may
    -- reach the stage at all (DK403), then that the method must do it.
    SELECT method, role INTO m_method, m_role FROM stage_method(st.pipeline, st.id);
    IF m_role IS NOT NULL AND NOT has_role(a, m_role) THEN
        RAISE EXCEPTION 'only % updaters (or admins) put a ticket in % (with %)',
                        m_role, st.id, m_method USING ERRCODE = 'DK403';
    END IF;
    IF st.is_closed THEN
        PERFORM require_close(a, old);
    END IF;
    IF old.closed THEN
        RAISE EXCEPTION 'ticket % is closed; reopen it first', p_id USING ERRCODE = 'DK422';
    END IF;
    IF st.is_closed THEN
        RAISE EXCEPTION 'close ticket % with tickets.close, so the client is told', p_id
            USING ERRCODE = 'DK422';
    END IF;
    IF m_method IS NOT NULL AND NOT 'admin' = ANY (a.roles) THEN
        RAISE EXCEPTION 'put ticket % in % with %, which does the rest of that step',
                        p_id, st.id, m_method USING ERRCODE = 'DK422';
    END IF;
    IF st.id IN ('graphics_in_progress', 'graphics_complete')
       AND old.graphics_owner_id IS NULL THEN
        RAISE EXCEPTION 'ticket % has no graphics owner: a graphics updater claims it first', p_id
            USING ERRCODE = 'DK422';
    END IF;
    t := old;
    t.pipeline := st.pipeline;
    t.stage := st.id;
    IF st.id = 'waiting_on_graphics' THEN
        t.graphics_owner_id := NULL;
    END IF;
    t := ticket_update(t);
    RETURN ticket_changed(old, t, a.id, CASE WHEN old.pipeline = t.pipeline
                                             THEN 'stage_set' ELSE 'moved' END);
END
$$;

CREATE OR REPLACE FUNCTION ticket_set_stage(p_actor bigint, p_id bigint, p_version integer, p_stage text)
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

CREATE OR REPLACE FUNCTION ticket_set_priority(p_actor bigint, p_id bigint, p_version integer,
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
    t := old;
    t.priority := p_priority;
    t := ticket_update(t);
    RETURN ticket_changed(old, t, a.id, 'priority_set');
END
$$;
