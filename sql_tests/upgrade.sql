-- Upgrading: 1.0 with data, ALTER EXTENSION ... UPDATE, and the result is
-- the newest version with the data intact; then 1.1 with what users built
-- on it (indexes, a hash-partitioned table, a view over comm_result_fields,
-- the guard) updated to 1.2.  (test/upgrade/upgrade.sh also compares the
-- pg_dump --schema-only output with a fresh 1.1 install.)

DROP EXTENSION comm_result;
CREATE EXTENSION comm_result VERSION '1.0';
SELECT extversion FROM pg_extension WHERE extname = 'comm_result';
SELECT path FROM pg_extension_update_paths('comm_result') WHERE source = '1.0' AND target IN ('1.1', '1.2') ORDER BY target;

CREATE TABLE up (r comm_result NOT NULL, s comm_status);
CREATE UNIQUE INDEX up_key ON up ((batch_id(r)), (reference_id(r)));
CREATE INDEX up_r ON up (r);
CREATE TRIGGER up_guard BEFORE UPDATE ON up FOR EACH ROW EXECUTE FUNCTION comm_result_guard();
INSERT INTO up SELECT comm_result('20250117.' || i % 3, i::text, '5550100', jsonb_build_object('i', i), 'PENDING'), 'PENDING'
FROM generate_series(1, 100) i;
CREATE TEMP TABLE before AS SELECT md5(string_agg(r::text, ',' ORDER BY r)) AS sum FROM up;

ALTER EXTENSION comm_result UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'comm_result';

SELECT (SELECT sum FROM before) = md5(string_agg(r::text, ',' ORDER BY r)) AS data_unchanged FROM up;
UPDATE up SET r = comm_result_transition(r, 'INITIATED', '2025-01-17 09:00:00+00') WHERE batch_id(r) = '20250117.1';
-- the functions and the guard work after the upgrade
UPDATE up SET r = comm_result('20250117.1', '1', '5550100', '{}', 'PENDING') WHERE batch_id(r) = '20250117.1' AND reference_id(r) = '1';
SELECT (comm_batch_summary(r)).status_counts FROM up;

DROP TABLE up;
DROP EXTENSION comm_result;
CREATE EXTENSION comm_result;
SELECT extversion FROM pg_extension WHERE extname = 'comm_result';

-- 1.1 to 1.2, with what users built on 1.1.
DROP EXTENSION comm_result;
CREATE EXTENSION comm_result VERSION '1.1';
CREATE TABLE up (id int PRIMARY KEY, r comm_result NOT NULL);
CREATE UNIQUE INDEX up_key ON up ((batch_id(r)), (reference_id(r)));
CREATE INDEX up_r ON up (r);
CREATE INDEX up_h ON up USING hash (r);
CREATE TRIGGER up_guard BEFORE UPDATE ON up FOR EACH ROW EXECUTE FUNCTION comm_result_guard();
CREATE TABLE up_parts (r comm_result NOT NULL) PARTITION BY HASH (r);
CREATE TABLE up_parts_0 PARTITION OF up_parts FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE up_parts_1 PARTITION OF up_parts FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE VIEW up_v AS SELECT t.id, f.* FROM up t, comm_result_fields(t.r) f;
INSERT INTO up SELECT i, format('{"batch_id":"20250117.%s","reference_id":"%s","target":"+1512555%s","request_variables":{"i":%s},"call_manager_sid":%s,"sent_at":%s,"attempt_count":%s}',
                                i % 3, i, lpad(i::text, 4, '0'), i,
                                CASE WHEN i % 2 = 0 THEN 'null' ELSE '"LM' || i || '"' END,
                                CASE WHEN i % 3 = 0 THEN '"2025-01-17T09:00:00Z"' ELSE 'null' END, i % 4)::comm_result
FROM generate_series(1, 200) i;
INSERT INTO up_parts SELECT r FROM up;
CREATE TEMP TABLE before_12 AS
SELECT (SELECT md5(string_agg(encode(comm_result_send(r), 'hex') || comm_result_hash_extended(r, 7), ',' ORDER BY id)) FROM up) AS bytes,
       (SELECT md5(string_agg(v::text, ',' ORDER BY id)) FROM up_v v) AS view_rows,
       (SELECT string_agg(tableoid::regclass || ':' || count, ',' ORDER BY tableoid::regclass::text)
          FROM (SELECT tableoid, count(*) FROM up_parts GROUP BY 1) p) AS partitions;

ALTER EXTENSION comm_result UPDATE TO '1.2';
SELECT extversion FROM pg_extension WHERE extname = 'comm_result';
SELECT (SELECT md5(string_agg(encode(comm_result_send(r), 'hex') || comm_result_hash_extended(r, 7), ',' ORDER BY id)) FROM up) = bytes AS bytes_and_hashes_unchanged,
       (SELECT md5(string_agg(v::text, ',' ORDER BY id)) FROM up_v v) = view_rows AS view_unchanged,
       (SELECT string_agg(tableoid::regclass || ':' || count, ',' ORDER BY tableoid::regclass::text)
          FROM (SELECT tableoid, count(*) FROM up_parts GROUP BY 1) p) = partitions AS partitions_unchanged
FROM before_12;
-- rows still route to the partition they are in, and the indexes find them
SELECT count(*) AS misrouted FROM up_parts_0 WHERE NOT satisfies_hash_partition('up_parts'::regclass, 2, 0, r);
SET enable_seqscan = off;
SELECT count(*) AS found_by_hash FROM up a WHERE EXISTS (SELECT 1 FROM up b WHERE b.r = a.r AND b.id = a.id);
RESET enable_seqscan;
-- today's fields work on the updated database, through the guard
INSERT INTO up VALUES (1000, comm_result_from_jsonb('{"reference_id":"t1","target":"+15125559999","request_variables":{},"channel_manager_sid":"CA1","channel_manager_status":"QUEUED","line_type":"mobile"}', '20260801.1'));
UPDATE up SET r = comm_result_merge(r, comm_result_from_jsonb('{"reference_id":"t1","target":"+15125559999","request_variables":{},"channel_manager_sid":"CA1","channel_manager_status":"DELIVERED","line_type":"mobile"}', '20260801.1')) WHERE id = 1000;
SELECT r FROM up WHERE id = 1000;
UPDATE up SET r = comm_result_from_jsonb('{"reference_id":"t1","target":"+15125559999","request_variables":{},"line_type":"voip"}', '20260801.1') WHERE id = 1000;
SELECT id, channel_manager_sid, channel_manager_status FROM (SELECT id, channel_manager_sid(r), channel_manager_status(r) FROM up WHERE id = 1000) x;
DROP VIEW up_v;
DROP TABLE up, up_parts;
DROP EXTENSION comm_result;
CREATE EXTENSION comm_result;
