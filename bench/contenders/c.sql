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
