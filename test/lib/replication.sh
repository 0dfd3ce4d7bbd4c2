# shellcheck shell=bash
# Helpers for the suites that need more than one cluster (test/replication/,
# test/major/): extra nodes next to the cluster of cr_cluster_start, each in
# its own directory under $CR_TMP with its own Unix socket and port, and the
# README's recommended schema with checksums to compare two nodes by.
#
# Source after test/lib/cluster.sh and test/lib/checks.sh; call
# cr_cluster_start first, and rp_cleanup from the EXIT trap (it stops every
# node, then the first cluster).

RP_NODES=()

rp_dir() { echo "$CR_TMP/$1"; }
rp_port() { cat "$CR_TMP/$1/port"; }

# Start (or restart) node NAME's server; extra arguments are "-c name=value".
rp_server_start() { # NAME [-c ...]
	local name=$1 dir
	shift
	dir=$(rp_dir "$name")
	CR_STARTING=1 # (for cr_pgdata_stop, should a Ctrl-C come now)
	cr_as_pg "$CR_PGBIN/pg_ctl" -D "$dir/data" -w -t 120 -l "$dir/server.log" \
		-o "-c listen_addresses='' -c unix_socket_directories='$dir' -p $(rp_port "$name") $*" start >/dev/null || {
		CR_STARTING=
		tail -n 20 "$dir/server.log" >&2
		return 1
	}
	CR_STARTING=
}

rp_server_stop() { # NAME [MODE]
	local dir
	dir=$(rp_dir "$1")
	if [ "${2:-fast}" = fast ]; then
		cr_pgdata_stop "$dir/data" "$CR_PGBIN"
		return $?
	fi
	[ -f "$dir/data/postmaster.pid" ] || return 0
	cr_as_pg "$CR_PGBIN/pg_ctl" -D "$dir/data" -m "$2" -w -t 60 stop >/dev/null 2>&1 ||
		cr_as_pg "$CR_PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
}

# A directory for node NAME listening on PORT; its data directory is made by
# the caller (initdb or pg_basebackup), owned by the cluster's user.
rp_node_dir() { # NAME PORT
	local dir=$CR_TMP/$1
	cr_as_pg mkdir -p "$dir"
	cr_as_pg chmod 700 "$dir"
	echo "$2" | cr_as_pg tee "$dir/port" >/dev/null
	RP_NODES+=("$1")
}

# A new cluster NAME on PORT, started; extra arguments as for rp_server_start.
rp_node_start() { # NAME PORT [-c ...]
	local name=$1 port=$2 dir
	shift 2
	rp_node_dir "$name" "$port"
	dir=$(rp_dir "$name")
	cr_as_pg "$CR_PGBIN/initdb" -D "$dir/data" -U "$CR_PGUSER" --auth=trust \
		--encoding=UTF8 --locale=C.UTF-8 >"$CR_TMP/initdb-$name.log" 2>&1 || {
		cat "$CR_TMP/initdb-$name.log" >&2
		return 1
	}
	rp_server_start "$name" "$@"
}

# The connection string of node NAME ("main" is cr_cluster_start's cluster).
rp_conn() { # NAME DB
	if [ "$1" = main ]; then
		echo "host=$CR_TMP port=$PGPORT dbname=$2"
	else
		echo "host=$(rp_dir "$1") port=$(rp_port "$1") dbname=$2"
	fi
}

# One query on node NAME, database DB: unaligned, tuples only, stops on error.
rp_q() { # NAME DB SQL
	"$CR_PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -At -d "$(rp_conn "$1" "$2")" -c "$3"
}

# The server log of node NAME.
rp_log() { # NAME
	if [ "$1" = main ]; then echo "$CR_TMP/server.log"; else echo "$(rp_dir "$1")/server.log"; fi
}

# Wait until SQL returns "t" on node NAME, at most SECONDS (default 60).
rp_wait() { # NAME DB SQL [SECONDS]
	local deadline=$((SECONDS + ${4:-60}))
	until [ "$(rp_q "$1" "$2" "$3" 2>/dev/null)" = t ]; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}

