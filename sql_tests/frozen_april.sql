-- Values of the April 2025 shape are frozen: 1.2 must store, print, send,
-- hash and sort every one of them exactly as 1.1 did.  The expected output
-- of this file was produced by the 1.1 build (commit 9d5ef02) and must not
-- change: btree and hash indexes, hash partitions and stored data made by
-- 1.1 stay valid only while these checksums hold.

-- 4096 values covering every absent/null/present state of every optional
-- field, with varied strings, instants, numbers and variables.
CREATE TABLE frozen AS
SELECT i, format('{%s}', concat_ws(',',
         format('"batch_id":"%s"', '2025011' || (i % 7) || '.' || (i % 13)),
         format('"reference_id":"%s"', CASE WHEN i % 5 = 0 THEN 'ref' || i ELSE (i::bigint * 7919 % 100000)::text END),
         format('"target":"%s"', CASE WHEN i % 3 = 0 THEN 'user' || i || '@example.com'
                                      WHEN i % 3 = 1 THEN '+1512555' || lpad((i % 10000)::text, 4, '0')
                                      ELSE '(512) 555-' || lpad((i % 10000)::text, 4, '0') END),
         format('"request_variables":%s', CASE i % 4 WHEN 0 THEN '{}'
                                          WHEN 1 THEN format('{"first_name":"Ana%s","n":%s}', i, i)
                                          WHEN 2 THEN format('{"nested":{"a":[1,2,{"b":null}],"x":%s.50},"t":true}', i)
                                          ELSE '{"é":"ü","long":"' || repeat('x', i % 300) || '"}' END),
         CASE WHEN i % 10 < 9 THEN format('"request_status":"%s"', (ARRAY['PENDING','DUPLICATE','INITIATED','CONNECTED','COMPLETED','FAILED','CANCELED','INVALID','SKIPPED'])[1 + i % 9]) END,
         CASE (i / 2) % 3 WHEN 0 THEN NULL WHEN 1 THEN '"call_manager_sid":null' ELSE format('"call_manager_sid":"LM%s"', md5(i::text)) END,
         CASE WHEN (i / 6) % 2 = 0 THEN format('"created_at":"%s"', to_char(timestamptz '2024-01-01 00:00:00+00' + i * interval '1 hour 1 second', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')) END,
         CASE (i / 12) % 3 WHEN 0 THEN NULL WHEN 1 THEN '"sent_at":null' ELSE format('"sent_at":"%s"', to_char(timestamptz '2024-02-01 00:00:00+00' + i * interval '1 minute 1.25 second', 'YYYY-MM-DD"T"HH24:MI:SS.US"+02:00"')) END,
         CASE WHEN (i / 36) % 3 > 0 THEN format('"attempt_count":%s', (i / 36) % 3 - 1 + i % 4) END,
         CASE (i / 108) % 3 WHEN 0 THEN NULL WHEN 1 THEN '"session_id":null' ELSE format('"session_id":%s', i::bigint * 1000003) END,
         CASE (i / 324) % 3 WHEN 0 THEN NULL WHEN 1 THEN '"conversation_id":null' ELSE format('"conversation_id":%s', 9223372036854775807 - i) END
       ))::comm_result AS r
FROM generate_series(1, 4096) i;

SELECT count(*) AS n, count(DISTINCT r) AS distinct_values FROM frozen;
-- text
SELECT md5(string_agg(r::text, E'\n' ORDER BY i)) AS text_md5 FROM frozen;
-- binary send
SELECT md5(string_agg(encode(comm_result_send(r), 'hex'), E'\n' ORDER BY i)) AS send_md5 FROM frozen;
-- stored bytes, through their sizes and two seeded 64-bit hashes of them
SELECT md5(string_agg(pg_column_size(r)::text, ',' ORDER BY i)) AS sizes_md5,
       sum(pg_column_size(r)) AS total_bytes FROM frozen;
SELECT md5(string_agg(comm_result_hash(r)::text, ',' ORDER BY i)) AS hash_md5,
       md5(string_agg(comm_result_hash_extended(r, 0)::text || '/' || comm_result_hash_extended(r, 8191)::text, ',' ORDER BY i)) AS hash_extended_md5
FROM frozen;
-- sort order
SELECT md5(string_agg(i::text, ',' ORDER BY r, i)) AS order_md5 FROM frozen;
-- jsonb cast, accessors, fields
SELECT md5(string_agg(r::jsonb::text, E'\n' ORDER BY i)) AS jsonb_md5 FROM frozen;
SELECT md5(string_agg(f::text, E'\n' ORDER BY i)) AS fields_md5 FROM frozen, comm_result_fields(r) f;

-- A few in full: text, binary and hashes, readable.
SELECT i, r, encode(comm_result_send(r), 'hex') AS send, comm_result_hash(r) AS hash,
       comm_result_hash_extended(r, 42) AS hash42, pg_column_size(r) AS size
FROM frozen WHERE i IN (1, 2, 3, 7, 108, 216, 1000, 4096) ORDER BY i;

DROP TABLE frozen;
