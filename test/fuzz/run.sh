#!/usr/bin/env bash
# Fuzz suite for comm_result: starts a throwaway cluster, creates the
# extension in a fresh database, builds the libpq harness (test/fuzz/*.c),
# runs it, then scans the server log for crashes.  Assumes the extension is installed
# (run "make install", or test/run.sh, first).
#
#   test/fuzz/run.sh                 quick mode (CI): FUZZ_N inputs, default 60000
#   FUZZ_N=200000 test/fuzz/run.sh   long mode
#   FUZZ_SEED=123 test/fuzz/run.sh   a given seed (default: derived from the time)
#   FUZZ_START=i FUZZ_N=1 ...        replay input i of a seed
#   FUZZ_HUGE=0 ...                  leave out the fixed 270 MB response (setup_13.c),
#                                    e.g. when replaying one input
# Failing inputs are saved under test/fuzz/failures/ (or $FUZZ_FAILDIR).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"

FUZZ_DIR=$CR_ROOT/test/fuzz
FUZZ_N=${FUZZ_N:-60000}
FUZZ_SEED=${FUZZ_SEED:-$(date +%s)}
FUZZ_START=${FUZZ_START:-0}
FUZZ_FAILDIR=${FUZZ_FAILDIR:-$FUZZ_DIR/failures}

cr_require build libpq

# Build the harness into a temporary directory (nothing is written to the tree
# but test/fuzz/failures/).
BUILD=$(mktemp -d /tmp/comm_result_fuzz.XXXXXX)
PQ_CFLAGS=$(pkg-config --cflags libpq 2>/dev/null || echo "-I$("$PG_CONFIG" --includedir)")
PQ_LIBS=$(pkg-config --libs libpq 2>/dev/null || echo "-L$("$PG_CONFIG" --libdir) -lpq")
cr_log "building the fuzz harness"
cc -O2 -Wall -Wextra -Werror $PQ_CFLAGS -o "$BUILD/fuzz" "$FUZZ_DIR"/*.c $PQ_LIBS

# log_min_messages=log keeps LOG/FATAL/PANIC (crash reports) but not the
# ERRORs the fuzzer provokes by the hundred thousand.
cr_cluster_start -c log_min_messages=log -c log_min_error_statement=panic \
	-c "log_line_prefix='%m [%p] %e '" -c statement_timeout=10s -c max_connections=10
cp "$BUILD/fuzz" "$CR_TMP/fuzz"
rm -rf "$BUILD"

cr_as_pg "$CR_PGBIN/createdb" comm_result_fuzz
export PGDATABASE=comm_result_fuzz
cr_as_pg "$CR_PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION comm_result" >/dev/null

mkdir -p "$FUZZ_FAILDIR"
chmod 777 "$FUZZ_FAILDIR" 2>/dev/null || true
status=0
start=$(date +%s)
# The harness runs examples/load_checked.sql itself (the recipe checks).
huge=
[ "${FUZZ_HUGE:-1}" != 0 ] || huge=--no-huge
"$CR_TMP/fuzz" --seed "$FUZZ_SEED" --n "$FUZZ_N" --start "$FUZZ_START" \
	--faildir "$FUZZ_FAILDIR" --recipe "$CR_ROOT/examples/load_checked.sql" $huge \
	${FUZZ_VERBOSE:+--verbose} || status=$?
cr_log "harness finished in $(( $(date +%s) - start )) s with status $status"

# The harness itself never causes FATAL lines: it connects once, with valid
# settings, and closes the connection cleanly.  So every one of these lines is
# a failure.
if grep -nE 'PANIC|FATAL|TRAP:|terminated by signal|was terminated|server process .* exited' "$CR_TMP/server.log"; then
	echo "the server log shows a crash or a FATAL/PANIC error (seed $FUZZ_SEED)" >&2
	cp "$CR_TMP/server.log" "$FUZZ_FAILDIR/$FUZZ_SEED-server.log" 2>/dev/null || true
	status=1
fi
if [ "$status" -ne 0 ]; then
	echo "FUZZ FAILED: seed $FUZZ_SEED; replay with FUZZ_SEED=$FUZZ_SEED FUZZ_START=<input> FUZZ_N=1 FUZZ_HUGE=0 $0; inputs in $FUZZ_FAILDIR" >&2
	echo "fuzz: 0 passed, 1 failed"
else
	rmdir "$FUZZ_FAILDIR" 2>/dev/null || true
	echo "fuzz: seed $FUZZ_SEED, $FUZZ_N inputs, no failures"
	echo "fuzz: 1 passed, 0 failed"
fi
exit "$status"
