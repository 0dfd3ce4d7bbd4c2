-- examples/load_checked.sql: one statement per response loads the valid
-- records with comm_result_merge and keeps every invalid element, and one
-- statement replays the rejects that load now.

\getenv abs_srcdir PG_ABS_SRCDIR
\set recipe :abs_srcdir '/../../examples/load_checked.sql'
\set ECHO none
\i :recipe
\set ECHO all
SET timezone = 'UTC';

-- A response with a bad record, an element that is not a record, and one
-- request twice (a later snapshot beside an earlier one).
\set body '[{"reference_id":"1","target":"+15125550001","request_variables":{},"request_status":"INITIATED","attempt_count":1,"sent_at":"2026-08-01T10:00:05Z"},{"reference_id":"2","target":"555-12","request_variables":{}},7,{"reference_id":"1","target":"+15125550001","request_variables":{},"request_status":"COMPLETED","attempt_count":1},{"reference_id":"3","target":"+15125550003","request_variables":{},"request_status":"PENDING"}]'
EXECUTE load_response(:'body', '20260801.1');
SELECT r FROM results ORDER BY r;
SELECT batch_id, ordinal, errors -> 0 ->> 'sqlstate' AS sqlstate, errors -> 0 ->> 'field' AS field, element FROM results_rejects ORDER BY id;

-- The same response again changes nothing and keeps each reject once.
EXECUTE load_response(:'body', '20260801.1');
SELECT count(*) AS results, (SELECT count(*) FROM results_rejects) AS rejects FROM results;

-- A later response moves request 3 on; an earlier snapshot of request 1
-- does not move it back.
EXECUTE load_response('[{"reference_id":"3","target":"+15125550003","request_variables":{},"request_status":"FAILED","attempt_count":1},{"reference_id":"1","target":"+15125550001","request_variables":{},"request_status":"PENDING"}]', '20260801.1');
SELECT reference_id(r), request_status(r), attempt_count(r), sent_at(r) FROM results ORDER BY r;

-- A body cut off in transfer loads nothing, not even its first records.
EXECUTE load_response('[{"reference_id":"4","target":"+15125550004","request_variables":{}},{"reference_id":"5","tar', '20260801.1');
EXECUTE load_response('<html><body>502 Bad Gateway</body></html>', '20260801.1');
SELECT count(*) AS results, (SELECT count(*) FROM results_rejects) AS rejects FROM results;

-- Replay: nothing loads yet; once an element is fixed it moves, and the
-- other stays.
EXECUTE replay_rejects;
UPDATE results_rejects SET element = replace(element, '555-12', '+15125550002') WHERE element LIKE '%555-12%';
EXECUTE replay_rejects;
SELECT reference_id(r), target(r) FROM results ORDER BY r;
SELECT ordinal, element FROM results_rejects;

-- Every status that was ever sent is kept apart in the rejects until a
-- release knows it: an unknown one waits.
EXECUTE load_response('[{"reference_id":"9","target":"+15125550009","request_variables":{},"request_status":"ON_HOLD"}]', '20260801.2');
SELECT batch_id, errors -> 0 ->> 'message' AS message, errors -> 0 ->> 'hint' AS hint FROM results_rejects WHERE batch_id = '20260801.2';
-- ... and loads by replay once it is known (here: the text is corrected).
UPDATE results_rejects SET element = replace(element, 'ON_HOLD', 'PENDING') WHERE batch_id = '20260801.2';
EXECUTE replay_rejects;
SELECT batch_id(r), reference_id(r), request_status(r) FROM results WHERE batch_id(r) = '20260801.2';

DEALLOCATE load_response;
DEALLOCATE replay_rejects;
DROP TABLE results, results_rejects;
