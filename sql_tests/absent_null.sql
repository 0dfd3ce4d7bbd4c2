-- Absent and null are different for call_manager_sid, sent_at, session_id
-- and conversation_id: the value remembers which and prints it back.
-- request_status, created_at and attempt_count are not nullable: null there
-- reads as absent.

WITH base(j) AS (VALUES ('"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{}'))
SELECT f AS field, mode,
       format('{%s%s}', j, CASE mode WHEN 'absent' THEN '' WHEN 'null' THEN format(',"%s":null', f) END)::comm_result::text AS canonical
FROM base,
     unnest(ARRAY['call_manager_sid', 'sent_at', 'session_id', 'conversation_id',
                  'request_status', 'created_at', 'attempt_count']) f,
     unnest(ARRAY['absent', 'null']) mode
ORDER BY f, mode;

-- Absent and null values are not equal, and both read as SQL NULL.
WITH v(a, n) AS (VALUES (
  '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{}}'::comm_result,
  '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"call_manager_sid":null,"sent_at":null,"session_id":null,"conversation_id":null}'::comm_result))
SELECT a = n AS equal, call_manager_sid(n) IS NULL AS sid, sent_at(n) IS NULL AS sent,
       session_id(n) IS NULL AS session, conversation_id(n) IS NULL AS conversation,
       n::jsonb ? 'sent_at' AS null_key_kept, a::jsonb ? 'sent_at' AS absent_key_left_out
FROM v;

-- The distinction survives jsonb, binary and text round trips.
SELECT r::jsonb::comm_result = r AS jsonb_round_trip, r::text::comm_result = r AS text_round_trip
FROM (VALUES ('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"sent_at":null,"session_id":3}'::comm_result),
             ('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"call_manager_sid":null,"conversation_id":null}'::comm_result)) v(r);
