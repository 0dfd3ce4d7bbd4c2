-- A value large enough to be compressed and moved out of line still reads
-- back whole.

CREATE TABLE big (r comm_result);
INSERT INTO big
SELECT format('{"batch_id":"b","reference_id":"r%s","target":"5550100","request_variables":%s,"request_status":"FAILED","created_at":"2024-01-01T00:00:00Z","sent_at":null,"attempt_count":%s,"session_id":%s,"conversation_id":7}',
              n, (SELECT jsonb_object_agg('key' || i, repeat(md5(i::text || n), 20)) FROM generate_series(1, 400) i),
              n, n * 10)::comm_result
FROM generate_series(1, 3) n;
-- Stored compressed or out of line: the stored size is far below the raw size.
SELECT octet_length(r::text) > 200000 AS large_text, pg_column_size(r) < octet_length(r::text) / 2 AS compressed
FROM big ORDER BY reference_id(r);
SELECT pg_total_relation_size(reltoastrelid) > 0 AS has_toast FROM pg_class WHERE relname = 'big';
-- The fixed-size accessors fetch and decompress only the start of the value.
SELECT request_status(r), created_at(r), sent_at(r), attempt_count(r), session_id(r), conversation_id(r)
FROM big ORDER BY reference_id(r);
-- Reads back equal, through every path.
SELECT reference_id(r), r = r::text::comm_result AS text_trip, r = r::jsonb::comm_result AS jsonb_trip,
       (SELECT count(*) FROM jsonb_object_keys(request_variables(r))) AS vars, length(request_variable(r, 'key300')) AS key300
FROM big ORDER BY 1;
-- An out-of-line, uncompressed value too.
ALTER TABLE big ALTER COLUMN r SET STORAGE external;
INSERT INTO big SELECT format('{"batch_id":"b","reference_id":"ext","target":"5550100","request_variables":{"k":"%s"},"request_status":"PENDING","created_at":"2024-01-01T00:00:00Z","attempt_count":5}', repeat('x', 100000))::comm_result;
SELECT pg_column_size(r) > 100000 AS uncompressed, length(request_variable(r, 'k')),
       attempt_count(r), request_status(r), created_at(r)
FROM big WHERE reference_id(r) = 'ext';
DROP TABLE big;
