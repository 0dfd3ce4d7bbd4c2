-- Transition contender (J0), for information: one jsonb column without any
-- CHECK constraint (load contender (c)), the same trigger and statements as
-- (J).  It shows what (J)'s CHECK constraints cost on every updated row;
-- without them the table keeps none of the rules comm_result enforces.
-- Uses tr_j_guard and tr_snap_j from j.sql.

-- @setup
DROP TABLE IF EXISTS t_j0;
CREATE TABLE t_j0 (r jsonb NOT NULL) WITH (fillfactor = {{FF}});
CREATE TRIGGER t_j0_guard BEFORE UPDATE ON t_j0 FOR EACH ROW EXECUTE FUNCTION tr_j_guard();

-- @load
COPY t_j0 (r) FROM {{PENDING}} WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
CREATE UNIQUE INDEX t_j0_key ON t_j0 ((r->>'batch_id'), (r->>'reference_id'));

-- @update
UPDATE t_j0 t
   SET r = t.r || jsonb_build_object(
           'request_status', 'INITIATED',
           'attempt_count', coalesce((t.r->>'attempt_count')::int, 0) + 1,
           'sent_at', CASE WHEN jsonb_typeof(t.r->'sent_at') = 'string' THEN t.r->'sent_at'
                           ELSE to_jsonb(now()) END)
  FROM {{KEYS}} k
 WHERE (t.r->>'batch_id') = k.batch_id AND (t.r->>'reference_id') = k.reference_id;

-- @upsert
-- As comm_result_merge: the snapshot further along by (attempt_count, rank)
-- wins (at equal progress what is there stays), except sent_at, written
-- once: the earliest known one.  created_at is never changed.
INSERT INTO t_j0 AS t (r) SELECT r FROM tr_snap_j
ON CONFLICT ((r->>'batch_id'), (r->>'reference_id')) DO UPDATE SET
    r = CASE WHEN (coalesce((excluded.r->>'attempt_count')::int, 0), tr_j_rank(excluded.r->>'request_status'))
                  > (coalesce((t.r->>'attempt_count')::int, 0), tr_j_rank(t.r->>'request_status'))
             THEN excluded.r ELSE t.r END
        || CASE WHEN jsonb_typeof(t.r->'sent_at') = 'string'
                     AND jsonb_typeof(excluded.r->'sent_at') = 'string'
                THEN jsonb_build_object('sent_at',
                         CASE WHEN (t.r->>'sent_at')::timestamptz <= (excluded.r->>'sent_at')::timestamptz
                              THEN t.r->'sent_at' ELSE excluded.r->'sent_at' END)
                WHEN jsonb_typeof(t.r->'sent_at') = 'string'
                THEN jsonb_build_object('sent_at', t.r->'sent_at')
                WHEN jsonb_typeof(excluded.r->'sent_at') = 'string'
                THEN jsonb_build_object('sent_at', excluded.r->'sent_at')
                ELSE '{}' END;

-- @verify_update
SELECT count(*) FROM t_j0
 WHERE r->>'request_status' = 'INITIATED' AND r->>'attempt_count' = '1'
   AND jsonb_typeof(r->'sent_at') = 'string'

-- @statuses
-- the status counts and how many rows have a sent_at, after the upsert
SELECT (SELECT string_agg(s || ' ' || c, ', ' ORDER BY s)
          FROM (SELECT coalesce(r->>'request_status', 'PENDING') s, count(*) c FROM t_j0 GROUP BY 1) x)
       || '; sent_at ' || (SELECT count(*) FILTER (WHERE jsonb_typeof(r->'sent_at') = 'string') FROM t_j0)
