# ctl_ticket.sh - docketctl ticket create: prints the id alone, writes the
# ticket in New with its due time and its 'ticket.created' event.
. "$(dirname "$0")/lib.bash"
ctl migrate >/dev/null
ctl company add "Oakwood Academy" --website https://oakwood.example.org
ctl contact add priya@oakwood.example.org --first Priya --last Raman --company "Oakwood Academy"

run_in 'The link to the calendar on the home page is broken.
Could you fix it before Monday?' ctl ticket create --contact Priya@Oakwood.example.org --subject "Broken calendar link" --priority high
expect_eq "prints the new id alone" "$OUT" 1001
expect_eq "ticket stored" "$(sql "SELECT subject || '|' || priority || '|' || pipeline || '/' || stage || '|' || source || '|' || (owner_id IS NULL) || '|' || (company_id IS NOT NULL) || '|' || version FROM ticket")" \
    "Broken calendar link|high|support/new|phone|true|true|1"
expect_eq "description from stdin" "$(sql "SELECT description FROM ticket")" \
    "The link to the calendar on the home page is broken.
Could you fix it before Monday?"
expect_eq "high priority is due within 4 business hours" \
    "$(sql "SELECT due_at > created_at AND due_at <= created_at + interval '4 days' FROM ticket")" t
expect_eq "created event written" "$(sql "SELECT type || ' ' || action || ' ' || (change->>'source') FROM event")" "ticket.created created phone"

run_in '' ctl ticket create --contact priya@oakwood.example.org --subject "Low one" --priority low --source email
expect_eq "second id" "$OUT" 1002
expect_eq "low priority has no due time" "$(sql "SELECT due_at IS NULL FROM ticket WHERE id = 1002")" t

before=$(sql "SELECT count(*) FROM ticket")
run_in '' ctl ticket create --contact nobody@example.org --subject S
expect_err "unknown contact" 'docketctl: ticket create: no contact with email "nobody@example.org"'
run_in '' ctl ticket create --contact priya@oakwood.example.org --subject S --priority urgent
expect_err "bad priority" 'docketctl: ticket create: priority "urgent" is not one of low, medium, high'
run_in '' ctl ticket create --contact priya@oakwood.example.org --subject S --source fax
expect_err "bad source" 'docketctl: ticket create: source "fax" is not one of phone, email, form, portal'
run_in '' ctl ticket create --contact priya@oakwood.example.org
expect_err "missing subject" 'docketctl: ticket create: --subject is required'
run_in $'\xff\xfe' ctl ticket create --contact priya@oakwood.example.org --subject S
expect_err "description that is not UTF-8" 'docketctl: ticket create: description is not UTF-8 text'
run_in '' ctl ticket create --contact priya@oakwood.example.org --subject $'\xff'
expect_err "subject that is not UTF-8" 'docketctl: ticket create: subject is not UTF-8 text'
expect_eq "failures created nothing" "$(sql "SELECT count(*) FROM ticket")" "$before"

done_testing
