# Shared shell helpers: install build dependencies, build and install the
# extension, and run a throwaway PostgreSQL cluster.
#
# Source this file from bash.  The cluster listens only on a Unix socket in
# a fresh temporary directory and is stopped on exit, even after a failure.
# As root, the server runs as the "postgres" user, because PostgreSQL
# refuses to run as root.

set -euo pipefail

CR_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CR_PG_MAJOR=${CR_PG_MAJOR:-15}
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/$CR_PG_MAJOR/bin/pg_config}

cr_log() { printf '==> %s\n' "$*" >&2; }

# Run a command with root privileges (directly as root, else through sudo).
cr_as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Run a command as the user that owns the cluster.
cr_as_pg() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Install Debian packages (the package lists are refreshed first).
cr_apt_install() {
	cr_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
	cr_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

# Install what the build and the tests need, only when it is missing.
cr_ensure_deps() {
	local pkgs=()
	[ -x "$PG_CONFIG" ] && [ -f "$("$PG_CONFIG" --pgxs 2>/dev/null || echo /nonexistent)" ] ||
		pkgs+=("postgresql-server-dev-$CR_PG_MAJOR")
	[ -x "/usr/lib/postgresql/$CR_PG_MAJOR/bin/initdb" ] || pkgs+=("postgresql-$CR_PG_MAJOR")
	command -v make >/dev/null || pkgs+=(make)
	command -v gcc >/dev/null || pkgs+=(gcc)
	command -v python3 >/dev/null || pkgs+=(python3)
	if [ "${#pkgs[@]}" -gt 0 ]; then
		cr_log "installing ${pkgs[*]}"
		cr_apt_install "${pkgs[@]}"
	fi
}

# Build with every warning fatal, then install into the server's directories.
# "make -k" goes on after a file fails, so that every warning is listed; the
# count is printed as "build warnings: N" (test/matrix.sh reads it).
cr_build_install() {
	local log rc=0
	cr_log "building comm_result against $("$PG_CONFIG" --version) with $(gcc -dumpfullversion 2>/dev/null || echo gcc)"
	make -C "$CR_ROOT" -s clean >/dev/null
	log=$(mktemp)
	make -C "$CR_ROOT" -s -k PG_CONFIG="$PG_CONFIG" COPT="${COPT:--Werror}" >"$log" 2>&1 || rc=$?
	cat "$log" >&2
	echo "build warnings: $(grep -cE 'warning:|\[-Werror' "$log" || true)"
	rm -f "$log"
	[ "$rc" -eq 0 ] || return "$rc"
	cr_as_root make -C "$CR_ROOT" -s PG_CONFIG="$PG_CONFIG" install
}

cr_cluster_stop() {
	if [ -n "${CR_PGDATA:-}" ] && [ -f "$CR_PGDATA/postmaster.pid" ]; then
		cr_as_pg "$CR_PGBIN/pg_ctl" -D "$CR_PGDATA" -m fast -w -t 60 stop >/dev/null 2>&1 ||
			cr_as_pg "$CR_PGBIN/pg_ctl" -D "$CR_PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	if [ -n "${CR_TMP:-}" ] && [ -d "$CR_TMP" ]; then
		rm -rf "$CR_TMP"
	fi
	CR_PGDATA=
	CR_TMP=
}

# Start a cluster; extra arguments are "-c name=value" server settings.
# Exports PGHOST, PGPORT, PGUSER and PGDATABASE for psql and pg_regress.
# CR_SERVER_ENV, if set, is a space-separated list of NAME=value words put
# into the postmaster's environment (test/sanitize/ uses it for LD_PRELOAD
# and ASAN_OPTIONS); values cannot contain spaces.
cr_cluster_start() {
	CR_PGBIN=$("$PG_CONFIG" --bindir)
	CR_TMP=$(mktemp -d /tmp/comm_result.XXXXXX)
	trap cr_cluster_stop EXIT
	trap 'exit 130' INT TERM
	chmod 755 "$CR_TMP"
	CR_PGDATA=$CR_TMP/data
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$CR_TMP"
		CR_PGUSER=postgres
	else
		CR_PGUSER=$(id -un)
	fi
	cr_log "starting a throwaway cluster in $CR_TMP"
	cr_as_pg "$CR_PGBIN/initdb" -D "$CR_PGDATA" -U "$CR_PGUSER" --auth=trust \
		--encoding=UTF8 --locale=C.UTF-8 >"$CR_TMP/initdb.log" 2>&1 || {
		cat "$CR_TMP/initdb.log" >&2
		return 1
	}
	cr_server_start "$@" || {
		cat "$CR_TMP/server.log" >&2
		return 1
	}
	export PGHOST=$CR_TMP PGPORT=54329 PGUSER=$CR_PGUSER PGDATABASE=postgres
}

# (Re)start the server of the cluster cr_cluster_start made, with the same
# socket, port and environment; arguments as for cr_cluster_start.
cr_server_start() {
	# shellcheck disable=SC2086 # CR_SERVER_ENV is split into words on purpose
	cr_as_pg env ${CR_SERVER_ENV:-} "$CR_PGBIN/pg_ctl" -D "$CR_PGDATA" -w -t 120 -l "$CR_TMP/server.log" \
		-o "-c listen_addresses='' -c unix_socket_directories='$CR_TMP' -p 54329 $*" start >/dev/null
}

# A directory the server can read and write, for server-side COPY files.
cr_server_dir() {
	local d=$CR_TMP/files
	cr_as_pg mkdir -p "$d"
	echo "$d"
}

# Add a suite's "... N passed, M failed" line to CR_PASSED and CR_FAILED;
# a line without counts is one failure (and a non-zero status).
CR_PASSED=0
CR_FAILED=0
cr_tally() {
	if [[ "$1" =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		CR_PASSED=$((CR_PASSED + BASH_REMATCH[1]))
		CR_FAILED=$((CR_FAILED + BASH_REMATCH[2]))
	else
		CR_FAILED=$((CR_FAILED + 1))
		return 1
	fi
}

# Run the pg_regress and isolation suites (make installcheck) against the
# running cluster, logging to $2; show the diffs of a failure, count a crash
# in the server log as a failure, and print "$1: N passed, M failed".
# Returns non-zero on any failure.
cr_regress() {
	local label=$1 log=$2 rc=0 total failed
	make -s -C "$CR_ROOT" PG_CONFIG="$PG_CONFIG" installcheck 2>&1 | tee "$log" || rc=$?
	if [ "$rc" -ne 0 ] && [ -f "$CR_ROOT/regression.diffs" ]; then
		cat "$CR_ROOT/regression.diffs"
	fi
	total=$(grep -cE '^(not )?ok |^test ' "$log" || true)
	failed=$(grep -cE '^not ok |\.\.\. FAILED' "$log" || true)
	# pg_regress can stop before listing a failure (a missing expected file).
	[ "$rc" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1
	if grep -E 'PANIC|TRAP:|terminated by signal' "$CR_TMP/server.log"; then
		echo "the server log shows a crash ($label)" >&2
		rc=1
		failed=$((failed + 1))
		total=$((total + 1))
	fi
	echo "$label: $((total - failed)) passed, $failed failed"
	[ "$rc" -eq 0 ]
}
