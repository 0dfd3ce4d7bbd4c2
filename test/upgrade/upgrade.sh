#!/usr/bin/env bash
# The upgrade path, in two parts.
#
# 1. From the first version, with today's library: a database that installed
#    1.0, filled data and ran ALTER EXTENSION comm_result UPDATE must equal a
#    fresh install of the newest version given the same data (extension
#    version and members, pg_dump --schema-only, data, behaviour, amcheck).
#
# 2. From the 1.1 release, the way an operator lives it: 1.1's own library
#    and SQL files (git commit 9d5ef02) are built and installed, a database
#    is filled on 1.1 (April 2025 values in every absent/null/present state,
#    compressed and out-of-line ones, btree and hash indexes, the unique
#    expression key, hash partitions by batch_id(r) and by the value, a view
#    over comm_result_fields, the guard trigger) and everything that must
#    never change is recorded with the 1.1 library: each value's text,
#    jsonb, binary send and hashes (two seeds), the sort and index order,
#    the partition of each row, the view's rows and the raw heap pages
#    (pageinspect) of every table and TOAST table.  Then the newest build is
#    installed over it and the server restarted: all of that must be
#    unchanged before and after ALTER EXTENSION comm_result UPDATE; amcheck
#    passes on every btree index, forced hash index look-ups find every row,
#    rows still satisfy their partitions, and today's fields, the guard and
#    comm_channel_status_counts work.  A view that calls the constructor
#    makes the update fail with a dependency error and leaves 1.1 in place.
#    Last, 1.1's library is put back under a database holding today-shape
#    (storage version 2) values: every reader fails with data_corrupted
#    (XX001), the April values still read, and the server never crashes.
#
# 1.1's sources: `git archive 9d5ef02` of the checkout, else the tarball at
# $CR_OLD_SOURCES (default test/upgrade/comm_result-1.1.tar, which
# test/matrix.sh copies into its roots, where there is no git history);
# with neither, part 2 is skipped with a "skipped: no 1.1 sources" line.
#
# Works on a private installation of its own (test/lib/cluster.sh): a copy
# of the one test/run.sh made, or a new one with this build; 1.1's library
# is installed there, never into the system's PostgreSQL.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"

NAME=upgrade
source "$(dirname "${BASH_SOURCE[0]}")/../lib/checks.sh"

CR_OLD_COMMIT=9d5ef02
CR_OLD_SOURCES=${CR_OLD_SOURCES:-$CR_ROOT/test/upgrade/comm_result-1.1.tar}

# check NAME COMMAND...: one check, passed when the command succeeds
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}

# git reads release 1.1's sources from this checkout's history (part 2):
# without it, part 2 would be skipped on a machine that has no git yet.
[ ! -e "$CR_ROOT/.git" ] || cr_require git
# 1.1's library replaces the newest one for a while: in a private
# installation of this script's own.
cr_use_install
cr_private_install "$CR_INST"
# autovacuum off: nothing may touch the heap pages between two snapshots.
settings=(-c autovacuum=off -c jit=off)
cr_cluster_start "${settings[@]}"
trap 'rc=$?; checks_aborted "$rc"; cr_cluster_stop; exit $rc' EXIT
export PGOPTIONS='-c client_min_messages=warning'

psql_db() { "$CR_PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$@"; }
# q DB SQL: unaligned, tuples only, stops at the first error
q() { psql_db "$1" -At -c "$2"; }
# err DB SQL: "SQLSTATE message" of the error the SQL raises, or "no error"
err() {
	local out
	if out=$("$CR_PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -d "$1" -c "$2" 2>&1 >/dev/null); then
		echo "no error"
	else
		sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\): /\1 /p' <<<"$out" | head -n 1
	fi
}
restart() {
	cr_as_pg "$CR_PGBIN/pg_ctl" -D "$CR_PGDATA" -m fast -w -t 60 stop >/dev/null
	cr_server_start "${settings[@]}"
}
version_of() { q "$1" "SELECT extversion FROM pg_extension WHERE extname = 'comm_result'"; }

