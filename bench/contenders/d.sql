-- Contender (d): one comm_result column.

-- @once
CREATE EXTENSION IF NOT EXISTS comm_result;

-- @setup
DROP TABLE IF EXISTS t_d;
CREATE TABLE t_d (r comm_result NOT NULL);

-- @load
COPY t_d (r) FROM {{DATA}} WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
CREATE UNIQUE INDEX t_d_key ON t_d ((batch_id(r)), (reference_id(r)));

-- @q status
SELECT count(*) FROM t_d WHERE request_status(r) = 'COMPLETED'::comm_status

-- @q scan
SELECT sum(attempt_count(r)), count(sent_at(r)) FROM t_d

-- @q group
-- batch and status as users write it (::text on the status), as issue 15 measures it
SELECT count(*), sum(n), sum(length(s)) FROM (
    SELECT batch_id(r) AS b, request_status(r)::text AS s, count(*) AS n FROM t_d GROUP BY 1, 2) g

-- @q report
-- The per-batch report (report.py), as the issue writes it.
SELECT batch_id(r) AS batch_id, comm_batch_summary(r) AS summary FROM t_d GROUP BY 1
