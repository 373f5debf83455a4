-- events.sql - each ticket's timeline, and the change feed (SPEC section 6).
-- Writers only insert; xid records the writing transaction.  The sequencer
-- numbers rows (seq) once their transaction is below every snapshot's xmin,
-- in (xid, id) order, so the feed order is the same for every reader.

CREATE TABLE event (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    xid            xid8 NOT NULL DEFAULT pg_current_xact_id(),
    seq            bigint,                          -- unique: event_seq below
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
                                     'notified', 'follow_up', 'message_failed',
                                     'message_delivered')),
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
-- Unique where numbered: a row waiting for its number adds no entry here.
CREATE UNIQUE INDEX event_seq ON event (seq) WHERE seq IS NOT NULL;
CREATE INDEX event_unsequenced ON event (xid, id) WHERE seq IS NULL;
CREATE INDEX event_ticket ON event (ticket_id, id);
CREATE INDEX event_for_staff ON event (for_staff_id, id) WHERE for_staff_id IS NOT NULL;
