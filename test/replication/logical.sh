#!/usr/bin/env bash
# Logical replication of results tables into a reporting database, the way
# the README's "Scaling out" recommends it for this server version.
#
# The publisher ("main", wal_level=logical, database pub) has:
#   results      the expression-index key with REPLICA IDENTITY FULL (an
#                expression index cannot be a replica identity), the guard,
#                examples/reporting.sql's counters;
#   results_k    the key in columns with a primary key: on 15 to 17 plain
#                columns tied to the value by a CHECK (stored generated columns
#                are not published before 18); on 18 stored generated columns,
#                published with publish_generated_columns = stored;
#   results_h    hash partitions by batch_id(r), REPLICA IDENTITY FULL,
#                published through the root;
#   batch_status_counts (the reporting counters) and a marker table;
#   gen.results_gen  the generated-column key table of the README, in a
#                publication of its own, to show what breaks.
# The subscriber ("sub") has one database per case, each with its own
# subscription to the publication:
#   s_text   binary = false; the guard ENABLE ALWAYS;
#   s_bin    binary = true; the extension relocated to schema "ext";
#   s_old    binary = false; the extension at version 1.0;
#   s_gen    gen.results_gen as on the publisher (primary key on the
#            generated columns): UPDATE cannot be applied on 15 to 18;
#   s_noext  no extension: the schema and the subscription fail, clearly;
#   s_json   no extension, r as jsonb: binary = false works, true fails.
# After the initial copy the publisher takes inserts, merge upserts,
# transitions and deletes; then every subscriber's tables equal the
# publisher's byte for byte (md5 over ::text and over comm_result_send).
# Then a change that the publisher's guard did not see (a superuser with
# session_replication_role = replica) reaches s_text, whose guard rejects it:
# the test reads what the operator sees (the error and its finish LSN in the
# log, the disabled subscription, pg_stat_subscription and
# pg_stat_subscription_stats) and recovers both ways: SKIP the transaction and
# correct the publisher, or accept the publisher's row with the guard off.
#
# Usage: test/replication/logical.sh   (extension installed; root or postgres)
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"
set -euo pipefail

NAME=logical
source "$(dirname "${BASH_SOURCE[0]}")/../lib/checks.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/replication.sh"

cr_require build
cr_cluster_start -c wal_level=logical -c max_wal_senders=20 -c max_replication_slots=20
trap 'rc=$?; checks_aborted "$rc"; rp_cleanup; exit $rc' EXIT
rp_node_start sub 54331 -c max_logical_replication_workers=12 -c max_worker_processes=24 \
	-c max_replication_slots=20 -c wal_retrieve_retry_interval=500ms
PGB=$CR_PGBIN
export PGOPTIONS='-c client_min_messages=warning'
MAJOR=$(rp_q main postgres "SELECT current_setting('server_version_num')::int / 10000")
SUBLOG=$(rp_log sub)

# ------------------------------------------------------------------ schema
# results_k: the key layout that replicates on this version
if [ "$MAJOR" -ge 18 ]; then
	PUB_KEY="batch_id text GENERATED ALWAYS AS (batch_id(r)) STORED,
	         reference_id text GENERATED ALWAYS AS (reference_id(r)) STORED,"
	PUB_OPTS="publish_via_partition_root = true, publish_generated_columns = stored"
	KC="" KV=""
else
	PUB_KEY="batch_id text NOT NULL CHECK (batch_id = batch_id(r)),
	         reference_id text NOT NULL CHECK (reference_id = reference_id(r)),"
	PUB_OPTS="publish_via_partition_root = true"
	KC=", batch_id, reference_id" KV=", batch_id(r), reference_id(r)"
fi
SUB_KEY="batch_id text NOT NULL CHECK (batch_id = batch_id(r)),
         reference_id text NOT NULL CHECK (reference_id = reference_id(r)),"
schema_sql() { # KEY_COLUMNS [1.0]
	rp_schema_sql "${2:-}"
	cat <<SQL
CREATE SCHEMA gen;
ALTER TABLE results_gen SET SCHEMA gen;
CREATE TABLE results_k (
    r comm_result NOT NULL,
    $1
    PRIMARY KEY (batch_id, reference_id)
) WITH (fillfactor = 90);
CREATE TRIGGER results_k_guard BEFORE UPDATE ON results_k
    FOR EACH ROW EXECUTE FUNCTION comm_result_guard();
CREATE TABLE marker (id int PRIMARY KEY);
ALTER TABLE results REPLICA IDENTITY FULL;
ALTER TABLE results_h REPLICA IDENTITY FULL;
ALTER TABLE results_h0 REPLICA IDENTITY FULL;
ALTER TABLE results_h1 REPLICA IDENTITY FULL;
ALTER TABLE results_h2 REPLICA IDENTITY FULL;
SQL
}
psql_in() { # NODE DB SEARCH_PATH: runs stdin
	PGOPTIONS="$PGOPTIONS -c search_path=$3" "$PGB/psql" -X -q -v ON_ERROR_STOP=1 -d "$(rp_conn "$1" "$2")" >/dev/null
}

