#!/usr/bin/env bash
# Unit check of the dependency detection (cr_require in test/lib/cluster.sh)
# against fake PostgreSQL installations: a pg_config whose pgxs.mk exists
# but whose postgres.h does not (Debian's postgresql-client-15 since 15.18)
# must make it ask for postgresql-server-dev-15, and a failed install, no
# sudo, or an install that does not provide the file must stop it with one
# line naming the package and the command.  apt-get is replaced by a fake
# that logs its arguments, so nothing is installed; the real thing runs in
# test/fresh/run.sh.  Run as root (one case runs as "nobody").
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

# A fake PostgreSQL 15: pg_config, the server's programs and PGXS; no
# postgres.h.
pg=$T/pg
mkdir -p "$pg/bin" "$pg/include/server" "$pg/lib/pgxs/src/makefiles"
cat >"$pg/bin/pg_config" <<EOF
#!/bin/sh
case \$1 in
--bindir) echo $pg/bin ;;
--includedir) echo $pg/include ;;
--includedir-server) echo $pg/include/server ;;
--pgxs) echo $pg/lib/pgxs/src/makefiles/pgxs.mk ;;
*) exit 1 ;;
esac
EOF
for f in initdb pg_ctl postgres psql; do printf '#!/bin/sh\nexit 1\n' >"$pg/bin/$f"; done
chmod 755 "$pg/bin"/*
touch "$pg/lib/pgxs/src/makefiles/pgxs.mk"

# Fake apt-gets, one per behaviour, each logging its arguments to $T/apt.log:
#   offline    "update" warns, "install" fails as apt does without network
#   installs   "install" creates the header (as the real package would)
#   useless    "install" succeeds but provides nothing
mkdir -p "$T/offline" "$T/installs" "$T/useless"
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
chmod 755 "$T"/*/apt-get

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

# run PATH NEEDS... : cr_require NEEDS with that PATH and the fake
# pg_config; sets rc, out (stdout and stderr) and apt (the fake's log).
run() {
	local path=$1
	shift
	rm -f "$T/apt.log"
	rc=0
	out=$(PATH=$path PG_CONFIG=$pg/bin/pg_config CR_PG_MAJOR=15 \
		bash -c 'source "$0/cluster.sh"; cr_require "$@"' "$T" "$@" 2>&1 </dev/null) || rc=$?
	apt=$(cat "$T/apt.log" 2>/dev/null || true)
}
last() { printf '%s\n' "$out" | tail -n 1; }
has() { # description, text, fixed string
	if [[ "$2" == *"$3"* ]]; then ok "$1"; else bad "$1: [$3] not in [$2]"; fi
}

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
check_eq "install: one install" "install -y -q postgresql-server-dev-15" "$(grep install <<<"$apt")"

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
check_eq "build group: one install, in order" "install -y -q postgresql-server-dev-15 make gcc libc6-dev" \
	"$(grep install <<<"$apt")"

# 6. No pg_config at all: Debian's paths in the message.
rc=0
out=$(PATH=$T/offline:$PATH PG_CONFIG=$T/none/pg_config CR_PG_MAJOR=15 \
	bash -c 'source "$0/cluster.sh"; cr_require headers' "$T" 2>&1 </dev/null) || rc=$?
check_eq "no pg_config: exit status" 1 "$rc"
has "no pg_config: names Debian's header path" "$(printf '%s\n' "$out" | tail -n 1)" \
	"missing postgresql-server-dev-15 (the server headers, /usr/include/postgresql/15/server/postgres.h)"

# 7. A user without sudo, and one whom sudo refuses: one line, what to ask an
#    administrator for, and no apt-get.
mkdir "$T/refuses"
printf '#!/bin/sh\necho "sudo: a password is required" >&2\nexit 1\n' >"$T/refuses/sudo"
chmod 755 "$T/refuses/sudo"
for how in "no sudo:$T/nosudo:is not root and there is no sudo" \
	"sudo refuses:$T/refuses:may not use sudo"; do
	IFS=: read -r label dir why <<<"$how"
	rm -f "$T/apt.log"
	rc=0
	# shellcheck disable=SC2016 # expanded by the inner bash
	out=$(runuser -u nobody -- env PATH="$dir:$T/offline:/usr/bin" PG_CONFIG="$pg/bin/pg_config" \
		bash -c 'source "$0/cluster.sh"; cr_require headers' "$T" 2>&1 </dev/null) || rc=$?
	check_eq "$label: exit status" 1 "$rc"
	check_eq "$label: one line" \
		"comm_result: missing postgresql-server-dev-15 (the server headers, $pg/include/server/postgres.h): nobody $why; ask an administrator to run: apt-get install postgresql-server-dev-15" \
		"$out"
	check_eq "$label: apt-get not called" "" "$(cat "$T/apt.log" 2>/dev/null || true)"
done

# 8. On a real machine that has only PostgreSQL 15 (test/fresh/run.sh runs
#    this in its root): Debian's own pg_config, pgxs.mk without postgres.h;
#    the build's needs are asked for in the order the README gives.
if [ -n "${CR_REQUIRE_REAL:-}" ]; then
	rc=0
	out=$(PATH=$T/offline:$PATH bash -c 'source "$0/cluster.sh"; cr_require build' "$T" 2>&1 </dev/null) || rc=$?
	apt=$(cat "$T/apt.log" 2>/dev/null || true)
	check_eq "Debian's postgresql-15 alone: exit status" 1 "$rc"
	check_eq "Debian's postgresql-15 alone: asks for the headers, make, gcc, libc6-dev" \
		"install -y -q postgresql-server-dev-15 make gcc libc6-dev" "$(grep install <<<"$apt")"
	has "Debian's postgresql-15 alone: the line names the header" "$(last)" \
		"(the server headers, /usr/include/postgresql/15/server/postgres.h; make; gcc; the C headers, stdlib.h)"
fi

# 9. A need the table does not know is a mistake in the calling script.
run "$T/offline:$PATH" headerz
check_eq "unknown need: exit status" 2 "$rc"
check_eq "unknown need: message" 'cr_need: unknown need "headerz"' "$out"

finish
