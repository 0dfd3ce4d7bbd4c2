#!/usr/bin/env bash
# One regression run under valgrind memcheck (not run by CI: slow).
#
# Builds and installs the normal extension, starts a throwaway cluster whose
# postmaster runs under valgrind --trace-children=yes (so every backend is
# checked), runs a subset of the regression suite that covers comm_result's
# code paths (input/output, errors, binary recv/send, accessors, lifecycle,
# aggregates, comparisons, TOAST), then summarises the errors per process
# and says which ones have comm_result.so in their stack.
#
#   test/sanitize/valgrind.sh                 the default subset
#   VG_TESTS="input binary" test/sanitize/valgrind.sh
#   VG_TESTS=all test/sanitize/valgrind.sh    the whole regression suite (slow)
#
# Limits: the Debian server is not built with USE_VALGRIND, so memcheck does
# not know palloc chunk boundaries: reads past a palloc'd chunk but inside
# its memory-context block, and use of pfree'd memory, are NOT detected.
# What is detected: use of uninitialised values in conditions and syscalls,
# invalid accesses outside malloc'd blocks, invalid frees.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"

cr_require build valgrind
VG_TESTS=${VG_TESTS:-input input_errors accessors binary constructor comm_status lifecycle batch_summary equality ordering toast}
[ "$VG_TESTS" != all ] || VG_TESTS=
cr_build_install

CR_PGBIN=$(cr_dir bindir)
CR_TMP=$(mktemp -d /tmp/comm_result_vg.XXXXXX)
CR_PGDATA=$CR_TMP/data
trap cr_cluster_stop EXIT
chmod 755 "$CR_TMP"
[ "$(id -u)" -ne 0 ] || chown postgres: "$CR_TMP"
CR_PGUSER=$([ "$(id -u)" -eq 0 ] && echo postgres || id -un)
cr_as_pg "$CR_PGBIN/initdb" -D "$CR_PGDATA" -U "$CR_PGUSER" --auth=trust \
	--encoding=UTF8 --locale=C.UTF-8 >"$CR_TMP/initdb.log" 2>&1
VGLOG=$CR_TMP/vg
cr_as_pg mkdir -p "$VGLOG"
cr_log "starting the postmaster under valgrind (logs in $VGLOG)"
cr_as_pg valgrind --tool=memcheck --trace-children=yes --track-origins=no \
	--read-inline-info=no --leak-check=no --num-callers=30 \
	--suppressions="$CR_ROOT/test/sanitize/valgrind.supp" --gen-suppressions=all \
	--log-file="$VGLOG/%p.log" \
	"$CR_PGBIN/postgres" -D "$CR_PGDATA" -c listen_addresses= \
	-c unix_socket_directories="$CR_TMP" -p 54329 -c jit=off -c autovacuum=off \
	-c max_connections=10 -c max_worker_processes=2 -c max_parallel_workers_per_gather=0 \
	>"$CR_TMP/server.log" 2>&1 &
vgpid=$!
export PGHOST=$CR_TMP PGPORT=54329 PGUSER=$CR_PGUSER PGDATABASE=postgres
for _ in $(seq 300); do "$CR_PGBIN/pg_isready" -q && break; kill -0 "$vgpid" 2>/dev/null || break; sleep 1; done
"$CR_PGBIN/pg_isready" || { cat "$CR_TMP/server.log"; exit 1; }

cd "$CR_ROOT"
start=$(date +%s)
status=0
make -s PG_CONFIG="$PG_CONFIG" installcheck ${VG_TESTS:+REGRESS="$VG_TESTS"} ISOLATION= \
	EXTRA_REGRESS_OPTS="--max-connections=1" 2>&1 | tee "$CR_TMP/regress.log" || status=$?
[ "$status" -eq 0 ] || [ ! -f regression.diffs ] || head -100 regression.diffs
cr_log "regression under valgrind took $(( $(date +%s) - start )) s"
cr_as_pg "$CR_PGBIN/pg_ctl" -D "$CR_PGDATA" -m fast -w -t 300 stop >/dev/null || true

# Summary: errors per process, and which ones involve comm_result.so.
total=0
ours=0
for f in "$VGLOG"/*.log; do
	n=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$f" | tail -n 1)
	total=$((total + ${n:-0}))
done
out=$(mktemp)
# Error blocks ("==pid== <kind>" up to the next blank "==pid== " line) with
# comm_result.so in them.
awk '/^==[0-9]+== [A-Z][a-z]/ {blk=$0; inb=1; next}
     inb && /^==[0-9]+== *$/ {if (blk ~ /comm_result\.so/) print blk "\n"; inb=0; next}
     inb {blk=blk "\n" $0}' "$VGLOG"/*.log >"$out"
ours=$(grep -cE '^==[0-9]+== [A-Z]' "$out" || true)
if [ "$ours" -gt 0 ]; then
	echo "errors with comm_result.so in the stack:"
	cat "$out"
	status=1
fi
rm -f "$out"
echo "valgrind: $total errors reported in all processes (after suppressions), $ours with comm_result.so in the stack; logs in $VGLOG"
cp -r "$VGLOG" "${VG_KEEP:-/tmp}/comm_result_valgrind_logs.$$" 2>/dev/null && echo "copied to ${VG_KEEP:-/tmp}/comm_result_valgrind_logs.$$"
exit "$status"
