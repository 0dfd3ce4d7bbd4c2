#!/usr/bin/env bash
# Unit check of the choice of server and of the dependency detection
# (cr_pg_choose and cr_require in test/lib/cluster.sh) against fake
# PostgreSQL installations and a fake apt:
#   - which server: PG_CONFIG, CR_PG_MAJOR, the one installed, the newest of
#     several (said, with how to pick another), the release's default
#     ("postgresql") when none is, and the lines for a bad choice;
#   - what to install: a pg_config whose pgxs.mk exists but whose postgres.h
#     does not (Debian's postgresql-client-15 since 15.18) asks for
#     postgresql-server-dev-15 alone; package names follow the version
#     chosen (PG_CONFIG alone, too);
#   - one line, exit status 1 and nothing installed for: no network, no
#     sudo, sudo refusing, a version the release lacks (with the versions it
#     has and how to choose one), no PostgreSQL at all without a network or
#     without sudo, an install that does not provide the file.
# apt-get and apt-cache are fakes that log their arguments and answer from
# a list of known packages, so nothing is installed; the real thing runs in
# test/fresh/run.sh.  Run as root (some cases run as "nobody").
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NAME=require
# shellcheck source=../lib/checks.sh
source "$HERE/../lib/checks.sh"

[ "$(id -u)" -eq 0 ] || { echo "require_check.sh: run as root" >&2; exit 2; }
T=$(mktemp -d /tmp/comm_result_require.XXXXXX)
trap 'checks_aborted $?; rm -rf "$T"' EXIT
chmod 755 "$T"
cp "$HERE/../lib/cluster.sh" "$T/cluster.sh" # readable by nobody
RELEASE=$( (. /etc/os-release && echo "$PRETTY_NAME") || echo "this system")

# Fake PostgreSQL installations under $T/lib/N, laid out as Debian's
# /usr/lib/postgresql/N: pg_config, the server's programs and PGXS; no
# postgres.h.  fake_pg N [server]: without "server", no postgres (as with
# postgresql-client-N alone).
LIBROOT=$T/lib
fake_pg() {
	local pg=$LIBROOT/$1 f
	mkdir -p "$pg/bin" "$pg/include/server" "$pg/lib/pgxs/src/makefiles"
	cat >"$pg/bin/pg_config" <<EOF
#!/bin/sh
case \$1 in
--bindir) echo $pg/bin ;;
--includedir) echo $pg/include ;;
--includedir-server) echo $pg/include/server ;;
--pgxs) echo $pg/lib/pgxs/src/makefiles/pgxs.mk ;;
--version) echo "PostgreSQL $1.1 (fake)" ;;
*) exit 1 ;;
esac
EOF
	for f in initdb pg_ctl psql ${2:+postgres}; do printf '#!/bin/sh\nexit 1\n' >"$pg/bin/$f"; done
	chmod 755 "$pg/bin"/*
	touch "$pg/lib/pgxs/src/makefiles/pgxs.mk"
}
fake_pg 15 server
pg=$LIBROOT/15

# The fake apt-cache answers from $T/known (one package a line; "apt" in it
# means apt has package lists) and $T/default (the version the package
# "postgresql" depends on).
mkdir -p "$T/cache"
cat >"$T/cache/apt-cache" <<EOF
#!/bin/bash
known=\$(cat $T/known 2>/dev/null)
case \$1 in
policy) if grep -qxF "\$2" <<<"\$known"; then printf '%s:\n  Installed: (none)\n  Candidate: 1.0\n' "\$2"; fi ;;
show) [ -s $T/default ] && grep -qx postgresql <<<"\$known" && printf 'Package: postgresql\nDepends: postgresql-%s\n' "\$(cat $T/default)" ;;
search) grep -E "\${!#}" <<<"\$known" | sed 's/\$/ - a package/' ;;
esac
exit 0
EOF
# bookworm's packages, as the fake knows them
known_bookworm() {
	printf '%s\n' apt make gcc libc6-dev libpq-dev postgresql postgresql-15 postgresql-server-dev-15 >"$T/known"
	echo 15 >"$T/default"
}
known_bookworm

# Fake apt-gets, one per behaviour, each logging its arguments to $T/apt.log:
#   offline    "update" warns, "install" fails as apt does without network
#   installs   "install" creates the header (as the real package would)
#   useless    "install" succeeds but provides nothing
#   lists      "update" fills the fake's lists with trixie's packages,
#              "install" fails as offline does
mkdir -p "$T/offline" "$T/installs" "$T/useless" "$T/lists"
cat >"$T/offline/apt-get" <<EOF
#!/bin/sh
echo "\$*" >>$T/apt.log
[ "\$1" = update ] && { echo "W: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease  Temporary failure resolving 'deb.debian.org'"; exit 0; }
echo "E: Failed to fetch http://deb.debian.org/debian/pool/main/p/postgresql-15/x.deb  Temporary failure resolving 'deb.debian.org'"
echo "E: Unable to fetch some archives, maybe run apt-get update or try with --fix-missing?"
exit 100
EOF
cat >"$T/installs/apt-get" <<EOF
#!/bin/sh
echo "\$*" >>$T/apt.log
[ "\$1" = update ] || touch $pg/include/server/postgres.h
EOF
printf '#!/bin/sh\necho "$*" >>%s/apt.log\n' "$T" >"$T/useless/apt-get"
cat >"$T/lists/apt-get" <<EOF
#!/bin/sh
echo "\$*" >>$T/apt.log
if [ "\$1" = update ]; then
	printf '%s\n' apt make gcc libc6-dev postgresql postgresql-17 postgresql-server-dev-17 >$T/known
	echo 17 >$T/default
	exit 0
fi
echo "E: Failed to fetch http://deb.debian.org/debian/pool/main/p/postgresql-17/x.deb  Temporary failure resolving 'deb.debian.org'"
exit 100
EOF
chmod 755 "$T"/*/apt-get "$T/cache/apt-cache"

