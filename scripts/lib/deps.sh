# deps.sh - install the Debian packages in scripts/lib/packages that are
# missing: with apt-get when run as root, else print the one command to run.
# Sourced by scripts/test and scripts/demo.

dk_deps_missing() {
    local pkg missing=()
    while read -r pkg; do
        case "$pkg" in ''|'#'*) continue ;; esac
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed'; then
            missing+=("$pkg")
        fi
    done < "$(dirname "${BASH_SOURCE[0]}")/packages"
    echo "${missing[*]:-}"
}

dk_deps_ensure() {
    local missing
    missing=$(dk_deps_missing)
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "Docket needs these Debian packages; install them with:" >&2
        echo "  sudo apt-get install -y $missing" >&2
        exit 1
    fi
    echo "==> installing: $missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    # The package lists may be missing or old on a fresh machine.
    apt-get update -qq >&2
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >&2
}

# The system user the package makes (dist/debian/postinst) and the SSH
# gateway runs as: the SSH tests log in through it.  Made the same way
# when missing and run as root; without root the tests that need it say so.
dk_service_user() {
    [ "$(id -u)" -eq 0 ] || return 0
    getent passwd docket >/dev/null && return 0
    echo "==> adding the system user docket (as the package does)" >&2
    adduser --system --group --no-create-home --home /nonexistent \
        --gecos "Docket helpdesk server" docket >&2
}

# Front-end tools the browser tests inject, from the npm registry, pinned
# (scripts/lib/npm-packages: one name@version per line), into .cache/npm/
# of the checkout: the tests themselves never reach the network.
dk_npm_ensure() {
    local root dir spec missing=()
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    dir=$root/.cache/npm
    while read -r spec; do
        case "$spec" in ''|'#'*) continue ;; esac
        [ -f "$dir/node_modules/${spec%@*}/package.json" ] &&
            grep -q "\"version\": \"${spec##*@}\"" "$dir/node_modules/${spec%@*}/package.json" &&
            continue
        missing+=("$spec")
    done < "$(dirname "${BASH_SOURCE[0]}")/npm-packages"
    [ ${#missing[@]} -eq 0 ] && return 0
    # A plain Debian 12 has no npm: Debian's own package, when root.
    if ! command -v npm >/dev/null; then
        if [ "$(id -u)" -ne 0 ]; then
            echo "The browser tests need npm; install it with: sudo apt-get install -y npm" >&2
            exit 1
        fi
        echo "==> installing: npm" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >&2
    fi
    echo "==> npm: ${missing[*]}" >&2
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "${missing[@]}" >&2
}
