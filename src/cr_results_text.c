/*
 * cr_results_text.c
 *		comm_results(response text, batch_id text): an API response body as
 *		the endpoint sends it, read as JSON text.  No jsonb of the whole
 *		array is built: the body is split into its elements (cr_response.c)
 *		and each element is read, when its row is asked for, by the same
 *		parser as text input (so, unlike the jsonb path, a repeated key is
 *		an error rather than silently dropped).  The first bad element
 *		raises its error; comm_results_checked reports them all instead.
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/errcodes.h"

#include "comm_result.h"
#include "compat.h"

PG_FUNCTION_INFO_V1(comm_results_text);

typedef struct ResultsState
{
	text	   *response;
	text	   *batch_id;
	CrSplit		split;
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
	const char *body;
	const CrElement *e;
	int			index;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;

		funcctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		st = palloc0(sizeof(ResultsState));
		st->response = PG_GETARG_TEXT_P_COPY(0);
		st->batch_id = PG_GETARG_TEXT_P_COPY(1);
		if (!cr_split_array(VARDATA(st->response), VARSIZE(st->response) - VARHDRSZ,
							&st->split))
			cr_bad_response(VARDATA(st->response), VARSIZE(st->response) - VARHDRSZ,
							&st->split, false);
		MemoryContextSwitchTo(old);
		funcctx->user_fctx = st;
		funcctx->max_calls = st->split.n;
	}
	funcctx = SRF_PERCALL_SETUP();
	if (funcctx->call_cntr >= funcctx->max_calls)
		SRF_RETURN_DONE(funcctx);

	st = funcctx->user_fctx;
	index = (int) funcctx->call_cntr;
	body = VARDATA(st->response);
	e = &st->split.elems[index];
	errcb.callback = cr_element_context;
	errcb.arg = &index;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;

	if (body[e->start] != '{')
	{
		char	   *detail;
		size_t		at;

		if (!cr_json_syntax_ok(body + e->start, e->len, &detail, &at))
			cr_bad_element_json(body, VARSIZE(st->response) - VARHDRSZ, e,
								index, detail, at, false);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type comm_result"),
				 errdetail("Expected a JSON object, found %s.",
						   body[e->start] == '[' ? "an array" : "a scalar")));
	}
	if (cr_parse_json(body + e->start, e->len, &f, &errs))
	{
		cr_apply_batch_id(&f, st->batch_id, &errs);
		if (!CR_FAILED(&errs))
			result = cr_build(&f, &errs);
	}
	cr_report(&errs, NULL);
	error_context_stack = errcb.previous;
	SRF_RETURN_NEXT(funcctx, PointerGetDatum(result));
}
