#!/usr/bin/env bash
# comm_result on Citus: a coordinator and two workers (a third joins for the
# rebalance), each a throwaway cluster listening only on a Unix socket in one
# temporary directory, all stopped and removed on exit.  The README's
# "Scaling out" commands are run as the README shows them (its blocks marked
# <!-- citus example: ... -->), and its plans compared with the real ones.
#
#   * the README's node configuration and setup, the recommended distributed
#     schema with Citus's default shard count, and the two schemas Citus
#     refuses (a generated distribution column, a batch_id filled by a
#     BEFORE INSERT trigger);
#   * examples/results.jsonl, 200,000 April-shape results and 50,000 of
#     today's shape (bench/gen.py; today's as responses without batch_id,
#     through comm_results(body, batch_id)) loaded by the README's loaders
#     into the distributed table and into a local copy on the coordinator;
#     values in both storage formats on the workers;
#   * the load that loses nothing (examples/load_checked_citus.sql) against
#     examples/load_checked.sql on one node: responses with invalid
#     elements, a second load, a replay after a fix, a cut-off body;
#   * every report query of test/citus/reports.sql (the README's,
#     examples/reporting.sql's, the 1.2 aggregates, comm_result_all_fields)
#     run on both, outputs compared; examples/reporting_citus.sql's counters
#     and the messages it prints;
#   * EXPLAIN (VERBOSE): what goes to the workers whole, what is aggregated
#     partially; EXPLAIN ANALYZE's failures in Citus and the work-around;
#   * the merge upsert re-ingesting shuffled snapshots converges to the local
#     copy, value for value; the guard rejects illegal moves (23514) in
#     single-shard and multi-shard updates;
#   * a shard move and a rebalance onto a third worker keep every value
#     byte-identical (comm_result_send checksums), and fail without
#     citus.local_hostname;
#   * worker 2 runs with another DateStyle and TimeZone;
#   * a worker without the extension's files, with version 1.0 only, down
#     during a report; a load with a worker down, one stopped in the
#     middle, one without comm_result's library, one with 1.1's library, and
#     a checked load with a worker down (rejects distributed, and as a
#     reference table): an error and nothing loaded.
#
# Citus: the one installed for the server in use (citus.so and
# citus.control in its directories), else a build of the public source
# archive of the release that supports this server (test/lib/citus.sh: 13.2.2
# for 15, 14.0.1 for 16 to 18), made once and kept under
# /var/cache/comm_result/citus.  With neither, prints "citus: not run: ..."
# and exits 0.  Usage: test/citus/run.sh (root or a user with sudo).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/citus.sh"
set -euo pipefail

NAME=citus
source "$(dirname "${BASH_SOURCE[0]}")/../lib/checks.sh"
HERE=$CR_ROOT/test/citus

# The server's directories (suffixes below a private installation's root).
LIBDIR=$("$PG_CONFIG" --pkglibdir)
SHAREDIR=$("$PG_CONFIG" --sharedir)
CITUS_FROM=installed
if ! cr_citus_installed; then
	rc=0
	cr_citus_archive || rc=$?
	if [ "$rc" -eq 1 ]; then
		echo "$NAME: not run: Citus is not installed for $("$PG_CONFIG" --version) (no $LIBDIR/citus.so or $SHAREDIR/extension/citus.control) and there is no source archive to build it from: $CR_CITUS_WHY"
		exit 0
	elif [ "$rc" -ne 0 ]; then
		echo "$NAME: 0 passed, 1 failed (the Citus source archive failed its check)"
		exit 1
	fi
	CITUS_FROM=$CR_CITUS_ARCHIVE
fi
if [ "$CITUS_FROM" = installed ]; then
	cr_require build python3
else
	# PostgreSQL 18's pg_config.h defines HAVE_LIBCURL (for OAuth), and
	# Citus then includes curl/curl.h even when configured without it.
	needs=(gssapi openssl icu lz4 zstd)
	! grep -q '^#define HAVE_LIBCURL 1' "$("$PG_CONFIG" --includedir-server)/pg_config.h" || needs+=(curl)
	cr_require build python3 "${needs[@]}"
fi
# The private installation (a copy of the server's files with this build):
# inherited from test/run.sh, or made here; Citus's files are copied into a
# copy of it when Citus is built here.
trap cr_private_remove EXIT
cr_use_install
CITUS_NOTE="installed for the server"
if [ "$CITUS_FROM" != installed ]; then
	if ! tree=$(cr_citus_build); then
		echo "$NAME: 0 passed, 1 failed (building Citus from $CITUS_FROM failed)"
		exit 1
	fi
	CITUS_NOTE="from $CITUS_FROM, $(cat "$tree/.complete") (kept in $tree)"
	cr_citus_into_private "$tree"
fi
INST=$CR_INST
STARTED=$(date +%s)
PGB=$(cr_dir bindir)
PGU=postgres
[ "$(id -u)" -eq 0 ] || PGU=$(id -un)

# ---------------------------------------------------------------- nodes
# One socket directory for every node; Citus's nodes reach each other
# through it (a node name that starts with "/" is a socket directory).  The
# ports are the README's.
DIR=$(mktemp -d /tmp/comm_result_citus.XXXXXX)
chmod 755 "$DIR"
[ "$(id -u)" -ne 0 ] || chown postgres: "$DIR"
declare -A PORT=([coord]=54340 [w1]=54341 [w2]=54342 [w3]=54343 [nofiles]=54344 [old]=54345)
declare -A BINDIR=()
source "$HERE/lib.sh"
export PGOPTIONS='-c client_min_messages=error'

