-- Per-batch reports: comm_batch_summary, comm_status_counts and
-- comm_result_latest, serial and parallel, against plain SQL.

SELECT setseed(0.7);
CREATE TABLE hist AS
SELECT format('{"batch_id":"2025011%s.%s","reference_id":"%s","target":"5550100","request_variables":{}%s%s%s%s}',
              i % 3, i % 4, i,
              (ARRAY['', ',"request_status":"PENDING"', ',"request_status":"DUPLICATE"', ',"request_status":"INITIATED"',
                     ',"request_status":"CONNECTED"', ',"request_status":"COMPLETED"', ',"request_status":"COMPLETED"',
                     ',"request_status":"FAILED"', ',"request_status":"CANCELED"', ',"request_status":"INVALID"',
                     ',"request_status":"SKIPPED"', ',"request_status":"CALL_COMPLETED"', ',"request_status":"SENT"',
                     ',"request_status":"UNSUBSCRIBED"'])[1 + floor(random() * 14)::int],
              CASE WHEN random() < 0.8 THEN format(',"attempt_count":%s', floor(random() * 4)::int) ELSE '' END,
              CASE WHEN random() < 0.9 THEN format(',"created_at":"2025-01-%sT%s:00:00Z"', 10 + floor(random() * 9)::int, 10 + floor(random() * 9)::int) ELSE '' END,
              CASE WHEN random() < 0.5 THEN format(',"sent_at":"2025-01-%sT%s:30:00.5Z"', 10 + floor(random() * 9)::int, 10 + floor(random() * 9)::int)
                   WHEN random() < 0.5 THEN ',"sent_at":null' ELSE '' END)::comm_result AS r
FROM generate_series(1, 20000) i;
INSERT INTO hist VALUES (NULL);
-- Statistics on batch_id(r) (from an expression index, a generated column
-- or CREATE STATISTICS) let the planner see how few batches there are and
-- aggregate them in a hash table.
CREATE INDEX ON hist ((batch_id(r)));
ANALYZE hist;

-- The reference, in plain SQL over the accessors.
CREATE TEMP VIEW reference AS
SELECT batch,
       ROW(total, pending, duplicate, initiated, connected, completed, failed, canceled, invalid, skipped,
           attempts, max_attempts, first_created_at, last_created_at, first_sent_at, last_sent_at,
           pending + initiated + connected + failed = 0,
           jsonb_strip_nulls(jsonb_build_object('PENDING', nullif(pending, 0), 'DUPLICATE', nullif(duplicate, 0),
               'INITIATED', nullif(initiated, 0), 'CONNECTED', nullif(connected, 0), 'COMPLETED', nullif(completed, 0),
               'FAILED', nullif(failed, 0), 'CANCELED', nullif(canceled, 0), 'INVALID', nullif(invalid, 0),
               'SKIPPED', nullif(skipped, 0), 'CALL_COMPLETED', nullif(call_completed, 0), 'SENT', nullif(sent, 0),
               'UNSUBSCRIBED', nullif(unsubscribed, 0))),
           call_completed, sent, unsubscribed)::comm_batch_summary AS summary
FROM (SELECT batch_id(r) AS batch, count(*) AS total,
             count(*) FILTER (WHERE coalesce(request_status(r), 'PENDING') = 'PENDING') AS pending,
             count(*) FILTER (WHERE request_status(r) = 'DUPLICATE') AS duplicate,
             count(*) FILTER (WHERE request_status(r) = 'INITIATED') AS initiated,
             count(*) FILTER (WHERE request_status(r) = 'CONNECTED') AS connected,
             count(*) FILTER (WHERE request_status(r) = 'COMPLETED') AS completed,
             count(*) FILTER (WHERE request_status(r) = 'FAILED') AS failed,
             count(*) FILTER (WHERE request_status(r) = 'CANCELED') AS canceled,
             count(*) FILTER (WHERE request_status(r) = 'INVALID') AS invalid,
             count(*) FILTER (WHERE request_status(r) = 'SKIPPED') AS skipped,
             count(*) FILTER (WHERE request_status(r) = 'CALL_COMPLETED') AS call_completed,
             count(*) FILTER (WHERE request_status(r) = 'SENT') AS sent,
             count(*) FILTER (WHERE request_status(r) = 'UNSUBSCRIBED') AS unsubscribed,
             sum(attempt_count(r)) AS attempts, max(attempt_count(r)) AS max_attempts,
             min(created_at(r)) AS first_created_at, max(created_at(r)) AS last_created_at,
             min(sent_at(r)) AS first_sent_at, max(sent_at(r)) AS last_sent_at
      FROM hist WHERE r IS NOT NULL GROUP BY 1) c;

