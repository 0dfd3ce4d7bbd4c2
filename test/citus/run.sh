#!/usr/bin/env bash
# comm_result on Citus: a coordinator and two workers (a third joins for the
# rebalance), each a throwaway cluster listening only on a Unix socket in one
# temporary directory, all stopped and removed on exit.
#
#   * the recommended distributed schema (README, "Scaling out"), and the two
#     schemas Citus refuses (a generated distribution column, a batch_id
#     filled by a BEFORE INSERT trigger);
#   * examples/results.jsonl and 200,000 results from bench/gen.py, loaded
#     into the distributed table and into a local copy on the coordinator;
#   * every report query of test/citus/reports.sql (the README's and
#     examples/reporting.sql's) run on both, outputs compared;
#   * EXPLAIN (VERBOSE): the per-batch report goes to the workers whole, the
#     others as partial aggregates; how often each shape sends an aggregate;
#   * the merge upsert re-ingesting shuffled snapshots converges to the local
#     copy, value for value; the guard rejects illegal moves (23514) in
#     single-shard and multi-shard updates;
#   * a shard move and a rebalance onto a third worker keep every value
#     byte-identical (comm_result_send checksums);
#   * worker 2 runs with another DateStyle and TimeZone;
#   * a worker without the extension's files, a worker with version 1.0
#     only, a worker down during a report.
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
	cr_require build python3 gssapi openssl lz4 zstd
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
# through it (a node name that starts with "/" is a socket directory).
DIR=$(mktemp -d /tmp/comm_result_citus.XXXXXX)
chmod 755 "$DIR"
[ "$(id -u)" -ne 0 ] || chown postgres: "$DIR"
declare -A PORT=([coord]=54340 [w1]=54341 [w2]=54342 [w3]=54343 [nofiles]=54344 [old]=54345)
declare -A BINDIR=()