stop_all() {
	local d
	trap '' INT TERM # first: a Ctrl-C must not cut the cleanup short
	for d in "$DIR"/*/; do
		[ -f "$d/postmaster.pid" ] || continue
		cr_as_pg "${BINDIR[$(basename "$d")]:-$PGB}/pg_ctl" -D "$d" -m fast -w -t 60 stop >/dev/null 2>&1 ||
			cr_as_pg "${BINDIR[$(basename "$d")]:-$PGB}/pg_ctl" -D "$d" -m immediate -w stop >/dev/null 2>&1 || true
	done
	rm -rf "$DIR"
	cr_private_remove
}
# shellcheck disable=SC2154 # rc is assigned inside the trap
trap 'rc=$?; checks_aborted "$rc"; stop_all; exit $rc' EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- the README's setup
cr_log "starting a Citus coordinator and two workers in $DIR"
conf=$(readme_block postgresql.conf)
check_eq "the README's postgresql.conf preloads Citus and sets citus.local_hostname to the socket directory" \
	"shared_preload_libraries = 'citus'|citus.local_hostname = '$DIR'" \
	"$(sed 's/ *#.*//' <<<"$conf" | paste -sd '|')"
node_start coord
node_start w1
# worker 2 lives in another time zone (and later formats dates differently)
node_start w2 "TimeZone = 'Asia/Kathmandu'"
setup=$(readme_block setup)
# The README's setup: its first part on every node, the rest on the coordinator.
for n in coord w1 w2; do sed '/^-- on the coordinator:/,$d' <<<"$setup" | q "$n" >/dev/null; done
# Created on the coordinator only: Citus creates comm_result on every worker.
sed -n '/^-- on the coordinator:/,$p' <<<"$setup" | q coord >/dev/null
CITUS_VERSION=$(q coord "SELECT extversion FROM pg_extension WHERE extname = 'citus'")
SERVER_VERSION=$(q coord "SHOW server_version")
v=$(q coord "SELECT extversion FROM pg_extension WHERE extname = 'comm_result'")
check_eq "CREATE EXTENSION comm_result on the coordinator reaches worker 1" "$v" \
	"$(q w1 "SELECT extversion FROM pg_extension WHERE extname = 'comm_result'")"
check_eq "... and worker 2" "$v" "$(q w2 "SELECT extversion FROM pg_extension WHERE extname = 'comm_result'")"

# The README's source fix for Citus 13.2.2 on 15.20 is the one the build applies.
check_eq "the README's Citus source fix is test/lib/citus.sh's" \
	"$(sed -n 's/^[[:space:]]*perl -0pi /perl -0pi /p' "$CR_ROOT/test/lib/citus.sh")" \
	"$(grep -m1 '^perl -0pi ' "$CR_ROOT/README.md")"

# ---------------------------------------------------------------- schemas Citus refuses
expect_error "a generated distribution column is refused" 0A000 coord \
	"CREATE TABLE gen_key (r comm_result NOT NULL, batch_id text GENERATED ALWAYS AS (batch_id(r)) STORED);" \
	"SELECT create_distributed_table('gen_key', 'batch_id');"
q coord 'DROP TABLE gen_key;' >/dev/null
# Citus routes the row by its distribution column before any trigger runs.
q coord <<'SQL' >/dev/null
CREATE TABLE trig_key (r comm_result NOT NULL, batch_id text NOT NULL);
SELECT create_distributed_table('trig_key', 'batch_id');
CREATE FUNCTION trig_key_fill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.batch_id := batch_id(NEW.r); RETURN NEW; END $$;
SQL
expect_error "a trigger on a distributed table needs citus.enable_unsafe_triggers" XX000 coord \
	"CREATE TRIGGER fill BEFORE INSERT ON trig_key FOR EACH ROW EXECUTE FUNCTION trig_key_fill();"
q coord 'SET citus.enable_unsafe_triggers = on;' \
	'CREATE TRIGGER fill BEFORE INSERT ON trig_key FOR EACH ROW EXECUTE FUNCTION trig_key_fill();' >/dev/null
expect_error "a batch_id left to a BEFORE INSERT trigger cannot route the row" 22004 coord \
	"INSERT INTO trig_key (r) VALUES ('{\"batch_id\":\"b\",\"reference_id\":\"1\",\"target\":\"5550100\",\"request_variables\":{}}');"
q coord 'DROP TABLE trig_key; DROP FUNCTION trig_key_fill();' >/dev/null
expect_error "create_distributed_table refuses a table with a trigger" XX000 coord <<'SQL'
CREATE TABLE guarded (r comm_result NOT NULL, batch_id text NOT NULL);
CREATE TRIGGER guard BEFORE UPDATE ON guarded FOR EACH ROW EXECUTE FUNCTION comm_result_guard();
SELECT create_distributed_table('guarded', 'batch_id');
SQL
q coord 'DROP TABLE IF EXISTS guarded;' >/dev/null

# ---------------------------------------------------------------- the schema
# d: distributed; l: the same table, local on the coordinator.  ds and ls:
# only the example file's four batches, so that most shards are empty.  The
# distributed tables are made by the README's commands as they are; the
# local ones by its CREATE TABLE.
schema=$(readme_block schema)
create_table=$(sed -n '1,/^);/p' <<<"$schema")
for s in d ds; do
	q coord "CREATE SCHEMA $s;" "SET search_path = $s, public;" "$schema" >/dev/null
done
for s in l ls; do
	q coord "CREATE SCHEMA $s;" "SET search_path = $s, public;" "$create_table" \
		"CREATE TRIGGER results_guard BEFORE UPDATE ON results FOR EACH ROW EXECUTE FUNCTION comm_result_guard();" >/dev/null
done
SHARDS=$(q coord "SELECT count(*) FROM citus_shards WHERE table_name = 'd.results'::regclass")
check_eq "Citus made citus.shard_count's default number of shards" "$(q coord "SHOW citus.shard_count")" "$SHARDS"
check_eq "the guard trigger is on every shard of d.results" "$SHARDS" \
	"$(q coord "SELECT sum(result::int) FROM run_command_on_shards('d.results', \$\$SELECT count(*) FROM pg_trigger WHERE tgrelid = '%s'::regclass AND tgname LIKE 'results_guard%%'\$\$)")"

# checksum SCHEMA [WHERE]: rows, and sums of hashes of the binary and text forms
checksum() {
	q coord "SELECT count(*) || ' ' || coalesce(sum(('x' || left(md5(comm_result_send(r)::text), 15))::bit(60)::bigint), 0)
       || ' ' || coalesce(sum(('x' || left(md5(r::text || batch_id || reference_id), 15))::bit(60)::bigint), 0)
FROM $1.results ${2:+WHERE $2}"
}
# formats TABLE: how many values of each storage format version the shards
# of a distributed table hold, counted on the workers ("1:N 2:M"); the
# first byte of the binary form is the stored form's version.
formats() {
	q coord "SELECT string_agg(v || ':' || n, ' ' ORDER BY v) FROM (
    SELECT v, sum(result::bigint) AS n FROM (VALUES (1), (2)) f(v),
        run_command_on_shards('$1', format(\$\$SELECT count(*) FROM %%s WHERE get_byte(comm_result_send(r), 0) = %s\$\$, v))
    GROUP BY v HAVING sum(result::bigint) > 0) x"
}
local_formats() {
	q coord "SELECT string_agg(v || ':' || n, ' ' ORDER BY v) FROM (
    SELECT get_byte(comm_result_send(r), 0) AS v, count(*) AS n FROM $1 GROUP BY 1) x"
}

