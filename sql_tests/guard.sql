-- comm_result_guard(): a BEFORE UPDATE FOR EACH ROW trigger that keeps
-- results moving forward, with plain UPDATE, INSERT ... ON CONFLICT DO
-- UPDATE and partitioned tables.

-- The recommended schema: the key in stored generated columns, so that
-- updates of r leave the key unchanged (and can be HOT).
CREATE TABLE results (
  r comm_result NOT NULL,
  batch_id text GENERATED ALWAYS AS (batch_id(r)) STORED,
  reference_id text GENERATED ALWAYS AS (reference_id(r)) STORED,
  PRIMARY KEY (batch_id, reference_id)
);
CREATE TRIGGER results_guard BEFORE UPDATE ON results
  FOR EACH ROW EXECUTE FUNCTION comm_result_guard();

INSERT INTO results (r) VALUES
 ('{"batch_id":"b","reference_id":"1","target":"5550100","request_variables":{},"request_status":"PENDING","created_at":"2024-01-01T00:00:00Z"}'),
 ('{"batch_id":"b","reference_id":"2","target":"5550100","request_variables":{},"request_status":"COMPLETED","attempt_count":1,"sent_at":"2024-01-01T00:01:00Z"}'),
 ('{"batch_id":"b","reference_id":"3","target":"5550100","request_variables":{}}');

-- Allowed: a legal move, a move that skips steps (snapshots may), staying
-- put, and setting sent_at the first time.
UPDATE results SET r = comm_result_transition(r, 'INITIATED', '2024-01-01 00:05:00+00') WHERE reference_id = '1';
UPDATE results SET r = '{"batch_id":"b","reference_id":"3","target":"5550100","request_variables":{},"request_status":"COMPLETED","attempt_count":1,"sent_at":"2024-01-01T00:02:00Z"}' WHERE reference_id = '3';
UPDATE results SET r = comm_result_transition(r, 'COMPLETED', '2024-01-01 00:05:00+00', session_id => 4) WHERE reference_id = '2';
SELECT reference_id, r::text FROM results ORDER BY reference_id;

-- Rejected, each with SQLSTATE 23514.
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  detail text;
BEGIN
  EXECUTE sql;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
  RETURN SQLSTATE || ' ' || SQLERRM || coalesce(' | ' || nullif(detail, ''), '');
END $$;
SELECT label, pg_temp.try(sql) FROM (VALUES
 ('illegal move', $$UPDATE results SET r = comm_result('b', '2', '5550100', '{}', 'FAILED', attempt_count => 1, sent_at => '2024-01-01 00:01:00+00') WHERE reference_id = '2'$$),
 ('back to pending', $$UPDATE results SET r = comm_result('b', '1', '5550100', '{}', 'PENDING', attempt_count => 1, created_at => '2024-01-01 00:00:00+00', sent_at => '2024-01-01 00:05:00+00') WHERE reference_id = '1'$$),
 ('status removed', $$UPDATE results SET r = comm_result('b', '1', '5550100', '{}', attempt_count => 1, created_at => '2024-01-01 00:00:00+00', sent_at => '2024-01-01 00:05:00+00') WHERE reference_id = '1'$$),
 ('target changed', $$UPDATE results SET r = comm_result('b', '1', '5550101', '{}', 'INITIATED', attempt_count => 1, created_at => '2024-01-01 00:00:00+00', sent_at => '2024-01-01 00:05:00+00') WHERE reference_id = '1'$$),
 ('created_at changed', $$UPDATE results SET r = comm_result('b', '1', '5550100', '{}', 'INITIATED', attempt_count => 1, created_at => '2024-01-02 00:00:00+00', sent_at => '2024-01-01 00:05:00+00') WHERE reference_id = '1'$$),
 ('created_at set late', $$UPDATE results SET r = comm_result('b', '3', '5550100', '{}', 'COMPLETED', attempt_count => 1, created_at => '2024-01-01 00:00:00+00', sent_at => '2024-01-01 00:02:00+00') WHERE reference_id = '3'$$),
 ('created_at removed', $$UPDATE results SET r = comm_result('b', '1', '5550100', '{}', 'INITIATED', attempt_count => 1, sent_at => '2024-01-01 00:05:00+00') WHERE reference_id = '1'$$),
 ('sent_at changed', $$UPDATE results SET r = comm_result('b', '1', '5550100', '{}', 'INITIATED', attempt_count => 1, created_at => '2024-01-01 00:00:00+00', sent_at => '2024-01-01 00:06:00+00') WHERE reference_id = '1'$$),
 ('sent_at nulled', $$UPDATE results SET r = ('{"batch_id":"b","reference_id":"1","target":"5550100","request_variables":{},"request_status":"INITIATED","attempt_count":1,"created_at":"2024-01-01T00:00:00Z","sent_at":null}') WHERE reference_id = '1'$$),
 ('attempts decreased', $$UPDATE results SET r = comm_result('b', '1', '5550100', '{}', 'INITIATED', attempt_count => 0, created_at => '2024-01-01 00:00:00+00', sent_at => '2024-01-01 00:05:00+00') WHERE reference_id = '1'$$),
 ('set to null', $$UPDATE results SET r = NULL WHERE reference_id = '1'$$),
 ('batch_id changed', $$UPDATE results SET r = comm_result('c', '1', '5550100', '{}', 'INITIATED', attempt_count => 1, created_at => '2024-01-01 00:00:00+00', sent_at => '2024-01-01 00:05:00+00') WHERE reference_id = '1'$$),
 ('reference_id changed', $$UPDATE results SET r = comm_result('b', '9', '5550100', '{}', 'INITIATED', attempt_count => 1, created_at => '2024-01-01 00:00:00+00', sent_at => '2024-01-01 00:05:00+00') WHERE reference_id = '1'$$)
) v(label, sql);
-- The status rule, in full: for every pair of statuses and 0 to 2 new
-- attempts, the trigger accepts exactly what a search over
-- comm_status_transitions() finds (a move to INITIATED adds one attempt).
CREATE TEMP TABLE verdicts (f comm_status, t comm_status, d int, accepted boolean);
DO $$
DECLARE
  f comm_status;
  t comm_status;
  d int;
