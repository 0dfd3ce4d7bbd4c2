#!/usr/bin/env bash
# Where a scan of a comm_result table spends its time, against typed
# columns (issue 15).  Prints, for the filter, the accessor scan, the
# GROUP BY and a bare touch of the value: median times in both visibility
# states (interleaved repetition by repetition), perf's cpu-clock profile
# of the backend for the all-visible filter, and cachegrind's instruction
# and simulated cache-miss counts per row in single-user mode.  Layout
# experiments ride along: the value behind a narrow leading column (t_d2),
# typed columns with the status first (t_bs), and for the filter an
# expression index and a partial index on request_status(r).
#
#   bench/profile.sh                 # 100000 rows
#   ROWS=20000 REPS=5 bench/profile.sh      # quick look
#
# perf: this machine (a VM) reports every hardware event as "not
# supported", so the profile uses the cpu-clock software event and cache
# misses come from cachegrind's simulation, which has no hardware
# prefetcher.  Installs linux-perf and valgrind when they are missing.
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../test/lib/cluster.sh
. "$BENCH_DIR/../test/lib/cluster.sh"

ROWS=${ROWS:-100000}
REPS=${REPS:-15}
SEED=${SEED:-42}
cr_require build python3 perf valgrind
[ "${SKIP_BUILD:-0}" = 1 ] || cr_build_install
SETTINGS=(-c shared_buffers=512MB -c fsync=off -c synchronous_commit=off -c autovacuum=off
	-c max_parallel_workers_per_gather=0 -c jit=off -c work_mem=64MB)
