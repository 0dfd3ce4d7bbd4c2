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
regress_status=0
make -s PG_CONFIG="$PG_CONFIG" installcheck 2>&1 | tee "$CR_TMP/regress.log" || regress_status=$?
if [ "$regress_status" -ne 0 ]; then
	status=1
	[ ! -f regression.diffs ] || cat regression.diffs
fi
# README's lifecycle table must say what comm_status_transitions() returns,
# and its client examples must be the ones the clients' tests run.
PGDATABASE=contrib_regression python3 "$CR_ROOT/test/readme_check.py" "$CR_ROOT/README.md" |
	tee "$CR_TMP/readme.log" || status=1

total=$(grep -cE '^(not )?ok |^test ' "$CR_TMP/regress.log" || true)
failed=$(grep -cE '^not ok |\.\.\. FAILED' "$CR_TMP/regress.log" || true)
# pg_regress can stop before listing a failure (a missing expected file).
if [ "$regress_status" -ne 0 ] && [ "$failed" -eq 0 ]; then
	failed=1
fi
if grep -E 'PANIC|TRAP:|terminated by signal' "$CR_TMP/server.log"; then
	echo "the server log shows a crash" >&2
	status=1
	failed=$((failed + 1))
	total=$((total + 1))
fi
echo "regression: $((total - failed)) passed, $failed failed"
all_passed=$((total - failed))
all_failed=$failed
if [[ "$(tail -n 1 "$CR_TMP/readme.log")" =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
	all_passed=$((all_passed + BASH_REMATCH[1]))
	all_failed=$((all_failed + BASH_REMATCH[2]))
else
	all_failed=$((all_failed + 1))
fi
cr_cluster_stop

# Suites that start their own throwaway clusters, one after the other; each
# ends with a "name: N passed, M failed" line.
# The fuzz suite runs in quick mode with a fixed seed, so that CI is
# repeatable; FUZZ_SEED and FUZZ_N override it (test/fuzz/README.md).
export FUZZ_SEED=${FUZZ_SEED:-20251128} FUZZ_N=${FUZZ_N:-60000}
# CR_SUITES picks some of them by name (test/matrix.sh runs a subset in its
# PostgreSQL 17 and 18 roots); "none" runs only the regression part.
declare -A suite_script=(
	[fuzz]=test/fuzz/run.sh
	[dump_restore]=test/recovery/dump_restore.sh
	[crash]=test/recovery/crash.sh
	[upgrade]=test/upgrade/upgrade.sh
	[sanitize]=test/sanitize/run.sh
	[packaging]=test/packaging/check.sh
	[python]=clients/python/test.sh
	[node]=clients/node/test.sh
)
for name in ${CR_SUITES:-fuzz dump_restore crash upgrade sanitize packaging python node}; do
	[ "$name" = none ] && continue
	suite=${suite_script[$name]:-}
	if [ -z "$suite" ]; then
		echo "unknown suite \"$name\" in CR_SUITES" >&2
		exit 2
	fi
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
