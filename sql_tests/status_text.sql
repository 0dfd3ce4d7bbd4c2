-- comm_status -> text: a cast function that takes the name from the status
-- table gives exactly the text of the I/O conversion (comm_status_out, then
-- textin) for every status, in every way a cast is reached.

-- The cast is the C function, in assignment context like the I/O cast it
-- replaces.
SELECT c.castfunc::regprocedure, c.castcontext, c.castmethod
FROM pg_cast c
WHERE c.castsource = 'comm_status'::regtype AND c.casttarget = 'text'::regtype;
SELECT p.provolatile, p.proisstrict, p.proparallel
FROM pg_proc p WHERE p.oid = 'comm_status_to_text(comm_status)'::regprocedure;

-- Every status: the same text, bytes and length as the I/O round trip
-- (varchar has no cast function, so it still goes through the I/O path).
SELECT s::text AS cast, s::text = textin(comm_status_out(s)) AS same_as_io,
       octet_length(s::text) AS bytes, pg_column_size(s::text) AS size,
       s::text = s::varchar::text AS same_as_varchar,
       comm_status_to_text(s) = s::text AS function_is_cast
FROM unnest('{PENDING,DUPLICATE,INITIATED,CONNECTED,COMPLETED,FAILED,CANCELED,INVALID,SKIPPED}'::comm_status[]) s;

-- NULL in, NULL out (strict).
SELECT NULL::comm_status::text IS NULL AS null_is_null, comm_status_to_text(NULL) IS NULL AS function_null;

-- Assignment to a text column, and text operations on the result.
CREATE TABLE status_text_t (t text);
INSERT INTO status_text_t VALUES ('FAILED'::comm_status), ('SKIPPED'::comm_status);
SELECT t, t || '!' AS concat, lower(t) FROM status_text_t ORDER BY t;
DROP TABLE status_text_t;

-- Through the accessor, as users write it: grouping on the text of the
-- status and filtering on it.
CREATE TABLE status_text_r (r comm_result);
INSERT INTO status_text_r
SELECT comm_result('b' || (i % 2), 'r' || i, '+15125550' || lpad(i::text, 3, '0'), '{}',
                   (ARRAY['PENDING','FAILED','COMPLETED',NULL]::comm_status[])[1 + i % 4])
FROM generate_series(1, 40) i;
SELECT batch_id(r), request_status(r)::text, count(*)
FROM status_text_r GROUP BY 1, 2 ORDER BY 1, 2;
SELECT count(*) FROM status_text_r WHERE request_status(r)::text = 'FAILED';
SELECT request_status(r)::text COLLATE "C" < 'G' AS before_g, count(*)
FROM status_text_r WHERE request_status(r) IS NOT NULL GROUP BY 1 ORDER BY 1;
DROP TABLE status_text_r;

-- Text from a comm_result field is the same whichever way the status is
-- reached (the value's own JSON output names it identically).
SELECT request_status(r)::text = r::jsonb->>'request_status' AS same_as_json
FROM (VALUES ('{"batch_id":"b","reference_id":"x","target":"+15125550100","request_variables":{},"request_status":"CONNECTED"}'::comm_result)) v(r);
