-- 0006_mail_in.sql - mail intake's two new records: a note that came by
-- email (a staff member answering a notification) keeps its Message-ID, so
-- that an MTA's second delivery of it adds nothing; and a ticket opened by
-- a reply to one closed too long ago says so in its timeline
-- ('follow_up', schema/functions/mail_in.sql).

ALTER TABLE note ADD COLUMN message_id text UNIQUE;
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
                          'notified', 'follow_up'));
