-- Casts: comm_result to jsonb and json, jsonb to comm_result (explicit, no
-- detour through text), and comm_results for an API response array.

SELECT r::jsonb, r::json
FROM (SELECT '{"batch_id":"20250117.9","reference_id":"12345","target":"user@email.com","request_variables":{"first_name":"Ana","n":[1,2.50]},"request_status":"INITIATED","call_manager_sid":null,"created_at":"2024-01-01T01:00:00+01:00","attempt_count":1,"session_id":1,"conversation_id":null}'::comm_result r) s;

-- json is the canonical text; jsonb holds the same object.
SELECT r::json::text = r::text AS json_is_text, r::jsonb = r::text::jsonb AS jsonb_same
FROM (SELECT '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{"é":"\u00e9","x":{"y":[null]}},"sent_at":null}'::comm_result r) s;

-- jsonb -> comm_result equals text input of the same JSON.
SELECT t::jsonb::comm_result = t::comm_result AS same
FROM (VALUES
  ('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{"b":{"c":[1,{"d":2}]},"a":"x"}}'),
  ('{"batch_id":"b","reference_id":"r","target":"a@b.co","request_variables":{},"request_status":"FAILED","call_manager_sid":"LM","created_at":"2024-01-01T00:00:00.000001Z","sent_at":null,"attempt_count":3,"session_id":null,"conversation_id":5}'),
  ('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{"n":1.50,"m":-0}}')
) v(t);

-- jsonb errors: same rules as text, same codes.
SELECT '[]'::jsonb::comm_result;
SELECT '3'::jsonb::comm_result;
SELECT '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"extra":1}'::jsonb::comm_result;
SELECT '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"attempt_count":1.0}'::jsonb::comm_result;
SELECT '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"session_id":1e30}'::jsonb::comm_result;
SELECT '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":[]}'::jsonb::comm_result;
SELECT '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"created_at":"2024-01-01"}'::jsonb::comm_result;
SELECT '{"batch_id":"b","reference_id":"r","target":"5550100"}'::jsonb::comm_result;
-- jsonb has already normalised 1e2 to 100, so it reads as an integer.
SELECT attempt_count('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"attempt_count":1e2}'::jsonb::comm_result);
-- No implicit cast from jsonb.
SELECT batch_id('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{}}'::jsonb);

-- comm_results: one value per element of an API response array.
SELECT batch_id(r), reference_id(r), request_status(r)
FROM comm_results('[{"batch_id":"b","reference_id":"1","target":"5550100","request_variables":{},"request_status":"COMPLETED"},
                    {"batch_id":"b","reference_id":"2","target":"a@b.co","request_variables":{"x":1}}]') r;
SELECT count(*) FROM comm_results('[]');
SELECT count(*) AS rows_for_null FROM comm_results(NULL);
-- A bad element is named by its index.
SELECT * FROM comm_results('[{"batch_id":"b","reference_id":"1","target":"5550100","request_variables":{}},
                             {"batch_id":"b","reference_id":"2","target":"bad","request_variables":{}}]');
SELECT * FROM comm_results('[{"batch_id":"b","reference_id":"1","target":"5550100","request_variables":{}}, 42]');
SELECT * FROM comm_results('{"results":[]}');
SELECT * FROM comm_results('"x"');
