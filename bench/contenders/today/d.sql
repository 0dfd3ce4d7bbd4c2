-- Today's shape, contender (d): one comm_result column, loaded with
-- comm_results(response, batch_id) from the staged responses, which it
-- keeps as the text the endpoint sent (comm_results reads JSON text
-- itself; the other contenders need the responses as jsonb).

-- @once
CREATE EXTENSION IF NOT EXISTS comm_result;

-- @setup
DROP TABLE IF EXISTS t_d, t_d_resp;
CREATE UNLOGGED TABLE t_d_resp (batch_id text NOT NULL, body text NOT NULL);
CREATE TABLE t_d (r comm_result NOT NULL);

-- @load
COPY t_d_resp (batch_id, body) FROM {{DATA}} WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
INSERT INTO t_d SELECT r FROM t_d_resp s, comm_results(s.body, s.batch_id) r;
CREATE UNIQUE INDEX t_d_key ON t_d ((batch_id(r)), (reference_id(r)));

-- @after
DROP TABLE t_d_resp;

-- @q status
SELECT count(*) FROM t_d WHERE request_status(r) = 'COMPLETED'::comm_status

-- @q scan
SELECT sum(attempt_count(r)), count(sent_at(r)) FROM t_d

-- @q group
SELECT count(*), sum(n), sum(length(s)) FROM (
    SELECT batch_id(r) AS b, request_status(r)::text AS s, count(*) AS n FROM t_d GROUP BY 1, 2) g

-- @q line
SELECT count(*) FROM t_d WHERE line_type(r) = 'mobile'
