# ctl_migrate_upgrade.sh - SPEC section 11: an upgraded database equals a
# fresh one.  A database made from each released schema version as it
# shipped (schema/history/vN.sql) and then `docketctl migrate`d equals one that
# `docketctl migrate` creates empty: in pg_dump --schema-only and in the
# seed rows (pipelines, stages, system templates, settings, lists).  So do
# one made by psql from schema.sql (its \ir includes, from any folder) and
# one from the expanded schema.sql the package ships.  Then the same with
# the upgrade test's docketctl, which has one more numbered migration
# (test/schema/upgrade_test.sql): from version 1, from the current version,
# a failing migration that leaves everything as it was, and docketd
# refusing the newer schema.
. "$(dirname "$0")/lib.bash"
: "${DOCKETCTL_UPGRADE_TEST:?run under ctest}"

SRC=$DOCKET_SOURCE_DIR
# The build tree: the one docketctl is in (under --valgrind, lib.bash has
# put a wrapper in its place, so its folder is not the build's).
BUILD=${DOCKET_BUILD_DIR:-$(dirname "$DOCKETCTL")}
VERSION=$(sed -n 's/^INSERT INTO schema_version (version) VALUES (\([0-9]*\));$/\1/p' \
          "$SRC/schema/version.sql")
NEXT=$((VERSION + 1))

db() { echo "${DK_PG_CONNINFO/dbname=docket/dbname=$1}"; }
newdb() {
    sql "CREATE DATABASE $1"
    printf 'database: {conninfo: "%s"}\n' "$(db "$1")" > "$T/$1.yaml"
}
psql_file() { # DB FILE: run FILE in one transaction, as ops would
    psql "$(db "$1")" -XAtq -v ON_ERROR_STOP=1 -1 -f "$2"
}
version_of() { psql "$(db "$1")" -XAtq -c 'SELECT max(version) FROM schema_version'; }

# The schema as pg_dump prints it.  Normalised only where two equal
# databases differ: pg_dump (15.14 and later) brackets its output with
# \restrict KEY and \unrestrict KEY, a random key each run.  Nothing else:
# comments, function bodies, column order and constraint names all count.
dump() {
    pg_dump --schema-only "$(db "$1")" > "$T/$1.raw" || { echo "pg_dump $1 failed"; return 1; }
    grep -v '^\\\(un\)\?restrict ' "$T/$1.raw" > "$T/$1.dump"
}
# The rows a new database starts with, in a fixed order.
seed() {
    psql "$(db "$1")" -XAq -v ON_ERROR_STOP=1 > "$T/$1.seed" <<'SQL'
COPY (SELECT * FROM pipeline ORDER BY id) TO STDOUT;
COPY (SELECT * FROM stage ORDER BY pipeline, id) TO STDOUT;
COPY (SELECT id, folder, name, subject, body FROM email_template
       WHERE folder = 'system' ORDER BY id) TO STDOUT;
COPY (SELECT * FROM setting ORDER BY key) TO STDOUT;
COPY (SELECT id, name FROM list ORDER BY id) TO STDOUT;
SQL
}
# same_as REF DB DESC: DB's schema and seed rows are REF's.
same_as() {
    dump "$2"; seed "$2"
    if diff -u "$T/$1.dump" "$T/$2.dump" > "$T/$2.diff"; then
        pass "$3: pg_dump --schema-only is a fresh database's"
    else
        fail "$3: pg_dump --schema-only differs from a fresh database's"
        head -60 "$T/$2.diff" | sed 's/^/   /'
    fi
    if diff -u "$T/$1.seed" "$T/$2.seed" > "$T/$2.seed.diff"; then
        pass "$3: the seed rows are a fresh database's"
    else
        fail "$3: the seed rows differ"
        head -30 "$T/$2.seed.diff" | sed 's/^/   /'
    fi
}

# ---- this docketctl ---------------------------------------------------------

newdb fresh
run "$DOCKETCTL" --config "$T/fresh.yaml" migrate
expect_eq "an empty database gets the whole schema" "$OUT" \
    "schema created (version $VERSION)"
dump fresh; seed fresh
# Guard against comparing two empty or broken dumps.
expect_eq "the fresh dump holds the tables and functions" \
    "$(grep -cE '^CREATE TABLE public\.ticket |^CREATE FUNCTION public\.ticket_claim\(' "$T/fresh.dump")" 2
expect_eq "the fresh seed holds 7 stages and 10 system templates" \
    "$(grep -cE '^(support|graphics)	[a-z_]+	' "$T/fresh.seed") $(grep -c '	system	' "$T/fresh.seed")" \
    "7 10"

