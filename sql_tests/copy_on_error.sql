-- Loading an API results file straight into a comm_result column.  Since
-- PostgreSQL 17, COPY ... ON_ERROR ignore skips the lines the input function
-- rejects (softly) and loads the rest.  Before 17, stage the lines as text and
-- filter with comm_result_is_valid.  Either way the same good lines load.
-- (\copy does not expand variables: the path is relative to the directory
-- that runs "make installcheck", the top of the source tree.)
CREATE TABLE api_lines (n serial, line text);
\copy api_lines (line) FROM 'examples/results.jsonl' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TABLE api_results (r comm_result NOT NULL);

SELECT current_setting('server_version_num')::int >= 170000 AS has_on_error \gset
\if :has_on_error
\copy api_results FROM 'examples/results.jsonl' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02', ON_ERROR ignore)
\else
INSERT INTO api_results SELECT line::comm_result FROM api_lines WHERE comm_result_is_valid(line);
\endif

SELECT (SELECT count(*) FROM api_lines) AS lines,
       (SELECT count(*) FROM api_results) AS loaded,
       (SELECT count(*) FROM api_lines WHERE NOT comm_result_is_valid(line)) AS rejected;
-- Exactly the valid lines were loaded, each once.
SELECT count(*) AS missing FROM api_lines
WHERE comm_result_is_valid(line)
  AND NOT EXISTS (SELECT FROM api_results WHERE r = api_lines.line::comm_result);
SELECT count(*) AS duplicates FROM (
  SELECT r FROM api_results GROUP BY r HAVING count(*) > 1) d;

-- Without ON_ERROR the first bad line stops the whole load.
\set ON_ERROR_STOP 0
\copy api_results FROM 'examples/results.jsonl' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
\set ON_ERROR_STOP 1
DROP TABLE api_lines, api_results;
