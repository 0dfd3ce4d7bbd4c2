#!/usr/bin/env bash
# Runs every test of comm_result: builds with -Werror, installs into a
# private installation (test/lib/cluster.sh), starts a throwaway cluster and runs the pg_regress suite (sql_tests/ against
# expected/), the isolation suite (test/isolation/) and the README check.
# Works as root or as a user with sudo on Debian 12 and 13; the server is
# test/lib/cluster.sh's choice (PG_CONFIG, CR_PG_MAJOR, else the installed one).
source "$(dirname "${BASH_SOURCE[0]}")/lib/cluster.sh"

# python3: the README check; ps: test/recovery/crash.sh.  The other suites
# ask for what they need themselves.
cr_require build python3 ps
cr_build_install
cr_cluster_start
cd "$CR_ROOT"

status=0
cr_regress regression "$CR_TMP/regress.log" | tee "$CR_TMP/regress.out" || status=1
cr_tally "$(tail -n 1 "$CR_TMP/regress.out")" || status=1
# README's lifecycle table must say what comm_status_transitions() returns,
# and its client examples must be the ones the clients' tests run.
PGDATABASE=contrib_regression python3 "$CR_ROOT/test/readme_check.py" "$CR_ROOT/README.md" |
	tee "$CR_TMP/readme.log" || status=1
cr_tally "$(tail -n 1 "$CR_TMP/readme.log")" || status=1
# The private installation stays for the suites below (CR_INST), and goes
# with this script.
cr_server_stop

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
	[interrupt]=test/interrupt/run.sh
	[upgrade]=test/upgrade/upgrade.sh
	[standby]=test/replication/standby.sh
	[logical]=test/replication/logical.sh
	[sanitize]=test/sanitize/run.sh
	[packaging]=test/packaging/check.sh
	[python]=clients/python/test.sh
	[node]=clients/node/test.sh
	[sync]=clients/sync/test.sh
	[citus]=test/citus/run.sh
)
# A suite that cannot run here (test/citus/ without Citus installed) says
# "NAME: not run: why" and exits 0; it is listed, not counted.
not_run=()
for name in ${CR_SUITES:-fuzz dump_restore crash interrupt upgrade standby logical sanitize packaging python node sync citus}; do
	[ "$name" = none ] && continue
	suite=${suite_script[$name]:-}
	if [ -z "$suite" ]; then
		echo "unknown suite \"$name\" in CR_SUITES" >&2
		exit 2
	fi
	cr_log "running $suite"
	log=$(mktemp)
	rc=0
	bash "$CR_ROOT/$suite" >"$log" 2>&1 || rc=$?
	[ "$rc" -eq 0 ] || status=1
	line=$(tail -n 1 "$log")
	echo "$line"
	if [ "$rc" -eq 0 ] && [[ "$line" == "$name: not run: "* ]]; then
		not_run+=("$name")
		rm -f "$log"
		continue
	fi
	cr_tally "$line" || status=1
	[ "$status" -eq 0 ] || cat "$log"
	rm -f "$log"
done

echo "all suites: $CR_PASSED passed, $CR_FAILED failed${not_run[*]:+ (not run: ${not_run[*]})}"
exit "$status"
