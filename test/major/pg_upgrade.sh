#!/usr/bin/env bash
# pg_upgrade of a database of comm_result from PostgreSQL 15 to 17.
#
# pg_upgrade needs the old and the new server's binaries side by side, and no
# Debian release carries both 15 and 17 (Debian 12 has only 15, Debian 13
# only 17; apt.postgresql.org, which has both, is not reachable here).  So
# this suite makes a root that has both: a copy of the 17 root (Debian 13,
# test/matrix.sh's) into which 15's server (/usr/lib/postgresql/15 and
# /usr/share/postgresql/15 from Debian 12, with comm_result built for 15
# installed) is copied, with the few shared libraries of Debian 12 that 15's
# binaries need and Debian 13 does not have under the same name (ICU 72,
# OpenLDAP 2.5, LLVM 14: found with ldd, listed in the output).  Debian 13's
# glibc runs Debian 12's binaries.  In that root:
#   - build and install comm_result for 17;
#   - a 15 cluster (15's initdb, 15's server) gets the database that
#     test/major/dump_across.sh dumps (test/lib/replication.sh: rp_fill_sql),
#     and its state is written down (rp_state);
#   - pg_upgrade --check, then pg_upgrade (copy mode) into a new 17 cluster;
#   - the 17 server: the same state line by line (extension version, indexes,
#     triggers, md5 over ::text and comm_result_send of every table, the
#     reports), amcheck on every btree index, forced look-ups through every
#     index, the guard, new writes and the counters, ALTER EXTENSION UPDATE.
#
# Usage (as root: it runs chroot):
#   test/major/pg_upgrade.sh
#   CR_ROOT_15=/        where PostgreSQL 15 is installed: "/" is this machine
#                       (CI's Debian 12); else a Debian 12 root
#   CR_ROOT_17=$CR_ROOTS/pg17-trixie   the 17 root (test/matrix.sh makes it)
#   CR_UPGRADE_ROOT=$CR_ROOTS/pg15-17-upgrade   the combined root: made from
#                       a copy of the 17 root when missing (about 20 s and
#                       1.8 GB), its 15 part refreshed on every run
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"
set -euo pipefail

NAME=pg_upgrade
source "$(dirname "${BASH_SOURCE[0]}")/../lib/checks.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/replication.sh"
OLD=15 NEW=17

# --------------------------------------------------------------- in the combined root
if [ "${1:-}" = --inner ]; then
	OLD_BIN=/usr/lib/postgresql/$OLD/bin
	NEW_BIN=/usr/lib/postgresql/$NEW/bin
	cr_ensure_deps
	cr_build_install >/dev/null
	PG_CONFIG=$OLD_BIN/pg_config cr_cluster_start
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
	cr_as_pg "$NEW_BIN/initdb" -D "$CR_TMP/new" -U "$CR_PGUSER" --auth=trust \
		--encoding=UTF8 --locale=C.UTF-8 >"$CR_TMP/initdb-new.log" 2>&1
	upgrade() { # pg_upgrade options
		(cd "$CR_TMP" && cr_as_pg "$NEW_BIN/pg_upgrade" -b "$OLD_BIN" -B "$NEW_BIN" -d "$CR_PGDATA" -D "$CR_TMP/new" \
			-U "$CR_PGUSER" -s "$CR_TMP" "$@")
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
		cat "$CR_TMP"/new/pg_upgrade_output.d/*/log/* 2>/dev/null | tail -n 40 || true
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
CR_ROOTS=${CR_ROOTS:-/var/cache/comm_result}
ROOT_OLD=${CR_ROOT_15:-/}
ROOT_NEW=${CR_ROOT_17:-$CR_ROOTS/pg17-trixie}
COMBO=${CR_UPGRADE_ROOT:-$CR_ROOTS/pg15-17-upgrade}
for r in "$ROOT_OLD:$OLD" "$ROOT_NEW:$NEW"; do
	[ -x "${r%:*}/usr/lib/postgresql/${r##*:}/bin/postgres" ] ||
		{ echo "no PostgreSQL ${r##*:} in ${r%:*} (test/matrix.sh makes the roots)" >&2; exit 2; }
done
mounted=
trap '[ -z "$mounted" ] || umount "$mounted" || umount -l "$mounted" || true' EXIT

cr_log "building and installing comm_result for $OLD in $ROOT_OLD"
rp_in_root "$ROOT_OLD" comm_result-major "$OLD" "source test/lib/cluster.sh; cr_ensure_deps; cr_build_install" >/dev/null
if [ ! -x "$COMBO/usr/lib/postgresql/$NEW/bin/postgres" ]; then
	cr_log "making $COMBO from a copy of $ROOT_NEW"
	rm -rf --one-file-system "$COMBO.tmp"
	cp -a --one-file-system "$ROOT_NEW" "$COMBO.tmp"
	rm -rf --one-file-system "$COMBO.tmp/build"
	mv "$COMBO.tmp" "$COMBO"
fi
cr_log "copying PostgreSQL $OLD from $ROOT_OLD into $COMBO"
rm -rf "$COMBO/usr/lib/postgresql/$OLD" "$COMBO/usr/share/postgresql/$OLD"
cp -a "$ROOT_OLD/usr/lib/postgresql/$OLD" "$COMBO/usr/lib/postgresql/"
cp -a "$ROOT_OLD/usr/share/postgresql/$OLD" "$COMBO/usr/share/postgresql/"
# the libraries that the old binaries need and the new root lacks, from the
# old root, until ldd finds every one
mountpoint -q "$COMBO/proc" || { mount -t proc proc "$COMBO/proc" && mounted=$COMBO/proc; }
copied=()
for _ in 1 2 3 4 5; do
	missing=$(for f in "$COMBO/usr/lib/postgresql/$OLD"/bin/* "$COMBO/usr/lib/postgresql/$OLD"/lib/*.so; do
		chroot "$COMBO" ldd "${f#"$COMBO"}" 2>/dev/null | sed -n 's/^\t\([^ ]*\) => not found$/\1/p'
	done | sort -u)
	[ -n "$missing" ] || break
	for so in $missing; do
		src=$(find "$ROOT_OLD/usr/lib/x86_64-linux-gnu" "$ROOT_OLD/lib/x86_64-linux-gnu" -maxdepth 1 -name "$so" 2>/dev/null | head -n 1)
		[ -n "$src" ] || { echo "$so: needed by PostgreSQL $OLD's binaries, not found in $ROOT_OLD" >&2; exit 1; }
		cp -L "$src" "$COMBO/usr/lib/x86_64-linux-gnu/$so"
		copied+=("$so")
	done
done
[ -z "$missing" ] || { echo "still missing after 5 rounds: $missing" >&2; exit 1; }
echo "libraries of $ROOT_OLD copied into $COMBO: ${copied[*]:-none (already there)}"
[ -z "$mounted" ] || { umount "$mounted"; mounted=; }

rc=0
rp_in_root "$COMBO" comm_result-major "$NEW" "bash test/major/pg_upgrade.sh --inner" || rc=$?
exit "$rc"