# The server log shows no crash (a PANIC, an assertion, a backend killed by a
# signal other than our own SIGKILL).
rp_no_crash() { # NAME...
	local n
	for n in "$@"; do
		if grep -E 'PANIC|TRAP:|terminated by signal' "$(rp_log "$n")" | grep -v 'terminated by signal 9'; then
			return 1
		fi
	done
}

rp_cleanup() {
	local n
	trap '' INT TERM # not cut short by a second Ctrl-C (it ends the script)
	for n in "${RP_NODES[@]}"; do rp_server_stop "$n"; done
	cr_cluster_stop
}

# The recommended schema of the README, in the current schema:
#   results      the expression-index key, a btree index on the value, the
#                guard, examples/reporting.sql's view and counters;
#   results_gen  stored generated key columns as primary key, fillfactor 90,
#                a hash index on the value (the only index on it, so that a
#                look-up by value can be forced onto it), the guard;
#   results_h    hash partitions by batch_id(r), a unique key in each, the
#                guard on the parent.
# With "1.0", the report view leaves out the columns of 1.3's statuses,
# which an extension at 1.0 does not have.
rp_schema_sql() { # [1.0]
	local version=${1:-}
	cat <<'SQL'
CREATE TABLE results (r comm_result NOT NULL);
CREATE UNIQUE INDEX results_key ON results ((batch_id(r)), (reference_id(r)));
CREATE INDEX results_status ON results ((request_status(r)), (attempt_count(r)));
CREATE INDEX results_r ON results (r);
CREATE TRIGGER results_guard BEFORE UPDATE ON results
    FOR EACH ROW EXECUTE FUNCTION comm_result_guard();

CREATE TABLE results_gen (
    r comm_result NOT NULL,
    batch_id text GENERATED ALWAYS AS (batch_id(r)) STORED,
    reference_id text GENERATED ALWAYS AS (reference_id(r)) STORED,
    PRIMARY KEY (batch_id, reference_id)
) WITH (fillfactor = 90);
CREATE INDEX results_gen_hash ON results_gen USING hash (r);
CREATE TRIGGER results_gen_guard BEFORE UPDATE ON results_gen
    FOR EACH ROW EXECUTE FUNCTION comm_result_guard();

CREATE TABLE results_h (r comm_result NOT NULL) PARTITION BY HASH ((batch_id(r)));
CREATE TABLE results_h0 PARTITION OF results_h FOR VALUES WITH (MODULUS 3, REMAINDER 0);
CREATE TABLE results_h1 PARTITION OF results_h FOR VALUES WITH (MODULUS 3, REMAINDER 1);
CREATE TABLE results_h2 PARTITION OF results_h FOR VALUES WITH (MODULUS 3, REMAINDER 2);
CREATE UNIQUE INDEX results_h0_key ON results_h0 ((batch_id(r)), (reference_id(r)));
CREATE UNIQUE INDEX results_h1_key ON results_h1 ((batch_id(r)), (reference_id(r)));
CREATE UNIQUE INDEX results_h2_key ON results_h2 ((batch_id(r)), (reference_id(r)));
CREATE TRIGGER results_h_guard BEFORE UPDATE ON results_h
    FOR EACH ROW EXECUTE FUNCTION comm_result_guard();
SQL
	# shellcheck disable=SC2153 # CR_ROOT is test/lib/cluster.sh's
	if [ "$version" = 1.0 ]; then
		sed -e '/statuses of 1\.3/d' -e '/(s)\.call_completed/d' \
			-e 's/(s)\.status_counts,$/(s).status_counts/' "$CR_ROOT/examples/reporting.sql"
	else
		cat "$CR_ROOT/examples/reporting.sql"
	fi
}

