#!/usr/bin/env bash
# The checked load against comm_results (issue 18: "on an all-valid
# response it must be as fast as comm_results, within 5 %"): the same
# responses of today's shape (bench/gen.py --as today, one JSON array per
# batch, about 2,000 records each) staged as text, then read by
#   comm_results(body, batch_id)          the value per element, first error raises
#   comm_results_checked(body, batch_id)  a row per element, nothing lost
# repetition by repetition in alternating order, on an all-visible table,
# for each size in SIZES (100,000 records fit this machine's 32 MiB L3 cache
# as staged text, 400,000 do not).  Also, for information, the checked load
# of the same responses with one element in a hundred made invalid.
#
#   bench/checked.sh                     SIZES="100000 400000" ROUNDS=3 REPS=5
#
# Prints a table of medians, the ratio of the medians checked / comm_results,
# and the median of the ratios of each pair (the two loads back to back),
# which the machine's other work moves least: the target (<= 1.05) is
# checked on it, PASS or FAIL.  With CALLGRIND=1 it also counts the
# instructions each load takes (valgrind's callgrind, on the server in
# single-user mode): the same for the same binary and data whatever else the
# machine is doing, where the wall-clock medians of a shared machine are not.
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../test/lib/cluster.sh
. "$BENCH_DIR/../test/lib/cluster.sh"

SIZES=${SIZES:-100000 400000}
ROUNDS=${ROUNDS:-3}
REPS=${REPS:-5}
SEED=${SEED:-42}
CALLGRIND=${CALLGRIND:-0}
CALLGRIND_SIZES=${CALLGRIND_SIZES:-100000}   # under valgrind a load takes about 50 times as long
cr_require build python3
[ "$CALLGRIND" = 0 ] || cr_require valgrind
[ "${SKIP_BUILD:-0}" = 1 ] || cr_build_install
cr_cluster_start -c shared_buffers=1GB -c fsync=off -c synchronous_commit=off -c autovacuum=off \
	-c work_mem=256MB -c max_parallel_workers_per_gather=0 -c jit=off
