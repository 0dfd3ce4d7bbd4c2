/*
 * cr_io.c
 *		Text input and output, the json cast, and the validity helpers.
 */
#include "postgres.h"

#include "fmgr.h"
#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/builtins.h"

#include "comm_result.h"
#include "compat.h"

PG_FUNCTION_INFO_V1(comm_result_in);
PG_FUNCTION_INFO_V1(comm_result_out);
PG_FUNCTION_INFO_V1(comm_result_to_json);
PG_FUNCTION_INFO_V1(comm_result_is_valid);
PG_FUNCTION_INFO_V1(comm_result_errors);

/* JSON text to a value; NULL with the problems in errs when it is invalid. */
struct varlena *
cr_from_text(const char *str, size_t len, CrErrors *errs)
{
	CrFields	f = {0};

	if (!cr_parse_json(str, len, &f, errs))
		return NULL;
	return cr_build(&f, errs);
}

Datum
comm_result_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	CrErrors	errs = {0};
	struct varlena *result = cr_from_text(str, strlen(str), &errs);

	if (result == NULL)
	{
		cr_report(&errs, fcinfo->context);
		return (Datum) 0;
	}
	PG_RETURN_POINTER(result);
}

static char *
value_to_text(struct varlena *value, int *len)
{
	StringInfoData buf;
	CrView		v;

	cr_view(value, &v);
	initStringInfo(&buf);
	cr_write_text(&buf, &v);
	*len = buf.len;
	return buf.data;
}

Datum
comm_result_out(PG_FUNCTION_ARGS)
{
	int			len;

	PG_RETURN_CSTRING(value_to_text(PG_GETARG_COMM_RESULT(0), &len));
}

Datum
comm_result_to_json(PG_FUNCTION_ARGS)
{
	int			len;
	char	   *str = value_to_text(PG_GETARG_COMM_RESULT(0), &len);

	PG_RETURN_TEXT_P(cstring_to_text_with_len(str, len));
}

Datum
comm_result_is_valid(PG_FUNCTION_ARGS)
{
	text	   *input = PG_GETARG_TEXT_PP(0);
	CrErrors	errs = {0};

	PG_RETURN_BOOL(cr_from_text(VARDATA_ANY(input), VARSIZE_ANY_EXHDR(input),
								&errs) != NULL);
}

/*
 * The blessed row type of a function returning one composite value, looked
 * up once per query and kept in fn_extra; natts is what the C code fills
 * (-1: the caller checks).
 */
TupleDesc
cr_row_type(FunctionCallInfo fcinfo, int natts)
{
	TupleDesc	tupdesc = (TupleDesc) fcinfo->flinfo->fn_extra;

	if (tupdesc == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
		MemoryContextSwitchTo(old);
		fcinfo->flinfo->fn_extra = tupdesc;
	}
	if (natts >= 0 && tupdesc->natts != natts)
		elog(ERROR, "row type has %d attributes, expected %d", tupdesc->natts, natts);
	return tupdesc;
}

/* First call of a value-per-call SRF returning rows: its blessed row type. */
FuncCallContext *
cr_srf_first_call(FunctionCallInfo fcinfo)
{
	FuncCallContext *funcctx = SRF_FIRSTCALL_INIT();
	MemoryContext old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
	TupleDesc	tupdesc;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	funcctx->tuple_desc = BlessTupleDesc(tupdesc);
	MemoryContextSwitchTo(old);
	return funcctx;
}

/*
 * Every problem of an input, one row each, for quarantining bad rows.
 * Value-per-call, so that calling it for each row of a large load keeps
 * nothing once the row's call is done.
 */
Datum
comm_result_errors(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	CrErrors   *errs;
	CrError    *e;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	if (SRF_IS_FIRSTCALL())
	{
		text	   *input;
		MemoryContext old;

		funcctx = cr_srf_first_call(fcinfo);
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		input = PG_GETARG_TEXT_PP(0);
		errs = palloc0(sizeof(CrErrors));
		errs->collect_all = true;
		(void) cr_from_text(VARDATA_ANY(input), VARSIZE_ANY_EXHDR(input), errs);
		funcctx->user_fctx = errs;
		funcctx->max_calls = list_length(errs->errors) + (errs->dropped > 0);
		MemoryContextSwitchTo(old);
	}
	funcctx = SRF_PERCALL_SETUP();
	errs = funcctx->user_fctx;
	if (funcctx->call_cntr >= funcctx->max_calls)
		SRF_RETURN_DONE(funcctx);

	if (funcctx->call_cntr < (uint64) list_length(errs->errors))
	{
		e = list_nth(errs->errors, (int) funcctx->call_cntr);
		nulls[0] = (e->field == NULL);
		values[0] = e->field ? CStringGetTextDatum(e->field) : (Datum) 0;
		values[1] = CStringGetTextDatum(e->detail ?
										psprintf("%s: %s", e->message, e->detail) :
										e->message);
	}
	else
	{
		nulls[0] = true;
		values[1] = CStringGetTextDatum(psprintf("%d more problems not listed",
												 errs->dropped));
	}
	SRF_RETURN_NEXT(funcctx,
					HeapTupleGetDatum(heap_form_tuple(funcctx->tuple_desc, values, nulls)));
}
