-- The statuses of 1.3: CALL_COMPLETED (sent by the API from 2025-11 to
-- 2026-03), SENT (2026-02 to 2026-03) and UNSUBSCRIBED (2026-03) load
-- through every way in and get codes of their own (9, 10, 11), which also
-- sort them after the nine of 1.0; those keep their codes, bytes and order.
-- Merge ranks statuses by the API's listing (comm_statuses().listed).
SET timezone = 'UTC';

-- The status table.
SELECT * FROM comm_statuses();

CREATE TEMP TABLE v AS
SELECT s.status, format('{"batch_id":"b","reference_id":"%s","target":"+15125550001","request_variables":{},"request_status":"%s","attempt_count":1}', s.status, s.status) AS t
FROM comm_statuses() s;

-- Every way in: text, jsonb, the response loaders, the constructor, binary.
SELECT status,
       (t::comm_result)::text = t::comm_result::text AS text_ok,
       request_status(t::comm_result) = status AS accessor,
       t::jsonb::comm_result = t::comm_result AS jsonb_in,
       (SELECT r FROM comm_results('[' || t || ']', 'b') r) = t::comm_result AS response_text,
       (SELECT result FROM comm_results_checked(('[' || t || ']')::jsonb, 'b')) = t::comm_result AS response_checked,
       comm_result('b', status::text, '+15125550001', '{}', status, attempt_count => 1) = t::comm_result AS constructor,
       request_status(t::comm_result)::text = status::text AS status_text
FROM v ORDER BY status;

-- Stored and binary forms: the status byte is the code, in format version 1
-- for an April-shape value; the nine of 1.0 keep theirs.
SELECT status, get_byte(comm_result_send(t::comm_result), 0) AS wire_version,
       get_byte(comm_result_send(t::comm_result), 3) AS wire_code,
       substr(comm_result_send(t::comm_result), 1, 4) AS wire_head
FROM v ORDER BY status;
CREATE TEMP TABLE back (r comm_result);
DO $$
DECLARE f text := current_setting('data_directory') || '/comm_result_statuses.copy';
BEGIN
  EXECUTE format('COPY (SELECT t::comm_result FROM v) TO %L WITH (FORMAT binary)', f);
  EXECUTE format('COPY back FROM %L WITH (FORMAT binary)', f);
END $$;
SELECT count(*) AS rows, count(*) FILTER (WHERE r IN (SELECT t::comm_result FROM v)) AS round_trip FROM back;
SELECT status, comm_status_send(status), comm_status_hash(status), comm_status_hash_extended(status, 1)
FROM v WHERE status IN ('CALL_COMPLETED', 'SENT', 'UNSUBSCRIBED') ORDER BY status;
-- comm_status's binary form is the name, for the new ones too.
SELECT comm_status_send('SENT') = convert_to('SENT', 'UTF8') AS name_on_the_wire;

-- Order: by code, the new ones after the nine; a btree index follows it.
CREATE TEMP TABLE st AS SELECT status AS s FROM v, generate_series(1, 10);
CREATE INDEX ON st (s);
SET enable_seqscan = off;
SELECT s, count(*) FROM st WHERE s > 'CANCELED' GROUP BY s ORDER BY s;
RESET enable_seqscan;
SELECT 'SKIPPED'::comm_status < 'CALL_COMPLETED', 'CALL_COMPLETED'::comm_status < 'SENT', 'SENT'::comm_status < 'UNSUBSCRIBED',
       comm_status_cmp('UNSUBSCRIBED', 'PENDING');

-- The lifecycle: INITIATED reaches SENT and CALL_COMPLETED, CONNECTED
-- reaches CALL_COMPLETED, PENDING reaches UNSUBSCRIBED; SENT and
-- CALL_COMPLETED may become COMPLETED, their later name; all three are
-- terminal otherwise.
SELECT f.status AS from_status, t.status AS to_status
FROM comm_statuses() f, comm_statuses() t
WHERE f.status <> t.status AND comm_status_can_transition(f.status, t.status)
  AND (f.status IN ('CALL_COMPLETED', 'SENT', 'UNSUBSCRIBED') OR t.status IN ('CALL_COMPLETED', 'SENT', 'UNSUBSCRIBED'))
