-- Binary format version 2 (values with today's fields or the
-- channel_manager_sid spelling), pinned byte by byte; version 1 stays as
-- binary.sql pins it.  recv validates version 2 like text input.

-- A version 2 payload: version 1's fixed part, flags2, then the strings
-- (NULL: length -1) in wire order: batch_id, reference_id, target, sid,
-- request_variables, channel_manager_status, insights_status, insights,
-- line_type, enrichment.
CREATE FUNCTION pg_temp.wire2(flags int, flags2 int, status int, attempts int, strs text[]) RETURNS bytea
LANGUAGE sql AS $$
  SELECT '\x02'::bytea || int2send(flags::int2) || set_byte('\x00'::bytea, 0, status) || int4send(attempts)
      || int8send(0) || int8send(0) || int8send(0) || int8send(0) || int2send(flags2::int2)
      || (SELECT coalesce(string_agg(CASE WHEN s IS NULL THEN int4send(-1)
                                 ELSE int4send(octet_length(convert_to(s, 'UTF8'))) || convert_to(s, 'UTF8') END,
                            ''::bytea ORDER BY n), '')
          FROM unnest(strs) WITH ORDINALITY u(s, n))
$$;
CREATE TABLE recv2 (r comm_result);
CREATE FUNCTION pg_temp.recv(payload bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  detail text;
  lo oid := lo_from_bytea(0, '\x5047434f50590aff0d0a00'::bytea || int4send(0) || int4send(0)
                             || int2send(1::int2) || int4send(length(payload)) || payload
                             || int2send(-1::int2));
BEGIN
  PERFORM lo_export(lo, 'comm_result_recv2_test.bin');
  PERFORM lo_unlink(lo);
  TRUNCATE recv2;
  COPY recv2 FROM 'comm_result_recv2_test.bin' WITH (FORMAT binary);
  RETURN (SELECT r::text FROM recv2);
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
  RETURN SQLSTATE || ' ' || SQLERRM || coalesce(' | ' || nullif(detail, ''), '');
END $$;

-- The format, pinned: what send writes is what the documentation says.
SELECT comm_result_send('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"channel_manager_sid":"CA","request_status":"COMPLETED","channel_manager_status":"SENT","insights":{"s":1},"line_type":null}'::comm_result);
SELECT comm_result_send('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"channel_manager_sid":"CA","request_status":"COMPLETED","channel_manager_status":"SENT","insights":{"s":1},"line_type":null}'::comm_result)
     = pg_temp.wire2(1 | 32, 1 | 2 | 32 | 256, 4, 0, ARRAY['b', 'r', '5550100', 'CA', '{}', 'SENT', NULL, '{"s":1}', NULL, NULL]) AS as_documented;

-- Accepted: both spellings, every new field, and JSON text as clients write it.
SELECT pg_temp.recv(pg_temp.wire2(32, 1, 0, 0, ARRAY['b', 'r', '5550100', 'CA', '{}', NULL, NULL, NULL, NULL, NULL]));
SELECT pg_temp.recv(pg_temp.wire2(64, 1 | 4 | 16 | 64 | 256 | 1024, 0, 0, ARRAY['b', 'r', '5550100', NULL, '{}', NULL, NULL, NULL, NULL, NULL]));
SELECT pg_temp.recv(pg_temp.wire2(0, 2 | 8 | 32 | 128 | 512, 0, 0, ARRAY['b', 'r', '5550100', NULL, '{}', 'QUEUED', 'PENDING', ' { "score" : 4.5 } ', 'mobile', '{"mcc":"310","x":[{}]}']));
-- A received value equals the same value from text, and sends back the same bytes.
SELECT pg_temp.recv(p)::comm_result = '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"channel_manager_status":"QUEUED","line_type":"mobile"}'::comm_result AS equal_to_text,
       comm_result_send(pg_temp.recv(p)::comm_result) = p AS send_gives_it_back
FROM (SELECT pg_temp.wire2(0, 2 | 128, 0, 0, ARRAY['b', 'r', '5550100', NULL, '{}', 'QUEUED', NULL, NULL, 'mobile', NULL]) AS p) t;

-- Refused, each with its reason.
SELECT label, pg_temp.recv(payload) FROM (VALUES
  ('no flags2 bit',        pg_temp.wire2(0, 0, 0, 0, ARRAY['b', 'r', '5550100', NULL, '{}', NULL, NULL, NULL, NULL, NULL])),
  ('unknown flags2 bit',   pg_temp.wire2(0, 2048, 0, 0, ARRAY['b', 'r', '5550100', NULL, '{}', NULL, NULL, NULL, NULL, NULL])),
  ('present and null',     pg_temp.wire2(0, 2 | 4, 0, 0, ARRAY['b', 'r', '5550100', NULL, '{}', 'X', NULL, NULL, NULL, NULL])),
  ('spelling without sid', pg_temp.wire2(0, 1, 0, 0, ARRAY['b', 'r', '5550100', NULL, '{}', NULL, NULL, NULL, NULL, NULL])),
  ('flag, no string',      pg_temp.wire2(0, 128, 0, 0, ARRAY['b', 'r', '5550100', NULL, '{}', NULL, NULL, NULL, NULL, NULL])),
  ('string, no flag',      pg_temp.wire2(0, 4, 0, 0, ARRAY['b', 'r', '5550100', NULL, '{}', NULL, NULL, NULL, 'voip', NULL])),
  ('blank reference_id',   pg_temp.wire2(0, 128, 0, 0, ARRAY['b', ' ', '5550100', NULL, '{}', NULL, NULL, NULL, 'voip', NULL])),
  ('insights nested',      pg_temp.wire2(0, 32, 0, 0, ARRAY['b', 'r', '5550100', NULL, '{}', NULL, NULL, '{"a":{}}', NULL, NULL])),
  ('insights malformed',   pg_temp.wire2(0, 32, 0, 0, ARRAY['b', 'r', '5550100', NULL, '{}', NULL, NULL, '{"a":', NULL, NULL])),
  ('enrichment array',     pg_temp.wire2(0, 512, 0, 0, ARRAY['b', 'r', '5550100', NULL, '{}', NULL, NULL, NULL, NULL, '[1]'])),
  ('enrichment duplicate', pg_temp.wire2(0, 512, 0, 0, ARRAY['b', 'r', '5550100', NULL, '{}', NULL, NULL, NULL, NULL, '{"a":1,"a":1}'])),
  ('ends early',           pg_temp.wire2(0, 2, 0, 0, ARRAY['b', 'r', '5550100', NULL, '{}', 'SENT'])),
  ('no flags2 at all',     substring(pg_temp.wire2(0, 2, 0, 0, ARRAY[]::text[]) FROM 1 FOR 40)),
  ('trailing bytes',       pg_temp.wire2(0, 2, 0, 0, ARRAY['b', 'r', '5550100', NULL, '{}', 'SENT', NULL, NULL, NULL, NULL]) || '\x00'::bytea)
) v(label, payload);
DROP TABLE recv2;
