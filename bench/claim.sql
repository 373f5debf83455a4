-- pgbench's side of the claims benchmark: the same two statements docketd
-- runs for tickets.claim and tickets.unclaim, on this client's own ticket.
\set staff :sbase + :client_id
\set ticket :tbase + :client_id
SELECT ticket_claim(:staff, :ticket, NULL);
SELECT ticket_unclaim(:staff, :ticket, NULL);
