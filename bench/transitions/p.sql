-- Transition contender (P): plain typed columns, the table of load
-- contender (b) with its CHECK constraints, and a PL/pgSQL BEFORE UPDATE
-- trigger that does the checks of comm_result_guard on those columns.
--
-- Sections (the same in every file of bench/transitions/, read by
-- transitions.py): "@once" runs once per bench run, before any round;
-- "@setup" creates the empty table ({{FF}} is the fillfactor) and "@load"
-- fills it with the pending requests and builds the unique key (both
-- untimed); "@update" is the timed transition of the requests in {{KEYS}}
-- (tr_keys, then tr_keys_2); "@upsert" the timed upsert of the snapshots;
-- "@verify_update" and "@statuses" check the results (untimed).
-- {{PENDING}} and {{SNAPSHOTS}} are the data files' paths as literals;
-- tr_pending (n, j jsonb) holds the pending requests in file order.

-- @once
CREATE TYPE req_status AS ENUM ('PENDING', 'DUPLICATE', 'INITIATED', 'CONNECTED',
    'COMPLETED', 'FAILED', 'CANCELED', 'INVALID', 'SKIPPED');

-- Progress rank of comm_result_merge: PENDING (or no status) 0, INITIATED 1,
-- CONNECTED 2, any other 3.  Inlined by the planner.
CREATE FUNCTION tr_p_rank(s req_status) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN s IS NULL OR s = 'PENDING' THEN 0 WHEN s = 'INITIATED' THEN 1
                WHEN s = 'CONNECTED' THEN 2 ELSE 3 END
$$;

-- The checks of comm_result_guard, on typed columns: identity, target and
-- created_at unchanged (setting a missing created_at is a change too),
-- sent_at unchanged once set, attempt_count not decreasing, and the new status reachable from the old one through allowed
-- moves that start exactly as many attempts as attempt_count grew by (each
-- move to INITIATED starts one; no status counts as PENDING).  Reachability
-- is written out as one CASE (what the transition table implies):
--   0 new attempts: PENDING -> DUPLICATE INVALID SKIPPED CANCELED FAILED,
--     INITIATED -> CONNECTED COMPLETED FAILED CANCELED,
--     CONNECTED -> COMPLETED FAILED, and every status -> itself;
--   1 or more: from PENDING INITIATED CONNECTED FAILED (which can get to
--     a status that starts an attempt) to INITIATED CONNECTED COMPLETED
--     FAILED CANCELED (what INITIATED reaches).
CREATE FUNCTION tr_p_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    f req_status := coalesce(OLD.request_status, 'PENDING');
    t req_status := coalesce(NEW.request_status, 'PENDING');
    n bigint := coalesce(NEW.attempt_count, 0)::bigint - coalesce(OLD.attempt_count, 0);
BEGIN
    IF NEW.batch_id <> OLD.batch_id OR NEW.reference_id <> OLD.reference_id
       OR NEW.target <> OLD.target THEN
        RAISE EXCEPTION 'batch_id, reference_id and target of a request cannot change'
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.created_at IS DISTINCT FROM OLD.created_at THEN
        RAISE EXCEPTION 'created_at cannot be set, changed or removed' USING ERRCODE = 'check_violation';
    END IF;
    IF OLD.sent_at IS NOT NULL AND NEW.sent_at IS DISTINCT FROM OLD.sent_at THEN
        RAISE EXCEPTION 'sent_at cannot change once set' USING ERRCODE = 'check_violation';
    END IF;
    IF n < 0 THEN
        RAISE EXCEPTION 'attempt_count cannot decrease' USING ERRCODE = 'check_violation';
    END IF;
    -- (parenthesised: PL/pgSQL would end the IF condition at the first THEN)
    IF NOT (CASE
        WHEN n = 0 THEN
            f = t OR CASE f
                WHEN 'PENDING' THEN t IN ('DUPLICATE', 'INVALID', 'SKIPPED', 'CANCELED', 'FAILED')
                WHEN 'INITIATED' THEN t IN ('CONNECTED', 'COMPLETED', 'FAILED', 'CANCELED')
                WHEN 'CONNECTED' THEN t IN ('COMPLETED', 'FAILED')
                ELSE false END
        ELSE f IN ('PENDING', 'INITIATED', 'CONNECTED', 'FAILED')
             AND t IN ('INITIATED', 'CONNECTED', 'COMPLETED', 'FAILED', 'CANCELED')
    END) THEN
        RAISE EXCEPTION 'invalid status transition from % to % with % new attempts', f, t, n
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

