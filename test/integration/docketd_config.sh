# docketd_config.sh - docketd --check-config accepts good files (the example
# among them) with exit 0, and rejects bad ones with exit 1 and every
# problem named FILE:LINE:COLUMN: key.
DK_NO_PG=1
. "$(dirname "$0")/lib.bash"
: "${DOCKETD:?run under ctest}"

run "$DOCKETD" --check-config --config "$DOCKET_SOURCE_DIR/config.example.yaml"
expect_eq "the example file is valid" "$RC $OUT" "0 $DOCKET_SOURCE_DIR/config.example.yaml: configuration is valid"

printf 'server:\n  listen: "127.0.0.1:0"\n  max_line_bytes: 1k\nsession:\n  idle_timeout: 30x\nlog: {level: verbose}\n' > "$T/bad.yaml"
run "$DOCKETD" --check-config --config "$T/bad.yaml"
expect_eq "a bad file exits 1" "$RC" 1
expect_eq "every problem is named" "$ERR" "docketd: $T/bad.yaml:2:11: server.listen: expected HOST:PORT (or \"\" to turn it off)
docketd: $T/bad.yaml:3:19: server.max_line_bytes: expected a size in bytes
docketd: $T/bad.yaml:5:17: session.idle_timeout: expected a duration: seconds, or a number with s, m, h or d (30s, 30m, 1h, 14d)
docketd: $T/bad.yaml:6:14: log.level: must be one of: error, warn, info, debug"

printf 'database: [\n' > "$T/broken.yaml"
run "$DOCKETD" --check-config --config "$T/broken.yaml"
expect_err_has "malformed YAML exits 1 with a position" "docketd: $T/broken.yaml:2:1: invalid YAML: "

run env DOCKET_CONFIG="$T/bad.yaml" "$DOCKETD" --check-config
expect_eq "\$DOCKET_CONFIG is read" "$RC" 1
run "$DOCKETD" --check-config --config "$T/none.yaml"
expect_err "a missing file" "docketd: $T/none.yaml: could not open: No such file or directory"
run "$DOCKETD" --frobnicate
expect_eq "an unknown option is a usage error" "$RC" 2

# Listen addresses may be names, looked up at start (no database needed
# for that: docketd keeps trying to reach it meanwhile).
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'database: {conninfo: "host=%s/nopg dbname=none"}\nserver: {socket: "%s/d.sock", listen: "LOCALHOST:%s"}\nhttp: {listen: ""}\nmail: {send: false}\n' \
    "$T" "$T" "$port" > "$T/named.yaml"
"$DOCKETD" --config "$T/named.yaml" 2>"$T/named.log" & pid=$!
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then pass "server.listen: LOCALHOST:$port (a name) is listened on"
else fail "server.listen with a host name: nothing listens"; cat "$T/named.log"; fi
kill -TERM "$pid"; wait "$pid"
expect_eq "  ...and SIGTERM stops it with 0" "$?" 0
expect_eq "a Unix socket folder as host is not looked up" \
    "$(grep -c 'database host' "$T/named.log")" 0

# A database host given by name is looked up once, at start (libpq would
# look it up on the loop at every reconnect); one that does not resolve is
# said so, and docketd carries on (the database may come later).
dbhost() {   # dbhost NAME CONNINFO: docketd's log of a start against it
    printf 'database: {conninfo: "%s"}\nserver: {socket: "%s/%s.sock", listen: ""}\nhttp: {listen: ""}\nmail: {send: false}\n' \
        "$2" "$T" "$1" > "$T/$1.yaml"
    "$DOCKETD" --config "$T/$1.yaml" 2>"$T/$1.log" & pid=$!
    # It listens once the lookup is done (a resolver with no network may
    # take its time to say no).
    for _ in $(seq 600); do [ -S "$T/$1.sock" ] && break; sleep 0.1; done
    # Every database here is unreachable: the pools' first attempt is
    # logged a moment after the socket appears (stopping before it lost
    # the line once in a fresh-clone run).
    for _ in $(seq 100); do
        grep -q 'could not connect to database (main/0)' "$T/$1.log" && break
        sleep 0.1
    done
    kill -TERM "$pid"; wait "$pid"
    cat "$T/$1.log"
}
log=$(dbhost byname "host=localhost port=1 dbname=none connect_timeout=1")
expect_eq "a database host by name is looked up once, at start" \
    "$(grep -cE 'database host localhost is (127\.0\.0\.1|::1) \(looked up once' <<<"$log")" 1
log=$(dbhost unknown "host=db.invalid dbname=none connect_timeout=1")
expect_eq "  ...and one that does not resolve is said so" \
    "$(grep -c 'database host "db.invalid" did not resolve at start' <<<"$log")" 1
# A primary and its standby: each name in the list, once; a socket folder
# or an address in it needs no lookup, and libpq tries every host.
log=$(dbhost list "host=localhost,$T/nopg,127.0.0.1 port=1,2,3 dbname=none target_session_attrs=read-write")
expect_eq "  ...each name of a list of hosts too" \
    "$(grep -cE 'database host localhost is (127\.0\.0\.1|::1) \(looked up once' <<<"$log") $(grep -c 'database host' <<<"$log")" "1 1"
expect_eq "  ...and the pools try every host of it" \
    "$(grep -c 'could not connect to database (main/0): .*port 1 failed.*nopg.*port 3 failed' <<<"$log")" 1
log=$(dbhost given "host=db.invalid hostaddr=127.0.0.1 port=1 dbname=none connect_timeout=1")
expect_eq "  ...but not when its hostaddr is given" "$(grep -c 'database host' <<<"$log")" 0
printf 'database: {conninfo: "host=%s/nopg dbname=none"}\nserver: {socket: "%s/d.sock", listen: "no-such-host.invalid:7878"}\nhttp: {listen: ""}\n' \
    "$T" "$T" > "$T/unknown.yaml"
run "$DOCKETD" --config "$T/unknown.yaml"
expect_eq "a name that does not resolve: exit 1" "$RC" 1
expect_eq "  ...saying so" "$(grep 'server.listen' <<<"$ERR")" \
    "docketd error server.listen: no-such-host.invalid: Name or service not known"

done_testing
