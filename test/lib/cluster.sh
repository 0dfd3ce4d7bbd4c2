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

# Run a command as the user that owns the cluster (as postgres from /, or
# from CR_PG_CWD: the checkout may be in a home that postgres cannot enter).
cr_as_pg() {
	if [ "$(id -u)" -eq 0 ]; then (cd "${CR_PG_CWD:-/}" && runuser -u postgres -- "$@"); else "$@"; fi
}

# Install Debian packages (the package lists are refreshed first).
cr_apt_install() {
	cr_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
	cr_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

# What the scripts need, one row per need: the Debian package that provides
# it, what it is, and a check of the very file or command the scripts use
# (not of one that merely comes in the same package: since Debian's 15.18,
# pgxs.mk comes with postgresql-client-15, without the server headers).
# cr_need NEED sets CR_NEED_PKG and CR_NEED_WHAT and returns 0 when the need
# is met.  "build" stands for what every build of the extension needs.
CR_BUILD_NEEDS="server headers pgxs make gcc libc"
cr_cmd() { PATH=$PATH:/usr/sbin:/sbin command -v "$1" >/dev/null; } # sudo's PATH has sbin
cr_need() {
	local v=$CR_PG_MAJOR pgc bindir server includedir pgxs header
	pgc=$(command -v "$PG_CONFIG" || true)
	if [ -n "$pgc" ]; then
		bindir=$("$pgc" --bindir) server=$("$pgc" --includedir-server)
		includedir=$("$pgc" --includedir) pgxs=$("$pgc" --pgxs)
	else # Debian's paths, to say what is missing
		bindir=/usr/lib/postgresql/$v/bin server=/usr/include/postgresql/$v/server
		includedir=/usr/include/postgresql pgxs=/usr/lib/postgresql/$v/lib/pgxs/src/makefiles/pgxs.mk
	fi
	CR_NEED_PKG='' CR_NEED_WHAT=''
	case $1 in
	server)
		CR_NEED_PKG=postgresql-$v CR_NEED_WHAT="the PostgreSQL $v server, $bindir/initdb"
		[ -x "$bindir/initdb" ] && [ -x "$bindir/pg_ctl" ] && [ -x "$bindir/postgres" ] && [ -x "$bindir/psql" ] ;;
	headers) # pg_config comes with them, so it is part of the check
		CR_NEED_PKG=postgresql-server-dev-$v CR_NEED_WHAT="the server headers, $server/postgres.h"
		[ -n "$pgc" ] && [ -f "$server/postgres.h" ] ;;
	pgxs)
		CR_NEED_PKG=postgresql-server-dev-$v CR_NEED_WHAT="PGXS, $pgxs"
		[ -n "$pgc" ] && [ -f "$pgxs" ] ;;
	make) CR_NEED_PKG=make CR_NEED_WHAT=make; cr_cmd make ;;
	gcc) CR_NEED_PKG=gcc CR_NEED_WHAT=gcc; cr_cmd gcc ;;
	libc)
		CR_NEED_PKG=libc6-dev CR_NEED_WHAT="the C headers, stdlib.h"
		cr_cmd gcc && printf '#include <stdlib.h>\n' | gcc -E -x c - >/dev/null 2>&1 ;;
	libpq)
		CR_NEED_PKG=libpq-dev CR_NEED_WHAT="libpq's header, $includedir/libpq-fe.h"
		[ -f "$includedir/libpq-fe.h" ] ;;
	asan | ubsan) # the runtime test/sanitize/run.sh puts into LD_PRELOAD
		CR_NEED_PKG=libasan8 CR_NEED_WHAT="gcc's lib$1 runtime"
		[ "$1" = asan ] || CR_NEED_PKG=libubsan1
		cr_cmd gcc && [ -f "$(readlink -f "$(gcc -print-file-name="lib$1.so")")" ] ;;
	python3) CR_NEED_PKG=python3 CR_NEED_WHAT=python3; cr_cmd python3 ;;
	psycopg)
		CR_NEED_PKG=python3-psycopg CR_NEED_WHAT="psycopg 3 for /usr/bin/python3"
		[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import psycopg' 2>/dev/null ;;
	node) CR_NEED_PKG=nodejs CR_NEED_WHAT=node; cr_cmd node ;;
	npm) CR_NEED_PKG=npm CR_NEED_WHAT=npm; cr_cmd npm ;;
	git) CR_NEED_PKG=git CR_NEED_WHAT=git; cr_cmd git ;;
	ps) CR_NEED_PKG=procps CR_NEED_WHAT=ps; cr_cmd ps ;;
	valgrind) CR_NEED_PKG=valgrind CR_NEED_WHAT=valgrind; cr_cmd valgrind ;;
	perf) CR_NEED_PKG=linux-perf CR_NEED_WHAT=perf; cr_cmd perf ;;
	debootstrap) CR_NEED_PKG=debootstrap CR_NEED_WHAT=debootstrap; cr_cmd debootstrap ;;
	curl) # Citus includes it where the server's pg_config.h defines HAVE_LIBCURL (18)
		CR_NEED_PKG=libcurl4-openssl-dev CR_NEED_WHAT="libcurl's headers (for Citus), curl/curl.h"
		cr_cmd gcc && printf '#include <curl/curl.h>\n' | gcc -E -x c - >/dev/null 2>&1 ;;
	# Citus's build (test/lib/citus.sh): the server's libpq/libpq-be.h
	# includes the OpenSSL and GSSAPI headers, utils/pg_locale.h ICU's;
	# lz4 and zstd for columnar.
	gssapi | openssl | icu | lz4 | zstd)
		case $1 in
		gssapi) CR_NEED_PKG=libkrb5-dev header=/usr/include/gssapi/gssapi.h ;;
		openssl) CR_NEED_PKG=libssl-dev header=/usr/include/openssl/ssl.h ;;
		icu) CR_NEED_PKG=libicu-dev header=/usr/include/unicode/ucol.h ;;
		*) CR_NEED_PKG=lib$1-dev header=/usr/include/$1.h ;;
		esac
		CR_NEED_WHAT="the $1 headers (for Citus), $header"
		[ -f "$header" ] ;;
	*)
		echo "cr_need: unknown need \"$1\"" >&2
		exit 2 ;;
	esac
}

