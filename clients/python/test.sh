#!/usr/bin/env bash
# Test the Python client (comm_result_psycopg) against a throwaway cluster.
#
# Expects the extension to be installed already (test/run.sh builds and
# installs it); installs python3-psycopg from Debian if /usr/bin/python3
# lacks it.  Last line: "python client: N passed, M failed" (test cases).

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../test/lib/cluster.sh
. "$HERE/../../test/lib/cluster.sh"    # sets -euo pipefail

PY=/usr/bin/python3
SUMMARY=$(mktemp /tmp/comm_result_py.XXXXXX)

# Whatever happens, stop the cluster, then print the summary as the last line.
finish() {
	local rc=$? passed=0 failed=1
	trap - EXIT
	cr_cluster_stop
	if [ -s "$SUMMARY" ]; then read -r passed failed <"$SUMMARY"; fi
	rm -f "$SUMMARY"
	[ "$failed" -eq 0 ] && [ "$rc" -ne 0 ] && failed=1    # a failure outside the tests
	echo "python client: $passed passed, $failed failed"
	[ "$failed" -eq 0 ] || exit 1
	exit "$rc"
}
trap finish EXIT

cr_require server psycopg

# cr_cluster_start installs its own EXIT trap: put finish back, also when it
# fails, so that the summary line is still printed.
cr_cluster_start || { trap finish EXIT; exit 1; }
trap finish EXIT

export PGDATABASE=cr_python
"$CR_PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE cr_python"
# Another build may be reinstalling the extension's files right now: retry.
for i in $(seq 30); do
	err=$("$CR_PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION comm_result" 2>&1) && break
	[ "$i" -lt 30 ] || { echo "$err" >&2; exit 1; }
	sleep 2
done

cr_log "running the Python client tests with $("$PY" -c 'import psycopg; print("psycopg", psycopg.__version__)')"
cd "$HERE" || exit 1
PYTHONDONTWRITEBYTECODE=1 "$PY" test_comm_result_psycopg.py --summary "$SUMMARY"