# A PATH without some commands: symlinks to everything in /usr/bin but them.
path_without() { # directory, command...
	local dir=$1 f
	shift
	mkdir -p "$dir"
	for f in /usr/bin/*; do
		[[ " $* " == *" ${f##*/} "* ]] || ln -s "$f" "$dir/${f##*/}"
	done
}
path_without "$T/nogcc" gcc make
path_without "$T/nosudo" sudo
path_without "$T/bare" sudo gcc make
mkdir "$T/refuses"
printf '#!/bin/sh\necho "sudo: a password is required" >&2\nexit 1\n' >"$T/refuses/sudo"
chmod 755 "$T/refuses/sudo"

# cr PATH ENV... -- SHELL-CODE: source cluster.sh and run SHELL-CODE with
# that PATH (after the fake apt-cache), the fake servers and ENV (NAME=value
# words; PG_CONFIG, CR_PG_MAJOR); sets rc, out (stdout and stderr) and apt
# (the fake apt-get's log).  As "nobody" when AS_NOBODY is set.
cr() {
	local path=$1 envs=()
	shift
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	rm -f "$T/apt.log"
	local run=(env -i PATH="$T/cache:$path" CR_PG_LIBROOT="$LIBROOT" "${envs[@]}" bash -c "source \"$T/cluster.sh\"; $*")
	[ -z "${AS_NOBODY:-}" ] || run=(runuser -u nobody -- "${run[@]}")
	rc=0
	out=$("${run[@]}" 2>&1 </dev/null) || rc=$?
	apt=$(cat "$T/apt.log" 2>/dev/null || true)
}
# run PATH NEEDS...: cr_require NEEDS with the fake PostgreSQL 15.
run() {
	local path=$1
	shift
	cr "$path" PG_CONFIG="$pg/bin/pg_config" -- cr_require "$*"
}
last() { printf '%s\n' "$out" | tail -n 1; }
has() { # description, text, fixed string
	if [[ "$2" == *"$3"* ]]; then ok "$1"; else bad "$1: [$3] not in [$2]"; fi
}
installs() { grep '^install' <<<"$apt" || true; }

# 1. pgxs.mk without postgres.h, no network: asks for the headers' package
#    alone, stops with one line that names it and the command.
run "$T/offline:$PATH" server headers pgxs
check_eq "pgxs.mk alone: exit status" 1 "$rc"
check_eq "pgxs.mk alone: apt-get asked for postgresql-server-dev-15 only" \
	"update -q
install -y -q postgresql-server-dev-15" "$apt"
check_eq "pgxs.mk alone: one line of output" 2 "$(printf '%s\n' "$out" | wc -l)" # "==> installing" and the error
has "pgxs.mk alone: the line names the package and what is missing" "$(last)" \
	"comm_result: missing postgresql-server-dev-15 (the server headers, $pg/include/server/postgres.h)"
has "pgxs.mk alone: the line gives apt's reason" "$(last)" "Temporary failure resolving 'deb.debian.org'"
has "pgxs.mk alone: the line gives the command" "$(last)" "run: apt-get install postgresql-server-dev-15"

