# Shared shell helpers: install build dependencies, build and install the
# extension, and run a throwaway PostgreSQL cluster.
#
# Source this file from bash.  The cluster listens only on a Unix socket in
# a fresh temporary directory and is stopped on exit, even after a failure.
# As root, the server runs as the "postgres" user, because PostgreSQL
# refuses to run as root.

set -euo pipefail

CR_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

cr_log() { printf '==> %s\n' "$*" >&2; }

# git refuses to read a repository that another user owns ("detected
# dubious ownership"), as when root runs the tests in a user's clone.  The
# scripts only read this checkout with git (ls-files, archive, rev-parse),
# and running them runs this checkout's code anyway: every git started from
# here trusts it, through git's environment (its command-line scope).
cr_git_trust() {
	local i k v n=${GIT_CONFIG_COUNT:-0} top
	top=$(cd "$CR_ROOT" && pwd -P)
	for ((i = 0; i < n; i++)); do
		k=GIT_CONFIG_KEY_$i v=GIT_CONFIG_VALUE_$i
		[ "${!k:-}" != safe.directory ] || [ "${!v:-}" != "$top" ] || return 0
	done
	export "GIT_CONFIG_KEY_$n=safe.directory" "GIT_CONFIG_VALUE_$n=$top" \
		"GIT_CONFIG_KEY_$((n + 1))=safe.directory" "GIT_CONFIG_VALUE_$((n + 1))=$top/.git" \
		GIT_CONFIG_COUNT=$((n + 2))
}
cr_git_trust

# git clone of this checkout into DEST.  A local clone does not pass git's
# environment on to the side that reads the source, so there the trust goes
# through a global configuration of its own, which includes the user's.
cr_git_clone() { # DEST
	local conf top rc=0
	top=$(cd "$CR_ROOT" && pwd -P)
	conf=$(mktemp /tmp/comm_result_gitconfig.XXXXXX)
	printf '[include]\n\tpath = %s\n\tpath = %s\n[safe]\n\tdirectory = %s\n\tdirectory = %s\n' \
		"${HOME:-/nonexistent}/.gitconfig" "${XDG_CONFIG_HOME:-${HOME:-/nonexistent}/.config}/git/config" \
		"$top" "$top/.git" >"$conf"
	GIT_CONFIG_GLOBAL=$conf git clone -q "$CR_ROOT" "$1" || rc=$?
	rm -f "$conf"
	return "$rc"
}

# Stop with one line: what is wrong and what to do.
cr_die() {
	echo "comm_result: $*" >&2
	exit 1
}

# ------------------------------------------------------------ the server
# One place decides which PostgreSQL every script uses; package names,
# paths and messages all follow from that choice:
#   PG_CONFIG=/path/to/pg_config  that server (its major version from
#                                 Debian's path, /usr/lib/postgresql/N/bin,
#                                 else from pg_config --version);
#   CR_PG_MAJOR=N                 Debian's PostgreSQL N (/usr/lib/postgresql/N);
#   neither                       the server that is installed: the newest
#                                 when there are several (said once, with how
#                                 to pick another), and with none the
#                                 release's default, the package
#                                 "postgresql" (its version from apt).
# Both are exported, so that every script started from here uses the same
# server.  CR_PG_LIBROOT (default /usr/lib/postgresql) is where servers are
# looked for: test/fresh/require_check.sh points it at fake ones.
CR_PG_LIBROOT=${CR_PG_LIBROOT:-/usr/lib/postgresql}
# The major versions comm_result builds for (META.json: >= 15, < 19).
CR_PG_OLDEST=15 CR_PG_NEWEST=18

