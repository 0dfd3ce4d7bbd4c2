# shellcheck shell=bash disable=SC2154 # newest, and lib.sh's SQL and queries: set before this is sourced
# Part 3 of the upgrade suite (sourced by test/upgrade/upgrade.sh): from the
# 1.2 release, the way an operator lives it.  1.2's own library and SQL
# files (git commit 369ea52) are built and installed; a database is filled
# on 1.2 with April-shape values (storage version 1) and today-shape ones
# (version 2), TOASTed ones of both, btree and hash indexes (on the value,
# the unique expression key, status and today's fields), hash partitions
# by batch_id(r) and by the value, views over comm_result_fields and
# comm_result_all_fields, a view expanding (comm_batch_summary(r)).* and one
# returning the summary whole, stored summaries (a comm_batch_summary
# column) and stored states (a comm_batch_state column, made by an
# aggregate of the operator's own over 1.2's state functions), the guard;
# VACUUM FREEZE.  Everything that must never change is recorded with the
# 1.2 library, again after the newest build is installed and the server
# restarted (identical), and again after ALTER EXTENSION comm_result UPDATE
# (identical, but for the three counts 1.3 adds to the whole summary, 0).
# Then amcheck, forced hash look-ups and partition routing; the statuses
# 1.3 adds load, count in the summary's new columns and pass the guard;
# empty strings load.  Last, 1.2's library is put back: every reader of the
# status of a value with a new status fails with XX001 (accessors of its
# other fields answer as the newest library does), the other values still
# read, and the server never crashes; a btree index on request_status(r)
# that holds a new status stays in order for 1.2 (comm_status sorts by
# code in both), and 1.2's look-ups through it find every row.

CR_SOURCES_1_2=${CR_SOURCES_1_2:-$CR_ROOT/test/upgrade/comm_result-1.2.tar}
release_sources 1.2 369ea52 "$CR_SOURCES_1_2" || return 0
release_build 1.2 || return 0
old=$CR_TMP/comm_result-1.2
install_release "$old"
pkglib=$(cr_dir pkglibdir)
check "the installed library is 1.2's" cmp -s "$pkglib/comm_result.so" "$old/comm_result.so"

createdb today
check_eq "sessions load the 1.2 library" 1.2 "$(loaded_library today)"

# April values 0-3239 (every combination of states) and 5000-5059 (large);
# today-shape values 10000-11999 and 15000-15059 (large), made from the
# April value of the same id (pg_temp.today, lib.sh).
{
	echo "CREATE EXTENSION comm_result VERSION '1.2'; CREATE EXTENSION pageinspect; CREATE EXTENSION amcheck;"
	printf '%s\n' "$april_sql" "$today_sql"
	cat <<'SQL'
CREATE TABLE t (id int PRIMARY KEY, r comm_result NOT NULL);
CREATE UNIQUE INDEX t_key ON t ((batch_id(r)), (reference_id(r)));
CREATE INDEX t_r ON t (r);
CREATE INDEX t_h ON t USING hash (r);
CREATE INDEX t_status ON t ((request_status(r)), (attempt_count(r)));
CREATE INDEX t_line ON t ((line_type(r)), (channel_manager_status(r)));
CREATE TRIGGER t_guard BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION comm_result_guard();

INSERT INTO t SELECT i, pg_temp.april(i, pg_temp.variables(i)) FROM generate_series(0, 3239) i;
INSERT INTO t SELECT 5000 + i, pg_temp.april(5000 + i, pg_temp.blob(i)) FROM generate_series(0, 59) i;
INSERT INTO t SELECT 10000 + i, pg_temp.today(10000 + i, pg_temp.variables(i)) FROM generate_series(0, 1999) i;
INSERT INTO t SELECT 15000 + i, pg_temp.today(15000 + i, pg_temp.blob(i)) FROM generate_series(0, 59) i;

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
CREATE VIEW va AS SELECT t.id, f.* FROM t, comm_result_all_fields(t.r) f;
CREATE VIEW s AS SELECT batch_id(r) AS batch, comm_batch_summary(r) AS s FROM t GROUP BY 1;
CREATE VIEW sc AS SELECT batch_id(r) AS batch, (comm_batch_summary(r)).* FROM t GROUP BY 1;
-- what a user keeps: summaries, and states from an aggregate of their own
-- over 1.2's state functions (to combine them later, across tables)
CREATE TABLE ks (batch text PRIMARY KEY, s comm_batch_summary NOT NULL);
INSERT INTO ks SELECT batch, s FROM s;
CREATE AGGREGATE batch_state(comm_result) (SFUNC = comm_batch_state_add, STYPE = comm_batch_state,
  COMBINEFUNC = comm_batch_state_combine, INITCOND = '(0,0,0,0,0,0,0,0,0,0,0,0,,,,)', PARALLEL = SAFE);
CREATE TABLE kst (batch text PRIMARY KEY, st comm_batch_state NOT NULL);
INSERT INTO kst SELECT batch_id(r), batch_state(r) FROM t GROUP BY 1;
-- every hint bit set and every tuple frozen: reading changes no heap page
VACUUM (FREEZE, ANALYZE);
SQL
} | psql_db today

