-- The install script under a hostile search_path and in a schema that an
-- unprivileged role controls: look-alike functions and operators planted
-- there must never be called, and the extension's objects must refer to
-- the built-ins.

DROP EXTENSION comm_result;

CREATE ROLE regress_cr_hostile;
CREATE SCHEMA shared_ext AUTHORIZATION regress_cr_hostile;
CREATE SCHEMA hostile AUTHORIZATION regress_cr_hostile;

SET ROLE regress_cr_hostile;
-- Built-ins the script or its functions use, shadowed by functions that
-- raise when called.  (The selectivity estimators the operators name take
-- "internal" arguments, which no unprivileged role can declare.)
CREATE FUNCTION hostile.trap() RETURNS void LANGUAGE plpgsql AS
  $$ BEGIN RAISE EXCEPTION 'hostile function called by %', current_user; END $$;
CREATE FUNCTION shared_ext.now() RETURNS timestamptz LANGUAGE plpgsql AS
  $$ BEGIN PERFORM hostile.trap(); RETURN NULL; END $$;
CREATE FUNCTION hostile.now() RETURNS timestamptz LANGUAGE plpgsql AS
  $$ BEGIN PERFORM hostile.trap(); RETURN NULL; END $$;
CREATE FUNCTION shared_ext.jsonb_build_object(text, text) RETURNS jsonb LANGUAGE plpgsql AS
  $$ BEGIN PERFORM hostile.trap(); RETURN NULL; END $$;
CREATE FUNCTION shared_ext.to_jsonb(numeric) RETURNS jsonb LANGUAGE plpgsql AS
  $$ BEGIN PERFORM hostile.trap(); RETURN NULL; END $$;
CREATE FUNCTION shared_ext.texteq(text, text) RETURNS boolean LANGUAGE plpgsql AS
  $$ BEGIN PERFORM hostile.trap(); RETURN NULL; END $$;
CREATE OPERATOR shared_ext.= (LEFTARG = text, RIGHTARG = text, FUNCTION = shared_ext.texteq);
CREATE OPERATOR hostile.= (LEFTARG = text, RIGHTARG = text, FUNCTION = shared_ext.texteq);
RESET ROLE;

-- A superuser installs 1.0 into the role's schema with the role's schema
-- first on the search_path, then updates it.
SET search_path = hostile, shared_ext, public;
CREATE EXTENSION comm_result VERSION '1.0' SCHEMA shared_ext;
ALTER EXTENSION comm_result UPDATE;

-- Using the extension calls none of the planted functions.
SELECT (shared_ext.comm_batch_summary(r)).status_counts, shared_ext.comm_status_counts(r)
FROM shared_ext.comm_results('[{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{"n":1.5}}]') r;
SELECT shared_ext.comm_result_transition(
         '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"request_status":"PENDING"}',
         'INITIATED') IS NOT NULL AS transition_ok;
SELECT count(*) FROM shared_ext.comm_results('[{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{}}]') r
WHERE r = r AND r <= r;
EXPLAIN (COSTS OFF) SELECT 1 FROM (VALUES ('PENDING'::shared_ext.comm_status)) v(s) WHERE s < 'FAILED';
RESET search_path;

-- Every selectivity estimator and default of the extension is the built-in.
SELECT o.oprname, o.oprleft::regtype, o.oprrest::regproc::text AS restrict, o.oprjoin::regproc::text AS join
FROM pg_operator o
WHERE o.oid IN (SELECT objid FROM pg_depend
                WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'comm_result')
                  AND classid = 'pg_operator'::regclass)
  AND (o.oprrest::regproc::text LIKE '%.%' OR o.oprjoin::regproc::text LIKE '%.%')
ORDER BY 1, 2;
SELECT pg_get_function_arguments('shared_ext.comm_result_transition'::regproc) LIKE '%DEFAULT now()%' AS default_is_builtin_now;
SELECT count(*) AS functions_calling_hostile_code
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid
WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'comm_result')
  AND p.prokind <> 'a'
  AND (p.prosrc LIKE '%hostile%' OR p.prolang <> (SELECT oid FROM pg_language WHERE lanname = 'c'));

-- Back to the state the other tests expect.
DROP EXTENSION comm_result;
DROP SCHEMA shared_ext CASCADE;
DROP SCHEMA hostile CASCADE;
DROP ROLE regress_cr_hostile;
CREATE EXTENSION comm_result;
