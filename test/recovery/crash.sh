#!/usr/bin/env bash
# Crash recovery of tables of comm_result.
#
# A results table with the recommended unique key, a btree index on the value,
# an expression index, a hash index and the guard trigger gets a committed
# baseline; then, concurrently:
#   - 2 loaders insert new results in many small transactions and re-ingest
#     earlier ones as newer snapshots (merge upsert through the guard);
#   - 2 movers apply comm_result_transition to baseline rows, one move per
#     transaction, each worker on its own rows;
#   - 1 session inserts rows and moves reserved rows in a transaction that
#     never commits.
# Every committed change is written, in the same transaction, to a log table,
# so the log says exactly what committed.  Mid-way (after a checkpoint) the
# postmaster and all its children are killed with SIGKILL; the server is
# restarted and crash recovery runs.  Then: every logged row is there and
# equals its last logged value, nothing else is, nothing of the uncommitted
# transaction is, every value re-reads valid, replaying the log through the
# guard raises nothing, and amcheck (bt_index_check and bt_index_parent_check
# with heapallindexed) passes on every btree index.
#
# fsync and synchronous_commit are on (the defaults).
#
# Usage: test/recovery/crash.sh   (extension installed; root or postgres)
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"
set -euo pipefail

NAME=crash
source "$(dirname "${BASH_SOURCE[0]}")/../lib/checks.sh"
RUN_SECONDS=${CRASH_RUN_SECONDS:-4}
N_BASE=20000

cr_require build ps
SERVER_OPTS="-c fsync=on -c synchronous_commit=on -c full_page_writes=on -c max_wal_size=256MB -c checkpoint_timeout=1h"
cr_cluster_start $SERVER_OPTS
WORKERS=()
cleanup() {
	local rc=$? p
	for p in "${WORKERS[@]}"; do kill "$p" 2>/dev/null || true; done
	checks_aborted "$rc"
	cr_cluster_stop
	exit "$rc"
}
trap cleanup EXIT
PGB=$CR_PGBIN
export PGOPTIONS='-c client_min_messages=warning'
q() { "$PGB/psql" -X -q -v ON_ERROR_STOP=1 -At -c "$1"; }

check_eq "fsync and synchronous_commit are on" "on on" "$(q "SELECT current_setting('fsync') || ' ' || current_setting('synchronous_commit')")"

# ------------------------------------------------------------------ setup
"$PGB/psql" -X -q -v ON_ERROR_STOP=1 >/dev/null <<SQL
CREATE EXTENSION comm_result;
CREATE EXTENSION amcheck;

CREATE TABLE results (r comm_result NOT NULL);
CREATE UNIQUE INDEX results_key ON results ((batch_id(r)), (reference_id(r)));
-- a btree entry must fit in a third of a page even compressed, so the
-- incompressible out-of-line values are left out of this one
CREATE INDEX results_r ON results (r) WHERE request_variable(r, 'blob') IS NULL;
CREATE INDEX results_ref ON results ((reference_id(r)) DESC, (created_at(r)));
CREATE INDEX results_status ON results ((request_status(r)), (attempt_count(r)));
CREATE INDEX results_hash ON results USING hash (r);
CREATE TRIGGER results_guard BEFORE UPDATE ON results
    FOR EACH ROW EXECUTE FUNCTION comm_result_guard();

-- what committed, written in the same transaction as the change
CREATE TABLE log (
    seq bigserial PRIMARY KEY,
    kind text NOT NULL,           -- base, load, reingest, move, uncommitted
    batch_id text NOT NULL,
    reference_id text NOT NULL,
    v text NOT NULL
);
CREATE INDEX log_key ON log (batch_id, reference_id, seq);

