-- request_variables: any JSON object, kept exactly as jsonb keeps it:
-- unicode, escapes and value types.

SELECT '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{"s":"Ana","n":42,"f":-1.50,"e":1e2,"t":true,"F":false,"z":null,"a":[1,"2",[3]],"o":{"k":{"deep":[{}]}}}}'::comm_result;

-- Escapes come out as JSON escapes or as the characters they stand for.
SELECT request_variables(r), r::text
FROM (SELECT '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{"q":"\"quoted\"","bs":"back\\slash","nl":"line\nbreak","tab":"\t","ctl":"\u0001","u":"\u00e9\u4e2d","emoji":"\ud83d\ude00","slash":"\/"}}'::comm_result r) s;

-- Kept exactly: equal to jsonb's reading of the same object.
SELECT request_variables(r) = v::jsonb AS same_as_jsonb,
       request_variables(r)::text = v::jsonb::text AS same_text
FROM (VALUES ('{"first_name":"José","amount":12.50,"big":123456789012345678901234567890,"neg":-0.001,"list":[true,null,"x"],"nested":{"b":1,"a":2}}')) v(v),
     LATERAL (SELECT format('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":%s}', v)::comm_result r) s;

-- An empty object is fine.
SELECT request_variables('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{}}'::comm_result);

-- request_variable(r, key) is request_variables(r) ->> key.
SELECT k, request_variable(r, k), request_variable(r, k) IS NOT DISTINCT FROM request_variables(r) ->> k AS same
FROM (SELECT '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{"s":"Ana","n":1.50,"t":true,"z":null,"a":[1, 2],"o":{"k":"v"}}}'::comm_result r) s,
     unnest(ARRAY['s', 'n', 't', 'z', 'a', 'o', 'missing', '']) k;
SELECT request_variable(NULL, 'k') IS NULL AS strict1,
       request_variable('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{}}', NULL) IS NULL AS strict2;

-- Deep nesting is fine up to the stack limit, then a clean error.
SELECT length(request_variables(format('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{"d":%s%s}}',
                                       repeat('[', 1000), repeat(']', 1000))::comm_result)::text);
SELECT format('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{"d":%s%s}}',
              repeat('[', 1000000), repeat(']', 1000000))::comm_result;
