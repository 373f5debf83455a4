-- 0007_delivery.sql - failed email visible on its ticket: a staff reply's
-- delivery state (queued, sent, failed with the server's words), the
-- message_failed event, the author's mail_failed notification and its
-- email, and what the sender needs for threading and To: (the References
-- chain, the recipient's name) on the outbox row (tables/*.sql and
-- seed.sql hold the same for new databases; the functions are
-- schema/functions/email.sql).

ALTER TABLE message
    ADD COLUMN delivery text CHECK (delivery IN ('queued', 'sent', 'failed')),
    ADD COLUMN delivery_error text,
    ADD COLUMN delivery_at timestamptz,
    ADD CONSTRAINT message_delivery_out CHECK (delivery IS NULL OR direction = 'out'),
    ADD CONSTRAINT message_delivery_error CHECK (delivery_error IS NULL OR delivery = 'failed');

-- Staff replies so far: what their outbox row says.  One without a row
-- (none should exist) keeps what its ticket said until now: sent.
UPDATE message m
   SET delivery = CASE WHEN o.sent_at IS NOT NULL THEN 'sent'
                       WHEN o.failed_at IS NOT NULL THEN 'failed'
                       ELSE 'queued' END,
       delivery_error = CASE WHEN o.sent_at IS NULL AND o.failed_at IS NOT NULL
                             THEN coalesce(o.last_error, 'not delivered') END,
       delivery_at = coalesce(o.sent_at, o.failed_at)
  FROM outbox o
 WHERE m.direction = 'out' AND o.kind = 'reply' AND o.message_id = m.message_id;
UPDATE message SET delivery = 'sent' WHERE direction = 'out' AND delivery IS NULL;

ALTER TABLE outbox
    ADD COLUMN to_name text,
    ADD COLUMN refs text,
    DROP CONSTRAINT outbox_kind_check,
    ADD CONSTRAINT outbox_kind_check
        CHECK (kind IN ('mention', 'graphics_complete', 'closed', 'reply',
                        'portal_registration', 'password_reset',
                        'task_reminder', 'workflow_step',
                        'signup_confirm', 'client_reply', 'mail_failed'));
CREATE INDEX outbox_message_id ON outbox (message_id) WHERE message_id IS NOT NULL;

ALTER TABLE event
    DROP CONSTRAINT event_action_check,
    ADD CONSTRAINT event_action_check
        CHECK (action IN ('created', 'claimed', 'unclaimed', 'assigned',
                          'handed_to_graphics', 'graphics_claimed',
                          'graphics_unclaimed', 'graphics_completed',
                          'moved', 'stage_set', 'priority_set',
                          'closed', 'reopened', 'note_added',
                          'message_sent', 'message_received',
                          'task_added', 'task_done', 'attachment_added',
                          'notified', 'follow_up', 'message_failed',
                          'message_delivered'));

ALTER TABLE notification
    DROP CONSTRAINT notification_kind_check,
    ADD CONSTRAINT notification_kind_check
        CHECK (kind IN ('mention', 'graphics_complete', 'task_reminder', 'assigned',
                        'client_reply', 'mail_failed'));

-- As in seed.sql; a template an admin already made under this name is kept.
INSERT INTO email_template (folder, name, subject, body) VALUES
    ('system', 'mail_failed', '[#{{ticket.id}}] Not delivered: {{ticket.subject}}',
     E'Your email on ticket #{{ticket.id}} "{{ticket.subject}}" to {{mail.to}} '
     || E'was not delivered.  Their mail server said:\n\n{{mail.error}}\n\n'
     || E'Check the address with the client by phone; then send it again.\n')
ON CONFLICT (folder, name) DO NOTHING;
