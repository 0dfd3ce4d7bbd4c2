#!/usr/bin/env bash
# The README's two commands on machines that have only PostgreSQL, one per
# Debian release: Debian 12 (bookworm) with postgresql-15 and Debian 13
# (trixie) with postgresql-17, each a root made with "debootstrap
# --variant=minbase --include=postgresql-NN", that is postgresql-NN and what
# it depends on (its postgresql-client-NN brings pgxs.mk and pg_regress, but
# no postgres.h, no compiler, no Python, no Node).  Every variant starts
# from a fresh copy of that root, from a clone (of the last commit) that
# the postgres user cannot read (in a 0700 home):
#
#   root, as root (bookworm: in root's own clone; trixie: in the clone of
#   another user, "owner", whose repository git would not read as root):
#     test/fresh/require_check.sh   the choice of server and the detection
#                                   (fake apt), and Debian's own pg_config
#     demo.sh as a user, no sudo    one line naming the packages, exit 1
#     demo.sh as root, no network   one line naming the packages, exit 1
#     demo.sh with CR_PG_MAJOR of a version the release lacks: one line with
#                                   the versions it has, exit 1
#     examples/demo.sh              the demo, exit 0
#     test/run.sh                   every suite, all passing
#   none (trixie), as root, with the server removed (dpkg --purge
#   postgresql-NN: no PostgreSQL at all):
#     demo.sh, no network           one line naming postgresql, exit 1
#     examples/demo.sh              installs the release's default
#                                   (postgresql) with the rest; the demo
#   sudo (trixie), as a user with passwordless sudo, in a copy with sudo installed:
#     demo.sh as a user whom sudo refuses   one line, exit 1
#     examples/demo.sh
#     test/run.sh beside a live cluster of the system's server using
#       comm_result (test/fresh/beside.sh: root's explicit make install,
#       queries every half second): every query answered, no error, the
#       system's PostgreSQL files unchanged
#     interrupted runs (FRESH_INTERRUPTS): test/run.sh and the demo sent
#       SIGINT at a random moment, as Ctrl-C does; then no process of theirs
#       left in the root, no private installation or cluster directory left
#       in its /tmp, the system's files unchanged, the live cluster answering
# A failed run must leave the clone as it was and install nothing, and the
# next run in the same copy must pass.  Ends with "fresh: N passed, M failed".
#
#   test/fresh/run.sh
#   CR_ROOTS=/var/cache/comm_result   where the pristine roots are kept
#                        (fresh-pg15-bookworm, fresh-pg17-trixie): made when
#                        missing (about a minute, at once), reused when present
#   CR_MIRROR=http://deb.debian.org/debian
#   FRESH_RELEASES="bookworm trixie"  the releases
#   FRESH_VARIANTS="root none sudo"   the variants (none and sudo run on
#                        trixie, the current stable release, only, unless
#                        FRESH_VARIANTS names them: within CI's hour, the
#                        sudo user's runs beside a live cluster are proved
#                        once, on Debian 13); "matrix", not run
#                        unless named: test/matrix.sh with this release as
#                        its host (FRESH_RELEASES=trixie FRESH_VARIANTS=matrix)
#   FRESH_ROOT_SUITES    CR_SUITES for root's test/run.sh (default: all)
#   FRESH_SUDO_SUITES    CR_SUITES for the sudo user's test/run.sh
#   FRESH_INTERRUPTS     the interrupted runs of the sudo variant, ";"
#                        between them, each "LO SPAN COMMAND": SIGINT after
#                        LO + a random part of SPAN seconds ("" for none)
#
# Runs as root or as a user with sudo (debootstrap and chroot need root).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"
NAME=fresh
# shellcheck source=../lib/checks.sh
source "$CR_ROOT/test/lib/checks.sh"

