-- comm_result(...): named arguments, SQL NULL means absent; the value goes
-- through the same validation as text input.

SELECT comm_result('20250117.9', '12345', 'user@email.com', '{"first_name":"Ana"}');
SELECT comm_result(batch_id => 'b', reference_id => 'r', target => '+15125551234',
                   request_variables => '{"x":1}', request_status => 'COMPLETED',
                   call_manager_sid => 'LM1', created_at => '2024-01-01 02:00:00+02',
                   sent_at => '2024-01-01 00:00:01.5+00', attempt_count => 3,
                   session_id => 10, conversation_id => 11);
-- Same value as the text input.
SELECT comm_result('b', 'r', '5550100', '{}', request_status => 'PENDING', attempt_count => 0)
     = '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"request_status":"PENDING"}'::comm_result AS same;
-- NULL optional arguments leave the fields absent.
SELECT comm_result('b', 'r', '5550100', '{}', NULL, NULL, NULL, NULL, NULL, NULL, NULL);

-- Errors.
SELECT comm_result(NULL, 'r', '5550100', '{}');
SELECT comm_result('b', NULL, '5550100', '{}');
SELECT comm_result('b', 'r', NULL, '{}');
SELECT comm_result('b', 'r', '5550100', NULL);
SELECT comm_result(' ', 'r', '5550100', '{}');
SELECT comm_result('b', 'r', 'nobody', '{}');
SELECT comm_result('b', 'r', '5550100', '[1]');
SELECT comm_result('b', 'r', '5550100', '"text"');
SELECT comm_result('b', 'r', '5550100', '7');
-- (an empty sid is a value since 1.3, not an error)
SELECT comm_result('b', 'r', '5550100', '{}', call_manager_sid => '');
SELECT comm_result('b', 'r', '5550100', '{}', attempt_count => -1);
SELECT comm_result('b', 'r', '5550100', '{}', session_id => -5);
SELECT comm_result('b', 'r', '5550100', '{}', conversation_id => -1);
SELECT comm_result('b', 'r', '5550100', '{}', created_at => 'infinity');
SELECT comm_result('b', 'r', '5550100', '{}', sent_at => '-infinity');
SELECT comm_result('b', 'r', '5550100', '{}', sent_at => '10000-01-01 00:00:00+00');