# ---------------------------------------------------------------- part 1
first=$(cd "$(cr_dir sharedir)/extension" && printf "%s\n" comm_result--*.sql | sed -n 's/^comm_result--\([0-9.]*\)\.sql$/\1/p' | sort -V | head -n 1)
newest=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$CR_ROOT/comm_result.control")
cr_log "upgrading from $first to $newest"

fill="
CREATE TABLE results (r comm_result NOT NULL, s comm_status, st comm_batch_state);
CREATE UNIQUE INDEX results_key ON results ((batch_id(r)), (reference_id(r)));
CREATE INDEX results_r ON results (r);
CREATE INDEX results_h ON results USING hash (r);
CREATE TRIGGER results_guard BEFORE UPDATE ON results FOR EACH ROW EXECUTE FUNCTION comm_result_guard();
CREATE VIEW report AS SELECT batch_id(r) AS batch, comm_batch_summary(r) AS s FROM results GROUP BY 1;
INSERT INTO results
SELECT comm_result('20250117.' || i % 5, i::text, '+1512555' || lpad(i::text, 4, '0'), jsonb_build_object('i', i),
                   (ARRAY['PENDING','INITIATED','COMPLETED']::comm_status[])[1 + i % 3],
                   attempt_count => CASE WHEN i % 3 = 0 THEN 0 ELSE 1 END),
       'PENDING', '(0,0,0,0,0,0,0,0,0,0,0,0,,,,)'
FROM generate_series(1, 1000) i;
"

cr_as_pg "$CR_PGBIN/createdb" -h "$PGHOST" -p "$PGPORT" upgraded
cr_as_pg "$CR_PGBIN/createdb" -h "$PGHOST" -p "$PGPORT" fresh
psql_db upgraded -c "CREATE EXTENSION comm_result VERSION '$first'" -c "$fill" -c "ALTER EXTENSION comm_result UPDATE"
psql_db fresh -c "CREATE EXTENSION comm_result" -c "$fill"

check "upgraded database is at $newest" test "$(version_of upgraded)" = "$newest"
check "fresh database is at $newest" test "$(version_of fresh)" = "$newest"

members="SELECT pg_describe_object(classid, objid, 0) FROM pg_depend
         WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'comm_result') AND deptype = 'e' ORDER BY 1"
check "same extension members" diff <(q upgraded "$members") <(q fresh "$members")

dump() { "$CR_PGBIN/pg_dump" --schema-only --no-owner -d "$1" | grep -v '^\\\(un\)\?restrict '; }
check "same pg_dump --schema-only" diff <(dump upgraded) <(dump fresh)

sums="SELECT md5(string_agg(r::text || s::text || st::text, ',' ORDER BY r)) FROM results"
check "same data" test "$(q upgraded "$sums")" = "$(q fresh "$sums")"

work="UPDATE results SET r = comm_result_transition(r, 'INITIATED', '2025-01-17 09:00:00+00') WHERE request_status(r) = 'PENDING';
      SELECT md5(string_agg(s::text, ',' ORDER BY batch)) FROM report"
check "same behaviour after the update" \
	test "$(q upgraded "$work" | tail -n 1)" = "$(q fresh "$work" | tail -n 1)"
check "amcheck passes on the upgraded indexes" psql_db upgraded -c "CREATE EXTENSION amcheck" \
	-c "SELECT bt_index_check('results_key', true), bt_index_check('results_r', true)"

# ---------------------------------------------------------------- part 2
old=$CR_TMP/comm_result-1.1
mkdir -p "$old"
if git -C "$CR_ROOT" rev-parse -q --verify "$CR_OLD_COMMIT^{commit}" >/dev/null 2>&1; then
	git -C "$CR_ROOT" archive "$CR_OLD_COMMIT" | tar -C "$old" -xf -
	old_from="git archive $CR_OLD_COMMIT"
elif [ -f "$CR_OLD_SOURCES" ]; then
	tar -C "$old" -xf "$CR_OLD_SOURCES"
	old_from=$CR_OLD_SOURCES
