-- Contender (b): plain typed columns with CHECK constraints, loaded from a
-- jsonb staging table through jsonb_populate_record.  The staging COPY is
-- part of the timed load.  (What this model cannot express: absent vs null,
-- unknown keys are silently dropped, zone-less timestamps are accepted.)

-- @once
CREATE TYPE req_status AS ENUM ('PENDING', 'DUPLICATE', 'INITIATED', 'CONNECTED',
    'COMPLETED', 'FAILED', 'CANCELED', 'INVALID', 'SKIPPED');

-- @setup
DROP TABLE IF EXISTS t_b;
DROP TABLE IF EXISTS t_b_stage;
CREATE UNLOGGED TABLE t_b_stage (j jsonb NOT NULL);
CREATE TABLE t_b (
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
);

-- @load
COPY t_b_stage (j) FROM {{DATA}} WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
INSERT INTO t_b SELECT p.* FROM t_b_stage s, LATERAL jsonb_populate_record(NULL::t_b, s.j) p;
CREATE UNIQUE INDEX t_b_key ON t_b (batch_id, reference_id);

-- @after
DROP TABLE t_b_stage;

-- @q status
SELECT count(*) FROM t_b WHERE request_status = 'COMPLETED'

-- @q scan
SELECT sum(attempt_count), count(sent_at) FROM t_b

-- @q group
-- batch and status as users write it (::text on the status), as issue 15 measures it
SELECT count(*), sum(n), sum(length(s)) FROM (
    SELECT batch_id AS b, request_status::text AS s, count(*) AS n FROM t_b GROUP BY 1, 2) g

-- @q report
-- The per-batch report (report.py), the same columns as comm_batch_summary:
-- a NULL status counts as PENDING, a NULL attempt_count as 0; the identical
-- count(*) FILTER aggregates in status_counts are computed once (the
-- planner shares identical aggregates).
SELECT batch_id,
       count(*) AS total,
       count(*) FILTER (WHERE coalesce(request_status, 'PENDING') = 'PENDING') AS pending,
       count(*) FILTER (WHERE request_status = 'DUPLICATE') AS duplicate,
       count(*) FILTER (WHERE request_status = 'INITIATED') AS initiated,
       count(*) FILTER (WHERE request_status = 'CONNECTED') AS connected,
       count(*) FILTER (WHERE request_status = 'COMPLETED') AS completed,
       count(*) FILTER (WHERE request_status = 'FAILED') AS failed,
       count(*) FILTER (WHERE request_status = 'CANCELED') AS canceled,
       count(*) FILTER (WHERE request_status = 'INVALID') AS invalid,
       count(*) FILTER (WHERE request_status = 'SKIPPED') AS skipped,
       coalesce(sum(attempt_count), 0) AS attempts,
       coalesce(max(attempt_count), 0) AS max_attempts,
       min(created_at) AS first_created_at, max(created_at) AS last_created_at,
       min(sent_at) AS first_sent_at, max(sent_at) AS last_sent_at,
       bool_and(coalesce(request_status, 'PENDING') IN ('DUPLICATE', 'COMPLETED', 'CANCELED', 'INVALID', 'SKIPPED')) AS done,
       jsonb_strip_nulls(jsonb_build_object(
           'PENDING', nullif(count(*) FILTER (WHERE coalesce(request_status, 'PENDING') = 'PENDING'), 0),
           'DUPLICATE', nullif(count(*) FILTER (WHERE request_status = 'DUPLICATE'), 0),
           'INITIATED', nullif(count(*) FILTER (WHERE request_status = 'INITIATED'), 0),
           'CONNECTED', nullif(count(*) FILTER (WHERE request_status = 'CONNECTED'), 0),
           'COMPLETED', nullif(count(*) FILTER (WHERE request_status = 'COMPLETED'), 0),
           'FAILED', nullif(count(*) FILTER (WHERE request_status = 'FAILED'), 0),
           'CANCELED', nullif(count(*) FILTER (WHERE request_status = 'CANCELED'), 0),
           'INVALID', nullif(count(*) FILTER (WHERE request_status = 'INVALID'), 0),
           'SKIPPED', nullif(count(*) FILTER (WHERE request_status = 'SKIPPED'), 0))) AS status_counts
FROM t_b GROUP BY 1
