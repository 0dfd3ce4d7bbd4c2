#!/usr/bin/env bash
# A streaming hot standby of a database of comm_result, the way an operator
# runs one for failover.
#
# The primary holds the README's recommended schema (test/lib/replication.sh:
# the expression-index key table with a btree index on the value and
# examples/reporting.sql's view and counters, the generated-column key table
# with a hash index on the value, hash partitions by batch_id(r), the guard
# on each) and a committed baseline.  The standby is made with
# pg_basebackup -R and started.  Then, while 2 workers commit loads, merge
# re-ingests, lifecycle moves and deletes on the primary, the standby is
# killed with SIGKILL mid-replay and restarted.  When the workers are done and
# the standby has replayed everything:
#   - every table has the same rows on both (md5 over ::text and over
#     comm_result_send of every comm_result column);
#   - the README's reports give the same answers on both, and the counters
#     agree with a recount on the standby;
#   - look-ups through every index (the expression key, the btree and the
#     hash index on the value, the partitions' keys; sequential scans off,
#     plans checked) find every row on the standby;
#   - amcheck bt_index_check(heapallindexed) passes on every btree index of
#     the standby;
#   - the standby, promoted, takes new rows and legal moves and its guard
#     rejects an illegal one (23514).
#
# Usage: test/replication/standby.sh   (extension installed; root or postgres)
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"
set -euo pipefail

NAME=standby
source "$(dirname "${BASH_SOURCE[0]}")/../lib/checks.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/replication.sh"
RUN_SECONDS=${STANDBY_RUN_SECONDS:-6}

cr_require build
cr_cluster_start -c wal_level=replica -c max_wal_senders=4 -c wal_keep_size=256MB
WORKERS=()
cleanup() {
	local rc=$? p
	for p in "${WORKERS[@]}"; do kill "$p" 2>/dev/null || true; done
	checks_aborted "$rc"
	rp_cleanup
	exit "$rc"
}
trap cleanup EXIT
PGB=$CR_PGBIN
export PGOPTIONS='-c client_min_messages=warning'
DB=postgres

# ------------------------------------------------------------------ primary
{
	echo "CREATE EXTENSION comm_result; CREATE EXTENSION amcheck;"
	rp_schema_sql
	cat <<SQL
INSERT INTO results (r) $(rp_rows_sql base 4000);
INSERT INTO results_gen (r) $(rp_rows_sql base 4000);
INSERT INTO results_h (r) SELECT r FROM ($(rp_rows_sql base 4000)) s;
INSERT INTO results_h (r) SELECT comm_result('b' || i % 17, 'x' || i, '5550100', '{}') FROM generate_series(1, 600) i;

-- One worker: each round a transaction that loads 20 results into each
-- table, re-ingests a newer snapshot of 10 of the previous round's (merge
-- upsert through the guard) and deletes one; then one that moves 5 baseline
-- results one step along the lifecycle.
CREATE PROCEDURE work(w int, secs float8) LANGUAGE plpgsql AS \$\$
DECLARE
  t0 timestamptz := clock_timestamp();
  i int := 0;
