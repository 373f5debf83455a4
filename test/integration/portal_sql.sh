# portal_sql.sh - the portal's database side (schema/functions/portal.sql,
# SPEC section 8): access, sessions, what a contact may see (own, company,
# pipelines; 404 alike for "not yours" and "does not exist"), replies and
# their rules (SPEC section 3), new requests with files, one-time links,
# sign-up, SSO, and docketctl contact invite.
. "$(dirname "$0")/lib.bash"
ctl migrate >/dev/null
cat >> "$CONFIG" <<'YAML'
portal:
  base_url: https://help.example/
  title: Help Desk
  access: list
  access_list: Authorized Portal Users
YAML

L="'list', 'Authorized Portal Users'"    # p_access, p_list
SELF="'self_registration', NULL"
ALL="ARRAY['support', 'graphics']"        # p_pipelines
# sqlerr SQL: "SQLSTATE: message" of the error SQL raises (empty if none).
sqlerr() {
    psql "$DK_PG_CONNINFO" -XAtq -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -c "$1" 2>&1 >/dev/null |
        sed -n 's/^ERROR:  //p' | head -n 1
}
th() { echo "sha256(convert_to('$1', 'UTF8'))"; }   # a token's stored hash
tok() { printf 'tok_%s_%032d' "$1" 0; }              # a valid token text

# ---- people -------------------------------------------------------------------
sql "INSERT INTO staff (username, name, email, roles) VALUES
       ('alice', 'Alice Owner', 'alice@docket.example', '{content}'),
       ('bob', 'Bob Helper', 'bob@docket.example', '{content,graphics}')"
sql "INSERT INTO company (name) VALUES ('Nordlys skole'), ('Fjord skole')"
sql "INSERT INTO contact (email, first_name, last_name, company_id, password_hash, registered_at) VALUES
       ('ola@nordlys.example', 'Ola', 'Nordmann', 1, 'H-ola', now()),
       ('kari@nordlys.example', 'Kari', 'Holm', 1, 'H-kari', now()),
       ('per@fjord.example', 'Per', 'Fjell', 2, 'H-per', now()),
       ('nopw@nordlys.example', 'No', 'Password', 1, NULL, NULL)"
sql "INSERT INTO list_member (list_id, contact_id) SELECT 1, id FROM contact WHERE id IN (1, 2, 3, 4)"
OLA=1 KARI=2 PER=3 NOPW=4
ALICE=1

# ---- access -------------------------------------------------------------------
expect_eq "portal_allowed: a registered member of the list" \
    "$(sql "SELECT portal_allowed($OLA, $L), portal_allowed($NOPW, $L)")" "t|f"
sql "DELETE FROM list_member WHERE contact_id = $PER"
expect_eq "portal_allowed: list access needs membership, self_registration does not" \
    "$(sql "SELECT portal_allowed($PER, $L), portal_allowed($PER, $SELF), portal_allowed($PER, 'list', 'Other list')")" "f|t|f"
sql "INSERT INTO list_member (list_id, contact_id) VALUES (1, $PER)"
expect_eq "portal_allowed: the list's name in any case" \
    "$(sql "SELECT portal_allowed($PER, 'list', 'authorized portal USERS')")" "t"
expect_eq "portal_login_find: the email in any case gives the hash" \
    "$(sql "SELECT contact_id || ' ' || password_hash FROM portal_login_find('OLA@Nordlys.example', $L)")" "1 H-ola"
expect_eq "portal_login_find: nothing for no password, or an unknown email" \
    "$(sql "SELECT count(*) FROM portal_login_find('nopw@nordlys.example', $L)") $(sql "SELECT count(*) FROM portal_login_find('who@x.example', $L)")" "0 0"
expect_eq "portal_sso_find: a list member needs no password" \
    "$(sql "SELECT portal_sso_find('NOPW@nordlys.example', $L)")" "$NOPW"
sql "INSERT INTO contact (email) VALUES ('outsider@x.example')"
expect_eq "portal_sso_find: list: not a member is NULL; self_registration: any contact; unknown NULL" \
    "$(sql "SELECT coalesce(portal_sso_find('outsider@x.example', $L)::text, 'null') || ' ' || portal_sso_find('outsider@x.example', $SELF) || ' ' || coalesce(portal_sso_find('no@x.example', $SELF)::text, 'null')")" "null 5 null"

# ---- sessions -----------------------------------------------------------------
ATT=$(sql "SELECT attempt FROM login_begin('contact:ola@nordlys.example', '10.0.0.1', 5, 10, 20, '15 minutes')")
S1=$(sql "SELECT portal_session_new($OLA, sha256('s1'), $ATT)")
expect_eq "portal_session_new ends the login attempt (success forgets it)" \
    "$(sql "SELECT count(*) FROM login_attempt")" 0
expect_eq "portal_session_get: the session's contact and company" \
    "$(sql "SELECT session_id = $S1, contact_id, email, first_name, last_name, company_id, company_name FROM portal_session_get(sha256('s1'), '30 minutes', $L)")" \
    "t|1|ola@nordlys.example|Ola|Nordmann|1|Nordlys skole"