else
	echo "skipped: no 1.1 sources (no commit $CR_OLD_COMMIT in $CR_ROOT, no $CR_OLD_SOURCES): only the upgrade from $first was tested"
	finish
	exit
fi
check "1.1 sources ($old_from) say default_version 1.1" \
	grep -qx "default_version = '1.1'" "$old/comm_result.control"

cr_log "building 1.1 from $old_from"
if ! make -C "$old" -s -j2 PG_CONFIG="$PG_CONFIG" >"$CR_TMP/build-1.1.log" 2>&1; then
	cat "$CR_TMP/build-1.1.log"
	bad "1.1 builds"
	finish
	exit 1
fi
cr_install_private "$old"
pkglib=$(cr_dir pkglibdir)
check "the installed library is 1.1's" cmp -s "$pkglib/comm_result.so" "$old/comm_result.so"

# The 1.2 library has the accessors of today's fields, 1.1's has not: which
# one a new session loads.
loaded_library() {
	if q "$1" "CREATE FUNCTION pg_temp.probe(comm_result) RETURNS text
	           AS '\$libdir/comm_result', 'comm_result_line_type' LANGUAGE C" 2>/dev/null; then
		echo 1.2
	else
		echo 1.1
	fi
}

cr_as_pg "$CR_PGBIN/createdb" -h "$PGHOST" -p "$PGPORT" april
cr_as_pg "$CR_PGBIN/createdb" -h "$PGHOST" -p "$PGPORT" blocked
check_eq "sessions load the 1.1 library" 1.1 "$(loaded_library april)"

# April 2025 values: the digits of i in a mixed radix pick one state of each
# optional field, so that the first 3240 rows hold every combination of
# request_status (absent or one of 9), call_manager_sid, sent_at,
# session_id, conversation_id (absent, null, present), created_at (absent,
# present) and attempt_count (absent, which is 0, or positive); targets,
# variables, instants and keys vary beside them (keys with and without
# leading zeros, for the natural order).  Rows 5000-5059 have large
# variables: compressed in line, out of line, and out of line compressed.
psql_db april <<'SQL'
CREATE EXTENSION comm_result VERSION '1.1';
CREATE EXTENSION pageinspect;
CREATE EXTENSION amcheck;
CREATE TABLE t (id int PRIMARY KEY, r comm_result NOT NULL);
CREATE UNIQUE INDEX t_key ON t ((batch_id(r)), (reference_id(r)));
CREATE INDEX t_r ON t (r);
CREATE INDEX t_h ON t USING hash (r);
CREATE INDEX t_status ON t ((request_status(r)), (attempt_count(r)));
CREATE TRIGGER t_guard BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION comm_result_guard();

