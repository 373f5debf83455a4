# ctl_demo.sh - docketctl demo-data makes a believable agency (every role,
# schools, UTF-8 names, 200 tickets over every pipeline, stage and
# priority, with history over 60 days), and refuses to run twice.
. "$(dirname "$0")/lib.bash"
ctl migrate >/dev/null

run ctl demo-data --unix-user demo-runner
expect_ok "demo-data loads"
[[ "$OUT" == "Demo data loaded: 7 staff, 10 schools, 30 contacts, 200 tickets,"* ]] && pass "summary line" || fail "summary line: $OUT"
[[ "$OUT" == *"kari    Kari Nordmann, {content}, Unix user demo-runner"* ]] && pass "summary names the peer-login person" || fail "summary names the peer-login person"

pwlines=$(grep -E '^  [a-z]+: ' <<<"$OUT")
expect_eq "a password printed for each of the 7" "$(wc -l <<<"$pwlines")" 7
expect_eq "  ...each of their own, four groups of four" \
    "$(sed -E 's/^  [a-z]+: //' <<<"$pwlines" | grep -cxE '([2-9a-km-z]{4}-){3}[2-9a-km-z]{4}')/$(sed -E 's/^  [a-z]+: //' <<<"$pwlines" | sort -u | wc -l)" 7/7
[[ "$OUT" != *docket-demo* ]] && pass "no shared demo word" || fail "no shared demo word"
expect_eq "every demo password verifies as Argon2id" "$(sql "SELECT bool_and(password_hash LIKE '\$argon2id\$%') FROM staff")" t
expect_eq "  ...each hashed on its own" "$(sql "SELECT count(DISTINCT password_hash) FROM staff")" 7
# The printed password logs in (and the shared one does not), over TCP.

expect_eq "every role is covered" "$(sql "SELECT string_agg(DISTINCT r, ',' ORDER BY r) FROM staff, unnest(roles) r")" \
    "admin,content,coordinator,graphics"
expect_eq "one staff member mapped to the Unix user" "$(sql "SELECT username FROM staff WHERE unix_user = 'demo-runner'")" kari
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

# Logging in, against a docketd of its own: after the checks of the data
# above, since a running docketd sends the demo's due task reminders (an
# event each, dated now).
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$T/d.yaml" <<YAML
database:
  conninfo: "$DK_PG_CONNINFO"
server:
  socket: $T/d.sock
  listen: 127.0.0.1:$port
http:
  listen: ""
mail:
  send: false
YAML
"$DOCKETD" --config "$T/d.yaml" >"$T/d.log" 2>&1 &
dpid=$!
login() {   # login USER PASSWORD: the staff username logged in, or the error
    /usr/bin/python3 - "$port" "$1" "$2" <<'PY'
import json, socket, sys, time
for _ in range(300):
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
        break
    except OSError:
        time.sleep(0.05)
f = s.makefile("rw")
def call(method, **params):
    f.write(json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}) + "\n")
    f.flush()
    return json.loads(f.readline())
while True:   # until docketd reaches the database
    r = call("session.login", username=sys.argv[2], password=sys.argv[3])
    if r.get("error", {}).get("code") != 5003:
        break
    time.sleep(0.05)
print(r["result"]["staff"]["username"] if "result" in r else r["error"]["code"])
PY
}
ingrid_pw=$(sed -nE 's/^  ingrid: //p' <<<"$pwlines")
expect_eq "ingrid logs in with her printed password" "$(login ingrid "$ingrid_pw")" ingrid
expect_eq "  ...but not with the old shared word" "$(login ingrid docket-demo)" 4003
expect_eq "  ...nor with kari's" "$(login ingrid "$(sed -nE 's/^  kari: //p' <<<"$pwlines")")" 4003
kill "$dpid"; wait "$dpid"

counts=$(sql "SELECT (SELECT count(*) FROM ticket) || '/' || (SELECT count(*) FROM staff) || '/' || (SELECT count(*) FROM event)")
run ctl demo-data
expect_err "a second run is refused" "docketctl: demo-data: the database already holds data (7 staff, 30 contacts, 200 tickets); demo data only goes into an empty database"
expect_eq "  ...and changes nothing" "$(sql "SELECT (SELECT count(*) FROM ticket) || '/' || (SELECT count(*) FROM staff) || '/' || (SELECT count(*) FROM event)")" "$counts"

done_testing