"$PGB/createdb" pub
{
	echo "CREATE EXTENSION comm_result;"
	schema_sql "$PUB_KEY"
	cat <<SQL
INSERT INTO results (r) $(rp_rows_sql base 3000);
INSERT INTO results_k (r$KC) SELECT r$KV FROM ($(rp_rows_sql base 3000)) s;
INSERT INTO results_h (r) SELECT comm_result('b' || i % 17, 'x' || i, '5550100', jsonb_build_object('i', i), 'PENDING') FROM generate_series(1, 900) i;
INSERT INTO gen.results_gen (r) $(rp_rows_sql base 100);
-- large values: compressed inline and out of line
INSERT INTO results (r) SELECT comm_result('large', 'big' || i, '5550100', jsonb_build_object('blob', repeat('x' || i, 100000)), 'PENDING') FROM generate_series(1, 2) i;
INSERT INTO results_k (r$KC) SELECT r$KV FROM (SELECT comm_result('large', 'rnd' || i, '5550100',
        jsonb_build_object('blob', (SELECT string_agg(md5(i || ':' || g), '' ORDER BY g) FROM generate_series(1, 4000) g)), 'PENDING') AS r
    FROM generate_series(1, 2) i) s;
CREATE PUBLICATION pub FOR TABLE results, results_k, results_h, batch_status_counts, marker WITH ($PUB_OPTS);
CREATE PUBLICATION pub_gen FOR TABLE gen.results_gen;
SQL
} | psql_in main pub public
ok "publisher: schema, $(rp_q main pub "SELECT count(*) FROM results") + $(rp_q main pub "SELECT count(*) FROM results_k") + $(rp_q main pub "SELECT count(*) FROM results_h") rows, publications (PostgreSQL $MAJOR: results_k $([ "$MAJOR" -ge 18 ] && echo "generated key columns, publish_generated_columns = stored" || echo "plain key columns with CHECK"))"

PUBCONN=$(rp_conn main pub)
subscribe() { # DB SUBSCRIPTION OPTIONS [PUBLICATION]
	rp_q sub "$1" "CREATE SUBSCRIPTION $2 CONNECTION '$PUBCONN' PUBLICATION ${4:-pub} WITH ($3)"
}
synced() { # DB: every table of its subscriptions is ready
	rp_wait sub "$1" "SELECT count(*) > 0 AND bool_and(srsubstate = 'r') FROM pg_subscription_rel" 60
}

"$PGB/createdb" -h "$(rp_dir sub)" -p "$(rp_port sub)" s_text
"$PGB/createdb" -h "$(rp_dir sub)" -p "$(rp_port sub)" s_bin
"$PGB/createdb" -h "$(rp_dir sub)" -p "$(rp_port sub)" s_old
{ echo "CREATE EXTENSION comm_result;"; schema_sql "$SUB_KEY"; echo "ALTER TABLE results ENABLE ALWAYS TRIGGER results_guard;"; } | psql_in sub s_text public
{ echo "CREATE SCHEMA ext; CREATE EXTENSION comm_result SCHEMA ext;"; schema_sql "$SUB_KEY"; } | psql_in sub s_bin public,ext
{ echo "CREATE EXTENSION comm_result VERSION '1.0';"; schema_sql "$SUB_KEY" 1.0; } | psql_in sub s_old public
subscribe s_text s_text "binary = false, disable_on_error = true"
subscribe s_bin s_bin "binary = true"
subscribe s_old s_old "binary = false"
for db in s_text s_bin s_old; do
	if synced "$db"; then ok "$db: initial copy done"; else bad "$db: initial copy not done"; fi
done
check_eq "s_bin: the extension is in schema ext, s_old at version 1.0" "ext 1.0" \
	"$(rp_q sub s_bin "SELECT extnamespace::regnamespace FROM pg_extension WHERE extname = 'comm_result'") $(rp_q sub s_old "SELECT extversion FROM pg_extension WHERE extname = 'comm_result'")"