ORDER BY 1, 2;
SELECT comm_result_transition('{"batch_id":"b","reference_id":"r","target":"+15125550001","request_variables":{},"request_status":"INITIATED","attempt_count":1,"sent_at":"2026-02-20T10:00:00Z"}', 'SENT') AS message_sent;
SELECT comm_result_transition('{"batch_id":"b","reference_id":"r","target":"+15125550001","request_variables":{},"request_status":"SENT","attempt_count":1}', 'COMPLETED') AS renamed;
SELECT comm_result_transition('{"batch_id":"b","reference_id":"r","target":"+15125550001","request_variables":{},"request_status":"COMPLETED","attempt_count":1}', 'CALL_COMPLETED');
SELECT comm_result_transition('{"batch_id":"b","reference_id":"r","target":"+15125550001","request_variables":{},"request_status":"UNSUBSCRIBED"}', 'INITIATED', '2026-03-10 10:00:00+00');
SELECT comm_result_transition('{"batch_id":"b","reference_id":"r","target":"+15125550001","request_variables":{},"request_status":"CALL_COMPLETED","attempt_count":1}', 'FAILED');

-- Merge: the later name wins at equal progress, whichever comes first;
-- a new attempt wins over any of them.
CREATE TEMP TABLE snap AS
SELECT status, format('{"batch_id":"b","reference_id":"x","target":"+15125550001","request_variables":{},"request_status":"%s","attempt_count":1}', status)::comm_result AS r
FROM comm_statuses();
SELECT a.status AS a, b.status AS b, request_status(comm_result_merge(a.r, b.r)) AS merge_ab,
       request_status(comm_result_merge(b.r, a.r)) AS merge_ba
FROM snap a, snap b
WHERE a.status IN ('CALL_COMPLETED', 'SENT') AND b.status IN ('COMPLETED', 'CALL_COMPLETED', 'SENT', 'UNSUBSCRIBED', 'FAILED')
  AND a.status < b.status
ORDER BY a.status, b.status;
SELECT request_status(comm_result_merge('{"batch_id":"b","reference_id":"r","target":"+15125550001","request_variables":{},"request_status":"CALL_COMPLETED","attempt_count":1}',
                                        '{"batch_id":"b","reference_id":"r","target":"+15125550001","request_variables":{},"request_status":"INITIATED","attempt_count":2}')) AS retry_wins;

-- The guard: re-ingesting a batch after the API renamed its statuses
-- works; going back to the old name, or contradicting an outcome, does not.
CREATE TEMP TABLE results (r comm_result NOT NULL);
CREATE UNIQUE INDEX ON results ((batch_id(r)), (reference_id(r)));
CREATE TRIGGER results_guard BEFORE UPDATE ON results FOR EACH ROW EXECUTE FUNCTION comm_result_guard();
INSERT INTO results SELECT t::comm_result FROM v WHERE status IN ('CALL_COMPLETED', 'SENT', 'UNSUBSCRIBED');
INSERT INTO results (r)
SELECT replace(replace(t, '"CALL_COMPLETED","attempt', '"COMPLETED","attempt'), '"SENT","attempt', '"COMPLETED","attempt')::comm_result
FROM v WHERE status IN ('CALL_COMPLETED', 'SENT')
ON CONFLICT ((batch_id(r)), (reference_id(r))) DO UPDATE SET r = comm_result_merge(results.r, excluded.r);
SELECT reference_id(r), request_status(r) FROM results ORDER BY 1;
UPDATE results SET r = replace(r::text, '"request_status":"COMPLETED"', '"request_status":"CALL_COMPLETED"')::comm_result
WHERE reference_id(r) = 'CALL_COMPLETED';
UPDATE results SET r = replace(r::text, '"request_status":"UNSUBSCRIBED"', '"request_status":"SKIPPED"')::comm_result
WHERE reference_id(r) = 'UNSUBSCRIBED';

-- Reports: the new statuses in their own columns and in status_counts; a
-- batch of them is done.
SELECT (comm_batch_summary(r)).*, comm_status_counts(r) FROM results;
SELECT (s).total, (s).call_completed, (s).sent, (s).unsubscribed, (s).done
FROM (SELECT comm_batch_summary(t::comm_result) AS s FROM v) x;

-- A status the API has never sent is still refused, with the list.
SELECT '{"batch_id":"b","reference_id":"r","target":"+15125550001","request_variables":{},"request_status":"DELIVERED"}'::comm_result;
SELECT * FROM comm_result_errors('{"batch_id":"b","reference_id":"r","target":"+15125550001","request_variables":{},"request_status":"sent"}');
SELECT 'Sent'::comm_status;