-- Serial: the aggregate equals the reference for every batch.
SELECT count(*) AS batches, count(*) FILTER (WHERE s.summary IS DISTINCT FROM ref.summary) AS differences
FROM (SELECT batch_id(r) AS batch, comm_batch_summary(r) AS summary FROM hist WHERE r IS NOT NULL GROUP BY 1) s
FULL JOIN reference ref USING (batch);
SELECT batch_id(r) AS batch, (comm_batch_summary(r)).*
FROM hist WHERE batch_id(r) = '20250110.0' GROUP BY 1;
SELECT comm_status_counts(r) FROM hist WHERE batch_id(r) = '20250110.0';

-- Parallel: Partial and Finalize Aggregate, same results.
SET parallel_setup_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT batch_id(r), comm_batch_summary(r) FROM hist GROUP BY 1;
SELECT count(*) AS batches, count(*) FILTER (WHERE s.summary IS DISTINCT FROM ref.summary) AS differences
FROM (SELECT batch_id(r) AS batch, comm_batch_summary(r) AS summary FROM hist WHERE r IS NOT NULL GROUP BY 1) s
FULL JOIN reference ref USING (batch);
SET parallel_tuple_cost = 0;
EXPLAIN (COSTS OFF) SELECT comm_status_counts(r), comm_batch_summary(r) FROM hist;
SELECT (comm_batch_summary(r)).total, (comm_batch_summary(r)).attempts = (SELECT sum(attempt_count(r)) FROM hist) AS attempts_ok
FROM hist;
-- Workers that see no rows: a table of two rows, scanned by three processes.
CREATE TABLE tiny AS SELECT r FROM hist WHERE r IS NOT NULL ORDER BY r LIMIT 2;
EXPLAIN (COSTS OFF) SELECT comm_batch_summary(r) FROM tiny;
SELECT (comm_batch_summary(r)).total, (comm_batch_summary(r)).status_counts FROM tiny;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
SELECT (comm_batch_summary(r)).total, (comm_batch_summary(r)).status_counts FROM tiny;

-- No rows at all: an empty summary, not done.
SELECT (comm_batch_summary(r)).*, comm_status_counts(r) FROM hist WHERE false;

