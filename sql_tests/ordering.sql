-- The btree order: batch_id, then reference_id, both in natural order
-- (digit runs compare as numbers), then the canonical bytes; consistent
-- with = and with the hash.

-- An independent implementation of the documented rule, in PL/pgSQL.
CREATE FUNCTION pg_temp.natural_cmp(a text, b text) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  x bytea := convert_to(a, 'UTF8');
  y bytea := convert_to(b, 'UTF8');
  i int := 0;
  j int := 0;
  ra text;
  rb text;
  ca int;
  cb int;
BEGIN
  WHILE i < length(x) AND j < length(y) LOOP
    ca := get_byte(x, i);
    cb := get_byte(y, j);
    IF ca BETWEEN 48 AND 57 AND cb BETWEEN 48 AND 57 THEN
      ra := substring(convert_from(substring(x FROM i + 1), 'UTF8') FROM '^[0-9]+');
      rb := substring(convert_from(substring(y FROM j + 1), 'UTF8') FROM '^[0-9]+');
      i := i + length(ra);
      j := j + length(rb);
      ra := ltrim(ra, '0');
      rb := ltrim(rb, '0');
      IF length(ra) <> length(rb) THEN
        RETURN sign(length(ra) - length(rb));
      END IF;
      IF ra <> rb THEN
        RETURN CASE WHEN ra COLLATE "C" < rb COLLATE "C" THEN -1 ELSE 1 END;
      END IF;
    ELSE
      IF ca <> cb THEN
        RETURN sign(ca - cb);
      END IF;
      i := i + 1;
      j := j + 1;
    END IF;
  END LOOP;
  IF i < length(x) THEN RETURN 1; END IF;
  IF j < length(y) THEN RETURN -1; END IF;
  RETURN CASE WHEN x < y THEN -1 WHEN x > y THEN 1 ELSE 0 END;
END $$;

CREATE TABLE ord (id serial, r comm_result);
INSERT INTO ord (r)
SELECT comm_result(b, ref, t, '{}')
FROM unnest(ARRAY['20250117.9', '20250117.10', '20250117.09', '20250117.1', '2025011.99', '20250118.1',
                  'b', 'b1', 'b01', 'b001', 'b10', 'b2', 'B2', 'b2a', 'b2.5', 'é1', 'z', '9', '10', '009', 'x99999999999999999999999', 'x100000000000000000000000']) b,
     unnest(ARRAY['ref2', 'ref10', 'ref1', 'ref01', 'r', '5', '05']) ref,
     unnest(ARRAY['5550100', '5550101']) t;

SELECT count(*) AS values FROM ord;

-- ORDER BY r agrees with a sort by the reference comparator (then bytes).
WITH sorted AS (SELECT row_number() OVER (ORDER BY r) AS pos, r FROM ord)
SELECT count(*) AS adjacent_pairs,
       count(*) FILTER (WHERE
         coalesce(nullif(pg_temp.natural_cmp(batch_id(a.r), batch_id(b.r)), 0),
                  nullif(pg_temp.natural_cmp(reference_id(a.r), reference_id(b.r)), 0),
                  CASE WHEN comm_result_send(a.r) = comm_result_send(b.r) THEN 0 ELSE -1 END) >= 0
         AND a.r <> b.r) AS out_of_order
FROM sorted a JOIN sorted b ON b.pos = a.pos + 1;

-- The batch ids in order, as the reference comparator sees them.
SELECT string_agg(b, ' < ' ORDER BY pos) AS batch_ids
FROM (SELECT DISTINCT ON (batch_id(r)) batch_id(r) AS b, row_number() OVER (ORDER BY r) AS pos
      FROM ord ORDER BY batch_id(r), 2) s;
SELECT string_agg(DISTINCT reference_id(r), ' ') AS refs_c_order,
       (SELECT string_agg(x, ' < ' ORDER BY p) FROM (SELECT reference_id(r) x, min(row_number) p
            FROM (SELECT r, row_number() OVER (ORDER BY r) FROM ord WHERE batch_id(r) = 'b') q GROUP BY 1) z) AS refs_natural
FROM ord;

-- Every pair of values: cmp is antisymmetric, agrees with = and with the
-- operators, and equal values hash alike.
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE comm_result_cmp(a.r, b.r) <> -comm_result_cmp(b.r, a.r)) AS not_antisymmetric,
       count(*) FILTER (WHERE (comm_result_cmp(a.r, b.r) = 0) <> (a.r = b.r)) AS disagrees_with_eq,
       count(*) FILTER (WHERE (a.r < b.r) <> (comm_result_cmp(a.r, b.r) < 0)
                           OR (a.r <= b.r) <> (comm_result_cmp(a.r, b.r) <= 0)
                           OR (a.r > b.r) <> (comm_result_cmp(a.r, b.r) > 0)
                           OR (a.r >= b.r) <> (comm_result_cmp(a.r, b.r) >= 0)) AS operators_disagree,
       count(*) FILTER (WHERE a.r = b.r AND comm_result_hash(a.r) <> comm_result_hash(b.r)) AS hash_disagrees
FROM ord a, ord b;
-- Transitivity on every triple of a sample.
SELECT count(*) AS triples,
       count(*) FILTER (WHERE a.r < b.r AND b.r < c.r AND NOT a.r < c.r) AS not_transitive
FROM (SELECT r FROM ord WHERE id % 7 = 0) a, (SELECT r FROM ord WHERE id % 5 = 0) b, (SELECT r FROM ord WHERE id % 3 = 0) c;

-- Merge joins and ORDER BY through the btree class.
SET enable_hashjoin = off;
SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM ord a JOIN ord b ON a.r = b.r;
SELECT count(*) FROM ord a JOIN ord b ON a.r = b.r;
RESET enable_hashjoin;
RESET enable_nestloop;
SELECT (SELECT batch_id(r) FROM ord ORDER BY r LIMIT 1) AS first, (SELECT batch_id(r) FROM ord ORDER BY r DESC LIMIT 1) AS last;

-- A btree index over 200,000 generated values passes amcheck.
CREATE EXTENSION IF NOT EXISTS amcheck;
CREATE TABLE big_ord AS
SELECT comm_result(format('2025%s.%s', lpad((i % 37)::text, 4, '0'), i % 11), format('ref%s', i), '5550100',
                   jsonb_build_object('i', i), (ARRAY['PENDING','COMPLETED','FAILED']::comm_status[])[1 + i % 3],
                   attempt_count => i % 4) AS r
FROM generate_series(1, 200000) i;
CREATE INDEX big_ord_r ON big_ord (r);
SELECT bt_index_check('big_ord_r', heapallindexed => true);
SET enable_seqscan = off;
SELECT reference_id(r) FROM big_ord WHERE r >= comm_result('20250001.1', 'ref100', '5550100', '{}') ORDER BY r LIMIT 3;
RESET enable_seqscan;

DROP TABLE ord, big_ord;
