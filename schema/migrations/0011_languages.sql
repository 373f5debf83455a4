-- 0011_languages.sql - the portal speaks English, Norwegian Bokmål and
-- Dutch (portal.languages): each contact has a language, chosen at
-- registration and changeable in the portal, for its pages and emails.
-- See schema/tables/clients.sql and functions/portal.sql.

ALTER TABLE contact ADD COLUMN language text NOT NULL DEFAULT 'en'
    CHECK (language ~ '^[a-z]{2,3}$');
-- It answers with the contact's language now, and takes whether the
-- request counts as activity (a live page's stream does not): a new
-- result type, which CREATE OR REPLACE cannot give (functions/portal.sql
-- makes it again).
DROP FUNCTION IF EXISTS portal_session_get(bytea, interval, text, text);
