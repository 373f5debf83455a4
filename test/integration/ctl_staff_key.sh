# ctl_staff_key.sh - docketctl staff key add | list | remove and
# ssh-authorized-keys: keys parsed and fingerprinted as OpenSSH does
# (ssh-keygen -lf agrees), junk, duplicates, DSA, short RSA, options and
# second lines refused; sshd's answer exactly one line, only for the
# gateway user and an active member's key.
. "$(dirname "$0")/lib.bash"
cat >> "$CONFIG" <<YAML
server:
  ssh_gateway_user: docket
YAML
ctl migrate >/dev/null

K=$T/keys
mkdir "$K"
gen() { ssh-keygen -q -N '' -C "$3" -t "$1" ${4:+-b "$4"} -f "$K/$2"; }
gen ed25519 alice "alice@laptop"
gen ed25519 alice2 "alice@desk"
gen ecdsa bob "bob@home"
gen rsa rsa2048 "rsa two" 2048
gen rsa rsa1024 "short" 1024
gen dsa dsa "old"
gen ed25519 stranger "nobody"
fp() { ssh-keygen -lf "$K/$1.pub" | awk '{print $2}'; }
pub() { cat "$K/$1.pub"; }
blob() { awk '{print $2}' "$K/$1.pub"; }
type_of() { awk '{print $1}' "$K/$1.pub"; }

ctl staff add alice --name "Alice Åberg" --email alice@agency.example --role content
ctl staff add bob --name "Bob Bell" --email bob@agency.example --role content,graphics

# ---- add -------------------------------------------------------------------
run_in "$(pub alice)
" ctl staff key add alice --label "work laptop"
expect_ok "staff key add: an ed25519 key from stdin"
expect_eq "prints the fingerprint OpenSSH prints" "$OUT" "$(fp alice)"
expect_eq "stored: type, canonical key, fingerprint, label" \
    "$(sql "SELECT k.type || ' ' || k.key || ' ' || k.fingerprint || ' ' || k.label FROM staff_key k JOIN staff st ON st.id = k.staff_id WHERE st.username = 'alice'")" \
    "ssh-ed25519 $(blob alice) $(fp alice) work laptop"

run_in "$(pub alice2)" ctl staff key add alice
expect_ok "a second key, no newline at the end, no --label"
expect_eq "the comment is the label" "$(sql "SELECT label FROM staff_key WHERE fingerprint = '$(fp alice2)'")" "alice@desk"
run_in "$(pub bob)" ctl staff key add bob
expect_ok "an ECDSA key"
expect_eq "ECDSA fingerprint as ssh-keygen -lf" "$OUT" "$(fp bob)"
run_in "$(pub rsa2048)" ctl staff key add bob --label "rsa"
expect_ok "a 2048-bit RSA key"
expect_eq "RSA fingerprint as ssh-keygen -lf" "$OUT" "$(fp rsa2048)"

# ---- refusals ----------------------------------------------------------------
n_before=$(sql "SELECT count(*) FROM staff_key")
run_in "$(pub alice)" ctl staff key add bob
expect_err "duplicate: a key belongs to one member" \
    "docketctl: staff key add: key $(fp alice) is already registered to \"alice\": a key belongs to one staff member"
run_in "$(pub alice)" ctl staff key add alice
expect_err_has "duplicate for the same member" "is already registered to \"alice\""
run_in "$(pub dsa)" ctl staff key add bob
expect_err "DSA refused" "docketctl: staff key add: DSA keys (ssh-dss) are weak and not accepted: use ssh-ed25519"
run_in "$(pub rsa1024)" ctl staff key add bob
expect_err "RSA of 1024 bits refused" \
    "docketctl: staff key add: an RSA key of 1024 bits is too short: 2048 bits at least (better: ssh-ed25519)"
run_in "hello world" ctl staff key add bob
expect_err_has "junk refused" 'docketctl: staff key add: "hello" is not a key type Docket accepts'
run_in "ssh-ed25519 AAAAnot-base64!!" ctl staff key add bob
expect_err "bad base64 refused" "docketctl: staff key add: the key is not base64 of an SSH public key"
run_in "ssh-ed25519 $(blob rsa2048)" ctl staff key add bob
expect_err "a blob of another type than named" "docketctl: staff key add: the key says it is ssh-rsa, not ssh-ed25519"
run_in "ssh-ed25519 $(blob alice | cut -c1-40)" ctl staff key add bob
expect_err_has "a truncated key" "docketctl: staff key add: the key is not"
run_in "" ctl staff key add bob
expect_err_has "nothing on stdin" "docketctl: staff key add: no key on standard input"
run_in "ssh-ed25519" ctl staff key add bob
expect_err "a type without a key" "docketctl: staff key add: the line has a key type but no key"
run_in "command=\"/bin/sh\" $(pub stranger)" ctl staff key add bob
expect_err "options before the key refused" \
    "docketctl: staff key add: options before the key (such as command=) are not accepted: give the bare key as in a .pub file"
