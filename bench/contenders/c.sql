-- Contender (c): one jsonb column, no checks at all: the floor for loading
-- JSON into PostgreSQL.

-- @setup
DROP TABLE IF EXISTS t_c;
CREATE TABLE t_c (r jsonb NOT NULL);

-- @load
COPY t_c (r) FROM {{DATA}} WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
CREATE UNIQUE INDEX t_c_key ON t_c ((r->>'batch_id'), (r->>'reference_id'));

-- @q status
SELECT count(*) FROM t_c WHERE r->>'request_status' = 'COMPLETED'

-- @q scan
SELECT sum((r->>'attempt_count')::int), count(r->>'sent_at') FROM t_c

-- @q group
-- batch and status as users write it (::text on the status), as issue 15 measures it
SELECT count(*), sum(n), sum(length(s)) FROM (
    SELECT r->>'batch_id' AS b, r->>'request_status' AS s, count(*) AS n FROM t_c GROUP BY 1, 2) g

-- @q report
-- The per-batch report (report.py), the same columns as comm_batch_summary:
-- an absent or null status counts as PENDING, an absent attempt_count as 0;
-- the identical count(*) FILTER aggregates in status_counts are computed
-- once (the planner shares identical aggregates).
SELECT r->>'batch_id' AS batch_id,
       count(*) AS total,
       count(*) FILTER (WHERE coalesce(r->>'request_status', 'PENDING') = 'PENDING') AS pending,
       count(*) FILTER (WHERE r->>'request_status' = 'DUPLICATE') AS duplicate,
       count(*) FILTER (WHERE r->>'request_status' = 'INITIATED') AS initiated,
       count(*) FILTER (WHERE r->>'request_status' = 'CONNECTED') AS connected,
       count(*) FILTER (WHERE r->>'request_status' = 'COMPLETED') AS completed,
       count(*) FILTER (WHERE r->>'request_status' = 'FAILED') AS failed,
       count(*) FILTER (WHERE r->>'request_status' = 'CANCELED') AS canceled,
       count(*) FILTER (WHERE r->>'request_status' = 'INVALID') AS invalid,
       count(*) FILTER (WHERE r->>'request_status' = 'SKIPPED') AS skipped,
       coalesce(sum((r->>'attempt_count')::int), 0) AS attempts,
       coalesce(max((r->>'attempt_count')::int), 0) AS max_attempts,
       min((r->>'created_at')::timestamptz) AS first_created_at, max((r->>'created_at')::timestamptz) AS last_created_at,
       min((r->>'sent_at')::timestamptz) AS first_sent_at, max((r->>'sent_at')::timestamptz) AS last_sent_at,
       bool_and(coalesce(r->>'request_status', 'PENDING') IN ('DUPLICATE', 'COMPLETED', 'CANCELED', 'INVALID', 'SKIPPED')) AS done,
       jsonb_strip_nulls(jsonb_build_object(
           'PENDING', nullif(count(*) FILTER (WHERE coalesce(r->>'request_status', 'PENDING') = 'PENDING'), 0),
           'DUPLICATE', nullif(count(*) FILTER (WHERE r->>'request_status' = 'DUPLICATE'), 0),
           'INITIATED', nullif(count(*) FILTER (WHERE r->>'request_status' = 'INITIATED'), 0),
           'CONNECTED', nullif(count(*) FILTER (WHERE r->>'request_status' = 'CONNECTED'), 0),
           'COMPLETED', nullif(count(*) FILTER (WHERE r->>'request_status' = 'COMPLETED'), 0),
           'FAILED', nullif(count(*) FILTER (WHERE r->>'request_status' = 'FAILED'), 0),
           'CANCELED', nullif(count(*) FILTER (WHERE r->>'request_status' = 'CANCELED'), 0),
           'INVALID', nullif(count(*) FILTER (WHERE r->>'request_status' = 'INVALID'), 0),
           'SKIPPED', nullif(count(*) FILTER (WHERE r->>'request_status' = 'SKIPPED'), 0))) AS status_counts
FROM t_c GROUP BY 1