sql "UPDATE session SET last_seen_at = now() - interval '5 seconds' WHERE id = $S1"
sql "SELECT * FROM portal_session_get(sha256('s1'), '30 minutes', $L)" >/dev/null
expect_eq "portal_session_get: last_seen_at not written within 10 s" \
    "$(sql "SELECT last_seen_at < now() - interval '4 seconds' FROM session WHERE id = $S1")" t
sql "UPDATE session SET last_seen_at = now() - interval '20 minutes' WHERE id = $S1"
sql "SELECT * FROM portal_session_get(sha256('s1'), '30 minutes', $L)" >/dev/null
expect_eq "portal_session_get: touched after 10 s" \
    "$(sql "SELECT last_seen_at > now() - interval '1 minute' FROM session WHERE id = $S1")" t
sql "UPDATE session SET last_seen_at = now() - interval '31 minutes' WHERE id = $S1"
expect_eq "portal_session_get: idle past p_idle gives no row and deletes it" \
    "$(sql "SELECT count(*) FROM portal_session_get(sha256('s1'), '30 minutes', $L)") $(sql "SELECT count(*) FROM session WHERE id = $S1")" "0 0"
S2=$(sql "SELECT portal_session_new($NOPW, sha256('sso'), NULL)")
expect_eq "portal_session_get: an SSO session (no password) of a member is valid" \
    "$(sql "SELECT contact_id FROM portal_session_get(sha256('sso'), '30 minutes', $L)")" "$NOPW"
expect_eq "portal_session_get: not for another list (the session goes)" \
    "$(sql "SELECT count(*) FROM portal_session_get(sha256('sso'), '30 minutes', 'list', 'Other')") $(sql "SELECT count(*) FROM session WHERE id = $S2")" "0 0"
S3=$(sql "SELECT portal_session_new($KARI, sha256('k1'), NULL)")
S4=$(sql "SELECT portal_session_new($KARI, sha256('k2'), NULL)")
sql "SELECT portal_logout($S3)" >/dev/null
expect_eq "portal_logout ends all of the contact's sessions" \
    "$(sql "SELECT count(*) FROM session WHERE contact_id = $KARI")" 0
expect_eq "portal_session_get: an unknown token gives nothing" \
    "$(sql "SELECT count(*) FROM portal_session_get(sha256('nope'), '30 minutes', $L)")" 0

# ---- tickets and what a contact sees ------------------------------------------
mk() { # CONTACT SUBJECT DESCRIPTION: a ticket's id
    sql "SELECT ticket_create($1, '$2', '$3', 'medium', 'email', NULL)->>'id'"
}
T1=$(mk $OLA "Logo for the website" "Please make the logo bigger")
T2=$(mk $OLA "Broken menu" "The menu is gone")
T3=$(mk $KARI "Karis timetable" "Timetable page")
T4=$(mk $PER "Fjord newsletter" "Other school")
T5=$(mk $OLA "Graphics job" "Banner")
sql "UPDATE ticket SET pipeline = 'graphics', stage = 'waiting_on_graphics' WHERE id = $T5"
sql "UPDATE ticket SET last_activity_at = now() - (id - 1000) * interval '1 minute'"
sql "SELECT ticket_claim($ALICE, $T2, NULL)" >/dev/null
sql "SELECT message_send($ALICE, $T2, 'We are looking at the menu', 'agency.example')" >/dev/null
sql "SELECT note_add($ALICE, $T2, 'secret internal note about zebra')" >/dev/null
sql "INSERT INTO message (ticket_id, direction, author_contact_id, body) VALUES ($T1, 'in', $OLA, 'Also the colour should be teal')"
sql "SELECT ticket_close($ALICE, $T2, NULL)" >/dev/null

# ids "portal_tickets(...)": the ids of its rows, in its order
ids() { sql "SELECT coalesce(string_agg(r.id::text, ' ' ORDER BY o), '') FROM $1 WITH ORDINALITY AS r(id, subject, created, last_activity, closed, closed_at, pipeline, stage, stage_name, contact_name, mine, o)"; }
expect_eq "portal_tickets own: own tickets, newest activity first, pipeline filter" \
    "$(ids "portal_tickets($OLA, 'own', ARRAY['support'], 'mine', 'all', NULL, 50)")" "$T2 $T1"
expect_eq "portal_tickets own: every pipeline given" \
    "$(ids "portal_tickets($OLA, 'own', $ALL, 'mine', 'all', NULL, 50)")" "$T2 $T1 $T5"
expect_eq "portal_tickets: view company without company visibility is mine" \
    "$(ids "portal_tickets($OLA, 'own', ARRAY['support'], 'company', 'all', NULL, 50)")" "$T2 $T1"
expect_eq "portal_tickets company: the school's tickets, not the other school's" \
    "$(ids "portal_tickets($OLA, 'company', ARRAY['support'], 'company', 'all', NULL, 50)")" "$T2 $T1 $T3"
expect_eq "portal_tickets company, view mine: own only" \
    "$(ids "portal_tickets($KARI, 'company', ARRAY['support'], 'mine', 'all', NULL, 50)")" "$T3"