# The major versions whose server is installed, oldest first.
cr_pg_installed() {
	local f v
	for f in "$CR_PG_LIBROOT"/*/bin/postgres; do
		v=${f#"$CR_PG_LIBROOT"/}
		v=${v%%/*}
		if [[ "$v" =~ ^[0-9]+$ ]] && [ -x "$f" ]; then echo "$v"; fi
	done | sort -n
}

# The major version of the release's default PostgreSQL, the one the package
# "postgresql" depends on, from apt's package lists; nothing when apt does
# not know it (no lists yet, or a release without it).
cr_pg_default() {
	apt-cache show --no-all-versions postgresql 2>/dev/null |
		sed -nE 's/^Depends:.*(^|[ ,])postgresql-([0-9]+)([ ,(]|$).*/\2/p' | sed -n 1p
}

# The PostgreSQL major versions apt can install here (e.g. "17"), and the
# release's name, for messages.
cr_pg_available() {
	apt-cache search --names-only '^postgresql-[0-9]+$' 2>/dev/null |
		sed -nE 's/^postgresql-([0-9]+) .*/\1/p' | sort -n | xargs
}
cr_release() {
	(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-this system}") || echo "this system"
}

# The versions test/matrix.sh runs, and the root in which it runs a version
# that is not this machine's: a Debian release that carries it alone, made
# with debootstrap under CR_ROOTS (test/major/ and test/debian/ use them
# too).
# shellcheck disable=SC2034 # used by the scripts that source this file
CR_MATRIX_VERSIONS="15 17 18"
cr_debian_suite_of() { # VERSION
	case $1 in
	15) echo bookworm ;;
	17) echo trixie ;;
	18) echo sid ;;
	*) return 1 ;;
	esac
}
cr_matrix_root() { # VERSION
	local suite
	suite=$(cr_debian_suite_of "$1") || return 1
	echo "${CR_ROOTS:-/var/cache/comm_result}/pg$1-$suite"
}

# Sets CR_PG_MAJOR, PG_CONFIG and CR_PG_SERVER_PKG (the package of the
# server: postgresql-N, or "postgresql" when none is installed and the
# release's default is chosen).  CR_PG_MAJOR stays empty only when nothing
# is installed and apt's lists are empty: cr_require reads them first.
cr_pg_choose() {
	local given=${CR_PG_MAJOR:-} pgc=${PG_CONFIG:-} v='' installed others
	CR_PG_SERVER_PKG='' CR_PG_GIVEN=''
	if [ -n "$given" ] && ! [[ "$given" =~ ^[0-9]+$ ]]; then
		cr_die "CR_PG_MAJOR=$given is not a major version of PostgreSQL: give its number, such as CR_PG_MAJOR=17"
	fi
	if [ -n "$pgc" ]; then
		if [[ "$pgc" =~ ^(/usr/lib/postgresql|$CR_PG_LIBROOT)/([0-9]+)/bin/pg_config$ ]]; then
			v=${BASH_REMATCH[2]}
		elif command -v "$pgc" >/dev/null 2>&1; then
			v=$("$pgc" --version 2>/dev/null | sed -nE 's/^PostgreSQL ([0-9]+).*/\1/p')
			[ -n "$v" ] || cr_die "PG_CONFIG=$pgc does not say its version (pg_config --version): give the pg_config of a PostgreSQL server"
		else
			cr_die "PG_CONFIG=$pgc is not a program: give the pg_config of a PostgreSQL server, or CR_PG_MAJOR=N for Debian's PostgreSQL N (installed here: $(cr_pg_installed | xargs | sed 's/^$/none/'))"
		fi
		[ -z "$given" ] || [ "$given" = "$v" ] ||
			cr_die "PG_CONFIG=$pgc is PostgreSQL $v but CR_PG_MAJOR=$given: give one of them"
		CR_PG_GIVEN=PG_CONFIG
	elif [ -n "$given" ]; then
		v=$given
		pgc=$CR_PG_LIBROOT/$v/bin/pg_config
		CR_PG_GIVEN=CR_PG_MAJOR
	else
		installed=$(cr_pg_installed | xargs)
		# the newest that comm_result builds for, else the newest
		v=$(printf '%s\n' $installed | awk -v lo="$CR_PG_OLDEST" -v hi="$CR_PG_NEWEST" '$1 >= lo && $1 <= hi' | tail -n 1)
		[ -n "$v" ] || v=${installed##* }
		if [ -n "$installed" ]; then
			others=$(printf '%s\n' $installed | grep -vx "$v" | xargs || true)
			[ -z "$others" ] ||
				cr_log "PostgreSQL $v, the newest of those installed ($installed) that comm_result builds for; CR_PG_MAJOR=${others##* } or PG_CONFIG=$CR_PG_LIBROOT/${others##* }/bin/pg_config chooses another"
		else
			v=$(cr_pg_default)
			CR_PG_SERVER_PKG=postgresql
		fi
		[ -z "$v" ] || pgc=$CR_PG_LIBROOT/$v/bin/pg_config
	fi
	CR_PG_MAJOR=$v
	PG_CONFIG=$pgc
	[ -n "$CR_PG_SERVER_PKG" ] || CR_PG_SERVER_PKG=postgresql-$v
	export CR_PG_MAJOR PG_CONFIG
}
cr_pg_choose

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
		bindir=$CR_PG_LIBROOT/$v/bin server=/usr/include/postgresql/$v/server
		includedir=/usr/include/postgresql pgxs=$CR_PG_LIBROOT/$v/lib/pgxs/src/makefiles/pgxs.mk
	fi
	CR_NEED_PKG='' CR_NEED_WHAT=''
	case $1 in
	server)
		CR_NEED_PKG=$CR_PG_SERVER_PKG CR_NEED_WHAT="the PostgreSQL $v server, $bindir/initdb"
		[ "$CR_NEED_PKG" != postgresql ] ||
			CR_NEED_WHAT="a PostgreSQL server: none is installed, so this release's, PostgreSQL $v, $bindir/initdb"
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
	cr_die "missing $1 ($2): $3; $4"
}

