# ctl_mailin.sh - docketctl mail-in with a corpus of real-world-shaped
# messages (test/mail/): a new request in ISO-8859-1, a reply found by
# "[#ID]" with multipart/alternative and a PDF, a reply found by
# In-Reply-To that is HTML only in windows-1252 with an encoded-word
# subject; and the refusals with their sysexits codes: unknown sender 67,
# no sender 65, someone else's ticket 77, database down 75; a message
# delivered twice is added once.
. "$(dirname "$0")/lib.bash"
M=$DOCKET_SOURCE_DIR/test/mail
ctl migrate >/dev/null
ctl contact add oystein@nordlys.example.no --first Øystein --last Brå
ctl contact add a.jansen@deregenboog.example.nl --first Anouk --last Jansen
mailin() { "$DOCKETCTL" --config "$CONFIG" mail-in < "$1" >"$T/out" 2>"$T/err"; RC=$?; OUT=$(cat "$T/out"); ERR=$(cat "$T/err"); }

mailin "$M/new-latin1.eml"
tid=$(sql "SELECT max(id) FROM ticket")
expect_eq "a known contact's mail is a new ticket" "$RC $OUT" "0 new ticket $tid"
expect_eq "  ...from email, in New, with the subject" \
    "$(sql "SELECT source || '|' || stage || '|' || subject FROM ticket WHERE id = $tid")" \
    "email|new|Please update the school calendar"
expect_eq "  ...the ISO-8859-1 body in UTF-8, as the first message" \
    "$(sql "SELECT body FROM message WHERE ticket_id = $tid")" \
    "Kjære support,

kan dere legge ut den nye kalenderen? Takk!

Øystein"
expect_eq "  ...keeping its Message-ID for threading" \
    "$(sql "SELECT message_id FROM message WHERE ticket_id = $tid")" "<new-1@mail.nordlys.example.no>"

sed "s/TICKET/$tid/" "$M/reply-subject-attachment.eml" > "$T/reply.eml"
mailin "$T/reply.eml"
expect_eq "[#ID] in the subject: a reply on that ticket" "$RC $OUT" "0 reply added to ticket $tid"
expect_eq "  ...the text part, not the HTML one" \
    "$(sql "SELECT body FROM message WHERE ticket_id = $tid ORDER BY id DESC LIMIT 1" | head -1)" \
    "Here is the calendar, thanks!"
expect_eq "  ...with its PDF attachment, checksummed" \
    "$(sql "SELECT filename || '|' || content_type || '|' || size || '|' || (message_id IS NOT NULL) FROM attachment WHERE ticket_id = $tid")" \
    "calendar.pdf|application/pdf|52|true"
expect_eq "  ...a timeline event" "$(sql "SELECT count(*) FROM event WHERE ticket_id = $tid AND action = 'message_received'")" 1

sql "INSERT INTO staff (username, name, email, roles) VALUES ('carla', 'Carla', 'c@a.example', '{content}')"
sql "SELECT message_send((SELECT id FROM staff WHERE username = 'carla'), $tid, 'We are on it.')" >/dev/null
mine=$(sql "SELECT message_id FROM message WHERE direction = 'out' AND ticket_id = $tid")
sed "s/<OURMESSAGEID>/$mine/g" "$M/reply-inreplyto-html.eml" > "$T/reply2.eml"
mailin "$T/reply2.eml"
expect_eq "In-Reply-To naming our reply: a reply on that ticket" "$RC $OUT" "0 reply added to ticket $tid"
expect_eq "  ...HTML-only mail in windows-1252 turned into text" \
    "$(sql "SELECT body FROM message WHERE ticket_id = $tid ORDER BY id DESC LIMIT 1")" \
    "Vi & elevene er fornøyde 'nå'.
Hilsen Øystein – rektor"

before=$(sql "SELECT count(*) FROM message")
mailin "$T/reply2.eml"
expect_eq "delivered twice (an MTA retrying): added once" "$RC $(sql "SELECT count(*) FROM message")" "0 $before"

mailin "$M/unknown-sender.eml"
expect_eq "an unknown sender: 67 (EX_NOUSER), so the MTA bounces" "$RC" 67
expect_eq "  ...saying why" "$ERR" "docketctl: mail-in: stranger@elsewhere.example is not a contact (mail.unknown_senders: reject)"
mailin "$M/no-sender.eml"
expect_eq "no sender: 65 (EX_DATAERR)" "$RC" 65
sed "s/TICKET/$tid/" "$M/other-contact-reply.eml" > "$T/other.eml"
mailin "$T/other.eml"
expect_eq "a reply from someone who is not the ticket's contact: 77" "$RC" 77
expect_eq "nothing half-written by the refusals" "$(sql "SELECT count(*) FROM message")" "$before"

cat > "$T/down.yaml" <<YAML
database: {conninfo: "host=$T/nowhere port=1 dbname=docket"}
YAML
"$DOCKETCTL" --config "$T/down.yaml" mail-in < "$M/new-latin1.eml" 2>/dev/null; RC=$?
expect_eq "database unreachable: 75 (EX_TEMPFAIL), so the MTA retries" "$RC" 75

printf 'mail: {unknown_senders: create}\n' >> "$CONFIG"
mailin "$M/unknown-sender.eml"
expect_eq "mail.unknown_senders: create makes the contact and the ticket" \
    "$RC $(sql "SELECT first_name FROM contact WHERE email = 'stranger@elsewhere.example'")" "0 Stranger"
done_testing
