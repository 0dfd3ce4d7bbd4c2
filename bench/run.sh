#!/usr/bin/env bash
# Benchmark comm_result against jsonb and typed-column alternatives.
#
#   bench/run.sh                      # full run: all parts, 200k rows, 3 rounds, 2M rows (memory, parallel)
#   ROWS=50000 ROUNDS=2 MEMROWS=0 bench/run.sh      # quick run, no memory check
#   PART=transitions SKIP_BUILD=1 bench/run.sh      # only the lifecycle workload
#   PART=report SKIP_BUILD=1 bench/run.sh           # only the per-batch report
#
# Environment:
#   PART        all (default), load (load, size, scans, memory: bench.py),
#               today (the same on today's API shape: bench.py --shape today),
#               transitions (guarded updates and upserts: transitions.py) or
#               report (per-batch report, serial and parallel: report.py)
#   ROWS        rows in the benchmark data set          (default 200000)
#   ROUNDS      interleaved rounds                      (default 3)
#   REPS        timed runs of each query per round      (default 7)
#   MEMROWS     rows for the memory check; 0 skips it   (default 2000000)
#   SEED        generator seed                          (default 42)
#   MEMREF=1    also run the memory check on plain jsonb, for reference
#   SKIP_D=1    leave out (d) and do not build the extension (develop a-c)
#   SKIP_BUILD=1  use the comm_result already installed instead of building
#   FILLFACTORS fillfactors of the transition part      (default "100,90";
#               100 carries the targets)
#   UPSERT_FILLFACTORS fillfactors of the upsert        (default "100,90";
#               other than 100 only for the comm_result contenders)
#   UPSERT_CONTENDERS  contenders of the upsert at fillfactor 100
#               (default "p,j,dx,dg"; "p,p0,j,j0,dx,dg" adds the tables
#               without CHECKs)
#   REPORT_BIGROWS  rows of the report part's parallel comparison; 0 skips
#               it (default 2000000; the memory check's file when as big)
#   REPORT_BIG_B=0  leave out the plain-columns reference of that comparison
#   BIG_ROUNDS, BIG_REPS  rounds and timed runs per round of that
#               comparison (default 3 and 5)
#
# Runs as root (the server runs as "postgres") or as a normal user with sudo
# (for "make install").  The throwaway cluster, on a Unix socket in a fresh
# /tmp directory, is stopped and removed on exit, also after a failure.
# Results are printed and written to bench/results.md, one section per part
# (running one part replaces its section and keeps the other).

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../test/lib/cluster.sh
. "$BENCH_DIR/../test/lib/cluster.sh"

ROWS=${ROWS:-200000}
ROUNDS=${ROUNDS:-3}
REPS=${REPS:-7}
MEMROWS=${MEMROWS:-2000000}
SEED=${SEED:-42}
SKIP_D=${SKIP_D:-0}
SKIP_BUILD=${SKIP_BUILD:-0}
PART=${PART:-all}
case "$PART" in
all | load | today | transitions | report) ;;
*)
	echo "run.sh: PART must be all, load, today, transitions or report, not '$PART'" >&2
	exit 2
	;;
esac
if { [ "$PART" = transitions ] || [ "$PART" = report ] || [ "$PART" = today ]; } && [ "$SKIP_D" = 1 ]; then
	echo "run.sh: the $PART part needs comm_result (SKIP_D=1 is for the load part)" >&2
	exit 2
fi

start=$(date +%s)
cr_require build python3
if [ "$SKIP_D" != 1 ] && [ "$SKIP_BUILD" != 1 ]; then
	cr_build_install
fi

# The same settings for every contender.  Durability is off (fsync,
# synchronous_commit) because the cluster is thrown away; checkpoints and
# autovacuum only happen when the bench asks for them; parallel query and
# JIT are off so that the ratios are stable on a small, noisy machine.
SETTINGS=(
	-c shared_buffers=1GB
	-c max_wal_size=8GB
	-c checkpoint_timeout=1h
	-c fsync=off
	-c synchronous_commit=off
	-c autovacuum=off
	-c maintenance_work_mem=256MB
	-c work_mem=64MB
	-c max_parallel_workers_per_gather=0
	-c max_parallel_maintenance_workers=0
	-c jit=off
)
cr_cluster_start "${SETTINGS[@]}"
export PSQL="$CR_PGBIN/psql"
files=$(cr_server_dir)

