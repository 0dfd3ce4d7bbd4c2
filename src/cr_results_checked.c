/*
 * cr_results_checked.c
 *		comm_results_checked(response, batch_id): the load that loses
 *		nothing.  One row per element of an API response, in order: the
 *		value when the element is a valid record, else every problem of it
 *		and the element's own text, to be kept and loaded again later.
 *
 * The whole body is read before any row is returned (a materialized
 * result), so a body that is not a complete JSON array (cut off in
 * transfer, an error page) raises an error and gives no rows: a truncated
 * response is never loaded as if it were whole.  Within a complete body,
 * nothing an element holds can fail the statement: an element that is not
 * an object, breaks a rule, names another batch, or nests deeper than the
 * parser can safely follow (CR_MAX_ELEMENT_DEPTH) is a row with its errors.
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/errcodes.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "comm_result.h"
#include "compat.h"

PG_FUNCTION_INFO_V1(comm_results_checked_text);
PG_FUNCTION_INFO_V1(comm_results_checked_jsonb);

#define CHECKED_NATTS	4

/* The rows go into the caller's tuplestore; each element is read in its own context. */
typedef struct CheckedLoad
{
	ReturnSetInfo *rsinfo;
	MemoryContext elemcxt;
	text	   *batch_id;
	int			ordinal;
} CheckedLoad;

static void
push_text(JsonbParseState **ps, const char *key, const char *value)
{
	JsonbValue	k,
				v;

	k.type = jbvString;
	k.val.string.val = unconstify(char *, key);
	k.val.string.len = strlen(key);
	pushJsonbValue(ps, WJB_KEY, &k);
	if (value == NULL)
		v.type = jbvNull;
	else
	{
		v.type = jbvString;
		v.val.string.val = unconstify(char *, value);
		v.val.string.len = strlen(value);
	}
	pushJsonbValue(ps, WJB_VALUE, &v);
}

/*
 * Every problem as a JSON array of {"field", "message", "detail", "hint",
 * "sqlstate"}: what comm_result_errors lists, with the SQLSTATE.
 */
static Jsonb *
errors_jsonb(const CrErrors *errs)
{
	JsonbParseState *ps = NULL;
	ListCell   *lc;

	pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
	foreach(lc, errs->errors)
	{
		CrError    *e = lfirst(lc);

		pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
		push_text(&ps, "field", e->field);
		push_text(&ps, "message", e->message);
		push_text(&ps, "detail", e->detail);
		push_text(&ps, "hint", e->hint);
		push_text(&ps, "sqlstate", pstrdup(unpack_sql_state(e->sqlstate)));
		pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	}
	if (errs->dropped > 0)
	{
		pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
		push_text(&ps, "field", NULL);
		push_text(&ps, "message", psprintf("%d more problems not listed", errs->dropped));
		push_text(&ps, "detail", NULL);
		push_text(&ps, "hint", NULL);
		push_text(&ps, "sqlstate", NULL);
		pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	}
	return JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_ARRAY, NULL));
}

/* One row: the value, or the problems and the element's text. */
static void
put_row(CheckedLoad *load, struct varlena *result, const CrErrors *errs,
		const char *elem, int len)
{
	Datum		values[CHECKED_NATTS];
	bool		nulls[CHECKED_NATTS] = {false, false, false, false};

	values[0] = Int32GetDatum(load->ordinal++);
	if (result != NULL)
	{
		values[1] = PointerGetDatum(result);
		nulls[2] = nulls[3] = true;
	}
	else
	{
		nulls[1] = true;
		values[2] = JsonbPGetDatum(errors_jsonb(errs));
		values[3] = PointerGetDatum(cstring_to_text_with_len(elem, len));
	}
	tuplestore_putvalues(load->rsinfo->setResult, load->rsinfo->setDesc, values, nulls);
}

static void
not_object(CrErrors *errs, const char *found)
{
	cr_error(errs, ERRCODE_INVALID_TEXT_REPRESENTATION, NULL,
			 pstrdup("invalid input syntax for type comm_result"),
			 psprintf("Expected a JSON object, found %s.", found),
			 NULL);
}

static CheckedLoad *
start_load(FunctionCallInfo fcinfo)
{
	CheckedLoad *load = palloc0(sizeof(CheckedLoad));

	InitMaterializedSRF(fcinfo, 0);
	load->rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	if (load->rsinfo->setDesc->natts != CHECKED_NATTS)
		elog(ERROR, "comm_results_checked must return %d columns", CHECKED_NATTS);
	load->elemcxt = AllocSetContextCreate(CurrentMemoryContext,
										  "comm_results_checked element",
										  ALLOCSET_DEFAULT_SIZES);
	load->batch_id = PG_GETARG_TEXT_PP(1);
	return load;
}