-- one loaded result; status and attempt make the newer snapshots of it
CREATE FUNCTION make_row(w int, b int, j int, st comm_status, attempt int) RETURNS comm_result
LANGUAGE sql IMMUTABLE AS \$\$
  SELECT comm_result('load-' || w, 'b' || b || '-' || j,
      CASE WHEN j % 2 = 0 THEN 'user.' || b || '.' || j || '@exämple.com' ELSE '+1 555 ' || lpad((b * 100 + j)::text, 7, '0') END,
      jsonb_build_object('first_name', 'José "' || j || E'"\\\\\n', 'emoji', '🎉', 'n', b * 1000 + j)
        || CASE WHEN j = 1 AND b % 25 = 0   -- incompressible: stored out of line
                THEN jsonb_build_object('blob', (SELECT string_agg(md5(b || ':' || g), '') FROM generate_series(1, 3000) g))
                WHEN j = 2 AND b % 10 = 0   -- compressible: compressed inline, also in the index on r
                THEN jsonb_build_object('pad', repeat(md5(b::text), 2000))
                ELSE '{}' END,
      st, NULL, '2025-01-17 09:00:00+00'::timestamptz + b * interval '1 second',
      CASE WHEN attempt > 0 THEN '2025-01-17 10:00:00+00'::timestamptz END, attempt, NULL, NULL)
\$\$;

-- many small committed transactions: 40 new results, 10 re-ingested snapshots
CREATE PROCEDURE loader(w int, n int) LANGUAGE plpgsql AS \$\$
BEGIN
  FOR b IN 1 .. n LOOP
    WITH ins AS (
      INSERT INTO results (r) SELECT make_row(w, b, j, 'PENDING', 0) FROM generate_series(1, 40) j RETURNING r)
    INSERT INTO log (kind, batch_id, reference_id, v) SELECT 'load', batch_id(r), reference_id(r), r::text FROM ins;
    IF b > 1 THEN
      WITH up AS (
        INSERT INTO results AS t (r) SELECT make_row(w, b - 1, j, CASE WHEN j % 3 = 0 THEN 'COMPLETED' ELSE 'INITIATED' END::comm_status, 1)
        FROM generate_series(1, 10) j
        ON CONFLICT ((batch_id(r)), (reference_id(r))) DO UPDATE SET r = comm_result_merge(t.r, excluded.r)
        RETURNING r)
      INSERT INTO log (kind, batch_id, reference_id, v) SELECT 'reingest', batch_id(r), reference_id(r), r::text FROM up;
    END IF;
    COMMIT;
  END LOOP;
END \$\$;

-- one legal move per transaction on baseline rows k with k % nw = w
CREATE PROCEDURE mover(w int, nw int, n int) LANGUAGE plpgsql AS \$\$
DECLARE
  k int; ref text; old comm_result; nxt comm_status[]; new comm_result;
BEGIN
  PERFORM setseed(w / 10.0);
  FOR i IN 1 .. n LOOP
    k := w + nw * floor(random() * ($N_BASE / nw))::int;
    IF k < 1 OR k > $N_BASE THEN CONTINUE; END IF;
    ref := 'ref' || k;
    SELECT r INTO old FROM results WHERE batch_id(r) = 'base' AND reference_id(r) = ref;
    nxt := comm_status_next(coalesce(request_status(old), 'PENDING'));
    CONTINUE WHEN cardinality(nxt) = 0;
    new := comm_result_transition(old, nxt[1 + floor(random() * cardinality(nxt))::int],
                                  clock_timestamp(), session_id => i, conversation_id => k);
    UPDATE results SET r = new WHERE batch_id(r) = 'base' AND reference_id(r) = ref;
    INSERT INTO log (kind, batch_id, reference_id, v) VALUES ('move', 'base', ref, new::text);
    COMMIT;
  END LOOP;
END \$\$;

-- the committed baseline: N_BASE PENDING results, 200 reserved for the uncommitted session
INSERT INTO results (r)
SELECT comm_result('base', 'ref' || k, '+1 (555) ' || lpad(k::text, 7, '0'),
                   jsonb_build_object('k', k, 'name', 'Ünïcødé ' || k), 'PENDING', NULL,
                   '2025-01-01 00:00:00+00'::timestamptz + k * interval '1 minute')
FROM generate_series(1, $N_BASE) k
UNION ALL
SELECT comm_result('reserved', 'res' || k, 'res' || k || '@example.com', '{}', 'PENDING')
FROM generate_series(1, 200) k;
INSERT INTO log (kind, batch_id, reference_id, v) SELECT 'base', batch_id(r), reference_id(r), r::text FROM results;
CHECKPOINT;
SQL
check_eq "baseline committed" "$((N_BASE + 200))" "$(q "SELECT count(*) FROM results")"