expect_eq "portal_tickets: mine flag and contact name" \
    "$(sql "SELECT string_agg(mine || ':' || contact_name, ' ' ORDER BY id) FROM portal_tickets($KARI, 'company', ARRAY['support'], 'company', 'all', NULL, 50)")" \
    "false:Ola Nordmann false:Ola Nordmann true:Kari Holm"
expect_eq "portal_tickets: status open / closed" \
    "$(ids "portal_tickets($OLA, 'own', ARRAY['support'], 'mine', 'open', NULL, 50)")/$(ids "portal_tickets($OLA, 'own', ARRAY['support'], 'mine', 'closed', NULL, 50)")" "$T1/$T2"
expect_eq "portal_tickets: a closed ticket's fields" \
    "$(sql "SELECT closed, stage, stage_name, closed_at ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$', last_activity ~ '^\d{4}-', created ~ '^\d{4}-', pipeline FROM portal_tickets($OLA, 'own', ARRAY['support'], 'mine', 'closed', NULL, 50)")" \
    "t|closed|Closed|t|t|t|support"
expect_eq "portal_tickets: an unknown status is DK400" \
    "$(sqlerr "SELECT portal_tickets($OLA, 'own', NULL, 'mine', 'pending', NULL, 50)")" 'DK400: status "pending" is not one of open, closed, all'
expect_eq "portal_tickets: search in the subject, any case" \
    "$(ids "portal_tickets($OLA, 'own', $ALL, 'mine', 'all', 'LOGO', 50)")" "$T1"
expect_eq "portal_tickets: search in the description" \
    "$(ids "portal_tickets($OLA, 'own', $ALL, 'mine', 'all', 'menu is gone', 50)")" "$T2"
expect_eq "portal_tickets: search in the conversation (in and out)" \
    "$(ids "portal_tickets($OLA, 'own', $ALL, 'mine', 'all', 'teal', 50)") $(ids "portal_tickets($OLA, 'own', $ALL, 'mine', 'all', 'looking at', 50)")" "$T1 $T2"
expect_eq "portal_tickets: never in notes" \
    "$(ids "portal_tickets($OLA, 'own', $ALL, 'mine', 'all', 'zebra', 50)")" ""
expect_eq "portal_tickets: % and _ are plain text in a search" \
    "$(ids "portal_tickets($OLA, 'own', $ALL, 'mine', 'all', '%', 50)")" ""
expect_eq "portal_tickets: the limit" \
    "$(ids "portal_tickets($OLA, 'own', $ALL, 'mine', 'all', '', 1)")" "$T2"

expect_eq "portal_ticket: own ticket with its conversation, never notes" \
    "$(sql "SELECT j->>'id', j->>'subject', j->>'stage_name', jsonb_array_length(j->'messages'), j::text LIKE '%zebra%', j ? 'notes' FROM portal_ticket($OLA, 'own', ARRAY['support'], $T2) j")" \
    "$T2|Broken menu|Closed|1|f|f"
expect_eq "portal_ticket: a staff reply's author is the display name, source staff" \
    "$(sql "SELECT m->>'direction', m->>'author', m->>'source', m->>'body' FROM portal_ticket($OLA, 'own', NULL, $T2) j, jsonb_array_elements(j->'messages') m")" \
    "out|Alice Owner|staff|We are looking at the menu"
NF="DK404: ticket $T3 not found"
expect_eq "portal_ticket: another contact's ticket is 404 (own visibility)" \
    "$(sqlerr "SELECT portal_ticket($OLA, 'own', $ALL, $T3)")" "$NF"
expect_eq "portal_ticket: ...as a ticket that does not exist" \
    "$(sqlerr "SELECT portal_ticket($OLA, 'own', $ALL, 999999)")" "DK404: ticket 999999 not found"
expect_eq "portal_ticket: company visibility shows the school's ticket" \
    "$(sql "SELECT portal_ticket($OLA, 'company', $ALL, $T3)->>'contact_name'")" "Kari Holm"
expect_eq "portal_ticket: another school's is 404 even with company visibility" \
    "$(sqlerr "SELECT portal_ticket($OLA, 'company', $ALL, $T4)")" "DK404: ticket $T4 not found"
expect_eq "portal_ticket: a pipeline the portal does not show is 404" \
    "$(sqlerr "SELECT portal_ticket($OLA, 'own', ARRAY['support'], $T5)")" "DK404: ticket $T5 not found"
sql "UPDATE contact SET company_id = NULL WHERE id = $NOPW"
sql "UPDATE ticket SET company_id = NULL WHERE id = $T4"
expect_eq "portal_ticket: no company matches no company (NULL is not equal)" \
    "$(sqlerr "SELECT portal_ticket($NOPW, 'company', $ALL, $T4)")" "DK404: ticket $T4 not found"
sql "UPDATE ticket SET company_id = 2 WHERE id = $T4"
expect_eq "portal_ticket: a contact with no company sees no company's tickets" \
    "$(sqlerr "SELECT portal_ticket($NOPW, 'company', $ALL, $T4)")" "DK404: ticket $T4 not found"

