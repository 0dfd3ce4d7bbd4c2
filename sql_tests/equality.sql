-- = and <>: equal means the same canonical value (same fields, same
-- absent/null state, same instants, same target text, same variables as
-- jsonb keeps them).  The hash agrees with =, so GROUP BY, DISTINCT, hash
-- joins, hash indexes and hash partitions work.

CREATE TABLE eq (id int, r comm_result);
INSERT INTO eq VALUES
 (1, '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{"a":1,"b":2},"created_at":"2024-01-01T00:00:00Z"}'),
 (2, '{"request_variables":{"b":2,"a":1},"target":"5550100","reference_id":"r","batch_id":"b","created_at":"2024-01-01T01:00:00+01:00","attempt_count":0}'),
 (3, '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{"a":1,"b":2},"created_at":"2024-01-01T00:00:00.000001Z"}'),
 (4, '{"batch_id":"b","reference_id":"r","target":"555-0100","request_variables":{"a":1,"b":2},"created_at":"2024-01-01T00:00:00Z"}'),
 (5, '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{"a":1.0,"b":2},"created_at":"2024-01-01T00:00:00Z"}'),
 (6, '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{"a":1,"b":2},"created_at":"2024-01-01T00:00:00Z","sent_at":null}'),
 (7, '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{"a":1,"b":2},"created_at":"2024-01-01T00:00:00Z","request_status":"PENDING"}');

-- Only 1 and 2 are the same value.
SELECT a.id, b.id, a.r = b.r AS eq, a.r <> b.r AS ne,
       comm_result_hash(a.r) = comm_result_hash(b.r) AS same_hash
FROM eq a JOIN eq b ON a.id < b.id ORDER BY 1, 2;

-- The extended hash: seed 0 agrees with the 32-bit hash's low bits, other seeds differ.
SELECT comm_result_hash_extended(r, 0) & 4294967295 = comm_result_hash(r)::bigint & 4294967295 AS low_bits,
       comm_result_hash_extended(r, 1) <> comm_result_hash_extended(r, 0) AS seeded
FROM eq WHERE id = 1;

SELECT count(*) AS distinct_values FROM (SELECT DISTINCT r FROM eq) d;
SELECT min(id), count(*) FROM eq GROUP BY r ORDER BY 1;

-- Hash join and hash index.
SET enable_mergejoin = off;
SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM eq a JOIN eq b ON a.r = b.r;
SELECT count(*) FROM eq a JOIN eq b ON a.r = b.r;
RESET enable_mergejoin;
RESET enable_nestloop;
CREATE INDEX eq_hash ON eq USING hash (r);
SET enable_seqscan = off;
SELECT id FROM eq WHERE r = '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{"b":2,"a":1},"created_at":"2024-01-01T00:00:00Z"}' ORDER BY id;
RESET enable_seqscan;

-- Hash partitioning routes equal values alike.
CREATE TABLE eq_part (r comm_result) PARTITION BY HASH (r);
CREATE TABLE eq_part_0 PARTITION OF eq_part FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE eq_part_1 PARTITION OF eq_part FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO eq_part SELECT r FROM eq;
SELECT count(DISTINCT tableoid) AS partitions_for_equal_values FROM eq_part
WHERE r = (SELECT r FROM eq WHERE id = 1);

DROP TABLE eq, eq_part;