PSQL="$CR_PGBIN/psql"
files=$(cr_server_dir)
q() { "$PSQL" -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
q -c "CREATE EXTENSION comm_result; CREATE EXTENSION pg_visibility;
CREATE FUNCTION bench_ms(q text, OUT ms float8, OUT res text) LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz; BEGIN
    t0 := clock_timestamp(); EXECUTE q INTO res;
    ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
END \$\$;"

# Instructions of one query, run by the server in single-user mode under
# callgrind (the cluster is stopped meanwhile).
instructions() {
	local out
	cr_as_pg "$CR_PGBIN/pg_ctl" -D "$CR_PGDATA" -m fast -w stop >/dev/null
	out=$(echo "$1" | cr_as_pg valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		"$CR_PGBIN/postgres" --single -D "$CR_PGDATA" -c jit=off postgres 2>&1)
	cr_server_start -c shared_buffers=1GB -c fsync=off -c synchronous_commit=off -c autovacuum=off \
		-c work_mem=256MB -c max_parallel_workers_per_gather=0 -c jit=off
	sed -n 's/.*Collected : \([0-9]*\).*/\1/p' <<<"$out"
}

median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

echo "## checked.sh: $(q -c "SELECT extversion FROM pg_extension WHERE extname = 'comm_result'") on $(q -c "SELECT version()" | cut -d' ' -f1-2); rounds $ROUNDS x $REPS; $(uptime | sed 's/.*load/load/')"
echo
echo "| records | responses | MB of text | comm_results | comm_results_checked | checked / comm_results, medians | paired | target (paired) | | checked, 1 % invalid [info] |"
echo "|---|---|---|---|---|---|---|---|---|---|"
status=0
counts=()
for n in $SIZES; do
	python3 "$BENCH_DIR/gen.py" --seed "$SEED" --rows "$n" --as today "$files/today.txt"
	chmod 644 "$files/today.txt"
	q -c "SET client_min_messages = warning; DROP TABLE IF EXISTS bodies, bad_bodies;
	      CREATE TABLE bodies (batch_id text, body text);
	      COPY bodies FROM '$files/today.txt' WITH (FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x01');
	      -- one element in a hundred spoiled (a phone target gets an x in front)
	      CREATE TABLE bad_bodies AS
	      SELECT batch_id, (SELECT '[' || string_agg(CASE WHEN o % 100 = 7 THEN replace(e::text, '\"target\": \"', '\"target\": \"x')
	                                                  ELSE e::text END, ',' ORDER BY o) || ']'
	                        FROM jsonb_array_elements(body::jsonb) WITH ORDINALITY x(e, o)) AS body
	      FROM bodies;" -c "VACUUM (FREEZE, ANALYZE) bodies, bad_bodies;"
	check=$(q -c "SELECT (SELECT count(*) FROM bodies, comm_results(body, batch_id)) = (SELECT count(result) FROM bodies, comm_results_checked(body, batch_id))
	                     AND (SELECT count(*) FROM bodies, comm_results_checked(body, batch_id)) = $n")
	[ "$check" = t ] || { echo "the two loads disagree on $n records" >&2; exit 1; }
	responses=$(q -c "SELECT count(*) FROM bodies")
	mb=$(q -c "SELECT round(sum(octet_length(body)) / 1048576.0, 1) FROM bodies")
	plain=() checked=() bad=() pairs=()
	for ((r = 0; r < ROUNDS; r++)); do
		for ((i = 0; i < REPS; i++)); do
			if (((r + i) % 2)); then order="c p"; else order="p c"; fi
			for w in $order; do
				if [ "$w" = p ]; then
					plain+=("$(q -c "SELECT ms FROM bench_ms('SELECT count(*) FROM bodies, comm_results(body, batch_id)')")")
				else
					checked+=("$(q -c "SELECT ms FROM bench_ms('SELECT count(result) FROM bodies, comm_results_checked(body, batch_id)')")")
				fi
			done
			# the two of a pair ran back to back: what the machine's other
			# work does to them it does to both alike
			pairs+=("$(awk -v a="${checked[-1]}" -v b="${plain[-1]}" 'BEGIN {printf "%.4f", a / b}')")
			bad+=("$(q -c "SELECT ms FROM bench_ms('SELECT count(result) FROM bad_bodies, comm_results_checked(body, batch_id)')")")
		done
	done
	mp=$(printf '%s\n' "${plain[@]}" | median)
	mc=$(printf '%s\n' "${checked[@]}" | median)
	mb_bad=$(printf '%s\n' "${bad[@]}" | median)
	ratio=$(awk -v a="$mc" -v b="$mp" 'BEGIN {printf "%.3f", a / b}')
	paired=$(printf '%s\n' "${pairs[@]}" | median)
	paired=$(awk -v r="$paired" 'BEGIN {printf "%.3f", r}')
	verdict=PASS
	awk -v r="$paired" 'BEGIN {exit !(r <= 1.05)}' || { verdict=FAIL; status=1; }
	printf '| %s | %s | %s | %.0f ms | %.0f ms | %s | %s | <= 1.05 | %s | %.0f ms |\n' \
		"$n" "$responses" "$mb" "$mp" "$mc" "$ratio" "$paired" "$verdict" "$mb_bad"
	if [ "$CALLGRIND" != 0 ] && [[ " $CALLGRIND_SIZES " == *" $n "* ]]; then
		ip=$(instructions "SELECT count(*) FROM bodies, comm_results(body, batch_id);")
		ic=$(instructions "SELECT count(result) FROM bodies, comm_results_checked(body, batch_id);")
		counts+=("$(printf '| %s | %s | %s | %s |' "$n" "$ip" "$ic" \
			"$(awk -v a="$ic" -v b="$ip" 'BEGIN {printf "%.4f", a / b}')")")
	fi
done
if [ "${#counts[@]}" -gt 0 ]; then
	echo
	echo "| records | instructions, comm_results | instructions, comm_results_checked | ratio |"
	echo "|---|---|---|---|"
	printf '%s\n' "${counts[@]}"
fi
exit "$status"
