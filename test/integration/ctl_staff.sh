# ctl_staff.sh - docketctl staff add | list | set | disable | enable | passwd: success and
# every failure, passwords only through stdin and stored as Argon2id.
. "$(dirname "$0")/lib.bash"
ctl migrate >/dev/null

run_in 'sekret-pass1
' ctl staff add alice --name "Alice Åberg" --email alice@agency.example --role content,graphics --unix-user alice --password-stdin
expect_ok "staff add with a password from stdin"
expect_eq "roles and Unix user stored" "$(sql "SELECT array_to_string(roles, ',') || ' ' || unix_user || ' ' || active FROM staff WHERE username = 'alice'")" \
    "content,graphics alice true"
expect_eq "password stored as an Argon2id hash" "$(sql "SELECT password_hash LIKE '\$argon2id\$%' AND password_hash NOT LIKE '%sekret%' FROM staff WHERE username = 'alice'")" t

run ctl staff add bob --name "Bob Bell" --email bob@agency.example --role admin,admin,coordinator
expect_ok "staff add without a password"
expect_eq "duplicate roles dropped" "$(sql "SELECT array_to_string(roles, ',') FROM staff WHERE username = 'bob'")" "admin,coordinator"
expect_eq "no password hash" "$(sql "SELECT password_hash IS NULL FROM staff WHERE username = 'bob'")" t

before=$(sql "SELECT count(*) FROM staff")
run ctl staff add alice --name X --email x@agency.example --role content
expect_err "duplicate username" 'docketctl: staff add: staff member "alice" already exists'
run ctl staff add carol --name Carol --email carol@agency.example --role content --unix-user alice
expect_err "Unix user mapped twice" 'docketctl: staff add: Unix user "alice" is already mapped to another staff member'
run ctl staff add carol --name Carol --email carol@agency.example --role janitor
expect_err "unknown role" 'docketctl: staff add: role "janitor" is not one of content, graphics, coordinator, admin'
run ctl staff add carol --name Carol --email "not-an-address" --role content
expect_err "bad email" 'docketctl: staff add: email "not-an-address" is not an address'
run ctl staff add Carol --name Carol --email carol@agency.example --role content
expect_err_has "bad username" 'docketctl: staff add: username "Carol" must be'
run ctl staff add carol --email carol@agency.example --role content
expect_err "missing name" 'docketctl: staff add: --name is required'
run ctl staff add carol --name Carol --email carol@agency.example
expect_err_has "missing role" 'docketctl: staff add: --role is required'
run ctl staff add --name Carol --email carol@agency.example --role content
expect_err_has "missing username" 'docketctl: staff add: missing USERNAME'
run ctl staff add carol --name Carol --email carol@agency.example --role content --unix-user "Bad User"
expect_err "bad Unix user" 'docketctl: staff add: "Bad User" is not a Unix user name'
run_in '' ctl staff add carol --name Carol --email carol@agency.example --role content --password-stdin
expect_err "empty password on stdin" 'docketctl: staff add: no password on standard input'
run_in 'short
' ctl staff add carol --name Carol --email carol@agency.example --role content --password-stdin
expect_err "short password" 'docketctl: staff add: password must be 8 to 1024 characters of UTF-8 text'
run ctl staff add carol --name Carol --email carol@agency.example --role content --password hunter22
expect_err_has "no password option on the command line" 'docketctl: staff add: unknown option "--password"'
run ctl staff frob
expect_err_has "unknown subcommand" 'docketctl: staff: unknown subcommand "frob"'
expect_eq "failures added nobody" "$(sql "SELECT count(*) FROM staff")" "$before"

run ctl staff list
expect_eq "staff list" "$OUT" "USERNAME  NAME         EMAIL                 ROLES              UNIX USER  ACTIVE
alice     Alice Åberg  alice@agency.example  content,graphics   alice      yes
bob       Bob Bell     bob@agency.example    admin,coordinator  -          yes"