BEGIN
  WHILE clock_timestamp() < t0 + secs * interval '1 second' LOOP
    i := i + 1;
    INSERT INTO results (r) SELECT comm_result('load-' || w, i || '-' || j, '5550100', jsonb_build_object('w', w, 'i', i, 'j', j), 'PENDING', NULL, '2025-01-17 00:00:00+00') FROM generate_series(1, 20) j;
    INSERT INTO results_gen (r) SELECT comm_result('load-' || w, i || '-' || j, '5550100', jsonb_build_object('w', w, 'i', i, 'j', j), 'PENDING', NULL, '2025-01-17 00:00:00+00') FROM generate_series(1, 20) j;
    INSERT INTO results_h (r) SELECT comm_result('load-' || w || '-' || j % 5, i || '-' || j, '5550100', jsonb_build_object('w', w), 'PENDING', NULL, '2025-01-17 00:00:00+00') FROM generate_series(1, 20) j;
    IF i > 1 THEN
      INSERT INTO results (r) SELECT comm_result('load-' || w, (i - 1) || '-' || j, '5550100', jsonb_build_object('w', w, 'i', i - 1, 'j', j), 'INITIATED', 'LM' || j, '2025-01-17 00:00:00+00', '2025-01-17 01:00:00+00', 1) FROM generate_series(1, 10) j
      ON CONFLICT ((batch_id(r)), (reference_id(r))) DO UPDATE SET r = comm_result_merge(results.r, excluded.r);
      INSERT INTO results_gen (r) SELECT comm_result('load-' || w, (i - 1) || '-' || j, '5550100', jsonb_build_object('w', w, 'i', i - 1, 'j', j), 'INITIATED', 'LM' || j, '2025-01-17 00:00:00+00', '2025-01-17 01:00:00+00', 1) FROM generate_series(1, 10) j
      ON CONFLICT (batch_id, reference_id) DO UPDATE SET r = comm_result_merge(results_gen.r, excluded.r);
      DELETE FROM results WHERE batch_id(r) = 'load-' || w AND reference_id(r) = (i - 1) || '-20';
      DELETE FROM results_gen WHERE batch_id = 'load-' || w AND reference_id = (i - 1) || '-19';
    END IF;
    COMMIT;
    UPDATE results SET r = comm_result_transition(r, (comm_status_next(coalesce(request_status(r), 'PENDING')))[1 + i % cardinality(comm_status_next(coalesce(request_status(r), 'PENDING')))], '2025-01-17 02:00:00+00', session_id => i)
    WHERE batch_id(r) = 'base' AND reference_id(r) IN (SELECT 'ref' || (w + 2 * ((i * 5 + g) % 1900)) FROM generate_series(0, 4) g)
      AND NOT comm_status_is_terminal(coalesce(request_status(r), 'PENDING'));
    UPDATE results_gen SET r = comm_result_transition(r, (comm_status_next(coalesce(request_status(r), 'PENDING')))[1 + i % cardinality(comm_status_next(coalesce(request_status(r), 'PENDING')))], '2025-01-17 02:00:00+00', session_id => i)
    WHERE batch_id = 'base' AND reference_id IN (SELECT 'ref' || (w + 2 * ((i * 5 + g) % 1900)) FROM generate_series(0, 4) g)
      AND NOT comm_status_is_terminal(coalesce(request_status(r), 'PENDING'));
    UPDATE results_h SET r = comm_result_transition(r, (comm_status_next(coalesce(request_status(r), 'PENDING')))[1 + i % cardinality(comm_status_next(coalesce(request_status(r), 'PENDING')))], '2025-01-17 02:00:00+00')
    WHERE batch_id(r) = 'base' AND reference_id(r) IN (SELECT 'ref' || (w + 2 * ((i * 5 + g) % 1900)) FROM generate_series(0, 4) g)
      AND NOT comm_status_is_terminal(coalesce(request_status(r), 'PENDING'));
    COMMIT;
  END LOOP;
END \$\$;
ANALYZE;
SQL
} | "$PGB/psql" -X -q -v ON_ERROR_STOP=1 -d "$DB" >/dev/null
check_eq "baseline committed on the primary" "4000 4000 4600" \
	"$(rp_q main "$DB" "SELECT (SELECT count(*) FROM results) || ' ' || (SELECT count(*) FROM results_gen) || ' ' || (SELECT count(*) FROM results_h)")"

# ------------------------------------------------------------------ standby
rp_node_dir standby 54330
SDIR=$(rp_dir standby)
if cr_as_pg "$PGB/pg_basebackup" -h "$CR_TMP" -p "$PGPORT" -U "$CR_PGUSER" -D "$SDIR/data" -R -X stream -c fast \
	>"$SDIR/basebackup.log" 2>&1; then
	ok "pg_basebackup -R -X stream"
else
	cat "$SDIR/basebackup.log"
	bad "pg_basebackup failed"
	exit 1
fi
rp_server_start standby -c hot_standby=on
check_eq "the standby is in recovery and streams" "t streaming" \
	"$(rp_q standby "$DB" "SELECT pg_is_in_recovery()") $(rp_wait standby "$DB" "SELECT count(*) = 1 FROM pg_stat_wal_receiver WHERE status = 'streaming'" && echo streaming)"
check_eq "baseline visible on the standby" "4000 4000 4600" \
	"$(rp_q standby "$DB" "SELECT (SELECT count(*) FROM results) || ' ' || (SELECT count(*) FROM results_gen) || ' ' || (SELECT count(*) FROM results_h)")"

# ------------------------------------------------------------------ workload
echo "--- 2 workers for ${RUN_SECONDS}s on the primary; SIGKILL of the standby half-way"
for w in 1 2; do
	"$PGB/psql" -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "CALL work($w, $RUN_SECONDS)" >"$CR_TMP/worker$w.log" 2>&1 &
	WORKERS+=($!)
done
sleep "$(awk "BEGIN{print $RUN_SECONDS/3}")"
check_eq "the standby is replaying the workers' changes" t \
	"$(rp_wait standby "$DB" "SELECT count(*) > 0 FROM results WHERE batch_id(r) LIKE 'load-%'" 10 && echo t)"
PM=$(head -1 "$SDIR/data/postmaster.pid")
CHILDREN=$(ps -o pid= --ppid "$PM" | tr -d ' ' | tr '\n' ' ')
echo "    kill -9 standby postmaster $PM and its $(wc -w <<<"$CHILDREN") children (startup process and WAL receiver among them)"
# shellcheck disable=SC2086 # one pid per word
kill -9 "$PM" $CHILDREN || true   # (a child may have exited already)
for p in $PM $CHILDREN; do
	for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
