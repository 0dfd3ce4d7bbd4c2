-- Release 1.3: the API's contract (its SDKs' wire format) types every
-- string but the key as a plain string, so any string loads, the empty one
-- and blank ones included, and is kept exactly as given: "" stays "",
-- distinct from null and from absent.  Only batch_id and reference_id,
-- the key, must not be blank.
SET timezone = 'UTC';

CREATE FUNCTION pg_temp.rec(extra text) RETURNS text LANGUAGE sql AS
$$ SELECT '{"batch_id":"b","reference_id":"r","target":"+15125551234","request_variables":{}' || extra || '}' $$;
-- the value, or the error's SQLSTATE and message
CREATE FUNCTION pg_temp.try(t text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  RETURN t::comm_result::text;
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ' ' || SQLERRM;
END $$;

-- Each optional string field, empty, blank and invisible: loaded as given.
SELECT f, v, pg_temp.try(pg_temp.rec(format(',"%s":"%s"', f, v))) AS result
FROM unnest(ARRAY['call_manager_sid', 'channel_manager_sid', 'channel_manager_status', 'insights_status', 'line_type']) f,
     unnest(ARRAY['', '   ', E'\\u00a0\\u200b', E'\\t']) v
ORDER BY f, v;
-- ... and strings inside the objects
SELECT pg_temp.try(pg_temp.rec(',"insights":{"rating":"","summary":"  "},"enrichment":{"carrier_name":"","mcc":""}')) AS in_objects;
SELECT request_variable('{"batch_id":"b","reference_id":"r","target":"+15125551234","request_variables":{"first_name":""}}', 'first_name') = '' AS variable_kept;

-- The key still may not be blank.
SELECT pg_temp.try('{"batch_id":"","reference_id":"r","target":"+15125551234","request_variables":{}}') AS empty_batch_id;
SELECT pg_temp.try('{"batch_id":"b","reference_id":" ","target":"+15125551234","request_variables":{}}') AS blank_reference_id;
SELECT pg_temp.try('{"batch_id":"b","reference_id":"r","target":"","request_variables":{}}') AS empty_target;
SELECT * FROM comm_results('[{"reference_id":"1","target":"+15125551234","request_variables":{}}]', '');

-- "" is a value: present, not null, not absent.
CREATE TEMP TABLE states (label text, r comm_result);
INSERT INTO states VALUES
  ('absent', pg_temp.rec('')::comm_result),
  ('null', pg_temp.rec(',"line_type":null,"channel_manager_sid":null,"insights_status":null')::comm_result),
  ('empty', pg_temp.rec(',"line_type":"","channel_manager_sid":"","insights_status":""')::comm_result),
  ('blank', pg_temp.rec(',"line_type":" ","channel_manager_sid":" ","insights_status":" "')::comm_result);
SELECT label, line_type(r) IS NULL AS line_type_null, line_type(r) = '' AS line_type_empty,
       channel_manager_sid(r) = '' AS sid_empty, (comm_result_all_fields(r)).sid_name, insights_status(r) = '' AS insights_status_empty,
       r::jsonb -> 'line_type' AS as_jsonb
FROM states ORDER BY label;
SELECT a.label, b.label FROM states a, states b WHERE a.label < b.label AND a.r = b.r;
SELECT count(DISTINCT r) AS distinct_values, count(DISTINCT comm_result_hash(r)) AS distinct_hashes FROM states;

-- Every way in gives the same value: text, jsonb, the response loaders,
-- the constructor, and binary COPY out and back in.
SELECT label,
       r = (r::text)::comm_result AS text_round_trip,
       r = (r::jsonb)::comm_result AS jsonb_round_trip,
       r = (SELECT x FROM comm_results(('[' || r::text || ']')::jsonb) x) AS jsonb_response,
       r = (SELECT x FROM comm_results('[' || r::text || ']', 'b') x) AS text_response,
       r = (SELECT result FROM comm_results_checked('[' || r::text || ']', 'b')) AS checked
FROM states ORDER BY label;
SELECT comm_result('b', 'r', '+15125551234', '{}', line_type => '', insights_status => '', channel_manager_sid => '')
     = (SELECT r FROM states WHERE label = 'empty') AS constructor;
SELECT comm_result('b', 'r', '+15125551234', '{}', call_manager_sid => '', channel_manager_status => ' ') AS constructor_april_name;
-- (binary receive through a binary COPY file, as sql_tests/binary.sql does)
CREATE TEMP TABLE back (r comm_result);
CREATE FUNCTION pg_temp.recv(payload bytea) RETURNS comm_result LANGUAGE plpgsql AS $$
DECLARE
  lo oid := lo_from_bytea(0, '\x5047434f50590aff0d0a00'::bytea || int4send(0) || int4send(0)
                             || int2send(1::int2) || int4send(length(payload)) || payload
                             || int2send(-1::int2));
BEGIN
  PERFORM lo_export(lo, 'comm_result_empty_strings.bin');
  PERFORM lo_unlink(lo);
  TRUNCATE back;
  COPY back FROM 'comm_result_empty_strings.bin' WITH (FORMAT binary);
  RETURN (SELECT r FROM back);
END $$;
SELECT label, pg_temp.recv(comm_result_send(r)) = r AS binary_round_trip FROM states ORDER BY label;
SELECT comm_result_send(r) FROM states WHERE label = 'empty';

-- Merge and the guard treat "" as a value like any other: present beats
-- absent and null; an empty line_type is set, and stays.
SELECT comm_result_merge(a.r, b.r) = b.r AS empty_wins
FROM states a, states b WHERE a.label IN ('absent', 'null') AND b.label = 'empty';
SELECT line_type(comm_result_merge((SELECT r FROM states WHERE label = 'empty'),
                                   pg_temp.rec(',"line_type":"mobile"')::comm_result)) AS at_equal_progress_bytes_decide;
CREATE TEMP TABLE guarded (id int PRIMARY KEY, r comm_result);
CREATE TRIGGER guarded_guard BEFORE UPDATE ON guarded FOR EACH ROW EXECUTE FUNCTION comm_result_guard();
INSERT INTO guarded VALUES (1, pg_temp.rec('')::comm_result), (2, pg_temp.rec(',"line_type":""')::comm_result);
UPDATE guarded SET r = pg_temp.rec(',"line_type":""')::comm_result WHERE id = 1;
SELECT line_type(r) = '' AS set_from_absent FROM guarded WHERE id = 1;
UPDATE guarded SET r = pg_temp.rec(',"line_type":"mobile"')::comm_result WHERE id = 2;
UPDATE guarded SET r = pg_temp.rec(',"line_type":null')::comm_result WHERE id = 2;
-- channel_manager_status is not guarded: "" may become a status
UPDATE guarded SET r = pg_temp.rec(',"line_type":"","channel_manager_status":""')::comm_result WHERE id = 2;
UPDATE guarded SET r = pg_temp.rec(',"line_type":"","channel_manager_status":"DELIVERED"')::comm_result WHERE id = 2;
SELECT channel_manager_status(r) FROM guarded WHERE id = 2;

-- The per-value counts count "" as a value.
SELECT comm_line_type_counts(r), comm_channel_status_counts(r)
FROM (SELECT r FROM states UNION ALL SELECT pg_temp.rec(',"channel_manager_status":""')::comm_result) s;
SELECT '{"":2,"mobile":1}'::comm_counts AS counts_text, '{"":2}'::comm_counts::jsonb AS counts_jsonb;