# N results of batch B as a query: phones and e-mail addresses, Unicode and
# escapes in the variables, every status, absent and null optional fields.
rp_rows_sql() { # BATCH N
	cat <<SQL
SELECT comm_result('$1', 'ref' || i,
        CASE WHEN i % 2 = 0 THEN 'user' || i || '@example.com' ELSE '+1 (555) ' || lpad(i::text, 7, '0') END,
        jsonb_build_object('first_name', 'Ünïcødé ' || i, 'n', i, 'q', 'say "hi"\\n', 'f', (i / 7.0)::numeric(12, 3)),
        (ARRAY['PENDING','PENDING','INITIATED','CONNECTED','COMPLETED','FAILED','CANCELED','SKIPPED'])[1 + i % 8]::comm_status,
        CASE WHEN i % 3 = 0 THEN NULL ELSE 'LM' || md5(i::text) END,
        '2025-01-01 00:00:00+00'::timestamptz + i * interval '1 minute 0.000123 second',
        CASE WHEN i % 8 < 2 THEN NULL ELSE '2025-01-02 00:00:00+00'::timestamptz + i * interval '1 second' END,
        CASE WHEN i % 8 < 2 THEN 0 ELSE 1 END,
        CASE WHEN i % 5 = 0 THEN NULL ELSE i END) AS r
FROM generate_series(1, $2) i
SQL
}

