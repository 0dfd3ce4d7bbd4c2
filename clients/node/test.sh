#!/usr/bin/env bash
# Tests of the node-postgres client (clients/node) against a throwaway
# PostgreSQL cluster with the installed comm_result extension. It does not
# build or install the extension (test/run.sh does). Installs node and npm
# with apt only when node is missing, runs "npm ci" only when node_modules is
# missing or older than package-lock.json. The last line is "node client: N
# passed, M failed"; the exit status is non-zero on any failure.
set -euo pipefail

NODE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../test/lib/cluster.sh
source "$NODE_DIR/../../test/lib/cluster.sh"

summary() { echo "node client: $1 passed, $2 failed"; }

if ! command -v node >/dev/null; then
	cr_log "installing nodejs and npm"
	cr_apt_install nodejs npm
fi
# npm writes node_modules/.package-lock.json when it installs: older than
# package-lock.json means a dependency was added or changed since.
if [ ! -d "$NODE_DIR/node_modules" ] ||
	[ "$NODE_DIR/package-lock.json" -nt "$NODE_DIR/node_modules/.package-lock.json" ]; then
	if ! command -v npm >/dev/null; then
		cr_log "installing npm"
		cr_apt_install npm
	fi
	cr_log "npm ci in $NODE_DIR"
	(cd "$NODE_DIR" && npm ci --quiet --no-audit --no-fund) >&2
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
