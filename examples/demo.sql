-- comm_result demo: load an "outbound batch results" file, keep the valid
-- results, explain the rejected ones, and report on the batches.
--
-- Run it with examples/demo.sh, or by hand against a database where you may
-- create the extension:
--
--     psql -X -v ON_ERROR_STOP=1 -v results=/path/to/results.jsonl -f demo.sql
--
-- Everything the demo creates lives in the schema comm_result_demo, which
-- it drops and recreates, so it can be run again.

\set ON_ERROR_STOP 1
\set QUIET 1
\if :{?results}
\else
DO $$ BEGIN RAISE EXCEPTION 'usage: psql -v results=/path/to/results.jsonl -f demo.sql'; END $$;
\endif
\encoding UTF8
\pset pager off
\pset null '(null)'
SET client_min_messages = warning;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

\echo '== 1. The extension'
CREATE EXTENSION IF NOT EXISTS comm_result;
SELECT extname, extversion FROM pg_extension WHERE extname = 'comm_result';

DROP SCHEMA IF EXISTS comm_result_demo CASCADE;
CREATE SCHEMA comm_result_demo;
SET search_path = comm_result_demo, public;

\echo '== 2. Load the file as it is, one line per row'
-- CSV format with a quote and a delimiter that never occur in JSON: each
-- line arrives untouched (text format would eat the backslashes of JSON
-- escapes such as \" and \u00e9).  \copy reads the file on the client side.
CREATE TABLE staging (
    lineno bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    line   text NOT NULL
);
-- \copy takes the rest of its line literally, so build it in a variable to
-- get the file name in.
\set load_results '\\copy staging(line) from ' :'results' ' with (format csv, quote e''\\x01'', delimiter e''\\x02'')'
:load_results
SELECT count(*) AS lines_in_file FROM staging;

\echo '== 3. Keep the valid results'
-- The recommended schema: one comm_result column, a reference id
-- identifying a request within its batch through a unique expression index
-- (which also gives the planner statistics on batch_id(r)), and the guard
-- trigger keeping every update a legal move along the lifecycle.  (In
-- bench/, updates and upserts ran as fast or faster than with the key in
-- stored generated columns.)
CREATE TABLE results (
    r comm_result NOT NULL
);
CREATE UNIQUE INDEX results_key ON results ((batch_id(r)), (reference_id(r)));
CREATE TRIGGER results_guard BEFORE UPDATE ON results
    FOR EACH ROW EXECUTE FUNCTION comm_result_guard();

-- Re-ingestion safe: a result seen again is merged with what is stored.
INSERT INTO results (r)
SELECT line::comm_result
FROM staging
WHERE comm_result_is_valid(line)
ORDER BY lineno
ON CONFLICT ((batch_id(r)), (reference_id(r))) DO UPDATE SET r = comm_result_merge(results.r, excluded.r);

-- Reports: a per-batch view and trigger-maintained counters.
\ir reporting.sql

SELECT count(*) FILTER (WHERE comm_result_is_valid(line)) AS accepted,
       count(*) FILTER (WHERE NOT comm_result_is_valid(line)) AS rejected
FROM staging;

\echo '== 4. Why the rejected lines were rejected'
SELECT s.lineno AS line,
       CASE WHEN length(s.line) > 60 THEN left(s.line, 57) || '...'
            ELSE s.line END AS input,
       e.field,
       e.message
FROM staging s
CROSS JOIN LATERAL comm_result_errors(s.line) WITH ORDINALITY AS e(field, message, n)
WHERE NOT comm_result_is_valid(s.line)
ORDER BY s.lineno, e.n;

\echo '== 5. A few results, field by field (comm_result_fields)'
\x on
SELECT f.*
FROM results t, comm_result_fields(t.r) f
WHERE (batch_id(t.r), reference_id(t.r)) IN (('20250117.9', '10001'), ('20250117.9', '10002'))
   OR t.r = (SELECT r FROM results WHERE request_status(r) IS NULL ORDER BY r LIMIT 1)
ORDER BY t.r;
\x off

\echo '== 6. E-mail or phone? (target_kind)'
SELECT coalesce(batch_id(r), 'all') AS batch,
       count(*) FILTER (WHERE target_kind(r) = 'email') AS email,
       count(*) FILTER (WHERE target_kind(r) = 'phone') AS phone,
       count(*) AS total
FROM results
GROUP BY ROLLUP (batch_id(r))
ORDER BY grouping(batch_id(r)), string_to_array(batch_id(r), '.')::int[];

\echo 'Phone numbers are kept exactly as the API sent them:'
SELECT target(r) AS target, count(*) AS results
FROM results
WHERE target_kind(r) = 'phone'
  AND batch_id(r) = '20250117.9'
GROUP BY 1
ORDER BY target(r) COLLATE "C"
LIMIT 8;

\echo '== 7. Request variables (request_variable)'
\echo 'Payment reminders of batch 20250117.10 by outcome, with the amounts asked for:'
SELECT coalesce(request_status(r)::text, 'PENDING') AS status,
       count(*) AS results,
       sum(request_variable(r, 'amount')::numeric) AS amount_eur
FROM results
WHERE batch_id(r) = '20250117.10'
GROUP BY 1
ORDER BY 1;

\echo 'Appointment reminders that did not reach the patient, by clinic:'
SELECT request_variable(r, 'clinic') AS clinic,
       count(*) AS not_reached,
       string_agg(request_variable(r, 'first_name'), ', '
                  ORDER BY reference_id(r)) AS patients
FROM results
WHERE batch_id(r) = '20250117.9'
  AND request_status(r) IN ('FAILED', 'CANCELED', 'INVALID', 'SKIPPED', 'DUPLICATE')
GROUP BY 1
ORDER BY request_variable(r, 'clinic') COLLATE "C" NULLS LAST;

\echo '== 8. Back to JSON (comm_result::jsonb, jsonb::comm_result, comm_results)'
\echo 'An internationalised e-mail result (the 20250118.1 page escaped it as \\u00e9...):'
SELECT jsonb_pretty(r::jsonb) AS result
FROM results
WHERE target(r) = 'josé.garcía@exämple.es'
  AND batch_id(r) = '20250118.1';

\echo 'A page of the API, as a JSON array, expanded into results:'
SELECT batch_id(x) AS batch, reference_id(x) AS reference, target(x) AS target,
       target_kind(x) AS kind, request_status(x) AS status,
       created_at(x) AT TIME ZONE 'UTC' AS created_utc
FROM comm_results('[
  {"batch_id":"20250119.1","reference_id":"A-1","target":"+351 912 000 111",
   "request_variables":{"first_name":"Rui"},"request_status":"COMPLETED",
   "created_at":"2025-01-19T10:00:00+00:00"},
  {"batch_id":"20250119.1","reference_id":"A-2","target":"rui@example.pt",
   "request_variables":{"first_name":"Rui"},"created_at":"2025-01-19T11:00:00+01:00"}
]'::jsonb) AS x
ORDER BY 2;

\echo 'Every stored result survives a round trip through jsonb:'
SELECT count(*) AS results,
       count(*) FILTER (WHERE (r::jsonb)::comm_result::jsonb = r::jsonb) AS round_trips
FROM results;

\echo '== 9. Status of each batch (batch_report: comm_batch_summary per batch; an absent status counts as PENDING)'
SELECT batch_id AS batch, total, pending, initiated, connected, completed, failed, canceled,
       duplicate, invalid, skipped, attempts, done, completion_ratio
FROM batch_report
ORDER BY string_to_array(batch_id, '.')::int[];

\echo 'The same counts from the trigger-maintained counters (batch_dashboard), without a scan:'
SELECT batch_id AS batch, total, finished, status_counts
FROM batch_dashboard
ORDER BY string_to_array(batch_id, '.')::int[];

\echo 'Delivery times of the finished requests, per batch:'
SELECT batch_id(r) AS batch,
       min(sent_at(r) - created_at(r)) AS fastest,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY sent_at(r) - created_at(r)) AS median,
       max(sent_at(r) - created_at(r)) AS slowest,
       sum(attempt_count(r)) AS attempts
