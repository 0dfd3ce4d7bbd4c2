-- Every object of the extension is labelled and commented: functions are
-- IMMUTABLE and PARALLEL SAFE, STRICT unless they take NULL on purpose
-- (the constructor), and each object has a COMMENT.  The binary send and
-- receive functions are STABLE: they convert to and from client_encoding.

WITH objs AS (
  SELECT classid, objid FROM pg_depend
  WHERE refclassid = 'pg_extension'::regclass
    AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'comm_result')
    AND deptype = 'e'
)
SELECT p.oid::regprocedure AS function, p.provolatile AS vol, p.proisstrict AS strict,
       p.proparallel AS par
FROM objs JOIN pg_proc p ON objs.classid = 'pg_proc'::regclass AND p.oid = objs.objid
WHERE p.prokind <> 'a' AND (p.provolatile <> 'i' OR p.proparallel <> 's' OR NOT p.proisstrict)
ORDER BY 1::text;

-- Aggregates: parallel safe, each with a combine function and an ordinary
-- (not internal) state type, so that partial states can travel.
SELECT a.aggfnoid::regprocedure AS aggregate, p.proparallel AS par,
       a.aggcombinefn <> 0 AS has_combine, a.aggtranstype::regtype AS state_type
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE a.aggfnoid IN (SELECT objid FROM pg_depend
                     WHERE refclassid = 'pg_extension'::regclass
                       AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'comm_result')
                       AND deptype = 'e')
ORDER BY 1::text;

-- Objects without a comment (should be none).
WITH objs AS (
  SELECT classid, objid FROM pg_depend
  WHERE refclassid = 'pg_extension'::regclass
    AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'comm_result')
    AND deptype = 'e'
)
SELECT pg_describe_object(classid, objid, 0) AS uncommented
FROM objs
WHERE obj_description(objid, classid::regclass::name) IS NULL
  AND NOT (classid = 'pg_type'::regclass AND objid IN (SELECT typarray FROM pg_type))
ORDER BY 1;

-- What the extension contains.
SELECT count(*) FILTER (WHERE classid = 'pg_proc'::regclass) AS functions,
       -- (since 16 the array types are members too: counted without them)
       count(*) FILTER (WHERE classid = 'pg_type'::regclass
                        AND (SELECT typcategory FROM pg_type WHERE oid = objid) <> 'A') AS types,
       count(*) FILTER (WHERE classid = 'pg_operator'::regclass) AS operators,
       count(*) FILTER (WHERE classid = 'pg_cast'::regclass) AS casts,
       count(*) FILTER (WHERE classid = 'pg_opclass'::regclass) AS opclasses
FROM pg_depend
WHERE refclassid = 'pg_extension'::regclass
  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'comm_result')
  AND deptype = 'e';

-- The extension is relocatable.
CREATE SCHEMA elsewhere;
ALTER EXTENSION comm_result SET SCHEMA elsewhere;
SELECT '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{}}'::elsewhere.comm_result;
ALTER EXTENSION comm_result SET SCHEMA public;
DROP SCHEMA elsewhere;
