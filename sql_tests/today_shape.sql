-- Today's API shape (SDKs 1.0.x, August 2026): the new fields, both names
-- of the sid, absent vs null, canonical order, round trips.

-- A record as today's endpoint returns it, with the batch id put in.
SELECT '{"batch_id":"20260801.1","reference_id":"r1","target":"+15125551234","request_variables":{"first_name":"Ana"},"channel_manager_sid":"CA123","created_at":"2026-08-01T10:00:00Z","sent_at":null,"attempt_count":1,"session_id":null,"conversation_id":null,"request_status":"COMPLETED","channel_manager_status":"DELIVERED","insights_status":"COMPLETED","insights":{"rating":"Good","summary":"Booked","score":4.5},"line_type":"mobile","enrichment":{"line_type":"mobile","carrier_name":"Acme","mcc":"310","mnc":"260","error_code":null}}'::comm_result AS today;

-- Canonical order: the April fields, then today's; the sid keeps its name.
SELECT '{"enrichment":{},"line_type":"voip","insights":{},"insights_status":"PENDING","channel_manager_status":"QUEUED","channel_manager_sid":null,"request_variables":{},"target":"a@b.co","reference_id":"r","batch_id":"b"}'::comm_result AS reordered;
SELECT '{"batch_id":"b","reference_id":"r","target":"a@b.co","request_variables":{},"call_manager_sid":"LM1"}'::comm_result AS april_name,
       '{"batch_id":"b","reference_id":"r","target":"a@b.co","request_variables":{},"channel_manager_sid":"LM1"}'::comm_result AS todays_name;

-- The two names are one field: same accessor values, different values.
WITH v(label, r) AS (VALUES
  ('april', '{"batch_id":"b","reference_id":"r","target":"a@b.co","request_variables":{},"call_manager_sid":"LM1"}'::comm_result),
  ('today', '{"batch_id":"b","reference_id":"r","target":"a@b.co","request_variables":{},"channel_manager_sid":"LM1"}'::comm_result))
SELECT label, call_manager_sid(r), channel_manager_sid(r), (comm_result_all_fields(r)).sid_name,
       get_byte(comm_result_send(r), 0) AS wire_version
FROM v ORDER BY label;
SELECT '{"batch_id":"b","reference_id":"r","target":"a@b.co","request_variables":{},"call_manager_sid":"LM1"}'::comm_result
     = '{"batch_id":"b","reference_id":"r","target":"a@b.co","request_variables":{},"channel_manager_sid":"LM1"}'::comm_result AS same_value;

-- Absent, null and present stay distinct for every new field.
CREATE TEMP TABLE states AS
SELECT f AS field, s AS state,
       format('{"batch_id":"b","reference_id":"r","target":"a@b.co","request_variables":{}%s}',
              CASE s WHEN 'absent' THEN '' WHEN 'null' THEN format(',"%s":null', f)
                     ELSE format(',"%s":%s', f, CASE WHEN f IN ('insights', 'enrichment') THEN '{"k":"v"}' ELSE '"X"' END) END)::comm_result AS r
FROM unnest(ARRAY['channel_manager_sid', 'channel_manager_status', 'insights_status', 'insights', 'line_type', 'enrichment']) f,
     unnest(ARRAY['absent', 'null', 'present']) s;
SELECT field, state, r::text, get_byte(comm_result_send(r), 0) AS wire_version FROM states ORDER BY field, state;
SELECT field, count(DISTINCT r) AS distinct_states, count(DISTINCT comm_result_hash(r)) AS distinct_hashes FROM states GROUP BY 1 ORDER BY 1;
-- every state round-trips through text, jsonb and binary
SELECT count(*) AS states,
       count(*) FILTER (WHERE r::text::comm_result = r AND r::text = r::text::comm_result::text) AS text_round_trip,
       count(*) FILTER (WHERE r::jsonb::comm_result = r) AS jsonb_round_trip,
       count(*) FILTER (WHERE r::json::text = r::text) AS json_is_text
FROM states;

