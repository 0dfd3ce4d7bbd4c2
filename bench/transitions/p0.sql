-- Transition contender (P0), for information: the typed columns of (P)
-- without any CHECK constraint (only NOT NULL), the same trigger and
-- statements.  It shows what (P)'s CHECK constraints cost on every updated
-- row; without them the table keeps none of the rules comm_result enforces
-- (a target such as 'x' would be accepted).  Uses tr_p_guard and tr_snap_p
-- from p.sql.

-- @setup
DROP TABLE IF EXISTS t_p0;
CREATE TABLE t_p0 (
    batch_id          text NOT NULL,
    reference_id      text NOT NULL,
    target            text NOT NULL,
    request_variables jsonb NOT NULL,
    request_status    req_status,
    call_manager_sid  text,
    created_at        timestamptz,
    sent_at           timestamptz,
    attempt_count     integer,
    session_id        bigint,
    conversation_id   bigint
) WITH (fillfactor = {{FF}});
CREATE TRIGGER t_p0_guard BEFORE UPDATE ON t_p0 FOR EACH ROW EXECUTE FUNCTION tr_p_guard();

-- @load
INSERT INTO t_p0 SELECT p.* FROM tr_pending s, LATERAL jsonb_populate_record(NULL::t_p0, s.j) p
    ORDER BY s.n;
CREATE UNIQUE INDEX t_p0_key ON t_p0 (batch_id, reference_id);

-- @update
UPDATE t_p0 t
   SET request_status = 'INITIATED',
       attempt_count = coalesce(t.attempt_count, 0) + 1,
       sent_at = coalesce(t.sent_at, now())
  FROM {{KEYS}} k
 WHERE t.batch_id = k.batch_id AND t.reference_id = k.reference_id;

-- @upsert
INSERT INTO t_p0 AS t SELECT * FROM tr_snap_p
ON CONFLICT (batch_id, reference_id) DO UPDATE SET
    request_status   = CASE WHEN (coalesce(excluded.attempt_count, 0), tr_p_rank(excluded.request_status))
                                 > (coalesce(t.attempt_count, 0), tr_p_rank(t.request_status))
                            THEN excluded.request_status ELSE t.request_status END,
    call_manager_sid = CASE WHEN (coalesce(excluded.attempt_count, 0), tr_p_rank(excluded.request_status))
                                 > (coalesce(t.attempt_count, 0), tr_p_rank(t.request_status))
                            THEN excluded.call_manager_sid ELSE t.call_manager_sid END,
    sent_at          = least(t.sent_at, excluded.sent_at),
    attempt_count    = CASE WHEN (coalesce(excluded.attempt_count, 0), tr_p_rank(excluded.request_status))
                                 > (coalesce(t.attempt_count, 0), tr_p_rank(t.request_status))
                            THEN excluded.attempt_count ELSE t.attempt_count END,
    session_id       = CASE WHEN (coalesce(excluded.attempt_count, 0), tr_p_rank(excluded.request_status))
                                 > (coalesce(t.attempt_count, 0), tr_p_rank(t.request_status))
                            THEN excluded.session_id ELSE t.session_id END,
    conversation_id  = CASE WHEN (coalesce(excluded.attempt_count, 0), tr_p_rank(excluded.request_status))
                                 > (coalesce(t.attempt_count, 0), tr_p_rank(t.request_status))
                            THEN excluded.conversation_id ELSE t.conversation_id END;

-- @verify_update
SELECT count(*) FROM t_p0 WHERE request_status = 'INITIATED' AND attempt_count = 1 AND sent_at IS NOT NULL

-- @statuses
-- the status counts and how many rows have a sent_at, after the upsert
SELECT (SELECT string_agg(s || ' ' || c, ', ' ORDER BY s)
          FROM (SELECT coalesce(request_status::text, 'PENDING') s, count(*) c FROM t_p0 GROUP BY 1) x)
       || '; sent_at ' || (SELECT count(sent_at) FROM t_p0)
