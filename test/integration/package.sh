#!/usr/bin/env bash
# package.sh - what ops install: the .deb that cpack builds from this tree
# (control fields, library dependencies, files, conffiles, maintainer
# scripts), the systemd unit in it (systemd-analyze verify, and its
# security exposure), and the configuration it ships (valid as it is).
DK_NO_PG=1
. "$(dirname "$0")/lib.bash"

BUILD=$(dirname "$DOCKETD")
VERSION=$(sed -n 's/^project(docket VERSION \([0-9.]*\).*/\1/p' \
          "$DOCKET_SOURCE_DIR/CMakeLists.txt")

run cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$T/pkg"
if [ "$RC" -eq 0 ]; then pass "cpack builds a .deb"
else fail "cpack builds a .deb (exit $RC)"; echo "$OUT" "$ERR" | tail -20; fi
DEB="$T/pkg/docket_${VERSION}_amd64.deb"
[ -f "$DEB" ] && pass "the package is named docket_${VERSION}_amd64.deb" \
    || { fail "no $DEB"; ls "$T/pkg"; done_testing; exit 1; }

field() { dpkg-deb -f "$DEB" "$1"; }
expect_eq "Package" "$(field Package)" docket
expect_eq "Version" "$(field Version)" "$VERSION"
expect_eq "Architecture" "$(field Architecture)" amd64
expect_eq "Recommends" "$(field Recommends)" postgresql
# Each library docketd, docketctl and docket link, found by dpkg-shlibdeps.
depends=$(field Depends)
for pkg in libc6 libuv1 libpq5 libjansson4 libsodium23 libyaml-0-2 \
           libcurl4 libgmime-3.0-0 libncursesw6 libsystemd0 libhttp-parser2.9 \
           adduser; do
    [[ ", $depends," == *", $pkg"[\ ,]* ]] \
        && pass "Depends names $pkg" || fail "Depends lacks $pkg: $depends"
done

files=$(dpkg-deb -c "$DEB" | awk '{print $NF}')
for f in ./usr/bin/docket ./usr/sbin/docketd ./usr/sbin/docketctl \
         ./usr/lib/systemd/system/docketd.service ./etc/docket/config.yaml \
         ./usr/share/docket/schema.sql ./usr/share/docket/config.example.yaml \
         ./usr/share/man/man1/docket.1 ./usr/share/man/man5/docket.yaml.5 \
         ./usr/share/man/man8/docketd.8 ./usr/share/man/man8/docketctl.8 \
         ./usr/share/doc/docket/README.md; do
    grep -qx "$f" <<<"$files" && pass "the package holds $f" \
        || fail "the package lacks $f"
done
# Every guide, in docs/ beside README.md as in the source tree, so that
# their links work (operations.md links docketctl.md and portal.md, among
# others; README.md links docs/operations.md).
for f in "$DOCKET_SOURCE_DIR"/docs/*.md; do
    f=./usr/share/doc/docket/docs/$(basename "$f")
    grep -qx "$f" <<<"$files" && pass "the package holds $f" \
        || fail "the package lacks $f"
done
# and every guide a shipped guide (or README.md) links to is shipped there.
missing=$( { grep -ohE '\]\([a-z_-]+\.md' "$DOCKET_SOURCE_DIR"/docs/*.md |
             sed 's|^](|docs/|'
             grep -ohE '\]\(docs/[a-z_-]+\.md' "$DOCKET_SOURCE_DIR"/README.md |
             sed 's|^](||'; } | sort -u | while read -r d; do
              grep -qx "./usr/share/doc/docket/$d" <<<"$files" || echo "$d"
          done)
expect_eq "every guide the guides link to is in the package" "$missing" ""
mode=$(dpkg-deb -c "$DEB" | awk '$NF == "./etc/docket/config.yaml" {print $1}')
expect_eq "the configuration is not world-readable" "$mode" "-rw-r-----"

mkdir -p "$T/control"
dpkg-deb -e "$DEB" "$T/control"
expect_eq "conffiles" "$(cat "$T/control/conffiles")" /etc/docket/config.yaml
for s in postinst prerm postrm; do
    if [ -x "$T/control/$s" ] && sh -n "$T/control/$s"; then
        pass "$s is an executable, valid sh script"
    else fail "$s missing, not executable or not valid sh"; fi
done
grep -q 'adduser --system' "$T/control/postinst" \
    && pass "postinst creates the system user" || fail "postinst: no adduser"
if grep -Eq 'systemctl (start|enable|restart)' "$T/control/postinst"; then
    fail "postinst must not start a service that has no database yet"
else pass "postinst neither enables nor starts docketd"; fi

# The unit, verified as systemd would load it from the package: paths
# moved under the extracted tree, man pages found there.
dpkg-deb -x "$DEB" "$T/root"
schema="$T/root/usr/share/docket/schema.sql"
expect_eq "the shipped schema.sql is expanded: no \\ir left, every table in it" \
    "$(grep -c '^\\i' "$schema") $(grep -c '^CREATE TABLE' "$schema")" \
    "0 $(cat "$DOCKET_SOURCE_DIR"/schema/tables/*.sql | grep -c '^CREATE TABLE')"
unit="$T/root/usr/lib/systemd/system/docketd.service"
expect_eq "ExecStart runs the packaged docketd" \
    "$(sed -n 's/^ExecStart=//p' "$unit")" \
    "/usr/sbin/docketd --config /etc/docket/config.yaml"
sed "s#/usr/sbin/docketd#$T/root/usr/sbin/docketd#; s#/etc/docket/#$T/root/etc/docket/#" \
    "$unit" > "$T/docketd.service"
run env MANPATH="$T/root/usr/share/man:" systemd-analyze verify "$T/docketd.service"
expect_ok "systemd-analyze verify passes"
run systemd-analyze security --offline=true "$T/docketd.service"
score=$(sed -n 's/.*Overall exposure level for docketd.service: \([0-9.]*\).*/\1/p' <<<"$OUT")
if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
    pass "systemd-analyze security: exposure $score (at most 2.0)"
else fail "systemd-analyze security: exposure '$score'"; fi

run "$T/root/usr/sbin/docketd" --config "$T/root/etc/docket/config.yaml" --check-config
expect_ok "the shipped /etc/docket/config.yaml is valid"
run "$T/root/usr/sbin/docketd" --version
expect_eq "the packaged docketd is this version" "$OUT" "docketd $VERSION"

done_testing
