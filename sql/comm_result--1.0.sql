/* comm_result--1.0.sql: the install script for version 1.0 */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION comm_result" to load this file. \quit

/*
 * Every function is written in C.  Unless a comment says otherwise each is
 * IMMUTABLE (its result depends only on its arguments: input needs an
 * explicit UTC offset and output always prints UTC), STRICT and PARALLEL
 * SAFE.  Built-in types resolve through pg_catalog, which is searched first,
 * and no function body runs SQL, so a hostile search_path cannot capture a
 * call made by this script.
 */

------------------------------------------------------------------------
-- comm_status: the nine request statuses, one byte, sorted in this order
------------------------------------------------------------------------

CREATE TYPE comm_status;

CREATE FUNCTION comm_status_in(cstring) RETURNS comm_status
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comm_status_out(comm_status) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
-- Binary I/O converts strings to and from client_encoding, a session
-- setting: STABLE, like text's send and receive.
CREATE FUNCTION comm_status_recv(internal) RETURNS comm_status
	AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comm_status_send(comm_status) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE TYPE comm_status (
	INPUT = comm_status_in,
	OUTPUT = comm_status_out,
	RECEIVE = comm_status_recv,
	SEND = comm_status_send,
	INTERNALLENGTH = 1,
	PASSEDBYVALUE,
	ALIGNMENT = char,
	STORAGE = plain
);

COMMENT ON TYPE comm_status IS 'status of a communication request: PENDING, DUPLICATE, INITIATED, CONNECTED, COMPLETED, FAILED, CANCELED, INVALID or SKIPPED (sorted in that order)';
COMMENT ON FUNCTION comm_status_in(cstring) IS 'comm_status text input: the status name in upper case';
COMMENT ON FUNCTION comm_status_out(comm_status) IS 'comm_status text output: the status name in upper case';
COMMENT ON FUNCTION comm_status_recv(internal) IS 'comm_status binary input: the status name';
COMMENT ON FUNCTION comm_status_send(comm_status) IS 'comm_status binary output: the status name';

CREATE FUNCTION comm_status_eq(comm_status, comm_status) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION comm_status_ne(comm_status, comm_status) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION comm_status_lt(comm_status, comm_status) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION comm_status_le(comm_status, comm_status) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION comm_status_gt(comm_status, comm_status) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION comm_status_ge(comm_status, comm_status) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION comm_status_cmp(comm_status, comm_status) RETURNS integer
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION comm_status_hash(comm_status) RETURNS integer
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION comm_status_hash_extended(comm_status, bigint) RETURNS bigint
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

COMMENT ON FUNCTION comm_status_eq(comm_status, comm_status) IS 'implementation of = for comm_status';
COMMENT ON FUNCTION comm_status_ne(comm_status, comm_status) IS 'implementation of <> for comm_status';
COMMENT ON FUNCTION comm_status_lt(comm_status, comm_status) IS 'implementation of < for comm_status';
COMMENT ON FUNCTION comm_status_le(comm_status, comm_status) IS 'implementation of <= for comm_status';
COMMENT ON FUNCTION comm_status_gt(comm_status, comm_status) IS 'implementation of > for comm_status';
COMMENT ON FUNCTION comm_status_ge(comm_status, comm_status) IS 'implementation of >= for comm_status';
COMMENT ON FUNCTION comm_status_cmp(comm_status, comm_status) IS 'btree comparison for comm_status: -1, 0 or 1 in lifecycle listing order';
COMMENT ON FUNCTION comm_status_hash(comm_status) IS 'hash of a comm_status';
COMMENT ON FUNCTION comm_status_hash_extended(comm_status, bigint) IS 'seeded 64-bit hash of a comm_status';