# Whether apt has package lists at all (a fresh container has none), and
# whether it can install PACKAGE (it has a candidate for it).
cr_apt_has_lists() { [ -n "$(apt-cache search --names-only '^apt$' 2>/dev/null)" ]; }
cr_apt_knows() {
	local c
	c=$(apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p')
	[ -n "$c" ] && [ "$c" != "(none)" ]
}

# Checks that apt can install every package of LIST (words), from the
# lists it has.  A package that this release does not have is not a network
# failure: for PostgreSQL's packages the line says which versions the
# release has and how to choose one.  Arguments as for cr_missing.
cr_apt_check() { # list, for, command
	local p unknown=() pg='' avail
	cr_apt_has_lists || return 0
	for p in $1; do
		cr_apt_knows "$p" && continue
		unknown+=("$p")
		[[ "$p" =~ ^postgresql(-server-dev)?-[0-9]+$|^postgresql$ ]] && pg=1
	done
	[ "${#unknown[@]}" -gt 0 ] || return 0
	if [ -n "$pg" ] && [ -n "$CR_PG_MAJOR" ]; then
		avail=$(cr_pg_available)
		if [ -z "$avail" ]; then
			cr_missing "$1" "$2" "$(cr_release) has no PostgreSQL package that apt knows of" \
				"add a repository that has PostgreSQL $CR_PG_MAJOR (such as apt.postgresql.org), or give PG_CONFIG=/path/to/pg_config"
		fi
		cr_missing "$1" "$2" "$(cr_release) has no PostgreSQL $CR_PG_MAJOR (it has ${avail// /, })" \
			"choose one with CR_PG_MAJOR=${avail##* } (or PG_CONFIG=/usr/lib/postgresql/${avail##* }/bin/pg_config), or add a repository that has $CR_PG_MAJOR, such as apt.postgresql.org"
	fi
	cr_missing "$1" "$2" "$(cr_release) has no package ${unknown[*]}" \
		"install what provides it by hand, then run again"
}

# How to run apt as root: "" as root, "sudo" for a user whom sudo lets in
# without a password (or who is there to type one); else stops with one line.
cr_root_prefix() { # list, for, command
	CR_ROOT_PREFIX=
	[ "$(id -u)" -ne 0 ] || return 0
	command -v sudo >/dev/null ||
		cr_missing "$1" "$2" "$(id -un) is not root and there is no sudo" "ask an administrator to run: $3"
	# Ask for a password only when someone is there to type it.
	sudo -n true 2>/dev/null || { [ -t 0 ] && sudo -v; } ||
		cr_missing "$1" "$2" "$(id -un) may not use sudo" "ask an administrator to run: $3"
	CR_ROOT_PREFIX="sudo "
}

# Run apt-get as root with a log; its first error (no network, no such
# package, ...) in CR_APT_WHY when it fails.  While another apt or dpkg
# holds its lock (two scripts side by side, an unattended upgrade), it
# waits and tries again, for five minutes at most.
cr_apt_get() { # log, apt-get arguments
	local log=$1 out tries=0
	shift
	CR_APT_WHY=
	out=$(mktemp)
	while :; do
		if cr_as_root env DEBIAN_FRONTEND=noninteractive apt-get "$@" >"$out" 2>&1; then
			cat "$out" >>"$log"
			rm -f "$out"
			return 0
		fi
		cat "$out" >>"$log"
		CR_APT_WHY=$(sed -n '/^E: /{s/^E: //p;q}' "$out")
		[[ "$CR_APT_WHY" == "Could not get lock"* ]] && [ "$tries" -lt 60 ] || break
		tries=$((tries + 1))
		sleep 5
	done
	rm -f "$out"
	CR_APT_WHY=${CR_APT_WHY:-no reason given}
	return 1
}

# No server is installed and apt cannot say which is this release's
# default (its package lists are empty, as in a fresh container): read them,
# as root, and choose again.
cr_pg_resolve() {
	[ -z "$CR_PG_MAJOR" ] || return 0
	local what="a PostgreSQL server: none is installed, and apt has no package lists to say which is this release's" log
	cr_root_prefix postgresql "$what" "apt-get update && apt-get install postgresql"
	cr_log "no PostgreSQL is installed: reading apt's package lists (apt-get update) to find this release's default"
	log=$(mktemp /tmp/comm_result_apt.XXXXXX)
	cr_apt_get "$log" update -q || true
	rm -f "$log"
	cr_pg_choose
	[ -n "$CR_PG_MAJOR" ] ||
		cr_missing postgresql "$what" "apt knows no package postgresql after apt-get update (no network, or a release without it)" \
			"connect to a Debian mirror and run: ${CR_ROOT_PREFIX}apt-get install postgresql, or give PG_CONFIG=/path/to/pg_config"
}

# A server outside the versions comm_result builds for is not worth
# installing a compiler for: one line.
cr_pg_supported() {
	[ "$CR_PG_MAJOR" -lt "$CR_PG_OLDEST" ] || [ "$CR_PG_MAJOR" -gt "$CR_PG_NEWEST" ] || return 0
	local how="it is the one installed"
	[ "$CR_PG_SERVER_PKG" != postgresql ] || how="it is $(cr_release)'s"
	[ -z "${CR_PG_GIVEN:-}" ] || how="$CR_PG_GIVEN chose it"
	cr_die "PostgreSQL $CR_PG_MAJOR: comm_result builds for PostgreSQL $CR_PG_OLDEST to $CR_PG_NEWEST, and $how; install one of those (apt.postgresql.org has them all) and choose it with CR_PG_MAJOR=N or PG_CONFIG=/path/to/pg_config"
}

# cr_require NEED...: install, in one apt-get run, the packages of the needs
# that are not met ("build" stands for CR_BUILD_NEEDS), and say which; as
# root or through sudo.  Stops with one line naming the packages and the
# command when they cannot be installed (no sudo, no network, a package
# this release does not have).
cr_require() {
	local needs=() need pkgs=() what=() cmd log
	for need in "$@"; do
		if [ "$need" = build ]; then
			# shellcheck disable=SC2206 # a list of words
			needs+=($CR_BUILD_NEEDS)
		else
			needs+=("$need")
		fi
	done
	case " ${needs[*]} " in
	*" server "* | *" headers "* | *" pgxs "*)
		cr_pg_resolve
		cr_pg_supported
		;;
	esac
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
	# Who cannot become root learns first what apt's lists already say: a
	# package this release lacks is the better reason.
	if [ "$(id -u)" -ne 0 ] && ! { command -v sudo >/dev/null && sudo -n true 2>/dev/null; }; then
		cr_apt_check "$list" "$for" "$cmd"
	fi
	cr_root_prefix "$list" "$for" "$cmd"
	cmd="$CR_ROOT_PREFIX$cmd"
	cr_log "installing $list (for $for)"
	log=$(mktemp /tmp/comm_result_apt.XXXXXX)
	# (an update that fails, without a network, leaves the old lists: the
	# install below says why)
	cr_apt_get "$log" update -q || true
	(cr_apt_check "$list" "$for" "$cmd") || {
		rm -f "$log"
		exit 1
	}
	: >"$log"
	if ! cr_apt_get "$log" install -y -q "${pkgs[@]}"; then
		rm -f "$log"
		cr_missing "$list" "$for" "apt-get failed: $CR_APT_WHY" "connect to a Debian mirror and run: $cmd"
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
# The copy this process made is removed by cr_cluster_stop, on any exit:
# cr_private_install sets an EXIT trap that calls it when the script has
# none yet, and a suite that sets its own calls cr_cluster_stop from it.
CR_INST=${CR_INST:-}
CR_INST_MINE=
export CR_INST

# A directory of the server in use (bindir, pkglibdir, sharedir): in the
# private installation, or the system's own when there is none.
cr_dir() {
	echo "$CR_INST$("$PG_CONFIG" --"$1")"
}

# The EXIT trap of a script that has none (and exit on Ctrl-C or SIGTERM,
# so that it runs then too).
cr_default_traps() {
	[ -n "$(trap -p EXIT)" ] || trap cr_cluster_stop EXIT
	[ -n "$(trap -p INT)" ] || trap 'exit 130' INT
	[ -n "$(trap -p TERM)" ] || trap 'exit 143' TERM
}

# Make this process's private installation: a copy of the private
# installation $1, or of the system's server files without any
# comm_result of the system's (what a "make install" put there is not
# what is being tested).
cr_private_install() {
	local from=${1:-} d lib share
	cr_private_remove
	cr_default_traps
	CR_INST=$(mktemp -d /tmp/comm_result_inst.XXXXXX)
	CR_INST_MINE=1
	chmod 755 "$CR_INST"
	for d in "$("$PG_CONFIG" --bindir)" "$("$PG_CONFIG" --pkglibdir)" "$("$PG_CONFIG" --sharedir)"; do
		mkdir -p "$CR_INST$(dirname "$d")"
		cp -a "$from$d" "$CR_INST$(dirname "$d")/"
	done
	if [ -z "$from" ]; then
		lib=$(cr_dir pkglibdir) share=$(cr_dir sharedir)
		rm -rf "$lib/comm_result.so" "$lib/bitcode/comm_result" "$lib/bitcode/comm_result.index.bc" \
			"$share"/extension/comm_result.control "$share"/extension/comm_result--*.sql
	fi
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
	cr_build || return $?
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

# Run a command that must not be cut short by Ctrl-C (stopping a server: a
# pg_ctl killed before it signals the server would leave it running): the
# command ignores INT and TERM, and a Ctrl-C that came meanwhile is acted
# on once it is done.  In an EXIT trap, which ignores them already (see
# cr_cluster_stop), it just runs the command.
cr_uninterrupted() {
	local held caught='' rc=0
	if [ "$(trap -p INT)" = "trap -- '' SIGINT" ]; then
		"$@" || rc=$?
		return "$rc"
	fi
	held=$(trap -p INT TERM)
	trap 'caught=INT' INT
	trap 'caught=TERM' TERM
	(
		trap '' INT TERM
		"$@"
	) || rc=$?
	trap - INT TERM
	eval "$held"
	[ -z "$caught" ] || kill -s "$caught" "$$"
	return "$rc"
}

# Stop the server of data directory $1 (binaries in $2), if it runs.  A
# server that a Ctrl-C caught while pg_ctl was starting it writes its
# postmaster.pid a moment later: with CR_STARTING set, wait for it.
cr_pgdata_stop() { # DATA BINDIR
	local i
	if [ -n "${CR_STARTING:-}" ] && [ -d "$1" ]; then
		for i in 1 2 3 4 5 6 7 8 9 10; do
			[ ! -f "$1/postmaster.pid" ] || break
			sleep 0.5
		done
	fi
	[ -f "$1/postmaster.pid" ] || return 0
	cr_uninterrupted cr_pg_ctl_stop "$@"
}
cr_pg_ctl_stop() { # DATA BINDIR
	cr_as_pg "$2/pg_ctl" -D "$1" -m fast -w -t 60 stop >/dev/null 2>&1 ||
		cr_as_pg "$2/pg_ctl" -D "$1" -m immediate -w stop >/dev/null 2>&1 || true
}

# Stop the server and remove its directory (the private installation stays).
cr_server_stop() {
	[ -z "${CR_PGDATA:-}" ] || cr_pgdata_stop "$CR_PGDATA" "$CR_PGBIN"
	if [ -n "${CR_TMP:-}" ] && [ -d "$CR_TMP" ]; then
		rm -rf "$CR_TMP"
	fi
	CR_PGDATA=
	CR_TMP=
	cr_guard_stop
}

# A Ctrl-C that comes as bash is starting a pipeline can end a script in
# the middle of its EXIT trap: bash reaps the interrupted pipeline inside
# the trap and leaves the trap at its next command (test/interrupt/ shows
# it).  So cr_cluster_start also starts a guard (test/lib/guard.sh), a
# process that ignores Ctrl-C and, once this script has ended, stops the
# servers it left under CR_TMP and removes CR_TMP and this script's private
# installation.  cr_server_stop ends the guard when it cleans up itself.
CR_GUARD=
cr_guard_start() {
	local mine=
	cr_guard_stop # (one guard a cluster)
	[ -z "$CR_INST_MINE" ] || mine=$CR_INST
	# (Its output goes nowhere: an open pipe would keep a reader waiting.)
	bash "$CR_ROOT/test/lib/guard.sh" "$$" "$CR_PGBIN" "$CR_TMP" ${mine:+"$mine"} </dev/null >/dev/null 2>&1 &
	CR_GUARD=$!
}
cr_guard_stop() {
	[ -n "$CR_GUARD" ] || return 0
	kill -KILL "$CR_GUARD" 2>/dev/null || true
	wait "$CR_GUARD" 2>/dev/null || true
	CR_GUARD=
}

# Stop the server, and remove its directory and this process's private
# installation: what every EXIT trap calls.  A second Ctrl-C does not cut
# it short: INT and TERM are ignored meanwhile (by pg_ctl too), from its
# first command.  Afterwards the signal traps that cr_cluster_start set are
# set again.
cr_cluster_stop() {
	trap '' INT TERM
	cr_server_stop
	cr_private_remove
	cr_signal_traps
}

# Ctrl-C and SIGTERM end the script with their usual statuses, through
# its EXIT trap.
cr_signal_traps() {
	trap 'exit 130' INT
	trap 'exit 143' TERM
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
	cr_signal_traps
	cr_guard_start
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
	local rc=0
	CR_STARTING=1
	# shellcheck disable=SC2086 # CR_SERVER_ENV is split into words on purpose
	cr_as_pg env ${CR_SERVER_ENV:-} "$CR_PGBIN/pg_ctl" -D "$CR_PGDATA" -w -t 120 -l "$CR_TMP/server.log" \
		-o "-c listen_addresses='' -c unix_socket_directories='$CR_TMP' -p 54329 $*" start >/dev/null || rc=$?
	CR_STARTING=
	return "$rc"
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