# Attachments: one with a message, one without (staff-internal).
M1=$(sql "SELECT id FROM message WHERE ticket_id = $T1")
A1=$(sql "INSERT INTO attachment (ticket_id, message_id, filename, content_type, size, sha256, content) VALUES ($T1, $M1, 'a.txt', 'text/plain', 3, sha256('abc'), 'abc') RETURNING id")
A2=$(sql "INSERT INTO attachment (ticket_id, message_id, filename, content_type, size, sha256, content) VALUES ($T1, NULL, 'internal.txt', 'text/plain', 3, sha256('xyz'), 'xyz') RETURNING id")
A3=$(sql "INSERT INTO attachment (ticket_id, message_id, filename, content_type, size, sha256, content) VALUES ($T4, NULL, 'b.txt', 'text/plain', 1, sha256('b'), 'b') RETURNING id")
expect_eq "portal_ticket: only attachments that came with a message" \
    "$(sql "SELECT string_agg(a->>'filename' || ':' || (a->>'size'), ' ') FROM portal_ticket($OLA, 'own', NULL, $T1) j, jsonb_array_elements(j->'messages') m, jsonb_array_elements(m->'attachments') a")" "a.txt:3"
expect_eq "portal_attachment: a visible one" \
    "$(sql "SELECT filename, content_type, size, convert_from(content, 'UTF8') FROM portal_attachment($OLA, 'own', NULL, $A1)")" "a.txt|text/plain|3|abc"
expect_eq "portal_attachment: not tied to a message is 404" \
    "$(sqlerr "SELECT * FROM portal_attachment($OLA, 'own', NULL, $A2)")" "DK404: attachment $A2 not found"
expect_eq "portal_attachment: another school's is 404, as a missing one" \
    "$(sqlerr "SELECT * FROM portal_attachment($OLA, 'company', NULL, $A3)") / $(sqlerr "SELECT * FROM portal_attachment($OLA, 'own', NULL, 999999)")" \
    "DK404: attachment $A3 not found / DK404: attachment 999999 not found"
expect_eq "portal_attachment: the school's, with company visibility" \
    "$(sql "SELECT filename FROM portal_attachment($KARI, 'company', NULL, $A1)")" "a.txt"
expect_eq "portal_attachment: the school's, without it, 404" \
    "$(sqlerr "SELECT * FROM portal_attachment($KARI, 'own', NULL, $A1)")" "DK404: attachment $A1 not found"

# ---- replies --------------------------------------------------------------------
sql "SELECT ticket_claim($ALICE, $T1, NULL)" >/dev/null
sql "SELECT ticket_set_stage($ALICE, $T1, NULL, 'waiting_on_contact')" >/dev/null
V=$(sql "SELECT version FROM ticket WHERE id = $T1")
E=$(sql "SELECT max(id) FROM event")
sql "DELETE FROM outbox"
MID=$(sql "SELECT portal_reply($KARI, 'company', ARRAY['support'], $T1, 'Kari here: any news?', '14 days', ARRAY['x.pdf', '../../evil.html'], ARRAY['application/pdf', 'text/html'], ARRAY['%PDF'::bytea, '<b>'::bytea])")
expect_eq "portal_reply: the message, in, source portal, authored by the replying contact" \
    "$(sql "SELECT direction, source, author_contact_id, body FROM message WHERE id = $MID")" "in|portal|$KARI|Kari here: any news?"
expect_eq "portal_reply: waiting_on_contact goes back to in_progress, version bumped once" \
    "$(sql "SELECT stage, version - $V FROM ticket WHERE id = $T1")" "in_progress|1"
expect_eq "portal_reply: one ticket event (message_received, with message and source) and one notification event" \
    "$(sql "SELECT string_agg(type || '/' || action || coalesce('/' || (change->>'message')::text || '/' || (change->>'source'), '') || coalesce('/for:' || for_staff_id, ''), ' ' ORDER BY id) FROM event WHERE id > $E")" \
    "ticket.changed/message_received/$MID/portal notification/notified/for:$ALICE"
expect_eq "portal_reply: the event says the stage moved, by the contact" \
    "$(sql "SELECT change->'stage', contact_id, staff_id IS NULL FROM event WHERE id > $E AND type = 'ticket.changed'")" \
    '["waiting_on_contact", "in_progress"]|'"$KARI"'|t'
expect_eq "portal_reply: the owner's client_reply notification" \
    "$(sql "SELECT staff_id, kind, ticket_id FROM notification WHERE kind = 'client_reply'")" "$ALICE|client_reply|$T1"
expect_eq "portal_reply: the owner's client_reply email" \
    "$(sql "SELECT kind, to_addr, subject, body LIKE '%Kari here: any news?%' FROM outbox")" \
    "client_reply|alice@docket.example|[#$T1] Kari Holm replied: Logo for the website|t"
expect_eq "portal_reply: the files tied to the message, names and types made safe" \
    "$(sql "SELECT string_agg(filename || ':' || content_type || ':' || size, ' ' ORDER BY id) FROM attachment WHERE message_id = $MID AND ticket_id = $T1")" \
    "x.pdf:application/pdf:4 evil.html:application/octet-stream:3"