# ------------------------------------------------------------------ changes
# inserts, merge upserts of newer snapshots, transitions and deletes on each table
psql_in main pub public <<SQL
INSERT INTO results (r) $(rp_rows_sql new 500);
INSERT INTO results_k (r$KC) SELECT r$KV FROM ($(rp_rows_sql new 500)) s;
INSERT INTO results_h (r) SELECT comm_result('b' || i % 17, 'y' || i, 'y' || i || '@example.com', '{}') FROM generate_series(1, 300) i;
INSERT INTO results (r) SELECT comm_result(batch_id(r), reference_id(r), target(r), request_variables(r), 'INITIATED', 'LMnew', created_at(r), '2025-01-17 09:00:00+00', attempt_count(r) + 1)
FROM results WHERE batch_id(r) = 'base' AND coalesce(request_status(r), 'PENDING') IN ('PENDING', 'FAILED')
ON CONFLICT ((batch_id(r)), (reference_id(r))) DO UPDATE SET r = comm_result_merge(results.r, excluded.r);
INSERT INTO results_k (r$KC) SELECT r$KV FROM (SELECT comm_result(batch_id(r), reference_id(r), target(r), request_variables(r), 'INITIATED', 'LMnew', created_at(r), '2025-01-17 09:00:00+00', attempt_count(r) + 1) AS r
    FROM results_k WHERE batch_id = 'base' AND coalesce(request_status(r), 'PENDING') IN ('PENDING', 'FAILED')) s
ON CONFLICT (batch_id, reference_id) DO UPDATE SET r = comm_result_merge(results_k.r, excluded.r);
UPDATE results SET r = comm_result_transition(r, 'COMPLETED', '2025-01-17 10:00:00+00') WHERE batch_id(r) = 'base' AND request_status(r) = 'CONNECTED';
UPDATE results_k SET r = comm_result_transition(r, 'COMPLETED', '2025-01-17 10:00:00+00') WHERE batch_id = 'base' AND request_status(r) = 'CONNECTED';
UPDATE results_h SET r = comm_result_transition(r, 'SKIPPED', '2025-01-17 10:00:00+00') WHERE reference_id(r) LIKE 'x1%';
UPDATE results SET r = comm_result_transition(r, 'INITIATED', '2025-01-17 11:00:00+00') WHERE batch_id(r) = 'large';
UPDATE results_k SET r = comm_result_transition(r, 'INITIATED', '2025-01-17 11:00:00+00') WHERE batch_id = 'large';
DELETE FROM results WHERE batch_id(r) = 'new' AND reference_id(r) LIKE '%7';
DELETE FROM results_k WHERE batch_id = 'new' AND reference_id LIKE '%3';
DELETE FROM results_h WHERE reference_id(r) LIKE 'y2%';
INSERT INTO marker VALUES (1);
SQL
ok "publisher: inserts, merge upserts, transitions and deletes committed"
for db in s_text s_bin s_old; do
	if rp_wait sub "$db" "SELECT EXISTS (SELECT 1 FROM marker WHERE id = 1)" 60; then ok "$db: caught up"; else bad "$db: did not catch up"; fi
done

pubsums=$(rp_sums main pub public public)
nrows=$(echo "$pubsums" | awk '{s += $2} END {print s}')
check_eq "s_text (binary = false): every table equals the publisher's byte for byte ($nrows rows)" "$pubsums" "$(rp_sums sub s_text public public)"
check_eq "s_bin (binary = true, extension in schema ext): every table equals the publisher's" "$pubsums" "$(rp_sums sub s_bin public ext)"
check_eq "s_old (extension 1.0): every table equals the publisher's" "$pubsums" "$(rp_sums sub s_old public public)"
check_eq "the changes reached the subscribers (moves, deletes, out-of-line values)" "t" \
	"$(rp_q sub s_text "SELECT count(*) FILTER (WHERE request_status(r) = 'COMPLETED') > 100 AND count(*) FILTER (WHERE batch_id(r) = 'new') = 450
	                   AND count(*) FILTER (WHERE batch_id(r) = 'large' AND attempt_count(r) = 1) = 2 FROM results")"
dash="SELECT md5(string_agg(d::text, E'\n' ORDER BY batch_id)) FROM batch_dashboard d"
check_eq "the replicated counters give the publisher's dashboard, and agree with a recount on the subscriber" \
	"$(rp_q main pub "$dash") 0" \
	"$(rp_q sub s_bin "$dash") $(rp_q sub s_bin "SELECT count(*) FROM batch_dashboard d FULL JOIN batch_report b USING (batch_id) WHERE d.total IS DISTINCT FROM b.total OR d.status_counts IS DISTINCT FROM b.status_counts")"
