/*
 * cr_fields.c
 *		Reading one top-level field of the API's JSON object into CrFields.
 *		The JSON text parser and the jsonb walker both come through here, so
 *		a field means the same thing, and fails the same way, on either path.
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/errcodes.h"

#include "comm_result.h"
#include "comm_status.h"

const char *const cr_json_kind_names[] = {
	"a string", "a number", "a boolean", "null", "an object", "an array"
};

/* What each field accepts, for "must be ..." messages. */
static const char *const field_expects[CRF_COUNT] = {
	"a string",
	"a string",
	"a string",
	"a JSON object",
	"a status string",
	"a string or null",
	"a timestamp string",
	"a timestamp string or null",
	"an integer",
	"an integer or null",
	"an integer or null",
};

static char known_fields_hint[] =
"Known fields are: batch_id, reference_id, target, request_variables, "
"request_status, call_manager_sid, created_at, sent_at, attempt_count, "
"session_id, conversation_id.";

/*
 * Which field a key names.  Unknown and repeated keys are errors; the
 * caller then skips the key's value.
 */
CrField
cr_field_lookup(const char *key, int len, CrFields *f, CrErrors *errs)
{
	for (int i = 0; i < CRF_COUNT; i++)
	{
		if ((int) strlen(cr_field_names[i]) == len &&
			memcmp(cr_field_names[i], key, len) == 0)
		{
			if (f->seen & (1U << i))
			{
				cr_error(errs, ERRCODE_INVALID_TEXT_REPRESENTATION, i,
						 psprintf("duplicate comm_result field \"%s\"",
								  cr_field_names[i]),
						 pstrdup("A field may appear only once in the object."),
						 NULL);
				return CRF_NONE;
			}
			f->seen |= 1U << i;
			return (CrField) i;
		}
	}
	cr_error(errs, ERRCODE_INVALID_TEXT_REPRESENTATION, CRF_NONE,
			 psprintf("unknown comm_result field %s", cr_quote(key, len)),
			 NULL, known_fields_hint);
	/* comm_result_errors shows the unknown key itself as the field */
	if (errs->dropped == 0)
		((CrError *) llast(errs->errors))->field =
			pnstrdup(key, pg_mbcliplen(key, len, NAMEDATALEN));
	return CRF_NONE;
}

/* str is the scalar's text, shown in DETAIL; NULL for containers and null. */
void
cr_field_type_error(CrField field, CrJsonKind found, const char *str, int len,
					CrErrors *errs)
{
	cr_error(errs, ERRCODE_INVALID_TEXT_REPRESENTATION, field,
			 psprintf("comm_result field \"%s\" must be %s",
					  cr_field_names[field], field_expects[field]),
			 str ? psprintf("Found %s: %s.", cr_json_kind_names[found], cr_quote(str, len)) :
			 psprintf("Found %s.", cr_json_kind_names[found]),
			 NULL);
}

static void
timestamp_error(CrField field, CrTimestampResult r, const char *s, int len,
				CrErrors *errs)
{
	const char *name = cr_field_names[field];
	char	   *value = cr_quote(s, len);

	switch (r)
	{
		case CR_TS_NO_ZONE:
			cr_error(errs, ERRCODE_INVALID_DATETIME_FORMAT, field,
					 psprintf("comm_result field \"%s\" has no time zone", name),
					 psprintf("Value %s has no UTC offset.", value),
					 pstrdup("Add Z for UTC or an offset such as +02:00; without one the value would depend on the session's TimeZone."));
			break;
		case CR_TS_BAD_FIELD:
			cr_error(errs, ERRCODE_DATETIME_FIELD_OVERFLOW, field,
					 psprintf("comm_result field \"%s\" has a date or time field out of range", name),
					 psprintf("Value %s is not a real date and time.", value),
					 NULL);
			break;
		case CR_TS_OUT_OF_RANGE:
			cr_error(errs, ERRCODE_DATETIME_FIELD_OVERFLOW, field,
					 psprintf("comm_result field \"%s\" is out of range", name),
					 psprintf("Value %s falls outside the years 0000 to 9999 in UTC.", value),
					 NULL);
			break;
		default:
			cr_error(errs, ERRCODE_INVALID_DATETIME_FORMAT, field,
					 psprintf("comm_result field \"%s\" is not an RFC 3339 timestamp", name),
					 psprintf("Value %s does not have the form YYYY-MM-DDTHH:MM:SS[.fraction]Z.", value),
					 pstrdup("Write a date, \"T\", a time with seconds, an optional fraction, then Z or an offset such as +02:00."));
			break;
	}
}

