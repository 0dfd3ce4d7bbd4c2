# Helpers of test/citus/run.sh: the nodes, queries, expected errors and the
# README's examples.  Sourced after test/lib/checks.sh, with DIR (the nodes'
# socket directory), PORT, BINDIR, PGB (the private installation's bindir)
# and PGU set.

# readme_block NAME: the code of README.md's block marked
# <!-- citus example: NAME --> ... <!-- /citus example -->, with the
# README's socket directory /tmp/citus replaced by the suite's.  The suite
# runs the README's commands as they are shown.
readme_block() {
	local code
	code=$(awk -v name="$1" '
		$0 == "<!-- citus example: " name " -->" { on = 1; next }
		on && /^<!-- \/citus example -->/ { exit }
		on && !/^```/ { print }' "$CR_ROOT/README.md")
	if [ -z "$code" ]; then
		echo "README.md has no citus example \"$1\"" >&2
		return 1
	fi
	sed "s|/tmp/citus|$DIR|g" <<<"$code"
}

# readme_plan NAME: README.md's plan text marked <!-- citus plan: NAME -->,
# and the query it is the plan of, on the marker's next line.
readme_plan() {
	awk -v name="$1" '
		$0 == "<!-- citus plan: " name " -->" { on = 1; next }
		on && /^<!-- \/citus plan -->/ { exit }
		on && !/^```/ { print }' "$CR_ROOT/README.md"
}

# Plans differ between runs in shard ids, socket directories, ports and
# OIDs, and Citus 14 names its partial aggregates *_binary_* (the states
# travel in binary); the rest must be as the README shows it.
normalize_plan() {
	sed -E 's/[a-z_]+\.results_[0-9]+/S.results_N/g; s/host=[^ ]+ port=[0-9]+/host=H port=P/g;
		s/(worker|coord)_binary_(partial|combine)_agg/\1_\2_agg/g;
		s/'\''[0-9]+'\''::oid/OID::oid/g; s/[[:space:]]+$//'
}

# node_start NAME [setting=value ...]: initdb the first time, then start.
# Each node's configuration is the README's (postgresql.conf example) with
# the suite's socket directory and port.
node_start() {
	local n=$1 bin=${BINDIR[$1]:-$PGB} s
	shift
	if [ ! -d "$DIR/$n" ]; then
		cr_as_pg "$bin/initdb" -D "$DIR/$n" -U "$PGU" --auth=trust --encoding=UTF8 \
			--locale=C.UTF-8 >"$DIR/$n.initdb.log" 2>&1 || {
			cat "$DIR/$n.initdb.log" >&2
			return 1
		}
		{
			echo "listen_addresses = ''"
			echo "unix_socket_directories = '$DIR'"
			echo "port = ${PORT[$n]}"
			readme_block postgresql.conf
			# no usage reports to Citus (the tests reach no network)
			echo "citus.enable_statistics_collection = off"
			# throwaway data: no durability needed
			echo "fsync = off"
			echo "synchronous_commit = off"
			echo "full_page_writes = off"
			for s in "$@"; do echo "$s"; done
		} | cr_as_pg tee -a "$DIR/$n/postgresql.conf" >/dev/null
	fi
	cr_as_pg "$bin/pg_ctl" -D "$DIR/$n" -w -t 120 -l "$DIR/$n.log" start >/dev/null || {
		cat "$DIR/$n.log" >&2
		return 1
	}
}
node_stop() { # NAME [fast|immediate]
	cr_as_pg "${BINDIR[$1]:-$PGB}/pg_ctl" -D "$DIR/$1" -m "${2:-fast}" -w -t 60 stop >/dev/null
}
# node_restart NAME BINDIR: the node again, on another installation's server
node_restart() {
	node_stop "$1"
	BINDIR[$1]=$2
	node_start "$1"
}

# q NODE [SQL ...]: run SQL (the arguments, or stdin) on a node's "postgres"
# database, unaligned, tuples only, stopping at the first error.
q() {
	local n=$1
	shift
	if [ $# -gt 0 ]; then printf '%s\n' "$@"; else cat; fi |
		"$PGB/psql" -X -q -At -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -h "$DIR" -p "${PORT[$n]}" \
			-U "$PGU" -d postgres -f -
}
info() { printf 'info %s\n' "$*"; }

# expect_error DESCRIPTION SQLSTATE NODE SQL...: the SQL must fail with that
# SQLSTATE; the message is printed, as what an operator sees.
expect_error() {
	local desc=$1 state=$2 node=$3 out line
	shift 3
	if out=$(q "$node" "$@" 2>&1); then
		bad "$desc: succeeded, expected SQLSTATE $state"
		return 0
	fi
	line=$(grep -m1 -oE 'ERROR:  [0-9A-Z]{5}: .*' <<<"$out" || true)
	if [[ "$line" == "ERROR:  $state: "* ]]; then
		ok "$desc: $line$(grep -m1 -oE '^DETAIL:  .*' <<<"$out" | sed 's/^/ /' || true)"
	else
		bad "$desc: expected SQLSTATE $state, got: $(head -c 600 <<<"$out")"
	fi
}

# no_crash NODE...: the server logs show no crash
no_crash() {
	local n
	for n in "$@"; do
		if grep -E 'PANIC|TRAP:|terminated by signal' "$DIR/$n.log" >/dev/null; then
			bad "the server log of $n shows a crash: $(grep -m3 -E 'PANIC|TRAP:|terminated by signal' "$DIR/$n.log")"
		else
			ok "no crash in the server log of $n"
		fi
	done
}

# ms_since T0: milliseconds since T0 (date +%s%N)
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