check_eq "the subscriber's partitions got the publisher's rows" \
	"$(rp_q main pub "SELECT string_agg(tableoid::regclass || ':' || n, ' ' ORDER BY tableoid::regclass::text) FROM (SELECT tableoid, count(*) n FROM results_h GROUP BY 1) s")" \
	"$(rp_q sub s_text "SELECT string_agg(tableoid::regclass || ':' || n, ' ' ORDER BY tableoid::regclass::text) FROM (SELECT tableoid, count(*) n FROM results_h GROUP BY 1) s")"

# ------------------------------------------------------------------ the guard on the subscriber
# A superuser on the publisher changes a target with the publisher's guard off
# (session_replication_role = replica disables ordinary triggers); s_text's
# guard, ENABLE ALWAYS, fires in the apply worker and rejects it.
illegal() { # REFERENCE_ID NEW_TARGET
	rp_q main pub "BEGIN; SET LOCAL session_replication_role = replica;
	               UPDATE results SET r = comm_result(batch_id(r), reference_id(r), '$2', request_variables(r), request_status(r), call_manager_sid(r),
	                                                  created_at(r), sent_at(r), attempt_count(r), session_id(r), conversation_id(r))
	               WHERE batch_id(r) = 'base' AND reference_id(r) = '$1'; COMMIT" >/dev/null
}
echo "--- an illegal change reaches s_text, whose guard is ENABLE ALWAYS"
errors_before=$(rp_q sub s_text "SELECT apply_error_count FROM pg_stat_subscription_stats WHERE subname = 's_text'")
log_from=$(wc -l <"$SUBLOG")
illegal ref10 changed@example.com
rp_q main pub "INSERT INTO results (r) $(rp_rows_sql later 5); INSERT INTO marker VALUES (2)" >/dev/null
if rp_wait sub s_text "SELECT NOT subenabled FROM pg_subscription WHERE subname = 's_text'" 30; then
	ok "s_text: the apply error disabled the subscription (disable_on_error = true)"
else
	bad "s_text: the subscription was not disabled"
fi
errline=$(tail -n +"$log_from" "$SUBLOG" | grep -m 1 -A 3 'ERROR: .*target of column "r" cannot change' || true)
while read -r l; do echo "    log: $l"; done <<<"$errline"
check_eq "the subscriber's log names the guard's error, the row and the transaction's finish LSN" "t t t" \
	"$(grep -q '23514\|ERROR: *target of column "r" cannot change' <<<"$errline" && echo t) $(grep -q 'reference_id "ref10"' <<<"$errline" && echo t) $(grep -qE 'finished at [0-9A-F]+/[0-9A-F]+' <<<"$errline" && echo t)"
check_eq "the log says the subscription was disabled" 1 \
	"$(tail -n +"$log_from" "$SUBLOG" | grep -c 'subscription "s_text" has been disabled because of an error' || true)"
check_eq "pg_stat_subscription: no apply worker; pg_stat_subscription_stats: one more apply error" "t $((errors_before + 1))" \
	"$(rp_q sub s_text "SELECT count(*) = 0 FROM pg_stat_subscription WHERE subname = 's_text' AND pid IS NOT NULL") $(rp_q sub s_text "SELECT apply_error_count FROM pg_stat_subscription_stats WHERE subname = 's_text'")"
check_eq "s_bin (guard not ALWAYS, so not fired by the apply worker) took the change and went on" "changed@example.com t" \
	"$(rp_wait sub s_bin "SELECT EXISTS (SELECT 1 FROM marker WHERE id = 2)" 30 && rp_q sub s_bin "SELECT ext.target(r) FROM results WHERE ext.batch_id(r) = 'base' AND ext.reference_id(r) = 'ref10'") t"
check_eq "s_text kept the legal row and nothing after it" "user10@example.com f" \
	"$(rp_q sub s_text "SELECT target(r) FROM results WHERE batch_id(r) = 'base' AND reference_id(r) = 'ref10'") $(rp_q sub s_text "SELECT EXISTS (SELECT 1 FROM marker WHERE id = 2)")"

