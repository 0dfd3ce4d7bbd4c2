-- Loading API results files with COPY, and dumping them back.

CREATE TABLE lines (n serial, line text);
CREATE TABLE loaded (r comm_result NOT NULL);
CREATE UNIQUE INDEX ON loaded ((batch_id(r)), (reference_id(r)));

-- JSON lines contain backslashes: load them with CSV quoting turned off.
COPY lines (line) FROM stdin WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
{"batch_id":"20250117.9","reference_id":"1","target":"+15125551234","request_variables":{"name":"Ana \"A\""},"request_status":"COMPLETED"}
{"batch_id":"20250117.9","reference_id":"2","target":"ana@example.com","request_variables":{"x":"\u00e9\n"},"request_status":"FAILED","sent_at":null}
{"batch_id":"20250117.9","reference_id":"3","target":"12","request_variables":{}}
{"batch_id":"20250117.9","reference_id":"4","target":"+15125551234","request_variables":{},"created_at":"2024-01-01T00:00:00"}
\.

INSERT INTO loaded SELECT line::comm_result FROM lines WHERE comm_result_is_valid(line);
SELECT n, e.field, e.message FROM lines, comm_result_errors(line) e ORDER BY n;
SELECT r FROM loaded ORDER BY reference_id(r);

-- COPY of the type itself, text format, out and back in.
CREATE TABLE reloaded (LIKE loaded);
DO $$
DECLARE f text := current_setting('data_directory') || '/comm_result_text.copy';
BEGIN
  EXECUTE format('COPY loaded TO %L', f);
  EXECUTE format('COPY reloaded FROM %L', f);
END $$;
SELECT count(*) AS rows, count(*) FILTER (WHERE l.r = x.r) AS equal
FROM loaded l JOIN reloaded x ON reference_id(l.r) = reference_id(x.r);

-- Directly into a comm_result column: the first bad line stops the load.
COPY loaded FROM stdin WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
{"batch_id":"20250117.9","reference_id":"5","target":"+15125551234","request_variables":{}}
{"batch_id":"20250117.9","reference_id":"6","target":"+1512","request_variables":{}}
\.
SELECT count(*) FROM loaded;

-- The unique index catches a repeated (batch_id, reference_id).
INSERT INTO loaded VALUES ('{"batch_id":"20250117.9","reference_id":"1","target":"5550100","request_variables":{}}');

DROP TABLE lines, loaded, reloaded;
