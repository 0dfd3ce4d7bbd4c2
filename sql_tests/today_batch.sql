-- Loading today's endpoint: GET /api/v1/outbound/batches/{batch_id}/results
-- returns an array of records without batch_id; the batch id of the URL
-- goes in as an argument.

SELECT batch_id(r), reference_id(r), channel_manager_status(r), line_type(r)
FROM comm_results('[
  {"reference_id":"1","target":"+15125550001","request_variables":{"first_name":"Ana"},"channel_manager_sid":"CA1","created_at":"2026-08-01T10:00:00Z","sent_at":"2026-08-01T10:00:05Z","attempt_count":1,"session_id":null,"conversation_id":null,"request_status":"COMPLETED","channel_manager_status":"COMPLETED","insights_status":"COMPLETED","insights":{"rating":"Good","score":4.5},"line_type":"mobile","enrichment":{"line_type":"mobile","carrier_name":"Acme"}},
  {"reference_id":"2","target":"+15125550002","request_variables":{},"channel_manager_sid":null,"created_at":"2026-08-01T10:00:00Z","sent_at":null,"attempt_count":0,"session_id":null,"conversation_id":null,"request_status":"PENDING","channel_manager_status":null,"insights_status":null,"insights":null,"line_type":null,"enrichment":null},
  {"batch_id":"20260801.1","reference_id":"3","target":"a@b.co","request_variables":{}}
]'::jsonb, '20260801.1') r;

-- A record whose batch_id differs from the URL's is refused, naming both.
SELECT * FROM comm_results('[{"reference_id":"1","target":"+15125550001","request_variables":{}},
                             {"batch_id":"other","reference_id":"2","target":"+15125550002","request_variables":{}}]', '20260801.1');
-- The element's index is in CONTEXT; a bad batch id argument is refused like a bad field.
SELECT * FROM comm_results('[{"reference_id":"1","target":"+15125550001","request_variables":{}}]', ' ');
SELECT * FROM comm_results('[{"reference_id":"1","target":"x","request_variables":{}}]', 'b');
SELECT * FROM comm_results('{"results":[]}', 'b');
-- Without the batch id, today's records are refused with a hint.
SELECT * FROM comm_results('[{"reference_id":"1","target":"+15125550001","request_variables":{}}]');
-- STRICT: a NULL batch id gives no rows, like a NULL response.
SELECT count(*) FROM comm_results('[{"reference_id":"1","target":"+15125550001","request_variables":{}}]', NULL);

-- One record at a time: comm_result_from_jsonb(record, batch_id).
SELECT comm_result_from_jsonb('{"reference_id":"1","target":"+15125550001","request_variables":{},"channel_manager_sid":"CA1"}', '20260801.1');
SELECT comm_result_from_jsonb('{"batch_id":"20260801.1","reference_id":"1","target":"+15125550001","request_variables":{}}', '20260801.1')
     = '{"batch_id":"20260801.1","reference_id":"1","target":"+15125550001","request_variables":{}}'::comm_result AS same_as_carried;
SELECT comm_result_from_jsonb('{"batch_id":"20260801.2","reference_id":"1","target":"+15125550001","request_variables":{}}', '20260801.1');
SELECT comm_result_from_jsonb('{"batch_id":5,"reference_id":"1","target":"+15125550001","request_variables":{}}', '20260801.1');
-- the plain cast keeps requiring batch_id
SELECT '{"reference_id":"1","target":"+15125550001","request_variables":{}}'::jsonb::comm_result;

-- The usual load: a staging table of raw responses, one row per request.
CREATE TEMP TABLE responses (batch_id text, body jsonb);
INSERT INTO responses VALUES
  ('20260801.1', '[{"reference_id":"1","target":"+15125550001","request_variables":{},"request_status":"COMPLETED","channel_manager_status":"DELIVERED","line_type":"mobile"},
                   {"reference_id":"2","target":"+15125550002","request_variables":{},"request_status":"FAILED","channel_manager_status":"UNDELIVERED","line_type":"landline"}]'),
  ('20260801.2', '[{"reference_id":"1","target":"+15125550003","request_variables":{},"request_status":"COMPLETED","channel_manager_status":"DELIVERED","line_type":"mobile"}]');
CREATE TEMP TABLE results AS SELECT r FROM responses, comm_results(body, batch_id) r;
SELECT batch_id(r) AS batch, (comm_batch_summary(r)).total, comm_channel_status_counts(r), comm_line_type_counts(r)
FROM results GROUP BY 1 ORDER BY 1;

-- The response body as text, as the endpoint sends it: the same values as
-- through jsonb, without building a jsonb of the whole array.
CREATE TEMP TABLE bodies (batch_id text, body text);
INSERT INTO bodies SELECT batch_id, body::text FROM responses;
INSERT INTO bodies VALUES ('20260801.3', E' [ \n {"reference_id":"x]","target":"+15125550009","request_variables":{"a":[1,[2,{"b":"]}"}]]},"line_type":"voip"} ,\n{"reference_id":"y","target":"a@b.co","request_variables":{}} ] ');
SELECT b.batch_id, count(*) AS n,
       bool_and(EXISTS (SELECT 1 FROM comm_results(b.body::jsonb, b.batch_id) j WHERE j = t)) AS same_as_jsonb
FROM bodies b, comm_results(b.body, b.batch_id) t GROUP BY 1 ORDER BY 1;
SELECT reference_id(r), request_variables(r), line_type(r) FROM comm_results((SELECT body FROM bodies WHERE batch_id = '20260801.3'), '20260801.3') r;
SELECT count(*) FROM comm_results('[]'::text, 'b');
-- unknown literals resolve to the text path, which reads the text itself
SELECT reference_id(r) FROM comm_results('[{"reference_id":"1","target":"+15125550001","request_variables":{}}]', 'b') r;
-- where jsonb would have normalised silently, the text path refuses
SELECT count(*) FROM comm_results('[{"reference_id":"1","target":"+15125550001","request_variables":{},"line_type":"a","line_type":"b"}]'::jsonb, 'b');
SELECT count(*) FROM comm_results('[{"reference_id":"1","target":"+15125550001","request_variables":{},"line_type":"a","line_type":"b"}]'::text, 'b');
-- errors: the element is named, malformed JSON and non-arrays are refused
SELECT * FROM comm_results('[{"reference_id":"1","target":"+15125550001","request_variables":{}}, 5]'::text, 'b');
SELECT * FROM comm_results('[{"reference_id":"1","target":"+15125550001","request_variables":{}}, [{}]]'::text, 'b');
SELECT * FROM comm_results('[{"reference_id":"1","target":"x","request_variables":{}}]'::text, 'b');
SELECT * FROM comm_results('[{"batch_id":"c","reference_id":"1","target":"+15125550001","request_variables":{}}]'::text, 'b');
SELECT * FROM comm_results('[{"reference_id":"1",]'::text, 'b');
SELECT * FROM comm_results('{"results":[]}'::text, 'b');
SELECT * FROM comm_results('"x"'::text, 'b');
SELECT * FROM comm_results('[1] 2'::text, 'b');
SELECT count(*) FROM comm_results(NULL::text, 'b');
