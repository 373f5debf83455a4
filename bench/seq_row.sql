-- The feed's numbering as docketd's sequencer does it (server/core/feed.c),
-- without the pushed lines, which either design builds: each ready event
-- row updated with its seq, 3 ms apart, as under load.  One pgbench client
-- runs it beside bench/own_tables.sql (scripts/bench feed-costs); pgbench
-- keeps :floor from one run of the script to the next (\gset).
WITH snap AS (SELECT pg_current_snapshot() AS s),
ready AS (SELECT id, xid FROM event, snap
           WHERE seq IS NULL AND xid >= :floor::text::xid8
             AND xid < pg_snapshot_xmin(snap.s)
           ORDER BY xid, id LIMIT 1000),
base AS (SELECT coalesce(max(seq), 0) AS s FROM event),
numbered AS (UPDATE event e SET seq = base.s + r.n
               FROM (SELECT id, row_number() OVER (ORDER BY xid, id) AS n FROM ready) r, base
              WHERE e.id = r.id RETURNING e.xid)
SELECT CASE WHEN count(*) < 1000 THEN (SELECT pg_snapshot_xmin(s) FROM snap)
            ELSE least(max(xid), (SELECT pg_snapshot_xmin(s) FROM snap)) END::text AS floor
  FROM numbered \gset
\sleep 3 ms
