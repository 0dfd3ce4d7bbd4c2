#!/usr/bin/env bash
# The upgrade path, in three parts, each in its own file:
#
# 1. from_1_0.sh: from the first version, with today's library: a database
#    that installed 1.0 and ran ALTER EXTENSION comm_result UPDATE equals a
#    fresh install of the newest version.
# 2. from_1_1.sh: from the real 1.1 release (git commit 9d5ef02), the way an
#    operator lives it: a database filled on 1.1's own build keeps every
#    stored value, index, partition and view under the newest library,
#    before and after the update; 1.1's library put back refuses today's
#    values with XX001 and never crashes.
# 3. from_1_2.sh: the same from the real 1.2 release (git commit 369ea52),
#    with today-shape values, views of comm_batch_summary, stored summaries
#    and states; after the update the new statuses of 1.3 load, count and
#    pass the guard; 1.2's library put back refuses to read them (XX001),
#    never crashes, but finds an index on request_status(r) out of order.
#
# The releases' sources: `git archive COMMIT` of the checkout, else the
# tarballs test/upgrade/comm_result-1.1.tar and comm_result-1.2.tar
# ($CR_SOURCES_1_1, $CR_SOURCES_1_2), which test/matrix.sh copies into its
# roots, where there is no git history; without them a part prints a
# "skipped: no 1.x sources" line and the others run.  CR_UPGRADE_FROM picks
# parts (default "1.0 1.1 1.2").  Shared helpers: lib.sh.
#
# Works on a private installation of its own (test/lib/cluster.sh): a copy
# of the one test/run.sh made, or a new one with this build; the releases'
# libraries are installed there, never into the system's PostgreSQL.  Ends
# with one line "upgrade: N passed, M failed".
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/../lib/cluster.sh"

NAME=upgrade
source "$here/../lib/checks.sh"
source "$here/lib.sh"

# Older releases' libraries replace the newest one for a while: in a
# private installation of this script's own.
cr_use_install
[ -n "$CR_INST_MINE" ] || cr_private_install "$CR_INST"
# autovacuum off: nothing may touch the heap pages between two snapshots.
settings=(-c autovacuum=off -c jit=off)
cr_cluster_start "${settings[@]}"
trap 'rc=$?; checks_aborted "$rc"; cr_cluster_stop; exit $rc' EXIT
export PGOPTIONS='-c client_min_messages=warning'

newest=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$CR_ROOT/comm_result.control")
for part in ${CR_UPGRADE_FROM:-1.0 1.1 1.2}; do
	case $part in
	1.0 | 1.1 | 1.2) source "$here/from_${part/./_}.sh" ;;
	*)
		bad "unknown part \"$part\" in CR_UPGRADE_FROM (choose from 1.0 1.1 1.2)"
		;;
	esac
done

finish
