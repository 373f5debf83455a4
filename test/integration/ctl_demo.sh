# ctl_demo.sh - docketctl demo-data makes a believable agency (every role,
# schools, UTF-8 names, 200 tickets over every pipeline, stage and
# priority, with history over 60 days), and refuses to run twice.
. "$(dirname "$0")/lib.bash"
ctl migrate >/dev/null

run ctl demo-data --unix-user demo-runner
expect_ok "demo-data loads"
[[ "$OUT" == "Demo data loaded: 7 staff, 10 schools, 30 contacts, 200 tickets,"* ]] && pass "summary line" || fail "summary line: $OUT"
[[ "$OUT" == *"kari    Kari Nordmann, {content}, Unix user demo-runner"* ]] && pass "summary names the peer-login person" || fail "summary names the peer-login person"

expect_eq "every role is covered" "$(sql "SELECT string_agg(DISTINCT r, ',' ORDER BY r) FROM staff, unnest(roles) r")" \
    "admin,content,coordinator,graphics"
expect_eq "one staff member mapped to the Unix user" "$(sql "SELECT username FROM staff WHERE unix_user = 'demo-runner'")" kari
expect_eq "every demo password verifies as Argon2id" "$(sql "SELECT bool_and(password_hash LIKE '\$argon2id\$%') FROM staff")" t
expect_eq "10 schools with websites" "$(sql "SELECT count(*) FROM company WHERE website LIKE 'https://%'")" 10
expect_eq "30 contacts, each at a school" "$(sql "SELECT count(*) FROM contact WHERE company_id IS NOT NULL")" 30
expect_eq "names with Ø, å, ĳ and é" "$(sql "SELECT count(*) > 0 FROM contact WHERE first_name || last_name LIKE '%Ø%'") $(sql "SELECT count(*) > 0 FROM contact WHERE first_name || last_name LIKE '%å%'") $(sql "SELECT count(*) > 0 FROM contact WHERE first_name LIKE '%Ĳ%'") $(sql "SELECT count(*) > 0 FROM contact WHERE first_name LIKE '%é%'")" "t t t t"
expect_eq "200 tickets" "$(sql "SELECT count(*) FROM ticket")" 200
expect_eq "every stage of every pipeline has tickets" "$(sql "SELECT count(*) FROM stage s WHERE NOT EXISTS (SELECT 1 FROM ticket t WHERE t.pipeline = s.pipeline AND t.stage = s.id)")" 0
expect_eq "every priority is used" "$(sql "SELECT count(DISTINCT priority) FROM ticket")" 3
expect_eq "every source is used" "$(sql "SELECT count(DISTINCT source) FROM ticket")" 4
expect_eq "tickets span the last 60 days" "$(sql "SELECT min(created_at) < now() - interval '40 days' AND min(created_at) > now() - interval '61 days' AND max(created_at) > now() - interval '3 days' FROM ticket")" t
expect_eq "owners where the stage needs one" "$(sql "SELECT count(*) FROM ticket WHERE (stage = 'new') = (owner_id IS NOT NULL)")" 0
expect_eq "graphics owners where graphics is at work" "$(sql "SELECT count(*) FROM ticket WHERE stage IN ('graphics_in_progress', 'graphics_complete') AND graphics_owner_id IS NULL")" 0
expect_eq "graphics owners are graphics staff" "$(sql "SELECT count(*) FROM ticket t JOIN staff s ON s.id = t.graphics_owner_id WHERE NOT 'graphics' = ANY (s.roles)")" 0
expect_eq "closed tickets have a closed time" "$(sql "SELECT count(*) FROM ticket WHERE closed <> (closed_at IS NOT NULL)")" 0
expect_eq "some notes mention someone, who was notified" "$(sql "SELECT count(*) > 10 AND count(*) = (SELECT count(*) FROM notification WHERE kind = 'mention') FROM mention")" t
expect_eq "mentions are written in the note as @username" "$(sql "SELECT count(*) FROM mention m JOIN note n ON n.id = m.note_id JOIN staff s ON s.id = m.staff_id WHERE position('@' || s.username IN n.body) = 0")" 0
expect_eq "client messages and staff replies" "$(sql "SELECT count(*) FILTER (WHERE direction = 'in') > 100 AND count(*) FILTER (WHERE direction = 'out') > 50 FROM message")" t
expect_eq "tasks" "$(sql "SELECT count(*) > 5 FROM task")" t
expect_eq "every ticket has a timeline starting with its creation" "$(sql "SELECT count(*) FROM ticket t WHERE NOT EXISTS (SELECT 1 FROM event e WHERE e.ticket_id = t.id AND e.action = 'created' AND e.created_at = t.created_at)")" 0
expect_eq "timeline events are in order and not in the future" "$(sql "SELECT count(*) FROM event e JOIN ticket t ON t.id = e.ticket_id WHERE e.created_at < t.created_at OR e.created_at > now()")" 0
expect_eq "last activity is the last event" "$(sql "SELECT count(*) FROM ticket t WHERE last_activity_at < (SELECT max(created_at) FROM event e WHERE e.ticket_id = t.id) - interval '1 day'")" 0

counts=$(sql "SELECT (SELECT count(*) FROM ticket) || '/' || (SELECT count(*) FROM staff) || '/' || (SELECT count(*) FROM event)")
run ctl demo-data
expect_err "a second run is refused" "docketctl: demo-data: the database already holds data (7 staff, 30 contacts, 200 tickets); demo data only goes into an empty database"
expect_eq "  ...and changes nothing" "$(sql "SELECT (SELECT count(*) FROM ticket) || '/' || (SELECT count(*) FROM staff) || '/' || (SELECT count(*) FROM event)")" "$counts"

done_testing
