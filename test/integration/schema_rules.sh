# schema_rules.sh - what the ticket table keeps right without a foreign key
# to stage or a words column of its own (schema/functions/ticket_rows.sql,
# migration 0010): a ticket's stage exists, a stage with tickets stays,
# a stage's key and closed flag carry to its tickets, the words of
# subject and description are rewritten when those change and only then;
# and mail queued wakes every docketd's outbox (migration 0014).
. "$(dirname "$0")/lib.bash"
ctl migrate >/dev/null
# sqlerr SQL: "SQLSTATE: message" of the error SQL raises (empty if none).
sqlerr() {
    psql "$DK_PG_CONNINFO" -XAtq -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -c "$1" 2>&1 >/dev/null |
        sed -n 's/^ERROR:  //p' | head -n 1
}
sql "INSERT INTO staff (username, name, email, roles) VALUES ('alice', 'Alice', 'alice@docket.example', '{content,admin}')"
sql "INSERT INTO contact (email, first_name, last_name) VALUES ('ola@nordlys.example', 'Ola', 'Nordmann')"
T1=$(sql "SELECT (ticket_create(1, 'Banner for the spring concert', 'Blue, please', 'medium', 'phone', 1))->>'id'")
T2=$(sql "SELECT (ticket_create(1, 'Timetable page', '', 'low', 'email', NULL))->>'id'")

# ---- a ticket's stage exists --------------------------------------------------
expect_eq "a ticket cannot move to a stage that does not exist" \
    "$(sqlerr "UPDATE ticket SET stage = 'nowhere' WHERE id = $T1")" \
    '23503: stage "nowhere" of pipeline "support" does not exist'
expect_eq "nor to a stage of another pipeline" \
    "$(sqlerr "UPDATE ticket SET pipeline = 'graphics', stage = 'new' WHERE id = $T1")" \
    '23503: stage "new" of pipeline "graphics" does not exist'
expect_eq "nor be made in one" \
    "$(sqlerr "INSERT INTO ticket (subject, pipeline, stage, contact_id, source) VALUES ('x', 'support', 'gone', 1, 'phone')")" \
    '23503: stage "gone" of pipeline "support" does not exist'
expect_eq "and the refused change changed nothing" \
    "$(sql "SELECT stage || ' ' || version FROM ticket WHERE id = $T1")" "new 1"
expect_eq "the closed flag is the stage's, whatever a writer says" \
    "$(sql "UPDATE ticket SET closed = true WHERE id = $T2 RETURNING closed")" "f"

# ---- a stage with tickets stays ---------------------------------------------
expect_eq "a stage with tickets cannot be removed" \
    "$(sqlerr "DELETE FROM stage WHERE pipeline = 'support' AND id = 'new'")" \
    '23503: stage "new" of pipeline "support" still has tickets'
sql "INSERT INTO stage (pipeline, id, name, position) VALUES ('support', 'parked', 'Parked', 99)"
expect_eq "one without tickets can" \
    "$(sql "DELETE FROM stage WHERE id = 'parked' RETURNING id")" "parked"

# ---- a stage's changes carry to its tickets ---------------------------------
sql "INSERT INTO stage (pipeline, id, name, position) VALUES ('support', 'on_hold', 'On hold', 98)"
sql "UPDATE ticket SET stage = 'on_hold' WHERE id = $T2" >/dev/null
sql "UPDATE stage SET id = 'paused' WHERE pipeline = 'support' AND id = 'on_hold'"
expect_eq "renaming a stage renames it on its tickets" \
    "$(sql "SELECT stage FROM ticket WHERE id = $T2")" "paused"
sql "UPDATE stage SET is_closed = true WHERE pipeline = 'support' AND id = 'paused'"
expect_eq "a stage that becomes closed closes its tickets, with the time" \
    "$(sql "SELECT closed, closed_at IS NOT NULL FROM ticket WHERE id = $T2")" "t|t"
