/* comm_result--1.2--1.3.sql: upgrade from 1.2 to 1.3, nothing the API sends is lost */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION comm_result UPDATE TO '1.3'" to load this file. \quit

/*
 * 1.3 loads every record the API's SDKs accept (an optional string may be
 * empty), every status the API has sent since April 2025, and whole
 * responses without losing a record to its neighbours:
 * comm_results_checked returns each element either as a value or with its
 * problems and its text, to be kept and loaded again later.  No stored
 * value changes (see README, "Upgrading").
 *
 * As in 1.0, every function is written in C and, unless a comment says
 * otherwise, IMMUTABLE, STRICT and PARALLEL SAFE; built-in types resolve
 * through pg_catalog and no function body runs SQL.
 */

-- The load that loses nothing: one row per element of a response.
CREATE FUNCTION comm_results_checked(response text, batch_id text)
	RETURNS TABLE (ordinal integer, result comm_result, errors jsonb, element text)
	AS 'MODULE_PATHNAME', 'comm_results_checked_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comm_results_checked(response jsonb, batch_id text)
	RETURNS TABLE (ordinal integer, result comm_result, errors jsonb, element text)
	AS 'MODULE_PATHNAME', 'comm_results_checked_jsonb' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION comm_results_checked(text, text) IS 'one row per element of an API response body (JSON text): the comm_result, or every problem of the element and its exact text; a body that is not a complete JSON array is an error and gives no rows';
COMMENT ON FUNCTION comm_results_checked(jsonb, text) IS 'one row per element of an API response array: the comm_result, or every problem of the element and its text as jsonb prints it';

------------------------------------------------------------------------
-- Every status the API has sent since April 2025
------------------------------------------------------------------------

-- CALL_COMPLETED, SENT and UNSUBSCRIBED join the nine statuses of 1.0
-- with new codes; the nine keep theirs, their stored and binary forms and
-- their order.  comm_status sorts by code, the new ones after the nine, so
-- that an index built by one release is in order for every other.
COMMENT ON TYPE comm_status IS 'status of a communication request: PENDING, DUPLICATE, INITIATED, CONNECTED, COMPLETED, FAILED, CANCELED, INVALID, SKIPPED, CALL_COMPLETED, SENT or UNSUBSCRIBED (sorted in that order)';

-- The status table, from which the lifecycle follows.
CREATE FUNCTION comm_statuses()
	RETURNS TABLE (status comm_status, listed integer, rank integer, terminal boolean,
				   next_statuses comm_status[], note text)
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 12;
COMMENT ON FUNCTION comm_statuses() IS 'every status, with its position in the API''s listing and its progress rank (which comm_result_merge compares), whether it is terminal, its allowed next statuses, and why it sits there';

------------------------------------------------------------------------
-- comm_batch_tally: the report state that counts every status
------------------------------------------------------------------------

-- comm_batch_state is 128 bytes and counts the nine statuses of 1.0; it
-- stays, for states users have stored.  The aggregates move to
-- comm_batch_tally, whose text and binary forms are comm_batch_state's
-- when only those nine occur.
CREATE TYPE comm_batch_tally;

CREATE FUNCTION comm_batch_tally_in(cstring) RETURNS comm_batch_tally
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comm_batch_tally_out(comm_batch_tally) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comm_batch_tally_recv(internal) RETURNS comm_batch_tally
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comm_batch_tally_send(comm_batch_tally) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE comm_batch_tally (
	INPUT = comm_batch_tally_in,
	OUTPUT = comm_batch_tally_out,
	RECEIVE = comm_batch_tally_recv,
	SEND = comm_batch_tally_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = plain
);

COMMENT ON TYPE comm_batch_tally IS 'partial state of the per-batch report aggregates: counts per status (every status), attempts, first and last instants';
COMMENT ON FUNCTION comm_batch_tally_in(cstring) IS 'comm_batch_tally text input, validated';
COMMENT ON FUNCTION comm_batch_tally_out(comm_batch_tally) IS 'comm_batch_tally text output';
COMMENT ON FUNCTION comm_batch_tally_recv(internal) IS 'comm_batch_tally binary input, validated';
COMMENT ON FUNCTION comm_batch_tally_send(comm_batch_tally) IS 'comm_batch_tally binary output';

-- The transition and combine functions update their first argument in
-- place when called by an aggregate, and work on a copy otherwise.
CREATE FUNCTION comm_batch_tally_add(comm_batch_tally, comm_result) RETURNS comm_batch_tally
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comm_batch_tally_combine(comm_batch_tally, comm_batch_tally) RETURNS comm_batch_tally
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comm_batch_tally_summary(comm_batch_tally) RETURNS comm_batch_summary
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comm_batch_tally_status_counts(comm_batch_tally) RETURNS jsonb
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comm_batch_tally(comm_batch_state) RETURNS comm_batch_tally
	AS 'MODULE_PATHNAME', 'comm_batch_tally_from_state' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION comm_batch_tally_add(comm_batch_tally, comm_result) IS 'adds one result to a per-batch state';
COMMENT ON FUNCTION comm_batch_tally_combine(comm_batch_tally, comm_batch_tally) IS 'combines two partial per-batch states';
COMMENT ON FUNCTION comm_batch_tally_summary(comm_batch_tally) IS 'the comm_batch_summary of a per-batch state';
COMMENT ON FUNCTION comm_batch_tally_status_counts(comm_batch_tally) IS 'the status counts of a per-batch state as {"STATUS": count}, zero counts left out';
COMMENT ON FUNCTION comm_batch_tally(comm_batch_state) IS 'a comm_batch_state of 1.0 to 1.2 as a comm_batch_tally (the same counts)';

CREATE CAST (comm_batch_state AS comm_batch_tally) WITH FUNCTION comm_batch_tally(comm_batch_state) AS ASSIGNMENT;
COMMENT ON CAST (comm_batch_state AS comm_batch_tally) IS 'a per-batch state of 1.0 to 1.2 as the state of 1.3';

-- The report gains a count per new status, at the end, so that views
-- built on 1.2's columns keep theirs.
ALTER TYPE comm_batch_summary
	ADD ATTRIBUTE call_completed bigint,
	ADD ATTRIBUTE sent bigint,
	ADD ATTRIBUTE unsubscribed bigint;
COMMENT ON TYPE comm_batch_summary IS 'per-batch report: counts per status (an absent status counts as pending), attempts, first and last instants, whether every result is terminal, the counts as the API''s batch details object, then the counts of the statuses added in 1.3';

-- The aggregates keep their identity (views and queries that call them
-- are untouched) and move to the new state.
CREATE OR REPLACE AGGREGATE comm_batch_summary(comm_result) (
	SFUNC = comm_batch_tally_add,
	STYPE = comm_batch_tally,
	COMBINEFUNC = comm_batch_tally_combine,
	FINALFUNC = comm_batch_tally_summary,
	INITCOND = '(0,0,0,0,0,0,0,0,0,0,0,0,,,,)',
	PARALLEL = SAFE
);
CREATE OR REPLACE AGGREGATE comm_status_counts(comm_result) (
	SFUNC = comm_batch_tally_add,
	STYPE = comm_batch_tally,
	COMBINEFUNC = comm_batch_tally_combine,
	FINALFUNC = comm_batch_tally_status_counts,
	INITCOND = '(0,0,0,0,0,0,0,0,0,0,0,0,,,,)',
	PARALLEL = SAFE
);
