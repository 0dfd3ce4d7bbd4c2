-- Transition contender (J): one jsonb column with the CHECK constraints of
-- load contender (a) (every rule of the type), and a PL/pgSQL BEFORE UPDATE
-- trigger that does the checks of comm_result_guard on the jsonb.  The
-- unique key is an expression index, as in (a).  (The INSERT trigger of (a),
-- which folds a null status into an absent one, is left out: it does not
-- fire on these updates.)

-- @once
-- Progress rank of comm_result_merge: PENDING (or no status) 0, INITIATED 1,
-- CONNECTED 2, any other 3.  Inlined by the planner.
CREATE FUNCTION tr_j_rank(s text) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN s IS NULL OR s = 'PENDING' THEN 0 WHEN s = 'INITIATED' THEN 1
                WHEN s = 'CONNECTED' THEN 2 ELSE 3 END
$$;

-- The checks of comm_result_guard (see p.sql), on jsonb.  Timestamps are
-- compared as instants, as comm_result does, but only cast when their text
-- differs; an absent or null status counts as PENDING, an absent
-- attempt_count as 0.
CREATE FUNCTION tr_j_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    o jsonb := OLD.r;
    v jsonb := NEW.r;
    f text := coalesce(o->>'request_status', 'PENDING');
    t text := coalesce(v->>'request_status', 'PENDING');
    n bigint := coalesce((v->>'attempt_count')::bigint, 0) - coalesce((o->>'attempt_count')::bigint, 0);
BEGIN
    IF v->'batch_id' IS DISTINCT FROM o->'batch_id' OR v->'reference_id' IS DISTINCT FROM o->'reference_id'
       OR v->'target' IS DISTINCT FROM o->'target' THEN
        RAISE EXCEPTION 'batch_id, reference_id and target of a request cannot change'
            USING ERRCODE = 'check_violation';
    END IF;
    IF v->>'created_at' IS DISTINCT FROM o->>'created_at'
       AND (v->>'created_at')::timestamptz IS DISTINCT FROM (o->>'created_at')::timestamptz THEN
        RAISE EXCEPTION 'created_at cannot be set, changed or removed' USING ERRCODE = 'check_violation';
    END IF;
    IF jsonb_typeof(o->'sent_at') = 'string'
       AND v->>'sent_at' IS DISTINCT FROM o->>'sent_at'
       AND (v->>'sent_at')::timestamptz IS DISTINCT FROM (o->>'sent_at')::timestamptz THEN
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

-- The snapshots as jsonb, for the upsert (untimed).
CREATE TABLE tr_snap_j (r jsonb NOT NULL);
COPY tr_snap_j (r) FROM {{SNAPSHOTS}} WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');