# ---------------------------------------------------------------- April's records
# (CITUS_APRIL_ROWS and CITUS_TODAY_ROWS make a quicker run while working
# on the suite; the README's numbers are the defaults'.)
APRIL_ROWS=${CITUS_APRIL_ROWS:-200000} TODAY_ROWS=${CITUS_TODAY_ROWS:-50000}
cr_log "generating $APRIL_ROWS results of the April shape, $TODAY_ROWS of today's"
python3 "$CR_ROOT/bench/gen.py" --seed 12 --rows "$APRIL_ROWS" --as snapshot "$DIR/gen.jsonl"
python3 "$CR_ROOT/bench/gen.py" --seed 13 --rows "$TODAY_ROWS" --as today "$DIR/today.txt"
python3 "$CR_ROOT/bench/gen.py" --seed 14 --rows 4000 --as today "$DIR/checked.txt"
python3 "$CR_ROOT/bench/gen.py" --seed 15 --rows 600 --as today "$DIR/later.txt"
chmod 644 "$DIR"/*.jsonl "$DIR"/*.txt
load_april=$(readme_block "load April")
# The example file's valid lines, as one JSON array, through the README's
# April loader, into both small tables and both big ones.
q coord <<SQL >/dev/null
CREATE UNLOGGED TABLE staging (n bigserial, line text);
\\copy staging (line) FROM '$CR_ROOT/examples/results.jsonl' WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')
SQL
for s in ds ls d l; do
	q coord <<SQL >/dev/null
SET search_path = $s, public;
SELECT jsonb_agg(line::jsonb ORDER BY n) AS api_response FROM staging WHERE comm_result_is_valid(line) \\gset
$load_april
SQL
done
check_eq "the example file's valid lines are in ds.results" \
	"$(q coord "SELECT count(*) FROM staging WHERE comm_result_is_valid(line)")" \
	"$(q coord "SELECT count(*) FROM ds.results")"

# The generated results: first each request as it was when pending, then
# every snapshot re-ingested by merge upsert, in chunks of shuffled order (a
# different order for each table), then the pending versions and the
# snapshots once more.  The guard checks every update.
t0=$(date +%s%N)
q coord <<SQL >/dev/null
TRUNCATE staging;
\\copy staging (line) FROM '$DIR/gen.jsonl' WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')
CREATE UNLOGGED TABLE snaps AS
SELECT n, line::comm_result AS snap,
       (line::jsonb - 'call_manager_sid' - 'session_id' - 'conversation_id'
        || '{"request_status":"PENDING","attempt_count":0,"sent_at":null}')::comm_result AS pend
FROM staging;
INSERT INTO d.results (r, batch_id) SELECT pend, batch_id(pend) FROM snaps;
INSERT INTO l.results (r, batch_id) SELECT pend, batch_id(pend) FROM snaps;
SQL
load_ms=$(ms_since "$t0")
upsert() { # schema chunk salt column
	q coord "INSERT INTO $1.results AS t (r, batch_id)
SELECT $4, batch_id($4) FROM snaps WHERE n % 4 = $2 ORDER BY md5(n::text || '$3')
ON CONFLICT (batch_id, reference_id) DO UPDATE SET r = comm_result_merge(t.r, excluded.r);" >/dev/null
}
t0=$(date +%s%N)
for k in 2 0 3 1; do upsert d "$k" a snap; done
upsert_ms=$(ms_since "$t0")
for k in 0 1 2 3; do upsert l "$k" b snap; done
for k in 1 3 0 2; do upsert d "$k" c pend; done
for k in 3 2 1 0; do upsert d "$k" d snap; done
for k in 1 2; do upsert l "$k" e pend; done
info "loaded $APRIL_ROWS pending results into d.results in $load_ms ms (with l.results); merge-upserted $APRIL_ROWS snapshots in $upsert_ms ms"

# ---------------------------------------------------------------- today's responses
# One response per batch, as today's endpoint returns it (records without
# batch_id), kept in the table of README's "Today's API shape" with the
# batch id of the request's URL, then loaded by the README's loader for
# today's responses; the same responses again change nothing.
responses_ddl=$(grep -m1 -oE '^CREATE TABLE responses \(batch_id text, body text\);' "$CR_ROOT/README.md" || true)
check_eq "README's Today's API shape has the responses table" \
	"CREATE TABLE responses (batch_id text, body text);" "$responses_ddl"
load_today=$(readme_block "load today")
q coord <<SQL >/dev/null
CREATE UNLOGGED TABLE today_lines (n bigserial, line text);
\\copy today_lines (line) FROM '$DIR/today.txt' WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x03')
SQL
for s in d l; do
	q coord "SET search_path = $s, public;" "$responses_ddl" \
		"INSERT INTO responses SELECT 'today.' || split_part(line, e'\\x02', 1), substr(line, strpos(line, e'\\x02') + 1)
FROM today_lines ORDER BY n;" >/dev/null
done
t0=$(date +%s%N)
q coord "SET search_path = d, public;" "$load_today" >/dev/null
today_ms=$(ms_since "$t0")
q coord "SET search_path = l, public;" "$load_today" >/dev/null
check_eq "today's $TODAY_ROWS records are in d.results, from $(q coord "SELECT count(*) FROM d.responses") responses" \
	"$TODAY_ROWS" "$(q coord "SELECT count(*) FROM d.results WHERE batch_id LIKE 'today.%'")"
before=$(checksum d)
q coord "SET search_path = d, public;" "$load_today" >/dev/null
check_eq "loading the same responses again changes nothing" "$before" "$(checksum d)"
info "loaded today's $TODAY_ROWS records from $(q coord "SELECT count(*) FROM d.responses") responses into d.results in $today_ms ms"
# What fails, as the README says.
today_loader=$(sed -n '/^INSERT INTO results (r) SELECT r FROM responses, comm_results(body, batch_id) r$/,/;$/p' "$CR_ROOT/README.md")
expect_error "the loader of README's Today's API shape (the expression key) fails on the distributed table" 42P10 coord \
	"SET search_path = d, public;" "${today_loader:-the loader is not in the README}"
expect_error "the April loader fails on a response of today's shape" 22P02 coord \
	"SET search_path = d, public;" "SELECT body AS api_response FROM responses ORDER BY batch_id LIMIT 1 \\gset" "$load_april"
LOCAL_SUM=$(checksum l)
check_eq "the distributed table holds the local table's values, byte for byte" "$LOCAL_SUM" "$(checksum d)"
check_eq "the small tables agree" "$(checksum ls)" "$(checksum ds)"
check_eq "the workers hold values of both storage formats, as many of each as the local table" \
	"$(local_formats l.results)" "$(formats d.results)"

# ---------------------------------------------------------------- the load that loses nothing
# Responses of batches of their own (today's records cut into responses
# of 200), with invalid elements: a target that is not one, a missing
# field, another batch_id, a repeated record, and in every third response
# two elements that are not objects.  Loaded by
# examples/load_checked_citus.sql into d and by examples/load_checked.sql
# into a one-node database (schema lc, its own schema), then compared.
q coord <<SQL >/dev/null
CREATE UNLOGGED TABLE checked_lines (n bigserial, line text);
\\copy checked_lines (line) FROM '$DIR/checked.txt' WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x03')
CREATE UNLOGGED TABLE checked_responses AS
SELECT b.batch_id || '.' || e.i / 200 AS batch_id,
       '[' || string_agg(CASE e.i % 40
                             WHEN 7 THEN jsonb_set(e.v, '{target}', '"not a target"')::text
                             WHEN 19 THEN (e.v - 'request_variables')::text
                             WHEN 31 THEN (e.v || '{"batch_id":"another"}')::text
                             WHEN 3 THEN e.v::text || ', ' || e.v::text
                             ELSE e.v::text END, ', ' ORDER BY e.i)
           || CASE WHEN e.i / 200 % 3 = 0 THEN ', 5, [1]' ELSE '' END || ']' AS body
FROM (SELECT n, 'checked.' || split_part(line, e'\\x02', 1) AS batch_id,
             substr(line, strpos(line, e'\\x02') + 1)::jsonb AS arr FROM checked_lines) b,
     jsonb_array_elements(b.arr) WITH ORDINALITY e(v, i)
GROUP BY b.batch_id, e.i / 200;
CREATE SCHEMA lc;
SQL
# checked_load SCHEMA FILE STATEMENTS: run FILE in SCHEMA, then the
# statements; prints the rows the EXECUTEs return.
checked_load() {
	q coord "SET search_path = $1, public;" "\\i $CR_ROOT/examples/$2" "$3" | grep -E '^[0-9]+(\|[0-9]+)+$'
}
each_response="SELECT format('EXECUTE load_response(%L, %L);', body, batch_id) FROM public.checked_responses ORDER BY batch_id \\gexec"
# checked_state SCHEMA: the checked batches' values and every reject
checked_state() {
	q coord "SET search_path = $1, public;" "SELECT count(*), md5(string_agg(comm_result_send(r)::text, ',' ORDER BY batch_id(r), reference_id(r)))
FROM results WHERE batch_id(r) LIKE 'checked.%';" \
		"SELECT count(*), md5(string_agg(concat_ws('|', batch_id, ordinal, errors, element), e'\\n' ORDER BY batch_id, ordinal))
FROM results_rejects;"
}
t0=$(date +%s%N)
a=$(checked_load d load_checked_citus.sql "$each_response")
checked_ms=$(ms_since "$t0")
b=$(checked_load lc load_checked.sql "$each_response")
check_eq "checked load of $(wc -l <<<"$a") responses: load_response returns on Citus what it returns on one node" "$b" "$a"
totals=$(awk -F'|' '{ v += $1; l += $2; r += $3; n += $4 } END { print v, l, r, n }' <<<"$a")
read -r valid loaded rejected new_rejects <<<"$totals"
if [ "$rejected" -gt 0 ] && [ "$rejected" = "$new_rejects" ] && [ "$valid" -gt 0 ]; then
	ok "... valid $valid, loaded $loaded, rejected $rejected, all kept as rejects"
else
	bad "... valid $valid, loaded $loaded, rejected $rejected, new rejects $new_rejects"
fi
check_eq "... and the results and rejects tables hold the same rows" "$(checked_state lc)" "$(checked_state d)"
a=$(checked_load d load_checked_citus.sql "$each_response")
b=$(checked_load lc load_checked.sql "$each_response")
# loaded and new rejects, summed over the responses
loaded_new() { awk -F'|' '{ l += $2; n += $4 } END { print l + 0, n + 0 }' <<<"$1"; }
check_eq "the same responses again: nothing loaded and no new reject, on Citus and on one node" \
	"0 0|0 0" "$(loaded_new "$a")|$(loaded_new "$b")"
# The fix: the bad targets corrected in the kept elements, then the replay.
fix="UPDATE results_rejects SET element = replace(element, '\"not a target\"', '\"+15125550100\"') WHERE element LIKE '%\"not a target\"%'"
fixed=$(q coord "SELECT count(*) FROM d.results_rejects WHERE element LIKE '%\"not a target\"%'")
q coord "SET search_path = d, public;" "$fix" >/dev/null
q coord "SET search_path = lc, public;" "$fix" >/dev/null
a=$(checked_load d load_checked_citus.sql "EXECUTE replay_rejects;")
b=$(checked_load lc load_checked.sql "EXECUTE replay_rejects;")
check_eq "replay after a fix: $fixed rejects replayed, the others kept, as on one node" \
	"$fixed|$((new_rejects - fixed))|$b" "$a|$a"
check_eq "... and the same rows on both" "$(checked_state lc)" "$(checked_state d)"
before="$(checked_state d)"
expect_error "a cut-off response is refused" 22P02 coord "SET search_path = d, public;" \
	"\\i $CR_ROOT/examples/load_checked_citus.sql" \
	"EXECUTE load_response('[{\"reference_id\":\"1\",\"target\":\"+15125550001\",\"request_variables\":{}}, {\"refer', 'checked.cut');"
check_eq "... and writes nothing" "$before" "$(checked_state d)"
info "checked load of $(q coord "SELECT count(*) FROM checked_responses") responses into d.results in $checked_ms ms"
# The local copy takes the same values, so that d and l agree again.
q coord "INSERT INTO l.results (r, batch_id) SELECT r, batch_id(r) FROM lc.results;" >/dev/null
LOCAL_SUM=$(checksum l)
check_eq "with the checked batches, the distributed table still holds the local table's values" "$LOCAL_SUM" "$(checksum d)"
ROWS=$(q coord "SELECT count(*) FROM l.results")

# ---------------------------------------------------------------- reporting objects
# examples/reporting.sql as it is, on the local tables.
for s in l ls; do
	q coord "SET search_path = $s, public;" "\\i $CR_ROOT/examples/reporting.sql" >/dev/null
done
# On a distributed table, as it is: its statement triggers need
# citus.enable_unsafe_triggers, and then run on the workers, where the
# counter table (a local table of the coordinator) does not exist.
expect_error "examples/reporting.sql on a distributed table: the counter triggers are refused" XX000 coord \
	"SET search_path = ds, public;" "\\i $CR_ROOT/examples/reporting.sql"
q coord "SET search_path = ds, public;" "SET citus.enable_unsafe_triggers = on;" \
	"\\i $CR_ROOT/examples/reporting.sql" >/dev/null
expect_error "... and with citus.enable_unsafe_triggers, a one-row insert fails on the worker" 42P01 coord \
	"INSERT INTO ds.results (r, batch_id) VALUES ('{\"batch_id\":\"x\",\"reference_id\":\"1\",\"target\":\"5550100\",\"request_variables\":{}}', 'x');"
expect_error "... and so does the README's April loader" 42P01 coord "SET search_path = ds, public;" \
	"SELECT '[{\"batch_id\":\"x\",\"reference_id\":\"1\",\"target\":\"5550100\",\"request_variables\":{}}]' AS api_response \\gset" \
	"$load_april"
# An INSERT ... SELECT without ON CONFLICT into several shards goes through
# COPY, which passes the worker's error on without its SQLSTATE.
expect_error "... while an INSERT ... SELECT without ON CONFLICT fails with XX000" XX000 coord "SET search_path = ds, public;" \
	"INSERT INTO results (r, batch_id) SELECT r, batch_id(r) FROM comm_results('[{\"batch_id\":\"x\",\"reference_id\":\"1\",\"target\":\"5550100\",\"request_variables\":{}},
 {\"batch_id\":\"y\",\"reference_id\":\"1\",\"target\":\"5550100\",\"request_variables\":{}}]') r;"
q coord "SET search_path = ds, public;" "DROP TABLE batch_status_counts CASCADE;" \
	"DROP FUNCTION batch_status_counts_apply() CASCADE;" >/dev/null
# The Citus variant: the same objects, the counters in a table co-located
# with results, kept by the same statement triggers running on the shards.
# On a results table that already holds rows, it says so (the counter
# table is filled before it is distributed): the messages the README shows.
out=$(q coord "SET client_min_messages = notice;" "SET search_path = d, public;" \
	"\\i $CR_ROOT/examples/reporting_citus.sql" 2>&1 >/dev/null)
for m in 'WARNING:  0A000: "view batch_dashboard" has dependency to "table batch_status_counts" that is not in Citus'"'"' metadata' \
	'NOTICE:  00000: Copying data from local table...' \
	'HINT:  To remove the local data, run: SELECT truncate_local_data_after_distributing_table($$d.batch_status_counts$$)'; do
	if grep -qF -- "$m" <<<"$out"; then ok "examples/reporting_citus.sql on a table with rows prints: $m"; else bad "examples/reporting_citus.sql did not print [$m]: $out"; fi
done
hint=$(sed -n 's/.*HINT:  To remove the local data, run: //p' <<<"$out" | head -n 1)
local_size="SELECT pg_relation_size('d.batch_status_counts') > 0"
check_eq "... the coordinator keeps a copy of the counters on disk" t "$(q coord "$local_size")"
q coord "${hint:-SELECT 'no hint'};" >/dev/null
check_eq "... which the HINT's command removes" f "$(q coord "$local_size")"
q coord "SET search_path = ds, public;" "\\i $CR_ROOT/examples/reporting_citus.sql" >/dev/null

# ---------------------------------------------------------------- reports
# run_reports DIST LOCAL LABEL [SKIP]: every query of reports.sql on both
# (but those whose name matches the extended regexp SKIP)
run_reports() {
	local name sql a b
	while IFS= read -r -d '' block; do
		name=$(head -n 1 <<<"$block" | sed 's/^-- //')
		[ -z "${4:-}" ] || ! grep -qE -- "$4" <<<"$name" || continue
		sql=$(tail -n +2 <<<"$block")
		a=$(q coord "SET search_path = $1, public;" "$sql" 2>&1) || {
			bad "$3: $name: $(head -c 400 <<<"$a")"
			continue
		}
		b=$(q coord "SET search_path = $2, public;" "$sql" 2>&1) || {
			bad "$3: $name (local): $(head -c 400 <<<"$b")"
			continue
		}
		if [ "$a" == "$b" ]; then
			ok "$3: $name: same answer ($(wc -l <<<"$a") rows)"
		else
			bad "$3: $name: the answers differ: $(diff <(echo "$a") <(echo "$b") | head -n 6)"
		fi
	done < <(awk 'BEGIN { RS = "" } NR > 1 { printf "%s%c", $0, 0 }' "$HERE/reports.sql")
}
run_reports d l "$ROWS results"
run_reports ds ls "the example file"
# the counters, which have no local twin with the same rows
check_eq "batch_dashboard agrees with batch_report ($ROWS results)" "" \
	"$(q coord "SET search_path = d, public;" "SELECT batch_id, total, status_counts FROM batch_dashboard
EXCEPT SELECT batch_id, total, status_counts FROM batch_report")"
check_eq "batch_dashboard equals the local one" \
	"$(q coord "SET search_path = l, public;" "SELECT * FROM batch_dashboard ORDER BY 1")" \
	"$(q coord "SET search_path = d, public;" "SELECT * FROM batch_dashboard ORDER BY 1")"

# ---------------------------------------------------------------- plans
plan() { q coord "SET search_path = d, public;" "EXPLAIN (VERBOSE, COSTS OFF) $1"; }
# expect_plan DESCRIPTION SQL REGEX [REGEX...]: every extended regexp matches the plan
expect_plan() {
	local desc=$1 p re
	p=$(plan "$2")
	shift 2
	for re in "$@"; do
		if [[ "$re" == '!'* ]]; then
			if grep -qE -- "${re#!}" <<<"$p"; then bad "$desc: the plan matches ${re#!}: $p"; return 0; fi
		elif ! grep -qE -- "$re" <<<"$p"; then
			bad "$desc: the plan does not match $re: $p"
			return 0
		fi
	done
	ok "$desc"
}
# Partial aggregation: Citus 13 sends the states as text
# (worker_partial_agg, coord_combine_agg), Citus 14 in binary
# (worker_binary_partial_agg, coord_binary_combine_agg).
PARTIAL='worker_(binary_)?partial_agg' COMBINE='coord_(binary_)?combine_agg'
# The README's plans, as EXPLAIN prints them (but shard ids, socket
# directories, ports and OIDs).
for p in "whole|SELECT batch_id, comm_batch_summary(r) FROM results GROUP BY batch_id" \
	"partial|SELECT comm_status_counts(r) FROM results"; do
	check_eq "the README's plan of ${p#*|}" "$(readme_plan "${p%%|*}" | normalize_plan)" \
		"$(plan "${p#*|}" | normalize_plan)"
done
expect_plan "the per-batch report goes to the workers whole" \
	"SELECT batch_id, comm_batch_summary(r) FROM results GROUP BY batch_id" \
	'Query: SELECT batch_id, public.comm_batch_summary\(r\) AS comm_batch_summary FROM d.results_[0-9]+ results WHERE true GROUP BY batch_id' \
	"!$PARTIAL"
expect_plan "comm_batch_summary without GROUP BY: partial aggregates combined on the coordinator" \
	"SELECT comm_batch_summary(r) FROM results" "$PARTIAL" "$COMBINE"
expect_plan "comm_status_counts: partial" \
	"SELECT comm_status_counts(r) FROM results" "$PARTIAL" "$COMBINE"
expect_plan "comm_result_latest grouped by the key expressions: partial" \
	"SELECT batch_id(r), reference_id(r), comm_result_latest(r) FROM results GROUP BY 1, 2" \
	"$PARTIAL" "$COMBINE"
expect_plan "comm_result_latest grouped by the key columns: whole" \
	"SELECT batch_id, reference_id, comm_result_latest(r) FROM results GROUP BY 1, 2" \
	'comm_result_latest\(r\)' "!$PARTIAL"
expect_plan "grouped by batch_id(r), the expression: only partly pushed down" \
	"SELECT batch_id(r), comm_batch_summary(r) FROM results GROUP BY 1" "$PARTIAL" "$COMBINE"
expect_plan "comm_channel_status_counts and comm_line_type_counts grouped by batch_id: whole" \
	"SELECT batch_id, comm_channel_status_counts(r), comm_line_type_counts(r) FROM results GROUP BY batch_id" \
	'Query: SELECT batch_id, public.comm_channel_status_counts\(r\) AS comm_channel_status_counts, public.comm_line_type_counts\(r\)' \
	"!$PARTIAL"
expect_plan "... over the whole table: partial (comm_counts states combined on the coordinator)" \
	"SELECT comm_channel_status_counts(r), comm_line_type_counts(r) FROM results" \
	"$PARTIAL\\('public.comm_channel_status_counts\\(public.comm_result\\)'::regprocedure" \
	"$PARTIAL\\('public.comm_line_type_counts\\(public.comm_result\\)'::regprocedure" "$COMBINE"
expect_plan "... the README's dashboard (grouped by batch_id(r)): partial" \
	"SELECT batch_id(r) AS batch, (comm_batch_summary(r)).total, comm_channel_status_counts(r), comm_line_type_counts(r) FROM results GROUP BY 1" \
	"$PARTIAL" "$COMBINE"
expect_plan "comm_result_all_fields runs on the workers" \
	"SELECT f.line_type, count(*) FROM results t, LATERAL comm_result_all_fields(t.r) f GROUP BY 1" \
	'Query: SELECT .*public.comm_result_all_fields\(t.r\)'
# How often each shape of the README's report sends comm_batch_summary (or
# its partial form) to the workers.
count_agg() {
	local p
	p=$(plan "$1")
	{ grep -m1 'Query: ' <<<"$p" | grep -oE "comm_batch_summary\\((results\\.)?r\\)|$PARTIAL\\(" || true; } | wc -l
}
README_Q="SELECT batch_id(r) AS batch, (comm_batch_summary(r)).total, (comm_batch_summary(r)).attempts,
       (comm_batch_summary(r)).done, (comm_batch_summary(r)).status_counts FROM results GROUP BY 1"
REPEATED="SELECT batch_id AS batch, (comm_batch_summary(r)).total, (comm_batch_summary(r)).attempts,
       (comm_batch_summary(r)).done, (comm_batch_summary(r)).status_counts FROM results GROUP BY 1"
SUBQUERY="SELECT batch_id AS batch, (s).total, (s).attempts, (s).done, (s).status_counts
FROM (SELECT batch_id, comm_batch_summary(r) AS s FROM results GROUP BY batch_id) b"
n_readme=$(count_agg "$README_Q")
n_rep=$(count_agg "$REPEATED")
n_sub=$(count_agg "$SUBQUERY")
if [ "$n_readme" -gt 1 ] && [ "$n_rep" -gt 1 ] && [ "$n_sub" -eq 1 ]; then
	ok "the aggregate goes to the workers $n_readme times in the README's form (GROUP BY batch_id(r)), $n_rep times repeated with GROUP BY batch_id, once in the subquery form"
else
	bad "aggregates sent: README's form $n_readme, repeated by column $n_rep, subquery $n_sub"
fi
# EXPLAIN ANALYZE: Citus fails to read back a composite result over its
# binary protocol (any composite, comm_batch_summary or one of built-in
# types), and a partial aggregate's state as a cstring; the README's
# work-around for the first.
expect_error "EXPLAIN ANALYZE of a query that returns comm_batch_summary (a composite) fails in Citus" 22P02 coord \
	"SET search_path = d, public;" "EXPLAIN (ANALYZE) SELECT batch_id, comm_batch_summary(r) FROM results GROUP BY batch_id;"
expect_error "... and so does one that returns a composite of built-in types" 22P02 coord \
	"SET search_path = d, public;" "CREATE TYPE pair AS (a int, b timestamptz);" \
	"EXPLAIN (ANALYZE) SELECT batch_id, (count(*), min(created_at(r)))::pair FROM results GROUP BY batch_id;"
out=$(q coord "SET search_path = d, public;" "$(readme_block "explain analyze")" 2>&1) || true
if grep -q 'Task Count: ' <<<"$out" && grep -q 'actual' <<<"$out"; then
	ok "the README's EXPLAIN ANALYZE with citus.enable_binary_protocol off works"
else
	bad "the README's EXPLAIN ANALYZE with citus.enable_binary_protocol off: $(head -c 400 <<<"$out")"
fi
# A partially aggregated query: Citus 13 fails on it; Citus 14, which
# aggregates partially in binary (worker_binary_partial_agg), runs it.
if [[ "$CITUS_VERSION" == 13.* ]]; then
	expect_error "EXPLAIN ANALYZE of a partially aggregated query fails inside Citus $CITUS_VERSION" 42P16 coord \
		"EXPLAIN (ANALYZE) SELECT comm_status_counts(r) FROM d.results;"
	expect_error "... also with citus.enable_binary_protocol off" 42P16 coord \
		"SET citus.enable_binary_protocol = off;" "EXPLAIN (ANALYZE) SELECT comm_status_counts(r) FROM d.results;"
else
	for protocol in on off; do
		if out=$(q coord "SET citus.enable_binary_protocol = $protocol;" \
			"EXPLAIN (ANALYZE) SELECT comm_status_counts(r) FROM d.results;" 2>&1) &&
			grep -q 'Execution Time' <<<"$out"; then
			ok "EXPLAIN ANALYZE of a partially aggregated query works in Citus $CITUS_VERSION (binary protocol $protocol)"
		else
			bad "EXPLAIN ANALYZE of a partially aggregated query in Citus $CITUS_VERSION (binary protocol $protocol): $(head -c 400 <<<"$out")"
		fi
	done
fi
# median of 5 runs, in ms
time_ms() {
	local t0 ts=()
	for _ in 1 2 3 4 5; do
		t0=$(date +%s%N)
		q coord "SET search_path = d, public;" "$1" >/dev/null
		ts+=("$(ms_since "$t0")")
	done
	printf '%s\n' "${ts[@]}" | sort -n | sed -n 3p
}
info "per-batch report over $ROWS results, median of 5 runs (each with psql's start): README's form $(time_ms "$README_Q") ms, repeated with GROUP BY batch_id $(time_ms "$REPEATED") ms, subquery $(time_ms "$SUBQUERY") ms; the subquery on the local table $(time_ms "SET search_path = l, public; $SUBQUERY") ms"

# ---------------------------------------------------------------- settings of a worker
# Worker 2's TimeZone differs from the coordinator's: the answers above were
# the same.  What a worker computes from a timestamptz as text uses its own.
tz_query="SELECT batch_id, min(created_at(r)::text) FROM results GROUP BY 1 ORDER BY 1"
if [ "$(q coord "SET search_path = d, public;" "$tz_query")" != "$(q coord "SET search_path = l, public;" "$tz_query")" ]; then
	ok "timestamptz as text computed on worker 2 is in worker 2's TimeZone (differs from the coordinator's)"
else
	bad "timestamptz as text on a worker in another TimeZone gave the coordinator's answer"
fi
check_eq "... unless the session sets it with SET LOCAL and citus.propagate_set_commands = 'local'" \
	"$(q coord "SET search_path = l, public;" "$tz_query")" \
	"$(q coord "SET search_path = d, public;" "SET citus.propagate_set_commands = 'local';" \
		"BEGIN;" "SET LOCAL TimeZone = 'UTC';" "$tz_query;" "COMMIT;")"
# Another DateStyle on worker 2: a comm_batch_summary (a composite with
# timestamptz fields) comes back from it as text in that style.
B2=$(q coord "SELECT b FROM (SELECT 'w2.' || i AS b FROM generate_series(1, 200) i) x
WHERE (SELECT nodeport FROM citus_shards WHERE shardid = get_shard_id_for_distribution_column('ds.results', b)) = ${PORT[w2]}
LIMIT 1")
for s in ds ls; do
	q coord "SET search_path = $s, public;" "INSERT INTO $s.results (r, batch_id) VALUES ('{\"batch_id\":\"$B2\",\"reference_id\":\"1\",\"target\":\"5550100\",\"request_variables\":{},\"created_at\":\"2025-01-05T10:00:00Z\"}', '$B2');" >/dev/null
done
q w2 "ALTER SYSTEM SET DateStyle = 'SQL, DMY';" "SELECT pg_reload_conf();" >/dev/null
sleep 1
one="SELECT comm_batch_summary(r) FROM results WHERE batch_id = '$B2'"
a=$(q coord "SET search_path = ds, public;" "$one")
b=$(q coord "SET search_path = ls, public;" "$one")
if [ "$a" != "$b" ]; then
	ok "DateStyle 'SQL, DMY' on worker 2: 2025-01-05 comes back as another date, without an error: $a (local: $b)"
else
	bad "DateStyle 'SQL, DMY' on worker 2 gave the local answer $a"
fi
expect_error "... and a day after the 12th is an error" 22008 coord \
	"SELECT batch_id, comm_batch_summary(r) FROM ds.results GROUP BY batch_id;"
check_eq "... while partial aggregation (RFC 3339 states) is immune" \
	"$(q coord "SET search_path = ls, public;" "SELECT comm_batch_summary(r), comm_status_counts(r) FROM results")" \
	"$(q coord "SET search_path = ds, public;" "SELECT comm_batch_summary(r), comm_status_counts(r) FROM results")"
check_eq "... and so are plain timestamptz results (binary protocol)" \
	"$(q coord "SET search_path = ls, public;" "SELECT batch_id, min(created_at(r)), max(sent_at(r)) FROM results GROUP BY 1 ORDER BY 1")" \
	"$(q coord "SET search_path = ds, public;" "SELECT batch_id, min(created_at(r)), max(sent_at(r)) FROM results GROUP BY 1 ORDER BY 1")"
q w2 "ALTER SYSTEM RESET DateStyle;" "SELECT pg_reload_conf();" >/dev/null
sleep 1
for s in ds ls; do q coord "SET search_path = $s, public;" "DELETE FROM $s.results WHERE batch_id = '$B2';" >/dev/null; done
check_eq "with worker 2's DateStyle back to ISO, the composite is right again" \
	"$(q coord "SET search_path = ls, public;" "SELECT batch_id, comm_batch_summary(r) FROM results GROUP BY 1 ORDER BY 1")" \
	"$(q coord "SET search_path = ds, public;" "SELECT batch_id, comm_batch_summary(r) FROM results GROUP BY 1 ORDER BY 1")"

# ---------------------------------------------------------------- the guard
check_eq "a new session has citus.enable_unsafe_triggers off" off "$(q coord "SHOW citus.enable_unsafe_triggers")"
key=$(q coord "SELECT format('batch_id = %L AND reference_id = %L', batch_id, reference_id) FROM d.results
WHERE request_status(r) = 'COMPLETED' ORDER BY batch_id, reference_id LIMIT 1")
before=$(checksum d)
expect_error "the guard rejects an illegal move in a single-shard update" 23514 coord \
	"UPDATE d.results SET r = (r::jsonb || '{\"request_status\":\"PENDING\"}')::comm_result WHERE $key;"
expect_error "the guard rejects an illegal move in a multi-shard update" 23514 coord \
	"UPDATE d.results SET r = (r::jsonb || '{\"request_status\":\"PENDING\"}')::comm_result WHERE request_status(r) = 'COMPLETED';"
expect_error "comm_result_transition rejects an illegal move in a multi-shard update" 22023 coord \
	"UPDATE d.results SET r = comm_result_transition(r, 'FAILED', '2025-02-01 00:00:00+00') WHERE request_status(r) = 'COMPLETED';"
check_eq "... and the rejected multi-shard updates changed nothing on any shard" "$before" "$(checksum d)"
for s in d l; do
	q coord "SET search_path = $s, public;" "UPDATE $s.results SET r = comm_result_transition(r, 'INITIATED', '2025-02-01 00:00:00+00')
WHERE coalesce(request_status(r), 'PENDING') = 'PENDING';" >/dev/null
done
LOCAL_SUM=$(checksum l)
check_eq "legal moves in a multi-shard update: the same values as on one node" "$LOCAL_SUM" "$(checksum d)"
check_eq "... and the counters followed (batch_dashboard = local batch_dashboard)" \
	"$(q coord "SET search_path = l, public;" "SELECT * FROM batch_dashboard ORDER BY 1")" \
	"$(q coord "SET search_path = d, public;" "SELECT * FROM batch_dashboard ORDER BY 1")"

# ---------------------------------------------------------------- shard moves
node_start w3
sed '/^-- on the coordinator:/,$d' <<<"$setup" | q w3 >/dev/null
q coord "SELECT citus_add_node('$DIR', ${PORT[w3]});" >/dev/null
check_eq "a third worker gets comm_result when it joins" "$v" \
	"$(q w3 "SELECT extversion FROM pg_extension WHERE extname = 'comm_result'")"
shard=$(q coord "SELECT shardid FROM citus_shards WHERE table_name = 'd.results'::regclass AND nodeport = ${PORT[w1]} ORDER BY shardid LIMIT 1")
move="SELECT citus_move_shard_placement($shard, '$DIR', ${PORT[w1]}, '$DIR', ${PORT[w3]}, shard_transfer_mode => 'block_writes');"
# set_local_hostname VALUE|DEFAULT: on every node, seen by new sessions
set_local_hostname() {
	local n i want
	for n in coord w1 w2 w3; do
		if [ "$1" = DEFAULT ]; then
			q "$n" "ALTER SYSTEM RESET citus.local_hostname;" "SELECT pg_reload_conf();" >/dev/null
			want=$DIR
		else
			q "$n" "ALTER SYSTEM SET citus.local_hostname = '$1';" "SELECT pg_reload_conf();" >/dev/null
			want=$1
		fi
		# the postmaster rereads its configuration on its own time
		for i in $(seq 50); do
			[ "$(q "$n" "SHOW citus.local_hostname")" != "$want" ] || break
			sleep 0.2
		done
	done
}
# Without citus.local_hostname (its default is localhost), nodes that
# listen only on a Unix socket cannot move a shard.
set_local_hostname localhost
expect_error "without citus.local_hostname, citus_move_shard_placement fails" 08006 coord "$move"
expect_error "... and rebalance_table_shards too" 08006 coord \
	"SELECT rebalance_table_shards(shard_transfer_mode => 'block_writes');"
set_local_hostname DEFAULT
t0=$(date +%s%N)
q coord "$move" >/dev/null
move_ms=$(ms_since "$t0")
check_eq "after moving shard $shard to worker 3, every value is byte-identical" "$LOCAL_SUM" "$(checksum d)"
t0=$(date +%s%N)
q coord "SELECT rebalance_table_shards(shard_transfer_mode => 'block_writes');" >/dev/null
rebalance_ms=$((($(date +%s%N) - t0) / 1000000))
per_worker=$(q coord "SELECT string_agg(n::text, ' ' ORDER BY nodeport) FROM (SELECT nodeport, count(*) n FROM citus_shards WHERE table_name = 'd.results'::regclass GROUP BY 1) x")
check_eq "after the rebalance, the $SHARDS shards of d.results are spread evenly over the three workers" \
	"$((SHARDS / 3)) $((SHARDS / 3 + (SHARDS % 3 > 0))) $((SHARDS / 3 + (SHARDS % 3 > 1)))" \
	"$(tr ' ' '\n' <<<"$per_worker" | sort -n | paste -sd ' ')"
check_eq "... and every value is byte-identical" "$LOCAL_SUM" "$(checksum d)"
check_eq "... in both storage formats" "$(local_formats l.results)" "$(formats d.results)"
check_eq "... also the example table" "$(checksum ls)" "$(checksum ds)"
info "moved one shard in $move_ms ms; rebalanced onto the third worker in $rebalance_ms ms (block_writes): shards per worker $per_worker"
w3_shards=$(q coord "SELECT string_agg(shardid::text, ',') FROM citus_shards WHERE table_name = 'd.results'::regclass AND nodeport = ${PORT[w3]}")
key3=$(q coord "SELECT format('batch_id = %L AND reference_id = %L', batch_id, reference_id) FROM d.results
WHERE request_status(r) = 'COMPLETED' AND get_shard_id_for_distribution_column('d.results', batch_id) IN ($w3_shards)
ORDER BY batch_id, reference_id LIMIT 1")
expect_error "the guard still fires on a shard moved to worker 3" 23514 coord \
	"UPDATE d.results SET r = (r::jsonb || '{\"request_status\":\"PENDING\"}')::comm_result WHERE $key3;"
for s in d l; do
	q coord "SET search_path = $s, public;" "UPDATE $s.results SET r = comm_result_transition(r, 'COMPLETED', '2025-02-02 00:00:00+00')
WHERE request_status(r) = 'INITIATED' AND sent_at(r) = '2025-02-01 00:00:00+00';" >/dev/null
done
LOCAL_SUM=$(checksum l)
check_eq "moves after the rebalance: the same values as on one node" "$LOCAL_SUM" "$(checksum d)"
check_eq "... and the counters on the moved shards followed" \
	"$(q coord "SET search_path = l, public;" "SELECT * FROM batch_dashboard ORDER BY 1")" \
	"$(q coord "SET search_path = d, public;" "SELECT * FROM batch_dashboard ORDER BY 1")"
run_reports d l "after the rebalance" comm_result_latest

# Binary COPY out of the distributed table and into another one.
q coord <<SQL >/dev/null
CREATE SCHEMA c;
CREATE TABLE c.results (LIKE d.results INCLUDING ALL);
SELECT create_distributed_table('c.results', 'batch_id', colocate_with => 'd.results');
\\copy d.results (r, batch_id) TO '$DIR/results.bin' WITH (FORMAT binary)
\\copy c.results (r, batch_id) FROM '$DIR/results.bin' WITH (FORMAT binary)
SQL
check_eq "binary COPY out of the distributed table and into another keeps every value" "$LOCAL_SUM" "$(checksum c)"
q coord 'DROP SCHEMA c CASCADE;' >/dev/null

# ---------------------------------------------------------------- bad nodes
# A copy of this PostgreSQL installation (it finds its share and lib
# directories relative to its binaries) without comm_result's files, and one
# with release 1.0's control file and script only.
make_install() { # NAME
	local inst=$DIR/inst-$1 d
	for d in "$(dirname "$("$PG_CONFIG" --bindir)")" "$SHAREDIR"; do
		mkdir -p "$inst$(dirname "$d")"
		cp -a "$INST$d" "$inst$d"
	done
	rm -f "$inst$LIBDIR/comm_result.so" "$inst$SHAREDIR"/extension/comm_result*
	rm -rf "$inst$LIBDIR/bitcode/comm_result" "$inst$LIBDIR/bitcode/comm_result.index.bc"
	BINDIR[$1]=$inst$("$PG_CONFIG" --bindir)
}
# add_fails DESCRIPTION NODE REGEX: citus_add_node fails (XX000) after
# passing on the worker's error, which must match REGEX, as a WARNING
add_fails() {
	local out
	if out=$(q coord "SET client_min_messages = warning;" "SELECT citus_add_node('$DIR', ${PORT[$2]});" 2>&1); then
		bad "$1: succeeded"
	elif grep -qE "ERROR:  XX000: " <<<"$out" && grep -qE "WARNING:  [0-9A-Z]{5}: $3" <<<"$out"; then
		ok "$1: $(grep -m1 -oE 'WARNING:  [0-9A-Z]{5}: .*' <<<"$out") / $(grep -m1 -oE 'ERROR:  .*' <<<"$out")"
	else
		bad "$1: $(head -c 600 <<<"$out")"
	fi
}
make_install nofiles
node_start nofiles
q nofiles 'CREATE EXTENSION citus;' >/dev/null
check_eq "the copy without comm_result's files has none" 0 \
	"$(q nofiles "SELECT count(*) FROM pg_available_extensions WHERE name = 'comm_result'")"
add_fails "adding a worker without comm_result's files fails" nofiles 'extension "comm_result" is not available' 
check_eq "... and leaves it out of the cluster" 0 \
	"$(q coord "SELECT count(*) FROM pg_dist_node WHERE nodeport = ${PORT[nofiles]}")"
node_stop nofiles
make_install old
inst=$DIR/inst-old
cp "$CR_ROOT/comm_result.control" "$CR_ROOT/sql/comm_result--1.0.sql" "$inst$SHAREDIR/extension/"
sed -i "s/^default_version = .*/default_version = '1.0'/" "$inst$SHAREDIR/extension/comm_result.control"
cp "$INST$LIBDIR/comm_result.so" "$inst$LIBDIR/"
node_start old
q old 'CREATE EXTENSION citus;' >/dev/null
check_eq "the copy with release 1.0 offers version 1.0 only" "1.0" \
	"$(q old "SELECT string_agg(version, ',') FROM pg_available_extension_versions WHERE name = 'comm_result'")"
