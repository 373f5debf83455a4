# man_pages.sh - the manual pages in man/ render without a single warning
# (man-db and groff), are plain ASCII, and document what the sources
# define: every key of config_keys[] (common/dk_config.c) in docket.yaml(5)
# with its default, every command of docketctl's table (ctl/main.c) and
# every long option of ctl/cmd_*.c in docketctl(8), every long option of
# server/main.c in docketd(8) and of tui/main.c in docket(1), every action
# of tui/keys.def in docket(1), and every metric in docketd(8).  The lists
# are read from the sources, so a new key, command, option, action or
# metric without its documentation fails here.  No database, no network.
DK_NO_PG=1
. "$(dirname "$0")/lib.bash"

SRC=$DOCKET_SOURCE_DIR
MAN=$SRC/man
PAGES="docket.1 docketd.8 docketctl.8 docket.yaml.5"
export LC_ALL=C.UTF-8 MANWIDTH=80

for tool in man groff; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        fail "$tool is installed (scripts/lib/packages: man-db, groff-base)"
        done_testing
        exit 1
    fi
done

# ---- rendering ---------------------------------------------------------------

for p in $PAGES; do
    f=$MAN/$p
    if [ ! -f "$f" ]; then
        fail "$p exists"
        continue
    fi
    out=$(man --warnings -E UTF-8 -l "$f" 2>&1 >/dev/null); rc=$?
    if [ "$rc" -eq 0 ] && [ -z "$out" ]; then pass "$p: man --warnings is silent"
    else fail "$p: man --warnings (exit $rc)"; echo "$out" | sed 's/^/   /'; fi
    for dev in "" -Tutf8 -Tascii; do
        # shellcheck disable=SC2086
        out=$(groff -mandoc -ww -z $dev "$f" 2>&1); rc=$?
        if [ "$rc" -eq 0 ] && [ -z "$out" ]; then pass "$p: groff -ww $dev is silent"
        else fail "$p: groff -ww $dev (exit $rc)"; echo "$out" | sed 's/^/   /'; fi
    done
    out=$(LC_ALL=C grep -n '[^[:print:][:space:]]' "$f")
    expect_eq "$p: the source is ASCII (other characters escaped)" "$out" ""
    out=$(grep -n '[[:space:]]$' "$f")
    expect_eq "$p: no trailing white space" "$out" ""
    out=$(grep -n '^$' "$f")
    expect_eq "$p: no blank lines (.Pp separates paragraphs)" "$out" ""
    head=$(grep -m3 '^\.D[dt]\|^\.Os' "$f" | cut -d' ' -f1 | tr '\n' ' ')
    expect_eq "$p: starts with .Dd, .Dt, .Os" "$head" ".Dd .Dt .Os "
done

# The text of a page as a person reads it, in lines long enough that
# nothing is broken or hyphenated: what the checks below search.
text() { groff -mandoc -Tascii -P-cbou -rLL=3000n "$MAN/$1" 2>/dev/null; }

# has PAGE_TEXT DESC EGREP: a line of the page matches.
has() {
    if grep -Eq -- "$3" <<<"$1"; then pass "$2"; else fail "$2"; fi
}
# at_least DESC N LIST: the sources gave a list (guards against a sed that
# stopped matching and so checks nothing).
at_least() {
    local n
    n=$(wc -w <<<"$3")
    if [ "$n" -ge "$2" ]; then pass "$1: $n found in the sources"
    else fail "$1: only $n found in the sources (expected $2 or more)"; fi
}
# long_options FILE...: the names of every struct option table in FILEs.
long_options() {
    sed -n 's/.*{"\([a-z][a-z-]*\)", *\(required\|no\|optional\)_argument.*/\1/p' "$@" | sort -u
}

# ---- docket.yaml(5): every configuration key, with its default ----------------

yaml=$(text docket.yaml.5)
table=$(sed -n '/^static const struct config_key config_keys\[\] = {/,/^};/p' \
        "$SRC/common/dk_config.c")
keys=$(grep -o '{"[a-z_.]*",' <<<"$table" | tr -d '{",')
at_least "configuration keys" 35 "$keys"
for k in $keys; do
    # Each key heads an entry of its own.
    has "$yaml" "docket.yaml.5: $k has an entry" "^ +${k//./\\.}( |$)"
