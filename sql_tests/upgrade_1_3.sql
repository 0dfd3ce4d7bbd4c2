-- 1.2 to 1.3, with what users built on 1.2: indexes, a hash-partitioned
-- table, views over comm_batch_summary (its columns expanded, and whole),
-- stored summaries and stored comm_batch_state values.  The library is
-- 1.3's throughout, as after an operator installs it: first under the 1.2
-- catalog, then after ALTER EXTENSION comm_result UPDATE.
-- (test/upgrade/upgrade.sh does the same with the real 1.1 and 1.2 builds.)
SET timezone = 'UTC';
DROP EXTENSION comm_result;
CREATE EXTENSION comm_result VERSION '1.2';

CREATE TABLE up (id int PRIMARY KEY, r comm_result NOT NULL);
CREATE UNIQUE INDEX up_key ON up ((batch_id(r)), (reference_id(r)));
CREATE INDEX up_r ON up (r);
CREATE INDEX up_h ON up USING hash (r);
CREATE INDEX up_s ON up ((request_status(r)));
CREATE TRIGGER up_guard BEFORE UPDATE ON up FOR EACH ROW EXECUTE FUNCTION comm_result_guard();
CREATE TABLE up_parts (r comm_result NOT NULL) PARTITION BY HASH (r);
CREATE TABLE up_parts_0 PARTITION OF up_parts FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE up_parts_1 PARTITION OF up_parts FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO up SELECT i, format('{"batch_id":"20250117.%s","reference_id":"%s","target":"+1512555%s","request_variables":{"i":%s},"request_status":"%s","sent_at":%s,"attempt_count":%s%s}',
                                i % 3, i, lpad(i::text, 4, '0'), i,
                                (ARRAY['PENDING','DUPLICATE','INITIATED','CONNECTED','COMPLETED','FAILED','CANCELED','INVALID','SKIPPED'])[1 + i % 9],
                                CASE WHEN i % 3 = 0 THEN '"2025-01-17T09:00:00Z"' ELSE 'null' END, i % 4,
                                CASE WHEN i % 5 = 0 THEN ',"line_type":"mobile","channel_manager_sid":"CA' || i || '"' ELSE '' END)::comm_result
FROM generate_series(1, 300) i;
INSERT INTO up_parts SELECT r FROM up;
CREATE VIEW report_cols AS SELECT batch_id(r) AS batch, (comm_batch_summary(r)).* FROM up GROUP BY 1;
CREATE VIEW report_whole AS SELECT batch_id(r) AS batch, comm_batch_summary(r) AS s, comm_status_counts(r) AS c FROM up GROUP BY 1;
CREATE TABLE kept_summaries AS SELECT * FROM report_whole;
CREATE TABLE kept_states (batch text, st comm_batch_state);
INSERT INTO kept_states
SELECT batch_id(r), comm_batch_state_combine(comm_batch_state_add('(0,0,0,0,0,0,0,0,0,0,0,0,,,,)', r), '(0,0,0,0,0,0,0,0,0,0,0,0,,,,)')
FROM up WHERE id <= 3;

CREATE TEMP TABLE before_13 AS
SELECT (SELECT md5(string_agg(encode(comm_result_send(r), 'hex') || comm_result_hash_extended(r, 7) || r::text, ',' ORDER BY id)) FROM up) AS values_bytes,
       (SELECT md5(string_agg(id::text, ',' ORDER BY r)) FROM up) AS sort_order,
       (SELECT md5(string_agg(comm_status_hash(request_status(r))::text, ',' ORDER BY id)) FROM up) AS status_hashes,
       (SELECT md5(string_agg(x::text, ',' ORDER BY batch)) FROM report_cols x) AS cols_rows,
       (SELECT md5(string_agg(st::text, ',' ORDER BY batch)) FROM kept_states) AS states,
       (SELECT string_agg(tableoid::regclass || ':' || count, ',' ORDER BY tableoid::regclass::text)
          FROM (SELECT tableoid, count(*) FROM up_parts GROUP BY 1) p) AS partitions;

-- The 1.3 library under the 1.2 catalog: the new statuses load, but 1.2's
-- aggregates, whose state counts the nine of 1.0, refuse them clearly.
INSERT INTO up VALUES (1001, '{"batch_id":"20260310.1","reference_id":"u","target":"+15125550001","request_variables":{},"request_status":"UNSUBSCRIBED"}');
SELECT comm_batch_summary(r) FROM up WHERE id = 1001;
DELETE FROM up WHERE id = 1001;

