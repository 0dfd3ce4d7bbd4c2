#!/usr/bin/env bash
# The Debian packages, built and tested the way a user gets them: for each
# PostgreSQL version (15 on Debian 12, 17 on 13, 18 on unstable)
#   - in a build root that has only that PostgreSQL (a copy of test/matrix.sh's
#     root when there is one), the source package (dpkg-source) and "make deb"
#     (dpkg-buildpackage with pg_buildext, whose build runs the regression
#     and isolation suites against the package's files), then lintian on both
#     with warnings fatal (overrides are commented in debian/);
#   - the package's dependencies and files;
#   - in a fresh copy of a root that has only postgresql-NN (no server
#     headers, no compiler), test/debian/installed.sh: apt installs the .deb,
#     a database owner creates the extension, the regression suite runs
#     against the installed files, 1.0 is updated, the autopkgtest runs,
#     comm-result-sync's package installs and syncs from a fake API,
#     apt removes the package and the server keeps working, the .debs of
#     the other versions are refused, and "make deb" names
#     postgresql-server-dev-all when it or the server headers are missing.
# Ends with "debian: N passed, M failed".
#
#   test/debian/run.sh            15, 17 and 18
#   test/debian/run.sh 17         some of them
#   CR_ROOTS=/var/cache/comm_result   where the pristine roots are kept:
#                              made when missing, reused when present
#                              (delete one to refresh it)
#   CR_DEB_PREFIX=deb          their names: PREFIX-build-NN-SUITE and
#                              PREFIX-run-NN-SUITE
#   CR_MIRROR=http://deb.debian.org/debian
#
# Runs as root or as a user with sudo (debootstrap and chroot need root).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"
NAME=debian
source "$CR_ROOT/test/lib/checks.sh"