# Every released version (schema/history/vN.sql, as it shipped), migrated.
for h in "$SRC"/schema/history/v*.sql; do
    hv=$(basename "$h" .sql); hv=${hv#v}
    newdb "v$hv"
    psql_file "v$hv" "$h"
    expect_eq "schema/history/v$hv.sql creates schema version $hv" "$(version_of "v$hv")" "$hv"
    run "$DOCKETCTL" --config "$T/v$hv.yaml" migrate
    if [ "$hv" -eq "$VERSION" ]; then
        expect_eq "version $hv is current: migrate re-creates the functions" "$OUT" \
            "schema is up to date (version $hv); functions re-created"
    else
        expect_eq "version $hv is upgraded" "$OUT" \
            "schema upgraded from version $hv to $VERSION; functions re-created"
    fi
    expect_eq "  ...to version $VERSION" "$(version_of "v$hv")" "$VERSION"
    same_as fresh "v$hv" "version $hv, migrated"
done
run "$DOCKETCTL" --config "$T/v1.yaml" migrate
expect_eq "migrating again says so" "$OUT" \
    "schema is up to date (version $VERSION); functions re-created"
same_as fresh v1 "version 1, migrated twice"

newdb bypsql
(cd / && psql_file bypsql "$SRC/schema.sql")
expect_eq "psql -f schema.sql from another folder (\\ir) works" "$?" 0
same_as fresh bypsql "psql -f schema.sql"
newdb inrepo
(cd "$SRC" && psql_file inrepo schema.sql)
same_as fresh inrepo "psql -f schema.sql in the source tree"

expect_eq "the expanded schema.sql includes nothing" \
    "$(grep -c '^\\i' "$BUILD/schema/schema.sql")" 0
newdb expanded
psql_file expanded "$BUILD/schema/schema.sql"
same_as fresh expanded "the expanded schema.sql (the package's)"

# ---- a docketctl with one more numbered migration ---------------------------

newdb fresh2
run "$DOCKETCTL_UPGRADE_TEST" --config "$T/fresh2.yaml" migrate
expect_eq "upgrade test: an empty database gets version $NEXT" "$OUT" \
    "schema created (version $NEXT)"
dump fresh2; seed fresh2
expect_eq "  ...with the migration's table" \
    "$(grep -c '^CREATE TABLE public\.upgrade_test ' "$T/fresh2.dump")" 1

newdb v1b
psql_file v1b "$SRC/schema/history/v1.sql"
run "$DOCKETCTL_UPGRADE_TEST" --config "$T/v1b.yaml" migrate
expect_eq "upgrade test: version 1 is upgraded" "$OUT" \
    "schema upgraded from version 1 to $NEXT; functions re-created"
expect_eq "  ...recording each version" \
    "$(psql "$(db v1b)" -XAtq -c 'SELECT string_agg(version::text, $$,$$ ORDER BY version) FROM schema_version')" \
    "$(seq -s, 1 "$NEXT")"
same_as fresh2 v1b "upgrade test: version 1, migrated"

run "$DOCKETCTL_UPGRADE_TEST" --config "$T/v1.yaml" migrate
expect_eq "upgrade test: a current database (version $VERSION) is upgraded" "$OUT" \
    "schema upgraded from version $VERSION to $NEXT; functions re-created"
same_as fresh2 v1 "upgrade test: a current database, migrated"

run "$DOCKETCTL" --config "$T/v1.yaml" migrate
expect_err "this docketctl refuses the newer database" \
    "docketctl: migrate: the database schema is version $NEXT, newer than this docketctl knows ($VERSION): upgrade Docket instead"
printf 'database: {conninfo: "%s"}\nserver: {socket: "%s/d.sock", listen: ""}\nhttp: {listen: ""}\nmail: {send: false}\n' \
    "$(db v1)" "$T" > "$T/docketd.yaml"
run timeout 20 "$DOCKETD" --config "$T/docketd.yaml"
expect_eq "docketd refuses it too (exit 1)" "$RC" 1
expect_eq "  ...naming both versions" "$(grep -c "the database schema is version $NEXT; this docketd needs $VERSION " <<<"$ERR")" 1

# A migration that fails leaves the database as it was: the column the
# migration adds before it fails is not there, nor the new version.
newdb broken
psql_file broken "$SRC/schema/history/v1.sql"
sql_b() { psql "$(db broken)" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
sql_b "CREATE TABLE upgrade_test (x int)"
dump broken; cp "$T/broken.dump" "$T/broken-before.dump"
run "$DOCKETCTL_UPGRADE_TEST" --config "$T/broken.yaml" migrate
expect_err_has "upgrade test: a failing migration is reported by name" \
    "upgrade_test.sql failed: relation \"upgrade_test\" already exists"
expect_eq "  ...the version is unchanged" "$(version_of broken)" 1
expect_eq "  ...the step before the failure is rolled back" \
    "$(sql_b "SELECT count(*) FROM information_schema.columns WHERE table_name = 'contact' AND column_name = 'upgrade_test_language'")" 0
dump broken
if cmp -s "$T/broken-before.dump" "$T/broken.dump"; then pass "  ...the whole schema is as it was"
else fail "  ...the schema changed"; diff -u "$T/broken-before.dump" "$T/broken.dump" | head -20; fi

done_testing
