-- The same two statements as bench/minimal.sql on Docket's own ticket and
-- event tables (their indexes, triggers, keys and checks), without the
-- functions: a claim's write and its event, then the unclaim's, each one
-- transaction.  The difference from bench/claim.sql is what the functions
-- (the rules, the summary, the diff) cost; from bench/minimal.sql, what
-- the tables cost.
\set staff :sbase + :client_id
\set ticket :tbase + :client_id
BEGIN;
UPDATE ticket SET owner_id = :staff, stage = 'in_progress', version = version + 1,
                  updated_at = now(), last_activity_at = now() WHERE id = :ticket;
INSERT INTO event (type, action, ticket_id, staff_id) VALUES ('ticket.changed', 'claimed', :ticket, :staff);
COMMIT;
BEGIN;
UPDATE ticket SET owner_id = NULL, stage = 'new', version = version + 1,
                  updated_at = now(), last_activity_at = now() WHERE id = :ticket;
INSERT INTO event (type, action, ticket_id, staff_id) VALUES ('ticket.changed', 'unclaimed', :ticket, :staff);
COMMIT;
