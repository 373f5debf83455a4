-- pgbench's minimal pair (issue #18): what the hardware needs for a write
-- that changes a row and records it, one transaction each: an UPDATE of a
-- row found by its primary key only, and an INSERT of an event with its
-- xid.  Tables made by scripts/bench (bench_ticket, bench_event).
\set ticket :tbase + :client_id
BEGIN;
UPDATE bench_ticket SET owner_id = :staff, version = version + 1 WHERE id = :ticket;
INSERT INTO bench_event (ticket_id) VALUES (:ticket);
COMMIT;
