-- examples/reporting.sql: the batch_report view and the trigger-maintained
-- counters agree with each other and with plain SQL through inserts,
-- upserts, transitions and deletes.

CREATE TABLE results (r comm_result NOT NULL);
CREATE UNIQUE INDEX results_key ON results ((batch_id(r)), (reference_id(r)));
INSERT INTO results (r) VALUES
 ('{"batch_id":"20250117.9","reference_id":"1","target":"5550100","request_variables":{},"request_status":"COMPLETED","attempt_count":1}'),
 ('{"batch_id":"20250117.9","reference_id":"2","target":"5550100","request_variables":{}}');

\getenv abs_srcdir PG_ABS_SRCDIR
\set reporting :abs_srcdir '/../../examples/reporting.sql'
-- (not echoed: the file's text is not what this test checks)
\set ECHO none
\i :reporting
\set ECHO all

-- The check: the counters, the view and plain SQL say the same.
CREATE FUNCTION pg_temp.disagreements() RETURNS bigint LANGUAGE sql AS $$
  WITH dash AS (SELECT batch_id, total, status_counts FROM batch_dashboard),
       report AS (SELECT batch_id, total, status_counts FROM batch_report),
       plain AS (SELECT batch_id(r) AS batch_id, count(*) AS total FROM results GROUP BY 1)
  SELECT (SELECT count(*) FROM ((SELECT * FROM dash EXCEPT SELECT * FROM report)
                                UNION ALL (SELECT * FROM report EXCEPT SELECT * FROM dash)) d)
       + (SELECT count(*) FROM ((SELECT batch_id, total FROM report EXCEPT SELECT * FROM plain)
                                UNION ALL (SELECT * FROM plain EXCEPT SELECT batch_id, total FROM report)) e)
$$;

SELECT * FROM batch_report ORDER BY batch_id;
SELECT * FROM batch_dashboard ORDER BY batch_id;
SELECT pg_temp.disagreements();

-- A bulk insert over several batches, in one statement.
INSERT INTO results (r)
SELECT comm_result(format('20250118.%s', i % 3), i::text, '5550100', '{}',
                   (ARRAY['PENDING','INITIATED','CONNECTED','COMPLETED','FAILED']::comm_status[])[1 + i % 5],
                   attempt_count => CASE WHEN i % 5 = 0 THEN 0 ELSE 1 END)
FROM generate_series(1, 300) i;
SELECT pg_temp.disagreements();

-- Transitions through UPDATE, upserts with merge, deletes.
UPDATE results SET r = comm_result_transition(r, 'INITIATED', '2025-01-18 12:00:00+00')
WHERE batch_id(r) = '20250118.1' AND request_status(r) = 'PENDING';
UPDATE results SET r = comm_result_transition(r, 'COMPLETED', '2025-01-18 12:00:00+00')
WHERE request_status(r) IN ('INITIATED', 'CONNECTED') AND batch_id(r) = '20250118.2';
INSERT INTO results (r) VALUES
 ('{"batch_id":"20250117.9","reference_id":"2","target":"5550100","request_variables":{},"request_status":"FAILED"}'),
 ('{"batch_id":"20250117.9","reference_id":"3","target":"5550100","request_variables":{},"request_status":"SKIPPED"}')
ON CONFLICT ((batch_id(r)), (reference_id(r))) DO UPDATE SET r = comm_result_merge(results.r, excluded.r);
DELETE FROM results WHERE batch_id(r) = '20250118.0' AND reference_id(r)::int % 2 = 0;
SELECT pg_temp.disagreements();

SELECT batch_id, total, completed, failed, done, completion_ratio FROM batch_report ORDER BY batch_id;
SELECT batch_id, total, finished, status_counts FROM batch_dashboard ORDER BY batch_id;

-- A batch whose results are all terminal is done.
DELETE FROM results WHERE batch_id(r) = '20250117.9' AND request_status(r) IS DISTINCT FROM 'COMPLETED';
SELECT batch_id, total, done, completion_ratio FROM batch_report WHERE batch_id = '20250117.9';
SELECT pg_temp.disagreements();

DROP TABLE results CASCADE;
DROP TABLE batch_status_counts CASCADE;
DROP FUNCTION batch_status_counts_apply();