run_in "restrict,pty $(pub stranger)" ctl staff key add bob
expect_err_has "restrict, options refused" "options before the key"
run_in "$(pub stranger)
$(pub dsa)" ctl staff key add bob
expect_err "a second line refused" "docketctl: staff key add: give one key line on standard input, not several"
run_in "$(type_of stranger) $(blob stranger) x
command=\"sh\" ssh-ed25519 AAAA" ctl staff key add bob
expect_err_has "an embedded newline in the comment refused" "not several"
run_in "$(pub stranger)" ctl staff key add bob --label "$(printf 'a\nb')"
expect_err_has "a label with a newline refused" "--label must be text"
run_in "$(pub stranger)" ctl staff key add carol
expect_err "unknown member" 'docketctl: staff key add: no staff member "carol"'
run_in "ssh-ed25519-cert-v01@openssh.com AAAAB3NzaC1yc2EAAAADAQABAAABAQ" ctl staff key add bob
expect_err "certificates refused" "docketctl: staff key add: certificates are not accepted: give the plain public key"
expect_eq "no refusal stored anything" "$(sql "SELECT count(*) FROM staff_key")" "$n_before"

# A comment that looks like an option stays a label: it never reaches sshd.
run_in "$(type_of stranger) $(blob stranger) command=\"/bin/sh\",no-pty" ctl staff key add bob
expect_ok "a comment with command= is only a label"
expect_eq "kept as the label" "$(sql "SELECT label FROM staff_key WHERE fingerprint = '$(fp stranger)'")" 'command="/bin/sh",no-pty'
ctl staff key remove "$(fp stranger)"

# ---- list --------------------------------------------------------------------
run ctl staff key list
expect_ok "staff key list"
expect_eq "every key, by member" "$(echo "$OUT" | awk 'NR>1 {print $1, $2, $3}')" \
"alice ssh-ed25519 $(fp alice)
alice ssh-ed25519 $(fp alice2)
bob ecdsa-sha2-nistp256 $(fp bob)
bob ssh-rsa $(fp rsa2048)"
expect_eq "header" "$(echo "$OUT" | head -1 | tr -s ' ')" "USERNAME TYPE FINGERPRINT LABEL ADDED"
run ctl staff key list bob
expect_eq "one member's keys" "$(echo "$OUT" | awk 'NR>1 {print $1}' | sort -u)" "bob"
expect_eq "label and date shown" "$(echo "$OUT" | grep -c "rsa  *$(date -u +%Y-)")" 1
run ctl staff key list carol
expect_err "list for an unknown member" 'docketctl: staff key list: no staff member "carol"'

# ---- ssh-authorized-keys -------------------------------------------------------
# docket beside the real docketctl (not a valgrind wrapper): the build tree.
DOCKET_BIN=$(readlink -f "${DOCKET:?run under ctest}")
CFG_ABS=$(readlink -f "$CONFIG")
run ctl ssh-authorized-keys docket "$(type_of alice)" "$(blob alice)"
expect_ok "ssh-authorized-keys for a member's key"
expect_eq "exactly one line with the forced command" "$OUT" \
    "restrict,pty,command=\"$DOCKET_BIN --config $CFG_ABS --ssh-key $(fp alice)\" ssh-ed25519 $(blob alice)"
run ctl ssh-authorized-keys docket "$(type_of rsa2048)" "$(blob rsa2048)"
expect_eq "an RSA key too" "$OUT" \
    "restrict,pty,command=\"$DOCKET_BIN --config $CFG_ABS --ssh-key $(fp rsa2048)\" ssh-rsa $(blob rsa2048)"
