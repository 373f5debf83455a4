# ctl_contacts.sh - companies, contacts, CSV import (all or nothing, with
# line numbers), list membership and its registration email.
. "$(dirname "$0")/lib.bash"
ctl migrate >/dev/null

run ctl company add "Nordlys skole" --website https://Nordlys.example.no/om-oss
expect_ok "company add"
expect_eq "domain taken from the website" "$(sql "SELECT website || ' ' || domain FROM company")" \
    "https://Nordlys.example.no/om-oss nordlys.example.no"
run ctl company add "NORDLYS SKOLE"
expect_err "company names are unique regardless of case" 'docketctl: company add: company "NORDLYS SKOLE" already exists'
run ctl company add "Het Ĳsselcollege" --website ftp://x
expect_err "website must be http(s)" 'docketctl: company add: website "ftp://x" is not an http:// or https:// URL'
run ctl company add "Het Ĳsselcollege" --website https://ijssel.example.nl
expect_ok "company add with UTF-8"
run ctl company add "   "
expect_err "empty company name" 'docketctl: company add: name must be 1 to 200 characters of UTF-8 text'

run ctl contact add Ola.Nordmann@Nordlys.example.no --first Ola --last Nordmann --title Rektor --phone "+47 1234" --company "nordlys skole"
expect_ok "contact add"
expect_eq "contact stored with company" "$(sql "SELECT c.first_name || ' ' || c.title || ' ' || co.name FROM contact c JOIN company co ON co.id = c.company_id")" \
    "Ola Rektor Nordlys skole"
run ctl contact add ola.nordmann@nordlys.example.no --first Ola --last Again
expect_err "emails are unique regardless of case" 'docketctl: contact add: a contact with email "ola.nordmann@nordlys.example.no" already exists'
run ctl contact add "x" --first A --last B
expect_err "bad email" 'docketctl: contact add: email "x" is not an address'
run ctl contact add a@b.example --first A --last B --company "No Such School"
expect_err "unknown company" 'docketctl: contact add: company "No Such School" does not exist (add it with docketctl company add)'
run ctl contact add a@b.example --last B
expect_err "missing first name" 'docketctl: contact add: --first is required'
expect_eq "failures added nobody" "$(sql "SELECT count(*) FROM contact")" 1

# CSV import: quoting, UTF-8, CRLF, column order from the header.
printf '%s\r\n' 'first,last,email,title,phone,company' \
    'Øystein,Brå,oystein@nordlys.example.no,"Lærer, 5. trinn",,Nordlys skole' \
    'Ĳsbrand,de Jong,ijsbrand@ijssel.example.nl,Rector,"+31 38 555",Het Ĳsselcollege' \
    '"Renée ""Rae""",Claes,renee@example.be,,,' > "$T/good.csv"
run ctl contact import "$T/good.csv"
expect_eq "import reports its count" "$OUT" "imported 3 contacts"
expect_eq "imported fields" "$(sql "SELECT string_agg(first_name || '|' || coalesce(title, '-'), ';' ORDER BY id) FROM contact WHERE id > 1")" \
    'Øystein|Lærer, 5. trinn;Ĳsbrand|Rector;Renée "Rae"|-'

before=$(sql "SELECT count(*) FROM contact")
cat > "$T/bad.csv" <<'CSV'
email,first,last,title,phone,company
new1@example.org,New,One,,,
broken,Bad,Email,,,
new2@example.org,New,Two,,,Nowhere School
OYSTEIN@nordlys.example.no,Dup,Licate,,,
new3@example.org,Too,Few
new4@example.org,,Nofirst,,,
CSV
run ctl contact import "$T/bad.csv"
expect_err "bad rows are all reported with their line numbers" "docketctl: contact import: $T/bad.csv: line 3: email \"broken\" is not an address
docketctl: contact import: $T/bad.csv: line 4: company \"Nowhere School\" does not exist (add it with docketctl company add)
docketctl: contact import: $T/bad.csv: line 5: a contact with email \"OYSTEIN@nordlys.example.no\" already exists
docketctl: contact import: $T/bad.csv: line 6: expected 6 fields, found 3
docketctl: contact import: $T/bad.csv: line 7: first name is required
docketctl: contact import: nothing imported: 5 problems in \"$T/bad.csv\""
expect_eq "a bad file imports nothing, not even its good rows" "$(sql "SELECT count(*) FROM contact")" "$before"

