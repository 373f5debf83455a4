-- 0015: portal_tickets() returns rows instead of a jsonb array (building
-- the objects took two thirds of a contact's list).  A new result type
-- needs the old function dropped; schema/functions/portal.sql creates the
-- new one in the same migrate.  The version moves so that a docketd that
-- reads the other shape refuses the database at start, rather than
-- failing on every list.
DROP FUNCTION IF EXISTS portal_tickets(bigint, text, text[], text, text, text, integer);
