#!/usr/bin/env bash
# What the README's commands do to a machine's own PostgreSQL: nothing.  Run
# as root inside a throwaway root of test/fresh/run.sh, in steps:
#
#   beside.sh start CLONE     the user's explicit "make install" of CLONE (a
#                             copy of it) into the system's PostgreSQL, a
#                             cluster of the system's server (initdb of
#                             its own, a Unix socket only) with a table of
#                             comm_result values, the checksums of the
#                             system's PostgreSQL files, and a loop that
#                             queries those values in a new session (which
#                             loads comm_result.so anew) every half second
#   beside.sh interrupt USER DIR LO SPAN CMD
#                             runs CMD (shell code) as USER in DIR
#                             and sends SIGINT to its process group, as
#                             Ctrl-C does, after LO + a random part of SPAN
#                             seconds; prints the moment and the exit status
#   beside.sh sums            the system's files against the first checksums
#   beside.sh stop            stops the loop and the cluster, and checks:
#                             every query answered, without one error, the
#                             same values; the checksums unchanged
#
# start, sums and stop print "ok"/"FAIL" lines; stop ends with
# "beside: N passed, M failed".  test/fresh/run.sh runs test/run.sh and the
# demo between start and stop, and checks from outside the root that no
# process of an interrupted run is left.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NAME=beside
# shellcheck source=../lib/checks.sh
source "$HERE/../lib/checks.sh"

LIVE=/var/tmp/comm_result_live
PORT=5439
LOOP_MAX=7200 # iterations of the loop: an hour at most, should stop never come

# The server this machine runs (test/lib/cluster.sh's choice), in a subshell:
# cluster.sh's traps and settings stay out of this script.
pg_bindir() { (source "$HERE/../lib/cluster.sh" && "$PG_CONFIG" --bindir); }
pg_dirs() { (source "$HERE/../lib/cluster.sh" && dirname "$("$PG_CONFIG" --bindir)" && "$PG_CONFIG" --sharedir); }

# Checksums of the system's PostgreSQL files: bindir, pkglibdir (the
# version's directory holds both) and sharedir; every file, directory and
# link, with its mode and target.
sums() {
	local d
	for d in $(pg_dirs); do
		find "$d" -xdev -printf '%y %m %p %l\n' | sort
		find "$d" -xdev -type f -print0 | sort -z | xargs -0 sha256sum
	done
}

q() { "$BIN/psql" -X -q -At -h "$LIVE" -p "$PORT" -U postgres -d live -v ON_ERROR_STOP=1 "$@"; }
# What the loop asks: the values, their binary form, accessors, a batch
# aggregate; in one line.
QUERY="SELECT count(*) || ' ' || md5(string_agg(r::text || comm_result_send(r)::text || coalesce(request_status(r)::text, '-'), ',' ORDER BY id)) || ' ' || (comm_batch_summary(r)).total FROM t"

