-- Today's fields: every rule, with the field named, the value in DETAIL
-- and the SQLSTATE of README's error table.

CREATE FUNCTION pg_temp.try(input text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  detail text;
  hint text;
BEGIN
  RETURN input::comm_result::text;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
  RETURN SQLSTATE || ' ' || SQLERRM || coalesce(' | ' || nullif(detail, ''), '') || coalesce(' | ' || nullif(hint, ''), '');
END $$;
CREATE FUNCTION pg_temp.rec(extra text) RETURNS text LANGUAGE sql AS $$
  SELECT '{"batch_id":"b","reference_id":"r","target":"+15125551234","request_variables":{}' || extra || '}'
$$;

-- wrong JSON kinds
SELECT f, pg_temp.try(pg_temp.rec(format(',"%s":%s', f, v))) AS result
FROM unnest(ARRAY['channel_manager_sid', 'channel_manager_status', 'insights_status', 'line_type']) f,
     unnest(ARRAY['1', 'true', '{}', '[]']) v
ORDER BY f, v;
SELECT f, pg_temp.try(pg_temp.rec(format(',"%s":%s', f, v))) AS result
FROM unnest(ARRAY['insights', 'enrichment']) f,
     unnest(ARRAY['"x"', '1', 'false', '[]', '[{}]']) v
ORDER BY f, v;
-- (empty and blank strings load since 1.3: sql_tests/empty_strings.sql)
-- insights: strings and numbers only
SELECT pg_temp.try(pg_temp.rec(',"insights":{"rating":"Good","score":4.5,"n":-1e3}')) AS ok;
SELECT pg_temp.try(pg_temp.rec(',"insights":{"rating":null}')) AS null_value;
SELECT pg_temp.try(pg_temp.rec(',"insights":{"flag":true}')) AS bool_value;
SELECT pg_temp.try(pg_temp.rec(',"insights":{"nested":{"a":1}}')) AS nested_object;
SELECT pg_temp.try(pg_temp.rec(',"insights":{"list":["a"]}')) AS nested_array;
SELECT pg_temp.try(pg_temp.rec(',"insights":{"a":"x","a":"y"}')) AS duplicate_key;
-- enrichment: any object, duplicate keys refused at every depth
SELECT pg_temp.try(pg_temp.rec(',"enrichment":{"mcc":"310","error_code":null,"x":{"y":[true,{"z":1}]}}')) AS ok;
SELECT pg_temp.try(pg_temp.rec(',"enrichment":{"x":{"y":1,"y":2}}')) AS duplicate_key;
SELECT pg_temp.try(pg_temp.rec(',"enrichment":{"n":1e1000000}')) AS number_out_of_range;
-- the sid under both names, or twice under one
SELECT pg_temp.try(pg_temp.rec(',"call_manager_sid":"a","channel_manager_sid":"b"')) AS both_names;
SELECT pg_temp.try(pg_temp.rec(',"channel_manager_sid":null,"call_manager_sid":null')) AS both_names_null;
SELECT pg_temp.try(pg_temp.rec(',"channel_manager_sid":"a","channel_manager_sid":"b"')) AS twice;
SELECT pg_temp.try(pg_temp.rec(',"line_type":"a","line_type":"b"')) AS line_type_twice;
-- messages name the field as the input spelled it
SELECT pg_temp.try(pg_temp.rec(',"channel_manager_sid":5')) AS todays_name_number;
-- unknown keys are still refused, and the hint lists today's fields
SELECT pg_temp.try(pg_temp.rec(',"channel_status":"SENT"')) AS unknown_key;
-- a today-shape record without batch_id: the hint says where it comes from
SELECT pg_temp.try('{"reference_id":"r","target":"+15125551234","request_variables":{},"channel_manager_sid":"CA1"}') AS no_batch_id;
-- channel_manager_status is a plain string: undocumented values load
SELECT channel_manager_status(pg_temp.rec(',"channel_manager_status":"SOMETHING_NEW"')::comm_result) AS undocumented;

-- comm_result_errors lists every problem, under the name used.
SELECT * FROM comm_result_errors('{"reference_id":" ","target":"x","request_variables":{},"channel_manager_sid":"","channel_manager_status":1,"insights":{"a":[]},"line_type":"","enrichment":[],"insights_status":true}');
SELECT * FROM comm_result_errors(pg_temp.rec(',"call_manager_sid":"a","channel_manager_sid":"b"'));
