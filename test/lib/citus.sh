# Citus for the test suites: the one installed for the server in use, or a
# build of a public source archive of Citus (never part of this repository),
# made once per Citus archive and server and kept like the roots.
#
# Source after test/lib/cluster.sh.
#
#   cr_citus_installed        the server's own directories hold Citus
#   cr_citus_version [MAJOR]  the Citus release for this server (or for
#                             PostgreSQL MAJOR): 13.2.2 for 15, 14.0.1 for 16
#                             to 18 (what each supports)
#   cr_citus_archive [MAJOR]  sets CR_CITUS_ARCHIVE to the path of that
#                             release's archive, checked against its
#                             SHA256SUMS; returns 1 and sets CR_CITUS_WHY
#                             when there is none, 2 when it fails the check
#   cr_citus_build            the install tree of that archive built for this
#                             server (DESTDIR layout), built when missing
#   cr_citus_into_private     copy Citus's files into this process's private
#                             installation (test/lib/cluster.sh)
#
# Where the archives are looked for, first found wins: $CR_VENDOR, then
# ../shared/vendor beside the checkout, then beside the checkout it was
# cloned from (git remote get-url origin, when that is a local path).
# Builds are kept under $CR_CITUS_CACHE (default $CR_ROOTS/citus, that is
# /var/cache/comm_result/citus; inside a root of test/matrix.sh the root's
# own /var/cache/comm_result/citus, so the build stays with the root).

CR_CITUS_CACHE=${CR_CITUS_CACHE:-${CR_ROOTS:-/var/cache/comm_result}/citus}
CR_CITUS_WHY=
CR_CITUS_ARCHIVE=

cr_citus_installed() {
	[ -f "$("$PG_CONFIG" --pkglibdir)/citus.so" ] &&
		[ -f "$("$PG_CONFIG" --sharedir)/extension/citus.control" ]
}

# The newest Citus release that supports the server's major version.
cr_citus_version() {
	local major=${1:-}
	[ -n "$major" ] || major=$("$PG_CONFIG" --version | sed -nE 's/^PostgreSQL ([0-9]+).*/\1/p')
	case $major in
	15) echo 13.2.2 ;;
	16 | 17 | 18) echo 14.0.1 ;;
	*) return 1 ;;
	esac
}

