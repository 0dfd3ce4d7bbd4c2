-- The status lifecycle: the transition table, one-step checks, and
-- comm_result_transition with its side effects and errors.

CREATE FUNCTION pg_temp.try_move(f comm_status, t comm_status) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  detail text;
  hint text;
BEGIN
  RETURN comm_result_transition(comm_result('b', 'r', '5550100', '{}', f), t, '2024-05-01 10:00:00+00')::text;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
  RETURN SQLSTATE || ' ' || SQLERRM || ' | ' || detail || ' | ' || hint;
END $$;

-- The table, the one source of truth.
SELECT * FROM comm_status_transitions();

-- comm_status_can_transition agrees with the table on all 144 pairs: true
-- exactly for the listed moves and for staying put.
WITH s(s) AS (SELECT status FROM comm_statuses())
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE comm_status_can_transition(f.s, t.s) IS DISTINCT FROM
                              (f.s = t.s OR EXISTS (SELECT 1 FROM comm_status_transitions() x
                                                    WHERE x.from_status = f.s AND x.to_status = t.s))) AS disagreements
FROM s f, s t;

-- Next statuses and terminal statuses, also from the table.
SELECT s, comm_status_next(s), comm_status_is_terminal(s),
       comm_status_next(s) = coalesce((SELECT array_agg(to_status ORDER BY to_status)
                                       FROM comm_status_transitions() WHERE from_status = s), '{}') AS matches_table
FROM (SELECT status FROM comm_statuses()) x(s);

-- NULL from counts as PENDING; NULL to gives NULL.
SELECT comm_status_can_transition(NULL, 'INITIATED') AS absent_to_initiated,
       comm_status_can_transition(NULL, 'CONNECTED') AS absent_to_connected,
       comm_status_can_transition('PENDING', NULL) IS NULL AS null_to,
       comm_status_next(NULL) IS NULL AS strict_next;

CREATE TABLE lc (id int, r comm_result);
INSERT INTO lc VALUES
 (1, '{"batch_id":"b","reference_id":"r1","target":"5550100","request_variables":{}}'),
 (2, '{"batch_id":"b","reference_id":"r2","target":"5550100","request_variables":{},"request_status":"PENDING","sent_at":null}'),
 (3, '{"batch_id":"b","reference_id":"r3","target":"5550100","request_variables":{},"request_status":"FAILED","attempt_count":1,"sent_at":"2024-01-01T00:00:00Z"}');

-- Moving to INITIATED adds an attempt and sets sent_at when absent or null.
SELECT id, comm_result_transition(r, 'INITIATED', '2024-05-01 10:00:00+00')::text
FROM lc ORDER BY id;
-- The optional ids set their fields.
SELECT comm_result_transition(r, 'INITIATED', '2024-05-01 10:00:00+00', call_manager_sid => 'LM9',
                              session_id => 5, conversation_id => 6)::text
FROM lc WHERE id = 2;
-- Staying put changes nothing (an absent status stays absent)...
SELECT id, comm_result_transition(r, coalesce(request_status(r), 'PENDING'), '2024-05-01 10:00:00+00') = r AS unchanged
FROM lc ORDER BY id;
-- ... except the ids given.
SELECT comm_result_transition(r, 'FAILED', '2024-05-01 10:00:00+00', session_id => 8)::text FROM lc WHERE id = 3;
-- The default for "at" is now(): sent_at becomes the transaction's time.
SELECT sent_at(comm_result_transition(r, 'INITIATED')) = now() AS at_defaults_to_now FROM lc WHERE id = 1;

-- A walk through the whole lifecycle, every allowed move once.
WITH RECURSIVE moves AS (SELECT * FROM comm_status_transitions())
SELECT m.from_status, m.to_status,
       request_status(comm_result_transition(comm_result('b', 'r', '5550100', '{}', m.from_status, attempt_count => 1),
                                             m.to_status, '2024-05-01 10:00:00+00')) AS result,
       attempt_count(comm_result_transition(comm_result('b', 'r', '5550100', '{}', m.from_status, attempt_count => 1),
                                            m.to_status, '2024-05-01 10:00:00+00')) AS attempts
FROM moves m ORDER BY 1, 2;

-- Illegal moves: a sample from every status, and every move out of a
-- terminal status.
SELECT f AS from_status, t AS to_status, pg_temp.try_move(f, t) AS result
FROM (VALUES ('PENDING'::comm_status, 'CONNECTED'::comm_status), ('PENDING', 'COMPLETED'),
             ('INITIATED', 'PENDING'), ('INITIATED', 'DUPLICATE'), ('CONNECTED', 'INITIATED'),
             ('CONNECTED', 'CANCELED'), ('FAILED', 'COMPLETED'), ('FAILED', 'PENDING'),
             ('COMPLETED', 'FAILED'), ('CANCELED', 'INITIATED'), ('DUPLICATE', 'PENDING'),
             ('INVALID', 'INITIATED'), ('SKIPPED', 'CANCELED')) v(f, t);

-- One full error.
SELECT comm_result_transition(r, 'CONNECTED', '2024-05-01 10:00:00+00') FROM lc WHERE id = 3;
-- Other errors: a NULL status to move to, a NULL time when one is needed,
-- bad ids, attempts at their maximum.
SELECT comm_result_transition(r, NULL) FROM lc WHERE id = 1;
SELECT comm_result_transition(r, 'INITIATED', NULL) FROM lc WHERE id = 1;
SELECT comm_result_transition(r, 'INITIATED', NULL)::text FROM lc WHERE id = 3;
SELECT comm_result_transition(r, 'INITIATED', 'infinity') FROM lc WHERE id = 1;
-- (a blank sid is a value since 1.3: it is kept)
SELECT call_manager_sid(comm_result_transition(r, 'INITIATED', '2024-05-01 10:00:00+00', call_manager_sid => ' ')) = ' ' AS blank_sid_kept FROM lc WHERE id = 1;
SELECT comm_result_transition(r, 'INITIATED', '2024-05-01 10:00:00+00', session_id => -1) FROM lc WHERE id = 1;
SELECT comm_result_transition(comm_result('b', 'r', '5550100', '{}', 'FAILED', attempt_count => 2147483647), 'INITIATED');
SELECT comm_result_transition(NULL, 'INITIATED') IS NULL AS null_in_null_out;

DROP TABLE lc;
