#!/usr/bin/env bash
# Ctrl-C and SIGTERM where the suites wait (test/interrupt/child.sh): the
# script exits with 130 or 143, its servers are stopped and its directories
# (the cluster's, a private installation of its own) are gone; a second
# Ctrl-C during the cleanup does not cut it short.  After SIGKILL, or a
# Ctrl-C that ended the script in the middle of its EXIT trap, the guard
# (test/lib/guard.sh) does the same.  test/fresh/run.sh does
# the same to test/run.sh and the demo at random moments; this suite hits
# the known places every time.  Also a lint of the shell scripts: no bare
# "return" (in an EXIT trap it returns the status from before the trap, 130
# after Ctrl-C, and set -e then ends the cleanup half-way).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"
NAME=interrupt
source "$CR_ROOT/test/lib/checks.sh"

cr_require build git ps
cr_use_install # the inherited private installation, or one made here
T=$(mktemp -d /tmp/comm_result_interrupt.XXXXXX)
trap 'rc=$?; checks_aborted "$rc"; cr_cluster_stop; [ -n "${KEEP:-}" ] || rm -rf "$T"; exit $rc' EXIT

# ---------------------------------------------------------------- lint
bare=$(cd "$CR_ROOT" && git ls-files -z '*.sh' .ci/run | xargs -0 grep -nE '(^|[;&|{(]|then|else|do)[[:space:]]*return[[:space:]]*($|[;})#]|fi\b)' || true)
check_eq "no bare return in the shell scripts" "" "$bare"

# ---------------------------------------------------------------- interrupts
# A process that runs (an exited server whose parent has not reaped it yet
# is a zombie, and kill -0 still finds it).
alive() { # PID
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	[[ "$st" != Z* ]]
}
# run_case LABEL MODE SIGNAL STATUS [SECOND]: start child.sh MODE in a
# process group of its own (as a terminal runs it), send SIGNAL to the group
# once it is ready (KILL to the script alone; a second SIGINT 0.2 s later
# with SECOND), then check its exit status, its servers and its directories,
# cleaned up by its EXIT trap (BY=trap) or by its guard (BY=guard).
run_case() {
	local label=$1 mode=$2 sig=$3 want=$4 second=${5:-} s=$T/$1 pid rc=0 i p servers dirs guards
	mkdir "$s"
	set -m
	bash "$CR_ROOT/test/interrupt/child.sh" "$mode" "$s" >"$s/log" 2>&1 &
	pid=$!
	set +m
	for ((i = 0; i < 1200; i++)); do
		[ ! -e "$s/ready" ] && kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ ! -e "$s/ready" ]; then
		bad "$label: child.sh $mode did not get ready"
		kill -KILL -- "-$pid" 2>/dev/null || true
		tail -n 20 "$s/log"
		return 0
	fi
	if [ "$sig" = KILL ]; then
		kill -KILL "$pid" # the script alone (as kill -9 PID or the OOM killer)
	else
		kill -s "$sig" -- "-$pid"
	fi
	if [ -n "$second" ]; then
		sleep 0.2
		kill -s INT -- "-$pid" 2>/dev/null || true
	fi
	# Bounded: a minute to stop the servers and remove the directories.
	for ((i = 0; i < 600; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		bad "$label: still running 60 s after SIG$sig: killed"
		kill -KILL -- "-$pid" 2>/dev/null || true
	fi
	{ wait "$pid" || rc=$?; } 2>/dev/null
	check_eq "$label: exit status" "$want" "$rc"
	# The EXIT trap has removed the directories and ended the guard when
	# the script ends; the guard (BY=guard) does its work and ends within
	# 10 s.  A server ends a moment after pg_ctl stop returns (once it has
	# removed its postmaster.pid).
	for ((i = 0; i < 100; i++)); do
		servers= dirs=
		for p in $(cat "$s/pids"); do
			! alive "$p" || servers+=" $p"
		done
		for p in $(cat "$s/dirs"); do
			[ ! -e "$p" ] || dirs+=" $p"
		done
		guards=$(pgrep -f "guard.sh $pid " | tr '\n' ' ' || true)
		[ -n "$servers$dirs$guards" ] && { [ "$BY" = guard ] || [ -z "$dirs$guards" ]; } || break
		sleep 0.1
	done
	check_eq "$label: no server left running" "" "${servers# }"
	check_eq "$label: no directory left" "" "${dirs# }"
	check_eq "$label: no guard left" "" "${guards% }"
	kill -KILL -- "-$pid" 2>/dev/null || true # what SIGKILL left (sleep)
	[ "$FAIL" -eq 0 ] || tail -n 20 "$s/log"
}

BY=trap
run_case "Ctrl-C in a function's pipeline" pipeline INT 130
run_case "Ctrl-C in a plain command" plain INT 130
run_case "SIGTERM in a function's pipeline" pipeline TERM 143
run_case "Ctrl-C with a private installation of its own" own INT 130
check_eq "the inherited private installation is still there" yes \
	"$([ -f "$(cr_dir pkglibdir)/comm_result.so" ] && echo yes)"
run_case "Ctrl-C with a second node" nodes INT 130
run_case "Ctrl-C twice" pipeline INT 130 second
run_case "Ctrl-C twice with a second node" nodes INT 130 second
# No trap at all: the guard alone.
BY=guard
run_case "SIGKILL" plain KILL 137
run_case "SIGKILL with a private installation of its own" own KILL 137
run_case "SIGKILL with a second node" nodes KILL 137
# The EXIT trap, or the guard when bash ended the trap half-way: the moment
# varies from run to run, and without the guard eight tries left a server
# running nine times in ten.
for n in 1 2 3 4 5 6 7 8; do
	run_case "Ctrl-C as a pipeline starts ($n)" starting INT 130
done

finish