expect_eq "portal_reply: another school's contact gets 404" \
    "$(sqlerr "SELECT portal_reply($PER, 'company', NULL, $T1, 'hi', '14 days', NULL, NULL, NULL)")" "DK404: ticket $T1 not found"
expect_eq "portal_reply: a blank body without files is DK400" \
    "$(sqlerr "SELECT portal_reply($OLA, 'own', NULL, $T1, '  ', '14 days', '{}', '{}', '{}')")" "DK400: a reply needs a message or a file"
expect_eq "portal_reply: arrays of different lengths are DK400" \
    "$(sqlerr "SELECT portal_reply($OLA, 'own', NULL, $T1, 'x', '14 days', ARRAY['a'], ARRAY['text/plain'], '{}')" | sed 's/ (.*//')" \
    "DK400: the files' names, types and contents are not as many"
MID=$(sql "SELECT portal_reply($OLA, 'own', NULL, $T1, NULL, '14 days', ARRAY['f.txt'], ARRAY['text/plain'], ARRAY['f'::bytea])")
expect_eq "portal_reply: a file only, no body, is fine" \
    "$(sql "SELECT body = '' FROM message WHERE id = $MID") $(sql "SELECT count(*) FROM attachment WHERE message_id = $MID")" "t 1"
# The ticket is closed now (T2, owner alice): within the window it reopens.
V=$(sql "SELECT version FROM ticket WHERE id = $T2")
E=$(sql "SELECT max(id) FROM event")
sql "SELECT portal_reply($OLA, 'own', NULL, $T2, 'It is broken again', '14 days', NULL, NULL, NULL)" >/dev/null
expect_eq "portal_reply: closed within p_reopen_within: reopened to in_progress (owner), one version bump" \
    "$(sql "SELECT pipeline, stage, closed, closed_at IS NULL, version - $V FROM ticket WHERE id = $T2")" "support|in_progress|f|t|1"
expect_eq "portal_reply: ...a reopened event, then message_received" \
    "$(sql "SELECT string_agg(action, ' ' ORDER BY id) FROM event WHERE id > $E AND type <> 'notification'") $(sql "SELECT change->'stage' FROM event WHERE id > $E AND action = 'reopened'")" \
    'reopened message_received ["closed", "in_progress"]'
sql "SELECT ticket_unclaim($ALICE, $T2, NULL), ticket_close($ALICE, $T2, NULL)" >/dev/null
sql "SELECT portal_reply($OLA, 'own', NULL, $T2, 'Again', '14 days', NULL, NULL, NULL)" >/dev/null
expect_eq "portal_reply: reopened without an owner: new" "$(sql "SELECT stage FROM ticket WHERE id = $T2")" new
sql "SELECT ticket_claim($ALICE, $T2, NULL), ticket_close($ALICE, $T2, NULL)" >/dev/null
sql "UPDATE ticket SET closed_at = '2024-03-01 12:00+00' WHERE id = $T2"
V=$(sql "SELECT version FROM ticket WHERE id = $T2")
expect_eq "portal_reply: closed longer ago than p_reopen_within is DK409" \
    "$(sqlerr "SELECT portal_reply($OLA, 'own', NULL, $T2, 'Hello?', '14 days', NULL, NULL, NULL)")" \
    "DK409: ticket $T2 was closed on 2024-03-01; send a new request"
expect_eq "  ...and changes nothing" "$(sql "SELECT version - $V, closed FROM ticket WHERE id = $T2")" "0|t"

# The email path follows the same rules (message_from_contact, through
# mail_in_contact).
sql "SELECT ticket_set_stage($ALICE, $T1, NULL, 'waiting_on_contact')" >/dev/null
sql "DELETE FROM outbox"
MID=$(sql "SELECT mid FROM mail_in_contact($OLA, $T1, NULL, 'Re: x', 'by email', '<m1@x>', NULL, '14 days')")
expect_eq "mail_in_contact: source email, back to in_progress, owner emailed" \
    "$(sql "SELECT source FROM message WHERE id = $MID") $(sql "SELECT stage FROM ticket WHERE id = $T1") $(sql "SELECT kind FROM outbox")" \
    "email in_progress client_reply"
expect_eq "mail_in_contact: still only the ticket's own contact" \
    "$(sqlerr "SELECT mail_in_contact($KARI, $T1, NULL, 'Re: x', 'x', NULL, NULL, '14 days')")" "DK403: ticket $T1 belongs to another contact"

# ---- new requests ---------------------------------------------------------------
sql "DELETE FROM outbox"
TN=$(sql "SELECT portal_ticket_new($OLA, 'New laptop', 'Need help with the new laptop', 'high', ARRAY['one.png', 'two.txt'], ARRAY['image/png', 'text/plain'], ARRAY['\x89504e47'::bytea, 'hello'::bytea])")
expect_eq "portal_ticket_new: an unassigned support ticket, source portal" \
    "$(sql "SELECT pipeline, stage, owner_id IS NULL, source, priority, contact_id, company_id FROM ticket WHERE id = $TN")" "support|new|t|portal|high|$OLA|1"