# 2. The same, installed: the header appears, cr_require succeeds and says
#    what it installed.
run "$T/installs:$PATH" server headers pgxs
check_eq "install: exit status" 0 "$rc"
has "install: says what it installs" "$out" "==> installing postgresql-server-dev-15 (for the server headers"
check_eq "install: one install" "install -y -q postgresql-server-dev-15" "$(installs)"

# 3. Everything there: nothing is installed.
run "$T/offline:$PATH" server headers pgxs
check_eq "all there: exit status" 0 "$rc"
check_eq "all there: apt-get not called" "" "$apt"
rm "$pg/include/server/postgres.h"

# 4. An install that does not provide the file: stops, naming it.
run "$T/useless:$PATH" headers
check_eq "useless install: exit status" 1 "$rc"
has "useless install: says it is still missing" "$(last)" \
	"comm_result: missing postgresql-server-dev-15 (the server headers, $pg/include/server/postgres.h): still missing after apt-get install postgresql-server-dev-15"

# 5. The build's group without gcc and make: one apt-get for all of them,
#    in the order the README lists.
run "$T/offline:$T/nogcc" build
check_eq "build group: exit status" 1 "$rc"
check_eq "build group: one install, in order" "install -y -q postgresql-server-dev-15 make gcc libc6-dev" "$(installs)"

# 6. CR_PG_MAJOR of a server that is not there (no pg_config at all):
#    Debian's paths in the message, the packages of that version.
cr "$T/offline:$PATH" CR_PG_MAJOR=15 CR_PG_LIBROOT="$T/none" -- cr_require headers
check_eq "no pg_config: exit status" 1 "$rc"
has "no pg_config: names Debian's header path" "$(last)" \
	"missing postgresql-server-dev-15 (the server headers, /usr/include/postgresql/15/server/postgres.h)"

# 7. A user without sudo, and one whom sudo refuses: one line, what to ask an
#    administrator for, and no apt-get.
for how in "no sudo:$T/nosudo:is not root and there is no sudo" \
	"sudo refuses:$T/refuses:may not use sudo"; do
	IFS=: read -r label dir why <<<"$how"
	AS_NOBODY=1 run "$T/offline:$dir:$T/nosudo" headers
	check_eq "$label: exit status" 1 "$rc"
	check_eq "$label: one line" \
		"comm_result: missing postgresql-server-dev-15 (the server headers, $pg/include/server/postgres.h): nobody $why; ask an administrator to run: apt-get install postgresql-server-dev-15" \
		"$out"
	check_eq "$label: apt-get not called" "" "$apt"
done

# 8. On a real machine that has only PostgreSQL N (test/fresh/run.sh runs
#    this in its roots): Debian's own pg_config and apt, pgxs.mk without
#    postgres.h; the build's needs are asked for in the order the README
#    gives, for the version that is installed.
if [ -n "${CR_REQUIRE_REAL:-}" ]; then
	v=$(cd /usr/lib/postgresql && echo *)
	rm -f "$T/apt.log"
	rc=0
	out=$(PATH=$T/offline:$PATH bash -c 'source "$0/cluster.sh"; cr_require build' "$T" 2>&1 </dev/null) || rc=$?
	apt=$(cat "$T/apt.log" 2>/dev/null || true)
	check_eq "Debian's postgresql-$v alone: exit status" 1 "$rc"
	check_eq "Debian's postgresql-$v alone: asks for the headers, make, gcc, libc6-dev" \
		"install -y -q postgresql-server-dev-$v make gcc libc6-dev" "$(installs)"
	has "Debian's postgresql-$v alone: the line names the header" "$(last)" \
		"(the server headers, /usr/include/postgresql/$v/server/postgres.h; make; gcc; the C headers, stdlib.h)"
fi

# 9. A need the table does not know is a mistake in the calling script.
run "$T/offline:$PATH" headerz
check_eq "unknown need: exit status" 2 "$rc"
check_eq "unknown need: message" 'cr_need: unknown need "headerz"' "$out"

# --- which server -------------------------------------------------------
choice='echo "$CR_PG_MAJOR $PG_CONFIG $CR_PG_SERVER_PKG"'
# 10. One server installed, nothing given: that one, without a word.
cr "$PATH" -- "$choice"
check_eq "one installed: that one, silently" "15 $LIBROOT/15/bin/pg_config postgresql-15" "$out"
# 11. Several: the newest, said on one line with how to pick another; the
#     choice is exported, so the scripts started from there do not say it
#     again.
fake_pg 17 server
fake_pg 16 # postgresql-client-16 alone: not a server
cr "$PATH" -- "$choice; bash -c 'source \"$T/cluster.sh\"; $choice'"
check_eq "several installed: the newest, said once, with how to choose" \
	"==> PostgreSQL 17, the newest of those installed (15 17) that comm_result builds for; CR_PG_MAJOR=15 or PG_CONFIG=$LIBROOT/15/bin/pg_config chooses another