BEGIN
  FOR f, t, d IN
    SELECT a.status, b.status, n FROM comm_statuses() a, comm_statuses() b, generate_series(0, 2) n
  LOOP
    BEGIN
      INSERT INTO results (r) VALUES (comm_result('m', 'x', '5550100', '{}', f, attempt_count => 5));
      UPDATE results SET r = comm_result('m', 'x', '5550100', '{}', t, attempt_count => 5 + d) WHERE batch_id = 'm';
      INSERT INTO verdicts VALUES (f, t, d, true);
    EXCEPTION WHEN check_violation THEN
      INSERT INTO verdicts VALUES (f, t, d, false);
    END;
    DELETE FROM results WHERE batch_id = 'm';
  END LOOP;
END $$;
WITH RECURSIVE walk(f, s, d) AS (
  SELECT status, status, 0 FROM comm_statuses()
  UNION
  SELECT w.f, x.to_status, w.d + (x.to_status = 'INITIATED')::int
  FROM walk w JOIN comm_status_transitions() x ON x.from_status = w.s
  WHERE w.d + (x.to_status = 'INITIATED')::int <= 2
)
SELECT count(*) AS cases, count(*) FILTER (WHERE v.accepted) AS accepted,
       count(*) FILTER (WHERE v.accepted IS DISTINCT FROM EXISTS (SELECT 1 FROM walk w WHERE w.f = v.f AND w.s = v.t AND w.d = v.d)) AS disagreements
FROM verdicts v;
-- For example: CONNECTED cannot become CANCELED within one attempt, but
-- can after a retry (CONNECTED, FAILED, INITIATED, CANCELED).
SELECT f, t, d, accepted FROM verdicts
WHERE (f, t) IN (('CONNECTED', 'CANCELED'), ('PENDING', 'INITIATED'), ('PENDING', 'COMPLETED'), ('FAILED', 'FAILED'),
                 ('CALL_COMPLETED', 'COMPLETED'), ('COMPLETED', 'CALL_COMPLETED'), ('SENT', 'FAILED'))
ORDER BY f, t, d;

-- One full error.
UPDATE results SET r = comm_result('b', '2', '5550100', '{}', 'FAILED', attempt_count => 1, sent_at => '2024-01-01 00:01:00+00') WHERE reference_id = '2';
SELECT reference_id, r::text FROM results ORDER BY reference_id;

-- INSERT ... ON CONFLICT DO UPDATE goes through the guard too.
INSERT INTO results (r) VALUES ('{"batch_id":"b","reference_id":"2","target":"5550100","request_variables":{},"request_status":"FAILED","attempt_count":1,"sent_at":"2024-01-01T00:01:00Z"}')
ON CONFLICT (batch_id, reference_id) DO UPDATE SET r = excluded.r;
-- ... and with comm_result_merge it keeps the further snapshot.
INSERT INTO results (r) VALUES ('{"batch_id":"b","reference_id":"2","target":"5550100","request_variables":{},"request_status":"INITIATED","attempt_count":1,"sent_at":"2024-01-01T00:01:00Z"}')
ON CONFLICT (batch_id, reference_id) DO UPDATE SET r = comm_result_merge(results.r, excluded.r);
SELECT r::text FROM results WHERE reference_id = '2';

