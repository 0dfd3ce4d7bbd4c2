-- Binary I/O: format version 1 (see README), pinned here byte by byte;
-- recv trusts nothing and validates like text input.

-- Build a wire-format payload from its parts (vars NULL: stop after strs).
CREATE FUNCTION pg_temp.wire(version int, flags int, status int, attempts int,
                             created bigint, sent bigint, session bigint, conv bigint,
                             strs text[], vars text) RETURNS bytea
LANGUAGE sql AS $$
  SELECT set_byte('\x00'::bytea, 0, version) || int2send(flags::int2)
      || set_byte('\x00'::bytea, 0, status) || int4send(attempts)
      || int8send(created) || int8send(sent) || int8send(session) || int8send(conv)
      || (SELECT coalesce(string_agg(CASE WHEN s IS NULL THEN int4send(-1)
                                 ELSE int4send(octet_length(convert_to(s, 'UTF8'))) || convert_to(s, 'UTF8') END,
                            ''::bytea ORDER BY n), '')
          FROM unnest(CASE WHEN vars IS NULL THEN strs ELSE strs || vars END) WITH ORDINALITY u(s, n))
$$;

-- Wrap a payload in a binary COPY file and load it through comm_result_recv.
CREATE TABLE recv_target (r comm_result);
CREATE FUNCTION pg_temp.recv(payload bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  detail text;
  lo oid := lo_from_bytea(0, '\x5047434f50590aff0d0a00'::bytea || int4send(0) || int4send(0)
                             || int2send(1::int2) || int4send(length(payload)) || payload
                             || int2send(-1::int2));
BEGIN
  PERFORM lo_export(lo, 'comm_result_recv_test.bin');
  PERFORM lo_unlink(lo);
  TRUNCATE recv_target;
  COPY recv_target FROM 'comm_result_recv_test.bin' WITH (FORMAT binary);
  RETURN (SELECT r::text FROM recv_target);
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
  RETURN SQLSTATE || ' ' || SQLERRM || coalesce(' | ' || nullif(detail, ''), '');
END $$;

-- The format, pinned.
SELECT comm_result_send('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{"k":"é"},"request_status":"COMPLETED","call_manager_sid":"LM","created_at":"2000-01-01T00:00:01Z","sent_at":null,"attempt_count":2,"session_id":7}'::comm_result);
SELECT comm_result_send('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{"k":"é"},"request_status":"COMPLETED","call_manager_sid":"LM","created_at":"2000-01-01T00:00:01Z","sent_at":null,"attempt_count":2,"session_id":7}'::comm_result)
     = pg_temp.wire(1, 1 | 4 | 16 | 32 | 128, 4, 2, 1000000, 0, 7, 0, ARRAY['b', 'r', '5550100', 'LM'], '{"k":"é"}') AS as_documented;

-- A well-formed payload is accepted.
SELECT pg_temp.recv(pg_temp.wire(1, 1 | 4 | 16 | 32 | 128, 4, 2, 1000000, 0, 7, 0, ARRAY['b', 'r', '5550100', 'LM'], '{"k":"é"}'));
SELECT pg_temp.recv(pg_temp.wire(1, 0, 0, 0, 0, 0, 0, 0, ARRAY['b', 'r', 'a@b.co', NULL], '{}'));
SELECT pg_temp.recv(pg_temp.wire(1, 64 | 256 | 1024, 0, 0, 0, 0, 0, 0, ARRAY['b', 'r', 'a@b.co', NULL], ' { "z" : [ 1 ] , "a" : null } '));

-- Everything else is a clean error.
SELECT label, pg_temp.recv(payload) FROM (VALUES
  ('empty', ''::bytea),
  ('version 0', pg_temp.wire(0, 0, 0, 0, 0, 0, 0, 0, ARRAY['b', 'r', '5550100', NULL], '{}')),
  ('version 2', pg_temp.wire(2, 0, 0, 0, 0, 0, 0, 0, ARRAY['b', 'r', '5550100', NULL], '{}')),
  ('version only', '\x01'::bytea),
  ('short fixed part', '\x010000000000000000'::bytea),
  ('unknown flag', pg_temp.wire(1, 2048, 0, 0, 0, 0, 0, 0, ARRAY['b', 'r', '5550100', NULL], '{}')),
  ('attempts flag', pg_temp.wire(1, 2, 0, 1, 0, 0, 0, 0, ARRAY['b', 'r', '5550100', NULL], '{}')),
  ('present and null', pg_temp.wire(1, 8 | 16, 0, 0, 5, 0, 0, 0, ARRAY['b', 'r', '5550100', NULL], '{}')),
  ('absent with value', pg_temp.wire(1, 0, 0, 0, 0, 0, 12, 0, ARRAY['b', 'r', '5550100', NULL], '{}')),
  ('status without flag', pg_temp.wire(1, 0, 3, 0, 0, 0, 0, 0, ARRAY['b', 'r', '5550100', NULL], '{}')),
  ('status 12', pg_temp.wire(1, 1, 12, 0, 0, 0, 0, 0, ARRAY['b', 'r', '5550100', NULL], '{}')),
  ('status 255', pg_temp.wire(1, 1, 255, 0, 0, 0, 0, 0, ARRAY['b', 'r', '5550100', NULL], '{}')),
  ('negative attempts', pg_temp.wire(1, 0, 0, -1, 0, 0, 0, 0, ARRAY['b', 'r', '5550100', NULL], '{}')),
  ('negative session', pg_temp.wire(1, 128, 0, 0, 0, 0, -1, 0, ARRAY['b', 'r', '5550100', NULL], '{}')),
  ('created too late', pg_temp.wire(1, 4, 0, 0, 9223372036854775807, 0, 0, 0, ARRAY['b', 'r', '5550100', NULL], '{}')),
  ('sent too early', pg_temp.wire(1, 8, 0, 0, 0, -9223372036854775808, 0, 0, ARRAY['b', 'r', '5550100', NULL], '{}')),
  ('sid flag, no sid', pg_temp.wire(1, 32, 0, 0, 0, 0, 0, 0, ARRAY['b', 'r', '5550100', NULL], '{}')),
  ('sid, no flag', pg_temp.wire(1, 0, 0, 0, 0, 0, 0, 0, ARRAY['b', 'r', '5550100', 'LM'], '{}')),
  ('null batch_id', pg_temp.wire(1, 0, 0, 0, 0, 0, 0, 0, ARRAY[NULL, 'r', '5550100', NULL], '{}')),
  ('blank batch_id', pg_temp.wire(1, 0, 0, 0, 0, 0, 0, 0, ARRAY[' ', 'r', '5550100', NULL], '{}')),
  ('bad target', pg_temp.wire(1, 0, 0, 0, 0, 0, 0, 0, ARRAY['b', 'r', '12', NULL], '{}')),
  ('variables array', pg_temp.wire(1, 0, 0, 0, 0, 0, 0, 0, ARRAY['b', 'r', '5550100', NULL], '[]')),
  ('variables malformed', pg_temp.wire(1, 0, 0, 0, 0, 0, 0, 0, ARRAY['b', 'r', '5550100', NULL], '{"a":')),
  ('variables duplicate', pg_temp.wire(1, 0, 0, 0, 0, 0, 0, 0, ARRAY['b', 'r', '5550100', NULL], '{"a":1,"a":2}')),
  ('variables missing', substring(pg_temp.wire(1, 0, 0, 0, 0, 0, 0, 0, ARRAY['b', 'r', '5550100', NULL], '{}') FROM 1 FOR 68)),
  ('trailing bytes', pg_temp.wire(1, 0, 0, 0, 0, 0, 0, 0, ARRAY['b', 'r', '5550100', NULL], '{}') || '\x00'::bytea),
  ('negative length', pg_temp.wire(1, 0, 0, 0, 0, 0, 0, 0, '{}'::text[], NULL) || int4send(-2)),
  ('length past end', pg_temp.wire(1, 0, 0, 0, 0, 0, 0, 0, '{}'::text[], NULL) || int4send(1000) || '\x6262'::bytea),
  ('huge length', pg_temp.wire(1, 0, 0, 0, 0, 0, 0, 0, '{}'::text[], NULL) || int4send(2147483647)),
  ('zero byte', pg_temp.wire(1, 0, 0, 0, 0, 0, 0, 0, '{}'::text[], NULL) || int4send(3) || '\x610062'::bytea),
  ('invalid UTF-8', pg_temp.wire(1, 0, 0, 0, 0, 0, 0, 0, '{}'::text[], NULL) || int4send(2) || '\xc328'::bytea)
) v(label, payload);

-- COPY in binary to a file and back gives the same values.
CREATE TABLE bin_src (id int, r comm_result);
INSERT INTO bin_src VALUES
 (1, '{"batch_id":"20250117.9","reference_id":"12345","target":"user@email.com","request_variables":{"first_name":"Ana","n":[1.50,{"x":null}]},"request_status":"INITIATED","call_manager_sid":"LMc4b16a9df2ce33d84b3d30581fe6598c","created_at":"2024-01-01T00:00:00Z","sent_at":"2024-01-02T00:00:00.5Z","attempt_count":1,"session_id":1,"conversation_id":null}'),
 (2, '{"batch_id":"批次","reference_id":"😀","target":"用户@例子.广告","request_variables":{"e":"\u00e9\t\""},"sent_at":null,"call_manager_sid":null,"session_id":null}'),
 (3, '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{}}'),
 (4, NULL);
CREATE TABLE bin_dst (LIKE bin_src);
DO $$
DECLARE f text := current_setting('data_directory') || '/comm_result_binary.copy';
BEGIN
  EXECUTE format('COPY bin_src TO %L WITH (FORMAT binary)', f);
  EXECUTE format('COPY bin_dst FROM %L WITH (FORMAT binary)', f);
END $$;
SELECT count(*) AS rows, count(*) FILTER (WHERE s.r = d.r OR (s.r IS NULL AND d.r IS NULL)) AS equal,
       count(*) FILTER (WHERE s.r::text IS NOT DISTINCT FROM d.r::text) AS same_text
FROM bin_src s JOIN bin_dst d USING (id);

DROP TABLE recv_target, bin_src, bin_dst;
