-- retired.sql - functions earlier releases had and this one has not: dropped
-- by every docketctl migrate (IF EXISTS, so re-running is harmless), since
-- CREATE OR REPLACE cannot remove a function or change its arguments.

DROP FUNCTION IF EXISTS portal_signup(text, text, text, text, text, text, text);  -- version 11: with the language
DROP FUNCTION IF EXISTS ticket_touch(bigint);  -- schema version 1; now ticket_update(ticket)
DROP FUNCTION IF EXISTS message_receive(bigint, bigint, text, text, text);  -- version 5; now mail_in_contact()
DROP FUNCTION IF EXISTS message_send(bigint, bigint, text);  -- schema version 5; now with the Message-ID domain