-- Accessors.
WITH v(r) AS (SELECT '{"batch_id":"b","reference_id":"r","target":"a@b.co","request_variables":{},"channel_manager_sid":"CA9","channel_manager_status":"SENT","insights_status":"PENDING","insights":{"score":4.5,"rating":"Good"},"line_type":"landline","enrichment":{"mcc":"310","nested":{"a":[1]}}}'::comm_result)
SELECT channel_manager_sid(r), call_manager_sid(r), channel_manager_status(r), insights_status(r),
       insights(r), line_type(r), enrichment(r), insights(r) ->> 'score' AS score
FROM v;
SELECT channel_manager_status(r), insights_status(r), insights(r), line_type(r), enrichment(r), channel_manager_sid(r)
FROM states WHERE state <> 'present' ORDER BY field, state LIMIT 1;
-- accessors of fields stored after many others in a value that is TOASTed
CREATE TEMP TABLE big AS SELECT format('{"batch_id":"b","reference_id":"r","target":"a@b.co","request_variables":{"pad":"%s"},"channel_manager_status":"CLICKED","line_type":"mobile","enrichment":{"blob":"%s"}}', repeat('x', 100000), repeat('y', 50000))::comm_result AS r;
SELECT channel_manager_status(r), line_type(r), length(enrichment(r) ->> 'blob') AS blob, attempt_count(r), pg_column_size(r) < 200000 AS compressed FROM big;

-- comm_result_all_fields: comm_result_fields' columns, then today's.
SELECT * FROM comm_result_all_fields('{"batch_id":"b","reference_id":"r","target":"+15125551234","request_variables":{},"channel_manager_sid":"CA9","channel_manager_status":"SENT","line_type":"mobile","insights":null}');
SELECT * FROM comm_result_fields('{"batch_id":"b","reference_id":"r","target":"+15125551234","request_variables":{},"channel_manager_sid":"CA9","channel_manager_status":"SENT"}');

-- The constructor takes today's fields, and channel_manager_sid.
SELECT comm_result('b', 'r', '+15125551234', '{}', channel_manager_sid => 'CA1', channel_manager_status => 'QUEUED',
                   insights_status => 'PENDING', insights => '{"score":1}', line_type => 'voip', enrichment => '{"mcc":"1"}');
SELECT comm_result('b', 'r', '+15125551234', '{}', call_manager_sid => 'LM1', channel_manager_sid => 'CA1');
SELECT comm_result('b', 'r', '+15125551234', '{}', insights => '{"a":{"b":1}}');
SELECT comm_result('b', 'r', '+15125551234', '{}', enrichment => '[1]');
SELECT comm_result('b', 'r', '+15125551234', '{}', line_type => 5::text, channel_manager_status => '');
-- a value built from April fields only is the April value, byte for byte
SELECT comm_result_send(comm_result('b', 'r', '+15125551234', '{}', call_manager_sid => 'LM1'))
     = comm_result_send('{"batch_id":"b","reference_id":"r","target":"+15125551234","request_variables":{},"call_manager_sid":"LM1"}') AS april_bytes;

-- Binary COPY round trip of every state.
CREATE TEMP TABLE copied (r comm_result);
DO $$
DECLARE f text := current_setting('data_directory') || '/comm_result_today.copy';
BEGIN
  EXECUTE format('COPY (SELECT r FROM states) TO %L WITH (FORMAT binary)', f);
  EXECUTE format('COPY copied FROM %L WITH (FORMAT binary)', f);
END $$;
SELECT count(*) AS copied, count(*) FILTER (WHERE EXISTS (SELECT 1 FROM states s WHERE s.r = c.r AND s.r::text = c.r::text)) AS identical FROM copied c;

-- Ordering and hashing stay consistent with = for today's values.
SELECT count(*) FILTER (WHERE (a.r = b.r) <> (comm_result_cmp(a.r, b.r) = 0)) AS cmp_disagrees,
       count(*) FILTER (WHERE a.r = b.r AND comm_result_hash_extended(a.r, 3) <> comm_result_hash_extended(b.r, 3)) AS hash_disagrees
FROM states a, states b;
