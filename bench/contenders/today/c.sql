-- Today's shape, contender (c): one jsonb column, no checks.  Loaded, like
-- every contender of this corpus, from the endpoint's responses (one JSON
-- array per batch, with the batch id of the URL beside it) staged as jsonb:
-- the record gets the URL's batch_id as a key.

-- @setup
DROP TABLE IF EXISTS t_c, t_c_resp;
CREATE UNLOGGED TABLE t_c_resp (batch_id text NOT NULL, body jsonb NOT NULL);
CREATE TABLE t_c (r jsonb NOT NULL);

-- @load
COPY t_c_resp (batch_id, body) FROM {{DATA}} WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
INSERT INTO t_c SELECT jsonb_build_object('batch_id', s.batch_id) || e FROM t_c_resp s, jsonb_array_elements(s.body) e;
CREATE UNIQUE INDEX t_c_key ON t_c ((r->>'batch_id'), (r->>'reference_id'));

-- @after
DROP TABLE t_c_resp;

-- @q status
SELECT count(*) FROM t_c WHERE r->>'request_status' = 'COMPLETED'

-- @q scan
SELECT sum((r->>'attempt_count')::int), count(r->>'sent_at') FROM t_c

-- @q group
SELECT count(*), sum(n), sum(length(s)) FROM (
    SELECT r->>'batch_id' AS b, r->>'request_status' AS s, count(*) AS n FROM t_c GROUP BY 1, 2) g

-- @q line
SELECT count(*) FROM t_c WHERE r->>'line_type' = 'mobile'
