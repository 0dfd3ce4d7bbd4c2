-- Integer fields: JSON integers only (no fraction, exponent or quotes),
-- attempt_count 0 to 2147483647, session_id and conversation_id 0 to
-- 9223372036854775807.

CREATE FUNCTION pg_temp.i(field text, v text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  detail text;
BEGIN
  RETURN (format('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"%s":%s}',
                 field, v)::comm_result::jsonb) ->> field;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
  RETURN SQLSTATE || ' ' || SQLERRM || coalesce(' | ' || nullif(detail, ''), '');
END $$;

SELECT f AS field, v AS input, pg_temp.i(f, v) AS result
FROM unnest(ARRAY['attempt_count', 'session_id', 'conversation_id']) f,
     unnest(ARRAY['0', '1', '-0', '2147483647', '2147483648', '9223372036854775807',
                  '9223372036854775808', '-1', '-9223372036854775808',
                  '99999999999999999999999', '1.0', '1.5', '1e3', '1E0', '"2"', 'true',
                  '[]', '{}', 'null']) v
ORDER BY f, v;

-- attempt_count absent, null and 0 are the same value.
SELECT a::comm_result = b::comm_result AS absent_is_zero,
       a::comm_result = c::comm_result AS null_is_absent,
       attempt_count(a::comm_result) AS absent_reads
FROM (VALUES ('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{}}',
              '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"attempt_count":0}',
              '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"attempt_count":null}')) v(a, b, c);
