-- Today's shape, contender (b): typed columns with CHECK constraints, the
-- April columns (call_manager_sid under today's name) plus one per new
-- field, filled through jsonb_populate_record from the staged responses.
-- (What this model cannot express: absent vs null, which sid spelling a
-- record used, unknown keys are dropped.)

-- @once
CREATE TYPE req_status AS ENUM ('PENDING', 'DUPLICATE', 'INITIATED', 'CONNECTED',
    'COMPLETED', 'FAILED', 'CANCELED', 'INVALID', 'SKIPPED');

-- @setup
DROP TABLE IF EXISTS t_b, t_b_resp;
CREATE UNLOGGED TABLE t_b_resp (batch_id text NOT NULL, body jsonb NOT NULL);
CREATE TABLE t_b (
    batch_id          text NOT NULL CHECK (batch_id ~ '\S'),
    reference_id      text NOT NULL CHECK (reference_id ~ '\S'),
    target            text NOT NULL CHECK (
        (target ~ '^(tel:)?\+?[0-9 ().-]+$'
         AND length(regexp_replace(target, '[^0-9]', '', 'g')) BETWEEN 7 AND 15)
        OR target ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
    request_variables jsonb NOT NULL CHECK (jsonb_typeof(request_variables) = 'object'),
    request_status    req_status,
    channel_manager_sid text CHECK (channel_manager_sid ~ '\S'),
    created_at        timestamptz,
    sent_at           timestamptz,
    attempt_count     integer CHECK (attempt_count >= 0),
    session_id        bigint CHECK (session_id >= 0),
    conversation_id   bigint CHECK (conversation_id >= 0),
    channel_manager_status text CHECK (channel_manager_status ~ '\S'),
    insights_status   text CHECK (insights_status ~ '\S'),
    insights          jsonb CHECK (jsonb_typeof(insights) = 'object'
        AND NOT jsonb_path_exists(insights, '$.* ? (@.type() != "string" && @.type() != "number")')),
    line_type         text CHECK (line_type ~ '\S'),
    enrichment        jsonb CHECK (jsonb_typeof(enrichment) = 'object')
);

-- @load
COPY t_b_resp (batch_id, body) FROM {{DATA}} WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
INSERT INTO t_b SELECT p.* FROM t_b_resp s, jsonb_array_elements(s.body) e,
    LATERAL jsonb_populate_record(NULL::t_b, jsonb_build_object('batch_id', s.batch_id) || e) p;
CREATE UNIQUE INDEX t_b_key ON t_b (batch_id, reference_id);

-- @after
DROP TABLE t_b_resp;

-- @q status
SELECT count(*) FROM t_b WHERE request_status = 'COMPLETED'

-- @q scan
SELECT sum(attempt_count), count(sent_at) FROM t_b

-- @q group
SELECT count(*), sum(n), sum(length(s)) FROM (
    SELECT batch_id AS b, request_status::text AS s, count(*) AS n FROM t_b GROUP BY 1, 2) g

-- @q line
SELECT count(*) FROM t_b WHERE line_type = 'mobile'
