/*
 * cr_io.c
 *		Text input and output, the json cast, and the validity helpers.
 */
#include "postgres.h"

#include "fmgr.h"
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

/* Every problem of an input, one row each, for quarantining bad rows. */
Datum
comm_result_errors(PG_FUNCTION_ARGS)
{
	text	   *input = PG_GETARG_TEXT_PP(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CrErrors	errs = {.collect_all = true};
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	(void) cr_from_text(VARDATA_ANY(input), VARSIZE_ANY_EXHDR(input), &errs);
	foreach(lc, errs.errors)
	{
		CrError    *e = lfirst(lc);
		Datum		values[2];
		bool		nulls[2] = {e->field == NULL, false};
		StringInfoData msg;

		initStringInfo(&msg);
		appendStringInfoString(&msg, e->message);
		if (e->detail)
			appendStringInfo(&msg, ": %s", e->detail);
		values[0] = e->field ? CStringGetTextDatum(e->field) : (Datum) 0;
		values[1] = CStringGetTextDatum(msg.data);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	PG_RETURN_NULL();
}
