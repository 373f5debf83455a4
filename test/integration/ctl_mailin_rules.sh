# ctl_mailin_rules.sh - what docketctl mail-in does with replies nobody
# used to see, and how it answers the MTA when something is ours to fix.
# A contact's reply to a closed ticket reopens it within mail.reopen_within
# and notifies the owner; after that it opens a follow-up that names the
# old ticket.  A staff member's answer to a notification we emailed them is
# a note by them (without the quote, so nobody is mentioned twice); a From
# of theirs without that Message-ID, or someone else's, is refused.  A typo
# in the configuration, an unreadable one, or a wrong option exits 75 so the
# MTA keeps the message.
. "$(dirname "$0")/lib.bash"
ctl migrate >/dev/null
ctl contact add ola@nordlys.example.no --first Ola --last Nordmann
mailin() { "$DOCKETCTL" --config "${2:-$CONFIG}" mail-in < "$1" >"$T/out" 2>"$T/err"; RC=$?; OUT=$(cat "$T/out"); ERR=$(cat "$T/err"); }
msg() { # FILE FROM IN-REPLY-TO MESSAGE-ID BODY [SUBJECT]
    printf 'From: %s\nTo: support@agency.example\nSubject: %s\nMessage-ID: %s\n%sDate: Wed, 2 Dec 2026 09:00:00 +0100\nContent-Type: text/plain; charset=utf-8\n\n%s\n' \
        "$2" "${6:-Re: the calendar}" "$4" "${3:+In-Reply-To: $3
}" "$5" > "$1"
}
sql "INSERT INTO staff (username, name, email, roles) VALUES
       ('alice', 'Alice Updater', 'alice@agency.example', '{content}'),
       ('bob', 'Bob Graphics', 'bob@agency.example', '{graphics}')"
ALICE=$(sql "SELECT id FROM staff WHERE username = 'alice'")
BOB=$(sql "SELECT id FROM staff WHERE username = 'bob'")
OLA=$(sql "SELECT id FROM contact WHERE email = 'ola@nordlys.example.no'")

# ---- a reply to a closed ticket ----------------------------------------------
T1=$(sql "SELECT ticket_create($OLA, 'The calendar', 'Please update it', 'medium', 'email', NULL)->>'id'")
sql "SELECT ticket_claim($ALICE, $T1, NULL), message_send($ALICE, $T1, 'Done!', 'agency.example'), ticket_close($ALICE, $T1, NULL)" >/dev/null
ours=$(sql "SELECT message_id FROM message WHERE ticket_id = $T1 AND direction = 'out'")
sql "DELETE FROM outbox"
msg "$T/r1.eml" ola@nordlys.example.no "$ours" "<r1@nordlys.example.no>" "One more thing: the date is wrong."
mailin "$T/r1.eml"
expect_eq "a reply to a ticket closed just now reopens it" "$RC $OUT" "0 reply added to ticket $T1 (reopened)"
expect_eq "  ...back to in_progress with its owner, the reply on it" \
    "$(sql "SELECT stage || '|' || closed || '|' || (SELECT count(*) FROM message WHERE ticket_id = $T1 AND direction = 'in') FROM ticket WHERE id = $T1")" "in_progress|false|1"
expect_eq "  ...a reopened event by the contact, then message_received" \
    "$(sql "SELECT string_agg(action || '/' || coalesce(contact_id::text, '-'), ' ' ORDER BY id) FROM event WHERE ticket_id = $T1 AND type = 'ticket.changed' AND action IN ('reopened', 'message_received')")" \
    "reopened/$OLA message_received/$OLA"
expect_eq "  ...and the owner is told: client_reply, in the terminal and by email" \
    "$(sql "SELECT kind FROM notification WHERE staff_id = $ALICE") $(sql "SELECT kind || ' ' || to_addr FROM outbox")" \
    "client_reply client_reply alice@agency.example"

sql "SELECT ticket_set_stage($ALICE, $T1, NULL, 'waiting_on_contact')" >/dev/null
msg "$T/r1b.eml" ola@nordlys.example.no "$ours" "<r1b@nordlys.example.no>" "Here is the new date: 14 March."
mailin "$T/r1b.eml"
expect_eq "a reply while waiting on the contact: back to in_progress" \
    "$RC $OUT $(sql "SELECT stage FROM ticket WHERE id = $T1")" "0 reply added to ticket $T1 in_progress"
