# shellcheck shell=bash disable=SC2154,SC2034 # settings: set by upgrade.sh; the SQL and queries: used by the parts
# Helpers shared by the parts of the upgrade suite (test/upgrade/upgrade.sh
# sources this after test/lib/cluster.sh and test/lib/checks.sh): queries,
# restarts, the release builds, the value generators and the snapshots of
# everything an upgrade must not change.

# check NAME COMMAND...: one check, passed when the command succeeds
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}

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
createdb() { cr_as_pg "$CR_PGBIN/createdb" -h "$PGHOST" -p "$PGPORT" "$1"; }
version_of() { q "$1" "SELECT extversion FROM pg_extension WHERE extname = 'comm_result'"; }
no_crash() { ! grep -E 'PANIC|TRAP:|terminated by signal|was terminated' "$CR_TMP/server.log"; }

# Which release's library a new session of DB loads: the newest release
# whose probe symbol it has (1.1 when none).  A release that adds C
# functions adds its line here.  The probe's signature uses no type of the
# extension, so that it works in a database that has none yet.
lib_probes=("1.2 comm_result_line_type" "1.3 comm_batch_tally_in")
has_symbol() {
	q "$1" "CREATE FUNCTION pg_temp.probe(int) RETURNS int
	        AS '\$libdir/comm_result', '$2' LANGUAGE C" 2>/dev/null
}
loaded_library() {
	local found=1.1 p
	for p in "${lib_probes[@]}"; do
		if has_symbol "$1" "${p#* }"; then found=${p%% *}; fi
	done
	echo "$found"
}

# ------------------------------------------------------ released versions

# release_sources VERSION COMMIT TARBALL: a release's sources in
# $CR_TMP/comm_result-VERSION, from `git archive COMMIT` of the checkout,
# else from TARBALL (test/matrix.sh copies one into its roots, which have
# no git history); sets release_from.  With neither, prints a "skipped"
# line and fails, and the caller skips its part.
release_sources() {
	local version=$1 commit=$2 tarball=$3 dir=$CR_TMP/comm_result-$1
	rm -rf "$dir"
	mkdir -p "$dir"
	if git -C "$CR_ROOT" rev-parse -q --verify "$commit^{commit}" >/dev/null 2>&1; then
		git -C "$CR_ROOT" archive "$commit" | tar -C "$dir" -xf -
		release_from="git archive $commit"
	elif [ -f "$tarball" ]; then
		tar -C "$dir" -xf "$tarball"
		release_from=$tarball
	else
		echo "skipped: no $version sources (no commit $commit in $CR_ROOT, no $tarball): the upgrade from the $version release was not tested"
		return 1
	fi
	check "$version sources ($release_from) say default_version $version" \
		grep -qx "default_version = '$version'" "$dir/comm_result.control"
}

# release_build VERSION: build the release's sources (release_sources).
release_build() {
	local dir=$CR_TMP/comm_result-$1
	cr_log "building $1 from $release_from"
	if ! make -C "$dir" -s -j2 PG_CONFIG="$PG_CONFIG" >"$CR_TMP/build-$1.log" 2>&1; then
		cat "$CR_TMP/build-$1.log"
		bad "$1 builds"
		return 1
	fi
}

# install_release DIR: the build in DIR becomes the only comm_result of the
# private installation, as on a system that has only that release's
# package; installing the newest build afterwards (cr_install_private) is
# the operator's package upgrade.
install_release() {
	rm -f "$(cr_dir sharedir)/extension/comm_result"* "$(cr_dir pkglibdir)/comm_result.so"
	rm -rf "$(cr_dir pkglibdir)/bitcode/comm_result" "$(cr_dir pkglibdir)/bitcode/comm_result.index.bc"
	cr_install_private "$1"
}

# ------------------------------------------------------ value generators

