/*
 * cr_accessors.c
 *		One function per field, reading only the fixed header and the string
 *		lengths, never parsing the rest; plus target_kind, request_variable
 *		and comm_result_fields for views.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "comm_result.h"
#include "comm_status.h"

PG_FUNCTION_INFO_V1(comm_result_batch_id);
PG_FUNCTION_INFO_V1(comm_result_reference_id);
PG_FUNCTION_INFO_V1(comm_result_target);
PG_FUNCTION_INFO_V1(comm_result_request_variables);
PG_FUNCTION_INFO_V1(comm_result_request_status);
PG_FUNCTION_INFO_V1(comm_result_call_manager_sid);
PG_FUNCTION_INFO_V1(comm_result_created_at);
PG_FUNCTION_INFO_V1(comm_result_sent_at);
PG_FUNCTION_INFO_V1(comm_result_attempt_count);
PG_FUNCTION_INFO_V1(comm_result_session_id);
PG_FUNCTION_INFO_V1(comm_result_conversation_id);
PG_FUNCTION_INFO_V1(comm_result_target_kind);
PG_FUNCTION_INFO_V1(comm_result_request_variable);
PG_FUNCTION_INFO_V1(comm_result_fields);

/*
 * Each accessor detoasts its argument once.  The string accessors decode
 * the layout with VIEW_ARG; the fixed-size ones read just their field.
 */
#define VIEW_ARG(v) \
	CrView		v; \
	cr_view(PG_GETARG_COMM_RESULT(0), &(v))

static Datum
string_datum(const CrString *s)
{
	return PointerGetDatum(cstring_to_text_with_len(s->data, s->len));
}

Datum
comm_result_batch_id(PG_FUNCTION_ARGS)
{
	CrString	s = cr_read_string(PG_GETARG_COMM_RESULT(0), 0);

	return string_datum(&s);
}

Datum
comm_result_reference_id(PG_FUNCTION_ARGS)
{
	CrString	s = cr_read_string(PG_GETARG_COMM_RESULT(0), 1);

	return string_datum(&s);
}

Datum
comm_result_target(PG_FUNCTION_ARGS)
{
	CrString	s = cr_read_string(PG_GETARG_COMM_RESULT(0), 2);

	return string_datum(&s);
}

Datum
comm_result_request_variables(PG_FUNCTION_ARGS)
{
	VIEW_ARG(v);
	PG_RETURN_JSONB_P(cr_view_variables(&v));
}

Datum
comm_result_request_status(PG_FUNCTION_ARGS)
{
	int			status = cr_read_status(PG_GETARG_COMM_RESULT_PREFIX(0));

	if (status < 0)
		PG_RETURN_NULL();
	PG_RETURN_COMM_STATUS(status);
}

Datum
comm_result_call_manager_sid(PG_FUNCTION_ARGS)
{
	VIEW_ARG(v);
	if (!(v.flags & CR_F_SID))
		PG_RETURN_NULL();
	return string_datum(&v.call_manager_sid);
}

/* An 8-byte field (timestamps, ids); false when absent or null. */
static inline bool
read_fixed8(FunctionCallInfo fcinfo, uint16 flag, int64 *v)
{
	const char *p = cr_fixed_field(PG_GETARG_COMM_RESULT_PREFIX(0), flag);

	if (p == NULL)
		return false;
	memcpy(v, p, sizeof(int64));
	return true;
}

Datum
comm_result_created_at(PG_FUNCTION_ARGS)
{
	int64		v;

	if (!read_fixed8(fcinfo, CR_F_CREATED, &v))
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(v);
}

Datum
comm_result_sent_at(PG_FUNCTION_ARGS)
{
	int64		v;

	if (!read_fixed8(fcinfo, CR_F_SENT, &v))
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(v);
}

Datum
comm_result_attempt_count(PG_FUNCTION_ARGS)
{
	const char *p = cr_fixed_field(PG_GETARG_COMM_RESULT_PREFIX(0), CR_F_ATTEMPTS);
	int32		v = 0;

	if (p != NULL)
		memcpy(&v, p, 4);
	PG_RETURN_INT32(v);
}

