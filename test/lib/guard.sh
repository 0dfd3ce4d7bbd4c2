#!/usr/bin/env bash
# The guard of a throwaway cluster (cr_guard_start in test/lib/cluster.sh):
# it waits for the script PID to end and, if the script left its cluster
# behind, stops every server under DIR and removes DIR and the other
# directories given.  A script normally cleans up in its EXIT trap and
# ends its guard first; the guard acts when that trap could not finish
# (a Ctrl-C that came as bash was starting a pipeline, SIGKILL).
#   guard.sh PID BINDIR DIR [DIR...]
trap '' INT TERM HUP
pid=$1 bin=$2
shift 2
while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
[ -d "$1" ] || exit 0
as=()
[ "$(id -u)" -ne 0 ] || as=(runuser -u postgres --)
for pidfile in "$1"/data/postmaster.pid "$1"/*/data/postmaster.pid; do
	[ -f "$pidfile" ] || continue
	data=${pidfile%/postmaster.pid}
	(cd / && "${as[@]}" "$bin/pg_ctl" -D "$data" -m fast -w -t 60 stop) >/dev/null 2>&1 && continue
	# No pg_ctl (an inherited private installation, gone with its owner):
	# SIGINT is the postmaster's fast shutdown, SIGQUIT its immediate one.
	server=$(head -n 1 "$pidfile" 2>/dev/null) || continue
	kill -INT "$server" 2>/dev/null || continue
	for ((i = 0; i < 300; i++)); do
		kill -0 "$server" 2>/dev/null || break
		sleep 0.2
	done
	! kill -0 "$server" 2>/dev/null || kill -QUIT "$server" 2>/dev/null || true
done
rm -rf "$@"