/*
 * Read one element of a body.  Its syntax is checked here too, because the
 * body is valid JSON only if every element is: when the parser stopped on
 * it (a syntax error, or an escape the database cannot hold, such as
 * \u0000), the element is checked again as the json type would, and only
 * an element that is not JSON at all stops the load.
 */
static void
read_element(CheckedLoad *load, const char *body, size_t len,
			 const CrElement *e)
{
	const char *elem = body + e->start;
	CrFields	f = {0};
	CrErrors	errs = {.collect_all = true};
	struct varlena *result = NULL;
	char	   *detail;
	size_t		at;

	if (e->depth > CR_MAX_ELEMENT_DEPTH)
	{
		cr_error(&errs, ERRCODE_STATEMENT_TOO_COMPLEX, NULL,
				 pstrdup("response element is nested too deeply to be read"),
				 psprintf("It nests objects and arrays %d levels deep; comm_results_checked reads at most %d.",
						  e->depth, CR_MAX_ELEMENT_DEPTH),
				 NULL);
		put_row(load, NULL, &errs, elem, e->len);
		return;
	}
	if (elem[0] != '{')
	{
		if (!cr_json_syntax_ok(elem, e->len, &detail, &at))
			cr_bad_element_json(body, len, e, load->ordinal, detail, at, true);
		not_object(&errs, cr_json_kind_of(elem[0]));
		put_row(load, NULL, &errs, elem, e->len);
		return;
	}
	if (cr_parse_json(elem, e->len, &f, &errs))
	{
		/* as comm_result_errors: every problem, the builder's too */
		cr_apply_batch_id(&f, load->batch_id, &errs);
		result = cr_build(&f, &errs);
	}
	else if (errs.bad_json && !cr_json_syntax_ok(elem, e->len, &detail, &at))
		cr_bad_element_json(body, len, e, load->ordinal, detail, at, true);
	put_row(load, result, &errs, elem, e->len);
}

/* comm_results_checked(response text, batch_id text) */
Datum
comm_results_checked_text(PG_FUNCTION_ARGS)
{
	text	   *response = PG_GETARG_TEXT_PP(0);
	const char *body = VARDATA_ANY(response);
	size_t		len = VARSIZE_ANY_EXHDR(response);
	CheckedLoad *load = start_load(fcinfo);
	CrSplit		split;
	MemoryContext old;

	if (!cr_split_array(body, len, &split))
		cr_bad_response(body, len, &split, true);
	for (int i = 0; i < split.n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		old = MemoryContextSwitchTo(load->elemcxt);
		read_element(load, body, len, &split.elems[i]);
		MemoryContextSwitchTo(old);
		MemoryContextReset(load->elemcxt);
	}
	MemoryContextDelete(load->elemcxt);
	return (Datum) 0;
}

/*
 * comm_results_checked(response jsonb, batch_id text): jsonb has already
 * parsed the body, so an element's text is jsonb's own rendering of it.
 */
Datum
comm_results_checked_jsonb(PG_FUNCTION_ARGS)
{
	Jsonb	   *jb = PG_GETARG_JSONB_P(0);
	CheckedLoad *load = start_load(fcinfo);
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	MemoryContext old;

	if (!JB_ROOT_IS_ARRAY(jb) || JB_ROOT_IS_SCALAR(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("response is not a complete JSON array"),
				 errdetail("Found %s.", JB_ROOT_IS_SCALAR(jb) ? "a scalar" : "an object"),
				 errhint("Pass the array of results from the API response.")));
	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		CrFields	f = {0};
		CrErrors	errs = {.collect_all = true};
		struct varlena *result = NULL;
		Jsonb	   *elem;
		char	   *text;

		if (tok != WJB_ELEM)
			continue;
		CHECK_FOR_INTERRUPTS();
		old = MemoryContextSwitchTo(load->elemcxt);
		if (v.type == jbvBinary && JsonContainerIsObject(v.val.binary.data))
		{
			cr_fields_from_jsonb(v.val.binary.data, &f, &errs);
			cr_apply_batch_id(&f, load->batch_id, &errs);
			result = cr_build(&f, &errs);
		}
		else
			not_object(&errs, v.type == jbvBinary ? "an array" :
					   cr_json_kind_names[cr_jsonb_value_kind(&v)]);
		if (result != NULL)
			put_row(load, result, &errs, NULL, 0);
		else
		{
			elem = JsonbValueToJsonb(&v);
			text = JsonbToCString(NULL, &elem->root, VARSIZE(elem));
			put_row(load, NULL, &errs, text, strlen(text));
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(load->elemcxt);
	}
	MemoryContextDelete(load->elemcxt);
	return (Datum) 0;
}
