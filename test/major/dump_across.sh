#!/usr/bin/env bash
# pg_dump on one PostgreSQL major version, pg_restore into the next: the way
# to move a database of comm_result to a new major version with a dump.
#
# For each pair FROM:TO (default 15:17 15:18 17:18), in the roots that
# test/matrix.sh makes (one PostgreSQL version each):
#   in FROM's root  build and install comm_result, fill a database with the
#                   README's recommended schema (test/lib/replication.sh),
#                   loads, merge re-ingests, moves, deletes and large values,
#                   pg_dump -Fc it, and write down its state: extension
#                   version, indexes, triggers, md5 over ::text and over
#                   comm_result_send of every table, the README's reports;
#   in TO's root    build and install comm_result, pg_restore --exit-on-error
#                   the dump (copied across) into a fresh cluster, and check
#                   that state line by line, amcheck on every btree index,
#                   forced look-ups through every index, the guard (an illegal
#                   change rejected, 23514), and the counters after new writes.
#
# Usage (as root: it runs chroot):
#   test/major/dump_across.sh [FROM:TO ...]
#   CR_ROOT_15, CR_ROOT_17, CR_ROOT_18   where each version runs: by default
#                       this machine ("/") for the version it runs (15 on
#                       Debian 12, 17 on Debian 13: test/lib/cluster.sh's
#                       choice), test/matrix.sh's roots for the others
#                       ($CR_ROOTS/pg15-bookworm, pg17-trixie, pg18-sid;
#                       CR_ROOTS=/var/cache/comm_result)
# Each side builds comm_result and installs it into its root's system, or,
# on this machine, into a private installation; the roots must exist
# (test/matrix.sh makes them).  On this machine the dump goes through a
# temporary directory, removed at the end.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"
set -euo pipefail

NAME=dump_across
source "$(dirname "${BASH_SOURCE[0]}")/../lib/checks.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/replication.sh"
# Where the dumps and states go: /build/major-xfer in a root, a temporary
# directory on this machine (CR_XFER, given to the inner runs here).
XFER=${CR_XFER:-/build/major-xfer}

# --------------------------------------------------------------- in a root
inner_start() {
	cr_require build
	if [ "${CR_THROWAWAY_ROOT:-0}" = 1 ]; then
		# a root made for this run (not this machine): install into its system
		cr_build >/dev/null
		make -C "$CR_ROOT" -s PG_CONFIG="$PG_CONFIG" install >/dev/null
		export CR_SYSTEM_INSTALL=1
	else
		cr_build_install >/dev/null
	fi
	cr_cluster_start -c fsync=off
	trap 'rc=$?; checks_aborted "$rc"; rp_cleanup; exit $rc' EXIT
	export PGOPTIONS='-c client_min_messages=warning'
	V=$(rp_q main postgres "SELECT current_setting('server_version')" | cut -d' ' -f1)
}

if [ "${1:-}" = --source ]; then
	NAME="dump_across $CR_PG_MAJOR source"
	inner_start
	"$CR_PGBIN/createdb" app
	rp_fill_sql | "$CR_PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d app >/dev/null
	ok "PostgreSQL $V: the recommended schema filled"
	mkdir -p "$XFER/v$CR_PG_MAJOR"
	"$CR_PGBIN/pg_dump" -Fc -d app -f "$XFER/v$CR_PG_MAJOR/app.dump"
	rp_state main app >"$XFER/v$CR_PG_MAJOR/state"
	echo "$V" >"$XFER/v$CR_PG_MAJOR/version"
	ok "pg_dump -Fc ($(du -k "$XFER/v$CR_PG_MAJOR/app.dump" | cut -f1) kB) and its state ($(wc -l <"$XFER/v$CR_PG_MAJOR/state") lines)"
	finish
	exit
fi

if [ "${1:-}" = --target ]; then
	FROM=$2
	NAME="dump_across $FROM->$CR_PG_MAJOR target"
	inner_start
	label="$(cat "$XFER/from$FROM/version") -> $V"
	"$CR_PGBIN/createdb" -T template0 app
	if out=$("$CR_PGBIN/pg_restore" --exit-on-error -d app "$XFER/from$FROM/app.dump" 2>&1); then
		ok "$label: pg_restore --exit-on-error of the $FROM dump"
	else
		bad "$label: pg_restore: $out"
	fi
	rp_check_moved main app "$label" "$XFER/from$FROM/state"
	if rp_no_crash main; then ok "$label: no crash in the server log"; else bad "$label: the server log shows a crash"; fi
	finish
	exit
fi

# --------------------------------------------------------------- on the host
[ "$(id -u)" -eq 0 ] || { echo "dump_across.sh runs chroot: run it as root" >&2; exit 2; }
rp_pairs "15:17 15:18 17:18" "$@"

HOST_XFER=$(mktemp -d /tmp/comm_result_xfer.XXXXXX)
xfer_of() { if [ "$1" = / ]; then echo "$HOST_XFER"; else echo "$1$XFER"; fi; }
trap 'trap "" INT TERM; rp_proc_unmount; rm -rf "$HOST_XFER"' EXIT
trap 'exit 130' INT TERM
status=0
run() { # ROOT VERSION ARGS: one inner run, its summary line tallied
	local log line rc=0 env=
	log=$(mktemp)
	cr_log "PostgreSQL $2 in $1: dump_across.sh ${*:3}"
	[ "$1" != / ] || env="CR_XFER=$HOST_XFER "
	rp_in_root "$1" comm_result-major "$2" "${env}bash test/major/dump_across.sh ${*:3}" >"$log" 2>&1 || rc=$?
	line=$(tail -n 1 "$log")
	cr_tally "$line" || rc=1
	# the checks' lines; the whole log when something failed
	if [ "$rc" -eq 0 ]; then grep -E '^(ok|FAIL) ' "$log" || true; else status=1; cat "$log"; fi
	rm -f "$log"
}
done_sources=" "
for p in "${pairs[@]}"; do
	from=${p%%:*} to=${p##*:}
	if [[ "$done_sources" != *" $from "* ]]; then
		rm -rf "$(xfer_of "$(rp_root_of "$from")")/v$from"
		run "$(rp_root_of "$from")" "$from" --source
		done_sources+="$from "
	fi
	src=$(xfer_of "$(rp_root_of "$from")")/v$from
	dst=$(xfer_of "$(rp_root_of "$to")")/from$from
	rm -rf "$dst"
	mkdir -p "$dst"
	cp "$src"/* "$dst"/
	run "$(rp_root_of "$to")" "$to" --target "$from"
done
echo "$NAME: $CR_PASSED passed, $CR_FAILED failed"
exit "$status"