done
sleep 1
# the killed postmaster left its pid file: pg_ctl start sees the process gone
rp_server_start standby -c hot_standby=on
if grep -qE 'redo starts at|database system was interrupted' "$SDIR/server.log"; then
	ok "standby restarted after SIGKILL and resumed recovery"
else
	bad "no recovery in the standby's log after the restart"
fi
rc_all=0
for p in "${WORKERS[@]}"; do wait "$p" || rc_all=1; done
WORKERS=()
check_eq "both workers finished without an error" "0 " "$rc_all $(grep -h ERROR "$CR_TMP"/worker*.log | head -3 || true)"
check_eq "the workers committed loads, re-ingests, moves and deletes" t \
	"$(rp_q main "$DB" "SELECT count(*) > 100 AND count(*) FILTER (WHERE request_status(r) = 'INITIATED') > 20 FROM results WHERE batch_id(r) LIKE 'load-%'")"

LSN=$(rp_q main "$DB" "SELECT pg_current_wal_lsn()")
if rp_wait standby "$DB" "SELECT pg_last_wal_replay_lsn() >= '$LSN'" 60; then
	ok "the standby caught up to $LSN"
else
	bad "the standby did not catch up to $LSN (at $(rp_q standby "$DB" "SELECT pg_last_wal_replay_lsn()"))"
fi

# ------------------------------------------------------------------ checks
a=$(rp_sums main "$DB" public public)
b=$(rp_sums standby "$DB" public public)
check_eq "same rows in every table and partition: md5 over ::text and over comm_result_send ($(echo "$a" | awk '{s += $2} END {print s}') rows in $(echo "$a" | wc -l) tables)" "$a" "$b"

reports=$(rp_reports_sql)
a=$(rp_q main "$DB" "$reports")
b=$(rp_q standby "$DB" "$reports")
check_eq "the README's reports (batch_report, batch_dashboard, comm_batch_summary, comm_result_latest) agree" "$a" "$b"
check_eq "the standby's counters agree with a recount of the table" "" \
	"$(rp_q standby "$DB" "SELECT batch_id FROM batch_dashboard d FULL JOIN (SELECT batch_id, total, status_counts FROM batch_report) b USING (batch_id)
	                      WHERE d.total IS DISTINCT FROM b.total OR d.status_counts IS DISTINCT FROM b.status_counts")"

rp_check_lookups standby "$DB" standby
rp_check_amcheck standby "$DB" standby

# ------------------------------------------------------------------ failover
echo "--- failover: the primary stops, the standby is promoted"
cr_as_pg "$PGB/pg_ctl" -D "$CR_PGDATA" -m fast -w stop >/dev/null
check_eq "pg_promote()" t "$(rp_q standby "$DB" "SELECT pg_promote(true, 60)")"
check_eq "the promoted standby is out of recovery" f "$(rp_q standby "$DB" "SELECT pg_is_in_recovery()")"
# (ref3808: a baseline row the workers never move, they take ref1 to ref3800)
check_eq "it takes new rows (a merge upsert too) and legal moves through the guard" "3 INITIATED 1" \
	"$(rp_q standby "$DB" "INSERT INTO results (r) $(rp_rows_sql after 3);
	      INSERT INTO results (r) SELECT comm_result('after', 'ref1', '+1 (555) 0000001', '{}', 'INITIATED', attempt_count => 1)
	      ON CONFLICT ((batch_id(r)), (reference_id(r))) DO UPDATE SET r = comm_result_merge(results.r, excluded.r);
	      UPDATE results_gen SET r = comm_result_transition(r, 'INITIATED', '2025-01-18 00:00:00+00') WHERE batch_id = 'base' AND reference_id = 'ref3808';
	      SELECT count(*) || ' ' || max(request_status(r)::text) FILTER (WHERE reference_id(r) = 'ref1') || ' ' ||
	             (SELECT attempt_count(r) FROM results_gen WHERE batch_id = 'base' AND reference_id = 'ref3808') FROM results WHERE batch_id(r) = 'after'")"
err=$("$PGB/psql" -X -q -At -d "$(rp_conn standby "$DB")" -v VERBOSITY=verbose \
	-c "UPDATE results SET r = comm_result(batch_id(r), reference_id(r), 'other@example.com', '{}') WHERE batch_id(r) = 'after' AND reference_id(r) = 'ref2'" 2>&1 || true)
check_eq "its guard rejects an illegal change (23514)" 'ERROR:  23514: target of column "r" cannot change' "$(head -n 1 <<<"$err")"
check_eq "the promoted standby's counters follow the new rows" 3 \
	"$(rp_q standby "$DB" "SELECT total FROM batch_dashboard WHERE batch_id = 'after'")"

if rp_no_crash main standby; then ok "no crash in either server log"; else bad "a server log shows a crash"; fi
finish
