-- Transition contender (D-expr): one comm_result column; the unique key is
-- an expression index over it.  Every update changes r, an indexed
-- expression's input, so no update can be HOT: each one inserts a new entry
-- into the key index.

-- @once
CREATE EXTENSION IF NOT EXISTS comm_result;
CREATE TABLE tr_snap_d (r comm_result NOT NULL);
COPY tr_snap_d (r) FROM {{SNAPSHOTS}} WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');

-- @setup
DROP TABLE IF EXISTS t_dx;
CREATE TABLE t_dx (r comm_result NOT NULL) WITH (fillfactor = {{FF}});
CREATE TRIGGER t_dx_guard BEFORE UPDATE ON t_dx FOR EACH ROW EXECUTE FUNCTION comm_result_guard();

-- @load
COPY t_dx (r) FROM {{PENDING}} WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
CREATE UNIQUE INDEX t_dx_key ON t_dx ((batch_id(r)), (reference_id(r)));

-- @update
UPDATE t_dx t
   SET r = comm_result_transition(t.r, 'INITIATED', now())
  FROM {{KEYS}} k
 WHERE batch_id(t.r) = k.batch_id AND reference_id(t.r) = k.reference_id;

-- @upsert
INSERT INTO t_dx AS t (r) SELECT r FROM tr_snap_d
ON CONFLICT ((batch_id(r)), (reference_id(r))) DO UPDATE SET r = comm_result_merge(t.r, excluded.r);

-- @verify_update
SELECT count(*) FROM t_dx
 WHERE request_status(r) = 'INITIATED' AND attempt_count(r) = 1 AND sent_at(r) IS NOT NULL

-- @statuses
-- the status counts and how many rows have a sent_at, after the upsert
SELECT (SELECT string_agg(s || ' ' || c, ', ' ORDER BY s)
          FROM (SELECT coalesce(request_status(r)::text, 'PENDING') s, count(*) c FROM t_dx GROUP BY 1) x)
       || '; sent_at ' || (SELECT count(sent_at(r)) FROM t_dx)