# ------------------------------------------------------------------ workload
echo "--- workload: 2 loaders, 2 movers, 1 open transaction, for ~${RUN_SECONDS}s, then SIGKILL"
WDIR=$CR_TMP/workers
mkdir -p "$WDIR"
for w in 1 2; do
	"$PGB/psql" -X -q -v ON_ERROR_STOP=1 -c "CALL loader($w, 1000000)" >"$WDIR/loader$w.log" 2>&1 &
	WORKERS+=($!)
	"$PGB/psql" -X -q -v ON_ERROR_STOP=1 -c "CALL mover($w - 1, 2, 100000000)" >"$WDIR/mover$w.log" 2>&1 &
	WORKERS+=($!)
done
"$PGB/psql" -X -q -v ON_ERROR_STOP=1 >"$WDIR/open.log" 2>&1 <<'SQL' &
BEGIN;
INSERT INTO results (r)
SELECT comm_result('uncommitted', 'u' || k, '5550100', jsonb_build_object('k', k), 'PENDING') FROM generate_series(1, 5000) k;
UPDATE results SET r = comm_result_transition(r, 'INITIATED', '2025-01-17 09:00:00+00') WHERE batch_id(r) = 'reserved';
INSERT INTO log (kind, batch_id, reference_id, v)
SELECT 'uncommitted', batch_id(r), reference_id(r), r::text FROM results WHERE batch_id(r) IN ('uncommitted', 'reserved');
SELECT pg_sleep(600);
COMMIT;
SQL
WORKERS+=($!)

