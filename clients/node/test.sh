#!/usr/bin/env bash
# Tests of the node-postgres client (clients/node) against a throwaway
# PostgreSQL cluster with the installed comm_result extension. It does not
# build or install the extension (test/run.sh does). Installs nodejs with
# apt when node is missing, and npm when the npm packages are missing, to
# install them with "npm ci". The last line is "node client: N passed, M
# failed"; the exit status is non-zero on any failure.
set -euo pipefail

NODE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../test/lib/cluster.sh
source "$NODE_DIR/../../test/lib/cluster.sh"

summary() { echo "node client: $1 passed, $2 failed"; }

cr_require server node
# npm ci writes node_modules/.package-lock.json last: without it the
# packages are missing or half installed (a failed run is undone, so that
# the next one installs them again); older than package-lock.json means a
# dependency was added or changed since.
if [ ! -f "$NODE_DIR/node_modules/.package-lock.json" ] ||
	[ "$NODE_DIR/package-lock.json" -nt "$NODE_DIR/node_modules/.package-lock.json" ]; then
	cr_require npm
	cr_log "installing the client's npm packages (npm ci in $NODE_DIR)"
	if ! (cd "$NODE_DIR" && npm ci --quiet --no-audit --no-fund) >&2; then
		rm -rf "$NODE_DIR/node_modules"
		echo "comm_result: missing the Node client's npm packages (pg, postgres-array, pg-copy-streams): npm ci failed; connect to the npm registry and run: cd $NODE_DIR && npm ci" >&2
		summary 0 1
		exit 1
	fi
fi

cr_cluster_start

# The extension must be installed in the server; wait a little in case it is
# being reinstalled right now.
ok=
for _ in $(seq 1 30); do
	if psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION comm_result' -c 'DROP EXTENSION comm_result' >/dev/null 2>"$CR_TMP/ext.err"; then
		ok=1
		break
	fi
	sleep 1
done
if [ -z "$ok" ]; then
	cat "$CR_TMP/ext.err" >&2
	cr_log "the comm_result extension cannot be created: install it first (make install, or test/run.sh)"
	summary 0 1
	exit 1
fi

cr_log "node $(node --version): node --test"
tap=$CR_TMP/node-test.tap
rc=0
(cd "$NODE_DIR" && node --test \
	--test-reporter=spec --test-reporter-destination=stderr \
	--test-reporter=tap --test-reporter-destination="$tap" \
	test/) || rc=$?

[ -f "$tap" ] || : >"$tap" # node may fail before writing it
pass=$(sed -n 's/^# pass \([0-9][0-9]*\)$/\1/p' "$tap" | tail -n 1)
fail=$(sed -n 's/^# fail \([0-9][0-9]*\)$/\1/p' "$tap" | tail -n 1)
cancelled=$(sed -n 's/^# cancelled \([0-9][0-9]*\)$/\1/p' "$tap" | tail -n 1)
if [ -z "$pass" ] || [ -z "$fail" ]; then
	cr_log "no test summary from node --test (exit status $rc)"
	summary "${pass:-0}" "$((${fail:-0} + 1))"
	exit 1
fi
fail=$((fail + ${cancelled:-0}))
if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
	cr_log "node --test exited with status $rc"
	fail=1
fi
if [ "$pass" -eq 0 ]; then
	cr_log "no test passed"
	[ "$fail" -gt 0 ] || fail=1
fi
summary "$pass" "$fail"
[ "$fail" -eq 0 ]
