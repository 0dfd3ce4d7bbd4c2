#!/usr/bin/env bash
# 1.1 against this tree, interleaved in one cluster: the 1.1 release (git
# archive 9d5ef02, or OLD_SRC) is built as a renamed copy, extension
# comm_result_v11 with library comm_result_v11.so, in database v11; this
# tree's comm_result in database v12.  A backend serves one database, so
# each loads only its own library.  Loads (COPY + unique index) alternate
# database by database, then the April scans alternate repetition by
# repetition; every query's result must be the same in both.
#
#   OLD_SRC=/path/to/1.1/tree bench/versions.sh     # ROWS (200000), ROUNDS (3), REPS (7)
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../test/lib/cluster.sh
. "$BENCH_DIR/../test/lib/cluster.sh"
ROWS=${ROWS:-200000}
ROUNDS=${ROUNDS:-3}
REPS=${REPS:-7}
SEED=${SEED:-42}
OLD_SRC=${OLD_SRC:?set OLD_SRC to a tree of the 1.1 release, e.g. git archive 9d5ef02 | tar -x -C DIR}
cr_require build python3
[ "${SKIP_BUILD:-0}" = 1 ] || cr_build_install
cr_use_install
# 1.1 goes into this script's private installation beside this tree's build
[ -n "$CR_INST_MINE" ] || cr_private_install "$CR_INST"
old=$(mktemp -d)
cp -a "$OLD_SRC"/. "$old"
(
	cd "$old" || exit 1
	sed -i 's/^EXTENSION = comm_result$/EXTENSION = comm_result_v11/; s/^MODULE_big = comm_result$/MODULE_big = comm_result_v11/; s|sql/comm_result--|sql/comm_result_v11--|' Makefile
	# shellcheck disable=SC2016 # $libdir is literal text of the control file
	sed 's|\$libdir/comm_result|$libdir/comm_result_v11|' comm_result.control >comm_result_v11.control
	rm comm_result.control
	for f in sql/comm_result--*.sql; do mv "$f" "${f/comm_result--/comm_result_v11--}"; done
	make -s clean >/dev/null 2>&1 || true
	make -s PG_CONFIG="$PG_CONFIG" >/dev/null
	make -s PG_CONFIG="$PG_CONFIG" DESTDIR="$CR_INST" install >/dev/null
)
rm -rf "$old"
cr_cluster_start -c shared_buffers=1GB -c max_wal_size=8GB -c checkpoint_timeout=1h -c fsync=off \
	-c synchronous_commit=off -c autovacuum=off -c maintenance_work_mem=256MB -c work_mem=64MB \
	-c max_parallel_workers_per_gather=0 -c max_parallel_maintenance_workers=0 -c jit=off
