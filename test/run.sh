#!/usr/bin/env bash
# Runs every test of comm_result: builds with -Werror, installs, starts a
# throwaway cluster and runs the pg_regress suite (sql_tests/ against
# expected/), the isolation suite (test/isolation/) and the README check.
# Works as root or as a user with sudo on Debian 12.
source "$(dirname "${BASH_SOURCE[0]}")/lib/cluster.sh"

cr_ensure_deps
cr_build_install
cr_cluster_start
cd "$CR_ROOT"

status=0
make -s PG_CONFIG="$PG_CONFIG" installcheck 2>&1 | tee "$CR_TMP/regress.log" || status=$?
if [ "$status" -ne 0 ] && [ -f regression.diffs ]; then
	cat regression.diffs
fi
# README's lifecycle table must say what comm_status_transitions() returns.
PGDATABASE=contrib_regression python3 "$CR_ROOT/test/readme_check.py" "$CR_ROOT/README.md" || status=1

if grep -E 'PANIC|TRAP:|terminated by signal' "$CR_TMP/server.log"; then
	echo "the server log shows a crash" >&2
	status=1
fi

total=$(grep -cE '^(not )?ok |^test ' "$CR_TMP/regress.log" || true)
failed=$(grep -cE '^not ok |\.\.\. FAILED' "$CR_TMP/regress.log" || true)
echo "regression: $((total - failed)) passed, $failed failed"
all_passed=$((total - failed))
all_failed=$failed
cr_cluster_stop

# Suites that start their own throwaway clusters, one after the other; each
# ends with a "name: N passed, M failed" line.
# The fuzz suite runs in quick mode with a fixed seed, so that CI is
# repeatable; FUZZ_SEED and FUZZ_N override it (test/fuzz/README.md).
export FUZZ_SEED=${FUZZ_SEED:-20251128} FUZZ_N=${FUZZ_N:-60000}
for suite in test/fuzz/run.sh test/recovery/dump_restore.sh test/recovery/crash.sh \
	test/upgrade/upgrade.sh test/sanitize/run.sh; do
	cr_log "running $suite"
	log=$(mktemp)
	bash "$CR_ROOT/$suite" >"$log" 2>&1 || status=1
	line=$(tail -n 1 "$log")
	echo "$line"
	if [[ "$line" =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		all_passed=$((all_passed + BASH_REMATCH[1]))
		all_failed=$((all_failed + BASH_REMATCH[2]))
	else
		all_failed=$((all_failed + 1))
		status=1
	fi
	[ "$status" -eq 0 ] || cat "$log"
	rm -f "$log"
done

echo "all suites: $all_passed passed, $all_failed failed"
exit "$status"
