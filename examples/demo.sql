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
CREATE TABLE results (
    id bigserial PRIMARY KEY,
    r  comm_result NOT NULL
);
-- A reference id identifies a request within its batch.
CREATE UNIQUE INDEX results_batch_reference
    ON results ((batch_id(r)), (reference_id(r)));

INSERT INTO results (r)
SELECT line::comm_result
FROM staging
WHERE comm_result_is_valid(line)
ORDER BY lineno;

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
WHERE t.id IN (1, 2)
   OR t.id = (SELECT min(id) FROM results WHERE request_status(r) IS NULL)
ORDER BY t.id;
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

\echo '== 9. Status of each batch (an absent status counts as PENDING)'
SELECT coalesce(batch_id(r), 'all') AS batch,
       count(*) AS total,
       count(*) FILTER (WHERE coalesce(request_status(r), 'PENDING') = 'PENDING') AS pending,
       count(*) FILTER (WHERE request_status(r) = 'INITIATED') AS initiated,
       count(*) FILTER (WHERE request_status(r) = 'CONNECTED') AS connected,
       count(*) FILTER (WHERE request_status(r) = 'COMPLETED') AS completed,
       count(*) FILTER (WHERE request_status(r) = 'FAILED') AS failed,
       count(*) FILTER (WHERE request_status(r) = 'CANCELED') AS canceled,
       count(*) FILTER (WHERE request_status(r) = 'DUPLICATE') AS duplicate,
       count(*) FILTER (WHERE request_status(r) = 'INVALID') AS invalid,
       count(*) FILTER (WHERE request_status(r) = 'SKIPPED') AS skipped
FROM results
GROUP BY ROLLUP (batch_id(r))
ORDER BY grouping(batch_id(r)), string_to_array(batch_id(r), '.')::int[];

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