CR_ROOTS=${CR_ROOTS:-/var/cache/comm_result}
CR_MIRROR=${CR_MIRROR:-http://deb.debian.org/debian}
CR_DEB_PREFIX=${CR_DEB_PREFIX:-deb}
declare -A suite_of=([15]=bookworm [17]=trixie [18]=sid)

versions=()
for v in "${@:-15 17 18}"; do
	for w in $v; do
		if [ -z "${suite_of[$w]:-}" ]; then
			echo "unsupported version $w (choose from 15 17 18)" >&2
			exit 2
		fi
		[[ " ${versions[*]} " == *" $w "* ]] || versions+=("$w")
	done
done
[ "$(id -u)" -eq 0 ] || sudo -v
cr_require debootstrap git

build_root() { echo "$CR_ROOTS/$CR_DEB_PREFIX-build-$1-${suite_of[$1]}"; }
run_root() { echo "$CR_ROOTS/$CR_DEB_PREFIX-run-$1-${suite_of[$1]}"; }
# test/matrix.sh's root for a version (none for the one this machine runs,
# unless pg_upgrade needed it).
matrix_root() { cr_matrix_root "$1"; }

# A command in a root, with a clean environment.
in_root() {
	local root=$1
	shift
	cr_as_root chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

# /proc of the roots in use, unmounted at exit however the run ends; the
# work copies of the run roots are deleted then too.
mounts=()
work_copies=()
jobs_running=()
mount_proc() {
	mountpoint -q "$1/proc" || cr_as_root mount -t proc proc "$1/proc"
	mounts+=("$1/proc")
}
cleanup() {
	local m w
	trap '' INT TERM # first: a Ctrl-C must not cut the cleanup short
	[ "${#jobs_running[@]}" -eq 0 ] || kill "${jobs_running[@]}" 2>/dev/null || true
	for m in "${mounts[@]}"; do
		mountpoint -q "$m" && { cr_as_root umount "$m" || cr_as_root umount -l "$m"; }
	done
	for w in "${work_copies[@]}"; do
		[ -d "$w" ] && cr_as_root rm -rf --one-file-system "$w"
	done
	[ -z "${LOGS:-}" ] || [ "$FAIL" -ne 0 ] || rm -rf "$LOGS"
	checks_aborted "$1"
}
trap 'cleanup $?' EXIT
trap 'exit 130' INT TERM
LOGS=$(mktemp -d /tmp/comm_result_debian.XXXXXX)
chmod 755 "$LOGS"

# A copy of the working tree (tracked and untracked, not ignored) in $1.
copy_tree() {
	cr_as_root rm -rf --one-file-system "$1"
	cr_as_root mkdir -p "$1"
	(cd "$CR_ROOT" && git ls-files -z -co --exclude-standard | tar --null -T - -cf -) |
		cr_as_root tar -C "$1" -xf -
}

# Make a missing root under a temporary name, renamed when complete, so that
# an interrupted run never leaves a half-made root to be reused.
#   build root: PostgreSQL $v, debian/control's Build-Depends and lintian;
#     a copy of test/matrix.sh's root when there is one.
#   run root: only postgresql-$v (and what it depends on).
make_build_root() {
	local v=$1 root tmp suite=${suite_of[$1]}
	root=$(build_root "$v")
	tmp=$root.tmp
	cr_as_root rm -rf --one-file-system "$tmp"
	if [ -x "$(matrix_root "$v")/usr/lib/postgresql/$v/bin/pg_config" ]; then
		# (-x: not into a /proc that a running test/matrix.sh mounted there.)
		cr_as_root cp -ax "$(matrix_root "$v")" "$tmp"
		cr_as_root rm -rf --one-file-system "$tmp/build"
	else
		# The matrix's recipe.  (Not lintian here: debootstrap does not
		# resolve its virtual dependency perl-openssl-abi-3, apt does.)
		cr_as_root debootstrap --variant=minbase \
			--include="postgresql-$v,postgresql-server-dev-$v,make,gcc,libc6-dev,python3" \
			"$suite" "$tmp" "$CR_MIRROR"
	fi
	cr_as_root mkdir -p "$tmp/build/src/debian"
	cr_as_root cp "$CR_ROOT/debian/control" "$tmp/build/src/debian/"
	# (A mirror may serve sid's Release past its Valid-Until date: a stale
	# index does no harm to a root made for one run of tests.)
	in_root "$tmp" apt-get -o Acquire::Check-Valid-Until=false update -q
	in_root "$tmp" apt-get build-dep -y -q /build/src
	in_root "$tmp" apt-get install -y -q --no-install-recommends lintian
	in_root "$tmp" apt-get clean
	cr_as_root rm -rf "$tmp/build"
	cr_as_root mv "$tmp" "$root"
}
make_run_root() {
	local v=$1 root
	root=$(run_root "$v")
	cr_as_root rm -rf --one-file-system "$root.tmp"
	cr_as_root debootstrap --variant=minbase --include="postgresql-$v" \
		"${suite_of[$v]}" "$root.tmp" "$CR_MIRROR"
	in_root "$root.tmp" apt-get clean
	cr_as_root mv "$root.tmp" "$root"
}

# The missing roots, all at once (the time goes into downloads).
start=$(date +%s)
made=()
for v in "${versions[@]}"; do
	for kind in build run; do
		root=$("${kind}_root" "$v")
		[ -x "$root/usr/lib/postgresql/$v/bin/postgres" ] && continue
		cr_log "making $root (log: $LOGS/root-$kind-$v.log)"
		"make_${kind}_root" "$v" >"$LOGS/root-$kind-$v.log" 2>&1 &
		jobs_running+=($!)
		made+=("$kind-$v")
	done
done
roots_ok=1
for j in "${jobs_running[@]}"; do
	wait "$j" || roots_ok=0
done
jobs_running=()
if [ "$roots_ok" -eq 0 ]; then
	tail -n 30 "$LOGS"/root-*.log >&2
	bad "making the roots (${made[*]})"
	finish
	exit 1
fi
[ "${#made[@]}" -eq 0 ] || ok "roots made (${made[*]}) in $(($(date +%s) - start)) s"

debversion=$(sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' "$CR_ROOT/debian/changelog")
upstream=${debversion%-*}
arch=$(dpkg --print-architecture)
# Each version's .debs, kept here for the install tests.
DEBS=$LOGS/debs
mkdir -p "$DEBS"

# Build for version $v in its build root; checks the source package, the
# binary package, its metadata and files, and lintian.
build_version() {
	local v=$1 root src deb log t0 names
	root=$(build_root "$v")
	src=$root/build/comm_result
	log=$LOGS/build-$v.log
	check_eq "the build root for $v has only PostgreSQL $v" "$v" "$(cd "$root/usr/lib/postgresql" && echo *)"
	cr_as_root rm -rf --one-file-system "$root/build"
	copy_tree "$src"
	mount_proc "$root"

	# The source package: the upstream tarball is the tree without debian/.
	if in_root "$root" sh -c "cd /build && tar --exclude=comm_result/debian \
		--transform 's,^comm_result,comm-result-$upstream,S' -czf comm-result_$upstream.orig.tar.gz comm_result &&
		dpkg-source -b comm_result" >"$log" 2>&1; then
		ok "$v: dpkg-source builds comm-result_$debversion.dsc"
	else
		bad "$v: dpkg-source -b (log: $log)"
	fi

	t0=$(date +%s)
	if in_root "$root" make -C /build/comm_result deb >>"$log" 2>&1; then
		ok "$v: make deb builds in $(($(date +%s) - t0)) s"
	else
		bad "$v: make deb failed (log: $log)"
		tail -n 40 "$log"
		return 0
	fi
	check_eq "$v: make deb builds for the installed version only" \
		"make deb: building postgresql-NN-comm-result for PostgreSQL $v" \
		"$(grep '^make deb: building' "$log")"
	# pg_buildext's installcheck at build time, against the package's files.
	check_eq "$v: the build ran the regression and isolation suites" "### End $v installcheck ###" \
		"$(grep "^### End $v installcheck" "$log")"
	names=$(cd "$root/build" && echo *.deb)
	check_eq "$v: the packages built" \
		"comm-result-sync_${debversion}_all.deb postgresql-$v-comm-result-dbgsym_${debversion}_$arch.deb postgresql-$v-comm-result_${debversion}_$arch.deb" "$names"
	# comm-result-sync: plain Python, nothing but python3 and psycopg 3.
	local sync=$root/build/comm-result-sync_${debversion}_all.deb
	if [ -f "$sync" ]; then
		check_eq "$v: comm-result-sync's Depends" "python3, python3-psycopg" "$(dpkg-deb -f "$sync" Depends)"
		cp "$sync" "$DEBS/comm-result-sync-$v.deb"
	fi
	deb=$root/build/postgresql-$v-comm-result_${debversion}_$arch.deb
	[ -f "$deb" ] || return 1
	cp "$deb" "$DEBS/"

	# Depends: postgresql-NN (at least the minor release that the build
	# root's /etc/postgresql-common/minor_versions names), the JIT provider postgresql-NN provides itself when
	# the package has bitcode, libc6 for the module; nothing else.
	local depends names other
	depends=$(dpkg-deb -f "$deb" Depends)
	names=$(echo "$depends" | tr ',' '\n' | sed 's/^ *//; s/ .*//')
	other=$(grep -vxE "postgresql-$v|postgresql-$v-jit-llvm|libc6" <<<"$names" | xargs || true)
	if grep -qx "postgresql-$v" <<<"$names" && [ -z "$other" ]; then
		ok "$v: Depends: $depends"
	else
		bad "$v: Depends: $depends (wanted postgresql-$v and libc6 only; other: $other)"
	fi
	# The files: the module, the control file and every sql/*.sql of the
	# tree, in this version's directories.
	local want have
	local f want have
	want=$({
		echo "usr/lib/postgresql/$v/lib/comm_result.so"
		echo "usr/share/postgresql/$v/extension/comm_result.control"
		for f in "$CR_ROOT"/sql/*.sql; do echo "usr/share/postgresql/$v/extension/${f##*/}"; done
	} | sort)
	have=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's,^\./,,' |
		grep -E '\.(so|control|sql)$' | sort)
	check_eq "$v: the package holds the module, the control file and every sql/*.sql" "$want" "$have"

	# lintian, not as root; a warning fails as an error does.  (Not
	# --fail-on warning: lintian 2.116 then fails on overridden warnings.)
	# The source package and the binary build's .changes one after the
	# other (given together, lintian 2.143 takes the dbgsym package's doc
	# symlink for one into a package of another source).
	local rc=0 what
	: >"$LOGS/lintian-$v.log"
	for what in "comm-result_$debversion.dsc" "comm-result_${debversion}_$arch.changes"; do
		in_root "$root" runuser -u nobody -- lintian --info --show-overrides "/build/$what" \
			>>"$LOGS/lintian-$v.log" 2>&1 || rc=$?
	done
	if [ "$rc" -eq 0 ] && ! grep -qE '^[EW]: ' "$LOGS/lintian-$v.log"; then
		ok "$v: lintian $(in_root "$root" dpkg-query -W -f '${Version}' lintian): no error, no warning ($(grep -c '^O: ' "$LOGS/lintian-$v.log" || true) overridden)"
	else
		bad "$v: lintian, exit status $rc (log: $LOGS/lintian-$v.log)"
	fi
	grep -E '^[EWIPO]: ' "$LOGS/lintian-$v.log" || true
}

# Install version $v's .deb into a fresh copy of its run root and run
# test/debian/installed.sh there, with the other versions' .debs to refuse.
install_version() {
	local v=$1 pristine work line
	pristine=$(run_root "$v")
	work=$pristine.work
	work_copies+=("$work")
	cr_as_root rm -rf --one-file-system "$work"
	cr_as_root cp -ax "$pristine" "$work"
	copy_tree "$work/build/comm_result"
	cr_as_root mkdir -p "$work/tmp/debs/other"
	for deb in "$DEBS"/*.deb; do
		case $deb in
		*/postgresql-"$v"-comm-result_*) cr_as_root cp "$deb" "$work/tmp/debs/" ;;
		*/comm-result-sync-"$v".deb) cr_as_root cp "$deb" "$work/tmp/debs/comm-result-sync_${debversion}_all.deb" ;;
		*/comm-result-sync-*) ;;
		*) cr_as_root cp "$deb" "$work/tmp/debs/other/" ;;
		esac
	done
	mount_proc "$work"
	in_root "$work" CR_PG_MAJOR="$v" bash /build/comm_result/test/debian/installed.sh \
		>"$LOGS/installed-$v.log" 2>&1 || true
	sed "s/^/$v: /" "$LOGS/installed-$v.log" | grep -E '^[0-9]+: (ok|FAIL) '
	line=$(tail -n 1 "$LOGS/installed-$v.log")
	if [[ "$line" =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		PASS=$((PASS + BASH_REMATCH[1]))
		FAIL=$((FAIL + BASH_REMATCH[2]))
		[ "${BASH_REMATCH[2]}" -eq 0 ] || echo "$v: the install test's log: $LOGS/installed-$v.log"
	else
		bad "$v: the install test stopped (log: $LOGS/installed-$v.log)"
		tail -n 40 "$LOGS/installed-$v.log"
	fi
	cr_as_root umount "$work/proc" || cr_as_root umount -l "$work/proc"
	cr_as_root rm -rf --one-file-system "$work"
}

for v in "${versions[@]}"; do
	t0=$(date +%s)
	cr_log "PostgreSQL $v: building in $(build_root "$v")"
	build_version "$v"
	cr_as_root umount "$(build_root "$v")/proc" || true
	echo "PostgreSQL $v: built in $(($(date +%s) - t0)) s"
done
for v in "${versions[@]}"; do
	t0=$(date +%s)
	if [ -f "$DEBS/postgresql-$v-comm-result_${debversion}_$arch.deb" ]; then
		cr_log "PostgreSQL $v: installing into a copy of $(run_root "$v")"
		install_version "$v"
	fi
	echo "PostgreSQL $v: install tests in $(($(date +%s) - t0)) s"
done
echo "total: $(($(date +%s) - start)) s (logs, kept after a failure: $LOGS)"
finish