PSQL="$CR_PGBIN/psql"
files=$(cr_server_dir)
python3 "$BENCH_DIR/gen.py" --seed "$SEED" --rows "$ROWS" "$files/r.jsonl"
chmod 644 "$files/r.jsonl"
q() { "$PSQL" -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
for db in v11 v12; do
	q -c "CREATE DATABASE $db"
	ext=comm_result
	[ "$db" = v11 ] && ext=comm_result_v11
	q -d "$db" -c "CREATE EXTENSION $ext; CREATE EXTENSION pg_visibility;
	CREATE FUNCTION bench_ms(q text, OUT ms float8, OUT res text) LANGUAGE plpgsql AS \$\$
	DECLARE t0 timestamptz; BEGIN
	    t0 := clock_timestamp(); EXECUTE 'SELECT x::text FROM (' || q || ') x' INTO res;
	    ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
	END \$\$;"
done
echo "## versions.sh: comm_result $(q -d v11 -A -t -c "SELECT extversion FROM pg_extension WHERE extname = 'comm_result_v11'") (v11) against $(q -d v12 -A -t -c "SELECT extversion FROM pg_extension WHERE extname = 'comm_result'") (v12), $ROWS rows, $ROUNDS rounds, $REPS repetitions; $(uptime)"
QUERIES=(
	"status filter|SELECT count(*) FROM t_d WHERE request_status(r) = 'COMPLETED'::comm_status"
	"accessor scan|SELECT sum(attempt_count(r)), count(sent_at(r)) FROM t_d"
	"GROUP BY batch_id, request_status::text|SELECT count(*), sum(n) FROM (SELECT batch_id(r), request_status(r)::text, count(*) AS n FROM t_d GROUP BY 1, 2) g"
	"batch report|SELECT count(*), md5(string_agg(s::text, ',' ORDER BY b)) FROM (SELECT batch_id(r) AS b, comm_batch_summary(r) AS s FROM t_d GROUP BY 1) g"
	"equality and hash (count DISTINCT r)|SELECT count(DISTINCT r) FROM t_d"
	"text output|SELECT sum(length(r::text)) FROM t_d"
)
declare -A T
for ((rnd = 1; rnd <= ROUNDS; rnd++)); do
	order=(v11 v12)
	[ $((rnd % 2)) = 0 ] && order=(v12 v11)
	for db in "${order[@]}"; do
		q -d "$db" -c "DROP TABLE IF EXISTS t_d; CREATE TABLE t_d (r comm_result NOT NULL);" -c "CHECKPOINT;"
		ms=$(q -d "$db" -c "CREATE TEMP TABLE t0 AS SELECT clock_timestamp() AS t;
			COPY t_d (r) FROM '$files/r.jsonl' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
			CREATE UNIQUE INDEX t_d_key ON t_d ((batch_id(r)), (reference_id(r)));
			SELECT extract(epoch FROM clock_timestamp() - t) * 1000 FROM t0;")
		T[$db,load]+="$ms "
		q -d "$db" -c "CHECKPOINT;" -c "VACUUM ANALYZE t_d;"
		T[$db,bytes]=$(q -d "$db" -c "SELECT round(pg_total_relation_size('t_d')::numeric / $ROWS, 1)")
		T[$db,vis]=$(q -d "$db" -c "SELECT all_visible || '/' || pg_relation_size('t_d') / 8192 FROM pg_visibility_map_summary('t_d')")
	done
	for e in "${QUERIES[@]}"; do
		for db in "${order[@]}"; do q -d "$db" -c "SELECT * FROM bench_ms(\$q\$${e#*|}\$q\$)" >/dev/null; done
		for ((r = 0; r < REPS; r++)); do
			for db in "${order[@]}"; do
				IFS='|' read -r ms res <<<"$(q -d "$db" -F '|' -c "SET enable_indexscan = off; SET enable_bitmapscan = off; SELECT * FROM bench_ms(\$q\$${e#*|}\$q\$)")"
				T[$db,${e%%|*}]+="$ms "
				T[$db,res,${e%%|*}]=$res
			done
		done
	done
done
med() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
echo
echo "all-visible pages after VACUUM: v11 ${T[v11,vis]}, v12 ${T[v12,vis]}; bytes per row: v11 ${T[v11,bytes]}, v12 ${T[v12,bytes]}"
echo
echo "| measure | 1.1 | this tree | this / 1.1 | paired | same results |"
echo "|---|---|---|---|---|---|"
for k in load "${QUERIES[@]}"; do
	k=${k%%|*}
	a=$(med <<<"${T[v11,$k]}")
	b=$(med <<<"${T[v12,$k]}")
	same=–
	[ "$k" = load ] || { [ "${T[v11,res,$k]}" = "${T[v12,res,$k]}" ] && same=yes || same="NO: ${T[v11,res,$k]} / ${T[v12,res,$k]}"; }
	# paired: the median of this / 1.1 in the same repetition
	p=$(paste -d ' ' <(tr ' ' '\n' <<<"${T[v11,$k]}" | grep .) <(tr ' ' '\n' <<<"${T[v12,$k]}" | grep .) |
		awk '{print $2 / $1}' | med)
	awk -v k="$k" -v a="$a" -v b="$b" -v p="$p" -v s="$same" 'BEGIN {printf "| %s | %.1f ms | %.1f ms | %.2f | %.2f | %s |\n", k, a, b, b / a, p, s}'
done
