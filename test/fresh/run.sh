#!/usr/bin/env bash
# The README's two commands on a machine that has only PostgreSQL: a Debian
# 12 (bookworm) root made with "debootstrap --variant=minbase
# --include=postgresql-15", that is postgresql-15 and what it depends on (its
# postgresql-client-15 brings pgxs.mk and pg_regress, but no postgres.h, no
# compiler, no Python, no Node).  Every run starts from a fresh copy of that
# root, from a clone (of the last commit) that the postgres user cannot read:
#
#   as root, in a copy of the root as made:
#     test/fresh/require_check.sh   the detection's unit check (fake apt-get)
#     demo.sh as a user, no sudo    one line naming the packages, exit 1
#     demo.sh as root, no network   one line naming the packages, exit 1
#     examples/demo.sh              the demo, exit 0
#     test/run.sh                   every suite on 15, all passing
#   as a user with passwordless sudo, in a copy with sudo installed:
#     demo.sh as a user whom sudo refuses   one line, exit 1
#     examples/demo.sh, then test/run.sh
# A failed run must leave the clone as it was and install nothing, and the
# next run in the same copy must pass.  Ends with "fresh: N passed, M failed".
#
#   test/fresh/run.sh
#   CR_ROOTS=/var/cache/comm_result   where the pristine root is kept: made when
#                        missing (about a minute), reused when present
#   CR_MIRROR=http://deb.debian.org/debian
#   FRESH_VARIANTS="root sudo"        the variants to run
#
# Runs as root or as a user with sudo (debootstrap and chroot need root).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"
NAME=fresh
# shellcheck source=../lib/checks.sh
source "$CR_ROOT/test/lib/checks.sh"

