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
