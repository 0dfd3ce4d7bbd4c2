#!/usr/bin/env bash
# Builds comm_result and runs its tests on every supported PostgreSQL major
# version, each against a fresh cluster:
#   the version this machine runs (test/lib/cluster.sh's choice: 15 on
#       Debian 12, 17 on Debian 13), natively: test/run.sh, every suite;
#   the others of 15, 17 and 18 in Debian roots made with debootstrap (15 in
#       bookworm, 17 in trixie, 18 in sid): the -Werror build with that
#       release's own gcc, then the regression, isolation, README, fuzz
#       (quick), dump/restore, crash and upgrade suites, the streaming
#       standby, logical replication and Citus (test/run.sh with CR_SUITES;
#       Citus built in the root from ../shared/vendor the first time,
#       test/lib/citus.sh).
# Ends with a table: version, compiler, build warnings, tests passed/failed.
#
# Then the suites that need two roots at once (test/major/: dump and restore
# across major versions, pg_upgrade) and the Debian packages (test/debian/).
#
#   test/matrix.sh             15, 17 and 18 (and this machine's version)
#   test/matrix.sh 17 18       some of them
#   CR_ROOTS=/var/cache/comm_result   where the roots are kept: made when
#                              missing (about 2 minutes each), reused when
#                              present; delete one to refresh it
#   CR_MIRROR=http://deb.debian.org/debian
#
# Runs as root or as a user with sudo (debootstrap and chroot need root).
source "$(dirname "${BASH_SOURCE[0]}")/lib/cluster.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/citus.sh"