newest=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$CR_ROOT/comm_result.control")
add_fails "adding a worker that has only version 1.0 fails" old "extension \"comm_result\" has no installation script nor update path for version \"$newest\""
check_eq "... and leaves it out of the cluster" 0 \
	"$(q coord "SELECT count(*) FROM pg_dist_node WHERE nodeport = ${PORT[old]}")"
# The same worker with version 1.0 already created in its database.
q old 'CREATE EXTENSION comm_result;' >/dev/null
# Citus 13 accepted such a worker silently with comm_result 1.2 (the
# worker stayed at 1.0); with 1.3 it refuses it.  Either way the suite
# says which, with what the worker said.
if out=$(q coord "SET client_min_messages = warning;" "SELECT citus_add_node('$DIR', ${PORT[old]});" 2>&1); then
	bad "a worker with comm_result 1.0 already created is accepted; run_command_on_workers shows $(q coord "SELECT string_agg(DISTINCT result, ' ' ORDER BY result) FROM run_command_on_workers(\$\$SELECT extversion FROM pg_extension WHERE extname = 'comm_result'\$\$)")"
	q coord "SELECT citus_remove_node('$DIR', ${PORT[old]});" >/dev/null
elif grep -qE "ERROR:  XX000: " <<<"$out"; then
	ok "a worker with comm_result 1.0 already created is refused: $(grep -oE '(WARNING|ERROR):  [0-9A-Z]{5}: .*' <<<"$out" | head -n 3 | paste -sd '/')"
