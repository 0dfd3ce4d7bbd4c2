-- Targets: a phone number or an e-mail address, kept as written;
-- target_kind says which.

CREATE FUNCTION pg_temp.t(target text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  detail text;
BEGIN
  RETURN target_kind(json_build_object('batch_id','b','reference_id','r',
           'target',target,'request_variables','{}'::json)::text::comm_result);
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
  RETURN SQLSTATE || ' ' || SQLERRM || coalesce(' | ' || nullif(detail, ''), '');
END $$;

-- Must pass, and keep their spelling.
SELECT left(t, 40) AS target, pg_temp.t(t) AS kind,
       target(json_build_object('batch_id','b','reference_id','r','target',t,'request_variables','{}'::json)::text::comm_result) = t AS kept
FROM (VALUES
  ('+15125551234'), ('512-555-1234'), ('+1 (555) 010-0199'), ('tel:+15550100199'),
  ('5550100'), ('TEL:5550100'), ('555.010.0199'), ('123456789012345'), ('+1234567'),
  ('UPPER.Case@Example.COM'), ('josé.garcía@exämple.es'), ('"quoted local"@example.com'),
  ('用户@例子.广告'), ('user@email.com'), ('a.b+tag@sub.example.co.uk'),
  ('"a\"b"@example.com'), ('!#$%&''*+-/=?^_`{|}~@example.com'), ('x@a-b.c'),
  ('user@123.45'), (repeat('l', 64) || '@' || repeat('d', 63) || '.com')
) v(t);

-- Must fail, each with the reason in DETAIL.  (The zero-width space is
-- spelt out in the first column: psql's idea of its width changed in 17.)
SELECT replace(left(t, 40), chr(8203), '<U+200B>') AS target, pg_temp.t(t) AS error
FROM (VALUES
  ('555-12'), ('123456'), ('1234567890123456'), ('+1 555 0100 abc'), ('++15550100'),
  ('1+5550100'), ('tel:'), ('tel:tel:5550100'), ('5550100 ext. 12'), ('phone'),
  ('user@'), ('@example.com'), ('user@example'), ('user@@example.com'),
  ('user@.example.com'), ('user@example..com'), ('user@example.com.'),
  ('user@-example.com'), ('user@example-.com'), ('.user@example.com'),
  ('user.@example.com'), ('us..er@example.com'), ('us er@example.com'),
  ('user@exa mple.com'), ('user@exam_ple.com'), ('"unterminated@example.com'),
  ('(user)@example.com'), (repeat('l', 65) || '@example.com'),
  ('u@' || repeat('d', 64) || '.com'),
  ('u@' || repeat(repeat('d', 60) || '.', 5) || 'com'),
  ('a@b.' || chr(8203)), (chr(160) || '@example.com'), ('a@exa' || chr(160) || 'mple.com'),
  ('"a' || chr(8232) || 'b"@example.com'), ('a@example.c' || chr(133))
) v(t);

-- One full error.
SELECT '{"batch_id":"b","reference_id":"r","target":"user@example","request_variables":{}}'::comm_result;
