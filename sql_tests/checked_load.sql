-- comm_results_checked(response, batch_id): one row per element, in order;
-- a valid element gives its value, an invalid one every problem and its
-- exact text; a body that is not a complete JSON array gives an error and
-- no rows.

-- Every kind of element in one body: a row per element, and per problem.
CREATE TEMP TABLE kinds AS SELECT * FROM comm_results_checked('[' || chr(10) || array_to_string(ARRAY[
  '{"reference_id":"1","target":"+15125550001","request_variables":{},"request_status":"COMPLETED"} ',
  '5', '"text"', 'null', 'true', '[1, {"reference_id":"2"}]',
  '{"reference_id":"3","target":"555-12","request_variables":{},"status":"X"}',
  '{"batch_id":"other","reference_id":"4","target":"+15125550004","request_variables":{}}',
  '{"reference_id":"5","target":"+15125550005","request_variables":{"a":"\u0000"}}',
  '{"reference_id":"6","target":"+15125550006","request_variables":{"a":"\ud800"}}',
  '{"reference_id":"7","target":"+15125550007","request_variables":{}, "line_type":"a", "line_type":"b"}',
  '{"reference_id":"8","target":"+15125550008","request_variables":{},"request_status":"DONE"}',
  '{"reference_id":"9","target":"+15125550009","request_variables":{},"channel_manager_sid":"CA9","channel_manager_status":"QUEUED"}'],
  ',' || chr(10) || '  ') || chr(10) || ']', '20260801.1');
SELECT ordinal, x ->> 'sqlstate' AS sqlstate, x ->> 'field' AS field, x ->> 'message' AS message, x ->> 'detail' AS detail
FROM kinds LEFT JOIN LATERAL jsonb_array_elements(errors) x ON true ORDER BY ordinal;
SELECT ordinal, result FROM kinds WHERE result IS NOT NULL;
SELECT ordinal, element FROM kinds WHERE element IS NOT NULL;
-- the shape of one problem
SELECT jsonb_pretty(errors) FROM kinds WHERE ordinal = 7;

-- The element's text is exactly as it stood in the body, white space inside
-- it included (but not the white space around it).
SELECT ordinal, element, length(element)
FROM comm_results_checked(E'[ \t{ "reference_id" : "1" ,\n "target":5 }\r\n, [ ] ]', 'b');

-- A valid response gives the values of comm_results, in the same order.
CREATE TEMP TABLE body AS
SELECT '[' || string_agg(format('{"reference_id":"%s","target":"+1512555%s","request_variables":{"i":%s},"request_status":"%s","attempt_count":%s,"line_type":%s}',
                                i, lpad(i::text, 4, '0'), i,
                                (ARRAY['PENDING','INITIATED','COMPLETED','FAILED'])[1 + i % 4], i % 3,
                                CASE WHEN i % 5 = 0 THEN 'null' ELSE '"mobile"' END), ',' ORDER BY i) || ']' AS t
FROM generate_series(1, 500) i;
SELECT count(*) AS rows, count(result) AS valid, bool_and(errors IS NULL AND element IS NULL) AS no_errors,
       min(ordinal), max(ordinal)
FROM body, comm_results_checked(t, 'b');
SELECT bool_and(c.result = r.r) AS same_values, count(*) AS compared
FROM body,
     LATERAL (SELECT ordinal, result FROM comm_results_checked(t, 'b')) c
     JOIN LATERAL (SELECT r, row_number() OVER () - 1 AS n FROM comm_results(t, 'b') r) r ON r.n = c.ordinal;
-- the jsonb variant gives the same values
SELECT bool_and(c.result = j.result) AS jsonb_same, count(*)
FROM body, comm_results_checked(t, 'b') c JOIN comm_results_checked(t::jsonb, 'b') j USING (ordinal);
SELECT count(*) FROM comm_results_checked('[]', 'b');
SELECT count(*) FROM comm_results_checked('  [ ]  ', 'b');

-- Bad elements mixed in: each good one loads as its text would alone, and
-- the problems of each bad one are those comm_result_errors lists for its
-- text (the elements carry the batch id, so the two see the same input).
CREATE TEMP TABLE mixed (n int, e text);
INSERT INTO mixed
SELECT i - 1, CASE i % 4
          WHEN 0 THEN format('{"batch_id":"b","reference_id":"%s","target":"+1512555%s","request_variables":{}}', i, lpad(i::text, 4, '0'))
          WHEN 1 THEN format('{"batch_id":"b","reference_id":"%s","target":"55-%s","request_variables":{},"created_at":"2026-01-01T00:00:00"}', i, i)
          WHEN 2 THEN format('{"batch_id":"b","reference_id":" ","target":"+1512555%s","request_variables":{},"unknown_%s":1,"attempt_count":-1}', lpad(i::text, 4, '0'), i)
          ELSE format('{"batch_id":"b","reference_id":"%s","request_variables":[],"session_id":1.5}', i) END