done
# The default is the table's last string of each entry; an entry may span
# lines, so join them and split at "},".
entries=$(sed '1d;$d' <<<"$table" | tr '\n' ' ' | sed 's/}, *{/}\n{/g')
while IFS= read -r e; do
    k=$(sed -n 's/^ *{"\([a-z_.]*\)".*/\1/p' <<<"$e")
    def=$(sed -n 's/.*"\(.*\)"} *,\{0,1\} *$/\1/p' <<<"$e")
    [ -n "$k" ] && [ -n "$def" ] || continue
    case "$e" in *KEY_NAMES*|*KEY_CIDRS*) def="[${def//,/, }]" ;; esac
    # The entry: from its heading line to the next blank line.
    para=$(awk -v k="$k" '
        $1 == k { on = 1 }
        on && /^ *$/ { exit }
        on' <<<"$yaml" | tr -s ' \n' '  ')
    if [[ "$para" == *"Default:"*"$def"* ]]; then
        pass "docket.yaml.5: $k shows its default $def"
    else
        fail "docket.yaml.5: $k shows its default $def"
        echo "   entry: $para"
    fi
done <<<"$entries"

# ---- docketctl(8): every command and option ---------------------------------

ctl=$(text docketctl.8)
# A subcommand may be several words ("key add").
cmds=$(sed -n 's/^ *{"\([a-z-]*\)", *\(NULL\|"\([a-z -]*\)"\), *ctl_.*/\1:\3/p' \
       "$SRC/ctl/main.c")
at_least "docketctl commands" 15 "$cmds"
while IFS= read -r c; do
    name="${c%%:*} ${c#*:}"
    name=${name% }
    has "$ctl" "docketctl.8: docketctl $name in the synopsis" "^ +docketctl $name( |$)"
done <<<"$cmds"
opts=$(long_options "$SRC"/ctl/cmd_*.c)
at_least "docketctl options" 15 "$opts"
for o in $opts config help version; do
    has "$ctl" "docketctl.8: --$o" "--$o([^a-z-]|$)"
done

# ---- docketd(8) and docket(1): every option ---------------------------------

docketd=$(text docketd.8)
opts=$(long_options "$SRC/server/main.c")
at_least "docketd options" 4 "$opts"
for o in $opts; do
    has "$docketd" "docketd.8: --$o" "--$o([^a-z-]|$)"
done
docket=$(text docket.1)
opts=$(long_options "$SRC/tui/main.c")
at_least "docket options" 5 "$opts"
for o in $opts; do
    has "$docket" "docket.1: --$o" "--$o([^a-z-]|$)"
done

# ---- docket(1): every action of keys.def, by the name client.keys takes -----

actions=$(sed -n 's/^ACTION(\([A-Z0-9_]*\),.*/\1/p' "$SRC/tui/keys.def" | tr 'A-Z' 'a-z')
at_least "docket actions" 30 "$actions"
for a in $actions; do
    case "$a" in view_[2-5]) continue ;; esac # "view_1 to view_6"
    has "$docket" "docket.1: action $a" "(^|[^a-z_])$a([^a-z_0-9]|$)"
    has "$yaml" "docket.yaml.5: action $a under client.keys" "(^|[^a-z_])$a([^a-z_0-9]|$)"
done

# ---- docketd(8): every metric -----------------------------------------------

# The metrics docketd serves: every "docket_..." name in server/ (core's
# metrics.c and the gauges the layers above register; a histogram's
# _bucket, _sum and _count series are one metric), and at least these.
metrics="docket_build_info docket_start_time_seconds docket_connections
docket_connections_accepted_total docket_sessions docket_subscribers
docket_requests_total docket_request_errors_total
docket_request_duration_seconds docket_db_up docket_db_pool_size
docket_db_connections_up docket_db_queries_queued docket_feed_head
docket_feed_sequencer docket_feed_unsequenced_events
docket_feed_oldest_unsequenced_seconds docket_outbox_pending
docket_outbox_failed docket_outbox_retrying docket_outbox_oldest_due_seconds
docket_mail_sent_total docket_mail_failed_total"
found=$(grep -rhoE '(metrics_help\(fp,|fprintf\(fp,) *"docket_[a-z_]*' \
             --include='*.c' "$SRC/server" | sed 's/.*"//' |
        sed 's/_\(bucket\|sum\|count\)$//' | sort -u)
at_least "metrics in server/" 20 "$found"
metrics=$(printf '%s\n' $metrics $found | sort -u)
for m in $metrics; do
    has "$docketd" "docketd.8: metric $m" "^ +$m([{ ]|$)"
done

done_testing
