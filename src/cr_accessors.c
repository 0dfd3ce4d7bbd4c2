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
PG_FUNCTION_INFO_V1(comm_result_channel_manager_status);
PG_FUNCTION_INFO_V1(comm_result_insights_status);
PG_FUNCTION_INFO_V1(comm_result_insights);
PG_FUNCTION_INFO_V1(comm_result_line_type);
PG_FUNCTION_INFO_V1(comm_result_enrichment);
PG_FUNCTION_INFO_V1(comm_result_target_kind);
PG_FUNCTION_INFO_V1(comm_result_request_variable);
PG_FUNCTION_INFO_V1(comm_result_fields);

/*
 * Each accessor detoasts its argument once.  The variable-size ones read
 * the few length bytes before their field (cr_read_var); the fixed-size
 * ones read just their field.
 */
#define VIEW_ARG(v) \
	CrView		v; \
	cr_view(PG_GETARG_COMM_RESULT(0), &(v))

static Datum
string_datum(const CrString *s)
{
	return PointerGetDatum(cstring_to_text_with_len(s->data, s->len));
}

/* A string field as text, or NULL when absent or null. */
static Datum
string_field(FunctionCallInfo fcinfo, CrVarSlot slot)
{
	CrString	s;

	if (!cr_read_var(PG_GETARG_COMM_RESULT(0), slot, &s))
		PG_RETURN_NULL();
	return string_datum(&s);
}

/* An object field as jsonb, or NULL when absent or null. */
static Datum
object_field(FunctionCallInfo fcinfo, CrVarSlot slot)
{
	CrString	s;

	if (!cr_read_var(PG_GETARG_COMM_RESULT(0), slot, &s))
		PG_RETURN_NULL();
	PG_RETURN_JSONB_P(cr_image_jsonb(&s));
}

Datum
comm_result_batch_id(PG_FUNCTION_ARGS)
{
	return string_field(fcinfo, CRV_BATCH_ID);
}

Datum
comm_result_reference_id(PG_FUNCTION_ARGS)
{
	return string_field(fcinfo, CRV_REFERENCE_ID);
}

Datum
comm_result_target(PG_FUNCTION_ARGS)
{
	return string_field(fcinfo, CRV_TARGET);
}

Datum
comm_result_request_variables(PG_FUNCTION_ARGS)
{
	return object_field(fcinfo, CRV_VARIABLES);
}

Datum
comm_result_request_status(PG_FUNCTION_ARGS)
{
	int			status = cr_read_status(PG_GETARG_COMM_RESULT_PREFIX(0));

	if (status < 0)
		PG_RETURN_NULL();
	PG_RETURN_COMM_STATUS(status);
}

/* Also channel_manager_sid(r): one field under two names. */
Datum
comm_result_call_manager_sid(PG_FUNCTION_ARGS)
{
	return string_field(fcinfo, CRV_SID);
}

Datum
comm_result_channel_manager_status(PG_FUNCTION_ARGS)
{
	return string_field(fcinfo, CRV_CHSTATUS);
}

Datum
comm_result_insights_status(PG_FUNCTION_ARGS)
{
	return string_field(fcinfo, CRV_INSTATUS);
}

Datum
comm_result_insights(PG_FUNCTION_ARGS)
{
	return object_field(fcinfo, CRV_INSIGHTS);
}

Datum
comm_result_line_type(PG_FUNCTION_ARGS)
{
	return string_field(fcinfo, CRV_LINE);
}

Datum
comm_result_enrichment(PG_FUNCTION_ARGS)
{
	return object_field(fcinfo, CRV_ENRICH);
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
target_kind(const CrString *target)
{
	const char *why;

	return cr_classify_target(target->data, target->len, &why) == CR_TARGET_EMAIL ?
		"email" : "phone";
}

Datum
comm_result_target_kind(PG_FUNCTION_ARGS)
{
	CrString	target = cr_read_string(PG_GETARG_COMM_RESULT(0), CRV_TARGET);

	PG_RETURN_TEXT_P(cstring_to_text(target_kind(&target)));
}

/* Like request_variables(r) ->> key: scalars as text, containers as JSON. */
Datum
comm_result_request_variable(PG_FUNCTION_ARGS)
{
	text	   *key = PG_GETARG_TEXT_PP(1);
	Jsonb	   *vars;
	JsonbValue *jv;
	CrString	image;

	if (!cr_read_var(PG_GETARG_COMM_RESULT(0), CRV_VARIABLES, &image))
		cr_corrupted();
	vars = cr_image_jsonb(&image);
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
 * function's OUT parameters and is looked up once per query:
 * comm_result_fields has the April 2025 fields and target_kind (its row
 * type is frozen, because views built on 1.1 expand it), and
 * comm_result_all_fields adds today's fields and the sid's name.
 */
#define CR_FIELDS_NATTS		(CRF_APRIL_COUNT + 1)
#define CR_ALL_FIELDS_NATTS	(CRF_COUNT + 2)

static Datum
field_datum(const CrView *v, CrField field, bool *isnull)
{
	const CrFieldDef *def = &cr_fields[field];

	*isnull = !(v->flags & def->present) && def->kind != CRK_COUNT32;
	if (*isnull)
		return (Datum) 0;
	switch (def->kind)
	{
		case CRK_KEY:
		case CRK_STRING:
		case CRK_TARGET:
			return string_datum(&v->var[def->slot]);
		case CRK_STATUS:
			return CommStatusGetDatum(v->status);
		case CRK_TIMESTAMP:
			return TimestampTzGetDatum(v->fixed[def->slot]);
		case CRK_COUNT32:
			return Int32GetDatum((int32) v->fixed[def->slot]);
		case CRK_ID64:
			return Int64GetDatum(v->fixed[def->slot]);
		case CRK_OBJECT:
		case CRK_FLAT_OBJECT:
			return PointerGetDatum(cr_view_object(v, def->slot));
	}
	return (Datum) 0;			/* keep compiler quiet */
}

Datum
comm_result_fields(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc = cr_row_type(fcinfo, -1);
	bool		all = (tupdesc->natts == CR_ALL_FIELDS_NATTS);
	Datum		values[CR_ALL_FIELDS_NATTS];
	bool		nulls[CR_ALL_FIELDS_NATTS] = {0};
	int			n = 0;

	VIEW_ARG(v);

	if (!all && tupdesc->natts != CR_FIELDS_NATTS)
		elog(ERROR, "row type has %d attributes, expected %d or %d",
			 tupdesc->natts, CR_FIELDS_NATTS, CR_ALL_FIELDS_NATTS);
	for (int i = 0; i < CRF_APRIL_COUNT; i++, n++)
		values[n] = field_datum(&v, (CrField) i, &nulls[n]);
	values[n++] = CStringGetTextDatum(target_kind(&v.var[CRV_TARGET]));
	if (all)
	{
		for (int i = CRF_APRIL_COUNT; i < CRF_COUNT; i++, n++)
			values[n] = field_datum(&v, (CrField) i, &nulls[n]);
		nulls[n] = !(v.flags & (CR_F_SID | CR_F_SID_NULL));
		values[n] = nulls[n] ? (Datum) 0 :
			CStringGetTextDatum(cr_field_name(&v, CRF_SID));
		n++;
	}
	Assert(n == tupdesc->natts);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
