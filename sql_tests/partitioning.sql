-- Partitioning by batch: by a plain batch_id column tied to the value by a
-- CHECK (merge upserts on the parent work), and by expression.

CREATE TABLE presults (
  r comm_result NOT NULL,
  batch_id text NOT NULL CHECK (batch_id = batch_id(r)),
  reference_id text GENERATED ALWAYS AS (reference_id(r)) STORED,
  PRIMARY KEY (batch_id, reference_id)
) PARTITION BY LIST (batch_id);
CREATE TABLE presults_9 PARTITION OF presults FOR VALUES IN ('20250117.9');
CREATE TABLE presults_10 PARTITION OF presults FOR VALUES IN ('20250117.10');
CREATE TRIGGER presults_guard BEFORE UPDATE ON presults
  FOR EACH ROW EXECUTE FUNCTION comm_result_guard();

INSERT INTO presults (r, batch_id)
SELECT r, batch_id(r) FROM comm_results('[
  {"batch_id":"20250117.9","reference_id":"1","target":"5550100","request_variables":{},"request_status":"PENDING"},
  {"batch_id":"20250117.10","reference_id":"1","target":"5550100","request_variables":{},"request_status":"INITIATED","attempt_count":1}]') r
ON CONFLICT (batch_id, reference_id) DO UPDATE SET r = comm_result_merge(presults.r, excluded.r);
INSERT INTO presults (r, batch_id)
SELECT r, batch_id(r) FROM comm_results('[
  {"batch_id":"20250117.9","reference_id":"1","target":"5550100","request_variables":{},"request_status":"COMPLETED","attempt_count":1},
  {"batch_id":"20250117.10","reference_id":"1","target":"5550100","request_variables":{},"request_status":"PENDING"}]') r
ON CONFLICT (batch_id, reference_id) DO UPDATE SET r = comm_result_merge(presults.r, excluded.r);
SELECT tableoid::regclass AS partition, batch_id, reference_id, request_status(r), attempt_count(r)
FROM presults ORDER BY r;
-- The guard still stops an illegal change, and the CHECK a mislabelled row.
UPDATE presults SET r = comm_result('20250117.9', '1', '5550100', '{}', 'FAILED', attempt_count => 1)
WHERE batch_id = '20250117.9';
INSERT INTO presults (r, batch_id) VALUES (comm_result('20250117.9', '2', '5550100', '{}'), '20250117.10');

-- By expression: hash partitions spread batches, equal batch ids alike.
CREATE TABLE hresults (r comm_result NOT NULL) PARTITION BY HASH (batch_id(r));
CREATE TABLE hresults_0 PARTITION OF hresults FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE hresults_1 PARTITION OF hresults FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE UNIQUE INDEX ON hresults_0 ((batch_id(r)), (reference_id(r)));
CREATE UNIQUE INDEX ON hresults_1 ((batch_id(r)), (reference_id(r)));
INSERT INTO hresults SELECT comm_result(format('2025011%s.%s', i % 2, i % 7), i::text, '5550100', '{}') FROM generate_series(1, 200) i;
SELECT count(*) AS batches, max(partitions) AS partitions_per_batch
FROM (SELECT batch_id(r), count(DISTINCT tableoid) AS partitions FROM hresults GROUP BY 1) b;
SELECT count(*) > 0 AS both_used FROM hresults GROUP BY tableoid;

DROP TABLE presults, hresults;