sql "SELECT ticket_close($ALICE, $T1, NULL)" >/dev/null
sql "UPDATE ticket SET closed_at = now() - interval '15 days' WHERE id = $T1"
msg "$T/r2.eml" ola@nordlys.example.no "$ours" "<r2@nordlys.example.no>" "And the photo from last spring." "Re: [#$T1] The calendar"
mailin "$T/r2.eml"
T2=$(sql "SELECT max(id) FROM ticket")
expect_eq "a reply to a ticket closed 15 days ago (mail.reopen_within 14d): a follow-up" "$RC $OUT" "0 new ticket $T2 (follow-up to $T1)"
expect_eq "  ...the old one stays closed" "$(sql "SELECT closed FROM ticket WHERE id = $T1")" t
expect_eq "  ...the new one names it in its subject and description" \
    "$(sql "SELECT subject FROM ticket WHERE id = $T2")
$(sql "SELECT split_part(description, E'\n', 1) FROM ticket WHERE id = $T2")" \
    "Re: [#$T1] The calendar (follow-up to #$T1)
Follow-up to #$T1 \"The calendar\" (closed $(sql "SELECT to_char(closed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM ticket WHERE id = $T1"))."
expect_eq "  ...and in its timeline" \
    "$(sql "SELECT string_agg(action || ' ' || change::text, ', ' ORDER BY id) FROM event WHERE ticket_id = $T2")" \
    "created {\"source\": \"email\"}, follow_up {\"follow_up_to\": $T1}"
expect_eq "  ...with the reply as its first message, in Unassigned" \
    "$(sql "SELECT body FROM message WHERE ticket_id = $T2") $(sql "SELECT stage || coalesce(owner_id::text, '') FROM ticket WHERE id = $T2")" \
    "And the photo from last spring. new"

printf 'mail: {reopen_within: 0}\n' | cat "$CONFIG" - > "$T/never.yaml"
sql "UPDATE ticket SET closed_at = now() - interval '1 minute' WHERE id = $T1"
msg "$T/r3.eml" ola@nordlys.example.no "$ours" "<r3@nordlys.example.no>" "Are you there?"
mailin "$T/r3.eml" "$T/never.yaml"
expect_eq "mail.reopen_within: 0 never reopens: a follow-up" "$RC ${OUT% (*}" "0 new ticket $((T2 + 1))"

# ---- a staff member's answer to a notification ----------------------------------
T3=$(sql "SELECT ticket_create($OLA, 'New logo', 'Attached', 'medium', 'email', NULL)->>'id'")
sql "DELETE FROM outbox"
sql "SELECT note_add($ALICE, $T3, '@bob can you make this 200px wide?')" >/dev/null
sql "UPDATE outbox SET message_id = '<outbox-' || id || '.0123456789abcdef0123456789abcdef@agency.example>'"
note_id=$(sql "SELECT message_id FROM outbox WHERE kind = 'mention'")
expect_eq "the mention was emailed to bob" "$(sql "SELECT to_addr FROM outbox WHERE kind = 'mention'")" bob@agency.example
cat > "$T/s1.eml" <<MAIL
From: Bob Graphics <Bob@Agency.example>
To: support@agency.example
Subject: Re: [Docket #$T3] You were mentioned
Message-ID: <s1@agency.example>
In-Reply-To: $note_id
References: $note_id
Content-Type: text/plain; charset=utf-8

Sure, done by Friday.

On Wed, 2 Dec 2026 at 09:00, Docket <support@agency.example> wrote:

> @bob can you make this 200px wide?
MAIL
before=$(sql "SELECT count(*) FROM notification")
mailin "$T/s1.eml"
N=$(sql "SELECT max(id) FROM note")
expect_eq "bob's answer to the mention is a note on its ticket" "$RC $OUT" "0 note $N added to ticket $T3"
expect_eq "  ...by bob, without the quote" \
    "$(sql "SELECT staff_username(author_id) || ': ' || body FROM note WHERE id = $N")" "bob: Sure, done by Friday."
expect_eq "  ...so nobody is mentioned (or notified) again" \
    "$(sql "SELECT count(*) FROM mention WHERE note_id = $N") $(sql "SELECT count(*) - $before FROM notification")" "0 0"
expect_eq "  ...a note_added event for every client" \
    "$(sql "SELECT count(*) FROM event WHERE ticket_id = $T3 AND action = 'note_added' AND staff_id = $BOB")" 1
mailin "$T/s1.eml"
expect_eq "  ...delivered twice: noted once" "$RC $OUT $(sql "SELECT count(*) FROM note WHERE ticket_id = $T3")" \
    "0 already delivered: <s1@agency.example> 2"

sed -e 's/^In-Reply-To: .*/In-Reply-To: <made-up@agency.example>/' -e '/^References:/d' \
    -e 's/<s1@/<s2@/' "$T/s1.eml" > "$T/s2.eml"
mailin "$T/s2.eml"
expect_eq "bob's address without a Message-ID we sent him: 77" "$RC" 77
expect_eq "  ...telling him how staff email is taken" "$ERR" \
    "docketctl: mail-in: not delivered: email from staff is taken only as an answer to a notification from Docket (it becomes a note on that ticket). Please use docket for anything else."
sed -e 's/^From: .*/From: Alice Updater <alice@agency.example>/' -e 's/<s1@/<s3@/' "$T/s1.eml" > "$T/s3.eml"
mailin "$T/s3.eml"
expect_eq "alice answering with bob's notification's Message-ID: 77" "$RC" 77
sed -e 's/^From: .*/From: Ola <ola@nordlys.example.no>/' -e 's/<s1@/<s4@/' "$T/s1.eml" > "$T/s4.eml"
mailin "$T/s4.eml"
T4=$(sql "SELECT max(id) FROM ticket")
expect_eq "the ticket's contact naming bob's notification: not a reply to it, a new ticket" \
    "$RC $OUT $(sql "SELECT count(*) FROM message WHERE ticket_id = $T3")" "0 new ticket $T4 0"
expect_eq "nothing else written by the refusals" "$(sql "SELECT count(*) FROM note")" 2
sql "UPDATE staff SET active = false WHERE id = $BOB"
sed -e 's/<s1@/<s5@/' "$T/s1.eml" > "$T/s5.eml"
mailin "$T/s5.eml"
expect_eq "a disabled staff member's answer: 77" "$RC" 77
sql "UPDATE staff SET active = true WHERE id = $BOB"
sed -e 's/<s1@/<s6@/' -e '/^Sure, done/d' "$T/s1.eml" > "$T/s6.eml"
mailin "$T/s6.eml"
expect_eq "an answer that is only the quote: taken, no note" "$RC $(sql "SELECT count(*) FROM note")" "0 2"

{ sed -e 's/<s1@/<s7@/' -e '/^Sure, done/d' -e '/^Content-Type/q' "$T/s1.eml"; echo
  for i in $(seq 3000); do echo "Linje $i av loggen fra bildebehandlingen."; done; } > "$T/s7.eml"
len=$(sed '1,/^$/d' "$T/s7.eml" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' | wc -c)
mailin "$T/s7.eml"
expect_eq "an answer longer than a note holds: a note that says so" \
    "$RC $(sql "SELECT length(body) <= 100000, body LIKE E'Linje 1 av %\n\n[The text goes on: all of it is in the attached note-text.txt.]' FROM note ORDER BY id DESC LIMIT 1")" \
    "0 t|t"
expect_eq "  ...and all of it as a file on the ticket" \
    "$(sql "SELECT filename || ' ' || size FROM attachment WHERE ticket_id = $T3")" "note-text.txt $((len - 1))"

# ---- what is ours to fix: 75, so the MTA keeps the message -----------------------
msg "$T/n.eml" ola@nordlys.example.no "" "<n1@nordlys.example.no>" "New request" "A new request"
printf 'mail: {unknown_sender: create}\n' | cat "$CONFIG" - > "$T/typo.yaml"
mailin "$T/n.eml" "$T/typo.yaml"
expect_eq "a typo in the configuration: 75 (EX_TEMPFAIL), not a bounce" "$RC" 75
expect_eq "  ...saying why on stderr" "$(grep -c 'unknown_sender' "$T/err") $(grep -c 'tries again' "$T/err")" "1 1"
cp "$CONFIG" "$T/locked.yaml"; chmod 000 "$T/locked.yaml"
if [ "$(id -u)" = 0 ]; then
    # root reads any file: check as an unprivileged user, as the pipe runs.
    chmod 755 "$T"; chmod 644 "$T/n.eml"
    runuser -u nobody -- "$DOCKETCTL" --config "$T/locked.yaml" mail-in < "$T/n.eml" >"$T/out" 2>"$T/err"; RC=$?
    ERR=$(cat "$T/err")
else
    mailin "$T/n.eml" "$T/locked.yaml"
fi
expect_eq "a configuration the pipe's user cannot read: 75" "$RC" 75
expect_eq "  ...saying why" "$(grep -c 'ermission denied' "$T/err")" 1
mailin "$T/n.eml" "$T/missing.yaml"
expect_eq "no configuration file at all: 75" "$RC" 75
"$DOCKETCTL" mail-in --bogus < "$T/n.eml" >/dev/null 2>&1; RC=$?
expect_eq "a wrong option in the pipe command: 75" "$RC" 75
"$DOCKETCTL" mail-in --config < "$T/n.eml" >/dev/null 2>&1; RC=$?
expect_eq "--config without a file: 75" "$RC" 75
expect_eq "none of them took the message" "$(sql "SELECT count(*) FROM message WHERE message_id = '<n1@nordlys.example.no>'")" 0
mailin "$T/n.eml"
expect_eq "with the configuration fixed, the retry is taken" "$RC ${OUT%% [0-9]*}" "0 new ticket"
done_testing