n_today=$(q today "SELECT count(*) FROM t")
n_batches=$(q today "SELECT count(*) FROM s")
# The binary form's first byte is the storage version; a value needs
# version 2 exactly when it has a field or name of 1.2.
shape="SELECT id, get_byte(comm_result_send(r), 0) AS version,
              r::jsonb ?| ARRAY['channel_manager_sid', 'channel_manager_status', 'insights_status', 'insights',
                                'line_type', 'enrichment'] AS today_fields
       FROM t"
check_eq "1.2 holds 5360 distinct values, in version 2 exactly when they have a field or name of 1.2" "5360|5360|0" \
	"$(q today "SELECT count(*), count(DISTINCT r), count(*) FILTER (WHERE (version = 2) <> today_fields) FROM ($shape) x JOIN t USING (id)")"
check_eq "of them 3300 of April's shape in version 1 and 2060 of today's in version 2" "3300|2060" \
	"$(q today "SELECT count(*) FILTER (WHERE id < 10000 AND version = 1), count(*) FILTER (WHERE id >= 10000 AND version = 2)
	            FROM ($shape) x")"
toast=$(q today "SELECT reltoastrelid::regclass FROM pg_class WHERE oid = 't'::regclass")
check_eq "1.2 stored 80 values compressed (40 of today's shape) and 80 out of line" "80|40|80" \
	"$(q today "SELECT (SELECT count(*) FROM t WHERE pg_column_compression(r) IS NOT NULL),
	                   (SELECT count(*) FROM t WHERE pg_column_compression(r) IS NOT NULL AND id >= 10000),
	                   (SELECT count(DISTINCT chunk_id) FROM $toast)")"
check_eq "1.2 refuses the statuses 1.3 adds and empty strings" \
	"22P02 comm_result field \"request_status\" has an unknown status|22023" \
	"$(err today "SELECT '{\"batch_id\":\"b\",\"reference_id\":\"1\",\"target\":\"+15125550001\",\"request_variables\":{},\"request_status\":\"SENT\"}'::comm_result")|$(
		err today "SELECT '{\"batch_id\":\"b\",\"reference_id\":\"1\",\"target\":\"+15125550001\",\"request_variables\":{},\"line_type\":\"\"}'::comm_result" | cut -d' ' -f1)"

props=(text jsonb send hash sort_order index_order partition view view_all summary_view summary_cols
	stored_summaries stored_states heap_pages)
# (restart: see the 1.1 part; with data checksums a page carries its
# checksum only once written out)
restart
snapshot today "$CR_TMP/snap12-1.2" "${props[@]}" summary_whole
check_eq "1.2 snapshot: a line per value and per view row, a line per batch" \
	"$n_today $n_today $n_today $n_batches $n_batches $n_batches" \
	"$(for p in text view view_all summary_cols stored_summaries stored_states; do wc -l <"$CR_TMP/snap12-1.2/$p"; done | xargs)"
has_pages() { grep -q "^t|" "$1" && grep -q "^${toast#pg_toast.}|" "$1" && grep -q "^ks|" "$1" && grep -q "^kst|" "$1"; }
check "1.2 snapshot: pages of t, of its TOAST table and of the stored summaries and states" \
	has_pages "$CR_TMP/snap12-1.2/heap_pages"
check "1.2 sorts as its btree index does" cmp -s "$CR_TMP/snap12-1.2/sort_order" "$CR_TMP/snap12-1.2/index_order"