# wait for the open transaction to have done its work, and for all to progress
deadline=$((SECONDS + 60))
until [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'")" = 1 ] &&
	[ "$(q "SELECT count(DISTINCT kind) FROM log WHERE kind IN ('load','reingest','move')")" = 3 ]; do
	[ "$SECONDS" -lt "$deadline" ] || { bad "workload did not start"; cat "$WDIR"/*.log; exit 1; }
	sleep 0.2
done
sleep "$(awk "BEGIN{print $RUN_SECONDS/2}")"
q "CHECKPOINT"
sleep "$(awk "BEGIN{print $RUN_SECONDS/2}")"
before=$(q "SELECT string_agg(kind || '=' || n, ' ' ORDER BY kind) FROM (SELECT kind, count(*) n FROM log GROUP BY 1) s")
check_eq "all 5 sessions still running when killed" 5 \
	"$(q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'CALL %' OR wait_event = 'PgSleep'")"

PM=$(head -1 "$CR_PGDATA/postmaster.pid")
CHILDREN=$(ps -o pid= --ppid "$PM" | tr -d ' ' | tr '\n' ' ')
echo "--- kill -9 postmaster $PM and its $(wc -w <<<"$CHILDREN") children (log before: $before)"
kill -9 "$PM" $CHILDREN
for p in $PM $CHILDREN; do
	for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
done
rc_all=0
for p in "${WORKERS[@]}"; do wait "$p" && rc_all=1 || true; done
WORKERS=()
check_eq "every worker was cut off (none finished)" 0 "$rc_all"
errs=$(grep -h 'ERROR' "$WDIR"/*.log || true)
check_eq "no worker hit an SQL error before the crash" "" "$errs"

echo "--- restart and crash recovery"
start=$SECONDS
# shellcheck disable=SC2086 # SERVER_OPTS are separate -c options
cr_server_start $SERVER_OPTS || {
	tail -30 "$CR_TMP/server.log"; bad "restart failed"; exit 1; }
ok "server restarted after $((SECONDS - start))s"
if grep -qE 'was interrupted|not properly shut down; automatic recovery' "$CR_TMP/server.log" &&
	grep -q 'redo done' "$CR_TMP/server.log"; then
	ok "crash recovery ran ($(grep -o 'redo done at [^ ]*' "$CR_TMP/server.log" | tail -1))"
else
	bad "no crash recovery in the server log"
fi

# ------------------------------------------------------------------ checks
after=$(q "SELECT string_agg(kind || '=' || n, ' ' ORDER BY kind) FROM (SELECT kind, count(*) n FROM log GROUP BY 1) s")
echo "    log after recovery: $after"
check_eq "at least 3 committed load, re-ingest and move transactions survived" 1 \
	"$(q "SELECT (count(DISTINCT batch_id || reference_id) FILTER (WHERE kind = 'load') >= 120
	            AND count(*) FILTER (WHERE kind = 'reingest') >= 30 AND count(*) FILTER (WHERE kind = 'move') >= 3)::int FROM log")"
check_eq "nothing of the open transaction in the log" 0 "$(q "SELECT count(*) FROM log WHERE kind = 'uncommitted'")"
check_eq "nothing of the open transaction in the table" 0 \
	"$(q "SELECT count(*) FROM results WHERE batch_id(r) = 'uncommitted'")"
check_eq "its uncommitted moves undone (reserved rows as in the baseline)" 0 \
	"$(q "SELECT count(*) FROM results t JOIN log l ON l.kind = 'base' AND l.batch_id = batch_id(t.r) AND l.reference_id = reference_id(t.r)
	      WHERE batch_id(t.r) = 'reserved' AND t.r::text <> l.v")"
check_eq "row count = distinct logged keys" \
	"$(q "SELECT count(*) FROM (SELECT DISTINCT batch_id, reference_id FROM log) s")" "$(q "SELECT count(*) FROM results")"

# expected value of every key: its last committed log entry
q "CREATE TABLE expected AS SELECT DISTINCT ON (batch_id, reference_id) batch_id, reference_id, v, kind
   FROM log ORDER BY batch_id, reference_id, seq DESC" >/dev/null
check_eq "every committed row present" 0 \
	"$(q "SELECT count(*) FROM expected e WHERE NOT EXISTS (SELECT 1 FROM results t WHERE batch_id(t.r) = e.batch_id AND reference_id(t.r) = e.reference_id)")"
check_eq "no row that was not committed" 0 \
	"$(q "SELECT count(*) FROM results t WHERE NOT EXISTS (SELECT 1 FROM expected e WHERE batch_id(t.r) = e.batch_id AND reference_id(t.r) = e.reference_id)")"
check_eq "every row equals its last committed value (text compare, $(q "SELECT count(*) FROM expected") rows)" 0 \
	"$(q "SELECT count(*) FROM results t JOIN expected e ON batch_id(t.r) = e.batch_id AND reference_id(t.r) = e.reference_id WHERE t.r::text <> e.v")"
check_eq "and by = on the type" 0 \
	"$(q "SELECT count(*) FROM results t JOIN expected e ON batch_id(t.r) = e.batch_id AND reference_id(t.r) = e.reference_id WHERE t.r <> e.v::comm_result")"
check_eq "every value reads back valid (r::text::comm_result = r, send/recv-stable jsonb)" 0 \
	"$(q "SELECT count(*) FROM results WHERE NOT (r::text::comm_result = r AND comm_result_is_valid(r::text) AND r::jsonb::comm_result = r)")"
check_eq "large values survived: out of line (96000-byte blob) and compressed inline (64000-byte pad)" "true true" \
	"$(q "SELECT (count(*) FILTER (WHERE length(request_variable(r, 'blob')) = 96000 AND pg_column_size(r) > 90000) >= 1) || ' ' ||
	            (count(*) FILTER (WHERE length(request_variable(r, 'pad')) = 64000 AND pg_column_size(r) < 8000) >= 1) FROM results")"

# the guard's invariants: each logged move is one legal step, and replaying the whole log through the guard raises nothing
check_eq "every logged move is a legal single step from the value before it" 0 \
	"$(q "SELECT count(*) FROM (SELECT kind, v::comm_result AS cur, lag(v::comm_result) OVER (PARTITION BY batch_id, reference_id ORDER BY seq) AS prev FROM log) s
	      WHERE kind = 'move' AND NOT (comm_status_can_transition(request_status(prev), request_status(cur))
	            AND request_status(prev) IS DISTINCT FROM request_status(cur)
	            AND attempt_count(cur) = attempt_count(prev) + (request_status(cur) = 'INITIATED')::int)")"
replay=$(q "CREATE TABLE replay (r comm_result NOT NULL);
	CREATE UNIQUE INDEX ON replay ((batch_id(r)), (reference_id(r)));
	CREATE TRIGGER replay_guard BEFORE UPDATE ON replay FOR EACH ROW EXECUTE FUNCTION comm_result_guard();
	DO \$\$ DECLARE e record; BEGIN
	  FOR e IN SELECT * FROM log ORDER BY seq LOOP
	    INSERT INTO replay AS t (r) VALUES (e.v::comm_result)
	    ON CONFLICT ((batch_id(r)), (reference_id(r))) DO UPDATE SET r = excluded.r;
	  END LOOP;
	END \$\$;
	SELECT count(*) FROM replay t JOIN results u ON u.r = t.r" 2>&1 || true)
check_eq "replaying the committed log through the guard: no violation, same final rows" "$(q "SELECT count(*) FROM results")" "$replay"
check_eq "statuses consistent with attempt counts (INITIATED or later has an attempt)" 0 \
	"$(q "SELECT count(*) FROM results WHERE request_status(r) IN ('INITIATED','CONNECTED') AND attempt_count(r) < 1
	         OR (request_status(r) = 'PENDING' AND attempt_count(r) <> 0 AND batch_id(r) <> 'base')")"

# indexes
echo "--- amcheck"
for idx in $(q "SELECT c.oid::regclass FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
               WHERE am.amname = 'btree' AND i.indrelid IN ('results'::regclass, 'log'::regclass) ORDER BY 1::text"); do
	if out=$(q "SELECT bt_index_check('$idx', true); SELECT bt_index_parent_check('$idx', true)" 2>&1); then
		ok "bt_index_check + bt_index_parent_check(heapallindexed) on $idx"
	else
		bad "amcheck on $idx: $out"
	fi
done
check_eq "hash index finds every row (forced index scan)" 0 \
	"$(q "SET enable_seqscan = off; SET enable_bitmapscan = off;
	      CREATE TEMP TABLE hash_miss (n int);
	      DO \$\$ DECLARE v record; n int; miss int := 0; BEGIN
	        FOR v IN SELECT r FROM results LOOP
	          SELECT count(*) INTO n FROM results WHERE r = v.r;
	          IF n <> 1 THEN miss := miss + 1; END IF;
	        END LOOP;
	        INSERT INTO hash_miss VALUES (miss);
	      END \$\$;
	      SELECT n FROM hash_miss")"
check_eq "index scans on the key agree with a sequential scan" \
	"$(q "SET enable_indexscan = off; SET enable_bitmapscan = off; SELECT md5(string_agg(r::text, ',' ORDER BY batch_id(r), reference_id(r))) FROM results WHERE batch_id(r) >= 'base'")" \
	"$(q "SET enable_seqscan = off; SELECT md5(string_agg(r::text, ',' ORDER BY batch_id(r), reference_id(r))) FROM results WHERE batch_id(r) >= 'base'")"

# the table is usable: the uncommitted keys can be inserted now, and moves still work
check_eq "uncommitted keys insertable after recovery (no leftover unique entries)" 5000 \
	"$(q "WITH i AS (INSERT INTO results (r) SELECT comm_result('uncommitted', 'u' || k, '5550100', '{}') FROM generate_series(1, 5000) k RETURNING 1) SELECT count(*) FROM i")"
check_eq "guard still active after recovery (illegal move rejected with 23514)" 23514 \
	"$(q "DO \$\$ BEGIN UPDATE results SET r = comm_result('reserved', 'res1', 'other@example.com', '{}') WHERE batch_id(r) = 'reserved' AND reference_id(r) = 'res1';
	      EXCEPTION WHEN check_violation THEN RAISE WARNING '23514'; END \$\$" 2>&1 | grep -o 23514 || true)"
q "VACUUM results" >/dev/null
check_eq "amcheck after VACUUM and new inserts" "" \
	"$(q "SELECT bt_index_check('results_key', true), bt_index_check('results_r', true)" 2>&1 | grep -v '^|$' || true)"

if grep -E 'PANIC|TRAP:|terminated by signal' "$CR_TMP/server.log" | grep -v 'terminated by signal 9'; then
	bad "the server log shows a crash other than ours"
else
	ok "no unexpected crash in the server log"
fi
finish
