#!/bin/bash
# tui_layers.sh - docket's files call down, never up (the order at the top
# of tui/app.h): every symbol a tui/ object uses from another tui/ object
# is defined lower in the order, and nothing in tui/ includes a header of
# server/ or ctl/.  The objects come from the build (nm), so a call that
# only a header declares is caught too.  Usage: tui_layers.sh SRC "A.o;B.o..."
# (ctest passes them); with no arguments, the objects of build/ are used.
set -uo pipefail
SRC=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
if [ $# -ge 2 ]; then
    IFS=';' read -r -a OBJS <<<"$2"
else
    shopt -s nullglob
    OBJS=("$SRC"/build/CMakeFiles/docket.dir/tui/*.c.o)
    if [ ${#OBJS[@]} -eq 0 ]; then
        echo "tui_layers: no objects in build/ (build docket first)"
        exit 0
    fi
fi

# The order, lowest first; files of one rank may not use each other.
declare -A RANK=(
    [text]=0 [model]=0 [keymap]=0 [files]=0
    [screen]=1 [store]=1
    [draw]=2
    [conn]=3
    [actions]=4
    [screen_help]=5 [attach]=5 [upload]=5
    [composer]=6
    [screen_ticket]=7
    [screen_notifications]=8 [screen_list]=8
    [app]=9 [cli]=9
    [main]=10
)
failed=0
fail() { echo "FAIL - $*"; failed=$((failed + 1)); }

declare -A OWNER # symbol -> the file that defines it
for o in "${OBJS[@]}"; do
    f=$(basename "$o" .c.o)
    [ -n "${RANK[$f]+x}" ] || fail "tui/$f.c has a place in the order (add it here and in app.h)"
    for s in $(nm --defined-only -g "$o" | awk '{print $3}'); do
        OWNER[$s]=$f
    done
done
[ "${#OBJS[@]}" -ge 15 ] || fail "only ${#OBJS[@]} objects given"
for o in "${OBJS[@]}"; do
    f=$(basename "$o" .c.o)
    for s in $(nm -u "$o" | awk '{print $2}'); do
        to=${OWNER[$s]:-}
        [ -n "$to" ] || continue
        if [ "${RANK[$to]:-99}" -ge "${RANK[$f]:-0}" ]; then
            fail "tui/$f.c uses $s of tui/$to.c, which is not below it"
        fi
    done
done
for h in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$SRC"/tui/*.[ch] | sort -u); do
    [ -e "$SRC/tui/$h" ] || [ -e "$SRC/common/$h" ] ||
        fail "tui/ includes \"$h\", which is neither in tui/ nor in common/"
done
if grep -n '#include.*\(server\|ctl\)/' "$SRC"/tui/*.[ch]; then
    fail "tui/ includes a path into server/ or ctl/"
fi
if [ "$failed" -eq 0 ]; then
    echo "ok - ${#OBJS[@]} tui objects call only down the order of tui/app.h"
fi
exit $((failed > 0))
