-- comm_result_merge with today's fields: the channel's own lifecycle
-- (comm_channel_statuses) and insights arriving decide at equal
-- (attempt_count, rank); merge stays commutative, associative and
-- idempotent, so re-ingested snapshots converge in any order.

-- The stage table, as merge reads it.
SELECT stage, stage_name, string_agg(channel_manager_status, ' ' ORDER BY channel_manager_status) AS statuses, count(*)
FROM comm_channel_statuses() GROUP BY 1, 2 ORDER BY 1;
SELECT count(*) AS documented, count(DISTINCT channel_manager_status) AS distinct_names FROM comm_channel_statuses();

CREATE FUNCTION pg_temp.snap(extra text) RETURNS comm_result LANGUAGE sql AS $$
  SELECT ('{"batch_id":"b","reference_id":"1","target":"+15125550001","request_variables":{},"request_status":"COMPLETED","attempt_count":1' || extra || '}')::comm_result
$$;
-- Pairs: who wins at equal progress, both argument orders.
SELECT a, b, channel_manager_status(comm_result_merge(pg_temp.snap(a), pg_temp.snap(b))) AS ab,
             channel_manager_status(comm_result_merge(pg_temp.snap(b), pg_temp.snap(a))) AS ba
FROM (VALUES (',"channel_manager_status":"QUEUED"',    ',"channel_manager_status":"SENDING"'),
             (',"channel_manager_status":"SENT"',      ',"channel_manager_status":"DELIVERED"'),
             (',"channel_manager_status":"DELIVERED"', ',"channel_manager_status":"OPENED"'),
             (',"channel_manager_status":"OPENED"',    ',"channel_manager_status":"CLICKED"'),
             (',"channel_manager_status":"CLICKED"',   ',"channel_manager_status":"BOUNCED"'),
             (',"channel_manager_status":"SENDING"',   ',"channel_manager_status":"UNDELIVERED"'),
             (',"channel_manager_status":"IN-PROGRESS"', ',"channel_manager_status":"NO-ANSWER"'),
             (',"channel_manager_status":"HUMAN"',     ',"channel_manager_status":"COMPLETED"'),
             (',"channel_manager_status":"BRAND_NEW"', ',"channel_manager_status":"QUEUED"'),
             (',"channel_manager_status":"BUSY"',      ',"channel_manager_status":"NO-ANSWER"'),
             ('',                                      ',"channel_manager_status":null'),
             (',"channel_manager_status":null',        ',"channel_manager_status":"QUEUED"')) t(a, b);
-- Further progress wins whole: a new attempt's QUEUED beats the last attempt's DELIVERED.
SELECT comm_result_merge(pg_temp.snap(',"channel_manager_status":"DELIVERED"'),
                         '{"batch_id":"b","reference_id":"1","target":"+15125550001","request_variables":{},"request_status":"INITIATED","attempt_count":2,"channel_manager_status":"QUEUED"}') AS new_attempt;
-- Insights that arrived win over none; insights_status by its stage.
SELECT comm_result_merge(pg_temp.snap(',"insights_status":"PENDING","insights":null'),
                         pg_temp.snap(',"insights_status":"COMPLETED","insights":{"rating":"Good"}')) AS insights_arrived,
       comm_result_merge(pg_temp.snap(',"insights_status":"COMPLETED","insights":{"rating":"Good"}'),
                         pg_temp.snap(',"insights_status":"PENDING"')) AS insights_kept;
-- The sid's two names: at equal value today's name wins, in either order.
SELECT comm_result_merge(pg_temp.snap(',"call_manager_sid":"CA1"'), pg_temp.snap(',"channel_manager_sid":"CA1"'))
     = comm_result_merge(pg_temp.snap(',"channel_manager_sid":"CA1"'), pg_temp.snap(',"call_manager_sid":"CA1"')) AS sid_name_commutes,
       channel_manager_sid(comm_result_merge(pg_temp.snap(',"call_manager_sid":"CA1"'), pg_temp.snap(',"channel_manager_sid":"CA1"'))) AS sid;
