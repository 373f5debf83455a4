-- 0004_portal.sql - the customer portal: where a message came from, the
-- sign-up confirmation link (with the password it sets), the portal's
-- email kinds and the owner's client_reply notification, and the portal's
-- system templates (tables/*.sql and seed.sql hold the same for new
-- databases; the functions are schema/functions/portal.sql).

-- Existing staff replies ('out') become 'staff'; contacts' messages
-- ('in') all came by email before the portal.
ALTER TABLE message ADD COLUMN source text NOT NULL DEFAULT 'email'
    CHECK (source IN ('email', 'portal', 'staff'));
UPDATE message SET source = 'staff' WHERE direction = 'out';

ALTER TABLE contact_token ADD COLUMN password_hash text;
ALTER TABLE contact_token
    DROP CONSTRAINT contact_token_purpose_check,
    ADD CONSTRAINT contact_token_purpose_check
        CHECK (purpose IN ('register', 'reset', 'confirm'));

ALTER TABLE outbox
    DROP CONSTRAINT outbox_kind_check,
    ADD CONSTRAINT outbox_kind_check
        CHECK (kind IN ('mention', 'graphics_complete', 'closed', 'reply',
                        'portal_registration', 'password_reset',
                        'task_reminder', 'workflow_step',
                        'signup_confirm', 'client_reply'));

ALTER TABLE notification
    DROP CONSTRAINT notification_kind_check,
    ADD CONSTRAINT notification_kind_check
        CHECK (kind IN ('mention', 'graphics_complete', 'task_reminder', 'assigned',
                        'client_reply'));

-- As in seed.sql; a template an admin already made under one of these
-- names is kept.
INSERT INTO email_template (folder, name, subject, body) VALUES
    ('system', 'password_reset', 'Reset your {{portal.title}} password',
     E'Hello {{contact.first_name}},\n\nSomeone, we hope you, asked to reset your {{portal.title}} '
     || E'password.  Choose a new one here (the link works once, for 1 hour):\n{{link.url}}\n\n'
     || E'If it was not you, ignore this email: your password stays as it is.\n'),
    ('system', 'signup_confirm', 'Confirm your {{portal.title}} account',
     E'Hello {{contact.first_name}},\n\nTo finish creating your {{portal.title}} account, confirm '
     || E'your email address here (the link works once, for 24 hours):\n{{link.url}}\n\n'
     || E'If you did not sign up, ignore this email: no account is made.\n'),
    ('system', 'client_reply', '[#{{ticket.id}}] {{contact.name}} replied: {{ticket.subject}}',
     E'{{contact.name}} wrote on ticket #{{ticket.id}} "{{ticket.subject}}":\n\n{{message.body}}\n')
ON CONFLICT (folder, name) DO NOTHING;