-- @setup
DROP TABLE IF EXISTS t_j;
CREATE TABLE t_j (
    r jsonb NOT NULL,
    CONSTRAINT r_object CHECK (jsonb_typeof(r) = 'object'),
    CONSTRAINT r_known_keys CHECK (
        r - ARRAY['batch_id', 'reference_id', 'target', 'request_variables',
                  'request_status', 'call_manager_sid', 'created_at', 'sent_at',
                  'attempt_count', 'session_id', 'conversation_id'] = '{}'::jsonb),
    CONSTRAINT batch_id_ok CHECK (
        jsonb_typeof(r->'batch_id') = 'string' AND r->>'batch_id' ~ '\S'),
    CONSTRAINT reference_id_ok CHECK (
        jsonb_typeof(r->'reference_id') = 'string' AND r->>'reference_id' ~ '\S'),
    CONSTRAINT target_ok CHECK (
        jsonb_typeof(r->'target') = 'string'
        AND ((r->>'target' ~ '^(tel:)?\+?[0-9 ().-]+$'
              AND length(regexp_replace(r->>'target', '[^0-9]', '', 'g')) BETWEEN 7 AND 15)
             OR r->>'target' ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$')),
    CONSTRAINT request_variables_ok CHECK (
        jsonb_typeof(r->'request_variables') = 'object'),
    CONSTRAINT request_status_ok CHECK (
        r->'request_status' IS NULL OR r->'request_status' = 'null'::jsonb
        OR (jsonb_typeof(r->'request_status') = 'string'
            AND r->>'request_status' IN ('PENDING', 'DUPLICATE', 'INITIATED', 'CONNECTED',
                                         'COMPLETED', 'FAILED', 'CANCELED', 'INVALID', 'SKIPPED'))),
    CONSTRAINT call_manager_sid_ok CHECK (
        r->'call_manager_sid' IS NULL OR r->'call_manager_sid' = 'null'::jsonb
        OR (jsonb_typeof(r->'call_manager_sid') = 'string' AND r->>'call_manager_sid' ~ '\S')),
    -- RFC3339 shape (zone required) by regex, calendar validity by the cast
    CONSTRAINT created_at_ok CHECK (
        r->'created_at' IS NULL
        OR (jsonb_typeof(r->'created_at') = 'string'
            AND r->>'created_at' ~ '^\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$'
            AND (r->>'created_at')::timestamptz IS NOT NULL)),
    CONSTRAINT sent_at_ok CHECK (
        r->'sent_at' IS NULL OR r->'sent_at' = 'null'::jsonb
        OR (jsonb_typeof(r->'sent_at') = 'string'
            AND r->>'sent_at' ~ '^\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$'
            AND (r->>'sent_at')::timestamptz IS NOT NULL)),
    CONSTRAINT attempt_count_ok CHECK (
        r->'attempt_count' IS NULL
        OR (jsonb_typeof(r->'attempt_count') = 'number'
            AND (r->'attempt_count')::numeric BETWEEN 0 AND 2147483647
            AND (r->'attempt_count')::numeric = trunc((r->'attempt_count')::numeric))),
    CONSTRAINT session_id_ok CHECK (
        r->'session_id' IS NULL OR r->'session_id' = 'null'::jsonb
        OR (jsonb_typeof(r->'session_id') = 'number'
            AND (r->'session_id')::numeric BETWEEN 0 AND 9223372036854775807
            AND (r->'session_id')::numeric = trunc((r->'session_id')::numeric))),
    CONSTRAINT conversation_id_ok CHECK (
        r->'conversation_id' IS NULL OR r->'conversation_id' = 'null'::jsonb
        OR (jsonb_typeof(r->'conversation_id') = 'number'
            AND (r->'conversation_id')::numeric BETWEEN 0 AND 9223372036854775807
            AND (r->'conversation_id')::numeric = trunc((r->'conversation_id')::numeric)))
) WITH (fillfactor = {{FF}});
CREATE TRIGGER t_j_guard BEFORE UPDATE ON t_j FOR EACH ROW EXECUTE FUNCTION tr_j_guard();

-- @load
COPY t_j (r) FROM {{PENDING}} WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
CREATE UNIQUE INDEX t_j_key ON t_j ((r->>'batch_id'), (r->>'reference_id'));

-- @update
UPDATE t_j t
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
INSERT INTO t_j AS t (r) SELECT r FROM tr_snap_j
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
SELECT count(*) FROM t_j
 WHERE r->>'request_status' = 'INITIATED' AND r->>'attempt_count' = '1'
   AND jsonb_typeof(r->'sent_at') = 'string'

-- @statuses
-- the status counts and how many rows have a sent_at, after the upsert
SELECT (SELECT string_agg(s || ' ' || c, ', ' ORDER BY s)
          FROM (SELECT coalesce(r->>'request_status', 'PENDING') s, count(*) c FROM t_j GROUP BY 1) x)
       || '; sent_at ' || (SELECT count(*) FILTER (WHERE jsonb_typeof(r->'sent_at') = 'string') FROM t_j)