# pg_temp.april(i, variables): an April 2025 value (storage version 1).  The
# digits of i in a mixed radix pick one state of each optional field, so
# that i in 0..3239 gives every combination of request_status (absent or
# one of the nine of 1.0), call_manager_sid, sent_at, session_id,
# conversation_id (absent, null, present), created_at (absent, present) and
# attempt_count (absent, which is 0, or positive); targets, variables,
# instants and keys vary beside them (keys with and without leading zeros,
# for the natural order).
april_sql=$(
	cat <<'SQL'
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
-- pg_temp.variables(i): request_variables of six kinds, from empty to
-- nested, escaped, large numbers and long strings.
CREATE FUNCTION pg_temp.variables(i int) RETURNS text LANGUAGE sql AS $$
SELECT CASE i % 6
  WHEN 0 THEN '{}'
  WHEN 1 THEN format('{"first_name":"Ana%s","n":%s}', i, i)
  WHEN 2 THEN format('{"nested":{"a":[1,2,{"b":null}],"x":%s.50},"t":true,"f":false}', i)
  WHEN 3 THEN '{"é":"ü","esc":"tab\t quote\" slash\\ \u00e9 \ud83d\ude00","emoji":"😀"}'
  WHEN 4 THEN format('{"big":12345678901234567890,"exp":1e3,"neg":-0.5,"i":%s}', i)
  ELSE format('{"long":"%s"}', repeat('x', i % 500)) END
$$;
-- pg_temp.blob(i): for i in 0..59, variables that make a large value: 20
-- compressible (compressed in line), 20 incompressible (out of line), 20
-- large and compressible (out of line, compressed); all under the 2704
-- bytes a btree index entry may take, compressed.
CREATE FUNCTION pg_temp.blob(i int) RETURNS text LANGUAGE sql AS $$
SELECT format('{"blob":"%s"}', CASE
  WHEN i < 20 THEN repeat('abcdefgh', 1000 + i)
  WHEN i < 40 THEN (SELECT string_agg(md5(i || '-' || j), '') FROM generate_series(1, 64 + i % 8) j)
  ELSE repeat((SELECT string_agg(md5(i || '-' || j), '') FROM generate_series(1, 16) j), 240 + i) END)
$$;
SQL
)

# pg_temp.today(i, variables), after april_sql: a value of today's shape
# (1.2's fields), made from April's value of the same i: the sid under
# today's name for odd i, and channel_manager_status, insights_status,
# insights, line_type and enrichment each absent, null or present, on
# periods 5, 7, 11, 13 and 17 so that their states meet in many
# combinations.  Stored in version 2 unless every one of them is absent and
# the sid keeps April's name.
today_sql=$(
	cat <<'SQL'
CREATE FUNCTION pg_temp.today(i int, variables text) RETURNS comm_result LANGUAGE sql AS $$
SELECT (CASE WHEN i % 2 = 1 AND a ? 'call_manager_sid'
             THEN a - 'call_manager_sid' || jsonb_build_object('channel_manager_sid', a -> 'call_manager_sid')
             ELSE a END
  || CASE i % 5 WHEN 0 THEN '{}' WHEN 1 THEN '{"channel_manager_status":null}'
       ELSE jsonb_build_object('channel_manager_status', (ARRAY['SENT', 'DELIVERED', 'NOT-DOCUMENTED-' || i % 3])[i % 5 - 1]) END
  || CASE i % 7 WHEN 0 THEN '{}' WHEN 1 THEN '{"insights_status":null}'
       ELSE jsonb_build_object('insights_status', (ARRAY['PENDING', 'IN_PROGRESS', 'COMPLETED', 'FAILED', 'OTHER'])[i % 7 - 1]) END
  || CASE i % 11 WHEN 0 THEN '{}' WHEN 1 THEN '{"insights":null}' WHEN 2 THEN '{"insights":{}}'
       ELSE jsonb_build_object('insights', jsonb_build_object('rating', 'Good', 'score', 4.5, 'n', i, 'why', 'é ' || i)) END
  || CASE i % 13 WHEN 0 THEN '{}' WHEN 1 THEN '{"line_type":null}'
       ELSE jsonb_build_object('line_type', (ARRAY['mobile', 'landline', 'voip'])[1 + i % 3]) END
  || CASE i % 17 WHEN 0 THEN '{}' WHEN 1 THEN '{"enrichment":null}' WHEN 2 THEN '{"enrichment":{}}'
       ELSE jsonb_build_object('enrichment', jsonb_build_object('carrier_name', 'Acme', 'mcc', '310', 'mnc', (i % 1000)::text,
                                                                'ported', i % 2 = 0, 'extra', jsonb_build_array(i, null))) END
  )::text::comm_result
FROM (SELECT pg_temp.april(i, variables)::jsonb AS a) x
$$;
SQL
)