else
	bad "adding a worker with comm_result 1.0 already created: $(head -c 600 <<<"$out")"
fi
check_eq "... and it is not in the cluster now" 0 \
	"$(q coord "SELECT count(*) FROM pg_dist_node WHERE nodeport = ${PORT[old]}")"
node_stop old

# ---------------------------------------------------------------- loads that fail
# Schema f: the README's table, and three responses (the same records:
# today's carry no batch_id) for batches on worker 1, 2 and 3.  A load
# fails as a whole, in one distributed transaction: after each failure, f
# holds nothing.
q coord "CREATE SCHEMA f;" "SET search_path = f, public;" "$schema" "$responses_ddl" >/dev/null
# batch_on PREFIX NODE: a batch id whose shard is on that node
batch_on() {
	q coord "SELECT b FROM (SELECT i, '$1' || i AS b FROM generate_series(1, 1000) i) x
WHERE (SELECT n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid)
       WHERE p.shardid = get_shard_id_for_distribution_column('d.results', x.b)) = ${PORT[$2]}
ORDER BY i LIMIT 1"
}
q coord <<SQL >/dev/null
CREATE UNLOGGED TABLE later_lines (n bigserial, line text);
\\copy later_lines (line) FROM '$DIR/later.txt' WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x03')
INSERT INTO f.responses
SELECT unnest(ARRAY['$(batch_on late. w1)', '$(batch_on late. w2)', '$(batch_on late. w3)']),
       (SELECT substr(line, strpos(line, e'\\x02') + 1) FROM later_lines ORDER BY n LIMIT 1);
