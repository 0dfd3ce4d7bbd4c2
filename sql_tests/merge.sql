-- comm_result_merge: of two snapshots of one request, the one further
-- along by (attempt_count, rank) wins; at equal progress the fields are
-- combined deterministically.  Commutative, associative and idempotent,
-- checked here on thousands of generated snapshots.

SELECT setseed(0.42);

-- 600 random snapshots of one request, drawn from small sets of values so
-- that ties in progress and in fields are frequent.
CREATE TEMP TABLE snaps AS
SELECT i, format('{"batch_id":"b","reference_id":"r","target":"%s","request_variables":%s%s%s%s%s%s%s%s}',
                 (ARRAY['5550100', '5550101'])[1 + floor(random() * 2)::int],
                 (ARRAY['{}', '{"a":1}', '{"a":2}', '{"b":[1]}'])[1 + floor(random() * 4)::int],
                 (ARRAY['', ',"request_status":null', ',"request_status":"PENDING"', ',"request_status":"DUPLICATE"',
                        ',"request_status":"INITIATED"', ',"request_status":"CONNECTED"', ',"request_status":"COMPLETED"',
                        ',"request_status":"FAILED"', ',"request_status":"CANCELED"', ',"request_status":"INVALID"',
                        ',"request_status":"SKIPPED"', ',"request_status":"CALL_COMPLETED"', ',"request_status":"SENT"',
                        ',"request_status":"UNSUBSCRIBED"'])[1 + floor(random() * 14)::int],
                 (ARRAY['', ',"attempt_count":1', ',"attempt_count":2'])[1 + floor(random() * 3)::int],
                 (ARRAY['', ',"call_manager_sid":null', ',"call_manager_sid":"LMa"', ',"call_manager_sid":"LMb"'])[1 + floor(random() * 4)::int],
                 (ARRAY['', ',"created_at":"2024-01-01T00:00:00Z"', ',"created_at":"2024-01-02T00:00:00Z"'])[1 + floor(random() * 3)::int],
                 (ARRAY['', ',"sent_at":null', ',"sent_at":"2024-01-01T00:00:00Z"', ',"sent_at":"2024-01-03T00:00:00Z"'])[1 + floor(random() * 4)::int],
                 (ARRAY['', ',"session_id":null', ',"session_id":1', ',"session_id":2'])[1 + floor(random() * 4)::int],
                 (ARRAY['', ',"conversation_id":null', ',"conversation_id":1', ',"conversation_id":2'])[1 + floor(random() * 4)::int]
                )::comm_result AS r
FROM generate_series(1, 600) i;

SELECT count(*) AS snapshots, count(DISTINCT r::text) AS distinct_snapshots FROM snaps;

-- 5,000 random triples.
CREATE TEMP TABLE picks AS
SELECT n, 1 + floor(random() * 600)::int AS ia, 1 + floor(random() * 600)::int AS ib,
       1 + floor(random() * 600)::int AS ic
FROM generate_series(1, 5000) n;
CREATE TEMP TABLE triples AS
SELECT a.r AS a, b.r AS b, c.r AS c
FROM picks JOIN snaps a ON a.i = ia JOIN snaps b ON b.i = ib JOIN snaps c ON c.i = ic;

SELECT count(*) AS triples,
       count(*) FILTER (WHERE comm_result_merge(a, b) <> comm_result_merge(b, a)) AS not_commutative,
       count(*) FILTER (WHERE comm_result_merge(comm_result_merge(a, b), c)
                              <> comm_result_merge(a, comm_result_merge(b, c))) AS not_associative,
       count(*) FILTER (WHERE comm_result_merge(a, a) <> a) AS not_idempotent,
       count(*) FILTER (WHERE comm_result_merge(a, b) <> a AND comm_result_merge(a, b) <> b) AS combined,
       count(*) FILTER (WHERE (attempt_count(a), CASE WHEN request_status(a) IS NULL OR request_status(a) = 'PENDING' THEN 0
                                                      WHEN request_status(a) = 'INITIATED' THEN 1
                                                      WHEN request_status(a) = 'CONNECTED' THEN 2 ELSE 3 END)
                              > (attempt_count(b), CASE WHEN request_status(b) IS NULL OR request_status(b) = 'PENDING' THEN 0
                                                        WHEN request_status(b) = 'INITIATED' THEN 1
                                                        WHEN request_status(b) = 'CONNECTED' THEN 2 ELSE 3 END)
                              AND comm_result_merge(a, b)::jsonb - 'created_at' - 'sent_at'
                                  <> a::jsonb - 'created_at' - 'sent_at') AS further_along_lost,
       -- the write-once instants: the earliest present one, whoever has it
       count(*) FILTER (WHERE created_at(comm_result_merge(a, b)) IS DISTINCT FROM least(created_at(a), created_at(b))
                           OR sent_at(comm_result_merge(a, b)) IS DISTINCT FROM least(sent_at(a), sent_at(b))) AS instants_lost
FROM triples;

-- Folding every snapshot in any order gives one result.
SELECT count(DISTINCT m::text) AS results_of_10_shuffled_folds
FROM (SELECT k, (SELECT x FROM (
        WITH RECURSIVE ord AS (SELECT row_number() OVER (ORDER BY md5(i::text || k)) AS n, r FROM snaps),
             fold AS (SELECT 1::bigint AS n, r AS x FROM ord WHERE n = 1
                      UNION ALL
                      SELECT ord.n, comm_result_merge(fold.x, ord.r) FROM fold JOIN ord ON ord.n = fold.n + 1)
        SELECT x, n FROM fold ORDER BY n DESC LIMIT 1) last) AS m
      FROM generate_series(1, 10) k) f;

-- Examples: further along wins (but for created_at and sent_at, where the
-- earliest present instant is kept); at equal progress, present beats
-- absent and fields are combined.
SELECT comm_result_merge('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"request_status":"INITIATED","attempt_count":1,"session_id":7}',
                         '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"request_status":"CONNECTED","attempt_count":1}')::text;
SELECT comm_result_merge('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"request_status":"CONNECTED","attempt_count":1,"session_id":7}',
                         '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"request_status":"CONNECTED","attempt_count":1,"conversation_id":9,"sent_at":"2024-01-01T00:00:00Z"}')::text;
SELECT comm_result_merge('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"request_status":"FAILED","attempt_count":1}',
                         '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"request_status":"INITIATED","attempt_count":2}')::text;

-- Snapshots of different requests cannot be merged.
SELECT comm_result_merge('{"batch_id":"b","reference_id":"r1","target":"5550100","request_variables":{}}',
                         '{"batch_id":"b","reference_id":"r2","target":"5550100","request_variables":{}}');
SELECT comm_result_merge(NULL, '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{}}') IS NULL AS strict;
