-- schema.sql - Docket's whole data model (SPEC section 2), as a new database
-- gets it: the files below, in this order.
--
-- `docketctl migrate` runs all of it in one transaction on an empty
-- database; an older database gets the numbered migrations of
-- schema/migrations/ instead, and every run re-creates the functions
-- (schema/functions/).  The build expands the includes into one file
-- (build/schema.sql, installed as /usr/share/docket/schema.sql) and into
-- docketctl.  By hand: psql -v ON_ERROR_STOP=1 -1 -f schema.sql
-- (from any directory: the includes are relative to this file).
-- docs/schema.md says how to add a migration.

SET client_min_messages = warning;  -- quiet IF EXISTS and IF NOT EXISTS

-- Tables, each file one area; enumerated values are CHECK constraints.
\ir schema/tables/base.sql
\ir schema/tables/clients.sql
\ir schema/tables/staff.sql
\ir schema/tables/pipelines.sql
\ir schema/tables/tickets.sql
\ir schema/tables/conversation.sql
\ir schema/tables/tasks.sql
\ir schema/tables/events.sql
\ir schema/tables/email.sql
\ir schema/tables/sessions.sql
\ir schema/tables/logins.sql
\ir schema/tables/uploads.sql
\ir schema/tables/sign_in.sql
\ir schema/tables/saml.sql

-- Functions: CREATE OR REPLACE, re-run by every docketctl migrate, so a
-- change to a function needs no numbered migration.
\ir schema/functions/retired.sql
\ir schema/functions/due.sql
\ir schema/functions/ticket_rows.sql
\ir schema/functions/ticket_common.sql
\ir schema/functions/ticket_workflow.sql
\ir schema/functions/ticket_activity.sql
\ir schema/functions/email_i18n.sql
\ir schema/functions/email.sql
\ir schema/functions/attachments.sql
\ir schema/functions/ticket_read.sql
\ir schema/functions/sessions.sql
\ir schema/functions/logins.sql
\ir schema/functions/portal.sql
\ir schema/functions/mail_in.sql
\ir schema/functions/uploads.sql
\ir schema/functions/oidc.sql
\ir schema/functions/saml.sql

-- Triggers (structure: changed by migrations), the seed rows, the version.
\ir schema/triggers.sql
\ir schema/seed.sql
\ir schema/version.sql
