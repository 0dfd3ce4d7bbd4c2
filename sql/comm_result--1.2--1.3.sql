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
