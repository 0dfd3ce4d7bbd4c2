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
exit "$status"