# One line per table of SCHEMA on node NAME: its name, rows, md5 over ::text
# of the rows, and md5 over comm_result_send (hex) of every comm_result
# column joined with ::text of every other column, in the order of ::text.
# EXT is the extension's schema there.
rp_sums() { # NAME DB SCHEMA EXT
	local rel cols
	rp_q "$1" "$2" "SELECT c.relname, string_agg(CASE WHEN a.atttypid = '$4.comm_result'::regtype
	                   THEN format('coalesce(encode($4.comm_result_send(t.%I), ''hex''), ''N'')', a.attname)
	                   ELSE format('coalesce(t.%I::text, ''N'')', a.attname) END, ' || '','' || ' ORDER BY a.attnum)
	                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
	                WHERE n.nspname = '$3' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
	                GROUP BY 1 ORDER BY 1" |
		while IFS='|' read -r rel cols; do
			printf '%s %s\n' "$rel" "$(rp_q "$1" "$2" "SELECT count(*) || ' ' ||
			    coalesce(md5(string_agg(t::text, E'\n' ORDER BY t::text COLLATE \"C\")) || ' ' ||
			             md5(string_agg($cols, E'\n' ORDER BY t::text COLLATE \"C\")), '-') FROM $3.$rel t")"
		done
}

# amcheck on every btree index of the database (the extension amcheck must be
# there): one line "index|ok" or "index|error".
rp_amcheck() { # NAME DB
	local idx out
	rp_q "$1" "$2" "SELECT c.oid::regclass FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
	                JOIN pg_am am ON am.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace
	                WHERE am.amname = 'btree' AND n.nspname NOT IN ('pg_catalog', 'pg_toast', 'information_schema')
	                ORDER BY 1::text" |
		while read -r idx; do
			if out=$(rp_q "$1" "$2" "SELECT bt_index_check('$idx'::regclass, true)" 2>&1); then
				echo "$idx|ok"
			else
				echo "$idx|$(echo "$out" | tr '\n' ' ')"
			fi
		done
}

# Checks (test/lib/checks.sh) that every row of the schema's tables is found
# by a look-up through each index (the expression key, the btree and the hash
# index on the value, the generated key, a partition's key), with sequential
# and bitmap scans off and the plan checked to use that index.
rp_check_lookups() { # NAME DB LABEL
	local force="SET enable_seqscan = off; SET enable_bitmapscan = off;" l idx sql table plan
	local lookups=(
		"results_key|SELECT count(*) FROM results a WHERE (SELECT count(*) FROM results b WHERE batch_id(b.r) = batch_id(a.r) AND reference_id(b.r) = reference_id(a.r)) = 1"
		"results_r|SELECT count(*) FROM results a WHERE (SELECT count(*) FROM results b WHERE b.r = a.r) = 1"
		"results_gen_hash|SELECT count(*) FROM results_gen a WHERE (SELECT count(*) FROM results_gen b WHERE b.r = a.r) = 1"
		"results_gen_pkey|SELECT count(*) FROM results_gen a WHERE (SELECT count(*) FROM results_gen b WHERE b.batch_id = a.batch_id AND b.reference_id = a.reference_id) = 1"
		"results_h1_key|SELECT count(*) FROM results_h a WHERE (SELECT count(*) FROM results_h b WHERE batch_id(b.r) = batch_id(a.r) AND reference_id(b.r) = reference_id(a.r)) = 1"
	)
	for l in "${lookups[@]}"; do
		idx=${l%%|*} sql=${l#*|}
		table=$(sed -E 's/.*FROM ([a-z_]+) a .*/\1/' <<<"$sql")
		plan=$(rp_q "$1" "$2" "$force EXPLAIN (COSTS OFF) $sql")
		if grep -q "Scan using $idx" <<<"$plan"; then
			check_eq "$3: a look-up of every row of $table through $idx finds exactly it" \
				"$(rp_q "$1" "$2" "SELECT count(*) FROM $table")" "$(rp_q "$1" "$2" "$force $sql")"
		else
			bad "$3: the look-up does not use $idx: $(tr '\n' ' ' <<<"$plan")"
		fi
	done
}

# A check that amcheck passes on every btree index (at least 8: the schema's).
rp_check_amcheck() { # NAME DB LABEL
	local out n bad_idx
	out=$(rp_amcheck "$1" "$2")
	n=$(grep -c . <<<"$out" || true)
	bad_idx=$(grep -v '|ok$' <<<"$out" || true)
	if [ -z "$bad_idx" ] && [ "$n" -ge 8 ]; then
		ok "$3: bt_index_check(heapallindexed) on all $n btree indexes"
	else
		bad "$3: amcheck on $n indexes: $bad_idx"
	fi
}

# The README's reports, each as one md5: batch_report, batch_dashboard, the
# aggregates over the partitioned table, comm_result_latest.
rp_reports_sql() {
	cat <<'SQL'
SELECT md5(string_agg(b::text, E'\n' ORDER BY batch_id)) FROM batch_report b;
SELECT md5(string_agg(d::text, E'\n' ORDER BY batch_id)) FROM batch_dashboard d;
SELECT md5(string_agg(x, E'\n' ORDER BY x)) FROM (SELECT format('%s %s %s', batch_id(r), comm_batch_summary(r), comm_status_counts(r)) x FROM results_h GROUP BY batch_id(r)) s;
SELECT md5(string_agg(comm_result_latest::text, E'\n' ORDER BY 1)) FROM (SELECT comm_result_latest(r) FROM results_gen GROUP BY batch_id, reference_id) s;
SQL
}

# Mount /proc in ROOT unless it is mounted (one left by a killed run is
# reused); rp_proc_unmount (also for an EXIT trap) unmounts what we mounted.
RP_MOUNTED=
rp_proc_mount() { # ROOT
	mountpoint -q "$1/proc" && return 0
	mount -t proc proc "$1/proc"
	RP_MOUNTED=$1/proc
}
rp_proc_unmount() {
	[ -z "$RP_MOUNTED" ] || umount "$RP_MOUNTED" || umount -l "$RP_MOUNTED" || true
	RP_MOUNTED=
}

# Copy the working tree (tracked and untracked, not ignored) into ROOT's
# /build/DIR and run a command there in a chroot, with /proc mounted for the
# run ("/" runs it here, in the working tree).  Root only.
rp_in_root() { # ROOT DIR VERSION COMMAND...
	local root=$1 dir=$2 v=$3 rc=0
	shift 3
	if [ "$root" = / ]; then
		(cd "$CR_ROOT" && CR_PG_MAJOR=$v PG_CONFIG='' bash -c "$*")
		return $?
	fi
	rm -rf --one-file-system "${root:?}/build/$dir"
	mkdir -p "$root/build/$dir"
	(cd "$CR_ROOT" && git ls-files -z -co --exclude-standard | tar --null -T - -cf -) | tar -C "$root/build/$dir" -xf -
	rp_proc_mount "$root"
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
		CR_PG_MAJOR="$v" CR_THROWAWAY_ROOT=1 bash -c "cd /build/$dir && $*" || rc=$?
	rp_proc_unmount
	return "$rc"
}

# A database for the major-version suites: the extension and amcheck, the
# recommended schema, loads, large values (compressed inline and out of
# line), merge re-ingests, moves and deletes.
rp_fill_sql() {
	echo "CREATE EXTENSION comm_result; CREATE EXTENSION amcheck;"
	rp_schema_sql
	cat <<SQL
INSERT INTO results (r) $(rp_rows_sql base 3000);
INSERT INTO results_gen (r) $(rp_rows_sql base 3000);
INSERT INTO results_h (r) SELECT r FROM ($(rp_rows_sql base 3000)) s;
INSERT INTO results (r) SELECT comm_result('large', 'big' || i, '5550100', jsonb_build_object('blob', repeat('x' || i, 100000)), 'PENDING') FROM generate_series(1, 2) i;
INSERT INTO results_gen (r) SELECT comm_result('large', 'rnd' || i, '5550100',
        jsonb_build_object('blob', (SELECT string_agg(md5(i || ':' || g), '' ORDER BY g) FROM generate_series(1, 4000) g)), 'PENDING')
    FROM generate_series(1, 2) i;
INSERT INTO results (r) SELECT comm_result(batch_id(r), reference_id(r), target(r), request_variables(r), 'INITIATED', 'LMnew', created_at(r), '2025-01-17 09:00:00+00', attempt_count(r) + 1)
FROM results WHERE coalesce(request_status(r), 'PENDING') IN ('PENDING', 'FAILED') AND batch_id(r) = 'base'
ON CONFLICT ((batch_id(r)), (reference_id(r))) DO UPDATE SET r = comm_result_merge(results.r, excluded.r);
UPDATE results_gen SET r = comm_result_transition(r, 'COMPLETED', '2025-01-17 10:00:00+00') WHERE request_status(r) = 'CONNECTED';
UPDATE results_h SET r = comm_result_transition(r, 'FAILED', '2025-01-17 10:00:00+00') WHERE request_status(r) = 'INITIATED';
DELETE FROM results WHERE reference_id(r) LIKE '%7';
ANALYZE;
SQL
}

# The state of a database filled by rp_fill_sql, one "name<TAB>value" line
# each: extension version, indexes, triggers, every table's rows (rp_sums),
# the reports (rp_reports_sql).
rp_state() { # NAME DB
	local version indexes triggers sums sql out
	version=$(rp_q "$1" "$2" "SELECT extversion FROM pg_extension WHERE extname = 'comm_result'")
	indexes=$(rp_q "$1" "$2" "SELECT string_agg(c.relname || ':' || am.amname, ' ' ORDER BY c.relname) FROM pg_class c
	                         JOIN pg_am am ON am.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace
	                         WHERE c.relkind IN ('i', 'I') AND n.nspname = 'public'")
	triggers=$(rp_q "$1" "$2" "SELECT string_agg(tgrelid::regclass || '.' || tgname || ':' || tgenabled::text, ' ' ORDER BY tgrelid::regclass::text, tgname)
	                          FROM pg_trigger WHERE NOT tgisinternal")
	sums=$(rp_sums "$1" "$2" public public)
	printf 'extension version\t%s\nindexes\t%s\ntriggers\t%s\n' "$version" "$indexes" "$triggers"
	sed -E 's/^([^ ]+) /table \1\t/' <<<"$sums"
	while read -r sql; do
		out=$(rp_q "$1" "$2" "$sql")
		printf 'report %s\t%s\n' "$(grep -oE 'FROM [a-z_]+' <<<"$sql" | tail -n 1 | cut -c6-)" "$out"
	done < <(rp_reports_sql)
}


# Checks on a database moved to another server (dump and restore,
# pg_upgrade): its rp_state equals the one in file STATE line by line,
# amcheck, look-ups through every index, the guard rejects an illegal change,
# new rows and moves go through and the counters follow them, new rows go
# to their batch's hash partition.
rp_check_moved() { # NAME DB LABEL STATE
	local key value now err
	now=$(rp_state "$1" "$2")
	while IFS=$'\t' read -r key value; do
		check_eq "$3: $key" "$value" "$(sed -n "s/^$key\t//p" <<<"$now")"
	done <"$4"
	rp_check_amcheck "$1" "$2" "$3"
	rp_check_lookups "$1" "$2" "$3"
	err=$("$CR_PGBIN/psql" -X -q -At -d "$(rp_conn "$1" "$2")" -v VERBOSITY=verbose \
		-c "UPDATE results SET r = comm_result(batch_id(r), reference_id(r), 'other@example.com', '{}') WHERE batch_id(r) = 'base' AND reference_id(r) = 'ref2'" 2>&1 || true)
	check_eq "$3: the guard rejects an illegal change (23514)" 'ERROR:  23514: target of column "r" cannot change' "$(head -n 1 <<<"$err")"
	check_eq "$3: new rows and moves go through, the counters follow (5 rows, 2 INITIATED)" "5 2" \
		"$(rp_q "$1" "$2" "INSERT INTO results (r) $(rp_rows_sql after 5);
		                  UPDATE results SET r = comm_result_transition(r, 'INITIATED', '2025-01-18 00:00:00+00') WHERE batch_id(r) = 'after' AND reference_id(r) = 'ref1';
		                  SELECT total || ' ' || (status_counts ->> 'INITIATED') FROM batch_dashboard WHERE batch_id = 'after'")"
	check_eq "$3: new rows of every batch go to that batch's hash partition" 0 \
		"$(rp_q "$1" "$2" "INSERT INTO results_h (r) SELECT comm_result(b, 'moved', '5550100', '{}') FROM (SELECT DISTINCT batch_id(r) AS b FROM results_h) s;
		                  SELECT count(*) FROM (SELECT batch_id(r) FROM results_h GROUP BY 1 HAVING count(DISTINCT tableoid) > 1) s")"
}

# The root in which PostgreSQL VERSION runs for the major-version suites:
# CR_ROOT_<VERSION> when set (CR_ROOT_15=/ runs 15 on this machine); else
# "/", this machine, for the version it runs (test/lib/cluster.sh's choice:
# 15 on Debian 12, 17 on Debian 13); else test/matrix.sh's root of that
# version under CR_ROOTS (cr_matrix_root).
CR_ROOTS=${CR_ROOTS:-/var/cache/comm_result}
CR_PG_HOST=${CR_PG_HOST:-$CR_PG_MAJOR}
rp_root_of() { # VERSION
	local var=CR_ROOT_$1
	if [ -n "${!var:-}" ]; then
		echo "${!var}"
	elif [ "$1" = "$CR_PG_HOST" ]; then
		echo /
	else
		cr_matrix_root "$1"
	fi
}

# The FROM:TO pairs a major-version suite was asked for (default: $1), in
# the array "pairs", each version's root checked first; exits 2 otherwise.
rp_pairs() {
	local default=$1 p v root
	shift
	pairs=("${@:-$default}")
	# shellcheck disable=SC2206 # one pair per word
	pairs=(${pairs[*]})
	for p in "${pairs[@]}"; do
		for v in "${p%%:*}" "${p##*:}"; do
			root=$(rp_root_of "$v") || { echo "unsupported version $v (choose from $CR_MATRIX_VERSIONS)" >&2; exit 2; }
			[ -x "$root/usr/lib/postgresql/$v/bin/postgres" ] || { echo "no PostgreSQL $v in $root (test/matrix.sh $v makes it)" >&2; exit 2; }
		done
	done
}
