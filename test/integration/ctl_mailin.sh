# ctl_mailin.sh - docketctl mail-in with a corpus of real-world-shaped
# messages (test/mail/): a new request in ISO-8859-1, a reply found by
# In-Reply-To naming our reply with multipart/alternative and a PDF, one
# that is HTML only in windows-1252 with an encoded-word subject; and the
# refusals with their sysexits codes: unknown sender 77, no sender 65,
# someone else's ticket 77, database down 75; a message delivered twice is
# added once.  Forgeries (SPEC section 9): a forged From: with "[#ID]" and
# no In-Reply-To, or with a guessed or quoted one, opens a new ticket that
# names the old one instead of joining it; mail.require_auth trusts only
# the receiving MTA's (topmost) Authentication-Results, for the From
# domain.  Hostile attachment names and types are stored made safe, by
# every path (the database does it).
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

sql "INSERT INTO staff (username, name, email, roles) VALUES ('carla', 'Carla', 'c@a.example', '{content}')"
sql "SELECT message_send((SELECT id FROM staff WHERE username = 'carla'), $tid, 'We are on it.', 'agency.example')" >/dev/null
mine=$(sql "SELECT message_id FROM message WHERE direction = 'out' AND ticket_id = $tid")
mine_row=$(sql "SELECT id FROM message WHERE direction = 'out' AND ticket_id = $tid")
expect_eq "our reply's Message-ID cannot be guessed from the ticket and row" \
    "$(echo "$mine" | grep -c "^<ticket-$tid\.$mine_row\.[0-9a-f]\{32\}@agency\.example>$")" 1
count_on() { sql "SELECT count(*) FROM message WHERE ticket_id = $1"; }
n_before=$(count_on "$tid")

sed "s/TICKET/$tid/" "$M/forged-from-subject.eml" > "$T/forged.eml"
mailin "$T/forged.eml"
fid=$(sql "SELECT max(id) FROM ticket")
expect_eq "a forged From: with [#ID] and no In-Reply-To: a new ticket, not a reply" \
    "$RC $OUT" "0 new ticket $fid (follow-up to $tid)"
expect_eq "  ...which names the old one in its subject" \
    "$(sql "SELECT subject FROM ticket WHERE id = $fid")" \
    "Re: [#$tid] Please update the school calendar (follow-up to #$tid)"
expect_eq "  ...and the old ticket's conversation is untouched" "$(count_on "$tid")" "$n_before"

sed "s/<GUESSED>/<ticket-$tid.$mine_row@agency.example>/g" "$M/guessed-ids.eml" > "$T/guessed.eml"
mailin "$T/guessed.eml"
gid=$(sql "SELECT max(id) FROM ticket")
expect_eq "In-Reply-To guessed, References quoting what the contact sent: a new ticket" \
    "$RC $OUT" "0 new ticket $gid"
expect_eq "  ...the old ticket's conversation is untouched" "$(count_on "$tid")" "$n_before"

sed -e "s/TICKET/$tid/" -e "s/<OURMESSAGEID>/$mine/g" "$M/reply-subject-attachment.eml" > "$T/reply.eml"
mailin "$T/reply.eml"
expect_eq "In-Reply-To naming our reply (and [#ID]): a reply on that ticket" "$RC $OUT" "0 reply added to ticket $tid"
expect_eq "  ...the text part, not the HTML one" \
    "$(sql "SELECT body FROM message WHERE ticket_id = $tid ORDER BY id DESC LIMIT 1" | head -1)" \
    "Here is the calendar, thanks!"
expect_eq "  ...with its PDF attachment, checksummed" \
    "$(sql "SELECT filename || '|' || content_type || '|' || size || '|' || (message_id IS NOT NULL) FROM attachment WHERE ticket_id = $tid")" \
    "calendar.pdf|application/pdf|52|true"
expect_eq "  ...a timeline event" "$(sql "SELECT count(*) FROM event WHERE ticket_id = $tid AND action = 'message_received'")" 1

sed "s/<OURMESSAGEID>/$mine/g" "$M/reply-inreplyto-html.eml" > "$T/reply2.eml"
mailin "$T/reply2.eml"
expect_eq "In-Reply-To naming our reply, no [#ID]: a reply on that ticket" "$RC $OUT" "0 reply added to ticket $tid"
expect_eq "  ...HTML-only mail in windows-1252 turned into text" \
    "$(sql "SELECT body FROM message WHERE ticket_id = $tid ORDER BY id DESC LIMIT 1")" \
    "Vi & elevene er fornøyde 'nå'.

Hilsen Øystein – rektor"

before=$(sql "SELECT count(*) FROM message")
mailin "$T/reply2.eml"
expect_eq "delivered twice (an MTA retrying): added once" "$RC $(sql "SELECT count(*) FROM message")" "0 $before"

