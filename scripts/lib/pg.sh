# pg.sh - a private PostgreSQL cluster in a folder: initdb, start on a Unix
# socket only (no TCP), stop.  Used by scripts/demo and every integration
# test.  PostgreSQL refuses to run as root, so under root the server runs as
# the unprivileged "postgres" user (or "nobody") and the folder is given to
# it.  Two clusters never collide: each has its own socket directory.
#
# Who may connect: the server's user and root, nobody else.  The cluster
# trusts whoever reaches its socket (user docket is its superuser), so the
# folder, the socket folder and the socket are mode 0700, owned by the
# server's user: the kernel refuses every other local user before
# PostgreSQL sees them, as pg_regress does for "make check".  Root passes
# (it bypasses file modes); a developer running the tests as themselves is
# the server's user.  Trust needs no secret to hand to docketd, docketctl
# and psql, where peer authentication would need a pg_ident map per user
# and a password a file to keep.
#
#   dk_pg_start DIR    initdb DIR/data if needed, start, create database
#                      "docket"; sets DK_PG_CONNINFO, DK_PG_SOCKDIR, DK_PG_PORT
#   dk_pg_stop DIR     stop the cluster (fast shutdown) if it runs
#   dk_pg_running DIR  true if the cluster in DIR is up

dk_pg_bindir() {
    local d best=""
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/initdb" ] && best="$d"   # glob sorts, so the newest wins
    done
    if [ -z "$best" ] && command -v initdb >/dev/null 2>&1; then
        best=$(dirname "$(command -v initdb)")
    fi
    [ -n "$best" ] || { echo "pg.sh: PostgreSQL server binaries (initdb) not found; install the postgresql package" >&2; return 1; }
    echo "$best"
}

# The user the server runs as: ourselves, or an unprivileged one under root.
dk_pg_user() {
    if [ "$(id -u)" -ne 0 ]; then
        id -un
    elif id postgres >/dev/null 2>&1; then
        echo postgres
    else
        echo nobody
    fi
}

# Run a PostgreSQL program as the server's user, from a directory it can read.
dk_pg_as() {
    if [ "$(id -u)" -eq 0 ]; then
        (cd / && runuser -u "$(dk_pg_user)" -- "$@")
    else
        (cd / && "$@")
    fi
}

dk_pg_running() {
    local bin
    bin=$(dk_pg_bindir) || return 1
    [ -f "$1/data/PG_VERSION" ] && dk_pg_as "$bin/pg_ctl" -D "$1/data" status >/dev/null 2>&1
}

dk_pg_start() {
    local dir bin user port sockdir
    dir=$(realpath -m "$1")
    bin=$(dk_pg_bindir) || return 1
    user=$(dk_pg_user)
    mkdir -p "$dir"
    # Every time, so that a folder made before this rule is closed too.
    chmod 700 "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        chown "$user" "$dir"
        if ! runuser -u "$user" -- test -w "$dir"; then
            echo "pg.sh: user $user cannot reach $dir (a parent folder is private); use a folder under /tmp or /var/tmp" >&2
            return 1
        fi
    fi
    # Unix socket paths are limited to about 100 bytes.
    sockdir="$dir"
    if [ ${#sockdir} -gt 80 ]; then
        sockdir=$(cat "$dir/sockdir" 2>/dev/null || true)
        case "$sockdir" in
            /tmp/dkpg.*)   # the one made last time, if it is still ours
                [ -d "$sockdir" ] && [ ! -L "$sockdir" ] &&
                    [ "$(stat -c %U "$sockdir")" = "$user" ] ||
                    sockdir=$(mktemp -d /tmp/dkpg.XXXXXX) ;;
            *) sockdir=$(mktemp -d /tmp/dkpg.XXXXXX) ;;
        esac
        chmod 700 "$sockdir"
        if [ "$(id -u)" -eq 0 ]; then chown "$user" "$sockdir"; fi
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        dk_pg_as "$bin/initdb" -D "$dir/data" -U docket -A trust -E UTF8 \
            --no-locale --no-sync >"$dir/initdb.log" 2>&1 || {
            echo "pg.sh: initdb failed:" >&2; cat "$dir/initdb.log" >&2; return 1; }
    fi
    if [ -f "$dir/port" ]; then
        port=$(cat "$dir/port")
    else
        # Any port will do (there is no TCP listener); spread them anyway so
        # that a stray socket in a shared folder cannot clash.
        port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
        echo "$port" > "$dir/port"
    fi
    echo "$sockdir" > "$dir/sockdir"
    if ! dk_pg_running "$dir"; then
        dk_pg_as "$bin/pg_ctl" -D "$dir/data" -l "$dir/data/server.log" -w -t 60 \
            -o "-k '$sockdir' -c listen_addresses='' -c unix_socket_permissions=0700 -p $port -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >/dev/null || {
            echo "pg.sh: PostgreSQL did not start:" >&2
            tail -n 20 "$dir/data/server.log" >&2
            return 1
        }
    fi
    DK_PG_SOCKDIR=$sockdir
    DK_PG_PORT=$port
    DK_PG_CONNINFO="host=$sockdir port=$port user=docket dbname=docket"
    if ! "$bin/psql" -XAtq -h "$sockdir" -p "$port" -U docket -d postgres \
            -c "SELECT 1 FROM pg_database WHERE datname = 'docket'" | grep -q 1; then
        "$bin/createdb" -h "$sockdir" -p "$port" -U docket docket || return 1
    fi
    export DK_PG_SOCKDIR DK_PG_PORT DK_PG_CONNINFO
}

dk_pg_stop() {
    local dir bin sockdir
    dir=$(realpath -m "$1")
    bin=$(dk_pg_bindir) || return 1
    if dk_pg_running "$dir"; then
        dk_pg_as "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
    fi
    if [ -f "$dir/sockdir" ]; then
        sockdir=$(cat "$dir/sockdir")
        case "$sockdir" in /tmp/dkpg.*) rm -rf "$sockdir" ;; esac
    fi
    return 0
}