Datum
comm_result_session_id(PG_FUNCTION_ARGS)
{
	int64		v;

	if (!read_fixed8(fcinfo, CR_F_SESSION, &v))
		PG_RETURN_NULL();
	PG_RETURN_INT64(v);
}

Datum
comm_result_conversation_id(PG_FUNCTION_ARGS)
{
	int64		v;

	if (!read_fixed8(fcinfo, CR_F_CONV, &v))
		PG_RETURN_NULL();
	PG_RETURN_INT64(v);
}

static const char *
target_kind(const CrView *v)
{
	const char *why;

	return cr_classify_target(v->target.data, v->target.len, &why) == CR_TARGET_EMAIL ?
		"email" : "phone";
}

Datum
comm_result_target_kind(PG_FUNCTION_ARGS)
{
	VIEW_ARG(v);
	PG_RETURN_TEXT_P(cstring_to_text(target_kind(&v)));
}

/* Like request_variables(r) ->> key: scalars as text, containers as JSON. */
Datum
comm_result_request_variable(PG_FUNCTION_ARGS)
{
	text	   *key = PG_GETARG_TEXT_PP(1);
	Jsonb	   *vars;
	JsonbValue *jv;

	VIEW_ARG(v);
	vars = cr_view_variables(&v);
	jv = getKeyJsonValueFromContainer(&vars->root, VARDATA_ANY(key),
									  VARSIZE_ANY_EXHDR(key), NULL);
	if (jv == NULL || jv->type == jbvNull)
		PG_RETURN_NULL();
	switch (jv->type)
	{
		case jbvString:
			PG_RETURN_TEXT_P(cstring_to_text_with_len(jv->val.string.val,
													  jv->val.string.len));
		case jbvNumeric:
			PG_RETURN_DATUM(CStringGetTextDatum(DatumGetCString(
												DirectFunctionCall1(numeric_out,
																	NumericGetDatum(jv->val.numeric)))));
		case jbvBool:
			PG_RETURN_TEXT_P(cstring_to_text(jv->val.boolean ? "true" : "false"));
		case jbvBinary:
			PG_RETURN_TEXT_P(cstring_to_text(JsonbToCString(NULL, jv->val.binary.data,
															jv->val.binary.len)));
		default:
			elog(ERROR, "unexpected jsonb value type %d", (int) jv->type);
	}
	PG_RETURN_NULL();			/* keep compiler quiet */
}

/*
 * Every field as a typed column, for views.  The row type comes from the
 * function's OUT parameters; it is looked up once per query.
 */
Datum
comm_result_fields(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc = cr_row_type(fcinfo, CRF_COUNT + 1);
	Datum		values[CRF_COUNT + 1];
	bool		nulls[CRF_COUNT + 1] = {0};

	VIEW_ARG(v);

	values[CRF_BATCH_ID] = string_datum(&v.batch_id);
	values[CRF_REFERENCE_ID] = string_datum(&v.reference_id);
	values[CRF_TARGET] = string_datum(&v.target);
	values[CRF_VARIABLES] = PointerGetDatum(cr_view_variables(&v));
	values[CRF_STATUS] = CommStatusGetDatum(v.status);
	nulls[CRF_STATUS] = !(v.flags & CR_F_STATUS);
	values[CRF_SID] = (v.flags & CR_F_SID) ? string_datum(&v.call_manager_sid) : (Datum) 0;
	nulls[CRF_SID] = !(v.flags & CR_F_SID);
	values[CRF_CREATED] = TimestampTzGetDatum(v.created_at);
	nulls[CRF_CREATED] = !(v.flags & CR_F_CREATED);
	values[CRF_SENT] = TimestampTzGetDatum(v.sent_at);
	nulls[CRF_SENT] = !(v.flags & CR_F_SENT);
	values[CRF_ATTEMPTS] = Int32GetDatum(v.attempt_count);
	values[CRF_SESSION] = Int64GetDatum(v.session_id);
	nulls[CRF_SESSION] = !(v.flags & CR_F_SESSION);
	values[CRF_CONV] = Int64GetDatum(v.conversation_id);
	nulls[CRF_CONV] = !(v.flags & CR_F_CONV);
	values[CRF_COUNT] = CStringGetTextDatum(target_kind(&v));

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