SQL
late=$(q coord "SELECT count(*) FROM f.responses, comm_results(body, batch_id)")
nothing_loaded() { # DESCRIPTION
	check_eq "$1" "0 0" "$(q coord "SELECT count(*) FROM f.results;" "SELECT count(*) FROM f.results_rejects;" | paste -sd ' ')"
}
# ... and the checked load's rejects table, distributed as the README says
q coord "SET search_path = f, public;" "\\i $CR_ROOT/examples/load_checked_citus.sql" >/dev/null

node_stop w1 immediate
expect_error "a load with worker 1 down fails" 08006 coord "SET search_path = f, public;" "$load_today"
node_start w1
nothing_loaded "... and loads nothing on the workers that are up"

# Worker 1 stops in the middle of a load that takes some seconds.
slow_load="SET search_path = f, public;
INSERT INTO results (r, batch_id) SELECT r, batch_id(r) FROM responses, comm_results(body, batch_id) r
WHERE pg_sleep(0.005) IS NOT NULL
ON CONFLICT (batch_id, reference_id) DO UPDATE SET r = comm_result_merge(results.r, excluded.r);"
q coord "$slow_load" >"$DIR/slow_load.out" 2>&1 &
slow_pid=$!
sleep 1.5
node_stop w1 immediate
if wait "$slow_pid"; then
	bad "a load with worker 1 stopped in the middle succeeded: $(head -c 300 "$DIR/slow_load.out")"
