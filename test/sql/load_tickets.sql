-- load_tickets.sql - bulk tickets for plan checks and benchmarks:
--   psql -v n=1000000 -f load_tickets.sql
-- Shaped like a helpdesk that has run for years: most tickets closed, a
-- few thousand open spread over 20 staff, both pipelines and every stage.
-- The row triggers are off during the load (what they would set is set
-- here directly) because a million plpgsql calls would dominate the time.
\set ON_ERROR_STOP on
INSERT INTO company (name) SELECT 'Bulk school ' || g FROM generate_series(1, 200) g
    ON CONFLICT DO NOTHING;
INSERT INTO contact (email, first_name, last_name, company_id)
SELECT 'bulk' || g || '@bulk.example', 'Bulk', 'Contact ' || g,
       (SELECT min(id) FROM company) + g % 200
  FROM generate_series(1, 2000) g
    ON CONFLICT DO NOTHING;
INSERT INTO staff (username, name, email, roles)
SELECT 'bulk' || g, 'Bulk Staff ' || g, 'bulk' || g || '@agency.example',
       CASE WHEN g % 4 = 0 THEN ARRAY['graphics'] ELSE ARRAY['content'] END
  FROM generate_series(1, 20) g
    ON CONFLICT DO NOTHING;

ALTER TABLE ticket DISABLE TRIGGER ticket_sync;
ALTER TABLE ticket DISABLE TRIGGER ticket_text_sync;
WITH s AS (SELECT array_agg(id ORDER BY id) AS ids FROM staff WHERE username LIKE 'bulk%'),
     c AS (SELECT min(id) AS lo FROM contact WHERE email LIKE 'bulk%@bulk.example'),
     g AS (
       SELECT g, random() AS r, now() - (random() * interval '1500 days') AS at
         FROM generate_series(1, :n) g
     ),
     shaped AS (
       SELECT g, at,
              CASE WHEN r < 0.970 THEN 'support/closed'
                   WHEN r < 0.976 THEN 'support/new'
                   WHEN r < 0.988 THEN 'support/in_progress'
                   WHEN r < 0.992 THEN 'support/waiting_on_contact'
                   WHEN r < 0.995 THEN 'graphics/waiting_on_graphics'
                   WHEN r < 0.998 THEN 'graphics/graphics_in_progress'
                   ELSE 'graphics/graphics_complete' END AS ps
         FROM g
     )
INSERT INTO ticket (subject, description, priority, pipeline, stage, closed,
                    owner_id, graphics_owner_id, contact_id, company_id,
                    source, created_at, updated_at, last_activity_at,
                    closed_at)
SELECT 'Bulk request ' || g, 'Generated for plan checks.',
       (ARRAY['low', 'medium', 'high'])[1 + floor(random() * 3)::int],
       split_part(ps, '/', 1), split_part(ps, '/', 2), ps = 'support/closed',
       CASE WHEN ps = 'support/new' THEN NULL ELSE s.ids[1 + g % 15] END,
       CASE WHEN ps IN ('graphics/graphics_in_progress', 'graphics/graphics_complete')
            THEN s.ids[16 + g % 5] END,
       c.lo + g % 2000, NULL, 'portal', at, at, at,
       CASE WHEN ps = 'support/closed' THEN at + interval '2 days' END
  FROM shaped, s, c;
-- ticket_text_sync's rows, in one statement instead of one call a ticket.
INSERT INTO ticket_text (ticket_id, search)
SELECT id, to_tsvector('simple', subject || ' ' || description) FROM ticket
    ON CONFLICT (ticket_id) DO NOTHING;
ALTER TABLE ticket ENABLE TRIGGER ticket_text_sync;
ALTER TABLE ticket ENABLE TRIGGER ticket_sync;
ANALYZE;