cr_cluster_start "${SETTINGS[@]}"
PSQL="$CR_PGBIN/psql"
files=$(cr_server_dir)
python3 "$BENCH_DIR/gen.py" --seed "$SEED" --rows "$ROWS" "$files/r.jsonl"
chmod 644 "$files/r.jsonl"
q() { "$PSQL" -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
# one section of a contender file
section() { awk -v s="-- @$2" '$0 == s {p = 1; next} /^-- @/ {p = 0} p' "$BENCH_DIR/contenders/$1.sql"; }

cr_log "loading $ROWS rows: t_b (typed), t_d (comm_result), t_d2 (int, comm_result), t_bs (typed, status first)"
{
	echo "CREATE EXTENSION comm_result; CREATE EXTENSION pg_visibility;"
	section b once
	for t in b d; do
		section $t setup
		section $t load | sed "s|{{DATA}}|'$files/r.jsonl'|"
	done
	echo "DROP TABLE t_b_stage;"
	echo "CREATE TABLE t_d2 AS SELECT row_number() OVER ()::int AS id, r FROM t_d;"
	echo "CREATE TABLE t_bs AS SELECT request_status, attempt_count, sent_at, batch_id, reference_id, target,"
	echo "  request_variables, call_manager_sid, created_at, session_id, conversation_id FROM t_b;"
	echo "CHECKPOINT; ANALYZE;"
} | q >/dev/null

# name|query; the same work on each table
QUERIES=(
	"d filter|SELECT count(*) FROM t_d WHERE request_status(r) = 'COMPLETED'"
	"b filter|SELECT count(*) FROM t_b WHERE request_status = 'COMPLETED'"
	"d2 filter|SELECT count(*) FROM t_d2 WHERE request_status(r) = 'COMPLETED'"
	"bs filter|SELECT count(*) FROM t_bs WHERE request_status = 'COMPLETED'"
	"d scan|SELECT sum(attempt_count(r)), count(sent_at(r)) FROM t_d"
	"b scan|SELECT sum(attempt_count), count(sent_at) FROM t_b"
	"d group ::text (cast function)|SELECT count(*) FROM (SELECT batch_id(r), request_status(r)::text, count(*) FROM t_d GROUP BY 1, 2) g"
	"d group via out/textin (1.2.0's path)|SELECT count(*) FROM (SELECT batch_id(r), textin(comm_status_out(request_status(r))), count(*) FROM t_d GROUP BY 1, 2) g"
	"d group on the status|SELECT count(*) FROM (SELECT batch_id(r), request_status(r), count(*) FROM t_d GROUP BY 1, 2) g"
	"b group ::text|SELECT count(*) FROM (SELECT batch_id, request_status::text, count(*) FROM t_b GROUP BY 1, 2) g"
	"d touch pg_column_size(r)|SELECT count(*) FROM t_d WHERE pg_column_size(r) = 1"
	"b touch pg_column_size(batch_id)|SELECT count(*) FROM t_b WHERE pg_column_size(batch_id) = 1"
	"b touch pg_column_size(request_status)|SELECT count(*) FROM t_b WHERE pg_column_size(request_status) = 1"
	"d count(*)|SELECT count(*) FROM t_d"
	"b count(*)|SELECT count(*) FROM t_b"
)
q >/dev/null <<'SQL'
CREATE FUNCTION bench_ms(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; BEGIN
    t0 := clock_timestamp(); EXECUTE q; RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;
CREATE TABLE times (state text, name text, ms float8);
SQL

timings() { # STATE
	local sql="SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off;" e r
	for e in "${QUERIES[@]}"; do sql+="SELECT bench_ms(\$q\$${e#*|}\$q\$);"; done # warm-up
	for ((r = 0; r < REPS; r++)); do
		for e in "${QUERIES[@]}"; do
			sql+="INSERT INTO times SELECT '$1', \$n\$${e%%|*}\$n\$, bench_ms(\$q\$${e#*|}\$q\$);"
		done
	done
	q -c "$sql" >/dev/null
}
vis() { q -c "SELECT string_agg(format('%s %s/%s', t, v.all_visible, pg_relation_size(t) / 8192), ', ' ORDER BY t)
	FROM unnest('{t_b,t_bs,t_d,t_d2}'::text[]) t, pg_visibility_map_summary(t::regclass) v;"; }

echo "## profile.sh: $ROWS rows, $REPS interleaved repetitions, $(uptime)"
echo
echo "not all-visible: $(vis)"
timings nv
for t in t_b t_bs t_d t_d2; do
	for _ in 1 2 3; do
		q -c "CHECKPOINT;" -c "VACUUM $t;"
		[ "$(q -c "SELECT all_visible = pg_relation_size('$t') / 8192 FROM pg_visibility_map_summary('$t')")" = t ] && break
	done
done
echo "all-visible: $(vis)"
timings av
echo
echo "| query | not all-visible, ms | all-visible, ms |"
echo "|---|---|---|"
q -F ' | ' -c "SELECT '| ' || name, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE state = 'nv')::numeric, 1),
	round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE state = 'av')::numeric, 1) || ' |'
	FROM times GROUP BY name ORDER BY min(ctid)"
echo
echo "bytes per row (heap only): $(q -c "SELECT string_agg(format('%s %s', t, round(pg_relation_size(t)::numeric / $ROWS, 1)), ', ' ORDER BY t) FROM unnest('{t_b,t_bs,t_d,t_d2}'::text[]) t")"
echo "tuples per page: $(q -c "SELECT string_agg(format('%s %s', t, round($ROWS::numeric / (pg_relation_size(t) / 8192), 1)), ', ' ORDER BY t) FROM unnest('{t_b,t_bs,t_d,t_d2}'::text[]) t")"

# Schema advice for the filter: an expression index, a partial index.
echo
echo "### the filter through an index (all-visible)"
q -c "CREATE INDEX t_d_status ON t_d ((request_status(r))); CREATE INDEX t_d_failed ON t_d ((1)) WHERE request_status(r) = 'FAILED'; CREATE INDEX t_b_status ON t_b (request_status);" -c "VACUUM ANALYZE t_d;" -c "VACUUM ANALYZE t_b;" >/dev/null
for e in "d expression index, COMPLETED|SELECT count(*) FROM t_d WHERE request_status(r) = 'COMPLETED'" \
	"b index, COMPLETED|SELECT count(*) FROM t_b WHERE request_status = 'COMPLETED'" \
	"d expression index, FAILED|SELECT count(*) FROM t_d WHERE request_status(r) = 'FAILED'" \
	"b index, FAILED|SELECT count(*) FROM t_b WHERE request_status = 'FAILED'" \
	"d partial index, FAILED|SELECT count(*) FROM t_d WHERE request_status(r) = 'FAILED'"; do
	pre=""
	# each index alone: the other dropped in a transaction rolled back
	case "$e" in "d expression"*) pre="BEGIN; SET LOCAL enable_seqscan = off; DROP INDEX t_d_failed;" ;; esac
	case "$e" in "d partial"*) pre="BEGIN; SET LOCAL enable_seqscan = off; DROP INDEX t_d_status;" ;; esac
	case "$e" in "b "*) pre="BEGIN; SET LOCAL enable_seqscan = off;" ;; esac
	plan=$(q -c "$pre EXPLAIN (COSTS OFF) ${e#*|}; ROLLBACK;" | sed -n '1p;2p' | tr -s ' ' | paste -sd ' ')
	ms=$(q -c "$pre SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY bench_ms(\$q\$${e#*|}\$q\$)) FROM generate_series(1, $REPS); ROLLBACK;" | tail -1)
	echo "- ${e%%|*}: $(printf '%.2f' "$ms") ms ($plan)"