ALTER EXTENSION comm_result UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'comm_result';

-- Nothing that existed changed: values, bytes, hashes, order, partitions,
-- the views' rows, the stored states.
SELECT (SELECT md5(string_agg(encode(comm_result_send(r), 'hex') || comm_result_hash_extended(r, 7) || r::text, ',' ORDER BY id)) FROM up) = values_bytes AS values_unchanged,
       (SELECT md5(string_agg(id::text, ',' ORDER BY r)) FROM up) = sort_order AS order_unchanged,
       (SELECT md5(string_agg(comm_status_hash(request_status(r))::text, ',' ORDER BY id)) FROM up) = status_hashes AS status_hashes_unchanged,
       (SELECT md5(string_agg(x::text, ',' ORDER BY batch)) FROM report_cols x) = cols_rows AS expanded_view_unchanged,
       (SELECT md5(string_agg(st::text, ',' ORDER BY batch)) FROM kept_states) = states AS stored_states_unchanged,
       (SELECT string_agg(tableoid::regclass || ':' || count, ',' ORDER BY tableoid::regclass::text)
          FROM (SELECT tableoid, count(*) FROM up_parts GROUP BY 1) p) = partitions AS partitions_unchanged
FROM before_13;
-- The view that returns the whole summary now shows the three new counts too.
SELECT batch, (s).total, (s).done, (s).status_counts, (s).sent, c FROM report_whole ORDER BY batch;
SELECT count(*) FILTER (WHERE (w.s).status_counts = (k.s).status_counts AND (w.s).total = (k.s).total) AS same_counts,
       count(*) FILTER (WHERE (k.s).sent IS NULL) AS stored_rows_without_new_counts
FROM report_whole w JOIN kept_summaries k USING (batch);
-- The indexes: amcheck on the btree ones, forced hash look-ups, routing.
CREATE EXTENSION amcheck;
SELECT bt_index_check('up_r', true), bt_index_check('up_key', true), bt_index_check('up_s', true);
SET enable_seqscan = off;
SELECT count(*) AS found_by_hash FROM up a WHERE EXISTS (SELECT 1 FROM up b WHERE b.r = a.r AND b.id = a.id);
SELECT count(*) AS by_status_index FROM up WHERE request_status(r) = 'FAILED';
RESET enable_seqscan;
SELECT count(*) AS misrouted FROM up_parts_0 WHERE NOT satisfies_hash_partition('up_parts'::regclass, 2, 0, r);
-- The aggregates moved to comm_batch_tally; stored states cast to it.
SELECT a.aggfnoid::regprocedure, a.aggtranstype::regtype FROM pg_aggregate a
WHERE a.aggfnoid IN ('comm_batch_summary(comm_result)'::regprocedure, 'comm_status_counts(comm_result)'::regprocedure) ORDER BY 1::text;
SELECT batch, comm_batch_tally_summary(st::comm_batch_tally) = comm_batch_state_summary(st) AS same_summary FROM kept_states ORDER BY batch;
-- The new statuses now count, through the guard and the views.
INSERT INTO up VALUES (1001, '{"batch_id":"20260310.1","reference_id":"u","target":"+15125550001","request_variables":{},"request_status":"PENDING"}'),
                      (1002, '{"batch_id":"20260310.1","reference_id":"c","target":"+15125550002","request_variables":{},"request_status":"INITIATED","attempt_count":1}');
UPDATE up SET r = comm_result_transition(r, 'UNSUBSCRIBED') WHERE id = 1001;
UPDATE up SET r = comm_result_transition(r, 'CALL_COMPLETED') WHERE id = 1002;
UPDATE up SET r = comm_result_transition(r, 'COMPLETED') WHERE id = 1002;
-- (the view built on 1.2 keeps 1.2's columns: the new counts are in status_counts)
SELECT batch, total, completed, done, status_counts FROM report_cols WHERE batch = '20260310.1';
SELECT batch, (s).unsubscribed, (s).done FROM report_whole WHERE batch = '20260310.1';

DROP VIEW report_cols, report_whole;
DROP TABLE up, up_parts, kept_summaries, kept_states;
DROP EXTENSION amcheck;
DROP EXTENSION comm_result;
CREATE EXTENSION comm_result;
SELECT extversion FROM pg_extension WHERE extname = 'comm_result';