CREATE FUNCTION pg_temp.april(i int, variables text) RETURNS comm_result LANGUAGE sql AS $$
SELECT format('{%s}', concat_ws(',',
  format('"batch_id":"2025011%s.%s"', i % 7, i % 13),
  format('"reference_id":"%s"', CASE i % 4 WHEN 0 THEN 'ref' || i WHEN 1 THEN i::text
                                WHEN 2 THEN lpad(i::text, 7, '0') ELSE 'R-' || i || '-é' END),
  format('"target":"%s"', CASE i % 3 WHEN 0 THEN 'user' || i || '@example.com'
                          WHEN 1 THEN '+1512555' || lpad((i % 10000)::text, 4, '0')
                          ELSE '(512) 555-' || lpad((i % 10000)::text, 4, '0') END),
  format('"request_variables":%s', variables),
  CASE WHEN i % 10 > 0 THEN format('"request_status":"%s"', (ARRAY['PENDING','DUPLICATE','INITIATED','CONNECTED',
    'COMPLETED','FAILED','CANCELED','INVALID','SKIPPED'])[i % 10]) END,
  CASE (i / 10) % 3 WHEN 1 THEN '"call_manager_sid":null' WHEN 2 THEN format('"call_manager_sid":"LM%s"', md5(i::text)) END,
  CASE WHEN (i / 30) % 2 = 1 THEN format('"created_at":"%s"', to_char(
    CASE WHEN i % 17 = 0 THEN timestamptz '1970-01-01 00:00:00+00' + i * interval '1 minute'
         ELSE timestamptz '2025-01-01 00:00:00+00' + i * interval '1 hour 1 second' END, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')) END,
  CASE (i / 60) % 3 WHEN 1 THEN '"sent_at":null' WHEN 2 THEN format('"sent_at":"%s"', to_char(
    timestamptz '2025-02-01 00:00:00+00' + i * interval '1 minute 1.25 second', 'YYYY-MM-DD"T"HH24:MI:SS.US"+02:00"')) END,
  CASE WHEN (i / 180) % 2 = 1 THEN format('"attempt_count":%s', 1 + i % 4) END,
  CASE (i / 360) % 3 WHEN 1 THEN '"session_id":null' WHEN 2 THEN format('"session_id":%s', i::bigint * 1000003) END,
  CASE (i / 1080) % 3 WHEN 1 THEN '"conversation_id":null' WHEN 2 THEN format('"conversation_id":%s', 9223372036854775807 - i) END
))::comm_result
$$;
INSERT INTO t
SELECT i, pg_temp.april(i, CASE i % 6
  WHEN 0 THEN '{}'
  WHEN 1 THEN format('{"first_name":"Ana%s","n":%s}', i, i)
  WHEN 2 THEN format('{"nested":{"a":[1,2,{"b":null}],"x":%s.50},"t":true,"f":false}', i)
  WHEN 3 THEN '{"é":"ü","esc":"tab\t quote\" slash\\ \u00e9 \ud83d\ude00","emoji":"😀"}'
  WHEN 4 THEN format('{"big":12345678901234567890,"exp":1e3,"neg":-0.5,"i":%s}', i)
  ELSE format('{"long":"%s"}', repeat('x', i % 500)) END)
FROM generate_series(0, 3239) i;
-- 20 compressible (compressed in line), 20 incompressible (out of line), 20
-- large and compressible (out of line, compressed); all under the 2704
-- bytes a btree index entry may take, compressed.
INSERT INTO t
SELECT 5000 + i, pg_temp.april(5000 + i, format('{"blob":"%s"}', CASE
  WHEN i < 20 THEN repeat('abcdefgh', 1000 + i)
  WHEN i < 40 THEN (SELECT string_agg(md5(i || '-' || j), '') FROM generate_series(1, 64 + i % 8) j)
  ELSE repeat((SELECT string_agg(md5(i || '-' || j), '') FROM generate_series(1, 16) j), 240 + i) END))
FROM generate_series(0, 59) i;

-- hash partitions by the batch_id expression and by the value itself
CREATE TABLE tb (id int NOT NULL, r comm_result NOT NULL) PARTITION BY HASH ((batch_id(r)));
CREATE TABLE tr (id int NOT NULL, r comm_result NOT NULL) PARTITION BY HASH (r);
SELECT format('CREATE TABLE %s_%s PARTITION OF %1$s FOR VALUES WITH (MODULUS 4, REMAINDER %2$s)', p, n)
FROM unnest(ARRAY['tb', 'tr']) p, generate_series(0, 3) n \gexec
CREATE INDEX tb_r ON tb (r);
CREATE INDEX tr_r ON tr (r);
CREATE INDEX tr_h ON tr USING hash (r);
INSERT INTO tb SELECT id, r FROM t;
INSERT INTO tr SELECT id, r FROM t;

CREATE VIEW v AS SELECT t.id, f.* FROM t, comm_result_fields(t.r) f;
CREATE VIEW s AS SELECT batch_id(r) AS batch, comm_batch_summary(r) AS s FROM t GROUP BY 1;
-- every hint bit set and every tuple frozen: reading changes no heap page
VACUUM (FREEZE, ANALYZE);
SQL

# A view that calls the 1.1 constructor, which 1.2 drops and recreates.
psql_db blocked -c "CREATE EXTENSION comm_result VERSION '1.1'" \
	-c "CREATE VIEW vc AS SELECT comm_result('b1', 'r1', '+15125550100', '{}', 'PENDING') AS r"

n_april=$(q april "SELECT count(*) FROM t")
# each optional field's state: absent, null or present (the jsonb cast
# tells them apart); attempt_count: 0 or positive
states="SELECT id, r, coalesce(request_status(r)::text, 'absent') || ',' || array_to_string(ARRAY(
            SELECT CASE WHEN NOT j ? k THEN 'absent' WHEN j -> k = 'null' THEN 'null' ELSE 'present' END
            FROM unnest(ARRAY['call_manager_sid', 'created_at', 'sent_at', 'session_id', 'conversation_id']) k), ',')
          || (attempt_count(r) > 0) AS state
        FROM (SELECT id, r, r::jsonb AS j FROM t) x"
