#!/usr/bin/env bash
# Sanitizer run for comm_result ("make sanitize"; CI runs it).
#
# Builds the extension with gcc's AddressSanitizer and UndefinedBehavior-
# Sanitizer (-fsanitize=address,undefined -fno-sanitize-recover=all), installs
# it into a private installation of its own (test/lib/cluster.sh), and runs the regression + isolation suites (make installcheck) and the
# quick fuzz (test/fuzz/run.sh) against a throwaway cluster whose postmaster
# has the ASan runtime in LD_PRELOAD (the Debian server binary is not
# instrumented, so the runtime must be loaded first, before comm_result.so is
# dlopen()ed into a backend).  Every report aborts the backend and is written
# to $SAN_LOGDIR/{asan,ubsan}.<pid>; the run fails if any such file exists,
# if a suite fails, or if a server log shows a crash.  Ends with a line
# "sanitize: N passed, M failed".
#
# At exit (also after a failure) the normal, uninstrumented extension is
# rebuilt in the tree, so that what is built there afterwards is not the
# instrumented library; the private installation goes with the run.
#
#   test/sanitize/run.sh                       FUZZ_N=20000, fixed seed
#   FUZZ_N=60000 FUZZ_SEED=1 test/sanitize/run.sh
#   SAN_KEEP_INSTRUMENTED=1 ...                leave the ASan build in the tree
#   SAN_LOGDIR=/some/dir ...                   where the reports go
#
# No suppression file is used: nothing needed suppressing.  Leak detection is
# off (detect_leaks=0) because the server frees memory by context and at
# process exit, not chunk by chunk, so LeakSanitizer would only report
# PostgreSQL's own allocations.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"

cr_require build asan ubsan

SAN_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -g"
ASAN_RT=$(gcc -print-file-name=libasan.so)
# The real file (libasan.so.8), so that LD_PRELOAD does not depend on the
# development symlink.
ASAN_RT=$(readlink -f "$ASAN_RT")

SAN_LOGDIR=${SAN_LOGDIR:-$(mktemp -d /tmp/comm_result_sanitize.XXXXXX)}
mkdir -p "$SAN_LOGDIR"
chmod 1777 "$SAN_LOGDIR" # the server writes here as postgres
rm -f "$SAN_LOGDIR"/asan.* "$SAN_LOGDIR"/ubsan.*

# Every report is fatal for the backend (abort -> "terminated by signal 6" in
# the server log) and goes to a file named after the process.
ASAN_OPTS="detect_leaks=0:abort_on_error=1:halt_on_error=1:disable_coredump=1"
ASAN_OPTS+=":detect_odr_violation=0:log_path=$SAN_LOGDIR/asan"
UBSAN_OPTS="print_stacktrace=1:halt_on_error=1:abort_on_error=1:log_path=$SAN_LOGDIR/ubsan"
# detect_odr_violation=0: comm_result.so is dlopen()ed into a process whose
# main binary is not instrumented; ODR checking only concerns globals defined
# twice across instrumented modules, which cannot happen with one module, and
# is off to avoid false positives from PostgreSQL's exported symbols.
# The stub works around a startup hang of ASan-preloaded PostgreSQL binaries
# on Debian 12 (see swift_demangle_stub.c).
gcc -shared -fPIC -O2 -Wall -Werror -o "$SAN_LOGDIR/swift_demangle_stub.so" \
	"$CR_ROOT/test/sanitize/swift_demangle_stub.c"
chmod 755 "$SAN_LOGDIR/swift_demangle_stub.so"
export CR_SERVER_ENV="LD_PRELOAD=$ASAN_RT:$SAN_LOGDIR/swift_demangle_stub.so ASAN_OPTIONS=$ASAN_OPTS UBSAN_OPTIONS=$UBSAN_OPTS"

# The instrumented build is installed only in this script's private
# installation; the tree is rebuilt without instrumentation at the end.
restore_normal_build() {
	if [ -n "${SAN_KEEP_INSTRUMENTED:-}" ]; then
		cr_log "leaving the instrumented build in the tree (SAN_KEEP_INSTRUMENTED)"
		return 0
	fi
	cr_log "rebuilding the normal (uninstrumented) extension in the tree"
	(unset COPT; cr_build >/dev/null) >&2 || cr_log "WARNING: could not rebuild the normal build"
}
on_exit() {
	cr_cluster_stop
	restore_normal_build
}
trap on_exit EXIT

start=$(date +%s)
cr_log "building comm_result with $SAN_FLAGS"
COPT="-Werror $SAN_FLAGS" cr_build_install
if ! ldd "$CR_ROOT/comm_result.so" | grep libasan >/dev/null; then
	echo "comm_result.so is not linked against libasan: the build is not instrumented" >&2
	exit 1
fi

status=0

# 1. Regression + isolation suites.  jit=off: JIT is irrelevant to the
# extension and keeps LLVM out of the instrumented processes.
cr_cluster_start -c jit=off
trap on_exit EXIT # cr_cluster_start replaced it
# The ASan runtime really is in the postmaster.
if ! grep -q libasan "/proc/$(head -n 1 "$CR_PGDATA/postmaster.pid")/maps"; then
	echo "the postmaster does not have the ASan runtime loaded (LD_PRELOAD did not reach it)" >&2
	exit 1
fi
cd "$CR_ROOT"
cr_regress sanitize/regression "$SAN_LOGDIR/regress.log" | tee "$SAN_LOGDIR/regress.out" || status=1
cp "$CR_TMP/server.log" "$SAN_LOGDIR/server-regress.log"
cr_tally "$(tail -n 1 "$SAN_LOGDIR/regress.out")" || status=1
cr_server_stop

# 2. Quick fuzz (its own cluster, started through cr_cluster_start, so it
# gets CR_SERVER_ENV too).  Fewer inputs than test/run.sh: ASan is slower.
export FUZZ_SEED=${FUZZ_SEED:-20251128} FUZZ_N=${FUZZ_N:-20000}
export PGOPTIONS="-c jit=off" # libpq passes it to the backend
cr_log "running test/fuzz/run.sh (FUZZ_SEED=$FUZZ_SEED FUZZ_N=$FUZZ_N)"
fs=0
bash "$CR_ROOT/test/fuzz/run.sh" >"$SAN_LOGDIR/fuzz.log" 2>&1 || fs=$?
line=$(tail -n 1 "$SAN_LOGDIR/fuzz.log")
echo "sanitize/$line"
if ! cr_tally "$line" || [ "$fs" -ne 0 ]; then
	cat "$SAN_LOGDIR/fuzz.log"
	status=1
fi

# 3. Sanitizer reports.
reports=$(find "$SAN_LOGDIR" -maxdepth 1 \( -name 'asan.*' -o -name 'ubsan.*' \) | sort)
if [ -n "$reports" ]; then
	for f in $reports; do
		echo "==== $f" >&2
		cat "$f" >&2
	done
	nrep=$(echo "$reports" | wc -l)
	echo "sanitizer reports: $nrep (in $SAN_LOGDIR)" >&2
	CR_FAILED=$((CR_FAILED + 1))
	status=1
else
	echo "sanitizer reports: 0"
	CR_PASSED=$((CR_PASSED + 1))
fi

cr_log "sanitizer run took $(( $(date +%s) - start )) s; logs in $SAN_LOGDIR"
trap - EXIT
on_exit
echo "sanitize: $CR_PASSED passed, $CR_FAILED failed"
exit "$status"
