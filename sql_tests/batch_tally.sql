-- comm_batch_tally (1.3): the state of comm_batch_summary and
-- comm_status_counts, which counts every status.  Its text and binary
-- forms are comm_batch_state's (1.0) when only the nine statuses of 1.0
-- occur; the counts of later statuses follow the ninth, as far as the last
-- one that is not zero.

-- The same text as comm_batch_state for the nine statuses of 1.0.
SELECT s::comm_batch_tally::text = s::comm_batch_state::text AS same_text, s::comm_batch_tally
FROM (VALUES ('(0,0,0,0,0,0,0,0,0,0,0,0,,,,)'),
             ('(3,1,0,1,0,1,0,0,0,0,2,1,2025-01-01T00:00:00Z,2025-01-02T00:00:00Z,2025-01-01T09:00:00Z,2025-01-01T09:00:00Z)')) v(s);
-- Later statuses: the counts by code (CALL_COMPLETED, SENT, UNSUBSCRIBED),
-- trailing zeros left out.
SELECT '(1,0,0,0,0,0,0,0,0,0,1,0,0,0,,,,)'::comm_batch_tally AS call_completed,
       '(1,0,0,0,0,0,0,0,0,0,0,1,0,0,,,,)'::comm_batch_tally AS sent,
       '(1,0,0,0,0,0,0,0,0,0,0,0,1,0,0,,,,)'::comm_batch_tally AS unsubscribed,
       '(1,0,0,0,0,0,0,0,0,1,0,0,0,0,0,,,,)'::comm_batch_tally AS zeros_left_out;
SELECT comm_batch_tally_summary('(3,0,0,0,0,0,0,0,0,0,1,1,1,0,0,,,,)') AS summary,
       comm_batch_tally_status_counts('(3,0,0,0,0,0,0,0,0,0,1,1,1,0,0,,,,)') AS counts;

-- Counting: every status, the new ones in their own columns.
CREATE TEMP TABLE rs (r comm_result);
INSERT INTO rs SELECT format('{"batch_id":"b","reference_id":"%s","target":"5550100","request_variables":{},"request_status":"%s","attempt_count":1}', s, s)::comm_result
FROM (SELECT status::text AS s FROM comm_statuses()) x;
SELECT (comm_batch_summary(r)).*, comm_status_counts(r) FROM rs;
SELECT (comm_batch_summary(r)).done AS done FROM rs WHERE request_status(r) IN ('SENT', 'CALL_COMPLETED', 'UNSUBSCRIBED', 'COMPLETED');
SELECT comm_batch_tally_add('(0,0,0,0,0,0,0,0,0,0,0,0,,,,)', r) FROM rs WHERE request_status(r) = 'SENT';

-- Binary: the same bytes as comm_batch_state for the nine, 8 more per
-- count after the ninth that is shown.
SELECT comm_batch_tally_send(s::comm_batch_tally) = comm_batch_state_send(s::comm_batch_state) AS same_bytes,
       length(comm_batch_tally_send(s::comm_batch_tally)) AS bytes
FROM (VALUES ('(0,0,0,0,0,0,0,0,0,0,0,0,,,,)'), ('(1,0,0,0,0,1,0,0,0,0,1,1,,,,)')) v(s);
SELECT length(comm_batch_tally_send('(1,0,0,0,0,0,0,0,0,0,0,1,0,0,,,,)')) AS with_sent;
CREATE TEMP TABLE tallies (t comm_batch_tally);
INSERT INTO tallies VALUES ('(0,0,0,0,0,0,0,0,0,0,0,0,,,,)'), ('(2,1,0,0,0,0,0,0,0,0,1,0,1,1,2025-01-01T00:00:00Z,2025-01-01T00:00:00Z,,)'),
                           ('(2,0,0,0,0,0,0,0,0,0,0,0,2,3,2,,,,)');
DO $$
DECLARE f text := current_setting('data_directory') || '/comm_batch_tally_1.copy';
BEGIN
  EXECUTE format('COPY tallies TO %L WITH (FORMAT binary)', f);
  CREATE TEMP TABLE tallies_back (t comm_batch_tally);
  EXECUTE format('COPY tallies_back FROM %L WITH (FORMAT binary)', f);
END $$;
SELECT a.t::text = b.t::text AS round_trip, b.t FROM (SELECT t, row_number() OVER () n FROM tallies) a
JOIN (SELECT t, row_number() OVER () n FROM tallies_back) b USING (n) ORDER BY n;

