-- One accessor per field, plus target_kind and comm_result_fields.  All are
-- IMMUTABLE STRICT: usable in generated columns and expression indexes.

CREATE TABLE acc (id int, r comm_result);
INSERT INTO acc VALUES
 (1, '{"batch_id":"20250117.9","reference_id":"12345","target":"user@email.com","request_variables":{"first_name":"Ana"},"request_status":"INITIATED","call_manager_sid":"LMc4b16a9df2ce33d84b3d30581fe6598c","created_at":"2024-01-01T00:00:00Z","sent_at":"2024-01-02T00:00:00Z","attempt_count":1,"session_id":1,"conversation_id":null}'),
 (2, '{"batch_id":"20250117.10","reference_id":"r-2","target":"+1 (555) 010-0199","request_variables":{}}'),
 (3, '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{"a":[1]},"call_manager_sid":null,"sent_at":null,"session_id":9223372036854775807,"conversation_id":0,"attempt_count":2147483647,"request_status":"SKIPPED"}'),
 (4, NULL);

SELECT id, batch_id(r), reference_id(r), target(r), target_kind(r), request_variables(r),
       request_status(r), call_manager_sid(r)
FROM acc ORDER BY id;
SELECT id, created_at(r), sent_at(r), attempt_count(r), session_id(r), conversation_id(r)
FROM acc ORDER BY id;

-- Result types.
SELECT pg_typeof(batch_id(r)), pg_typeof(request_variables(r)), pg_typeof(request_status(r)),
       pg_typeof(created_at(r)), pg_typeof(attempt_count(r)), pg_typeof(session_id(r))
FROM acc WHERE id = 1;

-- comm_result_fields: every field as a typed column, for views.
CREATE VIEW acc_fields AS SELECT a.id, f.* FROM acc a, comm_result_fields(a.r) f;
SELECT * FROM acc_fields ORDER BY id;
\d acc_fields

-- Generated columns and expression indexes.
CREATE TABLE acc_gen (
  r comm_result NOT NULL,
  batch_id text GENERATED ALWAYS AS (batch_id(r)) STORED,
  reference_id text GENERATED ALWAYS AS (reference_id(r)) STORED
);
CREATE UNIQUE INDEX acc_gen_key ON acc_gen (batch_id, reference_id);
CREATE INDEX acc_gen_status ON acc_gen (request_status(r));
INSERT INTO acc_gen (r) SELECT r FROM acc WHERE r IS NOT NULL;
SELECT batch_id, reference_id FROM acc_gen ORDER BY 1, 2;
INSERT INTO acc_gen (r) SELECT r FROM acc WHERE id = 1;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM acc_gen WHERE request_status(r) = 'SKIPPED';
SELECT count(*) FROM acc_gen WHERE request_status(r) = 'SKIPPED';
RESET enable_seqscan;

DROP VIEW acc_fields;
DROP TABLE acc, acc_gen;