CR_ROOTS=${CR_ROOTS:-/var/cache/comm_result}
CR_MIRROR=${CR_MIRROR:-http://deb.debian.org/debian}
PRISTINE=$CR_ROOTS/fresh-pg15-bookworm
WORK=$CR_ROOTS/fresh-pg15-bookworm.run
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
on_exit() {
	local rc=$?
	umount_all
	checks_aborted "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# The pristine root, made under a temporary name and renamed when complete,
# so that an interrupted run never leaves a half-made root to be reused.
if [ ! -d "$PRISTINE" ]; then
	cr_log "making the pristine root $PRISTINE (debootstrap bookworm, postgresql-15 only)"
	cr_as_root mkdir -p "$CR_ROOTS"
	cr_as_root rm -rf --one-file-system "$PRISTINE.tmp"
	start=$(date +%s)
	cr_as_root debootstrap --variant=minbase --include=postgresql-15 bookworm \
		"$PRISTINE.tmp" "$CR_MIRROR" >"$LOGS/debootstrap.log" 2>&1 || {
		cat "$LOGS/debootstrap.log" >&2
		exit 1
	}
	cr_as_root chroot "$PRISTINE.tmp" apt-get clean
	cr_as_root mv "$PRISTINE.tmp" "$PRISTINE"
	cr_log "made it in $(($(date +%s) - start)) s"
fi

# The clone, made as the caller (git refuses to clone another user's
# repository), then copied into the roots.
git clone -q "$CR_ROOT" "$LOGS/comm_result"
commit=$(git -C "$LOGS/comm_result" rev-parse --short HEAD)

# A fresh copy of the pristine root, with /proc and /dev/pts mounted (ps,
# /dev/fd, sudo) until umount_all.
fresh_copy() {
	umount_all
	for m in "$WORK/var/cache/apt/archives" "$WORK/dev/pts" "$WORK/proc"; do # left by a killed run
		if mountpoint -q "$m"; then cr_as_root umount -l "$m"; fi
	done
	cr_as_root rm -rf --one-file-system "$WORK"
	cr_as_root cp -a "$PRISTINE" "$WORK"
	# The CAs this machine adds to Debian's (an egress proxy's, say) are
	# its network's configuration, not packages: without them npm cannot
	# reach its registry through such a proxy.  Node reads them from
	# NODE_EXTRA_CA_CERTS (set by in_root and as_user).
	if [ -n "$extra_ca" ]; then
		cat /usr/local/share/ca-certificates/*.crt | cr_as_root tee "$WORK$extra_ca" >/dev/null
	fi
	# The copy is thrown away: dpkg need not sync every file (Debian's
	# Docker images say the same).
	echo force-unsafe-io | cr_as_root tee "$WORK/etc/dpkg/dpkg.cfg.d/comm_result-fresh" >/dev/null
	cr_as_root mount -t proc proc "$WORK/proc" && mounts+=("$WORK/proc")
	cr_as_root mount --bind /dev/pts "$WORK/dev/pts" && mounts+=("$WORK/dev/pts")
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

# A failed run: one line (after cr_require's "==> installing", when it got
# that far) that names the headers' package and says what to run; nothing
# installed, nothing left in the clone (as DIR in the copy).
check_refused() { # label, clone, expected fixed string in the line
	local label=$1 clone=$2 line
	line=$(grep -v '^==> installing ' <<<"$out" || true)
	check_eq "$label: one line" 1 "$(printf '%s\n' "$line" | grep -c .)"
	if [[ "$line" == "comm_result: missing postgresql-server-dev-15 make gcc libc6-dev ("*"$3"* ]]; then
		ok "$label: the line names the packages and what to do"
	else
		bad "$label: [$line] is not \"comm_result: missing postgresql-server-dev-15 make gcc libc6-dev (...$3...\""
	fi
	check_eq "$label: nothing installed" "$before" "$(packages)"
	check_eq "$label: the clone is as it was" "" \
		"$(cr_as_root git -c safe.directory='*' -C "$WORK$clone" status --porcelain --ignored 2>&1)"
}

# The demo and test/run.sh as the README runs them, then their results.
check_demo() { # label
	has "$1: says what it installs, in order" "==> installing postgresql-server-dev-15 make gcc libc6-dev"
	has "$1: builds without warnings" "build warnings: 0"
	local counters=${out##*The counters followed every insert, move and upsert:}
	if [ "$counters" != "$out" ] && grep -q '| t$' <<<"$counters" && ! grep -q '| f$' <<<"$counters"; then
		ok "$1: the demo ran to its end, counters matching"
	else
		bad "$1: the demo's last table is missing or shows a mismatch"
	fi
}
check_tests() { # label
	local suite
	# (a suite that cannot run there, Citus, is listed after the counts)
	if [[ "$(tail -n 1 <<<"$out")" =~ ^all\ suites:\ ([0-9]+)\ passed,\ 0\ failed(\ \(not\ run:\ [a-z_ ]+\))?$ ]] &&
		[ "${BASH_REMATCH[1]}" -gt 0 ]; then
		ok "$1: $(tail -n 1 <<<"$out")"
	else
		bad "$1: last line [$(tail -n 1 <<<"$out")]"
	fi
	# the suites with needs of their own
	for suite in sanitize "python client" "node client"; do
		if grep -qE "^$suite: [0-9]+ passed, 0 failed$" <<<"$out"; then
			ok "$1: $suite passed"
		else
			bad "$1: no passing \"$suite\" line"
		fi
	done
}

times=()
for variant in ${FRESH_VARIANTS:-root sudo}; do
	cr_log "variant \"$variant\": a fresh copy of $PRISTINE, clone of $commit"
	fresh_copy
	case $variant in
	root)
		tar -C "$LOGS" -cf - comm_result | cr_as_root tar -C "$WORK/root" -xf -
		clone=/root/comm_result
		# The root is what the issue describes: PGXS without the headers.
		if [ -f "$WORK/usr/lib/postgresql/15/lib/pgxs/src/makefiles/pgxs.mk" ] &&
			[ ! -e "$WORK/usr/include/postgresql/15/server/postgres.h" ]; then
			ok "root: pgxs.mk is there, postgres.h is not"
		else
			bad "root: not the layout of issue 10 (pgxs.mk without postgres.h)"
		fi
		for cmd in gcc make python3 node npm sudo git; do
			[ ! -e "$WORK/usr/bin/$cmd" ] || bad "root: $cmd is already there"
		done
		before=$(packages)
		step root-require-check 0 in_root env CR_REQUIRE_REAL=1 bash "$clone/test/fresh/require_check.sh"
		if [[ "$(tail -n 1 <<<"$out")" =~ ^require:\ [0-9]+\ passed,\ 0\ failed$ ]]; then
			ok "root: $(tail -n 1 <<<"$out")"
		else
			bad "root: require check [$(tail -n 1 <<<"$out")]"
		fi
		add_user nosudo
		step root-demo-no-sudo 1 as_user nosudo examples/demo.sh
		check_refused root-demo-no-sudo /home/nosudo/comm_result \
			"): nosudo is not root and there is no sudo; ask an administrator to run: apt-get install postgresql-server-dev-15 make gcc libc6-dev"
		step root-demo-no-network 1 cr_as_root unshare -n chroot "$WORK" /usr/bin/env -i \
			PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 bash -c "cd $clone && examples/demo.sh"
		check_refused root-demo-no-network "$clone" \
			"): apt-get failed: "
		has "root-demo-no-network: says what to run" "; connect to a Debian mirror and run: apt-get install postgresql-server-dev-15 make gcc libc6-dev"
		use_apt_cache
		step root-demo 0 in_root bash -c "cd $clone && examples/demo.sh"
		check_demo root-demo
		step root-test 0 in_root bash -c "cd $clone && test/run.sh"
		check_tests root-test
		;;
	sudo)
		use_apt_cache
		# sudo and its users are the setup, not what the commands install.
		step sudo-setup 0 in_root bash -c 'apt-get update -q && apt-get install -y -q sudo'
		add_user crsudo
		add_user refused
		printf 'crsudo ALL=(ALL) NOPASSWD: ALL\n' | cr_as_root tee "$WORK/etc/sudoers.d/crsudo" >/dev/null
		cr_as_root chmod 440 "$WORK/etc/sudoers.d/crsudo"
		before=$(packages)
		step sudo-demo-refused 1 as_user refused examples/demo.sh
		check_refused sudo-demo-refused /home/refused/comm_result \
			"): refused may not use sudo; ask an administrator to run: apt-get install postgresql-server-dev-15 make gcc libc6-dev"
		step sudo-demo 0 as_user crsudo examples/demo.sh
		check_demo sudo-demo
		step sudo-test 0 as_user crsudo "${FRESH_SUDO_SUITES:+CR_SUITES=\"$FRESH_SUDO_SUITES\" }test/run.sh"
		check_tests sudo-test
		;;
	*)
		echo "unknown variant \"$variant\" in FRESH_VARIANTS (root, sudo)" >&2
		exit 2
		;;
	esac
	# What the commands installed, in order (apt's own record).
	cr_as_root cat "$WORK/var/log/apt/history.log" >"$LOGS/$variant-apt-history.log" 2>/dev/null || true
	sed -n "s/^Commandline: /$variant: /p" "$LOGS/$variant-apt-history.log"
done
umount_all
cr_as_root rm -rf --one-file-system "$WORK"

printf '%s\n' "${times[@]}" "fresh-root suite: $(($(date +%s) - start_all)) s (logs: $LOGS)"
finish
