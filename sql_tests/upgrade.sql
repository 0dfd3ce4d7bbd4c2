-- Upgrading: 1.0 with data, ALTER EXTENSION ... UPDATE, and the result is
-- 1.1 with the data intact.  (test/upgrade/upgrade.sh also compares the
-- pg_dump --schema-only output with a fresh 1.1 install.)

DROP EXTENSION comm_result;
CREATE EXTENSION comm_result VERSION '1.0';
SELECT extversion FROM pg_extension WHERE extname = 'comm_result';
SELECT path FROM pg_extension_update_paths('comm_result') WHERE source = '1.0' AND target = '1.1';

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
