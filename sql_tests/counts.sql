-- comm_counts and the per-batch dashboard aggregates of today's API:
-- comm_channel_status_counts and comm_line_type_counts.

-- The state's text form: a JSON object, keys in byte order, positive counts.
SELECT '{}'::comm_counts, '{"SENT":2,"DELIVERED":5}'::comm_counts, '{"b":1,"a":2,"é":3,"":4}'::comm_counts;
SELECT '{"SENT":2,"DELIVERED":5}'::comm_counts::text::comm_counts::text AS round_trip,
       '{"SENT":2,"DELIVERED":5}'::comm_counts::jsonb AS as_jsonb;
SELECT '{"x":9223372036854775807}'::comm_counts AS max_count;
-- invalid states
SELECT '{"x":0}'::comm_counts;
SELECT '{"x":-1}'::comm_counts;
SELECT '{"x":1.5}'::comm_counts;
SELECT '{"x":1e3}'::comm_counts;
SELECT '{"x":"1"}'::comm_counts;
SELECT '{"x":9223372036854775808}'::comm_counts;
SELECT '{"x":{"y":1}}'::comm_counts;
SELECT '{"x":[1]}'::comm_counts;
SELECT '[1]'::comm_counts;
SELECT '1'::comm_counts;
SELECT '{"x":1,"x":2}'::comm_counts;
SELECT '{"x":1'::comm_counts;

-- binary round trip, and a receive that trusts nothing
CREATE TEMP TABLE st (c comm_counts);
INSERT INTO st VALUES ('{}'), ('{"SENT":2,"DELIVERED":5}'), ('{"é":1}');
CREATE TEMP TABLE st2 (c comm_counts);
DO $$
DECLARE f text := current_setting('data_directory') || '/comm_counts_test.copy';
BEGIN
  EXECUTE format('COPY st TO %L WITH (FORMAT binary)', f);
  EXECUTE format('COPY st2 FROM %L WITH (FORMAT binary)', f);
END $$;
SELECT c::text FROM st2 ORDER BY 1;
SELECT encode(comm_counts_send('{"SENT":2,"DELIVERED":5}'), 'hex') AS wire;
CREATE FUNCTION pg_temp.recv(payload bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  detail text;
  lo oid := lo_from_bytea(0, '\x5047434f50590aff0d0a00'::bytea || int4send(0) || int4send(0)
                             || int2send(1::int2) || int4send(length(payload)) || payload
                             || int2send(-1::int2));
BEGIN
  PERFORM lo_export(lo, 'comm_counts_recv_test.bin');
  PERFORM lo_unlink(lo);
  TRUNCATE st2;
  COPY st2 FROM 'comm_counts_recv_test.bin' WITH (FORMAT binary);
  RETURN (SELECT c::text FROM st2);
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
  RETURN SQLSTATE || ' ' || SQLERRM || coalesce(' | ' || nullif(detail, ''), '');
END $$;
SELECT label, pg_temp.recv(p) FROM (VALUES
  ('empty',          ''::bytea),
  ('no keys',        int4send(0)),
  ('negative n',     int4send(-1)),
  ('huge n',         int4send(1000000)),
  ('short key',      int4send(1) || int4send(5) || '\x6162'::bytea),
  ('zero count',     int4send(1) || int4send(1) || '\x61'::bytea || int8send(0)),
  ('unsorted',       int4send(2) || int4send(1) || '\x62'::bytea || int8send(1) || int4send(1) || '\x61'::bytea || int8send(1)),
  ('duplicate',      int4send(2) || int4send(1) || '\x61'::bytea || int8send(1) || int4send(1) || '\x61'::bytea || int8send(1)),
  ('zero byte',      int4send(1) || int4send(1) || '\x00'::bytea || int8send(1)),
  ('trailing',       int4send(0) || '\x00'::bytea),
  ('good',           int4send(2) || int4send(1) || '\x61'::bytea || int8send(3) || int4send(1) || '\x62'::bytea || int8send(1))
) t(label, p);

-- The aggregates: absent and null are not counted, unknown values are.
CREATE TEMP TABLE res AS
SELECT format('{"batch_id":"%s","reference_id":"%s","target":"+15125550001","request_variables":{}%s%s}',
              'b' || i % 3, i,
              CASE i % 5 WHEN 0 THEN '' WHEN 1 THEN ',"channel_manager_status":null'
                   ELSE ',"channel_manager_status":"' || (ARRAY['QUEUED','DELIVERED','NEW_ONE'])[i % 5 - 1] || '"' END,
              CASE i % 4 WHEN 0 THEN '' WHEN 1 THEN ',"line_type":null'
                   ELSE ',"line_type":"' || (ARRAY['mobile','voip'])[i % 4 - 1] || '"' END)::comm_result AS r
FROM generate_series(1, 3000) i;
SELECT batch_id(r) AS batch, comm_channel_status_counts(r), comm_line_type_counts(r) FROM res GROUP BY 1 ORDER BY 1;
-- they agree with plain SQL over the accessors
SELECT (SELECT jsonb_object_agg(s, n) FROM (SELECT channel_manager_status(r) s, count(*) n FROM res WHERE channel_manager_status(r) IS NOT NULL GROUP BY 1) x)
     = (SELECT comm_channel_status_counts(r) FROM res) AS channel_agrees,
       (SELECT jsonb_object_agg(s, n) FROM (SELECT line_type(r) s, count(*) n FROM res WHERE line_type(r) IS NOT NULL GROUP BY 1) x)
     = (SELECT comm_line_type_counts(r) FROM res) AS line_agrees;
-- no rows: an empty object
SELECT comm_channel_status_counts(r), comm_line_type_counts(r) FROM res WHERE false;
-- April values count nowhere
SELECT comm_channel_status_counts(r) FROM (VALUES ('{"batch_id":"b","reference_id":"1","target":"+15125550001","request_variables":{}}'::comm_result)) v(r);

-- combine: empty states on either side, and counts that add up
SELECT comm_counts_combine('{}', '{}')::text, comm_counts_combine('{"a":1}', '{}')::text,
       comm_counts_combine('{}', '{"a":1}')::text, comm_counts_combine('{"a":1,"c":2}', '{"b":5,"c":3}')::text;
SELECT comm_counts_combine('{"a":9223372036854775807}', '{"a":1}');
-- called directly, the transition function does not change its argument
SELECT c::text AS before, comm_counts_add_line_type(c, '{"batch_id":"b","reference_id":"1","target":"+15125550001","request_variables":{},"line_type":"mobile"}')::text AS added, c::text AS after
FROM (VALUES ('{"mobile":1}'::comm_counts)) v(c);

-- A forced parallel plan gives the same answer (partial states move between processes).
CREATE TABLE par AS SELECT * FROM res, generate_series(1, 20) g;
ANALYZE par;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT comm_channel_status_counts(r), comm_line_type_counts(r) FROM par;
SELECT comm_channel_status_counts(r), comm_line_type_counts(r) FROM par;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
SELECT comm_channel_status_counts(r), comm_line_type_counts(r) FROM par;
DROP TABLE par;