FROM generate_series(1, 200) i;
CREATE TEMP TABLE mixed_body AS SELECT '[' || string_agg(e, ', ' ORDER BY n) || ']' AS t FROM mixed;
CREATE TEMP TABLE mixed_out AS SELECT c.* FROM mixed_body, comm_results_checked(t, 'b') c;
SELECT count(result) AS valid, count(errors) AS invalid, count(*) FILTER (WHERE element = e) AS texts_kept
FROM mixed_out JOIN mixed ON n = ordinal;
SELECT count(*) AS valid_compared, bool_and(result = e::comm_result) AS same_as_alone
FROM mixed_out JOIN mixed ON n = ordinal WHERE result IS NOT NULL;
SELECT count(*) AS invalid_compared, bool_and(c.problems = x.problems) AS same_problems_as_comm_result_errors
FROM mixed_out o,
     LATERAL (SELECT array_agg(coalesce(x->>'field', '-') || ' ' || (x->>'message') || coalesce(': ' || (x->>'detail'), '')
                               ORDER BY k) AS problems
              FROM jsonb_array_elements(o.errors) WITH ORDINALITY AS a(x, k)) c,
     LATERAL (SELECT array_agg(coalesce(field, '-') || ' ' || message) AS problems
              FROM comm_result_errors(o.element)) x
WHERE o.result IS NULL;
SELECT errors FROM mixed_out WHERE ordinal = 1;

-- More problems than are listed: the last entry counts the rest.
SELECT jsonb_array_length(errors) AS entries, errors -> -1 ->> 'message' AS last
FROM comm_results_checked('[{' || (SELECT string_agg(format('"k%s":1', i), ',') FROM generate_series(1, 150) i) || '}]', 'b');

-- Nesting: an element nested deeper than 1000 levels is reported (54001)
-- without being read; 1000 levels still load.
SELECT ordinal, result IS NOT NULL AS loaded, errors -> 0 ->> 'sqlstate' AS sqlstate, errors -> 0 ->> 'detail' AS detail
FROM comm_results_checked('[{"reference_id":"1","target":"+15125550001","request_variables":' || repeat('{"a":', 999) || '1' || repeat('}', 999) || '},'
                          '{"reference_id":"2","target":"+15125550002","request_variables":' || repeat('{"a":', 1000) || '1' || repeat('}', 1000) || '},'
                          || repeat('[', 100000) || repeat(']', 100000) || ']', 'b');

-- A large element is a row like any other; DETAIL shows the start of a long value.
SELECT ordinal, errors -> 0 ->> 'field' AS field, errors -> 0 ->> 'detail' AS detail, length(element)
FROM comm_results_checked('[{"reference_id":"1","target":"' || repeat('9', 1000000) || '","request_variables":{}}]', 'b');

-- A body that is not a complete JSON array: an error that says where, and no rows.
SELECT * FROM comm_results_checked('[{"reference_id":"1","target":"+15125550001","request_variables":{}},{"reference_id":"2","tar', 'b');
SELECT * FROM comm_results_checked('[{"reference_id":"1","target":"+15125550001","request_variables":{}}', 'b');
SELECT * FROM comm_results_checked(E'[{"reference_id":"1","target":"+15125550001","request_variables":{}},\n', 'b');
SELECT * FROM comm_results_checked(E'<html>\n<body>502 Bad Gateway</body></html>', 'b');
SELECT * FROM comm_results_checked('{"items":[]}', 'b');
SELECT * FROM comm_results_checked('"[]"', 'b');
SELECT * FROM comm_results_checked('', 'b');
SELECT * FROM comm_results_checked('   ', 'b');
-- Bodies nested deeper than 1000 levels are described from a scan, never
-- by the recursive parser: cut off, badly closed, an object around a deep
-- array, through both loaders.
SELECT * FROM comm_results_checked('[{"reference_id":"1","target":"+15125550001","request_variables":{}},' || repeat('[', 100000), 'b');
SELECT * FROM comm_results_checked('[' || repeat('[', 100000) || repeat(']', 100000) || '}', 'b');
SELECT * FROM comm_results_checked('{"items":[' || repeat('[', 100000), 'b');
SELECT * FROM comm_results_checked('{"items":' || repeat('[', 100000) || repeat(']', 100000) || '}', 'b');
SELECT count(*) FROM comm_results('[' || repeat('[', 100000), 'b');
SELECT * FROM comm_results_checked('[1,]', 'b');
SELECT * FROM comm_results_checked('[,1]', 'b');
SELECT * FROM comm_results_checked('[1 2]', 'b');
SELECT * FROM comm_results_checked('[1] 2', 'b');
SELECT * FROM comm_results_checked('[{"a":1}}', 'b');
SELECT * FROM comm_results_checked('[{"a":1]]', 'b');
SELECT * FROM comm_results_checked('[{"a":"unterminated]', 'b');
SELECT * FROM comm_results_checked(E'[{"reference_id":"1"},\n {"reference_id":tru}]', 'b');
-- a syntax error after an escape the database cannot hold is still a syntax error
SELECT * FROM comm_results_checked('[{"a":"\u0000", "b": tru}]', 'b');
SELECT * FROM comm_results_checked('[5, "\u0000" x]', 'b');
-- jsonb: only the top level can be wrong
SELECT * FROM comm_results_checked('{"items":[]}'::jsonb, 'b');
SELECT * FROM comm_results_checked('5'::jsonb, 'b');
SELECT ordinal, errors -> 0 ->> 'detail' AS detail, element
FROM comm_results_checked('[5, null, [1], {"reference_id":"1","target":"x","request_variables":{"b":1,"a":2}}]'::jsonb, 'b');

-- STRICT: a NULL argument gives no rows.
SELECT count(*) FROM comm_results_checked(NULL::text, 'b');
SELECT count(*) FROM comm_results_checked('[{}]', NULL);
-- A bad batch id argument is every record's problem, not an error.
SELECT ordinal, errors -> 0 ->> 'message' AS message FROM comm_results_checked('[{"reference_id":"1","target":"+15125550001","request_variables":{}}]', ' ');
