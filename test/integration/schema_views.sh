# schema_views.sh - at 1,000,000 tickets, every view of SPEC section 4 reads
# its first page and its next page (keyset cursor) with one index scan on
# its own partial index: no sequential scan, no sort.  Checked for custom
# and for generic plans, since docketd runs these as prepared statements.
# Loading the rows takes about a minute (label "plan").
. "$(dirname "$0")/lib.bash"
ctl migrate >/dev/null
psql "$DK_PG_CONNINFO" -Xq -v n="${DOCKET_PLAN_ROWS:-1000000}" -f "$DOCKET_SOURCE_DIR/test/sql/load_tickets.sql" \
    || { fail "load tickets"; done_testing; exit 1; }
expect_eq "tickets loaded" "$(sql "SELECT count(*) >= ${DOCKET_PLAN_ROWS:-1000000} FROM ticket")" t

# view|index|WHERE clause ($1: a staff id)
views="my_open|ticket_view_my_open|owner_id = \$1 AND NOT closed
unassigned|ticket_view_unassigned|owner_id IS NULL AND pipeline = 'support' AND NOT closed
waiting_on_graphics|ticket_view_waiting_on_graphics|pipeline = 'graphics' AND stage = 'waiting_on_graphics'
my_graphics|ticket_view_my_graphics|graphics_owner_id = \$1 AND stage = 'graphics_in_progress'
open|ticket_view_open|NOT closed
closed|ticket_view_closed|closed"
owner=$(sql "SELECT id FROM staff WHERE username = 'bulk3'")
artist=$(sql "SELECT id FROM staff WHERE username = 'bulk16'")

while IFS='|' read -r view index where; do
    who=$owner; [ "$view" = my_graphics ] && who=$artist
    for mode in force_custom_plan force_generic_plan; do
        for page in first next; do
            cursor="true"
            [ $page = next ] && cursor="(priority_rank, created_at, id) > (\$2::smallint, \$3::timestamptz, \$4::bigint)"
            plan=$(psql "$DK_PG_CONNINFO" -XAtq -v ON_ERROR_STOP=1 <<SQL
SET plan_cache_mode = $mode;
PREPARE v(bigint, smallint, timestamptz, bigint) AS
  SELECT id, subject, priority, pipeline, stage, owner_id, created_at
    FROM ticket WHERE ($where) AND $cursor AND \$1 = \$1
   ORDER BY priority_rank, created_at, id LIMIT 50;
EXPLAIN (COSTS OFF) EXECUTE v($who, 1, now() - interval '400 days', 0);
SQL
)
            if grep -q "Index Scan using $index on ticket" <<<"$plan" &&
               ! grep -qE 'Seq Scan|Sort|Bitmap' <<<"$plan"; then
                pass "$view, $page page, $mode: index scan on $index"
            else
                fail "$view, $page page, $mode: index scan on $index"
                echo "$plan" | sed 's/^/   /'
            fi
        done
    done
done <<<"$views"

done_testing