CR_ROOTS=${CR_ROOTS:-/var/cache/comm_result}
CR_MIRROR=${CR_MIRROR:-http://deb.debian.org/debian}
FRESH_RELEASES=${FRESH_RELEASES:-bookworm trixie}
# the build and the regression suite; two suites that install something
# else into a private installation (1.1's library, the ASan build); the demo
# (in double quotes: the default's own single quotes must stay in the value)
FRESH_INTERRUPTS=${FRESH_INTERRUPTS-"2 40 test/run.sh;70 80 CR_SUITES='upgrade sanitize' test/run.sh;1 25 examples/demo.sh"}
# Each release's PostgreSQL, and one that it lacks.
declare -A release_pg=([bookworm]=15 [trixie]=17) release_lacks=([bookworm]=17 [trixie]=15) release_number=([bookworm]=12 [trixie]=13)
for release in $FRESH_RELEASES; do
	[ -n "${release_pg[$release]:-}" ] || { echo "unknown release \"$release\" in FRESH_RELEASES (bookworm, trixie)" >&2; exit 2; }
done
[ "$(id -u)" -eq 0 ] || sudo -v
start_all=$(date +%s)
cr_require debootstrap git

LOGS=$(mktemp -d /tmp/comm_result_fresh.XXXXXX)
mounts=()
umount_all() {
	local i
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
		cr_as_root umount "${mounts[i]}" || cr_as_root umount -l "${mounts[i]}" || true
	done
	mounts=()
}
live=
debootstraps=()
on_exit() {
	local rc=$?
	trap '' INT TERM
	[ "${#debootstraps[@]}" -eq 0 ] || kill "${debootstraps[@]}" 2>/dev/null || true
	[ -z "$live" ] || in_root bash "$BESIDE" stop >/dev/null 2>&1 || true
	umount_all
	checks_aborted "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

pristine_of() { echo "$CR_ROOTS/fresh-pg${release_pg[$1]}-$1"; }

# The pristine roots that are missing, made at once (the time goes into
# downloads), each under a temporary name and renamed when complete, so that
# an interrupted run never leaves a half-made root to be reused.
make_pristine() { # RELEASE
	local root
	root=$(pristine_of "$1")
	cr_as_root rm -rf --one-file-system "$root.tmp"
	cr_as_root debootstrap --variant=minbase --include="postgresql-${release_pg[$1]}" "$1" \
		"$root.tmp" "$CR_MIRROR" &&
		cr_as_root chroot "$root.tmp" apt-get clean &&
		cr_as_root mv "$root.tmp" "$root"
}
cr_as_root mkdir -p "$CR_ROOTS"
made=()
for release in $FRESH_RELEASES; do
	[ ! -d "$(pristine_of "$release")" ] || continue
	cr_log "making the pristine root $(pristine_of "$release") (debootstrap $release, postgresql-${release_pg[$release]} only)"
	make_pristine "$release" >"$LOGS/debootstrap-$release.log" 2>&1 &
	debootstraps+=($!)
	made+=("$release")
done
start=$(date +%s)
for j in "${debootstraps[@]}"; do
	wait "$j" || { cat "$LOGS"/debootstrap-*.log >&2; exit 1; }
done
debootstraps=()
[ "${#made[@]}" -eq 0 ] || cr_log "made ${made[*]} in $(($(date +%s) - start)) s"

# The clone, made as the caller, then copied into the roots.
cr_git_clone "$LOGS/comm_result"
commit=$(git -C "$LOGS/comm_result" rev-parse --short HEAD)
BESIDE=/var/tmp/comm_result-beside/test/fresh/beside.sh # (a copy of the clone in the root)

# Remove the work copy, never through a mount point in it (a bind mount of
# the same file system would let rm reach the directory it shows): what is
# mounted there (also by a killed run) is unmounted first, and if anything
# stays mounted, nothing is removed.
remove_work() {
	local m left
	umount_all
	[ -d "$WORK" ] || return 0
	for m in $(awk -v w="$(cd "$WORK" && pwd -P)/" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r); do
		cr_as_root umount "$m" || cr_as_root umount -l "$m" || true
	done
	left=$(awk -v w="$(cd "$WORK" && pwd -P)/" 'index($2, w) == 1 {print $2}' /proc/mounts)
	if [ -n "$left" ]; then
		echo "still mounted in $WORK, not removing it: $left" >&2
		return 1
	fi
	cr_as_root rm -rf --one-file-system "$WORK"
}
# A fresh copy of the pristine root, with /proc and /dev/pts mounted (ps,
# /dev/fd, sudo) until umount_all.
fresh_copy() {
	remove_work
	cr_as_root cp -a "$PRISTINE" "$WORK"
	WORK_REAL=$(cd "$WORK" && pwd -P)
	# The CAs this machine adds to Debian's (an egress proxy's, say) are
	# its network's configuration, not packages: without them npm cannot
	# reach its registry through such a proxy.  Node reads them from
	# NODE_EXTRA_CA_CERTS (set by in_root and as_user).
	if [ -n "$extra_ca" ]; then
		cat /usr/local/share/ca-certificates/*.crt | cr_as_root tee "$WORK$extra_ca" >/dev/null
	fi
	# The copy is thrown away: dpkg need not sync every file (Debian's
	# Docker images say the same).  And, as in a container, packages start
	# no service in it (a server installed here would otherwise start, on
	# this machine's network).
	echo force-unsafe-io | cr_as_root tee "$WORK/etc/dpkg/dpkg.cfg.d/comm_result-fresh" >/dev/null
	printf '#!/bin/sh\nexit 101\n' | cr_as_root tee "$WORK/usr/sbin/policy-rc.d" >/dev/null
	cr_as_root chmod 755 "$WORK/usr/sbin/policy-rc.d"
	cr_as_root mount -t proc proc "$WORK/proc" && mounts+=("$WORK/proc")
	cr_as_root mount --bind /dev/pts "$WORK/dev/pts" && mounts+=("$WORK/dev/pts")
	# beside.sh runs from a copy of the clone of root's own
	tar -C "$LOGS" -cf - comm_result | cr_as_root tar -C "$WORK/var/tmp" -xf -
	cr_as_root mv "$WORK/var/tmp/comm_result" "$WORK/var/tmp/comm_result-beside"
}
# The downloaded .debs, kept across copies and runs (a download cache, not
# installed packages: each run still installs everything).  Not used by the
# no-network run, which must find nothing to install from.
use_apt_cache() {
	cr_as_root mkdir -p "$CR_ROOTS/fresh-apt-archives/partial"
	cr_as_root mount --bind "$CR_ROOTS/fresh-apt-archives" "$WORK/var/cache/apt/archives" &&
		mounts+=("$WORK/var/cache/apt/archives")
}

extra_ca=
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
	extra_ca=/etc/comm_result-host-ca.pem
fi
# in_root [CMD...]: run as root in the copy, with a clean environment.
in_root() {
	cr_as_root chroot "$WORK" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 ${extra_ca:+NODE_EXTRA_CA_CERTS=$extra_ca} "$@"
}
# no_network [CMD...]: the same, without a network (a namespace of its own).
no_network() {
	cr_as_root unshare -n chroot "$WORK" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 "$@"
}
# as_user USER SHELL-COMMAND: run as USER in the copy, in ~/comm_result.
as_user() {
	in_root runuser -u "$1" -- /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin \
		HOME="/home/$1" LANG=C.UTF-8 ${extra_ca:+NODE_EXTRA_CA_CERTS=$extra_ca} bash -c "cd ~/comm_result && $2"
}
# add_user USER: a user with a 0700 home holding a clone of its own.
add_user() {
	in_root useradd -m -s /bin/bash "$1"
	in_root chmod 700 "/home/$1"
	tar -C "$LOGS" -cf - comm_result | cr_as_root tar -C "$WORK/home/$1" -xf -
	in_root chown -R "$1:" "/home/$1/comm_result"
}
# shellcheck disable=SC2016 # dpkg-query's format, not the shell's
packages() { in_root dpkg-query -W -f '${Package}\n' | sort; }

# step LABEL EXPECTED-STATUS COMMAND...: run and time one step, logging to
# $LOGS/LABEL.log; checks the exit status and sets out (the log).
step() {
	local label=$1 want=$2 start rc=0
	shift 2
	cr_log "$label"
	start=$(date +%s)
	"$@" >"$LOGS/$label.log" 2>&1 || rc=$?
	out=$(cat "$LOGS/$label.log")
	times+=("$label: $(($(date +%s) - start)) s")
	if [ "$rc" -eq "$want" ]; then
		ok "$label: exit status $rc"
	else
		bad "$label: exit status $rc, not $want (log: $LOGS/$label.log)"
		tail -n 40 "$LOGS/$label.log"
	fi
}
has() { # description, fixed string: in $out
	if [[ "$out" == *"$2"* ]]; then ok "$1"; else bad "$1: no [$2] in the output"; fi
}
# The ok/FAIL lines of a script run in the root (beside.sh), counted here.
relay() { # label
	local line
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "$1: ${line#ok   }" ;;
		"FAIL "*) bad "$1: ${line#FAIL }" ;;
		esac
	done <<<"$out"
}

# A failed run: one line (after cr_require's "==> ..." lines, when it got
# that far) that names the packages and says what to run; nothing installed,
# nothing left in the clone (as DIR in the copy).
check_refused() { # label, clone, packages, expected fixed string in the line
	local label=$1 clone=$2 line
	line=$(grep -v '^==> ' <<<"$out" || true)
	check_eq "$label: one line" 1 "$(printf '%s\n' "$line" | grep -c .)"
	if [[ "$line" == "comm_result: missing $3 ("*"$4"* ]]; then
		ok "$label: the line names the packages and what to do"
	else
		bad "$label: [$line] is not \"comm_result: missing $3 (...$4...\""
	fi
	check_eq "$label: nothing installed" "$before" "$(packages)"
	check_eq "$label: the clone is as it was" "" \
		"$(cr_as_root git -c safe.directory='*' -C "$WORK$clone" status --porcelain --ignored 2>&1)"
}

# The demo and test/run.sh as the README runs them, then their results.
check_demo() { # label, packages it installs
	has "$1: says what it installs, in order" "==> installing $2 ("
	has "$1: builds without warnings" "build warnings: 0"
	has "$1: leaves the system's PostgreSQL as it was" "the system's PostgreSQL is left as it was"
	local counters=${out##*The counters followed every insert, move and upsert:}
	if [ "$counters" != "$out" ] && grep -q '| t$' <<<"$counters" && ! grep -q '| f$' <<<"$counters"; then
		ok "$1: the demo ran to its end, counters matching"
	else
		bad "$1: the demo's last table is missing or shows a mismatch"
	fi
}
check_tests() { # label [CR_SUITES given]
	local suite last
	last=$(grep '^all suites: ' <<<"$out" | tail -n 1)
	# (a suite that cannot run there, Citus, is listed after the counts)
	if [[ "$last" =~ ^all\ suites:\ ([0-9]+)\ passed,\ 0\ failed(\ \(not\ run:\ [a-z_ ]+\))?$ ]] &&
		[ "${BASH_REMATCH[1]}" -gt 0 ]; then
		ok "$1: $last"
	else
		bad "$1: last line [$last]"
	fi
	# the suites with needs of their own, those that ran
	for suite in sanitize "python client" "node client"; do
		[ -z "${2:-}" ] || [[ " $2 " == *" ${suite%% *} "* ]] || continue
		if grep -qE "^$suite: [0-9]+ passed, 0 failed$" <<<"$out"; then
			ok "$1: $suite passed"
		else
			bad "$1: no passing \"$suite\" line"
		fi
	done
}

# Seen from this machine: the processes running in the copy (their root is
# it), but the live cluster's (its postmaster and backends) and the query
# loop's, which beside.sh started on purpose.
procs_left() {
	local keep p pid ppid more=1 r
	local -A parent=()
	while read -r pid ppid; do parent[$pid]=$ppid; done < <(ps -e -o pid=,ppid=)
	keep=" $(cr_as_root head -n 1 "$WORK/var/tmp/comm_result_live/data/postmaster.pid" 2>/dev/null || true) "
	keep+="$(cr_as_root cat "$WORK/var/tmp/comm_result_live/loop.pid" 2>/dev/null || true) "
	while [ -n "$more" ]; do # and their descendants
		more=
		for pid in "${!parent[@]}"; do
			if [[ "$keep" != *" $pid "* && "$keep" == *" ${parent[$pid]} "* ]]; then
				keep+="$pid "
				more=1
			fi
		done
	done
	for pid in "${!parent[@]}"; do
		[[ "$keep" != *" $pid "* ]] || continue
		r=$(cr_as_root readlink "/proc/$pid/root" 2>/dev/null) || continue
		[ "$r" = "$WORK_REAL" ] || continue
		p=$(cr_as_root cat "/proc/$pid/cmdline" 2>/dev/null | tr '\0' ' ') || continue
		echo "$pid $p"
	done
}
# After a run (finished or interrupted): no process of it left, no private
# installation or cluster directory left in the copy's /tmp.  Within 10 s:
# a run whose exit handler bash cut short leaves the cleanup to its guard
# (test/lib/guard.sh), which acts once the run has ended.
check_clean() { # label
	local i procs dirs
	for ((i = 0; i < 50; i++)); do
		procs=$(procs_left)
		dirs=$(shopt -s nullglob && cd "$WORK/tmp" && echo comm_result_inst.* comm_result.??????)
		[ -n "$procs$dirs" ] || break
		sleep 0.2
	done
	check_eq "$1: no process left in the root" "" "$procs"
	check_eq "$1: no private installation or cluster directory left in /tmp" "" "$dirs"
}

times=()
for release in $FRESH_RELEASES; do
	v=${release_pg[$release]}
	PRISTINE=$(pristine_of "$release")
	WORK=$PRISTINE.run
	for variant in ${FRESH_VARIANTS:-root $([ "$release" = bookworm ] || echo none sudo)}; do
		cr_log "$release, variant \"$variant\": a fresh copy of $PRISTINE, clone of $commit"
		fresh_copy
		label=$release-$variant
		case $variant in
		root)
			if [ "$release" = bookworm ]; then
				tar -C "$LOGS" -cf - comm_result | cr_as_root tar -C "$WORK/root" -xf -
				clone=/root/comm_result
			else # root in another user's clone
				add_user owner
				clone=/home/owner/comm_result
			fi
			# The root is what issue 10 describes: PGXS without the headers.
			if [ -f "$WORK/usr/lib/postgresql/$v/lib/pgxs/src/makefiles/pgxs.mk" ] &&
				[ ! -e "$WORK/usr/include/postgresql/$v/server/postgres.h" ]; then
				ok "$label: pgxs.mk is there, postgres.h is not"
			else
				bad "$label: not the layout of issue 10 (pgxs.mk without postgres.h)"
			fi
			check_eq "$label: the only server is PostgreSQL $v" "$v" "$(cd "$WORK/usr/lib/postgresql" && echo */bin/postgres | sed 's,/bin/postgres,,g')"
			for cmd in gcc make python3 node npm sudo git; do
				[ ! -e "$WORK/usr/bin/$cmd" ] || bad "$label: $cmd is already there"
			done
			before=$(packages)
			step "$label-require-check" 0 in_root env CR_REQUIRE_REAL=1 bash "$clone/test/fresh/require_check.sh"
			if [[ "$(tail -n 1 <<<"$out")" =~ ^require:\ [0-9]+\ passed,\ 0\ failed$ ]]; then
				ok "$label: $(tail -n 1 <<<"$out")"
			else
				bad "$label: require check [$(tail -n 1 <<<"$out")]"
			fi
			add_user nosudo
			step "$label-demo-no-sudo" 1 as_user nosudo examples/demo.sh
			check_refused "$label-demo-no-sudo" /home/nosudo/comm_result "postgresql-server-dev-$v make gcc libc6-dev" \
				"): nosudo is not root and there is no sudo; ask an administrator to run: apt-get install postgresql-server-dev-$v make gcc libc6-dev"
			step "$label-demo-no-network" 1 no_network bash -c "cd $clone && examples/demo.sh"
			check_refused "$label-demo-no-network" "$clone" "postgresql-server-dev-$v make gcc libc6-dev" "): apt-get failed: "
			has "$label-demo-no-network: says what to run" "; connect to a Debian mirror and run: apt-get install postgresql-server-dev-$v make gcc libc6-dev"
			# A version this release does not have: not a network failure.
			lacks=${release_lacks[$release]}
			step "$label-demo-lacks-$lacks" 1 in_root env CR_PG_MAJOR="$lacks" bash -c "cd $clone && examples/demo.sh"
			check_refused "$label-demo-lacks-$lacks" "$clone" "postgresql-$lacks postgresql-server-dev-$lacks make gcc libc6-dev" \
				"): Debian GNU/Linux ${release_number[$release]} ($release) has no PostgreSQL $lacks (it has $v); choose one with CR_PG_MAJOR=$v"
			use_apt_cache
			step "$label-demo" 0 in_root bash -c "cd $clone && examples/demo.sh"
			check_demo "$label-demo" "postgresql-server-dev-$v make gcc libc6-dev"
			check_clean "$label-demo"
			step "$label-test" 0 in_root bash -c "cd $clone && ${FRESH_ROOT_SUITES:+CR_SUITES=\"$FRESH_ROOT_SUITES\" }test/run.sh"
			check_tests "$label-test" "${FRESH_ROOT_SUITES:-}"
			check_clean "$label-test"
			;;
		none)
			# No PostgreSQL at all: the server removed (its client stays, as
			# after "apt remove postgresql-NN").
			step "$label-setup" 0 in_root env DEBIAN_FRONTEND=noninteractive dpkg --purge "postgresql-$v"
			tar -C "$LOGS" -cf - comm_result | cr_as_root tar -C "$WORK/root" -xf -
			clone=/root/comm_result
			before=$(packages)
			step "$label-demo-no-network" 1 no_network bash -c "cd $clone && examples/demo.sh"
			check_refused "$label-demo-no-network" "$clone" "postgresql postgresql-server-dev-$v make gcc libc6-dev" \
				"a PostgreSQL server: none is installed, so this release's, PostgreSQL $v, /usr/lib/postgresql/$v/bin/initdb; "
			use_apt_cache
			step "$label-demo" 0 in_root bash -c "cd $clone && examples/demo.sh"
			check_demo "$label-demo" "postgresql postgresql-server-dev-$v make gcc libc6-dev"
			check_eq "$label-demo: the release's default server is installed" "postgresql postgresql-$v" \
				"$(comm -13 <(echo "$before") <(packages) | grep -xE "postgresql|postgresql-$v" | xargs)"
			check_clean "$label-demo"
			;;
		sudo)
			use_apt_cache
			# sudo and its users are the setup, not what the commands install.
			step "$label-setup" 0 in_root bash -c 'apt-get update -q && apt-get install -y -q sudo'
			add_user crsudo
			add_user refused
			printf 'crsudo ALL=(ALL) NOPASSWD: ALL\n' | cr_as_root tee "$WORK/etc/sudoers.d/crsudo" >/dev/null
			cr_as_root chmod 440 "$WORK/etc/sudoers.d/crsudo"
			before=$(packages)
			step "$label-demo-refused" 1 as_user refused examples/demo.sh
			check_refused "$label-demo-refused" /home/refused/comm_result "postgresql-server-dev-$v make gcc libc6-dev" \
				"): refused may not use sudo; ask an administrator to run: apt-get install postgresql-server-dev-$v make gcc libc6-dev"
			step "$label-demo" 0 as_user crsudo examples/demo.sh
			check_demo "$label-demo" "postgresql-server-dev-$v make gcc libc6-dev"
			# test/run.sh beside a cluster of the system's server that uses
			# comm_result (root's explicit make install).
			live=1
			step "$label-live-start" 0 in_root bash "$BESIDE" start /home/crsudo/comm_result
			relay "$label-live"
			step "$label-test" 0 as_user crsudo "${FRESH_SUDO_SUITES:+CR_SUITES=\"$FRESH_SUDO_SUITES\" }test/run.sh"
			check_tests "$label-test" "${FRESH_SUDO_SUITES:-}"
			check_clean "$label-test"
			step "$label-test-sums" 0 in_root bash "$BESIDE" sums
			relay "$label-test"
			# Ctrl-C at random moments.
			n=0
			IFS=';' read -ra rounds <<<"$FRESH_INTERRUPTS"
			for r in "${rounds[@]}"; do
				read -r lo span cmd <<<"$r"
				n=$((n + 1))
				step "$label-interrupt-$n" 0 in_root bash "$BESIDE" interrupt crsudo /home/crsudo/comm_result "$lo" "$span" "$cmd"
				grep -F 'SIGINT at' <<<"$out" || true
				check_clean "$label-interrupt-$n"
				step "$label-interrupt-$n-sums" 0 in_root bash "$BESIDE" sums
				relay "$label-interrupt-$n"
			done
			step "$label-live-stop" 0 in_root bash "$BESIDE" stop
			live=
			relay "$label-live"
			;;
		matrix)
			# test/matrix.sh on this release as its host (not in CI: it takes
			# the time of a whole matrix): the release's version natively, the
			# others in roots made under this machine's CR_ROOTS (a bind mount).
			tar -C "$LOGS" -cf - comm_result | cr_as_root tar -C "$WORK/root" -xf -
			cr_as_root mkdir -p "$WORK/var/cache/comm_result"
			cr_as_root mount --bind "$CR_ROOTS" "$WORK/var/cache/comm_result" && mounts+=("$WORK/var/cache/comm_result")
			use_apt_cache
			step "$label" 0 in_root bash -c "cd /root/comm_result && CR_ROOTS=/var/cache/comm_result test/matrix.sh"
			for w in $CR_MATRIX_VERSIONS; do
				if [[ "$out" =~ \|\ $w\ \|\ [0-9.]+\ \|\ gcc\ [0-9.]+\ \|\ 0\ \|\ ([0-9]+)\ \|\ 0\ \| ]] && [ "${BASH_REMATCH[1]}" -gt 0 ]; then
					ok "$label: PostgreSQL $w: ${BASH_REMATCH[1]} passed, 0 failed, no warning"
				else
					bad "$label: no passing row for PostgreSQL $w"
				fi
			done
			for suite in dump_across pg_upgrade debian; do
				if grep -qE "^$suite: [1-9][0-9]* passed, 0 failed" <<<"$out"; then
					ok "$label: $(grep -E "^$suite: " <<<"$out")"
				else
					bad "$label: no passing $suite line"
				fi
			done
			# the release's own version ran natively: every suite, the
			# sanitizer run too (the roots leave it out)
			if cr_as_root grep -qE '^sanitize: [0-9]+ passed, 0 failed' "$WORK"/tmp/comm_result_matrix.*/pg$v.log; then
				ok "$label: PostgreSQL $v ran every suite, the sanitizer run too"
			else
				bad "$label: no passing sanitizer run on $v"
			fi
			;;
		*)
			echo "unknown variant \"$variant\" in FRESH_VARIANTS (root, none, sudo, matrix)" >&2
			exit 2
			;;
		esac
		# What the commands installed, in order (apt's own record).
		cr_as_root cat "$WORK/var/log/apt/history.log" >"$LOGS/$label-apt-history.log" 2>/dev/null || true
		sed -n "s/^Commandline: /$label: /p" "$LOGS/$label-apt-history.log"
	done
	remove_work
done

printf '%s\n' "${times[@]}" "fresh-root suite: $(($(date +%s) - start_all)) s (logs: $LOGS)"
finish