done

# perf: cpu-clock samples of one backend running the all-visible filter.
profile() { # TABLE QUERY
	local out=$CR_TMP/perf.$1 pid
	q -c "SELECT pg_sleep(1.5) AS profile_$1; $(for _ in $(seq 40); do printf '%s;' "$2"; done)" >/dev/null &
	sleep 0.7
	pid=$(q -c "SELECT pid FROM pg_stat_activity WHERE query LIKE '%profile_$1%' AND pid <> pg_backend_pid()")
	perf record -q -e cpu-clock -F 4000 -p "$pid" -o "$out.data" >/dev/null 2>&1 || true
	wait
	echo
	echo "### perf (cpu-clock), $2"
	perf report -q -i "$out.data" --no-children --sort symbol --percent-limit 2 2>/dev/null |
		sed 's/^ *//; s/ *$//' | head -14 || true
}
profile d "SET enable_indexscan = off; SET enable_bitmapscan = off; SELECT count(*) FROM t_d WHERE request_status(r) = 'COMPLETED'"
profile b "SET enable_indexscan = off; SET enable_bitmapscan = off; SELECT count(*) FROM t_b WHERE request_status = 'COMPLETED'"
# (perf annotate finds nothing by name: Debian's postgres is stripped of
# static symbols, so the inlined slot_deform_heap_tuple is a bare address;
# disassemble the top address with objdump -d --start-address=... instead.)

# cachegrind in single-user mode (the server stopped): the query run 3
# times minus run once = 2 runs, so start-up and first reads cancel out.
cr_as_pg "$CR_PGBIN/pg_ctl" -D "$CR_PGDATA" -m fast -w stop >/dev/null
cg() { # N QUERY -> "Ir D1mr+D1mw LLmr+LLmw"
	local f=$CR_TMP/cg.out i sql="SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off;"
	for ((i = 0; i < $1; i++)); do sql+="$2;"$'\n'; done
	echo "$sql" | cr_as_pg valgrind --tool=cachegrind --cache-sim=yes --cachegrind-out-file=/dev/null \
		"$CR_PGBIN/postgres" --single -D "$CR_PGDATA" -c shared_buffers=512MB -c jit=off -c work_mem=64MB postgres >/dev/null 2>"$f" || true
	awk '/I *refs:/ {gsub(",", "", $4); ir = $4} /D1  misses:/ {gsub(",", "", $4); d1 = $4}
		/LLd misses:/ {gsub(",", "", $4); ll = $4} END {print ir, d1, ll}' "$f"
}
echo
echo "### cachegrind, per row (2 runs of the query, 3 minus 1; simulated caches, no prefetch)"
echo
echo "| query | instructions / row | D1 misses / row | LL data misses / row |"
echo "|---|---|---|---|"
for e in "d filter|SELECT count(*) FROM t_d WHERE request_status(r) = 'COMPLETED'" \
	"b filter|SELECT count(*) FROM t_b WHERE request_status = 'COMPLETED'" \
	"d group ::text|SELECT count(*) FROM (SELECT batch_id(r), request_status(r)::text, count(*) FROM t_d GROUP BY 1, 2) g" \
	"d group out/textin|SELECT count(*) FROM (SELECT batch_id(r), textin(comm_status_out(request_status(r))), count(*) FROM t_d GROUP BY 1, 2) g" \
	"b group ::text|SELECT count(*) FROM (SELECT batch_id, request_status::text, count(*) FROM t_b GROUP BY 1, 2) g" \
	"d count(*)|SELECT count(*) FROM t_d" "b count(*)|SELECT count(*) FROM t_b"; do
	read -r i1 d1 l1 <<<"$(cg 1 "${e#*|}")"
	read -r i3 d3 l3 <<<"$(cg 3 "${e#*|}")"
	awk -v n="${e%%|*}" -v r="$ROWS" -v i="$((i3 - i1))" -v d="$((d3 - d1))" -v l="$((l3 - l1))" \
		'BEGIN {printf "| %s | %.0f | %.2f | %.2f |\n", n, i / 2 / r, d / 2 / r, l / 2 / r}'
done