-- comm_batch_state, the state of 1.0 to 1.2, casts to a tally, and states
-- from both combine.
SELECT '(2,1,0,0,0,1,0,0,0,0,1,1,,,,)'::comm_batch_state::comm_batch_tally AS cast_state;
SELECT comm_batch_tally_combine('(2,1,0,0,0,1,0,0,0,0,1,1,,,,)'::comm_batch_state::comm_batch_tally, '(1,0,0,0,0,0,0,0,0,0,0,1,0,1,1,,,,)') AS combined;
-- comm_batch_state cannot count the statuses of 1.3 (as the aggregates of
-- 1.2 would meet them before ALTER EXTENSION ... UPDATE): a clear error.
SELECT comm_batch_state_add('(0,0,0,0,0,0,0,0,0,0,0,0,,,,)', r) FROM rs WHERE request_status(r) = 'UNSUBSCRIBED';
SELECT comm_batch_state_add('(0,0,0,0,0,0,0,0,0,0,0,0,,,,)', r) FROM rs WHERE request_status(r) = 'SKIPPED';
-- ... and its summary has the columns of the new statuses, at 0.
SELECT comm_batch_state_summary('(1,0,0,0,0,0,0,0,0,1,0,0,,,,)');

-- Input is validated.
SELECT 'not a state'::comm_batch_tally;
SELECT '(1,1,0,0,0,0,0,0,0,0)'::comm_batch_tally;
SELECT '(1,0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,,,,)'::comm_batch_tally;
SELECT '(2,1,0,0,0,0,0,0,0,0,0,0,0,,,,)'::comm_batch_tally;
SELECT '(1,0,0,0,0,0,0,0,0,0,1,-1,0,0,,,,)'::comm_batch_tally;
SELECT '(1,0,0,0,0,0,0,0,0,0,1,0,1,2,,,,)'::comm_batch_tally;
SELECT '(1,0,0,0,0,0,0,0,0,0,1,0,0,0,,2025-01-01T00:00:00Z,,)'::comm_batch_tally;
SELECT '(9223372036854775807,0,0,0,0,0,0,0,0,0,9223372036854775807,1,0,0,,,,)'::comm_batch_tally;
-- ... binary too: too short, too long (a status this build does not know), another version.
CREATE FUNCTION pg_temp.recv_tally(payload bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  detail text;
  lo oid := lo_from_bytea(0, '\x5047434f50590aff0d0a00'::bytea || int4send(0) || int4send(0)
                             || int2send(1::int2) || int4send(length(payload)) || payload
                             || int2send(-1::int2));
BEGIN
  PERFORM lo_export(lo, 'comm_batch_tally_recv.bin');
  PERFORM lo_unlink(lo);
  TRUNCATE tallies_back;
  COPY tallies_back FROM 'comm_batch_tally_recv.bin' WITH (FORMAT binary);
  RETURN (SELECT t::text FROM tallies_back);
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
  RETURN SQLSTATE || ' ' || SQLERRM || coalesce(' | ' || nullif(detail, ''), '');
END $$;
SELECT pg_temp.recv_tally(comm_batch_tally_send('(1,0,0,0,0,0,0,0,0,0,0,0,1,0,0,,,,)')) AS ok;
SELECT pg_temp.recv_tally(substr(comm_batch_tally_send('(0,0,0,0,0,0,0,0,0,0,0,0,,,,)'), 1, 128)) AS short;
SELECT pg_temp.recv_tally(comm_batch_tally_send('(0,0,0,0,0,0,0,0,0,0,0,0,,,,)') || '\x00'::bytea) AS odd_length;
SELECT pg_temp.recv_tally(overlay(comm_batch_tally_send('(0,0,0,0,0,0,0,0,0,0,0,0,,,,)') placing int8send(0) from 10 for 0)
                          || int8send(0) || int8send(0) || int8send(0)) AS unknown_status;
SELECT pg_temp.recv_tally(overlay(comm_batch_tally_send('(0,0,0,0,0,0,0,0,0,0,0,0,,,,)') placing '\x02'::bytea from 1 for 1)) AS version_2;
SELECT pg_temp.recv_tally(overlay(comm_batch_tally_send('(1,0,0,0,0,0,0,0,0,0,0,1,0,0,,,,)') placing int8send(2) from 2 for 8)) AS bad_total;

-- Overflowing counts raise an error rather than wrap.
SELECT comm_batch_tally_combine('(9223372036854775807,0,0,0,0,0,0,0,0,0,0,9223372036854775807,0,0,,,,)',
                                '(1,0,0,0,0,0,0,0,0,0,0,1,0,0,,,,)');