# Recovery 1: skip the rejected transaction, then correct the publisher.
lsn=$(grep -oE 'finished at [0-9A-F]+/[0-9A-F]+' <<<"$errline" | grep -oE '[0-9A-F]+/[0-9A-F]+$' || true)
rp_q sub s_text "ALTER SUBSCRIPTION s_text SKIP (lsn = '$lsn'); ALTER SUBSCRIPTION s_text ENABLE" >/dev/null
if rp_wait sub s_text "SELECT EXISTS (SELECT 1 FROM marker WHERE id = 2)" 30; then
	ok "recovery by ALTER SUBSCRIPTION s_text SKIP (lsn = '$lsn'): later transactions applied"
else
	bad "s_text did not resume after SKIP"
fi
row_sums() { rp_q "$1" "$2" "SELECT reference_id(r) || ' ' || md5(r::text) FROM results WHERE batch_id(r) = 'base' ORDER BY 1"; }
check_eq "the skipped row is the one that differs from the publisher (found by comparing rows by key)" ref10 \
	"$(comm -3 <(row_sums main pub) <(row_sums sub s_text) | awk '{print $1}' | sort -u | paste -sd,)"
illegal ref10 user10@example.com
rp_q main pub "INSERT INTO marker VALUES (3)" >/dev/null
rp_wait sub s_text "SELECT EXISTS (SELECT 1 FROM marker WHERE id = 3)" 30 || true
check_eq "after the publisher's row is put back, s_text equals the publisher again" \
	"$(rp_sums main pub public public | grep -v '^marker')" "$(rp_sums sub s_text public public | grep -v '^marker')"

# Recovery 2: accept the publisher's row: the guard off for the apply, then ALWAYS again.
illegal ref12 accepted@example.com
rp_q main pub "INSERT INTO marker VALUES (4)" >/dev/null
rp_wait sub s_text "SELECT NOT subenabled FROM pg_subscription WHERE subname = 's_text'" 30 || true
rp_q sub s_text "ALTER TABLE results DISABLE TRIGGER results_guard; ALTER SUBSCRIPTION s_text ENABLE" >/dev/null
rp_wait sub s_text "SELECT EXISTS (SELECT 1 FROM marker WHERE id = 4)" 30 || true
rp_q sub s_text "ALTER TABLE results ENABLE ALWAYS TRIGGER results_guard" >/dev/null
check_eq "recovery by accepting (guard disabled, subscription enabled, guard ENABLE ALWAYS again): equal to the publisher" \
	"$(rp_sums main pub public public)" "$(rp_sums sub s_text public public)"
check_eq "s_text's guard is ENABLE ALWAYS again" A "$(rp_q sub s_text "SELECT tgenabled FROM pg_trigger WHERE tgname = 'results_guard'")"

# ------------------------------------------------------------------ what does not work
echo "--- the generated-column key table of the README (primary key on generated columns)"
"$PGB/createdb" -h "$(rp_dir sub)" -p "$(rp_port sub)" s_gen
{ echo "CREATE EXTENSION comm_result;"; schema_sql "$SUB_KEY"; } | psql_in sub s_gen public
subscribe s_gen s_gen "binary = true, disable_on_error = true" pub_gen
if synced s_gen; then ok "s_gen: initial copy done (the subscriber computes the generated columns)"; else bad "s_gen: initial copy not done"; fi
check_eq "s_gen: inserts replicate" 101 \
	"$(rp_q main pub "INSERT INTO gen.results_gen (r) $(rp_rows_sql gen-new 1)" >/dev/null; rp_wait sub s_gen "SELECT count(*) = 101 FROM gen.results_gen" 30; rp_q sub s_gen "SELECT count(*) FROM gen.results_gen")"
log_from=$(wc -l <"$SUBLOG")
move_gen="UPDATE gen.results_gen SET r = comm_result_transition(r, 'INITIATED', '2025-01-17 09:00:00+00') WHERE batch_id = 'base' AND reference_id = 'ref1'"
if [ "$MAJOR" -ge 18 ]; then
	# 18 checks on the publisher: an identity of unpublished generated columns
	out=$(rp_q main pub "$move_gen" 2>&1 || true)
	check_eq "publisher: the UPDATE is refused while the generated key columns are not published" \
		'ERROR:  cannot update table "results_gen"|DETAIL:  Replica identity must not contain unpublished generated columns.' \
		"$(head -n 2 <<<"$out" | paste -sd'|')"
	# published, they reach a subscriber whose key columns are generated too
	rp_q main pub "ALTER PUBLICATION pub_gen SET (publish_generated_columns = stored); $move_gen" >/dev/null
