#!/usr/bin/env bash
# Test comm-result-sync against a local fake of the API (test/fakeapi.py, on
# 127.0.0.1) and a throwaway cluster.
#
# Expects the extension to be built and installed into the private
# installation already (test/run.sh does it; run alone, cr_cluster_start
# builds one); installs python3-psycopg from Debian if /usr/bin/python3
# lacks it.  Last line: "sync: N passed, M failed" (checks).
#   clients/sync/test.sh [TEST ...]     some tests of test/test_*.py only

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../test/lib/cluster.sh
. "$HERE/../../test/lib/cluster.sh"    # sets -euo pipefail

PY=/usr/bin/python3
SUMMARY=$(mktemp /tmp/comm_result_sync.XXXXXX)

# Whatever happens, stop the cluster, then print the summary as the last line.
finish() {
	local rc=$? passed=0 failed=1
	trap - EXIT
	cr_cluster_stop
	if [ -s "$SUMMARY" ]; then read -r passed failed <"$SUMMARY"; fi
	rm -f "$SUMMARY"
	[ "$failed" -eq 0 ] && [ "$rc" -ne 0 ] && failed=$((failed + 1))    # a failure outside the tests
	echo "sync: $passed passed, $failed failed"
	[ "$failed" -eq 0 ] || exit 1
	exit "$rc"
}
trap finish EXIT

cr_require server psycopg

# cr_cluster_start installs its own EXIT trap: put finish back, also when it
# fails, so that the summary line is still printed.
cr_cluster_start || { trap finish EXIT; exit 1; }
trap finish EXIT

export PGDATABASE=cr_sync
"$CR_PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE cr_sync"
"$CR_PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION comm_result"

cr_log "running the comm-result-sync tests with $("$PY" -c 'import psycopg; print("psycopg", psycopg.__version__)')"
cd "$HERE/test"
rc=0 passed=0 failed=0
for file in test_sync.py test_pieces.py; do
	PYTHONDONTWRITEBYTECODE=1 "$PY" "$file" --summary "$SUMMARY" "$@" || rc=1
	read -r p f <"$SUMMARY" || { p=0 f=1; }
	passed=$((passed + p)) failed=$((failed + f))
done
echo "$passed $failed" >"$SUMMARY"
exit "$rc"
