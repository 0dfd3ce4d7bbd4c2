#!/usr/bin/env bash
# pg_upgrade of a database of comm_result to a newer PostgreSQL major
# version: for each pair OLD:NEW (default 15:17).  To 18 is left out: with
# the roots' sid 18.6, pg_upgrade fails for any database, even one table of
# plain columns without comm_result, from Debian 13's 17.12 and from Debian
# 12's 15.20 alike: both keep a "pg_attver" option on every column, which
# 18.6 refuses (ERROR: unrecognized parameter "pg_attver") while restoring
# the schema.  (15.18 to 18.6 passes: test/major/pg_upgrade.sh 15:18.)
#
# pg_upgrade needs the old and the new server's binaries side by side, and no
# Debian release carries two of 15, 17 and 18 (Debian 12 has only 15, Debian
# 13 only 17, sid only 18; apt.postgresql.org, which has them all, is not
# reachable here).  So this suite makes a root that has both: a copy of NEW's
# root (test/matrix.sh's) into which OLD's server (/usr/lib/postgresql/OLD
# and /usr/share/postgresql/OLD, with comm_result built for OLD installed)
# is copied from OLD's root, with the shared libraries that OLD's binaries
# need and NEW's root lacks under that name (for 15 in Debian 13: ICU 72,
# OpenLDAP 2.5, LLVM 14; found with ldd and listed in the output).  The newer
# glibc runs the older binaries.  In that root:
#   - build and install comm_result for NEW;
#   - an OLD cluster (OLD's initdb and server) gets the database that
#     test/major/dump_across.sh dumps (test/lib/replication.sh: rp_fill_sql),
#     and its state is written down (rp_state);
#   - pg_upgrade --check, then pg_upgrade (copy mode) into a new NEW cluster
#     (made without data checksums, as the old one: 18's initdb turns them on
#     by default and pg_upgrade requires the same setting);
#   - the NEW server: the same state line by line (extension version,
#     indexes, triggers, md5 over ::text and comm_result_send of every table,
#     the reports), amcheck on every btree index, forced look-ups through
#     every index, the guard, new writes and the counters, the hash
#     partitions' routing, ALTER EXTENSION UPDATE.
#
# Usage (as root: it runs chroot):
#   test/major/pg_upgrade.sh [OLD:NEW ...]
#   CR_ROOT_15, CR_ROOT_17, CR_ROOT_18   where OLD's server comes from, as
#                       for dump_across.sh ("/", this machine, for the
#                       version it runs)
#   CR_UPGRADE_ROOTS=$CR_ROOTS   where the combined roots pgOLD-NEW-upgrade
#                       are kept: each made from a copy of NEW's root of
#                       test/matrix.sh (always a root, even when this machine
#                       runs NEW: the copy gets OLD's server) when missing
#                       (about 20 s and 2 GB), its OLD part refreshed on
#                       every run; delete one to refresh it
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"
set -euo pipefail

NAME=pg_upgrade
source "$(dirname "${BASH_SOURCE[0]}")/../lib/checks.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/replication.sh"