# Stop with one line that names the packages and the command to run.
cr_missing() { # packages, what they are for, why not installed, what to do
	echo "comm_result: missing $1 ($2): $3; $4" >&2
	exit 1
}

# cr_require NEED...: install, in one apt-get run, the packages of the needs
# that are not met ("build" stands for CR_BUILD_NEEDS), and say which; as
# root or through sudo.  Stops with one line naming the packages and the
# command when they cannot be installed (no sudo, no network).
cr_require() {
	local needs=() need pkgs=() what=() cmd log why
	for need in "$@"; do
		if [ "$need" = build ]; then
			# shellcheck disable=SC2206 # a list of words
			needs+=($CR_BUILD_NEEDS)
		else
			needs+=("$need")
		fi
	done
	for need in "${needs[@]}"; do
		cr_need "$need" && continue
		[[ " ${pkgs[*]} " == *" $CR_NEED_PKG "* ]] || pkgs+=("$CR_NEED_PKG")
		what+=("$CR_NEED_WHAT")
	done
	[ "${#pkgs[@]}" -gt 0 ] || return 0
	local list=${pkgs[*]} for
	for=$(printf '%s; ' "${what[@]}")
	for=${for%; }
	cmd="apt-get install $list"
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null ||
			cr_missing "$list" "$for" "$(id -un) is not root and there is no sudo" \
				"ask an administrator to run: $cmd"
		# Ask for a password only when someone is there to type it.
		sudo -n true 2>/dev/null || { [ -t 0 ] && sudo -v; } ||
			cr_missing "$list" "$for" "$(id -un) may not use sudo" \
				"ask an administrator to run: $cmd"
		cmd="sudo $cmd"
	fi
	cr_log "installing $list (for $for)"
	log=$(mktemp /tmp/comm_result_apt.XXXXXX)
	if ! cr_apt_install "${pkgs[@]}" >"$log" 2>&1; then
		# apt's first error says why (no network, no such package, ...)
		why=$(sed -n '/^E: /{s/^E: //p;q}' "$log")
		rm -f "$log"
		cr_missing "$list" "$for" "apt-get failed: ${why:-no reason given}" \
			"connect to a Debian mirror and run: $cmd"
	fi
	rm -f "$log"
	for need in "${needs[@]}"; do
		cr_need "$need" ||
			cr_missing "$CR_NEED_PKG" "$CR_NEED_WHAT" "still missing after $cmd" "check the package"
	done
}