fi
[ "$MAJOR" -ge 18 ] || rp_q main pub "$move_gen" >/dev/null
if rp_wait sub s_gen "SELECT NOT subenabled FROM pg_subscription WHERE subname = 's_gen'" 30; then
	ok "s_gen: an UPDATE stops the subscription"
else
	bad "s_gen: the UPDATE did not stop the subscription"
fi
errline=$(tail -n +"$log_from" "$SUBLOG" | grep -m 1 -E 'ERROR: ' || true)
echo "    log: $errline"
if [ "$MAJOR" -ge 18 ]; then
	check_eq "s_gen: the error says that the subscriber's column is generated" 1 \
		"$(grep -c 'generated column' <<<"$errline" || true)"
else
	check_eq "s_gen: the error names the missing replica identity column" 1 \
		"$(grep -c 'publisher did not send replica identity column expected by the logical replication target relation "gen.results_gen"' <<<"$errline" || true)"
fi

echo "--- a subscriber without the extension"
"$PGB/createdb" -h "$(rp_dir sub)" -p "$(rp_port sub)" s_noext
out=$("$PGB/pg_dump" --schema-only -t public.results_k pub | "$PGB/psql" -X -q -d "$(rp_conn sub s_noext)" 2>&1 | grep -m 1 ERROR || true)
check_eq "copying the table definition fails: the type does not exist" 'ERROR:  type "public.comm_result" does not exist' "${out#psql:*: }"
out=$(rp_q sub s_noext "CREATE SUBSCRIPTION s_noext CONNECTION '$PUBCONN' PUBLICATION pub" 2>&1 || true)
check_eq "CREATE SUBSCRIPTION fails: a published table does not exist" 'ERROR:  relation "public.X" does not exist' \
	"$(head -n 1 <<<"$out" | sed -E 's/"public\.[a-z_]+"/"public.X"/')"
check_eq "and leaves no replication slot on the publisher" 0 "$(rp_q main pub "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 's_noext'")"

echo "--- a reporting database without the extension: r as jsonb"
"$PGB/createdb" -h "$(rp_dir sub)" -p "$(rp_port sub)" s_json
rp_q sub s_json "CREATE TABLE results (r jsonb NOT NULL); CREATE INDEX ON results ((r ->> 'batch_id'), (r ->> 'reference_id'))" >/dev/null
rp_q main pub "CREATE PUBLICATION pub_results FOR TABLE results" >/dev/null
subscribe s_json s_json "binary = false" pub_results
synced s_json || true
check_eq "s_json (binary = false): the publisher's values arrive as jsonb" \
	"$(rp_q main pub "SELECT count(*) || ' ' || md5(string_agg(r::jsonb::text, E'\n' ORDER BY r::jsonb::text))  FROM results")" \
	"$(rp_q sub s_json "SELECT count(*) || ' ' || md5(string_agg(r::text, E'\n' ORDER BY r::text)) FROM results")"
"$PGB/createdb" -h "$(rp_dir sub)" -p "$(rp_port sub)" s_jsonbin
rp_q sub s_jsonbin "CREATE TABLE results (r jsonb NOT NULL)" >/dev/null
log_from=$(wc -l <"$SUBLOG")
subscribe s_jsonbin s_jsonbin "binary = true, disable_on_error = true" pub_results
# (15 makes the initial copy in text even with binary = true, 16 and later in binary)
rp_wait sub s_jsonbin "SELECT NOT subenabled OR bool_and(srsubstate = 'r') FROM pg_subscription, pg_subscription_rel WHERE subname = 's_jsonbin' GROUP BY subenabled" 30 || true
rp_q main pub "INSERT INTO results (r) $(rp_rows_sql jsonbin 1)" >/dev/null
rp_wait sub s_jsonbin "SELECT NOT subenabled FROM pg_subscription WHERE subname = 's_jsonbin'" 30 || true
errline=$(tail -n +"$log_from" "$SUBLOG" | grep -m 1 -E 'ERROR: ' || true)
echo "    log: $errline ($(rp_q sub s_jsonbin "SELECT count(*) FROM results") rows copied)"
check_eq "s_jsonbin (binary = true): the comm_result binary form is not jsonb's: an error, the subscription disabled" "t f" \
	"$([ -n "$errline" ] && echo t) $(rp_q sub s_jsonbin "SELECT subenabled FROM pg_subscription WHERE subname = 's_jsonbin'")"

if rp_no_crash main sub; then ok "no crash in either server log"; else bad "a server log shows a crash"; fi
finish
