/*
 * cr_jsonb_in.c
 *		A jsonb object to CrFields, walking the jsonb without a detour
 *		through text.  jsonb has already dropped repeated keys and cannot
 *		hold \u0000; everything else is checked as for JSON text, through
 *		cr_field_set and cr_field_set_object.
 */
#include "postgres.h"

#include "utils/errcodes.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

#include "comm_result.h"

CrJsonKind
cr_jsonb_value_kind(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvString:
			return CRJ_STRING;
		case jbvNumeric:
			return CRJ_NUMBER;
		case jbvBool:
			return CRJ_BOOL;
		case jbvNull:
			return CRJ_NULL;
		case jbvBinary:
			return JsonContainerIsObject(v->val.binary.data) ? CRJ_OBJECT : CRJ_ARRAY;
		default:
			elog(ERROR, "unexpected jsonb value type %d", (int) v->type);
			return CRJ_NULL;	/* keep compiler quiet */
	}
}

void
cr_fields_from_jsonb(JsonbContainer *jc, CrFields *f, CrErrors *errs)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	CrField		cur = CRF_NONE;

	if (!JsonContainerIsObject(jc) || JsonContainerIsScalar(jc))
	{
		cr_error(errs, ERRCODE_INVALID_TEXT_REPRESENTATION, NULL,
				 pstrdup("invalid input syntax for type comm_result"),
				 psprintf("Expected a JSON object, found %s.",
						  JsonContainerIsScalar(jc) ? "a scalar" : "an array"),
				 NULL);
		return;
	}

	it = JsonbIteratorInit(jc);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		CrJsonKind	kind;
		char	   *num;

		if (tok == WJB_KEY)
		{
			cur = cr_field_lookup(v.val.string.val, v.val.string.len, f, errs);
			continue;
		}
		if (tok != WJB_VALUE || cur == CRF_NONE)
			continue;
		if (CR_DONE(errs))
			return;

		kind = cr_jsonb_value_kind(&v);
		if (kind == CRJ_OBJECT && cr_is_object_kind(cr_fields[cur].kind))
			cr_field_set_object(f, cur, JsonbValueToJsonb(&v), errs);
		else if (kind == CRJ_OBJECT || kind == CRJ_ARRAY)
			cr_field_type_error(f, cur, kind, NULL, 0, errs);
		else if (kind == CRJ_STRING)
			cr_field_set(f, cur, kind, v.val.string.val, v.val.string.len, errs);
		else if (kind == CRJ_NUMBER)
		{
			/* jsonb keeps numbers as numeric: give the field its digits */
			num = DatumGetCString(DirectFunctionCall1(numeric_out,
													  NumericGetDatum(v.val.numeric)));
			cr_field_set(f, cur, kind, num, (int) strlen(num), errs);
		}
		else
			cr_field_set(f, cur, kind, NULL, 0, errs);
	}
}
