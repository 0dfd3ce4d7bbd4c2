/*
 * cr_convert.c
 *		The constructor, the jsonb casts in both directions, and comm_results,
 *		which unpacks an API response array.
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/errcodes.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "comm_result.h"
#include "comm_status.h"

PG_FUNCTION_INFO_V1(comm_result_make);
PG_FUNCTION_INFO_V1(comm_result_from_jsonb);
PG_FUNCTION_INFO_V1(comm_result_to_jsonb);
PG_FUNCTION_INFO_V1(comm_results);

static CrString
text_arg(FunctionCallInfo fcinfo, int n)
{
	text	   *t = PG_GETARG_TEXT_PP(n);

	return (CrString) {VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)};
}

/*
 * comm_result(batch_id, reference_id, target, request_variables, ...):
 * not STRICT, because SQL NULL means "absent" for the optional fields.
 * The arguments are the fields in table order, then channel_manager_sid;
 * a caller declared by an older SQL script passes fewer (PG_NARGS).
 */
Datum
comm_result_make(PG_FUNCTION_ARGS)
{
	CrFields	f = {0};
	CrErrors	errs = {0};
	struct varlena *result = NULL;
	int			nargs = Min(PG_NARGS(), CRF_COUNT);

	for (int i = 0; i < nargs; i++)
	{
		const CrFieldDef *def = &cr_fields[i];

		if (PG_ARGISNULL(i))
		{
			if (def->required)
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("comm_result field \"%s\" must not be null", def->name),
						 errdetail("batch_id, reference_id, target and request_variables are required.")));
			continue;
		}
		switch (def->kind)
		{
			case CRK_KEY:
			case CRK_STRING:
			case CRK_TARGET:
				f.var[def->slot] = text_arg(fcinfo, i);
				break;
			case CRK_STATUS:
				f.status = PG_GETARG_COMM_STATUS(i);
				break;
			case CRK_TIMESTAMP:
				f.fixed[def->slot] = PG_GETARG_TIMESTAMPTZ(i);
				break;
			case CRK_COUNT32:
				f.fixed[def->slot] = PG_GETARG_INT32(i);
				break;
			case CRK_ID64:
				f.fixed[def->slot] = PG_GETARG_INT64(i);
				break;
			case CRK_OBJECT:
			case CRK_FLAT_OBJECT:
				f.seen |= 1U << i;
				cr_field_set_object(&f, (CrField) i, PG_GETARG_JSONB_P(i), &errs);
				continue;
		}
		f.seen |= 1U << i;
		f.flags |= def->present;
	}
	/* channel_manager_sid: today's name for call_manager_sid */
	if (PG_NARGS() > CRF_COUNT && !PG_ARGISNULL(CRF_COUNT))
	{
		if (!PG_ARGISNULL(CRF_SID))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("comm_result field \"call_manager_sid\" is given under both of its names"),
					 errdetail("Both call_manager_sid and channel_manager_sid are given, and they are one field."),
					 errhint("Pass one of them: call_manager_sid is the April 2025 name, channel_manager_sid today's.")));
		f.var[CRV_SID] = text_arg(fcinfo, CRF_COUNT);
		f.flags |= CR_F_SID | CR_F_SID_CHANNEL;
	}
	if (!CR_FAILED(&errs))
		result = cr_build(&f, &errs);
	cr_report(&errs, NULL);
	PG_RETURN_POINTER(result);
}

/*
 * The batch id from the request's URL: today's records carry none.  A
 * record that carries one must agree.
 */
void
cr_apply_batch_id(CrFields *f, text *batch_id, CrErrors *errs)
{
	CrString	given = {VARDATA_ANY(batch_id), VARSIZE_ANY_EXHDR(batch_id)};
	CrString   *own = &f->var[CRV_BATCH_ID];

	if (!(f->flags & CR_F_BATCH_ID))
	{
		if (f->seen & (1U << CRF_BATCH_ID))
			return;				/* given, but wrongly: reported already */
		*own = given;
		f->flags |= CR_F_BATCH_ID;
		f->seen |= 1U << CRF_BATCH_ID;
	}
	else if (own->len != given.len || memcmp(own->data, given.data, given.len) != 0)
		cr_error(errs, ERRCODE_INVALID_PARAMETER_VALUE, "batch_id",
				 pstrdup("comm_result field \"batch_id\" does not match the batch_id argument"),
				 psprintf("The record has batch_id %s; the argument is %s.",
						  cr_quote(own->data, own->len), cr_quote(given.data, given.len)),
				 pstrdup("Records of one response belong to the batch of the request's URL."));
}

/* One record as jsonb; batch_id, when not NULL, supplies a missing batch id. */
static struct varlena *
from_jsonb_container(JsonbContainer *jc, text *batch_id)
{
	CrFields	f = {0};
	CrErrors	errs = {0};
	struct varlena *result = NULL;

	cr_fields_from_jsonb(jc, &f, &errs);
	if (batch_id != NULL && !CR_FAILED(&errs))
		cr_apply_batch_id(&f, batch_id, &errs);
	if (!CR_FAILED(&errs))
		result = cr_build(&f, &errs);
	cr_report(&errs, NULL);
	return result;
}