expect_eq "portal_ticket_new: the description is the first message, in, source portal" \
    "$(sql "SELECT count(*), min(direction), min(source), min(body) FROM message WHERE ticket_id = $TN")" "1|in|portal|Need help with the new laptop"
expect_eq "portal_ticket_new: both files tied to that message" \
    "$(sql "SELECT string_agg(a.filename || ':' || a.size, ' ' ORDER BY a.id) FROM attachment a JOIN message m ON m.id = a.message_id WHERE a.ticket_id = $TN AND m.ticket_id = $TN")" "one.png:4 two.txt:5"
expect_eq "portal_ticket_new: its ticket.created event, by the contact" \
    "$(sql "SELECT type, contact_id, change->>'source' FROM event WHERE ticket_id = $TN")" "ticket.created|$OLA|portal"
expect_eq "portal_ticket_new: shown in the portal with its files" \
    "$(sql "SELECT jsonb_array_length(portal_ticket($OLA, 'own', NULL, $TN)->'messages'->0->'attachments')")" 2
expect_eq "portal_ticket_new: a blank subject is DK400" \
    "$(sqlerr "SELECT portal_ticket_new($OLA, ' ', 'x', 'low', NULL, NULL, NULL)")" "DK400: a ticket needs a subject"

# ---- one-time links: register ---------------------------------------------------
R1=$(tok r1) R2=$(tok r2)
sql "SELECT portal_invite($NOPW, '$R1', 'https://help.example/', 'Help Desk', 7)" >/dev/null
sql "SELECT portal_invite($NOPW, '$R2', 'https://help.example/', 'Help Desk', 7)" >/dev/null
expect_eq "portal_invite: the email has the link, 7 days" \
    "$(sql "SELECT count(*) FROM outbox WHERE kind = 'portal_registration' AND body LIKE '%https://help.example/register?token=$R2%' AND body LIKE '%7 days%'")" 1
expect_eq "portal_invite: a new token cancels the older one (and its unsent email)" \
    "$(sql "SELECT count(*) FROM portal_token_peek($(th "$R1"), 'register')") $(sql "SELECT count(*) FROM outbox WHERE kind = 'portal_registration' AND failed_at IS NULL")" "0 1"
expect_eq "portal_token_peek: a usable token, not consumed" \
    "$(sql "SELECT contact_id, email, first_name FROM portal_token_peek($(th "$R2"), 'register')") $(sql "SELECT count(*) FROM portal_token_peek($(th "$R2"), 'register')")" \
    "$NOPW|nopw@nordlys.example|No 1"
expect_eq "portal_token_peek: another purpose gives nothing" \
    "$(sql "SELECT count(*) FROM portal_token_peek($(th "$R2"), 'reset')")" 0
expect_eq "portal_register: a token for another purpose is NULL" \
    "$(sql "SELECT coalesce(portal_reset_finish($(th "$R2"), 'H-x')::text, 'null')")" null
sql "SELECT portal_session_new($NOPW, sha256('nopw-sso'), NULL)" >/dev/null
expect_eq "portal_register: the contact; password set, registered" \
    "$(sql "SELECT portal_register($(th "$R2"), 'H-nopw')") $(sql "SELECT password_hash, registered_at IS NOT NULL FROM contact WHERE id = $NOPW")" "$NOPW H-nopw|t"
expect_eq "portal_register: the contact's sessions ended" \
    "$(sql "SELECT count(*) FROM session WHERE contact_id = $NOPW")" 0
expect_eq "portal_register: single use" \
    "$(sql "SELECT coalesce(portal_register($(th "$R2"), 'H-again')::text, 'null')") $(sql "SELECT password_hash FROM contact WHERE id = $NOPW")" "null H-nopw"
R3=$(tok r3)
sql "SELECT portal_invite($NOPW, '$R3', 'https://help.example', 'Help Desk', 7)" >/dev/null
REG=$(sql "SELECT registered_at FROM contact WHERE id = $NOPW")
sql "UPDATE contact_token SET expires_at = now() - interval '1 second' WHERE token_hash = $(th "$R3")"
expect_eq "portal_register: an expired token is NULL, and peek shows nothing" \
    "$(sql "SELECT coalesce(portal_register($(th "$R3"), 'H-late')::text, 'null')") $(sql "SELECT count(*) FROM portal_token_peek($(th "$R3"), 'register')")" "null 0"
R4=$(tok r4)
sql "SELECT portal_invite($NOPW, '$R4', 'https://help.example', 'Help Desk', 7)" >/dev/null
sql "SELECT portal_register($(th "$R4"), 'H-nopw2')" >/dev/null
expect_eq "portal_register: an earlier registered_at is kept" \
    "$(sql "SELECT registered_at = '$REG' FROM contact WHERE id = $NOPW")" t
