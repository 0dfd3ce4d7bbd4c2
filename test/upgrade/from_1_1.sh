# shellcheck shell=bash disable=SC2154 # newest, and lib.sh's SQL and queries: set before this is sourced
# Part 2 of the upgrade suite (sourced by test/upgrade/upgrade.sh): from the
# 1.1 release, the way an operator lives it.  1.1's own library and SQL
# files (git commit 9d5ef02) are built and installed, a database is filled
# on 1.1 (April 2025 values in every absent/null/present state, compressed
# and out-of-line ones, btree and hash indexes, the unique expression key,
# hash partitions by batch_id(r) and by the value, a view over
# comm_result_fields, a view of comm_batch_summary, the guard trigger) and
# everything that must never change is recorded with the 1.1 library: each
# value's text, jsonb, binary send and hashes (two seeds), the sort and
# index order, the partition of each row, the views' rows and the raw heap
# pages (pageinspect) of every table and TOAST table.  Then the newest
# build is installed over it and the server restarted: all of that must be
# unchanged before and after ALTER EXTENSION comm_result UPDATE (the
# summary view then shows 1.3's three new counts, 0); amcheck passes on
# every btree index, forced hash index look-ups find every row, rows still
# satisfy their partitions, and today's fields, the guard and
# comm_channel_status_counts work.  A view that calls the constructor makes
# the update fail with a dependency error and leaves 1.1 in place.  Last,
# 1.1's library is put back under a database holding today-shape (storage
# version 2) values: every reader fails with data_corrupted (XX001), the
# April values still read, and the server never crashes.

CR_SOURCES_1_1=${CR_SOURCES_1_1:-${CR_OLD_SOURCES:-$CR_ROOT/test/upgrade/comm_result-1.1.tar}}
release_sources 1.1 9d5ef02 "$CR_SOURCES_1_1" || return 0
release_build 1.1 || return 0
old=$CR_TMP/comm_result-1.1
install_release "$old"
pkglib=$(cr_dir pkglibdir)
check "the installed library is 1.1's" cmp -s "$pkglib/comm_result.so" "$old/comm_result.so"

createdb april
createdb blocked
check_eq "sessions load the 1.1 library" 1.1 "$(loaded_library april)"

# April 2025 values (pg_temp.april, lib.sh): the first 3240 rows hold every
# combination of states; rows 5000-5059 have large variables: compressed in
# line, out of line, and out of line compressed.
{
	echo "CREATE EXTENSION comm_result VERSION '1.1'; CREATE EXTENSION pageinspect; CREATE EXTENSION amcheck;"
	printf '%s\n' "$april_sql"
	cat <<'SQL'
CREATE TABLE t (id int PRIMARY KEY, r comm_result NOT NULL);
CREATE UNIQUE INDEX t_key ON t ((batch_id(r)), (reference_id(r)));
CREATE INDEX t_r ON t (r);
CREATE INDEX t_h ON t USING hash (r);
CREATE INDEX t_status ON t ((request_status(r)), (attempt_count(r)));
CREATE TRIGGER t_guard BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION comm_result_guard();

INSERT INTO t SELECT i, pg_temp.april(i, pg_temp.variables(i)) FROM generate_series(0, 3239) i;
INSERT INTO t SELECT 5000 + i, pg_temp.april(5000 + i, pg_temp.blob(i)) FROM generate_series(0, 59) i;

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
} | psql_db april

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

props=(text jsonb send hash sort_order index_order partition view summary_view heap_pages)
# Every snapshot reads the pages as stored: with data checksums (initdb's
# default from 18 on) a page in shared buffers carries its checksum only
# once it has been written out.
restart
snapshot april "$CR_TMP/snap-1.1" "${props[@]}" summary_whole
check_eq "1.1 snapshot: a line per value and per view row" "$n_april $n_april" \
	"$(wc -l <"$CR_TMP/snap-1.1/text") $(wc -l <"$CR_TMP/snap-1.1/view")"
has_pages() { grep -q "^t|" "$1" && grep -q "^${toast#pg_toast.}|" "$1"; }
check "1.1 snapshot: pages of t and of its TOAST table" has_pages "$CR_TMP/snap-1.1/heap_pages"
check "1.1 sorts as its btree index does" cmp -s "$CR_TMP/snap-1.1/sort_order" "$CR_TMP/snap-1.1/index_order"

# The operator installs the new build over 1.1 and restarts the server.
cr_install_private
restart
check "the installed library is the new build's" cmp -s "$pkglib/comm_result.so" "$CR_ROOT/comm_result.so"
check_eq "after the restart, sessions load the $newest library" "$newest" "$(loaded_library april)"
check_eq "before ALTER EXTENSION UPDATE the database is still at 1.1" 1.1 "$(version_of april)"
snapshot april "$CR_TMP/snap-lib" "${props[@]}" summary_whole
same_as "$CR_TMP/snap-1.1" "$CR_TMP/snap-lib" "under the $newest library, before the update" "${props[@]}" summary_whole

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
check_eq "dropping the view lets the update through to $newest, and it can be made again" "$newest|PENDING" \
	"$(q blocked "DROP VIEW vc; ALTER EXTENSION comm_result UPDATE;
	              CREATE VIEW vc AS SELECT comm_result('b1', 'r1', '+15125550100', '{}', 'PENDING') AS r;
	              SELECT extversion, (SELECT request_status(r) FROM vc) FROM pg_extension WHERE extname = 'comm_result'")"

check "ALTER EXTENSION comm_result UPDATE on the 1.1 database" q april "ALTER EXTENSION comm_result UPDATE"
check_eq "the 1.1 database is at $newest" "$newest" "$(version_of april)"
snapshot april "$CR_TMP/snap-new" "${props[@]}" summary_whole
same_as "$CR_TMP/snap-1.1" "$CR_TMP/snap-new" "after the update" "${props[@]}"
summary_whole_after "$CR_TMP/snap-1.1" "$CR_TMP/snap-new" "(1.1 database)"

index_checks april 12 "$n_april" "(1.1 database, after the update)"

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
# Since 1.3 the aggregate comm_batch_summary runs on state functions that
# 1.1's library lacks (next check: the SQL objects of a newer release under
# an older library is no supported downgrade); the reader to test is 1.1's
# own transition function, which the catalog still has.
check_eq "1.1 summarising a batch with version 2 values (comm_batch_state_add)" "$bad_version" \
	"$(err april "SELECT comm_batch_state_add('(0,0,0,0,0,0,0,0,0,0,0,0,,,,)', r) FROM t WHERE id > 100000")"
check_eq "1.1 under $newest's comm_batch_summary: a missing symbol, not a crash" 42883 \
	"$(err april "SELECT comm_batch_summary(r) FROM t WHERE id > 100000" | cut -d' ' -f1)"
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
check "the server log shows no crash" no_crash

cr_install_private
restart
check_eq "back on $newest, the version 2 values read as before" "$v2_text" \
	"$(q april "SELECT md5(string_agg(r::text, ',' ORDER BY id)) FROM t WHERE id > 100000")"