# ------------------------------------------------------------- snapshots

# Everything that must never change, one property per function: prop_NAME
# DB prints it for the values of table t with id < 100000 (rows added after
# the update have larger ids).  Every database that is snapshotted has the
# tables t (id, r), tb and tr (hash-partitioned by batch_id(r) and by r) and
# the views v (comm_result_fields) and s (the whole comm_batch_summary per
# batch); the 1.2 database also has va (comm_result_all_fields), sc
# ((comm_batch_summary(r)).* per batch), ks (stored summaries) and kst
# (stored comm_batch_state values).
prop_text() { q "$1" "SELECT id, md5(r::text) FROM t WHERE id < 100000 ORDER BY id"; }
prop_jsonb() { q "$1" "SELECT id, md5(r::jsonb::text) FROM t WHERE id < 100000 ORDER BY id"; }
prop_send() { q "$1" "SELECT id, md5(comm_result_send(r)) FROM t WHERE id < 100000 ORDER BY id"; }
prop_hash() {
	q "$1" "SELECT id, comm_result_hash(r), comm_result_hash_extended(r, 0), comm_result_hash_extended(r, 8191)
	        FROM t WHERE id < 100000 ORDER BY id"
}
prop_sort_order() {
	q "$1" "SET enable_indexscan = off; SET enable_bitmapscan = off;
	        SELECT id FROM t WHERE id < 100000 ORDER BY r"
}
prop_index_order() {
	q "$1" "SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_sort = off;
	        SELECT id FROM t WHERE id < 100000 ORDER BY r"
}
prop_partition() {
	q "$1" "SELECT tableoid::regclass, id FROM tb WHERE id < 100000 UNION ALL
	        SELECT tableoid::regclass, id FROM tr WHERE id < 100000 ORDER BY 1, 2"
}
prop_view() { q "$1" "SELECT id, md5(v::text) FROM v WHERE id < 100000 ORDER BY id"; }
prop_view_all() { q "$1" "SELECT id, md5(va::text) FROM va WHERE id < 100000 ORDER BY id"; }
# comm_batch_summary's attributes of 1.0 to 1.2; 1.3 adds three at the end,
# so a view that returns the whole summary shows more fields after the
# update: these are compared by name, the new ones on their own.
summary_fields=(total pending duplicate initiated connected completed failed canceled invalid skipped attempts
	max_attempts first_created_at last_created_at first_sent_at last_sent_at "done" status_counts)
