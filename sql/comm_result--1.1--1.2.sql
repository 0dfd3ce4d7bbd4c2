/* comm_result--1.1--1.2.sql: upgrade from 1.1 to 1.2, today's API shape */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION comm_result UPDATE TO '1.2'" to load this file. \quit

/*
 * 1.2 reads and writes the record as today's endpoint returns it, beside
 * the April 2025 shape: the new fields channel_manager_status,
 * insights_status, insights, line_type and enrichment, and
 * channel_manager_sid as today's name for call_manager_sid.  No stored
 * value changes: a value with only April fields keeps its bytes, text,
 * binary form, hash and order (see README, "From the April 2025 shape").
 *
 * As in 1.0, every function is written in C and, unless a comment says
 * otherwise, IMMUTABLE, STRICT and PARALLEL SAFE; built-in types resolve
 * through pg_catalog and no function body runs SQL.
 */

COMMENT ON FUNCTION comm_result_recv(internal) IS 'comm_result binary input (format versions 1 and 2), validated like text input';
COMMENT ON FUNCTION comm_result_send(comm_result) IS 'comm_result binary output (format version 1 for April 2025 values, 2 for the others)';

-- Accessors of today's fields.

CREATE FUNCTION channel_manager_sid(comm_result) RETURNS text
	AS 'MODULE_PATHNAME', 'comm_result_call_manager_sid' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION channel_manager_status(comm_result) RETURNS text
	AS 'MODULE_PATHNAME', 'comm_result_channel_manager_status' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION insights_status(comm_result) RETURNS text
	AS 'MODULE_PATHNAME', 'comm_result_insights_status' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION insights(comm_result) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'comm_result_insights' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION line_type(comm_result) RETURNS text
	AS 'MODULE_PATHNAME', 'comm_result_line_type' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION enrichment(comm_result) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'comm_result_enrichment' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION channel_manager_sid(comm_result) IS 'channel_manager_sid of a comm_result: the same field as call_manager_sid, under today''s name; NULL when absent or null';
COMMENT ON FUNCTION channel_manager_status(comm_result) IS 'channel_manager_status of a comm_result (the channel''s own status); NULL when absent or null';
COMMENT ON FUNCTION insights_status(comm_result) IS 'insights_status of a comm_result (the post-call insight workflow); NULL when absent or null';
COMMENT ON FUNCTION insights(comm_result) IS 'insights of a comm_result: an object of strings and numbers; NULL when absent or null';
COMMENT ON FUNCTION line_type(comm_result) IS 'line_type of a comm_result (mobile, landline, voip, ...); NULL when absent or null';
COMMENT ON FUNCTION enrichment(comm_result) IS 'enrichment of a comm_result (the phone lookup''s payload); NULL when absent or null';

-- comm_result_fields keeps its row type, which views built on 1.1 have
-- expanded; comm_result_all_fields has every field.
CREATE FUNCTION comm_result_all_fields(r comm_result,
	OUT batch_id text, OUT reference_id text, OUT target text,
	OUT request_variables jsonb, OUT request_status comm_status,
	OUT call_manager_sid text, OUT created_at timestamptz,
	OUT sent_at timestamptz, OUT attempt_count integer,
	OUT session_id bigint, OUT conversation_id bigint, OUT target_kind text,
	OUT channel_manager_status text, OUT insights_status text,
	OUT insights jsonb, OUT line_type text, OUT enrichment jsonb,
	OUT sid_name text)
	RETURNS record
	AS 'MODULE_PATHNAME', 'comm_result_fields' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION comm_result_all_fields(comm_result) IS 'every field of a comm_result as a typed column: comm_result_fields'' columns, then today''s fields and the name the sid was given';

-- The constructor takes today's fields too.  It is replaced, not
-- overloaded: two candidates with defaults would make every call
-- ambiguous.  (An object of the user's that depends on the 1.1
-- constructor makes this DROP, and so the update, fail: see README,
-- "Upgrading".)
DROP FUNCTION comm_result(text, text, text, jsonb, comm_status, text,
	timestamptz, timestamptz, integer, bigint, bigint);
-- Not STRICT: SQL NULL means "absent" for the optional fields.
CREATE FUNCTION comm_result(
	batch_id text, reference_id text, target text, request_variables jsonb,
	request_status comm_status DEFAULT NULL, call_manager_sid text DEFAULT NULL,
	created_at timestamptz DEFAULT NULL, sent_at timestamptz DEFAULT NULL,
	attempt_count integer DEFAULT NULL, session_id bigint DEFAULT NULL,
	conversation_id bigint DEFAULT NULL,
	channel_manager_status text DEFAULT NULL, insights_status text DEFAULT NULL,
	insights jsonb DEFAULT NULL, line_type text DEFAULT NULL,
	enrichment jsonb DEFAULT NULL, channel_manager_sid text DEFAULT NULL)
	RETURNS comm_result
	AS 'MODULE_PATHNAME', 'comm_result_make' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION comm_result(text, text, text, jsonb, comm_status, text, timestamptz, timestamptz, integer, bigint, bigint, text, text, jsonb, text, jsonb, text) IS 'build a comm_result from its fields (NULL leaves an optional field absent); channel_manager_sid is today''s name for call_manager_sid';

-- Today's records carry no batch_id: it is in the request's URL.
CREATE FUNCTION comm_results(response jsonb, batch_id text) RETURNS SETOF comm_result
	AS 'MODULE_PATHNAME', 'comm_results' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
