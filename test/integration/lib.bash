# lib.bash - shared by the integration test scripts: a private PostgreSQL for
# this script alone (removed on any exit, interrupt included), a config file
# pointing at it, and small assertion helpers that count and report.
# Scripts run under ctest with DOCKET_SOURCE_DIR, DOCKETCTL and DOCKETD set.
set -uo pipefail

: "${DOCKET_SOURCE_DIR:?run under ctest}"
: "${DOCKETCTL:?run under ctest}"
. "$DOCKET_SOURCE_DIR/scripts/lib/pg.sh"

T=$(mktemp -d /tmp/docket-test.XXXXXX)
chmod 755 "$T"   # the unprivileged server user must reach $T/pg
dk__cleanup() { dk_pg_stop "$T/pg" >/dev/null 2>&1; rm -rf "$T"; }
trap dk__cleanup EXIT
trap 'exit 130' INT TERM

# A script that needs no database sets DK_NO_PG=1 before sourcing this.
if [ "${DK_NO_PG:-0}" != 1 ]; then
    dk_pg_start "$T/pg" || { echo "FAIL: could not start PostgreSQL"; exit 1; }
else
    DK_PG_CONNINFO="dbname=docket"
fi
CONFIG="$T/config.yaml"
cat > "$CONFIG" <<YAML
database:
  conninfo: "$DK_PG_CONNINFO"
YAML

# scripts/test --valgrind: every docketctl this script runs is under
# memcheck (an error or a leak exits 99, failing the check that ran it).
if [ -n "${DOCKET_VALGRIND:-}" ]; then
    printf '#!/bin/sh\nexec "%s/test/valgrind.sh" "%s" "$@"\n' \
        "$DOCKET_SOURCE_DIR" "$DOCKETCTL" > "$T/docketctl"
    chmod 755 "$T/docketctl"
    DOCKETCTL=$T/docketctl
fi

PASSED=0
FAILED=0

ctl() { "$DOCKETCTL" --config "$CONFIG" "$@"; }
sql() { psql "$DK_PG_CONNINFO" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }

pass() { PASSED=$((PASSED + 1)); echo "ok - $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $1"; }

# run CMD...: runs it, keeping $OUT, $ERR and $RC.
run() {
    OUT=$("$@" 2>"$T/stderr" </dev/null); RC=$?
    ERR=$(cat "$T/stderr")
}
# run_in INPUT CMD...: the same with INPUT on stdin.
run_in() {
    local input=$1; shift
    OUT=$(printf '%s' "$input" | "$@" 2>"$T/stderr"); RC=$?
    ERR=$(cat "$T/stderr")
}

# expect_ok DESC: the last run exited 0 with nothing on stderr.
expect_ok() {
    if [ "$RC" -eq 0 ] && [ -z "$ERR" ]; then pass "$1"
    else fail "$1 (exit $RC, stderr: $ERR)"; fi
}
# expect_err DESC TEXT: the last run exited non-zero, stderr is exactly TEXT.
expect_err() {
    if [ "$RC" -ne 0 ] && [ "$ERR" = "$2" ]; then pass "$1"
    else fail "$1 (exit $RC)"; echo "   expected stderr: $2"; echo "   actual stderr:   $ERR"; fi
}
# expect_err_has DESC TEXT: the last run failed and stderr contains TEXT.
expect_err_has() {
    if [ "$RC" -ne 0 ] && [[ "$ERR" == *"$2"* ]]; then pass "$1"
    else fail "$1 (exit $RC)"; echo "   expected stderr to contain: $2"; echo "   actual stderr: $ERR"; fi
}
# expect_eq DESC ACTUAL EXPECTED
expect_eq() {
    if [ "$2" = "$3" ]; then pass "$1"
    else fail "$1"; echo "   expected: $3"; echo "   actual:   $2"; fi
}

# done_testing: the closing line ctest's log shows, and the exit status.
done_testing() {
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}
