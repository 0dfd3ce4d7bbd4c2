-- comm_status: a one-byte type for the statuses of the status table,
-- sorted by code, with btree and hash classes: the nine of 1.0 in the
-- API's listing of the time, then the three of 1.3 (sql_tests/statuses.sql)
-- in the order they were added, so an index is in order for every release.

SELECT s::comm_status, pg_column_size(s::comm_status) AS bytes
FROM unnest(ARRAY['PENDING','DUPLICATE','INITIATED','CONNECTED','COMPLETED','FAILED','CANCELED','INVALID','SKIPPED',
                  'CALL_COMPLETED','SENT','UNSUBSCRIBED']) s;
SELECT 'pending'::comm_status;
SELECT ' PENDING'::comm_status;
SELECT ''::comm_status;

-- Order is the code order, not alphabetical.
SELECT array_agg(s ORDER BY s) FROM unnest('{SKIPPED,PENDING,FAILED,COMPLETED,CANCELED,CONNECTED,INITIATED,INVALID,DUPLICATE}'::comm_status[]) s;
SELECT array_agg(s ORDER BY s) FROM unnest('{UNSUBSCRIBED,SKIPPED,SENT,PENDING,FAILED,COMPLETED,CALL_COMPLETED,CANCELED,CONNECTED,INITIATED,INVALID,DUPLICATE}'::comm_status[]) s;
SELECT 'PENDING'::comm_status < 'COMPLETED', 'FAILED'::comm_status > 'COMPLETED',
       'FAILED'::comm_status <= 'FAILED', 'FAILED'::comm_status >= 'SKIPPED',
       'FAILED'::comm_status = 'FAILED', 'FAILED'::comm_status <> 'FAILED';
SELECT comm_status_cmp('PENDING', 'SKIPPED'), comm_status_cmp('SKIPPED', 'SKIPPED'), comm_status_cmp('SKIPPED', 'PENDING');

-- Indexes and hashing.
CREATE TABLE st (s comm_status);
INSERT INTO st SELECT (ARRAY['PENDING','COMPLETED','FAILED']::comm_status[])[1 + i % 3] FROM generate_series(1, 300) i;
CREATE INDEX ON st (s);
CREATE INDEX ON st USING hash (s);
SELECT s, count(*) FROM st GROUP BY s ORDER BY s;
SELECT count(DISTINCT comm_status_hash(s)) AS hashes, count(DISTINCT comm_status_hash_extended(s, 7)) AS extended FROM st;
SET enable_seqscan = off;
SELECT count(*) FROM st WHERE s = 'FAILED';
SELECT count(*) FROM st WHERE s > 'COMPLETED';
RESET enable_seqscan;
DROP TABLE st;

-- Binary: the status name, as for enums; a binary COPY round trip.
SELECT comm_status_send('COMPLETED');
CREATE TABLE st_src (s comm_status);
INSERT INTO st_src SELECT status FROM comm_statuses();
CREATE TABLE st_dst (s comm_status);
DO $$
DECLARE f text := current_setting('data_directory') || '/comm_status_binary.copy';
BEGIN
  EXECUTE format('COPY st_src TO %L WITH (FORMAT binary)', f);
  EXECUTE format('COPY st_dst FROM %L WITH (FORMAT binary)', f);
END $$;
SELECT array_agg(s ORDER BY s) FROM st_dst;
DROP TABLE st_src, st_dst;