summary_1_2() { # the 1.2 fields of the comm_batch_summary expression $1, as one row
	local f list=
	for f in "${summary_fields[@]}"; do list+="${list:+, }($1).$f"; done
	echo "ROW($list)"
}
prop_summary_view() {
	q "$1" "SELECT md5(string_agg($(summary_1_2 s)::text, ',' ORDER BY batch)) FROM s WHERE batch NOT LIKE '2026%'"
}
# the whole summaries' text, a line per batch: after the update each line
# ends in the three new counts (tested apart, summary_whole_after)
prop_summary_whole() { q "$1" "SELECT batch, s FROM s WHERE batch NOT LIKE '2026%' ORDER BY batch"; }
prop_summary_cols() { q "$1" "SELECT batch, md5(sc::text) FROM sc WHERE batch NOT LIKE '2026%' ORDER BY batch"; }
prop_stored_summaries() { q "$1" "SELECT batch, $(summary_1_2 s) FROM ks ORDER BY batch"; }
prop_stored_states() { q "$1" "SELECT batch, st, md5(comm_batch_state_send(st)) FROM kst ORDER BY batch"; }
prop_heap_pages() {
	q "$1" "SELECT c.relname, b, md5(get_raw_page(c.oid::regclass::text, 'main', b))
	        FROM pg_class c, generate_series(0, pg_relation_size(c.oid) / current_setting('block_size')::int - 1) b
	        WHERE c.oid IN (SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'
	                        UNION SELECT reltoastrelid FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r')
	        ORDER BY 1, 2"
}

# snapshot DB DIR PROPERTY...: one file per property
snapshot() {
	local db=$1 dir=$2 p
	shift 2
	mkdir -p "$dir"
	for p in "$@"; do "prop_$p" "$db" >"$dir/$p"; done
}
# same_as DIR1 DIR2 WHEN PROPERTY...: one check per property
same_as() {
	local a=$1 b=$2 when=$3 p
	shift 3
	for p in "$@"; do
		if [ -s "$a/$p" ] && cmp -s "$a/$p" "$b/$p"; then
			ok "$p unchanged $when"
		else
			bad "$p unchanged $when"
			diff "$a/$p" "$b/$p" | head -n 6 || true
		fi
	done
}

# ------------------------------------------------- indexes and partitions

# every btree index of the public schema (partitions' indexes included)
btrees="SELECT c.oid FROM pg_class c JOIN pg_am a ON a.oid = c.relam
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'i' AND a.amname = 'btree'"
# Only the hash index can answer r = ... once the btree on r is gone (in a
# transaction that is rolled back).
hash_lookup="SET enable_seqscan = off; SET enable_bitmapscan = off; DROP INDEX t_r;"
hash_query="SELECT count(*) FROM t a WHERE a.id = (SELECT b.id FROM t b WHERE b.r = a.r)"
# rows of tb_N and tr_N: in the partition with remainder N
misrouted="SELECT (SELECT count(*) FROM tb WHERE NOT satisfies_hash_partition('tb'::regclass, 4, right(tableoid::regclass::text, 1)::int, batch_id(r)))
                + (SELECT count(*) FROM tr WHERE NOT satisfies_hash_partition('tr'::regclass, 4, right(tableoid::regclass::text, 1)::int, r))"
tr_lookup="SET enable_seqscan = off; SET enable_bitmapscan = off;
           SELECT count(*) FROM t WHERE EXISTS (SELECT FROM tr WHERE tr.r = t.r AND tr.id = t.id)"

# index_checks DB N_BTREES N_ROWS WHEN: amcheck on every btree index, forced
# hash index look-ups, partition routing, index look-ups in tr
index_checks() {
	local db=$1 n_btrees=$2 n_rows=$3 when=$4
	check_eq "amcheck (heapallindexed) passes on all $n_btrees btree indexes $when" "$n_btrees" \
		"$(q "$db" "SELECT count(bt_index_check(oid, true)) FROM ($btrees) i")"
	check "forced look-ups use the hash index $when" grep -q 'Index Scan using t_h on t b' \
		<<<"$(q "$db" "BEGIN; $hash_lookup EXPLAIN (COSTS OFF) $hash_query; ROLLBACK")"
	check_eq "forced hash index look-ups find every row $when" "$n_rows" \
		"$(q "$db" "BEGIN; $hash_lookup $hash_query; ROLLBACK")"
	check_eq "every row satisfies its hash partition $when" 0 "$(q "$db" "$misrouted")"
	check_eq "index look-ups in tr find every value $when" "$n_rows" "$(q "$db" "$tr_lookup")"
}

# summary_whole_after BEFORE_DIR AFTER_DIR WHEN: after the update to 1.3 a
# view that returns the whole comm_batch_summary shows the three counts
# 1.3 added at the end, 0 for data without the new statuses, and the rest
# as before
summary_whole_after() {
	local name="the whole summaries are as before, with 1.3's three new counts 0 $3"
	if [ -s "$1/summary_whole" ] && cmp -s <(sed 's/)$/,0,0,0)/' "$1/summary_whole") "$2/summary_whole"; then
		ok "$name"
	else
		bad "$name"
		diff <(sed 's/)$/,0,0,0)/' "$1/summary_whole") "$2/summary_whole" | head -n 6 || true
	fi
}
