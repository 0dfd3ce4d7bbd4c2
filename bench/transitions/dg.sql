-- Transition contender (D-gen): one comm_result column plus its key kept in
-- stored generated columns, with the unique key on those.  An update that
-- changes only r recomputes batch_id and reference_id to the same values,
-- so no indexed column changes and the update can be HOT (when the new
-- version fits on the same page).  Uses tr_snap_d from dx.sql.

-- @setup
DROP TABLE IF EXISTS t_dg;
CREATE TABLE t_dg (
    r            comm_result NOT NULL,
    batch_id     text GENERATED ALWAYS AS (batch_id(r)) STORED,
    reference_id text GENERATED ALWAYS AS (reference_id(r)) STORED
) WITH (fillfactor = {{FF}});
CREATE TRIGGER t_dg_guard BEFORE UPDATE ON t_dg FOR EACH ROW EXECUTE FUNCTION comm_result_guard();

-- @load
COPY t_dg (r) FROM {{PENDING}} WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
CREATE UNIQUE INDEX t_dg_key ON t_dg (batch_id, reference_id);

-- @update
UPDATE t_dg t
   SET r = comm_result_transition(t.r, 'INITIATED', now())
  FROM {{KEYS}} k
 WHERE t.batch_id = k.batch_id AND t.reference_id = k.reference_id;

-- @upsert
INSERT INTO t_dg AS t (r) SELECT r FROM tr_snap_d
ON CONFLICT (batch_id, reference_id) DO UPDATE SET r = comm_result_merge(t.r, excluded.r);

-- @verify_update
SELECT count(*) FROM t_dg
 WHERE request_status(r) = 'INITIATED' AND attempt_count(r) = 1 AND sent_at(r) IS NOT NULL

-- @statuses
-- the status counts and how many rows have a sent_at, after the upsert
SELECT (SELECT string_agg(s || ' ' || c, ', ' ORDER BY s)
          FROM (SELECT coalesce(request_status(r)::text, 'PENDING') s, count(*) c FROM t_dg GROUP BY 1) x)
       || '; sent_at ' || (SELECT count(sent_at(r)) FROM t_dg)