-- Snapshot re-ingestion converges whatever the order: one request's six
-- snapshots, upserted in 24 different orders (one reference_id each).
CREATE TEMP TABLE history (step int, r text);
INSERT INTO history VALUES
 (1, '{"batch_id":"h","reference_id":"%s","target":"+15125551234","request_variables":{"n":1},"request_status":"PENDING","created_at":"2024-01-01T00:00:00Z","sent_at":null}'),
 (2, '{"batch_id":"h","reference_id":"%s","target":"+15125551234","request_variables":{"n":1},"request_status":"INITIATED","created_at":"2024-01-01T00:00:00Z","sent_at":"2024-01-01T00:01:00Z","attempt_count":1,"call_manager_sid":"LM1"}'),
 (3, '{"batch_id":"h","reference_id":"%s","target":"+15125551234","request_variables":{"n":1},"request_status":"CONNECTED","created_at":"2024-01-01T00:00:00Z","sent_at":"2024-01-01T00:01:00Z","attempt_count":1,"call_manager_sid":"LM1","session_id":10}'),
 (4, '{"batch_id":"h","reference_id":"%s","target":"+15125551234","request_variables":{"n":1},"request_status":"FAILED","created_at":"2024-01-01T00:00:00Z","sent_at":"2024-01-01T00:01:00Z","attempt_count":1,"call_manager_sid":"LM1","session_id":10}'),
 (5, '{"batch_id":"h","reference_id":"%s","target":"+15125551234","request_variables":{"n":1},"request_status":"INITIATED","created_at":"2024-01-01T00:00:00Z","sent_at":"2024-01-01T00:01:00Z","attempt_count":2,"call_manager_sid":"LM2"}'),
 (6, '{"batch_id":"h","reference_id":"%s","target":"+15125551234","request_variables":{"n":1},"request_status":"COMPLETED","created_at":"2024-01-01T00:00:00Z","sent_at":"2024-01-01T00:01:00Z","attempt_count":2,"call_manager_sid":"LM2","session_id":11,"conversation_id":12}');
DO $$
DECLARE
  ord int;
  snap record;
BEGIN
  FOR ord IN 1..24 LOOP
    FOR snap IN SELECT step, r FROM history ORDER BY md5(step::text || ord) LOOP
      INSERT INTO results (r) VALUES (format(snap.r, 'order-' || ord)::comm_result)
      ON CONFLICT (batch_id, reference_id) DO UPDATE SET r = comm_result_merge(results.r, excluded.r);
    END LOOP;
  END LOOP;
END $$;
SELECT count(*) AS orders, count(DISTINCT (r::jsonb - 'reference_id')) AS distinct_results,
       bool_and(r = format((SELECT r FROM history WHERE step = 6), reference_id)::comm_result) AS all_reached_the_last_snapshot
FROM results WHERE batch_id = 'h';

-- A later snapshot that omits sent_at does not erase it: merge keeps the
-- write-once instants whatever the order, and the guard agrees.
DO $$
BEGIN
  INSERT INTO results (r) VALUES (comm_result('o', 'ab', '5550100', '{}', 'INITIATED', attempt_count => 1, sent_at => '2024-01-01 00:00:00+00'));
  INSERT INTO results (r) VALUES (comm_result('o', 'ab', '5550100', '{}', 'COMPLETED', attempt_count => 1))
  ON CONFLICT (batch_id, reference_id) DO UPDATE SET r = comm_result_merge(results.r, excluded.r);
  INSERT INTO results (r) VALUES (comm_result('o', 'ba', '5550100', '{}', 'COMPLETED', attempt_count => 1));
  INSERT INTO results (r) VALUES (comm_result('o', 'ba', '5550100', '{}', 'INITIATED', attempt_count => 1, sent_at => '2024-01-01 00:00:00+00'))
  ON CONFLICT (batch_id, reference_id) DO UPDATE SET r = comm_result_merge(results.r, excluded.r);
END $$;
SELECT reference_id, request_status(r), sent_at(r) FROM results WHERE batch_id = 'o' ORDER BY 1;

-- The pattern from the README, with the key as an expression index.
CREATE TABLE results_expr (r comm_result NOT NULL);
CREATE UNIQUE INDEX ON results_expr ((batch_id(r)), (reference_id(r)));
CREATE TRIGGER results_expr_guard BEFORE UPDATE ON results_expr
  FOR EACH ROW EXECUTE FUNCTION comm_result_guard(r);
