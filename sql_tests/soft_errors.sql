-- Soft input errors.  Since PostgreSQL 16, pg_input_is_valid and
-- pg_input_error_info ask an input function to report a problem instead of
-- raising it; comm_result's input functions do.  On 15 they do not exist, and
-- comm_result_is_valid / comm_result_errors are the way (same answers).
SELECT current_setting('server_version_num')::int >= 160000 AS has_soft_errors \gset
\if :has_soft_errors
SELECT pg_input_is_valid('{"batch_id":"b","reference_id":"r","target":"+15125551234","request_variables":{}}', 'comm_result') AS valid;
-- One input per SQLSTATE a text input can report softly.
SELECT v.kind, e.sql_error_code, e.message, e.detail, e.hint
FROM (VALUES
  ('malformed', '{"batch_id":'),
  ('not an object', '[1]'),
  ('unknown key', '{"batch_id":"b","reference_id":"r","target":"+15125551234","request_variables":{},"status":"x"}'),
  ('missing field', '{"batch_id":"b","reference_id":"r","request_variables":{}}'),
  ('wrong type', '{"batch_id":"b","reference_id":"r","target":"+15125551234","request_variables":{},"attempt_count":"2"}'),
  ('bad status', '{"batch_id":"b","reference_id":"r","target":"+15125551234","request_variables":{},"request_status":"DONE"}'),
  ('blank id', '{"batch_id":" ","reference_id":"r","target":"+15125551234","request_variables":{}}'),
  ('bad target', '{"batch_id":"b","reference_id":"r","target":"555-12","request_variables":{}}'),
  ('no zone', '{"batch_id":"b","reference_id":"r","target":"+15125551234","request_variables":{},"created_at":"2024-01-01T00:00:00"}'),
  ('bad date', '{"batch_id":"b","reference_id":"r","target":"+15125551234","request_variables":{},"created_at":"2023-02-29T00:00:00Z"}'),
  ('negative count', '{"batch_id":"b","reference_id":"r","target":"+15125551234","request_variables":{},"attempt_count":-1}'),
  ('nul escape', '{"batch_id":"b\u0000","reference_id":"r","target":"+15125551234","request_variables":{}}'),
  ('huge number', '{"batch_id":"b","reference_id":"r","target":"+15125551234","request_variables":{"n":1e1000000}}')
) AS v(kind, input), pg_input_error_info(v.input, 'comm_result') e
ORDER BY v.kind;
-- The soft report is the first problem comm_result_errors lists.
SELECT count(*) AS inputs,
       count(*) FILTER (WHERE e.message = split_part(l.message, ': ', 1)) AS same_first_message
FROM (VALUES
  ('{"batch_id":" ","reference_id":"r","target":"555-12","request_variables":{}}'),
  ('{"batch_id":"b","reference_id":"r","target":"+15125551234","request_variables":{},"request_status":"DONE","sent_at":"x"}')
) AS v(input),
LATERAL pg_input_error_info(v.input, 'comm_result') e,
LATERAL (SELECT message FROM comm_result_errors(v.input) LIMIT 1) l;
-- The other types with an input function.
SELECT pg_input_is_valid('FAILED', 'comm_status') AS upper_case, pg_input_is_valid('failed', 'comm_status') AS lower_case;
SELECT sql_error_code, message, detail, hint FROM pg_input_error_info('DONE', 'comm_status');
SELECT sql_error_code, message FROM pg_input_error_info('(1,2)', 'comm_batch_state');
SELECT sql_error_code, message, detail FROM pg_input_error_info('(1,2)', 'comm_batch_tally');
SELECT pg_input_is_valid('(1,0,0,0,0,0,0,0,0,0,0,1,0,0,,,,)', 'comm_batch_tally') AS tally_with_sent;
-- A domain's CHECK is also reported softly.
CREATE DOMAIN completed_result AS comm_result
  CHECK (request_status(VALUE) IS NOT DISTINCT FROM 'COMPLETED');
SELECT pg_input_is_valid('{"batch_id":"b","reference_id":"r","target":"+15125551234","request_variables":{},"request_status":"COMPLETED"}', 'completed_result') AS completed,
       pg_input_is_valid('{"batch_id":"b","reference_id":"r","target":"+15125551234","request_variables":{}}', 'completed_result') AS no_status;
SELECT sql_error_code, message FROM pg_input_error_info('{"batch_id":"b","reference_id":"r","target":"+15125551234","request_variables":{}}', 'completed_result');
DROP DOMAIN completed_result;
\else
-- PostgreSQL 15: the same inputs through comm_result's own functions.
SELECT comm_result_is_valid('{"batch_id":"b","reference_id":"r","target":"+15125551234","request_variables":{}}') AS valid,
       comm_result_is_valid('{"batch_id":"b","reference_id":"r","target":"555-12","request_variables":{}}') AS bad_target;
SELECT field, message FROM comm_result_errors('{"batch_id":"b","reference_id":"r","target":"+15125551234","request_variables":{},"created_at":"2023-02-29T00:00:00Z"}');
\endif
