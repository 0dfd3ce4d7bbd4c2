/*
 * cr_results_text.c
 *		comm_results(response text, batch_id text): an API response body as
 *		the endpoint sends it, read as JSON text.  No jsonb of the whole
 *		array is built: one pass of PostgreSQL's JSON lexer finds where each
 *		element starts and ends, and each element is then read by the same
 *		parser as text input (so, unlike the jsonb path, a repeated key is
 *		an error rather than silently dropped).
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/errcodes.h"

#include "comm_result.h"
#include "compat.h"

PG_FUNCTION_INFO_V1(comm_results_text);

/* Where the elements of the top-level array are, found by one lexer pass. */
typedef struct ArraySplit
{
	JsonLexContext *lex;
	int			depth;
	bool		not_array;
	const char *first_token;	/* of the element at depth 1 being read */
	List	   *starts;			/* int offsets into the input */
	List	   *lens;
} ArraySplit;

static json_action_result
split_array_start(void *state)
{
	ArraySplit *s = state;

	s->depth++;
	JSON_ACTION_RETURN(true);
}

static json_action_result
split_array_end(void *state)
{
	ArraySplit *s = state;

	s->depth--;
	JSON_ACTION_RETURN(true);
}

static json_action_result
split_object_start(void *state)
{
	ArraySplit *s = state;

	if (s->depth == 0)
		s->not_array = true;
	JSON_ACTION_RETURN(s->depth > 0);
}

static json_action_result
split_scalar(void *state, char *token, JsonTokenType type)
{
	ArraySplit *s = state;

	if (s->depth == 0)
		s->not_array = true;
	JSON_ACTION_RETURN(s->depth > 0);
}

static json_action_result
split_element_start(void *state, bool isnull)
{
	ArraySplit *s = state;

	if (s->depth == 1)
		s->first_token = s->lex->token_start;
	JSON_ACTION_RETURN(true);
}

static json_action_result
split_element_end(void *state, bool isnull)
{
	ArraySplit *s = state;

	if (s->depth == 1)
	{
		s->starts = lappend_int(s->starts, (int) (s->first_token - s->lex->input));
		s->lens = lappend_int(s->lens,
							  (int) (s->lex->prev_token_terminator - s->first_token));
	}
	JSON_ACTION_RETURN(true);
}

/* Split the response; raises for malformed JSON or a non-array. */
static void
split_response(const char *json, size_t len, ArraySplit *s)
{
	JsonLexContext lexbuf;
	JsonSemAction sem = {0};
	JsonParseErrorType rc;

	s->lex = cr_make_json_lex(&lexbuf, json, len);
	sem.semstate = s;
	sem.array_start = split_array_start;
	sem.array_end = split_array_end;
	sem.object_start = split_object_start;
	sem.scalar = split_scalar;
	sem.array_element_start = split_element_start;
	sem.array_element_end = split_element_end;
	rc = pg_parse_json(s->lex, &sem);
	if (s->not_array)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("comm_results argument must be a JSON array"),
				 errdetail("Found %s.", json[strspn(json, " \t\r\n")] == '{' ? "an object" : "a scalar"),
				 errhint("Pass the array of results from the API response.")));
	if (rc != JSON_SUCCESS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type comm_result"),
				 errdetail("%s", json_errdetail(rc, s->lex))));
	cr_free_json_lex(s->lex);
	s->lex = NULL;
}

typedef struct ResultsState
{
	text	   *response;
	text	   *batch_id;
	ArraySplit split;
} ResultsState;

Datum
comm_results_text(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	ResultsState *st;
	ErrorContextCallback errcb;
	CrFields	f = {0};
	CrErrors	errs = {0};
	struct varlena *result = NULL;
	const char *elem;
	int			len;
	int			index;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;

		funcctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		st = palloc0(sizeof(ResultsState));
		st->response = PG_GETARG_TEXT_P_COPY(0);
		st->batch_id = PG_GETARG_TEXT_P_COPY(1);
		split_response(VARDATA(st->response), VARSIZE(st->response) - VARHDRSZ, &st->split);
		MemoryContextSwitchTo(old);
		funcctx->user_fctx = st;
		funcctx->max_calls = list_length(st->split.starts);
	}
	funcctx = SRF_PERCALL_SETUP();
	if (funcctx->call_cntr >= funcctx->max_calls)
		SRF_RETURN_DONE(funcctx);

	st = funcctx->user_fctx;
	index = (int) funcctx->call_cntr;
	elem = VARDATA(st->response) + list_nth_int(st->split.starts, index);
	len = list_nth_int(st->split.lens, index);
	errcb.callback = cr_element_context;
	errcb.arg = &index;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;

	if (len <= 0 || elem[0] != '{')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type comm_result"),
				 errdetail("Expected a JSON object, found %s.",
						   len > 0 && elem[0] == '[' ? "an array" : "a scalar")));
	if (cr_parse_json(elem, len, &f, &errs))
	{
		cr_apply_batch_id(&f, st->batch_id, &errs);
		if (!CR_FAILED(&errs))
			result = cr_build(&f, &errs);
	}
	cr_report(&errs, NULL);
	error_context_stack = errcb.previous;
	SRF_RETURN_NEXT(funcctx, PointerGetDatum(result));
}