check_eq "1.1 holds 3300 distinct values, every combination of states in the first 3240" "3300|3240|3240|3300" \
	"$(q april "SELECT count(*), count(DISTINCT state), count(DISTINCT state) FILTER (WHERE id < 3240), count(DISTINCT r)
	            FROM ($states) s")"
toast=$(q april "SELECT reltoastrelid::regclass FROM pg_class WHERE oid = 't'::regclass")
check_eq "1.1 stored 40 values compressed and 40 out of line" "40|40" \
	"$(q april "SELECT (SELECT count(*) FROM t WHERE pg_column_compression(r) IS NOT NULL),
	                   (SELECT count(DISTINCT chunk_id) FROM $toast)")"

# snapshot DIR: everything that must never change, one file per property
snapshot() {
	local dir=$1
	mkdir -p "$dir"
	q april "SELECT id, md5(r::text) FROM t WHERE id < 100000 ORDER BY id" >"$dir/text"
	q april "SELECT id, md5(r::jsonb::text) FROM t WHERE id < 100000 ORDER BY id" >"$dir/jsonb"
	q april "SELECT id, md5(comm_result_send(r)) FROM t WHERE id < 100000 ORDER BY id" >"$dir/send"
	q april "SELECT id, comm_result_hash(r), comm_result_hash_extended(r, 0), comm_result_hash_extended(r, 8191)
	         FROM t WHERE id < 100000 ORDER BY id" >"$dir/hash"
	q april "SET enable_indexscan = off; SET enable_bitmapscan = off;
	         SELECT id FROM t WHERE id < 100000 ORDER BY r" >"$dir/sort_order"
	q april "SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_sort = off;
	         SELECT id FROM t WHERE id < 100000 ORDER BY r" >"$dir/index_order"
	q april "SELECT tableoid::regclass, id FROM tb WHERE id < 100000 UNION ALL
	         SELECT tableoid::regclass, id FROM tr WHERE id < 100000 ORDER BY 1, 2" >"$dir/partition"
	q april "SELECT id, md5(v::text) FROM v WHERE id < 100000 ORDER BY id" >"$dir/view"
	q april "SELECT md5(string_agg(s::text, ',' ORDER BY batch)) FROM s" >"$dir/summary_view"
	q april "SELECT c.relname, b, md5(get_raw_page(c.oid::regclass::text, 'main', b))
	         FROM pg_class c, generate_series(0, pg_relation_size(c.oid) / current_setting('block_size')::int - 1) b
	         WHERE c.oid IN (SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'
	                         UNION SELECT reltoastrelid FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r')
	         ORDER BY 1, 2" >"$dir/heap_pages"
}
properties=(text jsonb send hash sort_order index_order partition view summary_view heap_pages)
# same_as DIR1 DIR2 WHEN: one check per property
same_as() {
	local p
	for p in "${properties[@]}"; do
		if [ -s "$1/$p" ] && cmp -s "$1/$p" "$2/$p"; then
			ok "$p unchanged $3"
		else
			bad "$p unchanged $3"
			diff "$1/$p" "$2/$p" | head -n 6 || true
		fi
	done
}

# Every snapshot reads the pages as stored: with data checksums (initdb's
# default from 18 on) a page in shared buffers carries its checksum only
# once it has been written out.
restart
snapshot "$CR_TMP/snap-1.1"
check_eq "1.1 snapshot: a line per value and per view row" "$n_april $n_april" \
	"$(wc -l <"$CR_TMP/snap-1.1/text") $(wc -l <"$CR_TMP/snap-1.1/view")"
has_pages() { grep -q "^t|" "$1" && grep -q "^${toast#pg_toast.}|" "$1"; }
check "1.1 snapshot: pages of t and of its TOAST table" has_pages "$CR_TMP/snap-1.1/heap_pages"
check "1.1 sorts as its btree index does" cmp -s "$CR_TMP/snap-1.1/sort_order" "$CR_TMP/snap-1.1/index_order"

# The operator installs the new build over 1.1 and restarts the server.
cr_install_private
restart
check "the installed library is the new build's" cmp -s "$pkglib/comm_result.so" "$CR_ROOT/comm_result.so"
check_eq "after the restart, sessions load the 1.2 library" 1.2 "$(loaded_library april)"
check_eq "before ALTER EXTENSION UPDATE the database is still at 1.1" 1.1 "$(version_of april)"
snapshot "$CR_TMP/snap-lib"
same_as "$CR_TMP/snap-1.1" "$CR_TMP/snap-lib" "under the 1.2 library, before the update"

# The constructor is dropped and recreated by the update script: a user's
# object that depends on it stops the update, cleanly.
out=$(printf '%s\n' '\set VERBOSITY verbose' 'ALTER EXTENSION comm_result UPDATE;' '\echo sqlstate=:LAST_ERROR_SQLSTATE' |
	"$CR_PGBIN/psql" -X -q -d blocked 2>&1 || true)
printf 'ALTER EXTENSION comm_result UPDATE with a view on the constructor:\n%s\n' "$out"
check "a view on the 1.1 constructor stops the update with 2BP01" grep -qx 'sqlstate=2BP01' <<<"$out"
constructor='comm_result(text,text,text,jsonb,comm_status,text,timestamp with time zone,timestamp with time zone,integer,bigint,bigint)'
check_eq "the error names the constructor and the view" 3 "$(grep -cxF \
	-e "ERROR:  2BP01: cannot drop function $constructor because other objects depend on it" \
	-e "DETAIL:  view vc depends on function $constructor" \
	-e 'HINT:  Use DROP ... CASCADE to drop the dependent objects too.' <<<"$out")"
check_eq "after the failed update: still 1.1, no 1.2 object, the view works" "1.1||PENDING" \
	"$(q blocked "SELECT extversion, to_regproc('line_type'), (SELECT request_status(r) FROM vc)
	              FROM pg_extension WHERE extname = 'comm_result'")"
check_eq "dropping the view lets the update through, and it can be made again" "1.2|PENDING" \
	"$(q blocked "DROP VIEW vc; ALTER EXTENSION comm_result UPDATE;
	              CREATE VIEW vc AS SELECT comm_result('b1', 'r1', '+15125550100', '{}', 'PENDING') AS r;
	              SELECT extversion, (SELECT request_status(r) FROM vc) FROM pg_extension WHERE extname = 'comm_result'")"

check "ALTER EXTENSION comm_result UPDATE on the 1.1 database" q april "ALTER EXTENSION comm_result UPDATE"
check_eq "the 1.1 database is at $newest" "$newest" "$(version_of april)"
snapshot "$CR_TMP/snap-1.2"
same_as "$CR_TMP/snap-1.1" "$CR_TMP/snap-1.2" "after the update"

btrees="SELECT c.oid FROM pg_class c JOIN pg_am a ON a.oid = c.relam
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'i' AND a.amname = 'btree'"
check_eq "amcheck (heapallindexed) passes on all 12 btree indexes" 12 \
	"$(q april "SELECT count(bt_index_check(oid, true)) FROM ($btrees) i")"
# Only the hash index can answer r = ... once the btree on r is gone (in a
# transaction that is rolled back).
hash_lookup="SET enable_seqscan = off; SET enable_bitmapscan = off; DROP INDEX t_r;"
hash_query="SELECT count(*) FROM t a WHERE a.id = (SELECT b.id FROM t b WHERE b.r = a.r)"
check "forced look-ups use the hash index" grep -q 'Index Scan using t_h on t b' \
	<<<"$(q april "BEGIN; $hash_lookup EXPLAIN (COSTS OFF) $hash_query; ROLLBACK")"
check_eq "forced hash index look-ups find every row" "$n_april" \
	"$(q april "BEGIN; $hash_lookup $hash_query; ROLLBACK")"
# rows of tb_N and tr_N: in the partition with remainder N
misrouted="SELECT (SELECT count(*) FROM tb WHERE NOT satisfies_hash_partition('tb'::regclass, 4, right(tableoid::regclass::text, 1)::int, batch_id(r)))
                + (SELECT count(*) FROM tr WHERE NOT satisfies_hash_partition('tr'::regclass, 4, right(tableoid::regclass::text, 1)::int, r))"
check_eq "every row satisfies its hash partition" 0 "$(q april "$misrouted")"
check_eq "index look-ups in tr find every value" "$n_april" \
	"$(q april "SET enable_seqscan = off; SET enable_bitmapscan = off;
	            SELECT count(*) FROM t WHERE EXISTS (SELECT FROM tr WHERE tr.r = t.r AND tr.id = t.id)")"

# Today's fields on the updated database: rows 100001-100040 carry them, the
# status of the channel in a known mix (5 SENT, 15 DELIVERED, 10 null, 10
# absent).
check "today-shape values go in through the constructor, jsonb and the URL's batch id" q april "
	INSERT INTO t SELECT 100000 + i, comm_result_from_jsonb(jsonb_strip_nulls(jsonb_build_object(
	  'reference_id', 'today' || i, 'target', '+1512555' || lpad(i::text, 4, '0'),
	  'request_variables', jsonb_build_object('first_name', 'Ana'), 'request_status', 'INITIATED',
	  'channel_manager_sid', 'CA' || i, 'created_at', '2026-08-01T10:00:00Z', 'attempt_count', 1,
	  'line_type', 'mobile', 'insights', '{\"rating\":\"Good\",\"score\":4.5}'::jsonb,
	  'enrichment', '{\"mcc\":\"310\"}'::jsonb,
	  'channel_manager_status', CASE WHEN i <= 5 THEN 'SENT' WHEN i <= 20 THEN 'DELIVERED' END))
	  || CASE WHEN i BETWEEN 21 AND 30 THEN '{\"channel_manager_status\":null}' ELSE '{}' END::jsonb, '20260801.1')
	FROM generate_series(1, 40) i;
	INSERT INTO t VALUES (100041, comm_result('20260801.1', 'today41', '+15125550041', '{}', 'PENDING',
	  channel_manager_sid => 'CA41', line_type => 'voip', channel_manager_status => 'QUEUED'));
	INSERT INTO tb SELECT id, r FROM t WHERE id > 100000;
	INSERT INTO tr SELECT id, r FROM t WHERE id > 100000"
check_eq "their fields read back" "CA1|CA1|SENT|mobile|Good|{\"mcc\": \"310\"}|channel_manager_sid" \
	"$(q april "SELECT channel_manager_sid(r), call_manager_sid(r), channel_manager_status(r), line_type(r),
	            insights(r)->>'rating', enrichment(r), sid_name FROM t, comm_result_all_fields(r) WHERE id = 100001")"
check_eq "comm_channel_status_counts over the batch" '{"SENT": 5, "QUEUED": 1, "DELIVERED": 15}' \
	"$(q april "SELECT comm_channel_status_counts(r) FROM t WHERE batch_id(r) = '20260801.1'")"
check_eq "comm_channel_status_counts over the April values counts nothing" '{}' \
	"$(q april "SELECT comm_channel_status_counts(r) FROM t WHERE id < 100000")"
check_eq "the guard allows a legal move of today's fields" "DELIVERED" \
	"$(q april "UPDATE t SET r = replace(r::text, '\"SENT\"', '\"DELIVERED\"')::comm_result WHERE id = 100001
	            RETURNING channel_manager_status(r)")"
check_eq "the guard rejects changing a frozen line_type" '23514 line_type of column "r" cannot change' \
	"$(err april "UPDATE t SET r = replace(r::text, '\"mobile\"', '\"voip\"')::comm_result WHERE id = 100002")"
check_eq "the guard rejects an illegal status move of an April row (COMPLETED to PENDING)" \
	'23514 invalid status transition from COMPLETED to PENDING in column "r"' \
	"$(err april "UPDATE t SET r = replace(r::text, '\"COMPLETED\"', '\"PENDING\"')::comm_result WHERE id = 5")"
check_eq "the unique expression key still refuses a duplicate" 23505 \
	"$(err april "INSERT INTO t SELECT -1, r FROM t WHERE id = 7" | cut -d' ' -f1)"
check_eq "amcheck passes with April and today's values side by side" 12 \
	"$(q april "SELECT count(bt_index_check(oid, true)) FROM ($btrees) i")"
v2_text=$(q april "SELECT md5(string_agg(r::text, ',' ORDER BY id)) FROM t WHERE id > 100000")

# An operator who goes back to the 1.1 library under a database that holds
# today-shape values: each reader stops with data_corrupted, none crashes.
install -m 755 "$old/comm_result.so" "$pkglib/comm_result.so"
restart
check_eq "with 1.1's library put back, sessions load it" 1.1 "$(loaded_library april)"
bad_version='XX001 comm_result value has an unknown storage format version'
for reader in "r::text" "comm_result_send(r)" "r::jsonb" "r::json" "batch_id(r)" "reference_id(r)" "target(r)" \
	"target_kind(r)" "request_variables(r)" "request_variable(r, 'first_name')" "request_status(r)" \
	"call_manager_sid(r)" "created_at(r)" "sent_at(r)" "attempt_count(r)" "session_id(r)" "conversation_id(r)" \
	"(comm_result_fields(r)).target" "comm_result_transition(r, 'CONNECTED')" "comm_result_merge(r, r)"; do
	check_eq "1.1 reading a version 2 value: $reader" "$bad_version" \
		"$(err april "SELECT $reader FROM t WHERE id = 100001")"
done
check_eq "1.1 sorting version 2 values" "$bad_version" \
	"$(err april "SELECT count(*) FROM (SELECT r FROM t WHERE id > 100000 ORDER BY r OFFSET 0) x")"
check_eq "1.1 summarising a batch with version 2 values" "$bad_version" \
	"$(err april "SELECT comm_batch_summary(r) FROM t WHERE id > 100000")"
check_eq "1.1 through the view" "$bad_version" "$(err april "SELECT * FROM v WHERE id = 100001")"
check "the error says which version" grep -q 'DETAIL:  Version 2 is not known to this build of comm_result.' \
	<<<"$("$CR_PGBIN/psql" -X -d april -c "SELECT r FROM t WHERE id = 100001" 2>&1)"
check_eq "1.1 calling a function only 1.2 has: a missing symbol, not a crash" 42883 \
	"$(err april "SELECT line_type(r) FROM t WHERE id = 100001" | cut -d' ' -f1)"
q april "SELECT id, md5(r::text) FROM t WHERE id < 100000 ORDER BY id" >"$CR_TMP/text-back-on-1.1"
check "1.1 still reads every April value as it wrote it" cmp -s "$CR_TMP/snap-1.1/text" "$CR_TMP/text-back-on-1.1"
check_eq "1.1 hashes and compares version 2 values by their bytes alone (no decoding, no error)" 41 \
	"$(q april "SELECT count(*) FROM t WHERE id > 100000 AND r = r AND comm_result_hash(r) IS NOT NULL")"
check_eq "the server still answers" 1 "$(q april "SELECT 1")"
no_crash() { ! grep -E 'PANIC|TRAP:|terminated by signal|was terminated' "$CR_TMP/server.log"; }
check "the server log shows no crash" no_crash

cr_install_private
restart
check_eq "back on 1.2, the version 2 values read as before" "$v2_text" \
	"$(q april "SELECT md5(string_agg(r::text, ',' ORDER BY id)) FROM t WHERE id > 100000")"

finish