expect_eq "portal_invite: an unknown contact is DK404, a bad token DK400" \
    "$(sqlerr "SELECT portal_invite(999999, '$(tok x)', 'https://h', 'T', 7)") / $(sqlerr "SELECT portal_invite($NOPW, 'short', 'https://h', 'T', 7)")" \
    "DK404: contact 999999 does not exist / DK400: a link token must be 32 to 128 characters of base64url"

# ---- password reset ------------------------------------------------------------
sql "DELETE FROM outbox"
P1=$(tok p1) P2=$(tok p2)
sql "SELECT portal_reset_request('OLA@nordlys.example', $L, '$P1', 'https://help.example/', 'Help Desk')" >/dev/null
sql "SELECT portal_reset_request('ola@nordlys.example', $L, '$P2', 'https://help.example/', 'Help Desk')" >/dev/null
expect_eq "portal_reset_request: the email with the reset link" \
    "$(sql "SELECT count(*) FROM outbox WHERE kind = 'password_reset' AND to_addr = 'ola@nordlys.example' AND body LIKE '%https://help.example/reset/confirm?token=$P2%' AND body LIKE '%1 hour%' AND subject = 'Reset your Help Desk password'")" 1
expect_eq "portal_reset_request: 1 hour, and the older token cancelled" \
    "$(sql "SELECT expires_at - created_at FROM contact_token WHERE token_hash = $(th "$P2")") $(sql "SELECT count(*) FROM contact_token WHERE token_hash = $(th "$P1")")" "01:00:00 0"
sql "SELECT portal_reset_request('outsider@x.example', $L, '$(tok p3)', 'https://h', 'T'), portal_reset_request('nobody@x.example', $L, '$(tok p4)', 'https://h', 'T')" >/dev/null
expect_eq "portal_reset_request: an address that may not log in gets nothing, no error" \
    "$(sql "SELECT count(*) FROM outbox WHERE to_addr <> 'ola@nordlys.example'") $(sql "SELECT count(*) FROM contact_token WHERE purpose = 'reset'")" "0 1"
sql "SELECT portal_session_new($OLA, sha256('o1'), NULL), portal_session_new($OLA, sha256('o2'), NULL)" >/dev/null
sql "SELECT portal_invite($OLA, '$(tok r9)', 'https://h', 'T', 7)" >/dev/null
expect_eq "portal_reset_finish: the contact; the password set" \
    "$(sql "SELECT portal_reset_finish($(th "$P2"), 'H-ola-new')") $(sql "SELECT password_hash FROM contact WHERE id = $OLA")" "$OLA H-ola-new"
expect_eq "portal_reset_finish: ALL the contact's sessions ended, unused tokens cancelled" \
    "$(sql "SELECT count(*) FROM session WHERE contact_id = $OLA") $(sql "SELECT count(*) FROM contact_token WHERE contact_id = $OLA AND used_at IS NULL")" "0 0"
expect_eq "portal_reset_finish: single use" \
    "$(sql "SELECT coalesce(portal_reset_finish($(th "$P2"), 'H-x')::text, 'null')")" null

# ---- self-registration -----------------------------------------------------------
sql "DELETE FROM outbox"
U1=$(tok u1) U2=$(tok u2) U3=$(tok u3)
sql "SELECT portal_signup('New.Person@Else.example', 'New', 'Person', 'H-new', '$U1', 'https://help.example', 'Help Desk', 'en')" >/dev/null
NEW=$(sql "SELECT id FROM contact WHERE lower(email) = 'new.person@else.example'")
expect_eq "portal_signup: an unknown address becomes a contact, not registered, no company" \
    "$(sql "SELECT first_name, last_name, company_id IS NULL, registered_at IS NULL FROM contact WHERE id = $NEW")" "New|Person|t|t"
expect_eq "portal_signup: ...who may not log in before confirming" \
    "$(sql "SELECT portal_allowed($NEW, $SELF)") $(sql "SELECT count(*) FROM portal_login_find('new.person@else.example', $SELF)")" "f 0"
expect_eq "portal_signup: the confirmation email (24 hours)" \
    "$(sql "SELECT kind, to_addr FROM outbox WHERE body LIKE '%https://help.example/signup/confirm?token=$U1%' AND body LIKE '%24 hours%'") $(sql "SELECT expires_at - created_at FROM contact_token WHERE token_hash = $(th "$U1")")" \
    "signup_confirm|New.Person@Else.example 1 day"
sql "SELECT portal_signup('new.person@else.example', 'Other', 'Name', 'H-new2', '$U2', 'https://help.example', 'Help Desk', 'en')" >/dev/null
expect_eq "portal_signup again: the same row, the older token cancelled" \
    "$(sql "SELECT count(*) FROM contact WHERE lower(email) = 'new.person@else.example'") $(sql "SELECT first_name FROM contact WHERE id = $NEW") $(sql "SELECT count(*) FROM contact_token WHERE contact_id = $NEW")" "1 New 1"
expect_eq "portal_signup_confirm: the contact, registered, with the password of that sign-up" \
    "$(sql "SELECT portal_signup_confirm($(th "$U2"))") $(sql "SELECT password_hash, registered_at IS NOT NULL FROM contact WHERE id = $NEW") $(sql "SELECT portal_allowed($NEW, $SELF)")" \
    "$NEW H-new2|t t"
