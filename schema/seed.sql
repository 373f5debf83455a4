-- seed.sql - the rows a new database starts with: business hours, the portal
-- access list, the default pipelines and stages, Docket's own email texts.

INSERT INTO setting (key, value) VALUES
    ('business_timezone', 'UTC'),
    ('business_day_start', '8'),   -- hour of day work starts
    ('business_day_end', '16');    -- hour of day work ends

INSERT INTO list (name) VALUES ('Authorized Portal Users');

INSERT INTO pipeline (id, name, position) VALUES
    ('support', 'Customer Support', 1),
    ('graphics', 'Graphic Support', 2);
INSERT INTO stage (pipeline, id, name, position, is_default, is_closed) VALUES
    ('support', 'new', 'New', 1, true, false),
    ('support', 'in_progress', 'In Progress', 2, false, false),
    ('support', 'waiting_on_contact', 'Waiting on contact', 3, false, false),
    ('support', 'closed', 'Closed', 4, false, true),
    ('graphics', 'waiting_on_graphics', 'Waiting on Graphics', 1, true, false),
    ('graphics', 'graphics_in_progress', 'Graphics in progress', 2, false, false),
    ('graphics', 'graphics_complete', 'Graphics Complete', 3, false, false);

-- The texts of Docket's own emails, as templates an admin can change
-- (docketctl template add system NAME --replace).  Their {{fields}} are
-- filled by email_text() from what the sending function passes.
INSERT INTO email_template (folder, name, subject, body) VALUES
    ('system', 'mention', '[#{{ticket.id}}] {{staff.name}} mentioned you: {{ticket.subject}}',
     E'{{staff.name}} wrote on ticket #{{ticket.id}} "{{ticket.subject}}":\n\n{{note.body}}\n'),
    ('system', 'graphics_complete', '[#{{ticket.id}}] Graphics complete: {{ticket.subject}}',
     E'{{staff.name}} has finished the graphics for ticket #{{ticket.id}} "{{ticket.subject}}".\n'),
    ('system', 'closed', '[#{{ticket.id}}] Your request is complete: {{ticket.subject}}',
     E'Hello {{contact.first_name}},\n\nYour request "{{ticket.subject}}" (#{{ticket.id}}) is complete.\n\n'
     || E'If something is not right, reply to this email and we will look at it again.\n'),
    ('system', 'reply', 'Re: [#{{ticket.id}}] {{ticket.subject}}', '{{message.body}}'),
    ('system', 'task_reminder', '[#{{ticket.id}}] Reminder: {{task.title}}',
     E'A reminder you set on ticket #{{ticket.id}} "{{ticket.subject}}":\n\n{{task.title}}\n'),
    ('system', 'portal_registration', 'Your {{portal.title}} account',
     E'Hello {{contact.first_name}},\n\nYou now have access to {{portal.title}}, where you can '
     || E'follow your requests and send new ones.\n\nChoose your password here (the link works for '
     || E'{{link.days}} days):\n{{link.url}}\n');

-- The portal's emails (schema version 4; migration 0004 adds them to older
-- databases).  client_reply goes to a ticket's owner when its contact
-- answers, from the portal or by email.
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
     E'{{contact.name}} wrote on ticket #{{ticket.id}} "{{ticket.subject}}":\n\n{{message.body}}\n');

-- Delivery failures (schema version 7; migration 0007 adds it to older
-- databases): to the author of a staff reply that could not be delivered.
INSERT INTO email_template (folder, name, subject, body) VALUES
    ('system', 'mail_failed', '[#{{ticket.id}}] Not delivered: {{ticket.subject}}',
     E'Your email on ticket #{{ticket.id}} "{{ticket.subject}}" to {{mail.to}} '
     || E'was not delivered.  Their mail server said:\n\n{{mail.error}}\n\n'
     || E'Check the address with the client by phone; then send it again.\n');
