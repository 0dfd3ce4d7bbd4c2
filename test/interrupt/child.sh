#!/usr/bin/env bash
# The script that test/interrupt/run.sh interrupts: it starts what a suite
# starts (a throwaway cluster, maybe a private installation of its own and a
# second node), writes what it made into STATE, touches STATE/ready, and
# waits where the suites wait, until the signal comes.
#   child.sh MODE STATE
# MODE: pipeline  a function in a pipeline (as cr_regress ... | tee)
#       plain     a plain foreground command
#       own       as plain, with a private installation of its own
#       nodes     a second node (test/lib/replication.sh) and its cleanup
#       starting  pipelines of functions started one after the other, so
#                 that the signal comes as one is starting
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"
mode=$1 state=$2

[ "$mode" != own ] || cr_private_install "$CR_INST"
cr_cluster_start
if [ "$mode" = nodes ]; then
	NAME=interrupt
	source "$CR_ROOT/test/lib/checks.sh"
	source "$CR_ROOT/test/lib/replication.sh"
	trap 'rc=$?; checks_aborted "$rc"; rp_cleanup; exit $rc' EXIT
	rp_node_start second 54339
	head -n 1 "$(rp_dir second)/data/postmaster.pid" >"$state/pids"
fi
head -n 1 "$CR_PGDATA/postmaster.pid" >>"$state/pids"
echo "$CR_TMP" >"$state/dirs"
[ "$mode" != own ] || echo "$CR_INST" >>"$state/dirs"

# Waits as the suites do; a status that is not 0 before the trap (as an
# interrupted pipeline leaves) is what the cleanup must not stop on.
waits() { sleep 600 | tee /dev/null; }
short() { :; }
touch "$state/ready"
case $mode in
plain | own) sleep 600 ;;
starting) for ((i = 0; i < 100000; i++)); do short | short | short | short | short | short; done ;;
*) waits | tee "$CR_TMP/out" ;;
esac