17 $LIBROOT/17/bin/pg_config postgresql-17
17 $LIBROOT/17/bin/pg_config postgresql-17" "$out"
# 12. CR_PG_MAJOR and PG_CONFIG choose; PG_CONFIG alone sets the version of
#     every package name (the issue's mixed message: headers of 17,
#     packages of 15).
cr "$PATH" CR_PG_MAJOR=15 -- "$choice"
check_eq "CR_PG_MAJOR=15 with 15 and 17 installed" "15 $LIBROOT/15/bin/pg_config postgresql-15" "$out"
cr "$PATH" PG_CONFIG="$LIBROOT/15/bin/pg_config" -- "$choice"
check_eq "PG_CONFIG of 15 with 15 and 17 installed" "15 $LIBROOT/15/bin/pg_config postgresql-15" "$out"
printf '%s\n' postgresql-17 postgresql-server-dev-17 >>"$T/known"
cr "$T/offline:$PATH" PG_CONFIG="$LIBROOT/17/bin/pg_config" -- cr_require headers
known_bookworm
check_eq "PG_CONFIG of 17 alone: the packages of 17" "install -y -q postgresql-server-dev-17" "$(installs)"
has "PG_CONFIG of 17 alone: the message of 17" "$(last)" \
	"comm_result: missing postgresql-server-dev-17 (the server headers, $LIBROOT/17/include/server/postgres.h)"
# (elsewhere than Debian's directories, the version comes from pg_config)
mkdir -p "$T/opt"
cp -a "$LIBROOT/16" "$T/opt/pg16"
cr "$PATH" PG_CONFIG="$T/opt/pg16/bin/pg_config" -- "$choice"
check_eq "PG_CONFIG elsewhere: its version from pg_config --version" "16 $T/opt/pg16/bin/pg_config postgresql-16" "$out"
rm -rf "$LIBROOT/16"
# 13. A bad choice: one line, exit status 1.
for c in "CR_PG_MAJOR=fifteen|CR_PG_MAJOR=fifteen is not a major version of PostgreSQL: give its number, such as CR_PG_MAJOR=17" \
	"PG_CONFIG=$T/none/pg_config|PG_CONFIG=$T/none/pg_config is not a program: give the pg_config of a PostgreSQL server, or CR_PG_MAJOR=N for Debian's PostgreSQL N (installed here: 15 17)" \
	"PG_CONFIG=$LIBROOT/17/bin/pg_config CR_PG_MAJOR=15|PG_CONFIG=$LIBROOT/17/bin/pg_config is PostgreSQL 17 but CR_PG_MAJOR=15: give one of them"; do
	# shellcheck disable=SC2086 # NAME=value words
	cr "$PATH" ${c%%|*} -- "$choice"
	check_eq "${c%%|*}: exit status" 1 "$rc"
	check_eq "${c%%|*}: one line" "comm_result: ${c#*|}" "$out"
done
rm -rf "$LIBROOT/17"
# 14. A server that comm_result does not build for: passed over when a
#     newer one is installed; alone, one line before anything is installed.
fake_pg 14 server
cr "$PATH" -- "$choice"
check_eq "14 and 15 installed: 15" "15 $LIBROOT/15/bin/pg_config postgresql-15" "$(last)"
mv "$LIBROOT/15" "$T/pg15.aside"
cr "$T/offline:$PATH" -- cr_require build
check_eq "14 alone: exit status" 1 "$rc"
check_eq "14 alone: one line" "comm_result: PostgreSQL 14: comm_result builds for PostgreSQL 15 to 18, and it is the one installed; install one of those (apt.postgresql.org has them all) and choose it with CR_PG_MAJOR=N or PG_CONFIG=/path/to/pg_config" "$out"
check_eq "14 alone: nothing installed" "" "$apt"
mv "$T/pg15.aside" "$LIBROOT/15"
rm -rf "$LIBROOT/14"