FROM results
WHERE request_status(r) IN ('COMPLETED', 'FAILED')
GROUP BY 1
ORDER BY string_to_array(batch_id(r), '.')::int[];

\echo '== 10. The lifecycle: moves, the guard, re-ingested snapshots'
\echo 'Dial the pending requests of batch 20250118.2 (PENDING -> INITIATED adds an attempt, sets sent_at):'
UPDATE results SET r = comm_result_transition(r, 'INITIATED', '2025-01-18 12:00:00+00')
WHERE batch_id(r) = '20250118.2' AND coalesce(request_status(r), 'PENDING') = 'PENDING';
SELECT request_status(r) AS status, count(*) AS results, sum(attempt_count(r)) AS attempts,
       count(*) FILTER (WHERE sent_at(r) = '2025-01-18 12:00:00+00') AS sent_now
FROM results WHERE batch_id(r) = '20250118.2'
GROUP BY 1 ORDER BY 1;

\echo 'The lifecycle table (comm_status_transitions):'
SELECT from_status, string_agg(to_status::text, ', ' ORDER BY to_status) AS allowed_next
FROM comm_status_transitions() GROUP BY 1 ORDER BY 1;

\echo 'The guard rejects an illegal move: a completed request cannot fail afterwards.'
CREATE FUNCTION pg_temp.attempt(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'accepted';
EXCEPTION WHEN check_violation OR invalid_parameter_value THEN
    RETURN 'rejected (' || SQLSTATE || '): ' || SQLERRM;
END $$;
SELECT pg_temp.attempt($q$
    UPDATE results SET r = (r::jsonb || '{"request_status":"FAILED"}')::comm_result
    WHERE batch_id(r) = '20250117.9' AND reference_id(r) = '10001'
$q$) AS overwrite_with_failed;
SELECT pg_temp.attempt($q$
    UPDATE results SET r = comm_result_transition(r, 'FAILED', '2025-01-18 12:00:00+00')
    WHERE batch_id(r) = '20250117.9' AND reference_id(r) = '10001'
$q$) AS transition_to_failed;

\echo 'Re-ingesting snapshots of one request in any order: the merge keeps the one further along.'
CREATE TEMP TABLE snapshots AS
SELECT comm_result_transition(r, 'CONNECTED', '2025-01-18 12:00:00+00', session_id => 90001) AS connected,
       comm_result_transition(comm_result_transition(r, 'CONNECTED', '2025-01-18 12:00:00+00', session_id => 90001),
                              'COMPLETED', '2025-01-18 12:03:00+00', conversation_id => 70001) AS completed
FROM results
WHERE batch_id(r) = '20250118.2' AND request_status(r) = 'INITIATED'
ORDER BY r LIMIT 1;
INSERT INTO results (r) SELECT completed FROM snapshots
ON CONFLICT ((batch_id(r)), (reference_id(r))) DO UPDATE SET r = comm_result_merge(results.r, excluded.r);
INSERT INTO results (r) SELECT connected FROM snapshots
ON CONFLICT ((batch_id(r)), (reference_id(r))) DO UPDATE SET r = comm_result_merge(results.r, excluded.r);
SELECT reference_id(r), request_status(r) AS status, attempt_count(r) AS attempts,
       session_id(r), conversation_id(r)
FROM results WHERE r = (SELECT completed FROM snapshots);

\echo 'The counters followed every insert, move and upsert:'
SELECT d.batch_id AS batch, d.total, d.status_counts = r.status_counts AS counters_match_report
FROM batch_dashboard d JOIN batch_report r USING (batch_id)
ORDER BY string_to_array(d.batch_id, '.')::int[];

\echo '== 11. Today''s endpoint: records without batch_id, loaded with the batch id of the URL'
-- GET /api/v1/outbound/batches/20260801.1/results returns an array of
-- records without batch_id, with channel_manager_sid and today's fields.
\if :{?today}
CREATE TEMP TABLE today_lines (n bigint GENERATED ALWAYS AS IDENTITY, line text);
\set load_today '\\copy today_lines(line) from ' :'today' ' with (format csv, quote e''\\x01'', delimiter e''\\x02'')'
:load_today
INSERT INTO results (r)
SELECT r FROM comm_results((SELECT string_agg(line, E'\n' ORDER BY n) FROM today_lines)::jsonb, '20260801.1') r
ON CONFLICT ((batch_id(r)), (reference_id(r))) DO UPDATE SET r = comm_result_merge(results.r, excluded.r);
SELECT reference_id(r) AS ref, request_status(r) AS status, channel_manager_sid(r) IS NOT NULL AS has_sid,
       channel_manager_status(r) AS channel_status, line_type(r), insights(r) ->> 'rating' AS rating
FROM results WHERE batch_id(r) = '20260801.1' ORDER BY r;
\echo 'Each value prints back under the names its SDK used (one, in full):'
SELECT r FROM results WHERE batch_id(r) = '20260801.1' ORDER BY r LIMIT 1;
\echo 'Today''s dashboard: counts by the channel''s own status and by line type'
SELECT batch_id(r) AS batch, (comm_batch_summary(r)).total, comm_channel_status_counts(r) AS channel_statuses,
       comm_line_type_counts(r) AS line_types
FROM results WHERE batch_id(r) = '20260801.1' GROUP BY 1;
\echo 'The April 2025 values were not touched: still storage and binary version 1.'
SELECT count(*) FILTER (WHERE get_byte(comm_result_send(r), 0) = 1) AS april_values_v1,
       count(*) FILTER (WHERE get_byte(comm_result_send(r), 0) = 2) AS todays_values_v2
FROM results;
\else
\echo '(skipped: run with -v today=examples/today_response.json)'
\endif

\echo '== 12. A whole response, with nothing lost (comm_results_checked and examples/load_checked.sql)'
-- A batch of March 2026, when the API sent CALL_COMPLETED, SENT and
-- UNSUBSCRIBED; it holds an SMS whose line_type is "" (legal: the SDKs type
-- it as a plain string), one request twice, a bad target, a status the API
-- never sent, and a null.  The valid records load; each bad element waits
-- in results_rejects with its problems and its exact text.
\if :{?checked}
CREATE TEMP TABLE checked_lines (n bigint GENERATED ALWAYS AS IDENTITY, line text);
\set load_checked '\\copy checked_lines(line) from ' :'checked' ' with (format csv, quote e''\\x01'', delimiter e''\\x02'')'
:load_checked
SELECT string_agg(line, E'\n' ORDER BY n) AS body FROM checked_lines \gset
\ir load_checked.sql
EXECUTE load_response(:'body', '20260305.1');
SELECT reference_id(r) AS ref, request_status(r) AS status, channel_manager_status(r) AS channel_status,
       quote_nullable(line_type(r)) AS line_type
FROM results WHERE batch_id(r) = '20260305.1' ORDER BY r;
\echo 'Waiting in results_rejects, each with every problem and its text as it came:'
SELECT ordinal, x ->> 'sqlstate' AS sqlstate, coalesce(x ->> 'field', '') AS field, x ->> 'message' AS problem,
       CASE WHEN length(element) > 40 THEN left(element, 37) || '...' ELSE element END AS element
FROM results_rejects, jsonb_array_elements(errors) x
WHERE batch_id = '20260305.1' ORDER BY ordinal;
\echo 'The report counts every status, the ones of 1.3 in their own columns:'
SELECT batch_id AS batch, total, completed, call_completed, sent, unsubscribed, pending, done, status_counts
FROM batch_report WHERE batch_id = '20260305.1';
\echo 'Fetched again later, when the API had renamed CALL_COMPLETED to COMPLETED: the guard lets the rename through.'
EXECUTE load_response(replace(:'body', '"CALL_COMPLETED"', '"COMPLETED"'), '20260305.1');
SELECT reference_id(r) AS ref, request_status(r) AS status FROM results
WHERE batch_id(r) = '20260305.1' AND reference_id(r) = 'M-1';
\echo 'After the target is corrected at the source, the replay moves that reject in and keeps the others:'
UPDATE results_rejects SET element = replace(element, '"555-12"', '"+15125550405"')
WHERE batch_id = '20260305.1' AND element LIKE '%"555-12"%';
EXECUTE replay_rejects;
SELECT ordinal, element FROM results_rejects WHERE batch_id = '20260305.1' AND length(element) < 30 ORDER BY ordinal;
\else
\echo '(skipped: run with -v checked=examples/response_20260305.json)'
\endif