# The private installation.  No script installs into the system's
# PostgreSQL: like PostgreSQL's own "make check", each works on a copy of
# the server's files (bindir, pkglibdir and sharedir, under the same paths
# below CR_INST: the server finds its library and share directories
# relative to its binaries) into which it installs this build with
# DESTDIR.  The system's directories are only read.  A suite started by
# test/run.sh inherits its CR_INST and only reads it; one that installs
# something else (1.1's library, an instrumented build) makes its own copy.
# The copy this process made is removed by cr_cluster_stop, on any exit.
CR_INST=${CR_INST:-}
CR_INST_MINE=
export CR_INST

# A directory of the server in use (bindir, pkglibdir, sharedir): in the
# private installation, or the system's own when there is none.
cr_dir() {
	echo "$CR_INST$("$PG_CONFIG" --"$1")"
}

# Make this process's private installation: a copy of the private
# installation $1, or of the system's server files.
cr_private_install() {
	local from=${1:-} d
	cr_private_remove
	CR_INST=$(mktemp -d /tmp/comm_result_inst.XXXXXX)
	CR_INST_MINE=1
	chmod 755 "$CR_INST"
	for d in "$("$PG_CONFIG" --bindir)" "$("$PG_CONFIG" --pkglibdir)" "$("$PG_CONFIG" --sharedir)"; do
		mkdir -p "$CR_INST$(dirname "$d")"
		cp -a "$from$d" "$CR_INST$(dirname "$d")/"
	done
}

cr_private_remove() {
	if [ -n "$CR_INST_MINE" ] && [ -n "$CR_INST" ] && [ -d "$CR_INST" ]; then
		rm -rf "$CR_INST"
	fi
	[ -z "$CR_INST_MINE" ] || CR_INST=
	CR_INST_MINE=
}

# Install the built tree $1 (default: this checkout) into this process's
# private installation, making one (a copy of the inherited one, if any)
# when it has none of its own.
cr_install_private() {
	[ -n "$CR_INST_MINE" ] || cr_private_install "$CR_INST"
	make -C "${1:-$CR_ROOT}" -s PG_CONFIG="$PG_CONFIG" DESTDIR="$CR_INST" install >/dev/null
}

# Build with every warning fatal.  "make -k" goes on after a file fails, so
# that every warning is listed; the count is printed as "build warnings: N"
# (test/matrix.sh reads it).
cr_build() {
	local log rc=0
	cr_log "building comm_result against $("$PG_CONFIG" --version) with $(gcc -dumpfullversion 2>/dev/null || echo gcc)"
	make -C "$CR_ROOT" -s clean >/dev/null
	log=$(mktemp)
	make -C "$CR_ROOT" -s -k PG_CONFIG="$PG_CONFIG" COPT="${COPT:--Werror}" >"$log" 2>&1 || rc=$?
	cat "$log" >&2
	echo "build warnings: $(grep -cE 'warning:|\[-Werror' "$log" || true)"
	rm -f "$log"
	return "$rc"
}

# Build, then install into a private installation of this process's own.
cr_build_install() {
	cr_build || return
	[ -n "$CR_INST_MINE" ] || cr_private_install
	cr_install_private
	cr_log "installed into the private installation $CR_INST; the system's PostgreSQL is left as it was"
}

# The server to run: the private installation inherited or made here, else
# a new one with this build; CR_SYSTEM_INSTALL=1 runs the system's files as
# they are (test/debian/ tests an installed package that way).
cr_use_install() {
	if [ "${CR_SYSTEM_INSTALL:-0}" = 1 ]; then
		CR_INST=
	elif [ -z "$CR_INST" ] || [ ! -f "$(cr_dir pkglibdir)/comm_result.so" ]; then
		CR_INST=
		cr_require build
		cr_build_install >&2
	fi
	CR_PGBIN=$(cr_dir bindir)
}

# Stop the server and remove its directory (the private installation stays).
cr_server_stop() {
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

# Stop the server, and remove its directory and this process's private
# installation: what every EXIT trap calls.
cr_cluster_stop() {
	cr_server_stop
	cr_private_remove
}

# Start a cluster; extra arguments are "-c name=value" server settings.
# Exports PGHOST, PGPORT, PGUSER and PGDATABASE for psql and pg_regress.
# CR_SERVER_ENV, if set, is a space-separated list of NAME=value words put
# into the postmaster's environment (test/sanitize/ uses it for LD_PRELOAD
# and ASAN_OPTIONS); values cannot contain spaces.
cr_cluster_start() {
	cr_use_install
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