stop_all() {
	local d
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

# node_start NAME [setting=value ...]: initdb the first time, then start.
node_start() {
	local n=$1 bin=${BINDIR[$1]:-$PGB} s
	shift
	if [ ! -d "$DIR/$n" ]; then
		cr_as_pg "$bin/initdb" -D "$DIR/$n" -U "$PGU" --auth=trust --encoding=UTF8 \
			--locale=C.UTF-8 >"$DIR/$n.initdb.log" 2>&1 || {
			cat "$DIR/$n.initdb.log" >&2
			return 1
		}
		{
			echo "listen_addresses = ''"
			echo "unix_socket_directories = '$DIR'"
			echo "port = ${PORT[$n]}"
			echo "shared_preload_libraries = 'citus'"
			echo "citus.local_hostname = '$DIR'"
			# throwaway data: no durability needed
			echo "fsync = off"
			echo "synchronous_commit = off"
			echo "full_page_writes = off"
			for s in "$@"; do echo "$s"; done
		} | cr_as_pg tee -a "$DIR/$n/postgresql.conf" >/dev/null
	fi
	cr_as_pg "$bin/pg_ctl" -D "$DIR/$n" -w -t 120 -l "$DIR/$n.log" start >/dev/null || {
		cat "$DIR/$n.log" >&2
		return 1
	}
}
node_stop() { # NAME [fast|immediate]
	cr_as_pg "${BINDIR[$1]:-$PGB}/pg_ctl" -D "$DIR/$1" -m "${2:-fast}" -w -t 60 stop >/dev/null
}

# q NODE [SQL ...]: run SQL (the arguments, or stdin) on a node's "postgres"
# database, unaligned, tuples only, stopping at the first error.
q() {
	local n=$1
	shift
	if [ $# -gt 0 ]; then printf '%s\n' "$@"; else cat; fi |
		"$PGB/psql" -X -q -At -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -h "$DIR" -p "${PORT[$n]}" \
			-U "$PGU" -d postgres -f -
}
export PGOPTIONS='-c client_min_messages=error'
info() { printf 'info %s\n' "$*"; }

# expect_error DESCRIPTION SQLSTATE NODE SQL...: the SQL must fail with that
# SQLSTATE; the message is printed, as what an operator sees.
expect_error() {
	local desc=$1 state=$2 node=$3 out line
	shift 3
	if out=$(q "$node" "$@" 2>&1); then
		bad "$desc: succeeded, expected SQLSTATE $state"
		return
	fi
	line=$(grep -m1 -oE 'ERROR:  [0-9A-Z]{5}: .*' <<<"$out" || true)
	if [[ "$line" == "ERROR:  $state: "* ]]; then
		ok "$desc: $line$(grep -m1 -oE '^DETAIL:  .*' <<<"$out" | sed 's/^/ /' || true)"
	else
		bad "$desc: expected SQLSTATE $state, got: $(head -c 600 <<<"$out")"
	fi
}

# no_crash NODE...: the server logs show no crash
no_crash() {
	local n
	for n in "$@"; do
		if grep -E 'PANIC|TRAP:|terminated by signal' "$DIR/$n.log" >/dev/null; then
			bad "the server log of $n shows a crash: $(grep -m3 -E 'PANIC|TRAP:|terminated by signal' "$DIR/$n.log")"
		else
			ok "no crash in the server log of $n"
		fi
	done
}

cr_log "starting a Citus coordinator and two workers in $DIR"
node_start coord
node_start w1
# worker 2 lives in another time zone (and later formats dates differently)
node_start w2 "TimeZone = 'Asia/Kathmandu'"
for n in coord w1 w2; do q "$n" 'CREATE EXTENSION citus;' >/dev/null; done
CITUS_VERSION=$(q coord "SELECT extversion FROM pg_extension WHERE extname = 'citus'")
SERVER_VERSION=$(q coord "SHOW server_version")
q coord "SELECT citus_set_coordinator_host('$DIR', ${PORT[coord]});" \
	"SELECT citus_add_node('$DIR', ${PORT[w1]});" \
	"SELECT citus_add_node('$DIR', ${PORT[w2]});" >/dev/null
# Created on the coordinator only: Citus creates it on every worker.
q coord 'CREATE EXTENSION comm_result;' >/dev/null
v=$(q coord "SELECT extversion FROM pg_extension WHERE extname = 'comm_result'")
check_eq "CREATE EXTENSION comm_result on the coordinator reaches worker 1" "$v" \
	"$(q w1 "SELECT extversion FROM pg_extension WHERE extname = 'comm_result'")"
check_eq "... and worker 2" "$v" "$(q w2 "SELECT extversion FROM pg_extension WHERE extname = 'comm_result'")"

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
# only the example file's four batches, so that most shards are empty.
q coord <<'SQL' >/dev/null
SET citus.shard_count = 12;
DO $$
DECLARE s text;
BEGIN
    FOREACH s IN ARRAY ARRAY['d', 'l', 'ds', 'ls'] LOOP
        EXECUTE format($t$
            CREATE SCHEMA %1$I;
            CREATE TABLE %1$I.results (
                r comm_result NOT NULL,
                batch_id text NOT NULL CHECK (batch_id = batch_id(r)),
                reference_id text GENERATED ALWAYS AS (reference_id(r)) STORED,
                PRIMARY KEY (batch_id, reference_id)
            )$t$, s);
    END LOOP;
END $$;
SELECT create_distributed_table('d.results', 'batch_id');
SELECT create_distributed_table('ds.results', 'batch_id', colocate_with => 'd.results');
-- The guard: the setting only for the statement that creates the trigger.
BEGIN;
SET LOCAL citus.enable_unsafe_triggers = on;
CREATE TRIGGER results_guard BEFORE UPDATE ON d.results
    FOR EACH ROW EXECUTE FUNCTION comm_result_guard();
CREATE TRIGGER results_guard BEFORE UPDATE ON ds.results
    FOR EACH ROW EXECUTE FUNCTION comm_result_guard();
COMMIT;
CREATE TRIGGER results_guard BEFORE UPDATE ON l.results
    FOR EACH ROW EXECUTE FUNCTION comm_result_guard();
CREATE TRIGGER results_guard BEFORE UPDATE ON ls.results
    FOR EACH ROW EXECUTE FUNCTION comm_result_guard();
SQL
check_eq "the guard trigger is on every shard of d.results" "12" \
	"$(q coord "SELECT sum(result::int) FROM run_command_on_shards('d.results', \$\$SELECT count(*) FROM pg_trigger WHERE tgrelid = '%s'::regclass AND tgname LIKE 'results_guard%%'\$\$)")"

# ---------------------------------------------------------------- data
cr_log "generating 200,000 results"
python3 "$CR_ROOT/bench/gen.py" --seed 12 --rows 200000 --as snapshot "$DIR/gen.jsonl"
chmod 644 "$DIR/gen.jsonl"
# The example file, through the README's load (invalid lines stay in
# staging), into both small tables with the README's merge upsert from
# comm_results() of one JSON array.
q coord <<SQL >/dev/null
CREATE UNLOGGED TABLE staging (n bigserial, line text);
\\copy staging (line) FROM '$CR_ROOT/examples/results.jsonl' WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')
SQL
for s in ds ls d l; do
	q coord <<SQL >/dev/null
SET search_path = $s, public;
SELECT jsonb_agg(line::jsonb ORDER BY n) AS api_response FROM staging WHERE comm_result_is_valid(line) \\gset
INSERT INTO results (r, batch_id) SELECT r, batch_id(r) FROM comm_results(:'api_response') r
ON CONFLICT (batch_id, reference_id) DO UPDATE SET r = comm_result_merge(results.r, excluded.r);
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
load_ms=$((($(date +%s%N) - t0) / 1000000))
upsert() { # schema chunk salt column
	q coord "INSERT INTO $1.results AS t (r, batch_id)
SELECT $4, batch_id($4) FROM snaps WHERE n % 4 = $2 ORDER BY md5(n::text || '$3')
ON CONFLICT (batch_id, reference_id) DO UPDATE SET r = comm_result_merge(t.r, excluded.r);" >/dev/null
}
t0=$(date +%s%N)
for k in 2 0 3 1; do upsert d "$k" a snap; done
upsert_ms=$((($(date +%s%N) - t0) / 1000000))
for k in 0 1 2 3; do upsert l "$k" b snap; done
for k in 1 3 0 2; do upsert d "$k" c pend; done
for k in 3 2 1 0; do upsert d "$k" d snap; done
for k in 1 2; do upsert l "$k" e pend; done
info "loaded 200,000 pending results into d.results in $load_ms ms (with l.results); merge-upserted 200,000 snapshots in $upsert_ms ms"

# checksum SCHEMA: rows, and sums of hashes of the binary and text forms
checksum() {
	q coord "SELECT count(*) || ' ' || sum(('x' || left(md5(comm_result_send(r)::text), 15))::bit(60)::bigint)
       || ' ' || sum(('x' || left(md5(r::text || batch_id || reference_id), 15))::bit(60)::bigint)
FROM $1.results"
}
LOCAL_SUM=$(checksum l)
check_eq "after shuffled re-ingests the distributed table holds the local table's values, byte for byte" \
	"$LOCAL_SUM" "$(checksum d)"
check_eq "the small tables agree" "$(checksum ls)" "$(checksum ds)"

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
expect_error "... and with citus.enable_unsafe_triggers, an insert fails on the worker" 42P01 coord \
	"INSERT INTO ds.results (r, batch_id) VALUES ('{\"batch_id\":\"x\",\"reference_id\":\"1\",\"target\":\"5550100\",\"request_variables\":{}}', 'x');"
q coord "SET search_path = ds, public;" "DROP TABLE batch_status_counts CASCADE;" \
	"DROP FUNCTION batch_status_counts_apply() CASCADE;" >/dev/null
# The Citus variant: the same objects, the counters in a table co-located
# with results, kept by the same statement triggers running on the shards.
for s in d ds; do
	q coord "SET search_path = $s, public;" "\\i $CR_ROOT/examples/reporting_citus.sql" >/dev/null
done

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
run_reports d l "200,000 results"
run_reports ds ls "the example file"
# the counters, which have no local twin with the same rows
check_eq "batch_dashboard agrees with batch_report (200,000 results)" "" \
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
			if grep -qE -- "${re#!}" <<<"$p"; then bad "$desc: the plan matches ${re#!}: $p"; return; fi
		elif ! grep -qE -- "$re" <<<"$p"; then
			bad "$desc: the plan does not match $re: $p"
			return
		fi
	done
	ok "$desc"
}
expect_plan "the per-batch report goes to the workers whole" \
	"SELECT batch_id, comm_batch_summary(r) FROM results GROUP BY batch_id" \
	'Query: SELECT batch_id, public.comm_batch_summary\(r\) AS comm_batch_summary FROM d.results_[0-9]+ results WHERE true GROUP BY batch_id' \
	'!worker_partial_agg'
expect_plan "comm_batch_summary without GROUP BY: partial aggregates combined on the coordinator" \
	"SELECT comm_batch_summary(r) FROM results" 'worker_partial_agg' 'coord_combine_agg'
expect_plan "comm_status_counts: partial" \
	"SELECT comm_status_counts(r) FROM results" 'worker_partial_agg' 'coord_combine_agg'
expect_plan "comm_result_latest grouped by the key expressions: partial" \
	"SELECT batch_id(r), reference_id(r), comm_result_latest(r) FROM results GROUP BY 1, 2" \
	'worker_partial_agg' 'coord_combine_agg'
expect_plan "comm_result_latest grouped by the key columns: whole" \
	"SELECT batch_id, reference_id, comm_result_latest(r) FROM results GROUP BY 1, 2" \
	'comm_result_latest\(r\)' '!worker_partial_agg'
expect_plan "grouped by batch_id(r), the expression: only partly pushed down" \
	"SELECT batch_id(r), comm_batch_summary(r) FROM results GROUP BY 1" 'worker_partial_agg' 'coord_combine_agg'
# How often each shape of the README's report sends comm_batch_summary (or
# its partial form) to the workers.
count_agg() {
	local p
	p=$(plan "$1")
	grep -m1 'Query: ' <<<"$p" | grep -oE 'comm_batch_summary\((results\.)?r\)|worker_partial_agg\(' | wc -l
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
expect_error "EXPLAIN ANALYZE of a partially aggregated query fails inside Citus" 42P16 coord \
	"EXPLAIN (ANALYZE) SELECT comm_status_counts(r) FROM d.results;"
# median of 5 runs, in ms
time_ms() {
	local t0 ts=()
	for _ in 1 2 3 4 5; do
		t0=$(date +%s%N)
		q coord "SET search_path = d, public;" "$1" >/dev/null
		ts+=($((($(date +%s%N) - t0) / 1000000)))
	done
	printf '%s\n' "${ts[@]}" | sort -n | sed -n 3p
}
info "per-batch report over 200,000 results, median of 5 runs (each with psql's start): README's form $(time_ms "$README_Q") ms, repeated with GROUP BY batch_id $(time_ms "$REPEATED") ms, subquery $(time_ms "$SUBQUERY") ms; the subquery on the local table $(time_ms "SET search_path = l, public; $SUBQUERY") ms"

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
q w3 'CREATE EXTENSION citus;' >/dev/null
q coord "SELECT citus_add_node('$DIR', ${PORT[w3]});" >/dev/null
check_eq "a third worker gets comm_result when it joins" "$v" \
	"$(q w3 "SELECT extversion FROM pg_extension WHERE extname = 'comm_result'")"
shard=$(q coord "SELECT shardid FROM citus_shards WHERE table_name = 'd.results'::regclass AND nodeport = ${PORT[w1]} ORDER BY shardid LIMIT 1")
t0=$(date +%s%N)
q coord "SELECT citus_move_shard_placement($shard, '$DIR', ${PORT[w1]}, '$DIR', ${PORT[w3]}, shard_transfer_mode => 'block_writes');" >/dev/null
move_ms=$((($(date +%s%N) - t0) / 1000000))
check_eq "after moving shard $shard to worker 3, every value is byte-identical" "$LOCAL_SUM" "$(checksum d)"
t0=$(date +%s%N)
q coord "SELECT rebalance_table_shards(shard_transfer_mode => 'block_writes');" >/dev/null
rebalance_ms=$((($(date +%s%N) - t0) / 1000000))
check_eq "after the rebalance, shards of d.results per worker" "4 4 4" \
	"$(q coord "SELECT string_agg(n::text, ' ' ORDER BY nodeport) FROM (SELECT nodeport, count(*) n FROM citus_shards WHERE table_name = 'd.results'::regclass GROUP BY 1) x")"
check_eq "... and every value is byte-identical" "$LOCAL_SUM" "$(checksum d)"
check_eq "... also the example table" "$(checksum ls)" "$(checksum ds)"
info "moved one shard in $move_ms ms; rebalanced onto the third worker in $rebalance_ms ms (block_writes)"
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
# Citus does not compare versions: it accepts the worker, silently.
if out=$(q coord "SELECT citus_add_node('$DIR', ${PORT[old]});" 2>&1); then
	check_eq "a worker with comm_result 1.0 already created is accepted; run_command_on_workers shows its version" "1.0 $newest" \
		"$(q coord "SELECT string_agg(DISTINCT result, ' ' ORDER BY result) FROM run_command_on_workers(\$\$SELECT extversion FROM pg_extension WHERE extname = 'comm_result'\$\$)")"
	q coord "SELECT citus_remove_node('$DIR', ${PORT[old]});" >/dev/null
else
	bad "adding a worker with comm_result 1.0 already created failed: $(grep -m1 -oE 'ERROR: .*' <<<"$out")"
fi
check_eq "... and it is not in the cluster now" 0 \
	"$(q coord "SELECT count(*) FROM pg_dist_node WHERE nodeport = ${PORT[old]}")"
node_stop old

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
