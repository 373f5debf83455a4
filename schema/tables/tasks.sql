-- tasks.sql - follow-ups for one staff member, and what staff are notified of.

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
                 CHECK (kind IN ('mention', 'graphics_complete', 'task_reminder', 'assigned',
                                 'client_reply', 'mail_failed')),
    ticket_id    bigint REFERENCES ticket (id) ON DELETE CASCADE,
    note_id      bigint REFERENCES note (id) ON DELETE CASCADE,
    task_id      bigint REFERENCES task (id) ON DELETE CASCADE,
    by_staff_id  bigint REFERENCES staff (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    read_at      timestamptz
);
CREATE INDEX notification_unread ON notification (staff_id, id) WHERE read_at IS NULL;
CREATE INDEX notification_staff ON notification (staff_id, id);