case ${1:-} in
start)
	clone=$2
	BIN=$(pg_bindir)
	rm -rf "$LIVE"
	mkdir -p "$LIVE"
	chmod 755 "$LIVE"
	sums >"$LIVE/sums.before"
	# The user's explicit installation into the system.
	cp -a "$clone" "$LIVE/src"
	make -C "$LIVE/src" -s clean >"$LIVE/make.log" 2>&1
	make -C "$LIVE/src" -s >>"$LIVE/make.log" 2>&1
	make -C "$LIVE/src" -s install >>"$LIVE/make.log" 2>&1
	sums >"$LIVE/sums.installed"
	lib=$(dirname "$BIN")/lib ext=$(pg_dirs | tail -n 1)/extension
	n=0
	for f in "$LIVE/src/comm_result.control" "$LIVE"/src/sql/*.sql; do
		cmp -s "$f" "$ext/${f##*/}" && n=$((n + 1))
	done
	if cmp -s "$LIVE/src/comm_result.so" "$lib/comm_result.so" && [ "$n" -eq $((1 + $(ls "$LIVE"/src/sql/*.sql | wc -l))) ]; then
		ok "make install put comm_result.so, the control file and the $((n - 1)) scripts into the system's PostgreSQL"
	else
		bad "make install: the system's files are not the build's"
	fi
	chown postgres: "$LIVE"
	runuser -u postgres -- "$BIN/initdb" -D "$LIVE/data" -U postgres --auth=trust --encoding=UTF8 \
		--locale=C.UTF-8 >"$LIVE/initdb.log" 2>&1
	runuser -u postgres -- "$BIN/pg_ctl" -D "$LIVE/data" -w -l "$LIVE/server.log" \
		-o "-c listen_addresses='' -c unix_socket_directories='$LIVE' -p $PORT" start >/dev/null
	runuser -u postgres -- "$BIN/createdb" -h "$LIVE" -p "$PORT" live
	q -c "CREATE EXTENSION comm_result" \
		-c "CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, r comm_result NOT NULL)" \
		-c "CREATE TABLE staging (line text)" \
		-c "\\copy staging from '$LIVE/src/examples/results.jsonl' with (format csv, quote e'\\x01', delimiter e'\\x02')" \
		-c "INSERT INTO t (r) SELECT line::comm_result FROM staging WHERE comm_result_is_valid(line)" \
		-c "INSERT INTO t (r) SELECT x FROM comm_results(pg_read_file('$LIVE/src/examples/today_response.json')::text, 'live') x"
	expected=$(q -c "$QUERY")
	echo "$expected" >"$LIVE/expected"
	ok "a cluster of the system's server ($("$BIN/postgres" --version)) holds ${expected%% *} comm_result values"
	# The loop, in a session of its own: it outlives this step.
	setsid bash "$HERE/beside.sh" loop </dev/null >/dev/null 2>&1 &
	echo $! >"$LIVE/loop.pid"
	ok "the loop queries the values every half second (pid $(cat "$LIVE/loop.pid"))"
	;;
loop)
	BIN=$(pg_bindir)
	for ((i = 0; i < LOOP_MAX; i++)); do
		[ ! -e "$LIVE/stop" ] || break
		if out=$(q -c "$QUERY" 2>&1); then
			echo "$(date +%s) $out"
		else
			echo "$(date +%s) ERROR $(tr '\n' ' ' <<<"$out")"
		fi
		sleep 0.5
	done >"$LIVE/queries.log" 2>&1
	;;
interrupt)
	user=$2 dir=$3 lo=$4 span=$5 cmd=$6
	home=/home/$user
	[ "$user" != root ] || home=/root
	# A run that ends before its moment (a quicker machine) is run again
	# with the moment drawn from half the time: three tries.
	for try in 1 2 3; do
		moment=$((lo + RANDOM % span))
		# Job control: the command gets a process group of its own, and
		# SIGINT is not ignored in it (as it is for a background job
		# without it).
		set -m
		runuser -u "$user" -- env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME="$home" LANG=C.UTF-8 \
			bash -c "cd $dir && $cmd" >"/tmp/interrupt.log" 2>&1 &
		pid=$!
		set +m
		start=$(date +%s)
		while [ $(($(date +%s) - start)) -lt "$moment" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
		kill -0 "$pid" 2>/dev/null && break
		rc=0
		wait "$pid" || rc=$?
		echo "[$cmd] ended by itself after $(($(date +%s) - start)) s, before the moment ($moment s): exit status $rc"
		[ "$try" -lt 3 ] || exit 1
		lo=$((lo / 2)) span=$((span / 2 + 1))
	done
	kill -INT -- "-$pid"
	sent=$(date +%s)
	# Bounded: two minutes to clean up (a server stop, a rebuild), then the
	# group is killed and the step fails.
	while kill -0 "$pid" 2>/dev/null && [ $(($(date +%s) - sent)) -lt 120 ]; do sleep 0.2; done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL -- "-$pid" 2>/dev/null || true
		echo "[$cmd] still running 120 s after SIGINT (at $moment s): killed"
		tail -n 20 /tmp/interrupt.log
		exit 1
	fi
	rc=0
	wait "$pid" || rc=$?
	echo "[$cmd] as $user: SIGINT at $moment s; exit status $rc after $(($(date +%s) - sent)) s more"
	tail -n 3 /tmp/interrupt.log | sed 's/^/    /'
	[ "$rc" -ne 0 ]
	;;
sums)
	if sums | cmp -s - "$LIVE/sums.installed"; then
		ok "the system's PostgreSQL files have the same checksums"
	else
		bad "the system's PostgreSQL files changed:"
		sums | diff "$LIVE/sums.installed" - | head -n 20
	fi
	finish
	;;
stop)
	BIN=$(pg_bindir)
	touch "$LIVE/stop"
	loop=$(cat "$LIVE/loop.pid")
	for _ in $(seq 1 100); do kill -0 "$loop" 2>/dev/null || break; sleep 0.1; done
	kill "$loop" 2>/dev/null || true
	expected=$(cat "$LIVE/expected")
	n=$(grep -c . "$LIVE/queries.log" || true)
	errors=$(grep -c ' ERROR ' "$LIVE/queries.log" || true)
	differ=$(grep -v ' ERROR ' "$LIVE/queries.log" | grep -cvF " $expected" || true)
	secs=$(($(tail -n 1 "$LIVE/queries.log" | cut -d' ' -f1) - $(head -n 1 "$LIVE/queries.log" | cut -d' ' -f1)))
	if [ "$n" -gt 0 ] && [ "$errors" -eq 0 ] && [ "$differ" -eq 0 ]; then
		ok "the live cluster answered all $n queries over $secs s, without one error, with the same values"
	else
		bad "the live cluster: $n queries, $errors errors, $differ other answers:"
		grep -vF " $expected" "$LIVE/queries.log" | head -n 10
	fi
	check_eq "the live cluster still answers the same" "$expected" "$(q -c "$QUERY")"
	if grep -E 'PANIC|FATAL|ERROR|terminated by signal|crash' "$LIVE/server.log"; then
		bad "the live cluster's log shows the lines above"
	else
		ok "the live cluster's log has no error, no crash"
	fi
	runuser -u postgres -- "$BIN/pg_ctl" -D "$LIVE/data" -m fast -w stop >/dev/null
	if sums | cmp -s - "$LIVE/sums.installed"; then
		ok "the system's PostgreSQL files have the same checksums as after make install ($(grep -c '^[0-9a-f]\{64\} ' "$LIVE/sums.installed") files)"
	else
		bad "the system's PostgreSQL files changed:"
		sums | diff "$LIVE/sums.installed" - | head -n 20
	fi
	rm -rf "$LIVE"
	finish
	;;
*)
	echo "usage: beside.sh start CLONE | interrupt USER DIR LO SPAN CMD | sums | stop" >&2
	exit 2
	;;
esac