run ctl ssh-authorized-keys root "$(type_of alice)" "$(blob alice)"
expect_eq "another Unix user: nothing" "$OUT|$RC|$ERR" "|0|"
run ctl ssh-authorized-keys docket "$(type_of stranger)" "$(blob stranger)"
expect_eq "an unknown key: nothing, exit 0" "$OUT|$RC|$ERR" "|0|"
run ctl ssh-authorized-keys docket ssh-rsa "$(blob alice)"
expect_eq "a type that is not the key's: nothing" "$OUT|$RC" "|0"
run ctl ssh-authorized-keys docket ssh-ed25519 "$(blob alice) command=\"/bin/sh\""
expect_eq "a KEY with spaces and options: nothing" "$OUT|$RC" "|0"
run ctl ssh-authorized-keys docket ssh-ed25519 "$(blob alice)
ssh-ed25519 $(blob stranger)"
expect_eq "a KEY with a newline: nothing" "$OUT|$RC" "|0"
run ctl ssh-authorized-keys docket ssh-dss "$(blob dsa)"
expect_eq "a DSA key: nothing" "$OUT|$RC" "|0"
run ctl ssh-authorized-keys docket ssh-ed25519
expect_err_has "missing KEY: usage" "needs USER TYPE KEY"

ctl staff disable alice
run ctl ssh-authorized-keys docket "$(type_of alice)" "$(blob alice)"
expect_eq "a disabled member's key: nothing" "$OUT|$RC|$ERR" "|0|"
ctl staff enable alice
run ctl ssh-authorized-keys docket "$(type_of alice)" "$(blob alice)"
expect_eq "enabled again: the line again" "$(echo "$OUT" | wc -l)" 1

# The lookup is one index scan of the unique fingerprint.
plan=$(sql "EXPLAIN SELECT k.fingerprint, k.type, k.key FROM staff_key k JOIN staff st ON st.id = k.staff_id WHERE k.fingerprint = '$(fp alice)' AND k.type = 'ssh-ed25519' AND k.key = 'x' AND st.active")
expect_eq "indexed by fingerprint" "$(echo "$plan" | grep -c staff_key_fingerprint_key)" 1

# Without a gateway user configured, sshd is never answered.
cat > "$T/nogw.yaml" <<YAML
database:
  conninfo: "$DK_PG_CONNINFO"
YAML
run "$DOCKETCTL" --config "$T/nogw.yaml" ssh-authorized-keys docket "$(type_of alice)" "$(blob alice)"
expect_eq "no ssh_gateway_user: nothing" "$OUT|$RC" "|0"
# The database unreachable: an error, so that sshd refuses (fail closed).
cat > "$T/down.yaml" <<YAML
database:
  conninfo: "host=$T/nowhere dbname=docket connect_timeout=2"
server:
  ssh_gateway_user: docket
YAML
run "$DOCKETCTL" --config "$T/down.yaml" ssh-authorized-keys docket "$(type_of alice)" "$(blob alice)"
expect_eq "database down: nothing printed" "$OUT" ""
expect_eq "database down: non-zero exit" "$([ "$RC" -ne 0 ] && echo nonzero)" nonzero
expect_err_has "database down: said why" "could not connect to database"

# ---- remove --------------------------------------------------------------------
sql "INSERT INTO session (token_hash, staff_id, ssh_fingerprint) SELECT sha256('t1'), staff_id, fingerprint FROM staff_key WHERE fingerprint = '$(fp alice)'" >/dev/null
sql "INSERT INTO session (token_hash, staff_id) SELECT sha256('t2'), id FROM staff WHERE username = 'alice'" >/dev/null
run ctl staff key remove "$(fp alice)"
expect_ok "staff key remove"
expect_eq "the key is gone" "$(sql "SELECT count(*) FROM staff_key WHERE fingerprint = '$(fp alice)'")" 0
expect_eq "its session ended, the member's other one kept" \
    "$(sql "SELECT count(*) FILTER (WHERE token_hash = sha256('t1')) || ' ' || count(*) FILTER (WHERE token_hash = sha256('t2')) FROM session")" "0 1"
run ctl ssh-authorized-keys docket "$(type_of alice)" "$(blob alice)"
expect_eq "a removed key: nothing" "$OUT|$RC" "|0"
run ctl staff key remove "$(fp alice)"
expect_err "removing it again" "docketctl: staff key remove: no key $(fp alice)"
run ctl staff key remove "SHA256:nonsense"
expect_err_has "not a fingerprint" 'is not a fingerprint'
run ctl staff key frobnicate
expect_err_has "unknown subcommand lists the staff commands" "docketctl staff key add USERNAME"
run_in "$(pub alice)" ctl staff key add alice
expect_ok "a removed key can be added again"

done_testing
