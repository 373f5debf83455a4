# pg_access.sh - the private PostgreSQL of the tests and the demo
# (scripts/lib/pg.sh) lets in the user who runs them and no other local
# user: its folder, its socket folder and its socket are the server user's
# alone (root gets in anyway).  Before, the socket folder was world-readable
# and trust authentication let `nobody` connect as the superuser and map
# itself to an admin.  The check with another user needs root (runuser);
# as anyone else only the modes are checked, and the log says so.
. "$(dirname "$0")/lib.bash"

server_user=$(dk_pg_user)
mode() { stat -c '%a %U' "$1"; }

# A second cluster in a folder whose path is too long for a socket, so its
# socket goes to a folder of its own under /tmp.
long="$T/pg-in-a-folder-with-a-name-long-enough-that-the-socket-moves-to-tmp"
dk__cleanup_both() { dk_pg_stop "$long" >/dev/null 2>&1; dk__cleanup; }
trap dk__cleanup_both EXIT
short_conninfo=$DK_PG_CONNINFO
short_sockdir=$DK_PG_SOCKDIR
short_port=$DK_PG_PORT
dk_pg_start "$long" || { echo "FAIL: could not start the second cluster"; exit 1; }
long_conninfo=$DK_PG_CONNINFO
long_sockdir=$DK_PG_SOCKDIR
long_port=$DK_PG_PORT
[[ "$long_sockdir" == /tmp/dkpg.* ]] && pass "a long folder gets its socket in /tmp/dkpg.*" \
    || fail "a long folder gets its socket in /tmp/dkpg.* (got $long_sockdir)"

printf 'database:\n  conninfo: "%s"\n' "$long_conninfo" > "$T/long.yaml"
for config in "$CONFIG" "$T/long.yaml"; do
    "$DOCKETCTL" --config "$config" migrate >/dev/null
    "$DOCKETCTL" --config "$config" staff add ingrid --name Ingrid \
        --email ingrid@agency.example --role admin --unix-user ingrid
done

for which in short long; do
    if [ "$which" = short ]; then
        dir=$T/pg conninfo=$short_conninfo sockdir=$short_sockdir port=$short_port
    else
        dir=$long conninfo=$long_conninfo sockdir=$long_sockdir port=$long_port
    fi
    run psql "$conninfo" -XAtq -c "SELECT current_user"
    expect_eq "$which: the user running the tests connects as docket" "$OUT" docket
    expect_eq "$which: the cluster's folder is the server user's alone" "$(mode "$dir")" "700 $server_user"
    expect_eq "$which: so is the socket folder" "$(mode "$sockdir")" "700 $server_user"
    expect_eq "$which: and the socket" "$(mode "$sockdir/.s.PGSQL.$port")" "700 $server_user"
done

if [ "$(id -u)" -ne 0 ]; then
    echo "skip - another local user cannot connect: not checked, as that needs root to act as another user (runuser); the modes above are what keeps them out"
    done_testing
    exit
fi

# Whom to try: nobody, unless the server itself runs as nobody.
outsider=nobody
if [ "$server_user" = nobody ]; then
    outsider=$(getent passwd | awk -F: '$3 > 0 && $1 != "nobody" { print $1; exit }')
fi
as() { local who=$1; shift; (cd / && runuser -u "$who" -- "$@"); }

for which in short long; do
    if [ "$which" = short ]; then
        dir=$T/pg conninfo=$short_conninfo sockdir=$short_sockdir port=$short_port
    else
        dir=$long conninfo=$long_conninfo sockdir=$long_sockdir port=$long_port
    fi
    run as "$outsider" psql "$conninfo" -XAtq -c "SELECT current_user"
    if [ "$RC" -ne 0 ] && [ -z "$OUT" ]; then pass "$which: $outsider cannot connect"
    else fail "$which: $outsider cannot connect (exit $RC, said: $OUT)"; fi
    run as "$outsider" psql "$conninfo" -XAtq -c "UPDATE staff SET unix_user = '$outsider' WHERE username = 'ingrid'"
    expect_eq "$which: $outsider cannot map itself to an admin" \
        "$(psql "$conninfo" -XAtq -c "SELECT unix_user FROM staff WHERE username = 'ingrid'" 2>&1)" ingrid
    run as "$outsider" ls "$sockdir"
    [ "$RC" -ne 0 ] && pass "$which: $outsider cannot list the socket folder" \
        || fail "$which: $outsider cannot list the socket folder (saw: $OUT)"
    run as "$outsider" cat "$dir/data/PG_VERSION"
    [ "$RC" -ne 0 ] && pass "$which: $outsider cannot read the data folder" \
        || fail "$which: $outsider cannot read the data folder"
    run as "$server_user" psql "$conninfo" -XAtq -c "SELECT 1"
    expect_eq "$which: the server's own user ($server_user) connects" "$OUT" 1
done

done_testing