/* The jsonb cast, and comm_result_from_jsonb(record, batch_id). */
Datum
comm_result_from_jsonb(PG_FUNCTION_ARGS)
{
	Jsonb	   *jb = PG_GETARG_JSONB_P(0);

	PG_RETURN_POINTER(from_jsonb_container(&jb->root,
										   PG_NARGS() > 1 ? PG_GETARG_TEXT_PP(1) : NULL));
}

static void
push_key(JsonbParseState **ps, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = unconstify(char *, key);
	k.val.string.len = strlen(key);
	pushJsonbValue(ps, WJB_KEY, &k);
}

static void
push_string(JsonbParseState **ps, const char *s, int len)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = unconstify(char *, s);
	v.val.string.len = len;
	pushJsonbValue(ps, WJB_VALUE, &v);
}

/* One field of a value, as a jsonb object member. */
static void
push_field(JsonbParseState **ps, const CrView *v, CrField field)
{
	const CrFieldDef *def = &cr_fields[field];
	JsonbValue	jv;
	StringInfoData buf;
	Jsonb	   *jb;

	switch (def->kind)
	{
		case CRK_KEY:
		case CRK_STRING:
		case CRK_TARGET:
			push_string(ps, v->var[def->slot].data, v->var[def->slot].len);
			return;
		case CRK_STATUS:
			push_string(ps, cr_status_name(v->status), strlen(cr_status_name(v->status)));
			return;
		case CRK_TIMESTAMP:
			initStringInfo(&buf);
			cr_write_timestamp(&buf, v->fixed[def->slot]);
			push_string(ps, buf.data, buf.len);
			return;
		case CRK_COUNT32:
		case CRK_ID64:
			jv.type = jbvNumeric;
			jv.val.numeric = int64_to_numeric(v->fixed[def->slot]);
			break;
		case CRK_OBJECT:
		case CRK_FLAT_OBJECT:
			jb = cr_view_object(v, def->slot);
			jv.type = jbvBinary;
			jv.val.binary.data = &jb->root;
			jv.val.binary.len = VARSIZE(jb) - VARHDRSZ;
			break;
	}
	pushJsonbValue(ps, WJB_VALUE, &jv);
}

/* The same object as the text output, as jsonb (which orders keys its way). */
Datum
comm_result_to_jsonb(PG_FUNCTION_ARGS)
{
	CrView		v;
	JsonbParseState *ps = NULL;
	JsonbValue *res;

	cr_view(PG_GETARG_COMM_RESULT(0), &v);
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < CRF_COUNT; i++)
	{
		const CrFieldDef *def = &cr_fields[i];
		bool		present = (v.flags & def->present) || def->kind == CRK_COUNT32;

		if (!present && !(v.flags & def->null))
			continue;
		push_key(&ps, cr_field_name(&v, (CrField) i));
		if (present)
			push_field(&ps, &v, (CrField) i);
		else
		{
			JsonbValue	null = {.type = jbvNull};

			pushJsonbValue(&ps, WJB_VALUE, &null);
		}
	}
	res = pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(res));
}

/* Names the array element whose error is being reported. */
void
cr_element_context(void *arg)
{
	errcontext("comm_results array element %d (counting from 0)", *(int *) arg);
}

/* comm_results' arguments, kept across its calls. */
typedef struct ResultsArgs
{
	Jsonb	   *jb;
	text	   *batch_id;		/* NULL: none given */
} ResultsArgs;

/*
 * comm_results(response jsonb [, batch_id text]): an API response, a JSON
 * array of results; batch_id, from the request's URL, is the batch of
 * records that carry none.
 */
Datum
comm_results(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	Jsonb	   *jb;
	ResultsArgs *args;
	JsonbValue *elem;
	struct varlena *result;
	ErrorContextCallback errcb;
	int			index;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;

		funcctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		/* both arguments detoasted once, for all the elements */
		args = palloc(sizeof(ResultsArgs));
		args->jb = jb = PG_GETARG_JSONB_P_COPY(0);
		args->batch_id = PG_NARGS() > 1 ? PG_GETARG_TEXT_P_COPY(1) : NULL;
		funcctx->user_fctx = args;
		MemoryContextSwitchTo(old);
		if (!JB_ROOT_IS_ARRAY(jb) || JB_ROOT_IS_SCALAR(jb))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("comm_results argument must be a JSON array"),
					 errdetail("Found %s.", JB_ROOT_IS_SCALAR(jb) ? "a scalar" : "an object"),
					 errhint("Pass the array of results from the API response.")));
		funcctx->max_calls = JB_ROOT_COUNT(jb);
	}
	funcctx = SRF_PERCALL_SETUP();
	if (funcctx->call_cntr >= funcctx->max_calls)
		SRF_RETURN_DONE(funcctx);

	args = funcctx->user_fctx;
	jb = args->jb;
	index = (int) funcctx->call_cntr;
	errcb.callback = cr_element_context;
	errcb.arg = &index;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;

	elem = getIthJsonbValueFromContainer(&jb->root, index);
	if (elem->type != jbvBinary || !JsonContainerIsObject(elem->val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type comm_result"),
				 errdetail("Expected a JSON object, found %s.",
						   elem->type == jbvBinary ? "an array" : "a scalar")));
	result = from_jsonb_container(elem->val.binary.data, args->batch_id);

	error_context_stack = errcb.previous;
	SRF_RETURN_NEXT(funcctx, PointerGetDatum(result));
}
