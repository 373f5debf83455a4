#!/usr/bin/env bash
# test/arch/layers.sh - fail when a lower layer reaches a higher one.
#
# Every #include "x.h" in the sources is resolved to the folder that holds
# x.h, and each folder may include only from the folders listed for it
# (its own always).  The layers, lowest first:
#
#   common            pure helpers, shared by every program
#   server/core       pool, feed and hub, outbox, metrics, sd_notify
#   server/auth       logins and principals, no transport
#   server/rpc        JSON-RPC connections and methods   } siblings: neither
#   server/http       HTTP listener, /healthz, /metrics  } sees the other
#   server/portal     the customer portal, over http and auth
#   server (main.c)   the composition root: everything
#   tui, ctl, bench   programs over common
#
# Usage: test/arch/layers.sh [SOURCE_DIR]   (exit 1 and a line per breach)
set -euo pipefail
top=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top"

declare -A allowed=(
    [common]="common"
    [server/core]="common server/core"
    [server/auth]="common server/core server/auth"
    [server/rpc]="common server/core server/auth server/rpc"
    [server/http]="common server/core server/auth server/http"
    [server/portal]="common server/core server/auth server/http server/portal"
    [server]="common server/core server/auth server/rpc server/http server/portal server"
    [tui]="common tui"
    [ctl]="common ctl"
    [bench]="common bench"
)

# Where each header lives: a name may be in several folders (tui/conn.h
# and server/rpc/conn.h); an include finds its own folder's first, as the
# compiler does, else one of the folders that have it.
declare -A home=()
while IFS= read -r h; do
    name=${h##*/}
    home[$name]="${home[$name]:-} ${h%/*}"
done < <(find common server tui ctl bench -name '*.h' | sort)
dup=0
bad=$dup
checked=0
while IFS= read -r f; do
    dir=${f%/*}
    rules=${allowed[$dir]:-}
    if [ -z "$rules" ]; then
        echo "layers: $f is in $dir, which has no layer (add it to $0)" >&2
        bad=1
        continue
    fi
    while IFS=: read -r line inc; do
        name=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1/' <<<"$inc")
        name=${name##*/}
        [ -n "${home[$name]:-}" ] || continue # generated or system headers
        checked=$((checked + 1))
        [ -f "$dir/$name" ] && continue       # its own folder's
        found=""
        for target in ${home[$name]}; do
            case " $rules " in *" $target "*) found=$target ;; esac
        done
        if [ -z "$found" ]; then
            echo "layers: $f:$line includes $name from${home[$name]}, above $dir" >&2
            bad=1
        fi
    done < <(grep -n -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" || true)
done < <(find common server tui ctl bench -name '*.[ch]' | sort)

if [ "$bad" -ne 0 ]; then
    echo "layers: FAIL" >&2
    exit 1
fi
echo "layers: ok ($checked includes checked)"