# --------------------------------------------------------------- in the combined root
if [ "${1:-}" = --inner ]; then
	OLD=$2 NEW=$3
	NAME="pg_upgrade $OLD->$NEW"
	OLD_BIN=/usr/lib/postgresql/$OLD/bin
	NEW_BIN=/usr/lib/postgresql/$NEW/bin
	cr_require build
	# This root is a throwaway made for this run: install into its system.
	cr_build >/dev/null
	make -C "$CR_ROOT" -s PG_CONFIG="$PG_CONFIG" install >/dev/null
	export CR_SYSTEM_INSTALL=1
	PG_CONFIG=$OLD_BIN/pg_config cr_cluster_start -c fsync=off
	trap 'rc=$?; checks_aborted "$rc"; rp_cleanup; exit $rc' EXIT
	export PGOPTIONS='-c client_min_messages=warning'
	v_old=$(rp_q main postgres "SELECT current_setting('server_version')" | cut -d' ' -f1)
	check_eq "the old cluster runs PostgreSQL $OLD's server" "$OLD" "${v_old%%.*}"
	"$CR_PGBIN/createdb" app
	rp_fill_sql | "$CR_PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d app >/dev/null
	rp_state main app >"$CR_TMP/state"
	ok "PostgreSQL $v_old: the recommended schema filled ($(grep -c '^table' "$CR_TMP/state") tables)"
	cr_as_pg "$CR_PGBIN/pg_ctl" -D "$CR_PGDATA" -m fast -w stop >/dev/null

	# the new cluster, made as the old one was (test/lib/cluster.sh)
	# (18's initdb turns data checksums on by default; the old cluster has none)
	checksums=()
	[ "$NEW" -lt 18 ] || checksums=(--no-data-checksums)
	cr_as_pg "$NEW_BIN/initdb" -D "$CR_TMP/new" -U "$CR_PGUSER" --auth=trust \
		--encoding=UTF8 --locale=C.UTF-8 "${checksums[@]}" >"$CR_TMP/initdb-new.log" 2>&1
	upgrade() { # pg_upgrade options
		# pg_upgrade writes its logs into the current directory
		(cd "$CR_TMP" && CR_PG_CWD=$CR_TMP cr_as_pg "$NEW_BIN/pg_upgrade" -b "$OLD_BIN" -B "$NEW_BIN" \
			-d "$CR_PGDATA" -D "$CR_TMP/new" -U "$CR_PGUSER" -s "$CR_TMP" "$@")
	}
	if out=$(upgrade --check 2>&1); then
		ok "pg_upgrade --check: $(grep -c '  ok$' <<<"$out") checks ok, $(grep -o 'Clusters are compatible' <<<"$out")"
	else
		bad "pg_upgrade --check failed"
		echo "$out"
	fi
	if out=$(upgrade 2>&1); then
		ok "pg_upgrade (copy mode): $(grep -o 'Upgrade Complete' <<<"$out")"
	else
		bad "pg_upgrade failed"
		echo "$out"
		grep -h -B 3 -A 3 -E "^(pg_restore: )?(error|ERROR|DETAIL)" "$CR_TMP"/new/pg_upgrade_output.d/*/log/pg_upgrade_dump_*.log 2>/dev/null || true
		exit 1
	fi
	CR_PGBIN=$NEW_BIN CR_PGDATA=$CR_TMP/new
	cr_server_start
	v_new=$(rp_q main postgres "SELECT current_setting('server_version')" | cut -d' ' -f1)
	label="$v_old -> $v_new (pg_upgrade)"
	rp_check_moved main app "$label" "$CR_TMP/state"
	check_eq "$label: ALTER EXTENSION comm_result UPDATE has nothing to do" \
		"$(sed -n 's/^extension version\t//p' "$CR_TMP/state")" \
		"$(rp_q main app "ALTER EXTENSION comm_result UPDATE; SELECT extversion FROM pg_extension WHERE extname = 'comm_result'")"
	if rp_no_crash main; then ok "$label: no crash in the server log"; else bad "$label: the server log shows a crash"; fi
	finish
	exit
fi

# --------------------------------------------------------------- on the host
[ "$(id -u)" -eq 0 ] || { echo "pg_upgrade.sh runs chroot: run it as root" >&2; exit 2; }
CR_UPGRADE_ROOTS=${CR_UPGRADE_ROOTS:-$CR_ROOTS}
rp_pairs "15:17" "$@"
for p in "${pairs[@]}"; do
	root=$(cr_matrix_root "${p##*:}")
	[ -x "$root/usr/lib/postgresql/${p##*:}/bin/postgres" ] ||
		{ echo "no PostgreSQL ${p##*:} in $root (test/matrix.sh makes it)" >&2; exit 2; }
done
trap 'trap "" INT TERM; rp_proc_unmount' EXIT
trap 'exit 130' INT TERM

# A root with both servers: NEW's root copied once, OLD's server copied in on
# every run with the libraries it needs that NEW's root lacks.
make_combo() { # OLD NEW COMBO
	local old=$1 new=$2 combo=$3 root_old root_new missing so src copied=()
	root_old=$(rp_root_of "$old") root_new=$(cr_matrix_root "$new")
	if [ ! -x "$combo/usr/lib/postgresql/$new/bin/postgres" ]; then
		cr_log "making $combo from a copy of $root_new"
		rm -rf --one-file-system "$combo.tmp"
		mkdir -p "$combo.tmp"
		cp -a --one-file-system "$root_new/." "$combo.tmp/"   # (the root itself may be a symbolic link)
		rm -rf --one-file-system "$combo.tmp/build"
		mv "$combo.tmp" "$combo"
	fi
	cr_log "copying PostgreSQL $old from $root_old into $combo"
	rm -rf "$combo/usr/lib/postgresql/$old" "$combo/usr/share/postgresql/$old" "$combo/usr/include/postgresql/$old"
	cp -a "$root_old/usr/lib/postgresql/$old" "$combo/usr/lib/postgresql/"
	cp -a "$root_old/usr/share/postgresql/$old" "$combo/usr/share/postgresql/"
	# comm_result for OLD, built where OLD's headers and compilers are (in
	# OLD's root: its Makefile.global may ask for a clang that NEW's root
	# lacks, for the JIT bitcode) and installed with DESTDIR into a
	# directory of its own, then copied into the combined root: never into
	# OLD's root's own system, which may be this machine's.
	local stage=/build/comm_result-stage host_stage
	if [ "$root_old" = / ]; then
		stage=$(mktemp -d /tmp/comm_result_stage.XXXXXX)
		# cp -a of "$stage/." gives the combined root the stage's mode:
		# mktemp's 0700 would keep the postgres user out of it
		chmod 755 "$stage"
		host_stage=$stage
	else
		host_stage=$root_old$stage
		rm -rf "$host_stage"
	fi
	cr_log "building comm_result for $old in $root_old, for $combo"
	rp_in_root "$root_old" comm_result-major "$old" "source test/lib/cluster.sh; cr_require build; cr_build >/dev/null; make -s PG_CONFIG=\"\$PG_CONFIG\" DESTDIR=$stage install" >/dev/null || {
		rm -rf "$host_stage"
		return 1
	}
	cp -a "$host_stage/." "$combo/"
	rm -rf "$host_stage"
	rp_proc_mount "$combo"
	for _ in 1 2 3 4 5; do
		missing=$(for f in "$combo/usr/lib/postgresql/$old"/bin/* "$combo/usr/lib/postgresql/$old"/lib/*.so; do
			chroot "$combo" ldd "${f#"$combo"}" 2>/dev/null | sed -n 's/^\t\([^ ]*\) => not found$/\1/p'
		done | sort -u)
		[ -n "$missing" ] || break
		for so in $missing; do
			src=$(find "$root_old/usr/lib/x86_64-linux-gnu" "$root_old/lib/x86_64-linux-gnu" -maxdepth 1 -name "$so" 2>/dev/null | head -n 1)
			[ -n "$src" ] || { echo "$so: needed by PostgreSQL $old's binaries, not found in $root_old" >&2; return 1; }
			cp -L "$src" "$combo/usr/lib/x86_64-linux-gnu/$so"
			copied+=("$so")
		done
	done
	[ -z "$missing" ] || { echo "still missing after 5 rounds: $missing" >&2; return 1; }
	echo "libraries of $root_old copied into $combo: ${copied[*]:-none (already there)}"
	rp_proc_unmount
}

status=0
for p in "${pairs[@]}"; do
	old=${p%%:*} new=${p##*:}
	combo=$CR_UPGRADE_ROOTS/pg$old-$new-upgrade
	make_combo "$old" "$new" "$combo"
	log=$(mktemp)
	rc=0
	rp_in_root "$combo" comm_result-major "$new" "bash test/major/pg_upgrade.sh --inner $old $new" >"$log" 2>&1 || rc=$?
	cr_tally "$(tail -n 1 "$log")" || rc=1
	if [ "$rc" -eq 0 ]; then grep -E '^(ok|FAIL) ' "$log" || true; else status=1; cat "$log"; fi
	rm -f "$log"
done
echo "$NAME: $CR_PASSED passed, $CR_FAILED failed"
exit "$status"