-- April values merge to April values, byte for byte as in 1.1.
SELECT get_byte(comm_result_send(comm_result_merge(pg_temp.snap(',"call_manager_sid":"LM1"'), pg_temp.snap(',"call_manager_sid":"LM2","session_id":5'))), 0) AS wire_version;

-- Thousands of generated snapshots of one request with today's fields.
CREATE TEMP TABLE snaps AS
SELECT i, format('{"batch_id":"b","reference_id":"1","target":"+15125550001","request_variables":{"v":%s},"request_status":"%s","attempt_count":%s%s%s%s%s%s%s}',
         i % 2,
         (ARRAY['PENDING','INITIATED','CONNECTED','COMPLETED','FAILED'])[1 + (i / 2) % 5],
         (i / 10) % 3,
         CASE (i / 30) % 3 WHEN 0 THEN '' WHEN 1 THEN ',"channel_manager_sid":"CA' || (i / 90) % 2 || '"' ELSE ',"call_manager_sid":"CA' || (i / 90) % 2 || '"' END,
         CASE (i / 7) % 9 WHEN 0 THEN '' WHEN 1 THEN ',"channel_manager_status":null'
              ELSE ',"channel_manager_status":"' || (ARRAY['QUEUED','SENT','DELIVERED','OPENED','BOUNCED','NO-ANSWER','ODD_NEW'])[(i / 7) % 9 - 1] || '"' END,
         CASE (i / 11) % 4 WHEN 0 THEN '' WHEN 1 THEN ',"insights":null' WHEN 2 THEN ',"insights":{"score":' || i % 5 || '}' ELSE ',"insights":{"rating":"Good"}' END,
         CASE (i / 13) % 4 WHEN 0 THEN '' WHEN 1 THEN ',"insights_status":null' WHEN 2 THEN ',"insights_status":"PENDING"' ELSE ',"insights_status":"COMPLETED"' END,
         CASE (i / 17) % 3 WHEN 0 THEN '' WHEN 1 THEN ',"line_type":null' ELSE ',"line_type":"' || (ARRAY['mobile','voip'])[1 + i % 2] || '"' END,
         CASE (i / 19) % 3 WHEN 0 THEN '' WHEN 1 THEN ',"enrichment":null' ELSE ',"enrichment":{"mcc":"' || i % 3 || '"}' END
       )::comm_result AS r
FROM generate_series(1, 4000) i;
CREATE TEMP TABLE triples AS
SELECT a.r AS a, b.r AS b, c.r AS c
FROM snaps a JOIN snaps b ON b.i = (a.i * 7 + 3) % 4000 + 1 JOIN snaps c ON c.i = (a.i * 13 + 5) % 4000 + 1;
SELECT count(*) AS triples,
       count(*) FILTER (WHERE comm_result_merge(a, b) = comm_result_merge(b, a)) AS commutative,
       count(*) FILTER (WHERE comm_result_merge(comm_result_merge(a, b), c) = comm_result_merge(a, comm_result_merge(b, c))) AS associative,
       count(*) FILTER (WHERE comm_result_merge(a, a) = a) AS idempotent,
       count(*) FILTER (WHERE comm_result_merge(comm_result_merge(a, b), b) = comm_result_merge(a, b)) AS absorbs
FROM triples;
-- Any ingest order converges: comm_result_latest over three orders.
SELECT count(DISTINCT latest) AS distinct_results FROM (
  SELECT comm_result_latest(r ORDER BY i) AS latest FROM snaps
  UNION ALL SELECT comm_result_latest(r ORDER BY i DESC) FROM snaps
  UNION ALL SELECT comm_result_latest(r ORDER BY md5(i::text)) FROM snaps) t;
SELECT comm_result_latest(r ORDER BY i) AS latest FROM snaps;