CREATE OPERATOR = (
	LEFTARG = comm_status, RIGHTARG = comm_status, FUNCTION = comm_status_eq,
	COMMUTATOR = =, NEGATOR = <>, RESTRICT = eqsel, JOIN = eqjoinsel,
	HASHES, MERGES
);
CREATE OPERATOR <> (
	LEFTARG = comm_status, RIGHTARG = comm_status, FUNCTION = comm_status_ne,
	COMMUTATOR = <>, NEGATOR = =, RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR < (
	LEFTARG = comm_status, RIGHTARG = comm_status, FUNCTION = comm_status_lt,
	COMMUTATOR = >, NEGATOR = >=, RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
CREATE OPERATOR <= (
	LEFTARG = comm_status, RIGHTARG = comm_status, FUNCTION = comm_status_le,
	COMMUTATOR = >=, NEGATOR = >, RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
CREATE OPERATOR > (
	LEFTARG = comm_status, RIGHTARG = comm_status, FUNCTION = comm_status_gt,
	COMMUTATOR = <, NEGATOR = <=, RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
CREATE OPERATOR >= (
	LEFTARG = comm_status, RIGHTARG = comm_status, FUNCTION = comm_status_ge,
	COMMUTATOR = <=, NEGATOR = <, RESTRICT = scalargesel, JOIN = scalargejoinsel
);

COMMENT ON OPERATOR = (comm_status, comm_status) IS 'same status';
COMMENT ON OPERATOR <> (comm_status, comm_status) IS 'different status';
COMMENT ON OPERATOR < (comm_status, comm_status) IS 'earlier in the status listing order';
COMMENT ON OPERATOR <= (comm_status, comm_status) IS 'earlier in the status listing order, or the same';
COMMENT ON OPERATOR > (comm_status, comm_status) IS 'later in the status listing order';
COMMENT ON OPERATOR >= (comm_status, comm_status) IS 'later in the status listing order, or the same';

CREATE OPERATOR CLASS comm_status_btree_ops
	DEFAULT FOR TYPE comm_status USING btree AS
		OPERATOR 1 <,
		OPERATOR 2 <=,
		OPERATOR 3 =,
		OPERATOR 4 >=,
		OPERATOR 5 >,
		FUNCTION 1 comm_status_cmp(comm_status, comm_status);

CREATE OPERATOR CLASS comm_status_hash_ops
	DEFAULT FOR TYPE comm_status USING hash AS
		OPERATOR 1 =,
		FUNCTION 1 comm_status_hash(comm_status),
		FUNCTION 2 comm_status_hash_extended(comm_status, bigint);

COMMENT ON OPERATOR FAMILY comm_status_btree_ops USING btree IS 'comm_status in lifecycle listing order';
COMMENT ON OPERATOR CLASS comm_status_btree_ops USING btree IS 'comm_status in lifecycle listing order';
COMMENT ON OPERATOR FAMILY comm_status_hash_ops USING hash IS 'hashing of comm_status';
COMMENT ON OPERATOR CLASS comm_status_hash_ops USING hash IS 'hashing of comm_status';

------------------------------------------------------------------------
-- comm_result: one result of an outbound communication request
------------------------------------------------------------------------

CREATE TYPE comm_result;

CREATE FUNCTION comm_result_in(cstring) RETURNS comm_result
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comm_result_out(comm_result) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
-- Binary I/O converts strings to and from client_encoding, a session
-- setting: STABLE, like text's send and receive.
CREATE FUNCTION comm_result_recv(internal) RETURNS comm_result
	AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comm_result_send(comm_result) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE TYPE comm_result (
	INPUT = comm_result_in,
	OUTPUT = comm_result_out,
	RECEIVE = comm_result_recv,
	SEND = comm_result_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = int4,
	STORAGE = extended
);

COMMENT ON TYPE comm_result IS 'result of one outbound communication request, as the outbound batch results API returns it (CommunicationRequestResult)';
COMMENT ON FUNCTION comm_result_in(cstring) IS 'comm_result text input: the API''s JSON object, validated';
COMMENT ON FUNCTION comm_result_out(comm_result) IS 'comm_result text output: canonical compact JSON';
COMMENT ON FUNCTION comm_result_recv(internal) IS 'comm_result binary input (format version 1), validated like text input';
COMMENT ON FUNCTION comm_result_send(comm_result) IS 'comm_result binary output (format version 1)';

-- Accessors: one per field, reading that field only.

CREATE FUNCTION batch_id(comm_result) RETURNS text
	AS 'MODULE_PATHNAME', 'comm_result_batch_id' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION reference_id(comm_result) RETURNS text
	AS 'MODULE_PATHNAME', 'comm_result_reference_id' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION target(comm_result) RETURNS text
	AS 'MODULE_PATHNAME', 'comm_result_target' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION request_variables(comm_result) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'comm_result_request_variables' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION request_status(comm_result) RETURNS comm_status
	AS 'MODULE_PATHNAME', 'comm_result_request_status' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION call_manager_sid(comm_result) RETURNS text
	AS 'MODULE_PATHNAME', 'comm_result_call_manager_sid' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION created_at(comm_result) RETURNS timestamptz
	AS 'MODULE_PATHNAME', 'comm_result_created_at' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION sent_at(comm_result) RETURNS timestamptz
	AS 'MODULE_PATHNAME', 'comm_result_sent_at' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION attempt_count(comm_result) RETURNS integer
	AS 'MODULE_PATHNAME', 'comm_result_attempt_count' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION session_id(comm_result) RETURNS bigint
	AS 'MODULE_PATHNAME', 'comm_result_session_id' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION conversation_id(comm_result) RETURNS bigint
	AS 'MODULE_PATHNAME', 'comm_result_conversation_id' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION target_kind(comm_result) RETURNS text
	AS 'MODULE_PATHNAME', 'comm_result_target_kind' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION request_variable(comm_result, key text) RETURNS text
	AS 'MODULE_PATHNAME', 'comm_result_request_variable' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION batch_id(comm_result) IS 'batch_id of a comm_result';
COMMENT ON FUNCTION reference_id(comm_result) IS 'reference_id of a comm_result';
COMMENT ON FUNCTION target(comm_result) IS 'target (phone number or e-mail address) of a comm_result, as written';
COMMENT ON FUNCTION request_variables(comm_result) IS 'request_variables of a comm_result';
COMMENT ON FUNCTION request_status(comm_result) IS 'request_status of a comm_result; NULL when absent';
COMMENT ON FUNCTION call_manager_sid(comm_result) IS 'call_manager_sid of a comm_result; NULL when absent or null';
COMMENT ON FUNCTION created_at(comm_result) IS 'created_at of a comm_result; NULL when absent';
COMMENT ON FUNCTION sent_at(comm_result) IS 'sent_at of a comm_result; NULL when absent or null';
COMMENT ON FUNCTION attempt_count(comm_result) IS 'attempt_count of a comm_result; 0 when absent';
COMMENT ON FUNCTION session_id(comm_result) IS 'session_id of a comm_result; NULL when absent or null';
COMMENT ON FUNCTION conversation_id(comm_result) IS 'conversation_id of a comm_result; NULL when absent or null';
COMMENT ON FUNCTION target_kind(comm_result) IS 'whether the target is a phone number (''phone'') or an e-mail address (''email'')';
COMMENT ON FUNCTION request_variable(comm_result, text) IS 'one request variable as text, like request_variables(r) ->> key';

CREATE FUNCTION comm_result_fields(r comm_result,
	OUT batch_id text, OUT reference_id text, OUT target text,
	OUT request_variables jsonb, OUT request_status comm_status,
	OUT call_manager_sid text, OUT created_at timestamptz,
	OUT sent_at timestamptz, OUT attempt_count integer,
	OUT session_id bigint, OUT conversation_id bigint, OUT target_kind text)
	RETURNS record
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION comm_result_fields(comm_result) IS 'every field of a comm_result as a typed column, for views';

-- The constructor is not STRICT: SQL NULL means "absent" for the optional
-- fields; a NULL required field is an error.
CREATE FUNCTION comm_result(
	batch_id text, reference_id text, target text, request_variables jsonb,
	request_status comm_status DEFAULT NULL, call_manager_sid text DEFAULT NULL,
	created_at timestamptz DEFAULT NULL, sent_at timestamptz DEFAULT NULL,
	attempt_count integer DEFAULT NULL, session_id bigint DEFAULT NULL,
	conversation_id bigint DEFAULT NULL)
	RETURNS comm_result
	AS 'MODULE_PATHNAME', 'comm_result_make' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION comm_result(text, text, text, jsonb, comm_status, text, timestamptz, timestamptz, integer, bigint, bigint) IS 'builds a comm_result from its fields; NULL leaves an optional field absent';

CREATE FUNCTION comm_results(jsonb) RETURNS SETOF comm_result
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION comm_results(jsonb) IS 'one comm_result per element of an API response array';

CREATE FUNCTION comm_result_is_valid(text) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comm_result_errors(input text)
	RETURNS TABLE (field text, message text)
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1;

COMMENT ON FUNCTION comm_result_is_valid(text) IS 'whether a text is a valid comm_result, without raising an error';
COMMENT ON FUNCTION comm_result_errors(text) IS 'every problem of a comm_result input, one row each (none when valid)';

-- Casts

CREATE FUNCTION comm_result_to_jsonb(comm_result) RETURNS jsonb
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comm_result_to_json(comm_result) RETURNS json
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comm_result_from_jsonb(jsonb) RETURNS comm_result
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION comm_result_to_jsonb(comm_result) IS 'comm_result as a jsonb object';
COMMENT ON FUNCTION comm_result_to_json(comm_result) IS 'comm_result as its canonical JSON text';
COMMENT ON FUNCTION comm_result_from_jsonb(jsonb) IS 'comm_result from a jsonb object, validated like text input';

CREATE CAST (comm_result AS jsonb) WITH FUNCTION comm_result_to_jsonb(comm_result) AS ASSIGNMENT;
CREATE CAST (comm_result AS json) WITH FUNCTION comm_result_to_json(comm_result) AS ASSIGNMENT;
CREATE CAST (jsonb AS comm_result) WITH FUNCTION comm_result_from_jsonb(jsonb);

COMMENT ON CAST (comm_result AS jsonb) IS 'comm_result as a jsonb object';
COMMENT ON CAST (comm_result AS json) IS 'comm_result as its canonical JSON text';
COMMENT ON CAST (jsonb AS comm_result) IS 'comm_result from a jsonb object, validated like text input';

-- Equality and hashing: equal means the same canonical value.

CREATE FUNCTION comm_result_eq(comm_result, comm_result) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION comm_result_ne(comm_result, comm_result) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION comm_result_hash(comm_result) RETURNS integer
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION comm_result_hash_extended(comm_result, bigint) RETURNS bigint
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

COMMENT ON FUNCTION comm_result_eq(comm_result, comm_result) IS 'implementation of = for comm_result';
COMMENT ON FUNCTION comm_result_ne(comm_result, comm_result) IS 'implementation of <> for comm_result';
COMMENT ON FUNCTION comm_result_hash(comm_result) IS 'hash of a comm_result''s canonical form';
COMMENT ON FUNCTION comm_result_hash_extended(comm_result, bigint) IS 'seeded 64-bit hash of a comm_result''s canonical form';

CREATE OPERATOR = (
	LEFTARG = comm_result, RIGHTARG = comm_result, FUNCTION = comm_result_eq,
	COMMUTATOR = =, NEGATOR = <>, RESTRICT = eqsel, JOIN = eqjoinsel,
	HASHES, MERGES
);
CREATE OPERATOR <> (
	LEFTARG = comm_result, RIGHTARG = comm_result, FUNCTION = comm_result_ne,
	COMMUTATOR = <>, NEGATOR = =, RESTRICT = neqsel, JOIN = neqjoinsel
);

COMMENT ON OPERATOR = (comm_result, comm_result) IS 'same canonical value';
COMMENT ON OPERATOR <> (comm_result, comm_result) IS 'different canonical values';

CREATE OPERATOR CLASS comm_result_hash_ops
	DEFAULT FOR TYPE comm_result USING hash AS
		OPERATOR 1 =,
		FUNCTION 1 comm_result_hash(comm_result),
		FUNCTION 2 comm_result_hash_extended(comm_result, bigint);

COMMENT ON OPERATOR FAMILY comm_result_hash_ops USING hash IS 'hashing of comm_result over its canonical form';
COMMENT ON OPERATOR CLASS comm_result_hash_ops USING hash IS 'hashing of comm_result over its canonical form';

-- Ordering: batch_id, then reference_id, in natural order (digit runs
-- compare as numbers), then the canonical bytes.  Frozen: indexes depend
-- on it (see README, "Ordering").

CREATE FUNCTION comm_result_cmp(comm_result, comm_result) RETURNS integer
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION comm_result_lt(comm_result, comm_result) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION comm_result_le(comm_result, comm_result) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION comm_result_gt(comm_result, comm_result) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION comm_result_ge(comm_result, comm_result) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

COMMENT ON FUNCTION comm_result_cmp(comm_result, comm_result) IS 'btree comparison for comm_result: batch_id, reference_id (natural order), then the canonical bytes';
COMMENT ON FUNCTION comm_result_lt(comm_result, comm_result) IS 'implementation of < for comm_result';
COMMENT ON FUNCTION comm_result_le(comm_result, comm_result) IS 'implementation of <= for comm_result';
COMMENT ON FUNCTION comm_result_gt(comm_result, comm_result) IS 'implementation of > for comm_result';
COMMENT ON FUNCTION comm_result_ge(comm_result, comm_result) IS 'implementation of >= for comm_result';

CREATE OPERATOR < (
	LEFTARG = comm_result, RIGHTARG = comm_result, FUNCTION = comm_result_lt,
	COMMUTATOR = >, NEGATOR = >=, RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
CREATE OPERATOR <= (
	LEFTARG = comm_result, RIGHTARG = comm_result, FUNCTION = comm_result_le,
	COMMUTATOR = >=, NEGATOR = >, RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
CREATE OPERATOR > (
	LEFTARG = comm_result, RIGHTARG = comm_result, FUNCTION = comm_result_gt,
	COMMUTATOR = <, NEGATOR = <=, RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
CREATE OPERATOR >= (
	LEFTARG = comm_result, RIGHTARG = comm_result, FUNCTION = comm_result_ge,
	COMMUTATOR = <=, NEGATOR = <, RESTRICT = scalargesel, JOIN = scalargejoinsel
);

COMMENT ON OPERATOR < (comm_result, comm_result) IS 'sorts before: batch_id, reference_id (natural order), then the canonical bytes';
COMMENT ON OPERATOR <= (comm_result, comm_result) IS 'sorts before or equal';
COMMENT ON OPERATOR > (comm_result, comm_result) IS 'sorts after';
COMMENT ON OPERATOR >= (comm_result, comm_result) IS 'sorts after or equal';

CREATE OPERATOR CLASS comm_result_btree_ops
	DEFAULT FOR TYPE comm_result USING btree AS
		OPERATOR 1 <,
		OPERATOR 2 <=,
		OPERATOR 3 =,
		OPERATOR 4 >=,
		OPERATOR 5 >,
		FUNCTION 1 comm_result_cmp(comm_result, comm_result);

COMMENT ON OPERATOR FAMILY comm_result_btree_ops USING btree IS 'comm_result by batch_id, reference_id (natural order), then canonical bytes';
COMMENT ON OPERATOR CLASS comm_result_btree_ops USING btree IS 'comm_result by batch_id, reference_id (natural order), then canonical bytes';

------------------------------------------------------------------------
-- The status lifecycle
------------------------------------------------------------------------

-- Not STRICT: a NULL from_status is an absent status, which counts as
-- PENDING; a NULL to_status gives NULL.
CREATE FUNCTION comm_status_can_transition(from_status comm_status, to_status comm_status)
	RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION comm_status_next(comm_status) RETURNS comm_status[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comm_status_is_terminal(comm_status) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comm_status_transitions()
	RETURNS TABLE (from_status comm_status, to_status comm_status)
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 13;

COMMENT ON FUNCTION comm_status_can_transition(comm_status, comm_status) IS 'whether a request may move from one status to another in one step (the same status always; NULL from counts as PENDING)';
COMMENT ON FUNCTION comm_status_next(comm_status) IS 'the statuses a request may move to next, in listing order (empty when terminal)';
COMMENT ON FUNCTION comm_status_is_terminal(comm_status) IS 'whether no move leaves this status';
COMMENT ON FUNCTION comm_status_transitions() IS 'the lifecycle table: every allowed move as (from_status, to_status)';

-- Not STRICT: NULL optional arguments leave those fields as they are.
-- IMMUTABLE: the time comes in as "at"; only the default reads the clock.
CREATE FUNCTION comm_result_transition(r comm_result, to_status comm_status,
	at timestamptz DEFAULT now(), call_manager_sid text DEFAULT NULL,
	session_id bigint DEFAULT NULL, conversation_id bigint DEFAULT NULL)
	RETURNS comm_result
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION comm_result_merge(a comm_result, b comm_result) RETURNS comm_result
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION comm_result_transition(comm_result, comm_status, timestamptz, text, bigint, bigint) IS 'the value after one allowed status move (INITIATED adds an attempt and sets sent_at); raises 22023 on an illegal move';
COMMENT ON FUNCTION comm_result_merge(comm_result, comm_result) IS 'of two snapshots of one request, the one further along by (attempt_count, rank), fields combined deterministically at equal progress; commutative, associative, idempotent';

-- A trigger function: VOLATILE, and not parallel safe (triggers never run
-- in parallel workers).
CREATE FUNCTION comm_result_guard() RETURNS trigger
	AS 'MODULE_PATHNAME' LANGUAGE C;

COMMENT ON FUNCTION comm_result_guard() IS 'BEFORE UPDATE FOR EACH ROW trigger: rejects illegal status moves and changes of identity, created_at, sent_at and attempt_count (arguments: the comm_result columns to guard; none: all)';

------------------------------------------------------------------------
-- Batch reports: a SQL-visible aggregate state and the aggregates
------------------------------------------------------------------------

CREATE TYPE comm_batch_state;

CREATE FUNCTION comm_batch_state_in(cstring) RETURNS comm_batch_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comm_batch_state_out(comm_batch_state) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comm_batch_state_recv(internal) RETURNS comm_batch_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comm_batch_state_send(comm_batch_state) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE comm_batch_state (
	INPUT = comm_batch_state_in,
	OUTPUT = comm_batch_state_out,
	RECEIVE = comm_batch_state_recv,
	SEND = comm_batch_state_send,
	INTERNALLENGTH = 128,
	ALIGNMENT = double,
	STORAGE = plain
);

COMMENT ON TYPE comm_batch_state IS 'partial state of the per-batch report aggregates: counts per status, attempts, first and last instants';
COMMENT ON FUNCTION comm_batch_state_in(cstring) IS 'comm_batch_state text input, validated';
COMMENT ON FUNCTION comm_batch_state_out(comm_batch_state) IS 'comm_batch_state text output';
COMMENT ON FUNCTION comm_batch_state_recv(internal) IS 'comm_batch_state binary input, validated';
COMMENT ON FUNCTION comm_batch_state_send(comm_batch_state) IS 'comm_batch_state binary output';

CREATE TYPE comm_batch_summary AS (
	total bigint,
	pending bigint,
	duplicate bigint,
	initiated bigint,
	connected bigint,
	completed bigint,
	failed bigint,
	canceled bigint,
	invalid bigint,
	skipped bigint,
	attempts bigint,
	max_attempts integer,
	first_created_at timestamptz,
	last_created_at timestamptz,
	first_sent_at timestamptz,
	last_sent_at timestamptz,
	done boolean,
	status_counts jsonb
);

COMMENT ON TYPE comm_batch_summary IS 'per-batch report: counts per status (an absent status counts as pending), attempts, first and last instants, whether every result is terminal, and the counts as the API''s batch details object';

-- The transition and combine functions update their first argument in
-- place when called by an aggregate, and work on a copy otherwise.
CREATE FUNCTION comm_batch_state_add(comm_batch_state, comm_result) RETURNS comm_batch_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comm_batch_state_combine(comm_batch_state, comm_batch_state) RETURNS comm_batch_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comm_batch_state_summary(comm_batch_state) RETURNS comm_batch_summary
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comm_batch_state_status_counts(comm_batch_state) RETURNS jsonb
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION comm_batch_state_add(comm_batch_state, comm_result) IS 'adds one result to a per-batch state';
COMMENT ON FUNCTION comm_batch_state_combine(comm_batch_state, comm_batch_state) IS 'combines two partial per-batch states';
COMMENT ON FUNCTION comm_batch_state_summary(comm_batch_state) IS 'the comm_batch_summary of a per-batch state';
COMMENT ON FUNCTION comm_batch_state_status_counts(comm_batch_state) IS 'the status counts of a per-batch state as {"STATUS": count}, zero counts left out';

CREATE AGGREGATE comm_batch_summary(comm_result) (
	SFUNC = comm_batch_state_add,
	STYPE = comm_batch_state,
	COMBINEFUNC = comm_batch_state_combine,
	FINALFUNC = comm_batch_state_summary,
	INITCOND = '(0,0,0,0,0,0,0,0,0,0,0,0,,,,)',
	PARALLEL = SAFE
);
CREATE AGGREGATE comm_status_counts(comm_result) (
	SFUNC = comm_batch_state_add,
	STYPE = comm_batch_state,
	COMBINEFUNC = comm_batch_state_combine,
	FINALFUNC = comm_batch_state_status_counts,
	INITCOND = '(0,0,0,0,0,0,0,0,0,0,0,0,,,,)',
	PARALLEL = SAFE
);
CREATE AGGREGATE comm_result_latest(comm_result) (
	SFUNC = comm_result_merge,
	STYPE = comm_result,
	COMBINEFUNC = comm_result_merge,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE comm_batch_summary(comm_result) IS 'per-batch report: counts per status, attempts, first and last instants, done, status_counts';
COMMENT ON AGGREGATE comm_status_counts(comm_result) IS 'counts per status as {"COMPLETED": 95, "FAILED": 10}, zero counts left out';
COMMENT ON AGGREGATE comm_result_latest(comm_result) IS 'folds snapshots of one request with comm_result_merge: the one further along';