sql "UPDATE stage SET is_closed = false WHERE pipeline = 'support' AND id = 'paused'"
expect_eq "and opens them again" \
    "$(sql "SELECT closed, closed_at IS NULL FROM ticket WHERE id = $T2")" "f|t"
expect_eq "other tickets are untouched" \
    "$(sql "SELECT stage || ' ' || closed FROM ticket WHERE id = $T1")" "new false"

# ---- the words ----------------------------------------------------------------
expect_eq "a new ticket's words are written" \
    "$(sql "SELECT search @@ plainto_tsquery('simple', 'concert blue') FROM ticket_text WHERE ticket_id = $T1")" "t"
sql "SELECT ticket_claim(1, $T1, NULL)" >/dev/null
X0=$(sql "SELECT xmin FROM ticket_text WHERE ticket_id = $T1")
sql "SELECT ticket_unclaim(1, $T1, NULL)" >/dev/null
sql "SELECT ticket_set_priority(1, $T1, NULL, 'high')" >/dev/null
expect_eq "a workflow change does not rewrite them" \
    "$(sql "SELECT xmin FROM ticket_text WHERE ticket_id = $T1")" "$X0"
sql "UPDATE ticket SET subject = 'Poster for the winter market' WHERE id = $T1"
expect_eq "a new subject's words replace the old" \
    "$(sql "SELECT search @@ plainto_tsquery('simple', 'winter') AND NOT search @@ plainto_tsquery('simple', 'concert') FROM ticket_text WHERE ticket_id = $T1")" "t"
sql "UPDATE ticket SET description = 'Green and gold' WHERE id = $T1"
expect_eq "and a new description's" \
    "$(sql "SELECT search @@ plainto_tsquery('simple', 'gold') AND NOT search @@ plainto_tsquery('simple', 'blue') FROM ticket_text WHERE ticket_id = $T1")" "t"
expect_eq "every ticket has its words" \
    "$(sql "SELECT count(*) FROM ticket t LEFT JOIN ticket_text w ON w.ticket_id = t.id WHERE w.ticket_id IS NULL")" "0"
sql "DELETE FROM event WHERE ticket_id = $T2; DELETE FROM ticket WHERE id = $T2"
expect_eq "a removed ticket's words go with it" \
    "$(sql "SELECT count(*) FROM ticket_text WHERE ticket_id = $T2")" "0"

# ---- mail queued wakes the outboxes (NOTIFY docket_mail) ----------------------
# heard SQL...: the notifications one session LISTENing on docket_mail gets
# while it runs the statements (psql prints each after a command).
heard() {
    { echo "LISTEN docket_mail;"; printf '%s\n' "$@"; echo "SELECT 1;"; } |
        psql "$DK_PG_CONNINFO" -Xq -f - 2>&1 | grep -c 'notification "docket_mail"' || true
}
row="INSERT INTO outbox (kind, to_addr, subject, body) VALUES ('mention', 'alice@docket.example', 's', 'b');"
expect_eq "a transaction that queues mail says so once, however many rows" \
    "$(heard "BEGIN;" "$row" "$row" "$row" "COMMIT;")" "1"
expect_eq "each transaction that queues mail says so" \
    "$(heard "$row" "$row")" "2"
expect_eq "one that is rolled back says nothing" \
    "$(heard "BEGIN;" "$row" "ROLLBACK;")" "0"
expect_eq "nor does leasing or sending a row (the outbox's own writes)" \
    "$(heard "UPDATE outbox SET attempts = attempts + 1, not_before = now() + interval '5 minutes';" \
             "UPDATE outbox SET sent_at = now();")" "0"
expect_eq "nor a write that queues none (a claim)" \
    "$(heard "SELECT ticket_claim(1, $T1, NULL);")" "0"
expect_eq "a reply that does (message_send) says so" \
    "$(heard "SELECT message_send(1, $T1, 'Here it is', 'docket.example');")" "1"
done_testing
