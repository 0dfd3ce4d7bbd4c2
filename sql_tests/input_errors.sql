-- Malformed input: every error carries a documented SQLSTATE, names the
-- field, and shows the offending value in DETAIL.

CREATE FUNCTION pg_temp.try(input text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  detail text;
BEGIN
  PERFORM input::comm_result;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
  RETURN SQLSTATE || ' ' || SQLERRM || coalesce(' | ' || nullif(detail, ''), '');
END $$;

-- Full messages, with DETAIL and HINT, for each kind of problem.
SELECT 'not json'::comm_result;
SELECT '{"batch_id":"b"} trailing'::comm_result;
SELECT '{"batch_id":"b",}'::comm_result;
SELECT '[]'::comm_result;
SELECT '"a string"'::comm_result;
SELECT 'null'::comm_result;
SELECT ''::comm_result;
SELECT '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"status":"PENDING"}'::comm_result;
SELECT '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"batch_id":"c"}'::comm_result;
SELECT '{"batch_id":"b","reference_id":"r","request_variables":{}}'::comm_result;
SELECT '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"request_status":"DELIVERED"}'::comm_result;
SELECT '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"request_status":"completed"}'::comm_result;
SELECT '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{"a":"\u0000"}}'::comm_result;
SELECT '{"batch_id":"\u0000","reference_id":"r","target":"5550100","request_variables":{}}'::comm_result;

-- Required fields: missing, null, blank, wrong JSON type.
SELECT pg_temp.try(t) FROM (VALUES
  ('{"reference_id":"r","target":"5550100","request_variables":{}}'),
  ('{"batch_id":"b","target":"5550100","request_variables":{}}'),
  ('{"batch_id":"b","reference_id":"r","request_variables":{}}'),
  ('{"batch_id":"b","reference_id":"r","target":"5550100"}'),
  ('{}'),
  ('{"batch_id":null,"reference_id":"r","target":"5550100","request_variables":{}}'),
  ('{"batch_id":"b","reference_id":null,"target":"5550100","request_variables":{}}'),
  ('{"batch_id":"b","reference_id":"r","target":null,"request_variables":{}}'),
  ('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":null}'),
  ('{"batch_id":"","reference_id":"r","target":"5550100","request_variables":{}}'),
  ('{"batch_id":" \t\n","reference_id":"r","target":"5550100","request_variables":{}}'),
  ('{"batch_id":"b","reference_id":"  ","target":"5550100","request_variables":{}}'),
  ('{"batch_id":"\u00a0\u3000","reference_id":"r","target":"5550100","request_variables":{}}'),
  ('{"batch_id":"\u200b\ufeff","reference_id":"r","target":"5550100","request_variables":{}}'),
  ('{"batch_id":"\u0001\u007f","reference_id":"r","target":"5550100","request_variables":{}}'),
  ('{"batch_id":"b","reference_id":"r","target":"","request_variables":{}}'),
  ('{"batch_id":20250117,"reference_id":"r","target":"5550100","request_variables":{}}'),
  ('{"batch_id":"b","reference_id":true,"target":"5550100","request_variables":{}}'),
  ('{"batch_id":"b","reference_id":"r","target":["5550100"],"request_variables":{}}'),
  ('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":[]}'),
  ('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":"{}"}'),
  ('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"call_manager_sid":12}'),
  ('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"request_status":1}'),
  ('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"created_at":{"t":1}}'),
  ('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"sent_at":1704067200}')
) v(t);

-- Unknown and duplicate keys, at the top level and inside request_variables.
SELECT pg_temp.try(t) FROM (VALUES
  ('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"extra":1}'),
  ('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"Batch_Id":"b"}'),
  ('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"reference_id":"r"}'),
  ('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{"a":1,"a":1}}'),
  ('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{"n":{"a":1,"b":2,"a":3}}}'),
  ('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{"a":{"k":1},"b":{"k":1}}}')
) v(t);

-- Malformed JSON never gets past the parser.
SELECT pg_temp.try(t) FROM (VALUES
  ('{'), ('{"batch_id"'), ('{"batch_id":}'), ('{"batch_id":"b" "reference_id":"r"}'),
  ('{''batch_id'':''b''}'), ('{batch_id:"b"}'), ('{"batch_id":"b\x"}'),
  ('{"batch_id":"\ud800"}'), ('{"a":1}{"b":2}'), ('{"a":NaN}'), ('{"a":01}'),
  ('{"a":"unterminated}')
) v(t);

-- The value in DETAIL is cut when long.
SELECT format('{"batch_id":"b","reference_id":"r","target":"%s","request_variables":{}}', repeat('x', 300))::comm_result;
SELECT format('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"%s":1}', repeat('é', 100))::comm_result;

-- comm_result_is_valid never raises; comm_result_errors lists every problem.
SELECT comm_result_is_valid(t) FROM (VALUES
  ('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{}}'),
  ('{"batch_id":"b","reference_id":"r","target":"55501","request_variables":{}}'),
  ('not json'), ('[]'), ('')
) v(t);
SELECT comm_result_is_valid(NULL) IS NULL AS strict;
SELECT * FROM comm_result_errors('{"batch_id":" ","target":"x","request_variables":[],"request_status":"DELIVERED","created_at":"2024-01-01","sent_at":"2024-02-30T00:00:00Z","attempt_count":1.5,"session_id":-1,"conversation_id":"7","extra":{"a":1}}');
SELECT * FROM comm_result_errors('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{}}');
SELECT * FROM comm_result_errors('{"batch_id":"b",');
SELECT * FROM comm_result_errors('{"batch_id":"\u0000"}');

-- A problem inside request_variables stops building it, and nothing after
-- it is misread.
SELECT * FROM comm_result_errors('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{"a":1e1000000,"b":{"c":[1,2]},"d":1},"attempt_count":-1}');
-- A number in request_variables is valid exactly when jsonb takes it, at
-- each of numeric's limits (on 15 comm_result checks them itself, since
-- numeric_in cannot report softly there; see src/compat.h).
CREATE FUNCTION pg_temp.jsonb_takes(n text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  PERFORM n::jsonb;
  RETURN true;
EXCEPTION WHEN others THEN
  RETURN false;
END $$;
SELECT label, valid, pg_temp.jsonb_takes(n) AS jsonb_takes_it
FROM (VALUES
  ('1e1000', '1e1000'), ('1e1001', '1e1001'), ('1e-1000', '1e-1000'), ('-1E-1001', '-1E-1001'),
  ('1e+1000', '1e+1000'), ('1e1000000', '1e1000000'), ('0e99999', '0e99999'),
  ('16383 fraction digits', '0.' || repeat('0', 16382) || '1'),
  ('16384 fraction digits', '0.' || repeat('0', 16383) || '1'),
  ('16383 fraction zeros', '0.' || repeat('0', 16383)),
  ('16384 fraction zeros', '0.' || repeat('0', 16384)),
  ('16384 fraction digits, e1', '0.' || repeat('0', 16383) || '1e1'),
  ('16383 fraction digits, e-1', '0.' || repeat('0', 16382) || '1e-1'),
  ('131072 integer digits', repeat('9', 131072)),
  ('131073 integer digits', repeat('9', 131073)),
  ('-, 131072 integer digits', '-' || repeat('9', 131072)),
  ('-, 131073 integer digits', '-' || repeat('9', 131073)),
  ('131000 integer digits, e72', repeat('9', 131000) || 'e72'),
  ('131000 integer digits, e73', repeat('9', 131000) || 'e73'),
  ('0.001 with 131075 integer digits', '0.001e131075'),
  ('0.001 with 131074 integer digits', '0.001e131074'),
  ('0e1073741822', '0e1073741822'), ('0e-1073741823', '0e-1073741823'), ('0e-16383', '0e-16383'), ('0.0e-16383', '0.0e-16383'),
  ('1e99999999999999999999', '1e99999999999999999999')
) v(label, n),
LATERAL (SELECT comm_result_is_valid('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{"a":' || n || '}}') AS valid) c;
-- Where the verdict depends on the version (15 refuses a zero with an
-- exponent of 2^30 - 1 or more, 17 takes it), only the agreement is checked.
SELECT n, comm_result_is_valid('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{"a":' || n || '}}')
            = pg_temp.jsonb_takes(n) AS agrees_with_jsonb
FROM (VALUES ('0e1073741823'), ('0e1073741824'), ('-0.0e1073741823')) v(n);

-- At most 100 problems are listed, then a count of the rest.
SELECT count(*) AS rows, count(*) FILTER (WHERE field IS NULL) AS summary_rows,
       max(message) FILTER (WHERE field IS NULL) AS summary
FROM comm_result_errors('{' || (SELECT string_agg(format('"k%s":1', i), ',') FROM generate_series(1, 150) i) || '}');