mailin "$M/unknown-sender.eml"
expect_eq "an unknown sender: 77 (EX_NOPERM), so the MTA bounces" "$RC" 77
expect_eq "  ...saying what they can do, in words meant for them" "$ERR" "docketctl: mail-in: not delivered: stranger@elsewhere.example is not an address our helpdesk knows, so the message was not taken. If your school or organisation works with us, please send it again from the address we have for you, or ask us to add this one."
mailin "$M/no-sender.eml"
expect_eq "no sender: 65 (EX_DATAERR)" "$RC" 65
sed -e "s/TICKET/$tid/" -e "s/<OURMESSAGEID>/$mine/g" "$M/other-contact-reply.eml" > "$T/other.eml"
mailin "$T/other.eml"
expect_eq "a reply to our message from someone who is not the ticket's contact: 77" "$RC" 77
expect_eq "nothing half-written by the refusals" "$(sql "SELECT count(*) FROM message")" "$before"

# Hostile attachment metadata, as a mail program (or an attacker) wrote it.
mailin "$M/hostile-attachments.eml"
hid=$(sql "SELECT max(id) FROM ticket")
expect_eq "hostile attachments: the message is taken" "$RC $OUT" "0 new ticket $hid"
expect_eq "  ...each name a safe base name and each type one a browser shows as data" \
    "$(sql "SELECT filename || '|' || content_type FROM attachment WHERE ticket_id = $hid ORDER BY id")" \
    "evilX-Injected: yes.pdf|application/pdf
___img src=x onerror=alert(1)_.png|image/png
invoice.pdf|application/octet-stream
logo.svg|application/octet-stream
run.js|application/octet-stream
page.xhtml|application/octet-stream
passwd|application/octet-stream
invoicefdp.exe|application/pdf
Kjære Øystein – plan.docx|application/vnd.openxmlformats-officedocument.wordprocessingml.document
$(printf 'a%.0s' $(seq 116)).pdf|application/pdf
attachment|image/png
attachment|application/octet-stream"
expect_eq "  ...no name over 120 characters, none with a control character" \
    "$(sql "SELECT count(*) FROM attachment WHERE length(filename) > 120 OR filename ~ '[[:cntrl:]]'")" 0
# Every path, not only mail-in: a plain INSERT gets the same treatment.
sql "INSERT INTO attachment (ticket_id, filename, content_type, size, sha256, content)
     SELECT $hid, E'C:\\\\Users\\\\x\\\\\"re port\r\n\".html', 'TEXT/HTML; charset=utf-8', 1, sha256('x'::bytea), 'x'::bytea"
expect_eq "  ...and so does any INSERT (the database's trigger)" \
    "$(sql "SELECT filename || '|' || content_type FROM attachment ORDER BY id DESC LIMIT 1")" \
    "_re port_.html|application/octet-stream"
sql "ALTER TABLE attachment DISABLE TRIGGER attachment_clean"
expect_eq "  ...and without the trigger, the CHECKs refuse an unsafe name or type" \
    "$(for v in "'a\"b.pdf', 'application/pdf'" "'a.pdf', 'text/html'" "'a.pdf', 'application/pdf<script>'" "'.htaccess', 'text/plain'"; do
         sql "INSERT INTO attachment (ticket_id, filename, content_type, size, sha256, content)
              SELECT $hid, $v, 1, sha256('x'::bytea), 'x'::bytea" 2>&1 | grep -c 'violates check constraint'
       done | tr '\n' ' ')" "1 1 1 1 "
sql "ALTER TABLE attachment ENABLE TRIGGER attachment_clean"

# mail.require_auth: only the receiving MTA's Authentication-Results (the
# topmost) counts, and only for the From address's domain.
ctl contact add oystein@mail.nordlys.example.no --first Øystein --last Brå
authmail() { # METHOD FILE [MESSAGE-ID]
    { cat "$CONFIG"; printf 'mail: {require_auth: %s}\n' "$1"; } > "$T/auth.yaml"
    sed "s/MSGID/${3:-x}/" "$2" > "$T/auth.eml"
    "$DOCKETCTL" --config "$T/auth.yaml" mail-in < "$T/auth.eml" >"$T/out" 2>"$T/err"; RC=$?; OUT=$(cat "$T/out"); ERR=$(cat "$T/err")
}
for method in spf dkim dmarc; do
    authmail $method "$M/auth-pass.eml" "pass-$method"
    expect_eq "require_auth $method: $method=pass for the From domain: taken" "$RC ${OUT%% [0-9]*}" "0 new ticket"
    authmail $method "$M/auth-forged-below.eml"
    expect_eq "  ...the MTA's says fail, a pass below it came with the message: 77" "$RC" 77
    authmail $method "$M/unknown-sender.eml"
    expect_eq "  ...no Authentication-Results at all: 77 (before the sender is looked up)" "$RC" 77
done
expect_eq "  ...saying why, in words meant for the sender" "$ERR" \
    "docketctl: mail-in: not accepted: our mail server could not confirm that this message was sent by stranger@elsewhere.example (no dmarc pass for its domain). If you sent it, please send it again from your usual email program, or call us."
for method in spf dkim; do
    authmail $method "$M/auth-other-domain.eml"
    expect_eq "require_auth $method: a pass for another domain than the From address's: 77" "$RC" 77
done
authmail none "$M/auth-forged-below.eml"
expect_eq "require_auth none (the default): Authentication-Results not looked at" "$RC ${OUT%% [0-9]*}" "0 new ticket"

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