-- The snapshots, typed, for the upsert (untimed; parsed once per run).
CREATE TABLE tr_snap_p (
    batch_id text, reference_id text, target text, request_variables jsonb,
    request_status req_status, call_manager_sid text, created_at timestamptz,
    sent_at timestamptz, attempt_count integer, session_id bigint, conversation_id bigint);
CREATE TEMP TABLE tr_snap_stage (n bigserial, j jsonb NOT NULL);
COPY tr_snap_stage (j) FROM {{SNAPSHOTS}} WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
INSERT INTO tr_snap_p
    SELECT p.* FROM tr_snap_stage s, LATERAL jsonb_populate_record(NULL::tr_snap_p, s.j) p
    ORDER BY s.n;

-- @setup
DROP TABLE IF EXISTS t_p;
CREATE TABLE t_p (
    batch_id          text NOT NULL CHECK (batch_id ~ '\S'),
    reference_id      text NOT NULL CHECK (reference_id ~ '\S'),
    target            text NOT NULL CHECK (
        (target ~ '^(tel:)?\+?[0-9 ().-]+$'
         AND length(regexp_replace(target, '[^0-9]', '', 'g')) BETWEEN 7 AND 15)
        OR target ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
    request_variables jsonb NOT NULL CHECK (jsonb_typeof(request_variables) = 'object'),
    request_status    req_status,
    call_manager_sid  text CHECK (call_manager_sid ~ '\S'),
    created_at        timestamptz,
    sent_at           timestamptz,
    attempt_count     integer CHECK (attempt_count >= 0),
    session_id        bigint CHECK (session_id >= 0),
    conversation_id   bigint CHECK (conversation_id >= 0)
) WITH (fillfactor = {{FF}});
CREATE TRIGGER t_p_guard BEFORE UPDATE ON t_p FOR EACH ROW EXECUTE FUNCTION tr_p_guard();

-- @load
INSERT INTO t_p SELECT p.* FROM tr_pending s, LATERAL jsonb_populate_record(NULL::t_p, s.j) p
    ORDER BY s.n;
CREATE UNIQUE INDEX t_p_key ON t_p (batch_id, reference_id);

-- @update
UPDATE t_p t
   SET request_status = 'INITIATED',
       attempt_count = coalesce(t.attempt_count, 0) + 1,
       sent_at = coalesce(t.sent_at, now())
  FROM {{KEYS}} k
 WHERE t.batch_id = k.batch_id AND t.reference_id = k.reference_id;

-- @upsert
-- As comm_result_merge: the snapshot further along by (attempt_count, rank)
-- wins (at equal progress what is there stays), except sent_at, written
-- once: the earliest known one (least() ignores NULLs).  created_at is never
-- changed (the trigger would reject it).
INSERT INTO t_p AS t SELECT * FROM tr_snap_p
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
SELECT count(*) FROM t_p WHERE request_status = 'INITIATED' AND attempt_count = 1 AND sent_at IS NOT NULL

-- @statuses
-- the status counts and how many rows have a sent_at, after the upsert
SELECT (SELECT string_agg(s || ' ' || c, ', ' ORDER BY s)
          FROM (SELECT coalesce(request_status::text, 'PENDING') s, count(*) c FROM t_p GROUP BY 1) x)
       || '; sent_at ' || (SELECT count(sent_at) FROM t_p)