# The directories where the archives may be, in order.
cr_citus_vendor_dirs() {
	local origin
	[ -z "${CR_VENDOR:-}" ] || echo "$CR_VENDOR"
	echo "$(dirname "$CR_ROOT")/shared/vendor"
	origin=$(git -C "$CR_ROOT" remote get-url origin 2>/dev/null || true)
	origin=${origin#file://}
	if [[ "$origin" == /* ]]; then
		origin=${origin%/}
		origin=${origin%/.git}
		echo "$(dirname "$origin")/shared/vendor"
	fi
}

cr_citus_archive() {
	local ver dir file sums looked=()
	CR_CITUS_WHY= CR_CITUS_ARCHIVE=
	if ! ver=$(cr_citus_version "${1:-}"); then
		CR_CITUS_WHY="no Citus release in the vendor archives supports PostgreSQL ${1:-$("$PG_CONFIG" --version)}"
		return 1
	fi
	file=citus-$ver.tar.gz
	while read -r dir; do
		looked+=("$dir")
		[ -f "$dir/$file" ] || continue
		# The archive must be the one its SHA256SUMS names: a damaged or
		# replaced archive is an error, not a reason to skip the suite.
		sums=$(grep -E "[ *]$file\$" "$dir/SHA256SUMS" 2>/dev/null || true)
		if [ -z "$sums" ]; then
			echo "$dir/SHA256SUMS does not list $file: not building an unchecked archive" >&2
			return 2
		fi
		if ! (cd "$dir" && sha256sum --quiet -c - <<<"$sums" >&2); then
			echo "$dir/$file does not match its checksum in $dir/SHA256SUMS" >&2
			return 2
		fi
		CR_CITUS_ARCHIVE=$dir/$file
		return 0
	done < <(cr_citus_vendor_dirs)
	CR_CITUS_WHY="no $file in $(printf '%s, ' "${looked[@]}" | sed 's/, $//') (set CR_VENDOR to the directory of the Citus source archives)"
	return 1
}

# cr_citus_build_tree ARCHIVE SRC DEST: unpack, fix, configure, build and
# install with DESTDIR into DEST.  Its text is part of the cache key, so a
# change here rebuilds.
cr_citus_build_tree() {
	local archive=$1 src=$2 dest=$3 compat server
	tar -xzf "$archive" -C "$src" --strip-components=1
	# PostgreSQL 15.20 declares and exports have_createdb_privilege() in
	# commands/dbcommands.h, which Citus 13.2.2 defines as a static function
	# for 15: use PostgreSQL's declaration instead (README, Scaling out).
	compat=$src/src/include/pg_version_compat.h
	server=$("$PG_CONFIG" --includedir-server)
	if grep -q 'have_createdb_privilege' "$server/commands/dbcommands.h" &&
		grep -qzP 'static inline bool\nhave_createdb_privilege\(void\)' "$compat"; then
		cr_log "applying the have_createdb_privilege fix for $("$PG_CONFIG" --version)"
		(cd "$src" && cr_citus_fix)
	fi
	# --without-libcurl: no code for anonymous statistics collection, but
	# where the server's pg_config.h defines HAVE_LIBCURL (18) Citus uses
	# curl anyway and must link it (a source build leaves the collection
	# off).  with_llvm=no: no JIT bitcode, which the tests do not use and
	# which doubles the work; -O1 -g0: a third of the default build's time
	# (README, Scaling out).
	local curl=--without-libcurl
	! grep -q '^#define HAVE_LIBCURL 1' "$server/pg_config.h" || curl=--with-libcurl
	(cd "$src" && ./configure PG_CONFIG="$PG_CONFIG" "$curl") >"$src/build.log" 2>&1 &&
		make -C "$src" -s -j"$(nproc)" with_llvm=no COPT='-O1 -g0' >>"$src/build.log" 2>&1 &&
		make -C "$src" -s with_llvm=no COPT='-O1 -g0' DESTDIR="$dest" install >>"$src/build.log" 2>&1 || {
		tail -n 40 "$src/build.log" >&2
		return 1
	}
}

# The source fix that Citus 13.2.2 needs on PostgreSQL 15.20, run in the
# unpacked source; the README shows the same command.
cr_citus_fix() {
	perl -0pi -e 's/static inline bool\nhave_createdb_privilege\(void\)\n\{.*?\n\}\n//s; s|#include "catalog/pg_proc_d.h"\n#include "storage/relfilenode.h"\n|#include "catalog/pg_proc_d.h"\n#include "commands/dbcommands.h"\n#include "storage/relfilenode.h"\n|' src/include/pg_version_compat.h
}

# The cached build for this server, made when missing; prints its path.
cr_citus_build() {
	local archive ver key name dir tmp start major old
	cr_citus_archive || return 1
	archive=$CR_CITUS_ARCHIVE
	ver=$(cr_citus_version)
	major=$("$PG_CONFIG" --version | sed -nE 's/^PostgreSQL ([0-9]+).*/\1/p')
	# Keyed by the archive, the server (its version and configuration), the
	# compiler and this recipe: any of them changing makes a new build.
	key=$({
		sha256sum <"$archive"
		"$PG_CONFIG" --version
		"$PG_CONFIG" --configure
		gcc --version | head -n 1
		declare -f cr_citus_build_tree cr_citus_fix
	} | sha256sum | cut -c1-12)
	name=citus-$ver-pg$("$PG_CONFIG" --version | sed -nE 's/^PostgreSQL ([0-9.]+).*/\1/p')-$key
	dir=$CR_CITUS_CACHE/$name
	if [ -f "$dir/.complete" ]; then
		echo "$dir"
		return 0
	fi
	cr_log "building Citus $ver for $("$PG_CONFIG" --version) from $archive (kept as $dir)"
	start=$(date +%s)
	tmp=$(mktemp -d /tmp/comm_result_citus_build.XXXXXX)
	mkdir "$tmp/src" "$tmp/dest"
	if ! cr_citus_build_tree "$archive" "$tmp/src" "$tmp/dest"; then
		rm -rf "$tmp"
		echo "building Citus $ver from $archive failed" >&2
		return 1
	fi
	echo "Citus $ver built for $("$PG_CONFIG" --version) in $(($(date +%s) - start)) s" |
		tee "$tmp/dest/.complete" >&2
	# Into the cache under a temporary name, then renamed: an interrupted
	# run never leaves a half-copied build to be reused.  Builds of other
	# archives or servers for the same major version are replaced.
	cr_as_root mkdir -p "$CR_CITUS_CACHE"
	cr_as_root rm -rf "$dir.tmp.$$"
	cr_as_root cp -a "$tmp/dest" "$dir.tmp.$$"
	rm -rf "$tmp"
	if [ -e "$dir" ]; then
		cr_as_root rm -rf "$dir.tmp.$$" # made meanwhile by another run
	else
		cr_as_root mv -T "$dir.tmp.$$" "$dir"
		for old in "$CR_CITUS_CACHE"/citus-*-pg"$major".*; do
			[ "$old" = "$dir" ] || [[ "$old" == *.tmp.* ]] || [ ! -d "$old" ] || cr_as_root rm -rf "$old"
		done
	fi
	echo "$dir"
}

# Copy the Citus build TREE's server files (library, control and SQL files)
# into this process's private installation, making one first (a copy of the
# inherited one) if it has none of its own.
cr_citus_into_private() {
	local tree=$1 d
	[ -n "$CR_INST_MINE" ] || cr_private_install "$CR_INST"
	for d in "$("$PG_CONFIG" --pkglibdir)" "$("$PG_CONFIG" --sharedir)"; do
		cp -a "$tree$d/." "$CR_INST$d/"
	done
}