-- Partial states (comm_batch_tally, the aggregates' state since 1.3)
-- written as text, or in binary through COPY, in the middle of a fold and
-- read back give the same result.
CREATE AGGREGATE pg_temp.batch_state(comm_result) (
  SFUNC = comm_batch_tally_add, STYPE = comm_batch_tally,
  INITCOND = '(0,0,0,0,0,0,0,0,0,0,0,0,,,,)');
SELECT pg_temp.batch_state(r) AS state FROM hist WHERE batch_id(r) = '20250110.0';
CREATE TABLE halves AS
SELECT batch_id(r) AS batch, pg_temp.batch_state(r) FILTER (WHERE reference_id(r)::int % 2 = 0) AS a,
       pg_temp.batch_state(r) FILTER (WHERE reference_id(r)::int % 2 = 1) AS b
FROM hist WHERE r IS NOT NULL GROUP BY 1;
CREATE TABLE halves_copy (LIKE halves);
DO $$
DECLARE f text := current_setting('data_directory') || '/comm_batch_tally.copy';
BEGIN
  EXECUTE format('COPY halves TO %L WITH (FORMAT binary)', f);
  EXECUTE format('COPY halves_copy FROM %L WITH (FORMAT binary)', f);
END $$;
SELECT count(*) AS batches,
       count(*) FILTER (WHERE comm_batch_tally_summary(comm_batch_tally_combine(h.a::text::comm_batch_tally, h.b::text::comm_batch_tally))
                              IS DISTINCT FROM ref.summary) AS text_differences,
       count(*) FILTER (WHERE comm_batch_tally_summary(comm_batch_tally_combine(c.a, c.b)) IS DISTINCT FROM ref.summary) AS binary_differences,
       count(*) FILTER (WHERE h.a::text::comm_batch_tally::text <> h.a::text) AS text_not_stable
FROM halves h JOIN halves_copy c USING (batch) JOIN reference ref USING (batch);
-- Combining with an empty state changes nothing, either way round.
SELECT count(*) FILTER (WHERE comm_batch_tally_combine(a, '(0,0,0,0,0,0,0,0,0,0,0,0,,,,)')::text <> a::text
                           OR comm_batch_tally_combine('(0,0,0,0,0,0,0,0,0,0,0,0,,,,)', a)::text <> a::text) AS empty_combine_changes
FROM halves;
-- Called outside an aggregate, the functions leave their arguments alone.
SELECT s::text AS before, comm_batch_tally_add(s, r)::text AS after, s::text AS still
FROM (SELECT '(0,0,0,0,0,0,0,0,0,0,0,0,,,,)'::comm_batch_tally AS s) x,
     (SELECT r FROM tiny ORDER BY r LIMIT 1) y;

-- comm_batch_state (the state of 1.0 to 1.2) input is validated as it was;
-- sql_tests/batch_tally.sql validates comm_batch_tally's.
SELECT s::comm_batch_state FROM (VALUES ('(1,1,0,0,0,0,0,0,0,0,2,2,2025-01-01T00:00:00Z,2025-01-02T00:00:00Z,,)')) v(s);
SELECT 'not a state'::comm_batch_state;
SELECT '(1,1,0,0,0,0,0,0,0,0)'::comm_batch_state;
SELECT '(2,1,0,0,0,0,0,0,0,0,0,0,,,,)'::comm_batch_state;
SELECT '(1,1,0,0,0,0,0,0,0,0,-1,0,,,,)'::comm_batch_state;
SELECT '(1,1,0,0,0,0,0,0,0,0,1,2,,,,)'::comm_batch_state;
SELECT '(1,1,0,0,0,0,0,0,0,0,0,0,2025-01-02T00:00:00Z,2025-01-01T00:00:00Z,,)'::comm_batch_state;
SELECT '(1,1,0,0,0,0,0,0,0,0,0,0,2025-01-02T00:00:00Z,,,)'::comm_batch_state;
SELECT '(0,0,0,0,0,0,0,0,0,0,0,0,2025-01-02T00:00:00Z,2025-01-02T00:00:00Z,,)'::comm_batch_state;
SELECT '(1,1,0,0,0,0,0,0,0,0,0,0,,,,,)'::comm_batch_state;
SELECT '(9223372036854775807,9223372036854775807,1,0,0,0,0,0,0,0,0,0,,,,)'::comm_batch_state;

-- comm_result_latest folds the snapshots of each request.
CREATE TABLE snapshots (r comm_result);
INSERT INTO snapshots VALUES
 ('{"batch_id":"b","reference_id":"1","target":"5550100","request_variables":{},"request_status":"PENDING"}'),
 ('{"batch_id":"b","reference_id":"1","target":"5550100","request_variables":{},"request_status":"COMPLETED","attempt_count":1,"session_id":5}'),
 ('{"batch_id":"b","reference_id":"1","target":"5550100","request_variables":{},"request_status":"INITIATED","attempt_count":1}'),
 ('{"batch_id":"b","reference_id":"2","target":"5550100","request_variables":{},"request_status":"FAILED","attempt_count":1}'),
 ('{"batch_id":"b","reference_id":"2","target":"5550100","request_variables":{},"request_status":"INITIATED","attempt_count":2}'),
 (NULL);
SELECT batch_id(r), reference_id(r), comm_result_latest(r)::text
FROM snapshots WHERE r IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2;
SELECT comm_result_latest(r) IS NULL AS no_rows FROM snapshots WHERE false;

DROP VIEW reference;
DROP TABLE hist, tiny, halves, halves_copy, snapshots;
-- Counts that would overflow raise an error rather than wrap.
SELECT comm_batch_state_combine('(9223372036854775807,9223372036854775807,0,0,0,0,0,0,0,0,0,0,,,,)',
                                '(1,1,0,0,0,0,0,0,0,0,0,0,,,,)');