printf 'email,first,last\nq@example.org,"Open,quote\n' > "$T/quote.csv"
run ctl contact import "$T/quote.csv"
expect_err_has "unclosed quote" "$T/quote.csv: line 2: quoted field is not closed"
printf 'email,first,last\nq@example.org,\xff\xfe,X\n' > "$T/latin.csv"
run ctl contact import "$T/latin.csv"
expect_err_has "bytes that are not UTF-8" "$T/latin.csv: line 2: field 2 is not valid UTF-8"
printf 'email,first,surname\n' > "$T/header.csv"
run ctl contact import "$T/header.csv"
expect_err "unknown column" "docketctl: contact import: $T/header.csv: line 1: unknown column \"surname\" (expected email, first, last, title, phone, company)"
printf 'email,first\n' > "$T/header2.csv"
run ctl contact import "$T/header2.csv"
expect_err "missing column" "docketctl: contact import: $T/header2.csv: line 1: the header has no \"last\" column"
: > "$T/empty.csv"
run ctl contact import "$T/empty.csv"
expect_err_has "empty file" "docketctl: contact import: $T/empty.csv: empty file"
run ctl contact import "$T/nope.csv"
expect_err "missing file" "docketctl: contact import: could not open \"$T/nope.csv\": No such file or directory"
expect_eq "still nothing imported" "$(sql "SELECT count(*) FROM contact")" "$before"

# Lists: the portal access list sends a registration link.
run ctl list add-member "Authorized Portal Users" OYSTEIN@nordlys.example.no
expect_eq "add-member says the email is queued" "$OUT" 'added OYSTEIN@nordlys.example.no to "Authorized Portal Users"; registration email queued'
expect_eq "member stored" "$(sql "SELECT count(*) FROM list_member")" 1
expect_eq "registration email in the outbox" "$(sql "SELECT kind || ' ' || to_addr || ' ' || subject FROM outbox")" \
    "portal_registration oystein@nordlys.example.no Your Customer Portal account"
link=$(sql "SELECT substring(body from 'token=([A-Za-z0-9_-]+)') FROM outbox")
expect_eq "the link carries a 43-character token" "${#link}" 43
expect_eq "only the token's hash is stored" "$(sql "SELECT count(*) FROM contact_token WHERE token_hash = sha256(convert_to('$link', 'UTF8')) AND purpose = 'register' AND expires_at > now() + interval '6 days'")" 1
run ctl list add-member "authorized portal users" oystein@nordlys.example.no
expect_eq "adding again is harmless" "$OUT" 'oystein@nordlys.example.no is already a member of "authorized portal users"'
expect_eq "  ...and sends no second email" "$(sql "SELECT count(*) FROM outbox")" 1
run ctl list add-member "Newsletter" oystein@nordlys.example.no
expect_err "unknown list" 'docketctl: list add-member: no list named "Newsletter"'
run ctl list add-member "Authorized Portal Users" nobody@example.org
expect_err "unknown contact" 'docketctl: list add-member: no contact with email "nobody@example.org"'
run ctl list add-member "Authorized Portal Users"
expect_err_has "missing email" 'docketctl: list add-member: missing EMAIL'
run ctl list members "Authorized Portal Users"
expect_eq "list members" "$OUT" "EMAIL                       NAME         COMPANY        REGISTERED
oystein@nordlys.example.no  Øystein Brå  Nordlys skole  no"

sql "INSERT INTO session (token_hash, contact_id) SELECT sha256('c'), id FROM contact WHERE email = 'oystein@nordlys.example.no'"
run ctl list remove-member "Authorized Portal Users" oystein@nordlys.example.no
expect_ok "remove-member"
expect_eq "membership gone" "$(sql "SELECT count(*) FROM list_member")" 0
expect_eq "portal sessions ended" "$(sql "SELECT count(*) FROM session")" 0
expect_eq "  ...and the unused registration link no longer works" \
    "$(sql "SELECT count(*) FROM contact_token WHERE token_hash = sha256(convert_to('$link', 'UTF8'))")" 0
expect_eq "  ...its email, not yet sent, is not sent and holds no token" \
    "$(sql "SELECT (failed_at IS NOT NULL) || ' ' || last_error || ' ' || (body LIKE '%token=(used)%') || ' ' || (position('$link' in body) = 0) FROM outbox")" \
    "true cancelled: portal access removed true true"
run ctl list remove-member "Authorized Portal Users" oystein@nordlys.example.no
expect_err "remove a non-member" 'docketctl: list remove-member: oystein@nordlys.example.no is not a member of "Authorized Portal Users"'

done_testing