rc=0
if [ "$PART" = all ] || [ "$PART" = load ]; then
	t0=$(date +%s)
	# The data for N rows is the first N lines of the data for M > N rows, so
	# the memory-check file, when there is one, also provides the main file.
	data=$files/records.jsonl
	if [ "$MEMROWS" -gt 0 ] && [ "$SKIP_D" != 1 ]; then
		memdata=$files/mem.jsonl
		cr_log "generating $MEMROWS records (seed $SEED)"
		python3 "$BENCH_DIR/gen.py" --seed "$SEED" --rows "$MEMROWS" "$memdata"
		if [ "$ROWS" -le "$MEMROWS" ]; then
			head -n "$ROWS" "$memdata" >"$data"
		else
			python3 "$BENCH_DIR/gen.py" --seed "$SEED" --rows "$ROWS" "$data"
		fi
		memargs=(--mem-data "$memdata" --mem-rows "$MEMROWS")
		[ "${MEMREF:-0}" = 1 ] && memargs+=(--mem-ref)
	else
		cr_log "generating $ROWS records (seed $SEED)"
		python3 "$BENCH_DIR/gen.py" --seed "$SEED" --rows "$ROWS" "$data"
		memargs=()
	fi
	chmod 644 "$files"/*.jsonl

	skip=()
	[ "$SKIP_D" = 1 ] && skip=(--skip-d)
	python3 "$BENCH_DIR/bench.py" --data "$data" --seed "$SEED" --rounds "$ROUNDS" --reps "$REPS" \
		--load-avg "$(uptime)" "${memargs[@]}" "${skip[@]}" || rc=$?
	cr_log "load part took $(($(date +%s) - t0)) s"
	# the transitions part starts from an empty cluster either way
	"$PSQL" -X -q -c "DROP TABLE IF EXISTS t_a, t_b, t_b_stage, t_c, t_d, t_mem;" || true
fi

if [ "$PART" = all ] && [ "$SKIP_D" = 1 ]; then
	cr_log "SKIP_D=1: no today part (it needs comm_result)"
elif [ "$PART" = all ] || [ "$PART" = today ]; then
	t0=$(date +%s)
	# Today's endpoint responses: the same records, one batch per line.  Its
	# own database, so that the contenders' objects do not meet the April ones.
	cr_log "generating $ROWS records in today's shape (seed $SEED)"
	python3 "$BENCH_DIR/gen.py" --seed "$SEED" --rows "$ROWS" --as today "$files/today.jsonl"
	chmod 644 "$files"/*.jsonl
	"$PSQL" -X -q -c "DROP DATABASE IF EXISTS bench_today;" -c "CREATE DATABASE bench_today;"
	PGDATABASE=bench_today python3 "$BENCH_DIR/bench.py" --shape today --data "$files/today.jsonl" \
		--seed "$SEED" --rounds "$ROUNDS" --reps "$REPS" --load-avg "$(uptime)" || {
		r=$?
		[ "$rc" -ne 0 ] || rc=$r
	}
	"$PSQL" -X -q -c "DROP DATABASE bench_today;" || true
	cr_log "today part took $(($(date +%s) - t0)) s"
fi

if [ "$PART" = all ] && [ "$SKIP_D" = 1 ]; then
	cr_log "SKIP_D=1: no transitions part (it needs comm_result)"
elif [ "$PART" = all ] || [ "$PART" = transitions ]; then
	t0=$(date +%s)
	# The same requests twice: fresh (pending) and further along (snapshots).
	cr_log "generating $ROWS pending requests and their snapshots (seed $SEED)"
	python3 "$BENCH_DIR/gen.py" --seed "$SEED" --rows "$ROWS" --as pending "$files/pending.jsonl" &
	gen1=$!
	python3 "$BENCH_DIR/gen.py" --seed "$SEED" --rows "$ROWS" --as snapshot "$files/snapshots.jsonl" &
	gen2=$!
	wait "$gen1"
	wait "$gen2"
	chmod 644 "$files"/*.jsonl
	python3 "$BENCH_DIR/transitions.py" --pending "$files/pending.jsonl" \
		--snapshots "$files/snapshots.jsonl" --seed "$SEED" --rounds "$ROUNDS" \
		--fillfactors "${FILLFACTORS:-100,90}" \
		--upsert-fillfactors "${UPSERT_FILLFACTORS:-100,90}" \
		--upsert-contenders "${UPSERT_CONTENDERS:-p,j,dx,dg}" || {
		r=$?
		[ "$rc" -ne 0 ] || rc=$r
	}
	cr_log "transitions part took $(($(date +%s) - t0)) s"
fi

if [ "$PART" = all ] && [ "$SKIP_D" = 1 ]; then
	cr_log "SKIP_D=1: no report part (it needs comm_result)"
elif [ "$PART" = all ] || [ "$PART" = report ]; then
	t0=$(date +%s)
	BIGROWS=${REPORT_BIGROWS:-2000000}
	data=$files/records.jsonl
	bigargs=()
	if [ "$BIGROWS" -gt 0 ]; then
		# The load part's memory-check file, when it is there and as big.
		big=$files/mem.jsonl
		if [ ! -f "$big" ] || [ "$(wc -l <"$big")" -ne "$BIGROWS" ]; then
			big=$files/big.jsonl
			cr_log "generating $BIGROWS records (seed $SEED)"
			python3 "$BENCH_DIR/gen.py" --seed "$SEED" --rows "$BIGROWS" "$big"
		fi
		bigargs=(--big-data "$big" --big-rounds "${BIG_ROUNDS:-3}" --big-reps "${BIG_REPS:-5}")
		[ "${REPORT_BIG_B:-1}" = 0 ] && bigargs+=(--no-big-b)
	fi
	if [ ! -f "$data" ] || [ "$(wc -l <"$data")" -ne "$ROWS" ]; then
		if [ "$BIGROWS" -ge "$ROWS" ]; then
			head -n "$ROWS" "$big" >"$data"
		else
			cr_log "generating $ROWS records (seed $SEED)"
			python3 "$BENCH_DIR/gen.py" --seed "$SEED" --rows "$ROWS" "$data"
		fi
	fi
	chmod 644 "$files"/*.jsonl
	python3 "$BENCH_DIR/report.py" --data "$data" --seed "$SEED" --rounds "$ROUNDS" \
		--reps "$REPS" "${bigargs[@]}" || {
		r=$?
		[ "$rc" -ne 0 ] || rc=$r
	}
	cr_log "report part took $(($(date +%s) - t0)) s"
fi
cr_log "bench took $(($(date +%s) - start)) s"
exit "$rc"
