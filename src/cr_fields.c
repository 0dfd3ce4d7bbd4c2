/*
 * cr_fields.c
 *		Reading one top-level field of the API's JSON object into CrFields.
 *		The JSON text parser and the jsonb walker both come through here, so
 *		a field means the same thing, and fails the same way, on either path.
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/errcodes.h"
#include "utils/memutils.h"

#include "comm_result.h"
#include "comm_status.h"

const char *const cr_json_kind_names[] = {
	"a string", "a number", "a boolean", "null", "an object", "an array"
};

/* "Known fields are: ...", from the field table, made once. */
static const char *
known_fields_hint(void)
{
	static char *hint = NULL;

	if (hint == NULL)
	{
		StringInfoData buf;
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		initStringInfo(&buf);
		appendStringInfoString(&buf, "Known fields are: ");
		for (int i = 0; i < CRF_COUNT; i++)
			appendStringInfo(&buf, "%s%s", i ? ", " : "", cr_fields[i].name);
		for (int i = 0; i < CRF_COUNT; i++)
			if (cr_fields[i].alias)
				appendStringInfo(&buf, "; %s is another name for %s",
								 cr_fields[i].alias, cr_fields[i].name);
		appendStringInfoChar(&buf, '.');
		MemoryContextSwitchTo(old);
		hint = buf.data;
	}
	return hint;
}

/*
 * Which field a key names.  Unknown and repeated keys are errors (a field
 * given under both of its names is repeated); the caller then skips the
 * key's value.  A field given under its alias is marked as such, so that
 * output uses the same name.
 */
CrField
cr_field_lookup(const char *key, int len, CrFields *f, CrErrors *errs)
{
	for (int i = 0; i < CRF_COUNT; i++)
	{
		const CrFieldDef *def = &cr_fields[i];
		bool		is_alias = false;

		if ((int) strlen(def->name) != len || memcmp(def->name, key, len) != 0)
		{
			if (def->alias == NULL || (int) strlen(def->alias) != len ||
				memcmp(def->alias, key, len) != 0)
				continue;
			is_alias = true;
		}
		if (f->seen & (1U << i))
		{
			bool		was_alias = (i == CRF_SID && (f->flags & CR_F_SID_CHANNEL));

			if (was_alias != is_alias)
				cr_error(errs, ERRCODE_INVALID_TEXT_REPRESENTATION, def->name,
						 psprintf("comm_result field \"%s\" is given under both of its names",
								  def->name),
						 psprintf("The object has both \"%s\" and \"%s\", which are one field.",
								  def->name, def->alias),
						 pstrdup("Keep one of them: call_manager_sid is the April 2025 name, channel_manager_sid today's."));
			else
				cr_error(errs, ERRCODE_INVALID_TEXT_REPRESENTATION,
						 is_alias ? def->alias : def->name,
						 psprintf("duplicate comm_result field \"%s\"",
								  is_alias ? def->alias : def->name),
						 pstrdup("A field may appear only once in the object."),
						 NULL);
			return CRF_NONE;
		}
		f->seen |= 1U << i;
		if (is_alias)
			f->flags |= CR_F_SID_CHANNEL;
		return (CrField) i;
	}
	cr_error(errs, ERRCODE_INVALID_TEXT_REPRESENTATION, NULL,
			 psprintf("unknown comm_result field %s", cr_quote(key, len)),
			 NULL, unconstify(char *, known_fields_hint()));
	/* comm_result_errors shows the unknown key itself as the field */
	if (errs->dropped == 0)
		((CrError *) llast(errs->errors))->field =
			pnstrdup(key, pg_mbcliplen(key, len, NAMEDATALEN));
	return CRF_NONE;
}

/* str is the scalar's text, shown in DETAIL; NULL for containers and null. */
void
cr_field_type_error(const CrFields *f, CrField field, CrJsonKind found,
					const char *str, int len, CrErrors *errs)
{
	const char *name = cr_field_name(f, field);

	cr_error(errs, ERRCODE_INVALID_TEXT_REPRESENTATION, name,
			 psprintf("comm_result field \"%s\" must be %s",
					  name, cr_fields[field].expects),
			 str ? psprintf("Found %s: %s.", cr_json_kind_names[found], cr_quote(str, len)) :
			 psprintf("Found %s.", cr_json_kind_names[found]),
			 NULL);
}