-- The same from the response body as text: no jsonb of the whole array.
CREATE FUNCTION comm_results(response text, batch_id text) RETURNS SETOF comm_result
	AS 'MODULE_PATHNAME', 'comm_results_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comm_result_from_jsonb(record jsonb, batch_id text) RETURNS comm_result
	AS 'MODULE_PATHNAME', 'comm_result_from_jsonb' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION comm_results(text, text) IS 'one comm_result per element of an API response body given as JSON text (no jsonb of the whole array is built), with the batch_id of the request''s URL for records that carry none';
COMMENT ON FUNCTION comm_results(jsonb, text) IS 'one comm_result per element of an API response array, with the batch_id of the request''s URL for records that carry none';
COMMENT ON FUNCTION comm_result_from_jsonb(jsonb, text) IS 'one API record as a comm_result, with the batch_id of the request''s URL when the record carries none';

-- The channel's own lifecycle, as merge orders it.
CREATE FUNCTION comm_channel_statuses()
	RETURNS TABLE (channel_manager_status text, stage integer, stage_name text)
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 39;
COMMENT ON FUNCTION comm_channel_statuses() IS 'the documented channel_manager_status values and their stage in the channel''s lifecycle, which comm_result_merge follows (unknown values: stage 0)';

------------------------------------------------------------------------
-- comm_counts: per-value counts, the state of today's report aggregates
------------------------------------------------------------------------

CREATE TYPE comm_counts;

CREATE FUNCTION comm_counts_in(cstring) RETURNS comm_counts
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comm_counts_out(comm_counts) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
-- Binary I/O converts keys to and from client_encoding: STABLE.
CREATE FUNCTION comm_counts_recv(internal) RETURNS comm_counts
	AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comm_counts_send(comm_counts) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE TYPE comm_counts (
	INPUT = comm_counts_in,
	OUTPUT = comm_counts_out,
	RECEIVE = comm_counts_recv,
	SEND = comm_counts_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);

COMMENT ON TYPE comm_counts IS 'how many results have each value of a field: the state of comm_channel_status_counts and comm_line_type_counts; text form {"value":count,...} in byte order';
COMMENT ON FUNCTION comm_counts_in(cstring) IS 'comm_counts text input: a JSON object of positive integer counts';
COMMENT ON FUNCTION comm_counts_out(comm_counts) IS 'comm_counts text output: a JSON object, keys in byte order';
COMMENT ON FUNCTION comm_counts_recv(internal) IS 'comm_counts binary input';
COMMENT ON FUNCTION comm_counts_send(comm_counts) IS 'comm_counts binary output';

-- The transition and combine functions update their first argument in
-- place when called by an aggregate, and work on a copy otherwise.
CREATE FUNCTION comm_counts_add_channel_status(comm_counts, comm_result) RETURNS comm_counts
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comm_counts_add_line_type(comm_counts, comm_result) RETURNS comm_counts
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comm_counts_combine(comm_counts, comm_counts) RETURNS comm_counts
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comm_counts_to_jsonb(comm_counts) RETURNS jsonb
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION comm_counts_add_channel_status(comm_counts, comm_result) IS 'comm_channel_status_counts transition: count the result''s channel_manager_status (absent or null: not counted)';
COMMENT ON FUNCTION comm_counts_add_line_type(comm_counts, comm_result) IS 'comm_line_type_counts transition: count the result''s line_type (absent or null: not counted)';
COMMENT ON FUNCTION comm_counts_combine(comm_counts, comm_counts) IS 'combine two partial comm_counts states';
COMMENT ON FUNCTION comm_counts_to_jsonb(comm_counts) IS 'comm_counts as a jsonb object of counts';

CREATE CAST (comm_counts AS jsonb) WITH FUNCTION comm_counts_to_jsonb(comm_counts) AS ASSIGNMENT;
COMMENT ON CAST (comm_counts AS jsonb) IS 'the counts as a jsonb object';

CREATE AGGREGATE comm_channel_status_counts(comm_result) (
	SFUNC = comm_counts_add_channel_status,
	STYPE = comm_counts,
	COMBINEFUNC = comm_counts_combine,
	FINALFUNC = comm_counts_to_jsonb,
	INITCOND = '{}',
	PARALLEL = SAFE
);
CREATE AGGREGATE comm_line_type_counts(comm_result) (
	SFUNC = comm_counts_add_line_type,
	STYPE = comm_counts,
	COMBINEFUNC = comm_counts_combine,
	FINALFUNC = comm_counts_to_jsonb,
	INITCOND = '{}',
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE comm_channel_status_counts(comm_result) IS 'results per channel_manager_status, as a jsonb object (absent and null not counted)';
COMMENT ON AGGREGATE comm_line_type_counts(comm_result) IS 'results per line_type, as a jsonb object (absent and null not counted)';

-- comm_status -> text without the I/O round trip (comm_status_out, then
-- textin): the name comes from the status table.  The same text as the I/O
-- conversion cast gives, so nothing that casts changes its result.
CREATE FUNCTION comm_status_to_text(comm_status) RETURNS text
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION comm_status_to_text(comm_status) IS 'the status name as text (the comm_status to text cast)';
CREATE CAST (comm_status AS text) WITH FUNCTION comm_status_to_text(comm_status) AS ASSIGNMENT;
COMMENT ON CAST (comm_status AS text) IS 'the status name in upper case, built from the status table';
