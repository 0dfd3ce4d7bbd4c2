-- Timestamps: RFC 3339 only, a zone always required, printed in UTC; input
-- and output never depend on TimeZone or DateStyle.

CREATE FUNCTION pg_temp.ts(t text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  detail text;
BEGIN
  RETURN (format('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"created_at":%s}',
                 to_json(t))::comm_result::jsonb) ->> 'created_at';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
  RETURN SQLSTATE || ' ' || SQLERRM || coalesce(' | ' || nullif(detail, ''), '');
END $$;

SELECT t AS input, pg_temp.ts(t) AS canonical FROM (VALUES
  ('2024-01-01T00:00:00Z'), ('2024-01-01t00:00:00z'), ('2024-01-01T02:30:00+02:30'),
  ('2023-12-31T19:00:00-05:00'), ('2024-01-01T00:00:00-00:00'), ('2024-01-01T00:00:00+23:59'),
  ('2024-01-01T00:00:00.5Z'), ('2024-01-01T00:00:00.123456Z'), ('2024-01-01T00:00:00.000000Z'),
  ('2024-01-01T00:00:00.1234564Z'), ('2024-01-01T00:00:00.1234565Z'),
  ('2024-01-01T00:00:00.123456999999999999Z'), ('2024-12-31T23:59:59.9999995Z'),
  ('2024-02-29T12:00:00Z'), ('2000-02-29T12:00:00Z'), ('2016-12-31T23:59:60Z'),
  ('0000-01-01T00:00:00Z'), ('9999-12-31T23:59:59.999999Z'), ('1970-01-01T00:00:00Z'),
  ('1969-12-31T23:59:59.999999Z'), ('0001-01-01T00:00:00+00:00')
) v(t);

-- Errors: format (22007), no zone (22007), field out of range and outside
-- years 0000-9999 in UTC (22008).
SELECT t AS input, pg_temp.ts(t) AS error FROM (VALUES
  ('2024-01-01T00:00:00'), ('2024-01-01T00:00:00.123'), ('2024-01-01 00:00:00Z'),
  ('2024-01-01'), ('2024-01-01T00:00Z'), ('24-01-01T00:00:00Z'), ('2024-1-01T00:00:00Z'),
  ('2024-01-01T00:00:00.Z'), ('2024-01-01T00:00:00+0200'), ('2024-01-01T00:00:00+02'),
  ('2024-01-01T00:00:00 Z'), ('2024-01-01T00:00:00ZZ'), ('2024-01-01T00:00:00UTC'),
  ('2024-01-01T00:00:00Z '), ('+2024-01-01T00:00:00Z'), ('2024-01-01T00:00:00,5Z'),
  ('now'), ('infinity'), (''),
  ('2023-02-29T00:00:00Z'), ('1900-02-29T00:00:00Z'), ('2024-13-01T00:00:00Z'),
  ('2024-00-01T00:00:00Z'), ('2024-04-31T00:00:00Z'), ('2024-01-00T00:00:00Z'),
  ('2024-01-01T24:00:00Z'), ('2024-01-01T00:60:00Z'), ('2024-01-01T00:00:61Z'),
  ('2024-01-01T00:00:00+24:00'), ('2024-01-01T00:00:00+01:60'),
  ('0000-01-01T00:00:00+00:01'), ('9999-12-31T23:59:59.9999995Z'), ('9999-12-31T23:30:00-01:00')
) v(t);
SELECT '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"sent_at":"2024-01-01 00:00:00"}'::comm_result;

-- created_at and sent_at read back as timestamptz, whatever the session says.
SET TimeZone = 'America/New_York';
SET DateStyle = 'SQL, DMY';
SELECT r::text, created_at(r) = '2024-01-01 00:00:00+00'::timestamptz AS created_ok,
       sent_at(r) = '2024-01-02 12:00:00.5+00'::timestamptz AS sent_ok
FROM (SELECT '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"created_at":"2024-01-01T01:00:00+01:00","sent_at":"2024-01-02T07:00:00.5-05:00"}'::comm_result r) s;
RESET TimeZone;
RESET DateStyle;

-- Agrees with PostgreSQL's own timestamptz on every valid form, except that
-- a seventh fraction digit of exactly 5 rounds up here (decimal rounding)
-- where timestamptz goes through a double and may round down.
SELECT count(*) AS disagreements
FROM (VALUES ('2024-01-01T00:00:00Z'), ('2024-03-10T02:30:00-08:00'),
             ('1999-12-31T23:59:59.999999+14:00'), ('2016-12-31T23:59:60Z'),
             ('0500-06-15T12:00:00.25+05:45'), ('2024-01-01T00:00:00.1234566Z'),
             ('2024-01-01T00:00:00.1234564Z')) v(t)
WHERE created_at(format('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"created_at":"%s"}', t)::comm_result)
      IS DISTINCT FROM t::timestamptz;
