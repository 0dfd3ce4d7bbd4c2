-- Text input and canonical output: the API's JSON object goes in as is and
-- comes out compact, keys in table order, absent fields left out.

-- The example from the API documentation.
SELECT '{"batch_id":"20250117.9","reference_id":"12345","target":"user@email.com",
         "request_variables":{"first_name":"Ana"},"request_status":"INITIATED",
         "call_manager_sid":"LMc4b16a9df2ce33d84b3d30581fe6598c",
         "created_at":"2024-01-01T00:00:00Z","sent_at":"2024-01-02T00:00:00Z",
         "attempt_count":1,"session_id":1,"conversation_id":null}'::comm_result;

-- Only the required fields: attempt_count is always printed.
SELECT '{"batch_id":"b1","reference_id":"r1","target":"+15125551234","request_variables":{}}'::comm_result;

-- Keys in any order, with whitespace, come out in table order.
SELECT '  { "conversation_id" : 7 , "attempt_count" : 2 , "session_id" : 5 ,
   "sent_at" : null , "created_at" : "2024-05-06T07:08:09Z" ,
   "call_manager_sid" : "LM1" , "request_status" : "COMPLETED" ,
   "request_variables" : { "b" : 2 , "a" : 1 } , "target" : "a@example.com" ,
   "reference_id" : "r" , "batch_id" : "b" }  '::comm_result;

-- Every status.
SELECT s, format('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"request_status":"%s"}', s)::comm_result
FROM unnest(ARRAY['PENDING','DUPLICATE','INITIATED','CONNECTED','COMPLETED','FAILED','CANCELED','INVALID','SKIPPED']) s;

-- Strings keep leading and trailing spaces, control characters and unicode.
SELECT '{"batch_id":" 20250117.9 ","reference_id":"ref\t1\u0001","target":"5550100","request_variables":{},"call_manager_sid":" LM\u00e9 "}'::comm_result;
SELECT batch_id(r) = ' 20250117.9 ', reference_id(r) = E'ref\t1\x01', call_manager_sid(r) = ' LMé '
FROM (SELECT '{"batch_id":" 20250117.9 ","reference_id":"ref\t1\u0001","target":"5550100","request_variables":{},"call_manager_sid":" LM\u00e9 "}'::comm_result r) s;
SELECT '{"batch_id":"批次","reference_id":"😀","target":"用户@例子.广告","request_variables":{}}'::comm_result;

-- Strings of 4 KiB and more are accepted.
SELECT length(batch_id(r)), length(reference_id(r)), length(call_manager_sid(r))
FROM (SELECT format('{"batch_id":"%s","reference_id":"%s","target":"5550100","request_variables":{},"call_manager_sid":"%s"}',
                    repeat('b', 4096), repeat('r', 5000), repeat('s', 4096))::comm_result r) s;

-- out(in(x)) is canonical and stable: printing, reading and printing again
-- changes nothing.
WITH v(t) AS (VALUES
  ('{"batch_id":"b","reference_id":"r","target":"tel:+15550100199","request_variables":{"x":[1,{"y":null}],"n":1.50},"created_at":"2024-01-01T01:00:00+01:00"}'),
  ('{"target":"UPPER.Case@Example.COM","reference_id":"r","batch_id":"b","request_variables":{"e":"\u00e9\n"},"sent_at":null,"session_id":null}')
)
SELECT t::comm_result::text = t::comm_result::text::comm_result::text AS stable,
       t::comm_result = t::comm_result::text::comm_result AS round_trip
FROM v;

-- NULL in, NULL out.
SELECT NULL::text::comm_result IS NULL AS is_null;