sql "INSERT INTO session (token_hash, staff_id) SELECT sha256('t'), id FROM staff WHERE username = 'alice'"
run ctl staff disable alice
expect_ok "staff disable"
expect_eq "disabled" "$(sql "SELECT active FROM staff WHERE username = 'alice'")" f
expect_eq "their sessions ended" "$(sql "SELECT count(*) FROM session")" 0
run ctl staff disable alice
expect_ok "disabling again is harmless"
run ctl staff disable nobody
expect_err "disable an unknown member" 'docketctl: staff disable: no staff member "nobody"'

run ctl staff enable alice
expect_ok "staff enable"
expect_eq "enabled again" "$(sql "SELECT active FROM staff WHERE username = 'alice'")" t
run ctl staff enable nobody
expect_err "enable an unknown member" 'docketctl: staff enable: no staff member "nobody"'

sql "INSERT INTO session (token_hash, staff_id) SELECT sha256('b'), id FROM staff WHERE username = 'bob'"
run ctl staff set bob --name "Robert Bell" --email robert@agency.example
expect_ok "staff set name and email"
expect_eq "name and email changed" "$(sql "SELECT name || ' ' || email FROM staff WHERE username = 'bob'")" "Robert Bell robert@agency.example"
expect_eq "a new name keeps the sessions" "$(sql "SELECT count(*) FROM session")" 1
run ctl staff set bob --role content,graphics --unix-user bobby
expect_ok "staff set roles and Unix user"
expect_eq "roles and Unix user changed" "$(sql "SELECT array_to_string(roles, ',') || ' ' || unix_user FROM staff WHERE username = 'bob'")" "content,graphics bobby"
expect_eq "new roles end the sessions made under the old ones" "$(sql "SELECT count(*) FROM session")" 0
run ctl staff set bob --no-unix-user
expect_ok "staff set --no-unix-user"
expect_eq "the mapping is gone" "$(sql "SELECT unix_user IS NULL FROM staff WHERE username = 'bob'")" t
run ctl staff set bob --unix-user alice
expect_err "a Unix user mapped twice" 'docketctl: staff set: Unix user "alice" is already mapped to another staff member'
run ctl staff set bob
expect_err_has "nothing to change" 'docketctl: staff set: nothing to change'
run ctl staff set bob --role janitor
expect_err "an unknown role" 'docketctl: staff set: role "janitor" is not one of content, graphics, coordinator, admin'
run ctl staff set bob --email nope
expect_err "a bad email" 'docketctl: staff set: email "nope" is not an address'
run ctl staff set bob --unix-user x --no-unix-user
expect_err "contradicting options" 'docketctl: staff set: --unix-user and --no-unix-user contradict'
run ctl staff set nobody --name X
expect_err "set an unknown member" 'docketctl: staff set: no staff member "nobody"'
expect_eq "failed changes changed nothing" "$(sql "SELECT name || ' ' || array_to_string(roles, ',') || ' ' || coalesce(unix_user, '-') FROM staff WHERE username = 'bob'")" "Robert Bell content,graphics -"

old=$(sql "SELECT password_hash FROM staff WHERE username = 'alice'")
sql "INSERT INTO session (token_hash, staff_id) SELECT sha256('a'), id FROM staff WHERE username = 'alice'"
sql "INSERT INTO session (token_hash, staff_id) SELECT sha256('r'), id FROM staff WHERE username = 'bob'"
run_in 'another-pass2
' ctl staff passwd alice --password-stdin
expect_ok "staff passwd"
new=$(sql "SELECT password_hash FROM staff WHERE username = 'alice'")
[ "$old" != "$new" ] && [[ "$new" == '$argon2id$'* ]] && pass "hash replaced" || fail "hash replaced"
expect_eq "a new password ends the member's sessions, and only theirs" \
    "$(sql "SELECT string_agg(m.username, ',') FROM session s JOIN staff m ON m.id = s.staff_id")" bob
run_in 'another-pass2
' ctl staff passwd nobody --password-stdin
expect_err "passwd for an unknown member" 'docketctl: staff passwd: no staff member "nobody"'
run_in '' ctl staff passwd bob --password-stdin
expect_err "passwd with nothing on stdin" 'docketctl: staff passwd: no password on standard input'
expect_eq "bob still has no password" "$(sql "SELECT password_hash IS NULL FROM staff WHERE username = 'bob'")" t

done_testing
