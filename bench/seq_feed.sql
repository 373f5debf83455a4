-- The design not taken, to measure it (scripts/bench feed-costs): the
-- same numbering as bench/seq_row.sql into a table of its own,
-- feed (seq, event_id), so that the event row is never written again.
-- Ready rows follow the last numbered (xid, id) and are below every
-- running transaction; :fx and :fid carry that cursor between runs.
WITH snap AS (SELECT pg_current_snapshot() AS s),
ready AS (SELECT id, xid FROM event, snap
           WHERE (xid, id) > (:fx::text::xid8, :fid::bigint)
             AND xid < pg_snapshot_xmin(snap.s)
           ORDER BY xid, id LIMIT 1000),
base AS (SELECT coalesce(max(seq), 0) AS s FROM feed),
numbered AS (INSERT INTO feed (seq, event_id)
             SELECT base.s + row_number() OVER (ORDER BY xid, id), id FROM ready, base
             RETURNING event_id)
SELECT coalesce((SELECT xid FROM ready ORDER BY xid DESC, id DESC LIMIT 1), :fx::text::xid8)::text AS fx,
       coalesce((SELECT id FROM ready ORDER BY xid DESC, id DESC LIMIT 1), :fid::bigint) AS fid \gset
\sleep 3 ms