CR_ROOTS=${CR_ROOTS:-/var/cache/comm_result}
CR_MIRROR=${CR_MIRROR:-http://deb.debian.org/debian}
# The suites that run inside the roots, those that exercise the server; the
# sanitizer run, the packaging checks and the clients run on this machine's
# version only, and so do the interrupted runs (test/interrupt/ tests bash
# and the scripts, not the server; CI runs it again in the fresh Debian 13
# root).
CR_ROOT_SUITES=${CR_ROOT_SUITES:-fuzz dump_restore crash upgrade standby logical citus}
# Ask for sudo's password now, not in the middle of a long run.
[ "$(id -u)" -eq 0 ] || sudo -v
# The version this machine runs, natively (with no server installed and
# apt's lists empty, cr_pg_resolve reads them to know the default).
cr_pg_resolve
host=$CR_PG_MAJOR

# The versions asked for, each once, checked before anything is made.
versions=()
for v in "${@:-$CR_MATRIX_VERSIONS $host}"; do
	for w in $v; do
		if [ "$w" != "$host" ] && ! cr_debian_suite_of "$w" >/dev/null; then
			echo "unsupported version $w (this machine runs $host; choose from $CR_MATRIX_VERSIONS, which run in Debian roots)" >&2
			exit 2
		fi
		[[ " ${versions[*]} " == *" $w "* ]] || versions+=("$w")
	done
done

root_of() { cr_matrix_root "$1"; }

# Moving between major versions needs two roots at once (test/major/);
# pg_upgrade runs 15:17 only (README, Upgrading), in a copy of the newer
# version's root even when this machine runs that version.
pairs=() upgrades=()
for a in "${versions[@]}"; do
	for b in "${versions[@]}"; do
		[ "$a" -lt "$b" ] || continue
		pairs+=("$a:$b")
		# pg_upgrade to 18.6 fails in PostgreSQL itself from 15.20 and 17.12
		# (both stamp a pg_attver column option that 18.6 refuses: README)
		[ "$a:$b" != 15:17 ] || upgrades+=("$a:$b")
	done
done
# The roots to make: every version but this machine's, and the newer one
# of each pg_upgrade pair.
root_versions=()
for v in "${versions[@]}" "${upgrades[@]#*:}"; do
	[ "$v" != "$host" ] || [[ " ${upgrades[*]#*:} " == *" $v "* ]] || continue
	[[ " ${root_versions[*]} " == *" $v "* ]] || root_versions+=("$v")
done
# The roots are made with debootstrap and get a copy of the tree from git;
# this machine's version (test/run.sh) asks for its own needs.
[ "${#root_versions[@]}" -eq 0 ] || cr_require debootstrap git

# Make the missing roots, all at once and while this machine's version runs
# (the time goes into downloads); roots_wait waits for them.  A root is built
# under a temporary name and renamed when complete, so an interrupted run
# never leaves a half-made root behind to be reused.
debootstraps=()
make_roots() {
	local v root
	for v in "$@"; do
		root=$(root_of "$v")
		[ -x "$root/usr/lib/postgresql/$v/bin/pg_config" ] && continue
		cr_log "making the PostgreSQL $v root $root (debootstrap $(cr_debian_suite_of "$v"))"
		cr_as_root mkdir -p "$CR_ROOTS"
		cr_as_root rm -rf --one-file-system "$root.tmp"
		(cr_as_root debootstrap --variant=minbase \
			--include="postgresql-$v,postgresql-server-dev-$v,make,gcc,libc6-dev,python3" \
			"$(cr_debian_suite_of "$v")" "$root.tmp" "$CR_MIRROR" >"$LOGS/debootstrap-$v.log" 2>&1 &&
			cr_as_root mv "$root.tmp" "$root") &
		debootstraps+=($!)
	done
}
roots_wait() {
	local j failed=0
	for j in "${debootstraps[@]}"; do
		wait "$j" || failed=1
	done
	debootstraps=()
	[ "$failed" -eq 0 ] || cat "$LOGS"/debootstrap-*.log >&2
	return "$failed"
}

# Run test/run.sh for version $1, in its root unless this machine runs it.
run_version() {
	local v=$1 root
	if [ "$v" = "$host" ]; then
		bash "$CR_ROOT/test/run.sh"
		return $?
	fi
	root=$(root_of "$v")
	# A fresh copy of the working tree (tracked and untracked, not ignored).
	# (Called as "run_version ... || rc=$?", so set -e is off in here: every
	# step checks its own status.)
	cr_as_root rm -rf --one-file-system "$root/build" &&
		cr_as_root mkdir -p "$root/build/comm_result" || return 1
	(cd "$CR_ROOT" && git ls-files -z -co --exclude-standard | tar --null -T - -cf -) |
		cr_as_root tar -C "$root/build/comm_result" -xf - || {
		echo "could not copy the source tree (is $CR_ROOT a git checkout?)" >&2
		return 1
	}
	# The 1.1 release's sources for test/upgrade/upgrade.sh, which has no git
	# history in the root (without them it skips the upgrade from 1.1).
	local old_tar=$root/build/comm_result/test/upgrade/comm_result-1.1.tar
	git -C "$CR_ROOT" archive 9d5ef02 | cr_as_root tee "$old_tar" >/dev/null || {
		cr_as_root rm -f "$old_tar"
		echo "no 1.1 sources for the upgrade suite (git archive 9d5ef02 failed)" >&2
	}
	# and the 1.2 release's, likewise
	local old_tar_1_2=$root/build/comm_result/test/upgrade/comm_result-1.2.tar
	git -C "$CR_ROOT" archive 369ea52 | cr_as_root tee "$old_tar_1_2" >/dev/null || {
		cr_as_root rm -f "$old_tar_1_2"
		echo "no 1.2 sources for the upgrade suite (git archive 369ea52 failed)" >&2
	}
	# Citus's source archive for test/citus/, beside the copy as beside a
	# checkout (the suite builds it once and keeps the build in the root).
	local crc=0
	cr_citus_archive "$v" || crc=$?
	[ "$crc" -ne 2 ] || return 1
	if [ "$crc" -eq 0 ]; then
		cr_as_root mkdir -p "$root/build/shared/vendor" &&
			cr_as_root cp "$CR_CITUS_ARCHIVE" "$(dirname "$CR_CITUS_ARCHIVE")/SHA256SUMS" "$root/build/shared/vendor/" ||
			return 1
	fi
	# /proc for the suites' process substitutions (/dev/fd) and ps; it is
	# unmounted when the run ends, however it ends (one left by a killed run
	# is reused, not stacked).
	mounted_proc=$root/proc
	mountpoint -q "$root/proc" || cr_as_root mount -t proc proc "$root/proc" || return 1
	local rc=0
	cr_as_root chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 CR_PG_MAJOR="$v" CR_SUITES="$CR_ROOT_SUITES" \
		FUZZ_SEED="${FUZZ_SEED:-20251128}" FUZZ_N="${FUZZ_N:-60000}" \
		${CITUS_APRIL_ROWS:+CITUS_APRIL_ROWS="$CITUS_APRIL_ROWS"} \
		${CITUS_TODAY_ROWS:+CITUS_TODAY_ROWS="$CITUS_TODAY_ROWS"} \
		bash /build/comm_result/test/run.sh || rc=$?
	unmount_proc
	return "$rc"
}

mounted_proc=
unmount_proc() {
	if [ -n "$mounted_proc" ]; then
		cr_as_root umount "$mounted_proc" || cr_as_root umount -l "$mounted_proc" || true
		mounted_proc=
	fi
}
# Interrupted: stop the debootstraps (background jobs ignore SIGINT) and
# unmount /proc.
on_exit() {
	trap '' INT TERM # first: a Ctrl-C must not cut the cleanup short
	[ "${#debootstraps[@]}" -eq 0 ] || kill "${debootstraps[@]}" 2>/dev/null || true
	unmount_proc
}
trap on_exit EXIT
trap 'exit 130' INT TERM

LOGS=$(mktemp -d /tmp/comm_result_matrix.XXXXXX)
status=0
make_roots "${root_versions[@]}"

# The group of the first line of a log that matches an extended regexp, or
# nothing (sed, unlike grep, does not fail when nothing matches).
first() { sed -nE "s/.*$1.*/\\1/;T;p;q" "$2"; }

rows=()
roots_ready=
# (this machine's version first, while the roots are made)
for v in $(printf '%s\n' "${versions[@]}" | grep -x "$host") $(printf '%s\n' "${versions[@]}" | grep -vx "$host"); do
	if [ "$v" != "$host" ] && [ -z "$roots_ready" ]; then
		roots_wait || exit 1
		roots_ready=1
	fi
	log=$LOGS/pg$v.log
	cr_log "PostgreSQL $v: building and testing (log: $log)"
	start=$(date +%s)
	rc=0
	run_version "$v" >"$log" 2>&1 || rc=$?
	secs=$(($(date +%s) - start))
	gcc_version=$(first 'against PostgreSQL .* with ([0-9][0-9.]*)$' "$log")
	warnings=$(first '^build warnings: ([0-9]+)' "$log")
	server=$(first 'against PostgreSQL ([0-9.]+)' "$log")
	passed=- failed=-
	if [[ "$(sed -n 's/^all suites: //p' "$log" | tail -n 1)" =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		passed=${BASH_REMATCH[1]} failed=${BASH_REMATCH[2]}
	fi
	if [ "$rc" -ne 0 ] || [ "$failed" != 0 ] || [ "${warnings:-x}" != 0 ]; then
		status=1
		tail -n 100 "$log" >&2
	fi
	rows+=("$(printf '| %s | %s | gcc %s | %s | %s | %s | %s s |' "$v" "${server:-?}" \
		"${gcc_version:-?}" "${warnings:-?}" "$passed" "$failed" "$secs")")
	cr_log "PostgreSQL $v: exit status $rc"
done

major_run() { # SUITE PAIRS...
	local log=$LOGS/$1.log rc=0
	[ "$#" -gt 1 ] || return 0
	cr_log "moving between major versions: test/major/$1.sh ${*:2} (log: $log)"
	cr_as_root env CR_ROOTS="$CR_ROOTS" CR_PG_MAJOR="$host" PG_CONFIG="$PG_CONFIG" \
		bash "$CR_ROOT/test/major/$1.sh" "${@:2}" >"$log" 2>&1 || rc=$?
	majors+=("$(tail -n 1 "$log")")
	# on failure the log's end, but its summary line only once, below
	[ "$rc" -eq 0 ] || { tail -n 60 "$log" | head -n -1 >&2; return 1; }
}
majors=()
[ -n "$roots_ready" ] || roots_wait || exit 1
major_run dump_across "${pairs[@]}" || status=1
major_run pg_upgrade "${upgrades[@]}" || status=1

# The Debian packages of these versions, built and tested in roots of their
# own (for 17 and 18 copies of the roots above).
deb_log=$LOGS/debian.log
deb_versions=()
for v in "${versions[@]}"; do
	if cr_debian_suite_of "$v" >/dev/null; then deb_versions+=("$v"); fi
done
cr_log "Debian packages: test/debian/run.sh ${deb_versions[*]} (log: $deb_log)"
bash "$CR_ROOT/test/debian/run.sh" "${deb_versions[@]}" >"$deb_log" 2>&1 || {
	status=1
	tail -n 60 "$deb_log" | head -n -1 >&2
}
majors+=("$(tail -n 1 "$deb_log")")

echo
echo "| version | server | compiler | build warnings | tests passed | tests failed | time |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
printf '%s\n' "${rows[@]}"
[ "${#majors[@]}" -eq 0 ] || printf '%s\n' "${majors[@]}"
echo "logs: $LOGS"
exit "$status"
