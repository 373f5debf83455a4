# ctl_migrate.sh - docketctl migrate creates, is safe to rerun, refuses a
# newer schema and a foreign database; --config works before and after the
# subcommand; configuration errors are reported with file and line.
. "$(dirname "$0")/lib.bash"
# The version this tree creates: written once, in schema/version.sql.
V=$(sed -n 's/^INSERT INTO schema_version (version) VALUES (\([0-9]*\));$/\1/p' \
    "$DOCKET_SOURCE_DIR/schema/version.sql")

run ctl migrate
expect_eq "migrate creates the schema" "$OUT" "schema created (version $V)"
expect_eq "schema_version is $V" "$(sql 'SELECT max(version) FROM schema_version')" "$V"

run ctl migrate
expect_eq "migrate again only re-creates the functions" "$OUT" "schema is up to date (version $V); functions re-created"
expect_eq "no second version row" "$(sql 'SELECT count(*) FROM schema_version')" 1

run "$DOCKETCTL" migrate --config "$CONFIG"
expect_ok "--config after the subcommand works"
run env DOCKET_CONFIG="$CONFIG" "$DOCKETCTL" migrate
expect_ok "\$DOCKET_CONFIG is used when --config is absent"

expect_eq "seeded pipelines" "$(sql "SELECT string_agg(id || ':' || name, ',' ORDER BY position) FROM pipeline")" \
    "support:Customer Support,graphics:Graphic Support"
expect_eq "seeded stages" "$(sql "SELECT string_agg(pipeline || '/' || id || CASE WHEN is_default THEN '*' ELSE '' END || CASE WHEN is_closed THEN '!' ELSE '' END, ',' ORDER BY pipeline DESC, position) FROM stage")" \
    "support/new*,support/in_progress,support/waiting_on_contact,support/closed!,graphics/waiting_on_graphics*,graphics/graphics_in_progress,graphics/graphics_complete"
expect_eq "seeded list" "$(sql "SELECT name FROM list")" "Authorized Portal Users"

# Two migrations at once: the advisory lock serialises them.
sql "CREATE DATABASE race"
cat > "$T/race.yaml" <<YAML
database: {conninfo: "${DK_PG_CONNINFO/dbname=docket/dbname=race}"}
YAML
"$DOCKETCTL" --config "$T/race.yaml" migrate >"$T/r1" 2>&1 & p1=$!
"$DOCKETCTL" --config "$T/race.yaml" migrate >"$T/r2" 2>&1 & p2=$!
wait $p1; rc1=$?; wait $p2; rc2=$?
expect_eq "concurrent migrations both succeed" "$rc1$rc2" "00"
expect_eq "one created, one found it up to date" "$(sort "$T/r1" "$T/r2" | tr '\n' '|')" \
    "schema created (version $V)|schema is up to date (version $V); functions re-created|"

sql "INSERT INTO schema_version (version) VALUES (99)"
run ctl migrate
expect_err "a newer schema is refused" \
    "docketctl: migrate: the database schema is version 99, newer than this docketctl knows ($V): upgrade Docket instead"
sql "DELETE FROM schema_version WHERE version = 99"

sql "CREATE DATABASE other"
psql "${DK_PG_CONNINFO/dbname=docket/dbname=other}" -XAtq -c "CREATE TABLE mine (x int)"
cat > "$T/other.yaml" <<YAML
database: {conninfo: "${DK_PG_CONNINFO/dbname=docket/dbname=other}"}
YAML
run "$DOCKETCTL" --config "$T/other.yaml" migrate
expect_err "a database with other tables is not touched" \
    "docketctl: migrate: the database has tables but no schema_version: it is not a Docket database"

cat > "$T/down.yaml" <<YAML
database: {conninfo: "host=$T/nowhere port=1 dbname=docket connect_timeout=2"}
YAML
run "$DOCKETCTL" --config "$T/down.yaml" migrate
expect_err_has "an unreachable database is one clear line" \
    "docketctl: migrate: could not connect to database: "
expect_eq "  ...and only one line" "$(printf '%s\n' "$ERR" | wc -l)" 1

run "$DOCKETCTL" --config "$T/missing.yaml" migrate
expect_err "a missing config file is named" \
    "docketctl: $T/missing.yaml: could not open: No such file or directory"

printf 'database:\n  pool_size: lots\n  colour: red\n' > "$T/bad.yaml"
run "$DOCKETCTL" --config "$T/bad.yaml" migrate
expect_err "config errors name file, line, column and key, all of them" \
    "docketctl: $T/bad.yaml:2:14: database.pool_size: expected a whole number
docketctl: $T/bad.yaml:3:3: database.colour: unknown key"

run ctl frobnicate
expect_err "unknown command" 'docketctl: unknown command "frobnicate" (see docketctl --help)'
run ctl migrate --force
expect_err_has "unknown option" 'docketctl: migrate: unknown option "--force"'
run "$DOCKETCTL" migrate --config
expect_err "--config without a file" 'docketctl: option "--config" needs a file name'

done_testing
