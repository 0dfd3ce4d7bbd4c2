-- Today's shape, contender (a), from the staged responses like the others:
-- the April contender (a) with today's keys and rules.
--
-- Contender (a): one jsonb column, CHECK constraints that validate the same
-- rules as comm_result (written as a careful user would), plus a PL/pgSQL
-- guard trigger.
--
-- Sections: "@once" runs once per bench run, "@setup" before every load
-- (untimed), "@load" is timed (COPY + index), "@q NAME" are the measured
-- queries.  {{DATA}} is replaced by the data file's path as a literal.

-- @once
CREATE FUNCTION t_a_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        -- the identity of a result never changes
        IF NEW.r->>'batch_id' IS DISTINCT FROM OLD.r->>'batch_id'
           OR NEW.r->>'reference_id' IS DISTINCT FROM OLD.r->>'reference_id' THEN
            RAISE EXCEPTION 'batch_id and reference_id of a result cannot change';
        END IF;
        -- a finished result stays finished
        IF OLD.r->>'request_status' IN ('COMPLETED', 'CANCELED', 'DUPLICATE', 'INVALID', 'SKIPPED')
           AND NEW.r->>'request_status' IS DISTINCT FROM OLD.r->>'request_status' THEN
            RAISE EXCEPTION 'request_status % is final', OLD.r->>'request_status';
        END IF;
    END IF;
    -- request_status null means absent: store it one way only
    IF NEW.r->'request_status' = 'null'::jsonb THEN
        NEW.r := NEW.r - 'request_status';
    END IF;
    RETURN NEW;
END
$$;

-- @setup
DROP TABLE IF EXISTS t_a, t_a_resp;
CREATE UNLOGGED TABLE t_a_resp (batch_id text NOT NULL, body jsonb NOT NULL);
CREATE TABLE t_a (
    r jsonb NOT NULL,
    CONSTRAINT r_object CHECK (jsonb_typeof(r) = 'object'),
    CONSTRAINT r_known_keys CHECK (
        r - ARRAY['batch_id', 'reference_id', 'target', 'request_variables',
                  'request_status', 'call_manager_sid', 'created_at', 'sent_at',
                  'attempt_count', 'session_id', 'conversation_id', 'channel_manager_sid',
                  'channel_manager_status', 'insights_status', 'insights', 'line_type',
                  'enrichment'] = '{}'::jsonb),
    CONSTRAINT one_sid_key CHECK (NOT (r ? 'call_manager_sid' AND r ? 'channel_manager_sid')),
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
    CONSTRAINT channel_manager_sid_ok CHECK (
        r->'channel_manager_sid' IS NULL OR r->'channel_manager_sid' = 'null'::jsonb
        OR (jsonb_typeof(r->'channel_manager_sid') = 'string' AND r->>'channel_manager_sid' ~ '\S')),
    CONSTRAINT channel_manager_status_ok CHECK (
        r->'channel_manager_status' IS NULL OR r->'channel_manager_status' = 'null'::jsonb
        OR (jsonb_typeof(r->'channel_manager_status') = 'string' AND r->>'channel_manager_status' ~ '\S')),
    CONSTRAINT insights_status_ok CHECK (
        r->'insights_status' IS NULL OR r->'insights_status' = 'null'::jsonb
        OR (jsonb_typeof(r->'insights_status') = 'string' AND r->>'insights_status' ~ '\S')),
    CONSTRAINT line_type_ok CHECK (
        r->'line_type' IS NULL OR r->'line_type' = 'null'::jsonb
        OR (jsonb_typeof(r->'line_type') = 'string' AND r->>'line_type' ~ '\S')),
    CONSTRAINT insights_ok CHECK (
        r->'insights' IS NULL OR r->'insights' = 'null'::jsonb
        OR (jsonb_typeof(r->'insights') = 'object'
            AND NOT jsonb_path_exists(r->'insights', '$.* ? (@.type() != "string" && @.type() != "number")'))),
    CONSTRAINT enrichment_ok CHECK (
        r->'enrichment' IS NULL OR r->'enrichment' = 'null'::jsonb
        OR jsonb_typeof(r->'enrichment') = 'object'),
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
);
CREATE TRIGGER t_a_guard BEFORE INSERT OR UPDATE ON t_a
    FOR EACH ROW EXECUTE FUNCTION t_a_guard();

-- @load
COPY t_a_resp (batch_id, body) FROM {{DATA}} WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
INSERT INTO t_a SELECT jsonb_build_object('batch_id', s.batch_id) || e FROM t_a_resp s, jsonb_array_elements(s.body) e;
CREATE UNIQUE INDEX t_a_key ON t_a ((r->>'batch_id'), (r->>'reference_id'));

-- @q status
SELECT count(*) FROM t_a WHERE r->>'request_status' = 'COMPLETED'

-- @q scan
SELECT sum((r->>'attempt_count')::int), count(r->>'sent_at') FROM t_a

-- @after
DROP TABLE t_a_resp;

-- @q group
SELECT count(*), sum(n), sum(length(s)) FROM (
    SELECT r->>'batch_id' AS b, r->>'request_status' AS s, count(*) AS n FROM t_a GROUP BY 1, 2) g

-- @q line
SELECT count(*) FROM t_a WHERE r->>'line_type' = 'mobile'