/* An integer field's JSON number: whole, and within the field's range. */
static bool
parse_integer(CrField field, const char *s, int len, int64 *result,
			  CrErrors *errs)
{
	uint64		max = (field == CRF_ATTEMPTS) ? PG_INT32_MAX : PG_INT64_MAX;
	uint64		v = 0;
	bool		negative = false;
	bool		overflow = false;
	int			i = 0;

	if (len > 0 && s[0] == '-')
	{
		negative = true;
		i = 1;
	}
	if (i >= len)
		goto not_integer;
	for (; i < len; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			goto not_integer;
		if (v > (PG_UINT64_MAX - 9) / 10)
			overflow = true;
		else
			v = v * 10 + (s[i] - '0');
	}
	if (overflow || v > max || (negative && v != 0))
	{
		cr_error(errs, ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE, field,
				 psprintf("comm_result field \"%s\" is out of range",
						  cr_field_names[field]),
				 psprintf("Value %s is not between 0 and " UINT64_FORMAT ".",
						  cr_quote(s, len), max),
				 NULL);
		return false;
	}
	*result = (int64) v;
	return true;

not_integer:
	cr_error(errs, ERRCODE_INVALID_TEXT_REPRESENTATION, field,
			 psprintf("comm_result field \"%s\" must be an integer",
					  cr_field_names[field]),
			 psprintf("Found the number %s, which has a fraction or an exponent.",
					  cr_quote(s, len)),
			 NULL);
	return false;
}

/*
 * Store one field's scalar value.  A JSON null means "absent" for the
 * fields that are not nullable, and is remembered for those that are.
 * request_variables objects are stored by the caller, which owns the jsonb.
 */
void
cr_field_set(CrFields *f, CrField field, CrJsonKind kind,
			 const char *str, int len, CrErrors *errs)
{
	static const uint16 null_flag[CRF_COUNT] = {
		[CRF_SID] = CR_F_SID_NULL,
		[CRF_SENT] = CR_F_SENT_NULL,
		[CRF_SESSION] = CR_F_SESSION_NULL,
		[CRF_CONV] = CR_F_CONV_NULL,
	};
	CrTimestampResult tr;
	int64		v;

	if (kind == CRJ_NULL)
	{
		if (null_flag[field] != 0)
			f->flags |= null_flag[field];
		else if (field == CRF_STATUS || field == CRF_CREATED ||
				 field == CRF_ATTEMPTS)
			 /* not nullable: null reads as absent */ ;
		else
			cr_field_type_error(field, kind, NULL, 0, errs);
		return;
	}

	switch (field)
	{
		case CRF_BATCH_ID:
		case CRF_REFERENCE_ID:
		case CRF_TARGET:
		case CRF_SID:
			if (kind != CRJ_STRING)
				break;
			if (field == CRF_BATCH_ID)
			{
				f->batch_id = (CrString) {str, len};
				f->has_batch_id = true;
			}
			else if (field == CRF_REFERENCE_ID)
			{
				f->reference_id = (CrString) {str, len};
				f->has_reference_id = true;
			}
			else if (field == CRF_TARGET)
			{
				f->target = (CrString) {str, len};
				f->has_target = true;
			}
			else
			{
				f->call_manager_sid = (CrString) {str, len};
				f->flags |= CR_F_SID;
			}
			return;

		case CRF_STATUS:
			if (kind != CRJ_STRING)
				break;
			f->status = cr_status_lookup(str, len);
			if (f->status < 0)
				cr_error(errs, ERRCODE_INVALID_TEXT_REPRESENTATION, field,
						 psprintf("comm_result field \"request_status\" has an unknown status"),
						 psprintf("Value %s is not a status.", cr_quote(str, len)),
						 psprintf("Valid statuses are: %s.", cr_status_list));
			else
				f->flags |= CR_F_STATUS;
			return;

		case CRF_CREATED:
		case CRF_SENT:
			if (kind != CRJ_STRING)
				break;
			tr = cr_parse_timestamp(str, len, field == CRF_CREATED ?
									&f->created_at : &f->sent_at);
			if (tr != CR_TS_OK)
				timestamp_error(field, tr, str, len, errs);
			else
				f->flags |= (field == CRF_CREATED) ? CR_F_CREATED : CR_F_SENT;
			return;

		case CRF_ATTEMPTS:
		case CRF_SESSION:
		case CRF_CONV:
			if (kind != CRJ_NUMBER)
				break;
			if (!parse_integer(field, str, len, &v, errs))
				return;
			if (field == CRF_ATTEMPTS)
				f->attempt_count = v;
			else if (field == CRF_SESSION)
			{
				f->session_id = v;
				f->flags |= CR_F_SESSION;
			}
			else
			{
				f->conversation_id = v;
				f->flags |= CR_F_CONV;
			}
			return;

		case CRF_VARIABLES:
		default:
			break;
	}
	cr_field_type_error(field, kind,
						(kind == CRJ_STRING || kind == CRJ_NUMBER) ? str : NULL,
						len, errs);
}
