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
 */
Datum
comm_result_make(PG_FUNCTION_ARGS)
{
	CrFields	f = {0};
	CrErrors	errs = {0};
	struct varlena *result;

	for (int i = CRF_BATCH_ID; i <= CRF_VARIABLES; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("comm_result field \"%s\" must not be null",
							cr_field_names[i]),
					 errdetail("batch_id, reference_id, target and request_variables are required.")));
	f.batch_id = text_arg(fcinfo, CRF_BATCH_ID);
	f.reference_id = text_arg(fcinfo, CRF_REFERENCE_ID);
	f.target = text_arg(fcinfo, CRF_TARGET);
	f.variables = PG_GETARG_JSONB_P(CRF_VARIABLES);
	f.has_batch_id = f.has_reference_id = f.has_target = f.has_variables = true;
	if (!PG_ARGISNULL(CRF_STATUS))
	{
		f.status = PG_GETARG_COMM_STATUS(CRF_STATUS);
		f.flags |= CR_F_STATUS;
	}
	if (!PG_ARGISNULL(CRF_SID))
	{
		f.call_manager_sid = text_arg(fcinfo, CRF_SID);
		f.flags |= CR_F_SID;
	}
	if (!PG_ARGISNULL(CRF_CREATED))
	{
		f.created_at = PG_GETARG_TIMESTAMPTZ(CRF_CREATED);
		f.flags |= CR_F_CREATED;
	}
	if (!PG_ARGISNULL(CRF_SENT))
	{
		f.sent_at = PG_GETARG_TIMESTAMPTZ(CRF_SENT);
		f.flags |= CR_F_SENT;
	}
	if (!PG_ARGISNULL(CRF_ATTEMPTS))
		f.attempt_count = PG_GETARG_INT32(CRF_ATTEMPTS);
	if (!PG_ARGISNULL(CRF_SESSION))
	{
		f.session_id = PG_GETARG_INT64(CRF_SESSION);
		f.flags |= CR_F_SESSION;
	}
	if (!PG_ARGISNULL(CRF_CONV))
	{
		f.conversation_id = PG_GETARG_INT64(CRF_CONV);
		f.flags |= CR_F_CONV;
	}
	result = cr_build(&f, &errs);
	cr_report(&errs, NULL);
	PG_RETURN_POINTER(result);
}

static struct varlena *
from_jsonb_container(JsonbContainer *jc)
{
	CrFields	f = {0};
	CrErrors	errs = {0};
	struct varlena *result = NULL;

	cr_fields_from_jsonb(jc, &f, &errs);
	if (!CR_FAILED(&errs))
		result = cr_build(&f, &errs);
	cr_report(&errs, NULL);
	return result;
}

Datum
comm_result_from_jsonb(PG_FUNCTION_ARGS)
{
	Jsonb	   *jb = PG_GETARG_JSONB_P(0);

	PG_RETURN_POINTER(from_jsonb_container(&jb->root));
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
push_string(JsonbParseState **ps, const char *key, const char *s, int len)
{
	JsonbValue	v;

	push_key(ps, key);
	v.type = jbvString;
	v.val.string.val = unconstify(char *, s);
	v.val.string.len = len;
	pushJsonbValue(ps, WJB_VALUE, &v);
}

static void
push_null(JsonbParseState **ps, const char *key)
{
	JsonbValue	v;

	push_key(ps, key);
	v.type = jbvNull;
	pushJsonbValue(ps, WJB_VALUE, &v);
}

static void
push_timestamp(JsonbParseState **ps, const char *key, TimestampTz ts)
{
	StringInfoData buf;

	initStringInfo(&buf);
	cr_write_timestamp(&buf, ts);
	push_string(ps, key, buf.data, buf.len);
}

static void
push_int(JsonbParseState **ps, const char *key, int64 n)
{
	JsonbValue	v;

	push_key(ps, key);
	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(n);
	pushJsonbValue(ps, WJB_VALUE, &v);
}

/* The same object as the text output, as jsonb (which orders keys its way). */
Datum
comm_result_to_jsonb(PG_FUNCTION_ARGS)
{
	CrView		v;
	JsonbParseState *ps = NULL;
	JsonbValue	vars;
	Jsonb	   *jvars;
	JsonbValue *res;

	cr_view(PG_GETARG_COMM_RESULT(0), &v);
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	push_string(&ps, "batch_id", v.batch_id.data, v.batch_id.len);
	push_string(&ps, "reference_id", v.reference_id.data, v.reference_id.len);
	push_string(&ps, "target", v.target.data, v.target.len);
	jvars = cr_view_variables(&v);
	vars.type = jbvBinary;
	vars.val.binary.data = &jvars->root;
	vars.val.binary.len = VARSIZE(jvars) - VARHDRSZ;
	push_key(&ps, "request_variables");
	pushJsonbValue(&ps, WJB_VALUE, &vars);
	if (v.flags & CR_F_STATUS)
		push_string(&ps, "request_status", cr_status_names[v.status],
					strlen(cr_status_names[v.status]));
	if (v.flags & CR_F_SID)
		push_string(&ps, "call_manager_sid", v.call_manager_sid.data,
					v.call_manager_sid.len);
	else if (v.flags & CR_F_SID_NULL)
		push_null(&ps, "call_manager_sid");
	if (v.flags & CR_F_CREATED)
		push_timestamp(&ps, "created_at", v.created_at);
	if (v.flags & CR_F_SENT)
		push_timestamp(&ps, "sent_at", v.sent_at);
	else if (v.flags & CR_F_SENT_NULL)
		push_null(&ps, "sent_at");
	push_int(&ps, "attempt_count", v.attempt_count);
	if (v.flags & CR_F_SESSION)
		push_int(&ps, "session_id", v.session_id);
	else if (v.flags & CR_F_SESSION_NULL)
		push_null(&ps, "session_id");
	if (v.flags & CR_F_CONV)
		push_int(&ps, "conversation_id", v.conversation_id);
	else if (v.flags & CR_F_CONV_NULL)
		push_null(&ps, "conversation_id");
	res = pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(res));
}

/* Names the array element whose error is being reported. */
static void
element_context(void *arg)
{
	errcontext("comm_results array element %d (counting from 0)", *(int *) arg);
}

/* comm_results(jsonb): an API response, a JSON array of results. */
Datum
comm_results(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	Jsonb	   *jb;
	JsonbValue *elem;
	struct varlena *result;
	ErrorContextCallback errcb;
	int			index;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;

		funcctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		jb = PG_GETARG_JSONB_P_COPY(0);
		MemoryContextSwitchTo(old);
		if (!JB_ROOT_IS_ARRAY(jb) || JB_ROOT_IS_SCALAR(jb))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("comm_results argument must be a JSON array"),
					 errdetail("Found %s.", JB_ROOT_IS_SCALAR(jb) ? "a scalar" : "an object"),
					 errhint("Pass the array of results from the API response.")));
		funcctx->user_fctx = jb;
		funcctx->max_calls = JB_ROOT_COUNT(jb);
	}
	funcctx = SRF_PERCALL_SETUP();
	if (funcctx->call_cntr >= funcctx->max_calls)
		SRF_RETURN_DONE(funcctx);

	jb = funcctx->user_fctx;
	index = (int) funcctx->call_cntr;
	errcb.callback = element_context;
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
	result = from_jsonb_container(elem->val.binary.data);

	error_context_stack = errcb.previous;
	SRF_RETURN_NEXT(funcctx, PointerGetDatum(result));
}