static void
timestamp_error(CrField field, CrTimestampResult r, const char *s, int len,
				CrErrors *errs)
{
	const char *name = cr_fields[field].name;
	char	   *value = cr_quote(s, len);

	switch (r)
	{
		case CR_TS_NO_ZONE:
			cr_error(errs, ERRCODE_INVALID_DATETIME_FORMAT, name,
					 psprintf("comm_result field \"%s\" has no time zone", name),
					 psprintf("Value %s has no UTC offset.", value),
					 pstrdup("Add Z for UTC or an offset such as +02:00; without one the value would depend on the session's TimeZone."));
			break;
		case CR_TS_BAD_FIELD:
			cr_error(errs, ERRCODE_DATETIME_FIELD_OVERFLOW, name,
					 psprintf("comm_result field \"%s\" has a date or time field out of range", name),
					 psprintf("Value %s is not a real date and time.", value),
					 NULL);
			break;
		case CR_TS_OUT_OF_RANGE:
			cr_error(errs, ERRCODE_DATETIME_FIELD_OVERFLOW, name,
					 psprintf("comm_result field \"%s\" is out of range", name),
					 psprintf("Value %s falls outside the years 0000 to 9999 in UTC.", value),
					 NULL);
			break;
		default:
			cr_error(errs, ERRCODE_INVALID_DATETIME_FORMAT, name,
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
	uint64		max = (cr_fields[field].kind == CRK_COUNT32) ? PG_INT32_MAX : PG_INT64_MAX;
	const char *name = cr_fields[field].name;
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
		cr_error(errs, ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE, name,
				 psprintf("comm_result field \"%s\" is out of range", name),
				 psprintf("Value %s is not between 0 and " UINT64_FORMAT ".",
						  cr_quote(s, len), max),
				 NULL);
		return false;
	}
	*result = (int64) v;
	return true;

not_integer:
	cr_error(errs, ERRCODE_INVALID_TEXT_REPRESENTATION, name,
			 psprintf("comm_result field \"%s\" must be an integer", name),
			 psprintf("Found the number %s, which has a fraction or an exponent.",
					  cr_quote(s, len)),
			 NULL);
	return false;
}

/*
 * Store one field's scalar value.  A JSON null means "absent" for the
 * fields that are not nullable, and is remembered for those that are.
 * Objects come through cr_field_set_object; a scalar there is an error.
 */
void
cr_field_set(CrFields *f, CrField field, CrJsonKind kind,
			 const char *str, int len, CrErrors *errs)
{
	const CrFieldDef *def = &cr_fields[field];
	CrTimestampResult tr;
	int64		v;

	if (kind == CRJ_NULL)
	{
		if (def->nullable)
			f->flags |= def->null;
		else if (def->required)
			cr_field_type_error(f, field, kind, NULL, 0, errs);
		/* else not nullable: null reads as absent */
		return;
	}

	switch (def->kind)
	{
		case CRK_KEY:
		case CRK_STRING:
		case CRK_TARGET:
			if (kind != CRJ_STRING)
				break;
			f->var[def->slot] = (CrString) {str, len};
			f->flags |= def->present;
			return;

		case CRK_STATUS:
			if (kind != CRJ_STRING)
				break;
			f->status = cr_status_lookup(str, len);
			if (f->status < 0)
				cr_error(errs, ERRCODE_INVALID_TEXT_REPRESENTATION, def->name,
						 psprintf("comm_result field \"request_status\" has an unknown status"),
						 psprintf("Value %s is not a status.", cr_quote(str, len)),
						 psprintf("Valid statuses are: %s.", cr_status_list()));
			else
				f->flags |= def->present;
			return;

		case CRK_TIMESTAMP:
			if (kind != CRJ_STRING)
				break;
			tr = cr_parse_timestamp(str, len, &f->fixed[def->slot]);
			if (tr != CR_TS_OK)
				timestamp_error(field, tr, str, len, errs);
			else
				f->flags |= def->present;
			return;

		case CRK_COUNT32:
		case CRK_ID64:
			if (kind != CRJ_NUMBER)
				break;
			if (!parse_integer(field, str, len, &v, errs))
				return;
			f->fixed[def->slot] = v;
			f->flags |= def->present;
			return;

		case CRK_OBJECT:
		case CRK_FLAT_OBJECT:
			break;
	}
	cr_field_type_error(f, field, kind,
						(kind == CRJ_STRING || kind == CRJ_NUMBER) ? str : NULL,
						len, errs);
}

/*
 * Store an object field, given as a jsonb the caller made (aligned, and
 * kept).  insights must hold only strings and numbers, as the SDKs
 * require; enrichment and request_variables may hold anything.
 */
void
cr_field_set_object(CrFields *f, CrField field, Jsonb *jb, CrErrors *errs)
{
	const CrFieldDef *def = &cr_fields[field];

	Assert(cr_is_object_kind(def->kind));
	if (JB_ROOT_IS_SCALAR(jb) || !JB_ROOT_IS_OBJECT(jb))
	{
		CrJsonKind	found = CRJ_ARRAY;
		JsonbValue	v;

		if (JB_ROOT_IS_SCALAR(jb))
		{
			JsonbExtractScalar(&jb->root, &v);
			found = cr_jsonb_value_kind(&v);
		}
		cr_field_type_error(f, field, found, NULL, 0, errs);
		return;
	}
	if (def->kind == CRK_FLAT_OBJECT)
	{
		JsonbIterator *it = JsonbIteratorInit(&jb->root);
		JsonbValue	k = {0},
					v;
		JsonbIteratorToken tok;

		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		{
			if (tok == WJB_KEY)
				k = v;
			else if (tok == WJB_VALUE && v.type != jbvString && v.type != jbvNumeric)
			{
				cr_error(errs, ERRCODE_INVALID_TEXT_REPRESENTATION, def->name,
						 psprintf("comm_result field \"%s\" must hold only strings and numbers",
								  def->name),
						 psprintf("Key %s holds %s.",
								  cr_quote(k.val.string.val, k.val.string.len),
								  cr_json_kind_names[cr_jsonb_value_kind(&v)]),
						 pstrdup("The API's SDKs accept only string and number values in insights."));
				return;
			}
		}
	}
	f->var[def->slot] = (CrString) {VARDATA(jb), VARSIZE(jb) - VARHDRSZ};
	f->flags |= def->present;
}