# --- a version the release lacks -----------------------------------------
# 15. CR_PG_MAJOR=16 on a release that has 15: no install is tried; one
#     line with the versions it has and how to choose one, as root and as a
#     user who cannot use sudo (who learns it before the missing sudo).
fake_pg 16 server
lacks="$RELEASE has no PostgreSQL 16 (it has 15); choose one with CR_PG_MAJOR=15 (or PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config), or add a repository that has 16, such as apt.postgresql.org"
rm -f "$LIBROOT/16/bin/postgres" "$LIBROOT/16/bin/initdb"
for who in root nobody; do
	AS_NOBODY=${who#root} cr "$T/offline:$T/bare" CR_PG_MAJOR=16 -- cr_require build
	check_eq "16 on a release of 15, as $who: exit status" 1 "$rc"
	check_eq "16 on a release of 15, as $who: one line" \
		"comm_result: missing postgresql-16 postgresql-server-dev-16 make gcc libc6-dev (the PostgreSQL 16 server, $LIBROOT/16/bin/initdb; the server headers, $LIBROOT/16/include/server/postgres.h; make; gcc; the C headers, stdlib.h): $lacks" \
		"$(grep -v '^==> installing' <<<"$out")"
	check_eq "16 on a release of 15, as $who: nothing installed" "" "$(installs)"
done
rm -rf "$LIBROOT/16"

# --- no PostgreSQL at all -------------------------------------------------
# 16. Nothing installed: the release's default, the package "postgresql"
#     (its version from apt), installed with the rest; without a network,
#     one line that names it.
rm -rf "$LIBROOT/15"
cr "$PATH" -- "$choice"
check_eq "none installed: the release's default" "15 $LIBROOT/15/bin/pg_config postgresql" "$out"
cr "$T/offline:$T/bare" -- cr_require build
check_eq "none installed, no network: exit status" 1 "$rc"
check_eq "none installed, no network: postgresql installed with the rest, in one apt-get" \
	"install -y -q postgresql postgresql-server-dev-15 make gcc libc6-dev" "$(installs)"
has "none installed, no network: one line naming postgresql and why" "$(last)" \
	"comm_result: missing postgresql postgresql-server-dev-15 make gcc libc6-dev (a PostgreSQL server: none is installed, so this release's, PostgreSQL 15, $LIBROOT/15/bin/initdb; "
has "none installed, no network: apt's reason and the command" "$(last)" \
	"apt-get failed: Failed to fetch http://deb.debian.org/debian/pool/main/p/postgresql-15/x.deb  Temporary failure resolving 'deb.debian.org'; connect to a Debian mirror and run: apt-get install postgresql postgresql-server-dev-15 make gcc libc6-dev"
check_eq "none installed, no network: two lines (what it tried, why not)" 2 "$(grep -c . <<<"$out")"
# 17. Nothing installed, no sudo: one line, no apt-get.
AS_NOBODY=1 cr "$T/offline:$T/bare" -- cr_require build
check_eq "none installed, no sudo: exit status" 1 "$rc"
has "none installed, no sudo: one line naming postgresql" "$out" \
	"comm_result: missing postgresql postgresql-server-dev-15 make gcc libc6-dev (a PostgreSQL server: none is installed, so this release's, PostgreSQL 15, "
has "none installed, no sudo: what to ask for" "$out" \
	": nobody is not root and there is no sudo; ask an administrator to run: apt-get install postgresql postgresql-server-dev-15 make gcc libc6-dev"
check_eq "none installed, no sudo: apt-get not called" "" "$apt"
# 18. Nothing installed and apt without lists (a fresh container): the lists
#     are read first, then the default installed with the rest.
: >"$T/known"
: >"$T/default"
cr "$T/lists:$T/bare" -- cr_require build
check_eq "none installed, no lists: exit status (the fake cannot download)" 1 "$rc"
check_eq "none installed, no lists: update, then the default from the lists" \
	"update -q
update -q
install -y -q postgresql postgresql-server-dev-17 make gcc libc6-dev" "$apt"
has "none installed, no lists: says why it reads them" "$out" \
	"==> no PostgreSQL is installed: reading apt's package lists (apt-get update) to find this release's default"
# ... and when the lists stay empty (no network): one line.
: >"$T/known"
cr "$T/offline:$T/bare" -- cr_require build
check_eq "none installed, no lists, no network: exit status" 1 "$rc"
check_eq "none installed, no lists, no network: one line" \
	"comm_result: missing postgresql (a PostgreSQL server: none is installed, and apt has no package lists to say which is this release's): apt knows no package postgresql after apt-get update (no network, or a release without it); connect to a Debian mirror and run: apt-get install postgresql, or give PG_CONFIG=/path/to/pg_config" \
	"$(last)"
check_eq "none installed, no lists, no network: nothing installed" "" "$(installs)"
known_bookworm

finish