else
	ok "a load with worker 1 stopped in the middle fails: $(grep -m1 -oE 'ERROR: .*' "$DIR/slow_load.out")"
fi
node_start w1
nothing_loaded "... and loads nothing on the workers that stayed up"

# Worker 3 restarted on an installation without comm_result's files (as
# after its package was removed), then on one with release 1.1's library.
make_install bare
node_restart w3 "${BINDIR[bare]}"
expect_error "a load with worker 3 missing comm_result's library fails" 58P01 coord "SET search_path = f, public;" "$load_today"
node_restart w3 "$PGB"
nothing_loaded "... and loads nothing on the other workers"
old11=$DIR/comm_result-1.1
mkdir -p "$old11"
if git -C "$CR_ROOT" archive 9d5ef02 2>/dev/null | tar -C "$old11" -xf - 2>/dev/null && [ -f "$old11/comm_result.control" ]; then
	from11="git archive 9d5ef02"
elif [ -f "$CR_ROOT/test/upgrade/comm_result-1.1.tar" ]; then
	tar -C "$old11" -xf "$CR_ROOT/test/upgrade/comm_result-1.1.tar"
	from11=test/upgrade/comm_result-1.1.tar
fi
if [ -n "${from11:-}" ] && make -C "$old11" -s -j"$(nproc)" PG_CONFIG="$PG_CONFIG" with_llvm=no >"$DIR/build-1.1.log" 2>&1; then
	make_install v11
	make -C "$old11" -s PG_CONFIG="$PG_CONFIG" with_llvm=no DESTDIR="$DIR/inst-v11" install >>"$DIR/build-1.1.log" 2>&1
	node_restart w3 "${BINDIR[v11]}"
	out=$(q coord "SET search_path = f, public;" "$load_today" 2>&1) && rc=0 || rc=$?
	if [ "$rc" -ne 0 ] && grep -qE 'ERROR:  [0-9A-Z]{5}: ' <<<"$out"; then
		ok "a load of today's records with worker 3 on comm_result 1.1's library ($from11) fails: $(grep -m1 -oE 'ERROR:  [0-9A-Z]{5}: .*' <<<"$out")$(grep -m1 -oE '^DETAIL:  .*' <<<"$out" | sed 's/^/ /' || true)"
	else
		bad "a load with worker 3 on comm_result 1.1's library: $(head -c 400 <<<"$out")"
	fi
	node_restart w3 "$PGB"
	nothing_loaded "... and loads nothing on the other workers"