DO $$
DECLARE
  s int;
BEGIN
  FOREACH s IN ARRAY ARRAY[3, 1, 6, 2, 5, 4] LOOP
    INSERT INTO results_expr SELECT format(r, 'x')::comm_result FROM history h WHERE h.step = s
    ON CONFLICT ((batch_id(r)), (reference_id(r))) DO UPDATE SET r = comm_result_merge(results_expr.r, excluded.r);
  END LOOP;
END $$;
SELECT request_status(r), attempt_count(r) FROM results_expr;

-- Partitioned tables: the trigger is cloned onto every partition.
CREATE TABLE results_part (r comm_result NOT NULL) PARTITION BY LIST (batch_id(r));
CREATE TABLE results_part_a PARTITION OF results_part FOR VALUES IN ('a');
CREATE TABLE results_part_b PARTITION OF results_part FOR VALUES IN ('b');
CREATE TRIGGER results_part_guard BEFORE UPDATE ON results_part
  FOR EACH ROW EXECUTE FUNCTION comm_result_guard();
INSERT INTO results_part (r) VALUES
 ('{"batch_id":"a","reference_id":"1","target":"5550100","request_variables":{},"request_status":"CANCELED"}'),
 ('{"batch_id":"b","reference_id":"1","target":"5550100","request_variables":{},"request_status":"PENDING"}');
UPDATE results_part SET r = comm_result_transition(r, 'INITIATED', '2024-01-01 00:00:00+00') WHERE batch_id(r) = 'b';
UPDATE results_part SET r = comm_result('a', '1', '5550100', '{}', 'INITIATED') WHERE batch_id(r) = 'a';
SELECT tableoid::regclass, r::text FROM results_part ORDER BY 1;

-- Named columns, and the errors for a trigger attached the wrong way.
CREATE TABLE two (a comm_result, b comm_result, n int);
INSERT INTO two VALUES ('{"batch_id":"b","reference_id":"1","target":"5550100","request_variables":{},"request_status":"COMPLETED"}',
                        '{"batch_id":"b","reference_id":"2","target":"5550100","request_variables":{},"request_status":"COMPLETED"}', 1);
CREATE TRIGGER two_guard BEFORE UPDATE ON two FOR EACH ROW EXECUTE FUNCTION comm_result_guard(a);
UPDATE two SET b = comm_result('b', '2', '5550100', '{}', 'PENDING');
UPDATE two SET a = comm_result('b', '1', '5550100', '{}', 'PENDING');
DROP TRIGGER two_guard ON two;
CREATE TRIGGER two_guard BEFORE UPDATE ON two FOR EACH ROW EXECUTE FUNCTION comm_result_guard(nosuch);
UPDATE two SET n = 2;
DROP TRIGGER two_guard ON two;
CREATE TRIGGER two_guard BEFORE UPDATE ON two FOR EACH ROW EXECUTE FUNCTION comm_result_guard(n);
UPDATE two SET n = 2;
DROP TRIGGER two_guard ON two;
CREATE TRIGGER two_guard AFTER UPDATE ON two FOR EACH ROW EXECUTE FUNCTION comm_result_guard();
UPDATE two SET n = 2;
DROP TRIGGER two_guard ON two;
CREATE TRIGGER two_guard BEFORE INSERT ON two FOR EACH ROW EXECUTE FUNCTION comm_result_guard();
INSERT INTO two VALUES (NULL, NULL, 3);
DROP TRIGGER two_guard ON two;
CREATE TRIGGER two_guard BEFORE UPDATE ON two FOR EACH STATEMENT EXECUTE FUNCTION comm_result_guard();
UPDATE two SET n = 2;
DROP TRIGGER two_guard ON two;
CREATE TABLE plain (n int);
INSERT INTO plain VALUES (1);
CREATE TRIGGER plain_guard BEFORE UPDATE ON plain FOR EACH ROW EXECUTE FUNCTION comm_result_guard();
UPDATE plain SET n = 2;
SELECT comm_result_guard();

-- A domain over comm_result is guarded like the type itself.
CREATE DOMAIN result_d AS comm_result;
CREATE TABLE dom (r result_d);
INSERT INTO dom VALUES (comm_result('b', '1', '5550100', '{}', 'COMPLETED'));
CREATE TRIGGER dom_guard BEFORE UPDATE ON dom FOR EACH ROW EXECUTE FUNCTION comm_result_guard();
UPDATE dom SET r = comm_result('b', '1', '5550100', '{}', 'PENDING');

DROP TABLE results, results_expr, results_part, two, plain, dom;
DROP DOMAIN result_d;