# The operator installs the new build over 1.2 and restarts the server.
cr_install_private
restart
check "the installed library is the new build's" cmp -s "$pkglib/comm_result.so" "$CR_ROOT/comm_result.so"
check_eq "after the restart, sessions load the $newest library" "$newest" "$(loaded_library today)"
check_eq "before ALTER EXTENSION UPDATE the database is still at 1.2" 1.2 "$(version_of today)"
snapshot today "$CR_TMP/snap12-lib" "${props[@]}" summary_whole
same_as "$CR_TMP/snap12-1.2" "$CR_TMP/snap12-lib" "under the $newest library, before the update (1.2 database)" \
	"${props[@]}" summary_whole
# (from VALUES: no row is written, not even one rolled back, so the heap
# pages stay as they were)
check_eq "before the update, a new status loads but 1.2's aggregate refuses it, with a hint" \
	"0A000 comm_batch_state cannot count status UNSUBSCRIBED" \
	"$(err today "SELECT comm_batch_summary(r) FROM (VALUES ('{\"batch_id\":\"b\",\"reference_id\":\"1\",\"target\":\"+15125550001\",
	                                                         \"request_variables\":{},\"request_status\":\"UNSUBSCRIBED\"}'::comm_result)) x(r)")"

check "ALTER EXTENSION comm_result UPDATE on the 1.2 database" q today "ALTER EXTENSION comm_result UPDATE"
check_eq "the 1.2 database is at $newest" "$newest" "$(version_of today)"
snapshot today "$CR_TMP/snap12-new" "${props[@]}" summary_whole
same_as "$CR_TMP/snap12-1.2" "$CR_TMP/snap12-new" "after the update (1.2 database)" "${props[@]}"
summary_whole_after "$CR_TMP/snap12-1.2" "$CR_TMP/snap12-new" "(1.2 database)"
check_eq "the stored summaries read the three new counts as null (stored before they existed)" "$n_batches" \
	"$(q today "SELECT count(*) FROM ks WHERE (s).call_completed IS NULL AND (s).sent IS NULL AND (s).unsubscribed IS NULL")"
check_eq "the expanded view keeps 1.2's 18 columns, the whole one has 21 fields" "19|21" \
	"$(q today "SELECT (SELECT count(*) FROM pg_attribute WHERE attrelid = 'sc'::regclass AND attnum > 0),
	                   (SELECT count(*) FROM pg_attribute WHERE attrelid = 'comm_batch_summary'::regclass AND attnum > 0)")"
check_eq "the aggregate made on 1.2 over comm_batch_state_add gives the stored states again" "$n_batches" \
	"$(q today "SELECT count(*) FROM kst JOIN (SELECT batch_id(r) AS batch, batch_state(r) AS st FROM t WHERE id < 100000 GROUP BY 1) x
	            USING (batch) WHERE x.st::text = kst.st::text")"
check_eq "stored states cast to comm_batch_tally give the summaries of the view" "$n_batches" \
	"$(q today "SELECT count(*) FROM kst JOIN s USING (batch) WHERE comm_batch_tally_summary(st::comm_batch_tally)::text = s.s::text")"

index_checks today 15 "$n_today" "(1.2 database, after the update)"

# The statuses 1.3 adds, in a batch of their own (ids 100001-100006): an
# April-shape CALL_COMPLETED (version 1), a today-shape SENT (version 2), an
# UNSUBSCRIBED, a COMPLETED, a second CALL_COMPLETED that the guard will
# let become COMPLETED, and a value with empty optional strings.
new_rows="INSERT INTO t VALUES
 (100001, '{\"batch_id\":\"20261207.1\",\"reference_id\":\"n1\",\"target\":\"+15125550001\",\"request_variables\":{},
            \"request_status\":\"CALL_COMPLETED\",\"call_manager_sid\":\"LM1\",\"attempt_count\":1}'),
 (100002, '{\"batch_id\":\"20261207.1\",\"reference_id\":\"n2\",\"target\":\"n2@example.com\",\"request_variables\":{\"first_name\":\"Ana\"},
            \"request_status\":\"SENT\",\"channel_manager_sid\":\"CA2\",\"channel_manager_status\":\"SENT\",\"line_type\":\"mobile\",\"attempt_count\":1}'),
 (100003, '{\"batch_id\":\"20261207.1\",\"reference_id\":\"n3\",\"target\":\"+15125550003\",\"request_variables\":{},
            \"request_status\":\"UNSUBSCRIBED\",\"created_at\":\"2026-12-07T10:00:00Z\"}'),
 (100004, '{\"batch_id\":\"20261207.1\",\"reference_id\":\"n4\",\"target\":\"+15125550004\",\"request_variables\":{},
            \"request_status\":\"COMPLETED\",\"attempt_count\":1}'),
 (100005, '{\"batch_id\":\"20261207.1\",\"reference_id\":\"n5\",\"target\":\"+15125550005\",\"request_variables\":{},
            \"request_status\":\"CALL_COMPLETED\",\"attempt_count\":1}'),
 (100006, '{\"batch_id\":\"20261207.1\",\"reference_id\":\"n6\",\"target\":\"+15125550006\",\"request_variables\":{},
            \"request_status\":\"PENDING\",\"call_manager_sid\":\"\",\"channel_manager_status\":\"\",\"insights_status\":\"\",\"line_type\":\"\"}');
INSERT INTO tb SELECT id, r FROM t WHERE id > 100000;
INSERT INTO tr SELECT id, r FROM t WHERE id > 100000"
check "the statuses $newest adds load, and empty strings" q today "$new_rows"
index_checks today 15 "$((n_today + 6))" "(with the new statuses)"
batch_counts="SELECT (s).total, (s).pending, (s).completed, (s).call_completed, (s).sent, (s).unsubscribed, (s).done
              FROM s WHERE batch = '20261207.1'"
check_eq "comm_batch_summary counts them in its new columns" "6|1|1|2|1|1|f" "$(q today "$batch_counts")"
check_eq "the view of 1.2's columns counts them in total and status_counts" \
	'6|1|{"SENT": 1, "PENDING": 1, "COMPLETED": 1, "UNSUBSCRIBED": 1, "CALL_COMPLETED": 2}' \
	"$(q today "SELECT total, completed, status_counts FROM sc WHERE batch = '20261207.1'")"
check_eq "the empty strings read back as given" 't|t' \
	"$(q today "SELECT call_manager_sid(r) = '' AND channel_manager_status(r) = '' AND insights_status(r) = '' AND line_type(r) = '',
	                   r::text LIKE '%\"line_type\":\"\"%' FROM t WHERE id = 100006")"
check_eq "the guard allows CALL_COMPLETED to COMPLETED (its later name)" COMPLETED \
	"$(q today "UPDATE t SET r = replace(r::text, '\"CALL_COMPLETED\"', '\"COMPLETED\"')::comm_result WHERE id = 100005
	            RETURNING request_status(r)")"
check_eq "the guard refuses COMPLETED to CALL_COMPLETED" \
	'23514 invalid status transition from COMPLETED to CALL_COMPLETED in column "r"' \
	"$(err today "UPDATE t SET r = replace(r::text, '\"COMPLETED\"', '\"CALL_COMPLETED\"')::comm_result WHERE id = 100004")"
check_eq "the summary follows the guarded move" "6|1|2|1|1|1|f" "$(q today "$batch_counts")"
check_eq "1.2's state type refuses the new statuses in the aggregate made on 1.2" \
	"0A000 comm_batch_state cannot count status CALL_COMPLETED" \
	"$(err today "SELECT batch_state(r) FROM t WHERE id = 100001")"
new_text=$(q today "SELECT md5(string_agg(r::text, ',' ORDER BY id)) FROM t WHERE id > 100000")
plain="SELECT md5(string_agg(r::text, ',' ORDER BY id)) FROM t WHERE id IN (100004, 100005, 100006)"
plain_text=$(q today "$plain")
# What reads the status byte; and the accessors of other fields, which
# 1.2 reads without it (their answers under the newest library first).
status_readers=("r::text" "comm_result_send(r)" "r::jsonb" "r::json" "request_status(r)"
	"(comm_result_fields(r)).target" "(comm_result_all_fields(r)).line_type" "comm_result_transition(r, 'COMPLETED')"
	"comm_result_merge(r, r)" "comm_batch_state_add('(0,0,0,0,0,0,0,0,0,0,0,0,,,,)', r)" "batch_state(r)")
field_readers=("batch_id(r)" "reference_id(r)" "target(r)" "target_kind(r)" "request_variables(r)"
	"request_variable(r, 'first_name')" "call_manager_sid(r)" "channel_manager_sid(r)" "created_at(r)" "sent_at(r)"
	"attempt_count(r)" "session_id(r)" "conversation_id(r)" "channel_manager_status(r)" "insights_status(r)"
	"insights(r)" "line_type(r)" "enrichment(r)")
declare -A field_answers=()
for reader in "${field_readers[@]}"; do
	field_answers[$reader]=$(q today "SELECT $reader FROM t WHERE id IN (100001, 100002, 100003) ORDER BY id")
done

# look-ups through the index on request_status(r), for each status 1.2 knows
status_lookup="SET enable_seqscan = off; SET enable_bitmapscan = off;
               SELECT s, (SELECT count(*) FROM t WHERE request_status(r) = s::comm_status)
               FROM unnest(ARRAY['PENDING','DUPLICATE','INITIATED','CONNECTED','COMPLETED','FAILED','CANCELED','INVALID','SKIPPED']) s"
status_counts=$(q today "$status_lookup")
# An operator who goes back to the 1.2 library under a database that holds
# values with the new statuses: each reader of the status of such a value
# stops with data_corrupted (the accessors of other fields answer as the
# newest library does), the other values still read, nothing crashes.
install -m 755 "$old/comm_result.so" "$pkglib/comm_result.so"
restart
check_eq "with 1.2's library put back, sessions load it" 1.2 "$(loaded_library today)"
corrupted='XX001 comm_result value is corrupted'
# 100001: April's shape (version 1), 100002: today's (version 2)
for id in 100001 100002 100003; do
	for reader in "${status_readers[@]}"; do
		check_eq "1.2 reading a new status ($id): $reader" "$corrupted" \
			"$(err today "SELECT $reader FROM t WHERE id = $id")"
	done
done
for reader in "${field_readers[@]}"; do
	check_eq "1.2 reading another field of values with a new status, as $newest does: $reader" \
		"${field_answers[$reader]}" "$(q today "SELECT $reader FROM t WHERE id IN (100001, 100002, 100003) ORDER BY id" 2>&1)"
done
check_eq "1.2 sorting values with the new statuses" "$corrupted" \
	"$(err today "SELECT count(*) FROM (SELECT r FROM t WHERE id > 100000 ORDER BY r OFFSET 0) x")"
check_eq "1.2 through the views" "$corrupted|$corrupted" \
	"$(err today "SELECT * FROM v WHERE id = 100001")|$(err today "SELECT * FROM va WHERE id = 100002")"
check_eq "1.2's guard on a row with a new status" "$corrupted" \
	"$(err today "UPDATE t SET r = r WHERE id = 100003")"
check_eq "1.2 under $newest's comm_batch_summary: a missing symbol, not a crash" 42883 \
	"$(err today "SELECT comm_batch_summary(r) FROM t WHERE id > 100000" | cut -d' ' -f1)"
q today "SELECT id, md5(r::text) FROM t WHERE id < 100000 ORDER BY id" >"$CR_TMP/text-back-on-1.2"
check "1.2 still reads every value it wrote as it wrote it" cmp -s "$CR_TMP/snap12-1.2/text" "$CR_TMP/text-back-on-1.2"
check_eq "1.2 reads the values $newest wrote without a new status (empty strings included) as $newest does" \
	"$plain_text" "$(q today "$plain")"
check_eq "1.2 hashes and compares values with the new statuses by their bytes alone (no decoding, no error)" 3 \
	"$(q today "SELECT count(*) FROM t WHERE id IN (100001, 100002, 100003) AND r = r AND comm_result_hash(r) IS NOT NULL")"
# comm_status sorts by code in every release, the statuses of 1.3 after
# the nine, so a btree index on request_status(r) that holds a new status
# is in order for 1.2 too: amcheck passes, and 1.2's look-ups through it
# find every row of the statuses it knows.  (When 1.3 sorted in the API's
# listing order, this found the index out of 1.2's order and look-ups
# missing rows.)
# (without heapallindexed, which would compute request_status(r) of the
# values 1.2 cannot read: XX001, as above)
check_eq "amcheck under 1.2 passes on the index on request_status(r) that holds the new statuses" \
	"no error" "$(err today "SELECT bt_index_check('t_status', false)")"
check_eq "under 1.2, look-ups by status through that index find what $newest found" \
	"$status_counts" "$(q today "$status_lookup" 2>&1)"
check_eq "the server still answers" 1 "$(q today "SELECT 1")"
check "the server log shows no crash" no_crash

cr_install_private
restart
check_eq "back on $newest, the values with the new statuses read as before" "$new_text" \
	"$(q today "SELECT md5(string_agg(r::text, ',' ORDER BY id)) FROM t WHERE id > 100000")"
check_eq "back on $newest, amcheck passes on all 15 btree indexes and look-ups by status find every row" \
	"15|$status_counts" \
	"$(q today "SELECT count(bt_index_check(oid, true)) FROM ($btrees) i")|$(q today "$status_lookup")"