else
	bad "could not build comm_result 1.1 (${from11:-no sources: no commit 9d5ef02, no test/upgrade/comm_result-1.1.tar}): $(tail -n 5 "$DIR/build-1.1.log" 2>/dev/null)"
fi

# The checked load with worker 1 down: with the rejects co-located, a
# batch on worker 2 still loads, a batch on worker 1 does not; with the
# rejects in a reference table, written on every node, no load that
# rejects something does.
q coord "CREATE SCHEMA rr;" "SET search_path = rr, public;" "$schema" >/dev/null
sed "s/^SELECT create_distributed_table('results_rejects', 'batch_id', colocate_with => 'results')\$/SELECT create_reference_table('results_rejects')/" \
	"$CR_ROOT/examples/load_checked_citus.sql" >"$DIR/load_checked_reference.sql"
check_eq "the reference-table variant of examples/load_checked_citus.sql" 1 \
	"$(grep -c "^SELECT create_reference_table('results_rejects')" "$DIR/load_checked_reference.sql")"
q coord "SET search_path = rr, public;" "\\i $DIR/load_checked_reference.sql" >/dev/null
check_eq "... makes a reference table" t \
	"$(q coord "SELECT count(*) = 1 FROM pg_dist_partition WHERE logicalrelid = 'rr.results_rejects'::regclass AND partmethod = 'n'")"
body='[{"reference_id":"1","target":"+15125550001","request_variables":{}}, 5]'
b1=$(batch_on chk. w1)
b2=$(batch_on chk. w2)
node_stop w1 immediate
expect_error "a checked load of a batch on worker 1, while it is down, fails" 08006 coord "SET search_path = f, public;" \
	"\\i $CR_ROOT/examples/load_checked_citus.sql" "EXECUTE load_response('$body', '$b1');"
check_eq "... while one of a batch on worker 2 loads, its reject kept on worker 2" "1|1|1|1" \
	"$(q coord "SET search_path = f, public;" "\\i $CR_ROOT/examples/load_checked_citus.sql" "EXECUTE load_response('$body', '$b2');" | tail -n 1)"
expect_error "with the rejects in a reference table, the checked load of a batch on worker 2 fails too" 08006 coord \
	"SET search_path = rr, public;" "\\i $DIR/load_checked_reference.sql" "EXECUTE load_response('$body', '$b2');"
node_start w1
check_eq "... and nothing of the failed checked loads was written" "0 0 1 1" \
	"$(q coord "SELECT count(*) FROM rr.results;" "SELECT count(*) FROM rr.results_rejects;" \
		"SELECT count(*) FROM f.results;" "SELECT count(*) FROM f.results_rejects;" | paste -sd ' ')"
q coord "TRUNCATE f.results, f.results_rejects;" >/dev/null
q coord "SET search_path = f, public;" "$load_today" >/dev/null
check_eq "with every worker up, the same load loads every record" "$late" "$(q coord "SELECT count(*) FROM f.results")"

# A worker stops in the middle of a report: the report fails with an error,
# the coordinator stays up, and the same report is right once it is back.
slow="SELECT batch_id, comm_batch_summary(r) FROM d.results WHERE pg_sleep(0.00003) IS NOT NULL GROUP BY batch_id"
q coord "$slow" >"$DIR/slow.out" 2>&1 &
slow_pid=$!
sleep 1.5
node_stop w1 immediate
if wait "$slow_pid"; then
	bad "a report with worker 1 stopped in the middle succeeded: $(head -c 300 "$DIR/slow.out")"
else
	ok "a report with worker 1 stopped in the middle fails: $(grep -m1 -oE 'ERROR: .*' "$DIR/slow.out")"
fi
expect_error "a report while worker 1 is down fails" 08006 coord "SELECT batch_id, comm_batch_summary(r) FROM d.results GROUP BY batch_id;"
check_eq "... while a report on a batch of another worker still works" \
	"$(q coord "SET search_path = l, public;" "SELECT comm_batch_summary(r) FROM results WHERE batch_id = '$(cut -d"'" -f2 <<<"$key3")'")" \
	"$(q coord "SET search_path = d, public;" "SELECT comm_batch_summary(r) FROM results WHERE batch_id = '$(cut -d"'" -f2 <<<"$key3")'")"
node_start w1
check_eq "with worker 1 back, the report is right" \
	"$(q coord "SET search_path = l, public;" "SELECT batch_id, comm_batch_summary(r) FROM results GROUP BY 1 ORDER BY 1")" \
	"$(q coord "SET search_path = d, public;" "SELECT batch_id, comm_batch_summary(r) FROM results GROUP BY 1 ORDER BY 1")"
check_eq "... and every value is byte-identical" "$LOCAL_SUM" "$(checksum d)"
no_crash coord w1 w2 w3
info "PostgreSQL $SERVER_VERSION, Citus $CITUS_VERSION ($CITUS_NOTE), comm_result $v; suite time $(($(date +%s) - STARTED)) s"
finish