expect_eq "portal_signup_confirm: single use; the cancelled token is no use" \
    "$(sql "SELECT coalesce(portal_signup_confirm($(th "$U2"))::text, 'null'), coalesce(portal_signup_confirm($(th "$U1"))::text, 'null')")" "null|null"
sql "DELETE FROM outbox"
sql "SELECT portal_signup('new.person@else.example', 'X', 'Y', 'H-evil', '$U3', 'https://help.example', 'Help Desk', 'en')" >/dev/null
expect_eq "portal_signup: a registered contact gets no token, no email, no change" \
    "$(sql "SELECT count(*) FROM contact_token WHERE token_hash = $(th "$U3")") $(sql "SELECT count(*) FROM outbox") $(sql "SELECT password_hash FROM contact WHERE id = $NEW")" "0 0 H-new2"
sql "INSERT INTO contact (email, first_name) VALUES ('known@else.example', 'Known')"
KNOWN=$(sql "SELECT id FROM contact WHERE email = 'known@else.example'")
U4=$(tok u4)
sql "SELECT portal_signup('KNOWN@else.example', 'K', 'N', 'H-known', '$U4', 'https://help.example', 'Help Desk', 'en')" >/dev/null
expect_eq "portal_signup: a known contact not yet registered keeps their row" \
    "$(sql "SELECT count(*), min(first_name) FROM contact WHERE lower(email) = 'known@else.example'") $(sql "SELECT count(*) FROM contact_token WHERE contact_id = $KNOWN AND purpose = 'confirm'")" "1|Known 1"
sql "UPDATE contact_token SET expires_at = now() - interval '1 second' WHERE token_hash = $(th "$U4")"
expect_eq "portal_signup_confirm: an expired token is NULL" \
    "$(sql "SELECT coalesce(portal_signup_confirm($(th "$U4"))::text, 'null')") $(sql "SELECT registered_at IS NULL FROM contact WHERE id = $KNOWN")" "null t"
expect_eq "portal_signup: a bad address, a long name are DK400" \
    "$(sqlerr "SELECT portal_signup('not an address', 'a', 'b', 'H', '$(tok u5)', 'https://h', 'T', 'en')") / $(sqlerr "SELECT portal_signup('a@b.example', repeat('x', 101), 'b', 'H', '$(tok u6)', 'https://h', 'T', 'en')")" \
    'DK400: email "not an address" is not an address / DK400: a name may be at most 100 characters'

# ---- docketctl: invite, list membership ---------------------------------------
sql "DELETE FROM outbox"
sql "UPDATE contact SET password_hash = 'H-per', registered_at = now() WHERE id = $PER"
run ctl contact invite PER@fjord.example
expect_eq "contact invite: says so" "$(sed 's/until .*/until/' <<<"$OUT")" \
    "registration email queued for PER@fjord.example (the link works until"
TOKEN=$(sql "SELECT substring(body from 'register\?token=([A-Za-z0-9_-]+)') FROM outbox WHERE kind = 'portal_registration'")
expect_eq "contact invite: the emailed token's SHA-256 is the stored one (C and SQL hash alike)" \
    "$(sql "SELECT count(*) FROM portal_token_peek($(th "$TOKEN"), 'register') WHERE contact_id = $PER")" 1
expect_eq "contact invite: base_url without its trailing slash, the title" \
    "$(sql "SELECT subject, body LIKE '%https://help.example/register?token=%' FROM outbox")" "Your Help Desk account|t"
run ctl contact invite outsider@x.example
expect_err "contact invite: refused for a contact outside the access list" \
    'docketctl: contact invite: outsider@x.example is not a member of "Authorized Portal Users", the portal'"'"'s access list (portal.access: list); add them with docketctl list add-member'
run ctl contact invite nobody@x.example
expect_err "contact invite: an unknown address" 'docketctl: contact invite: no contact with email "nobody@x.example"'
run ctl list add-member "Authorized Portal Users" outsider@x.example
expect_eq "list add-member: registration email queued through portal_invite" \
    "$OUT $(sql "SELECT count(*) FROM outbox o JOIN contact_token k ON k.contact_id = 5 AND k.purpose = 'register' WHERE o.to_addr = 'outsider@x.example' AND o.body LIKE '%/register?token=%'")" \
    'added outsider@x.example to "Authorized Portal Users"; registration email queued 1'
sql "SELECT portal_session_new($PER, sha256('per1'), NULL)" >/dev/null
run ctl list remove-member "Authorized Portal Users" per@fjord.example
expect_ok "list remove-member"
expect_eq "list remove-member: the contact's sessions ended and unused links cancelled" \
    "$(sql "SELECT count(*) FROM session WHERE contact_id = $PER") $(sql "SELECT count(*) FROM contact_token WHERE contact_id = $PER AND used_at IS NULL")" "0 0"
sed -i 's/access: list/access: self_registration/' "$CONFIG"
run ctl contact invite per@fjord.example
expect_ok "contact invite: anyone with self_registration"

done_testing
