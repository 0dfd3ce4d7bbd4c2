/*
 * cr_build.c
 *		The one builder every way in ends in: text input, binary receive, the
 *		jsonb cast, the constructor and the validity helpers.  It checks every
 *		rule that does not depend on how the value was written, and packs the
 *		canonical stored form.
 */
#include "postgres.h"

#include "utils/errcodes.h"
#include "utils/memutils.h"

#include "comm_result.h"
#include "comm_status.h"

/* Unsigned LEB128: seven bits a byte, low bits first. */
static int
varint_size(uint32 v)
{
	int			n = 1;

	while (v >= 0x80)
	{
		v >>= 7;
		n++;
	}
	return n;
}

static char *
put_varint(char *p, uint32 v)
{
	while (v >= 0x80)
	{
		*p++ = (char) ((v & 0x7F) | 0x80);
		v >>= 7;
	}
	*p++ = (char) v;
	return p;
}

static char *
put_bytes(char *p, const void *src, size_t len)
{
	memcpy(p, src, len);
	return p + len;
}

static void
check_not_blank(CrField field, const CrString *s, CrErrors *errs)
{
	if (cr_is_blank(s->data, s->len))
		cr_error(errs, ERRCODE_INVALID_PARAMETER_VALUE, field,
				 psprintf("comm_result field \"%s\" must not be blank",
						  cr_field_names[field]),
				 psprintf("Value %s has no visible character.",
						  cr_quote(s->data, s->len)),
				 NULL);
}

static void
check_range(CrField field, int64 v, int64 max, CrErrors *errs)
{
	if (v < 0 || v > max)
		cr_error(errs, ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE, field,
				 psprintf("comm_result field \"%s\" is out of range",
						  cr_field_names[field]),
				 psprintf("Value " INT64_FORMAT " is not between 0 and " INT64_FORMAT ".",
						  v, max),
				 NULL);
}

static void
check_timestamp(CrField field, TimestampTz ts, CrErrors *errs)
{
	if (ts < CR_MIN_TIMESTAMP || ts > CR_MAX_TIMESTAMP)
		cr_error(errs, ERRCODE_DATETIME_FIELD_OVERFLOW, field,
				 psprintf("comm_result field \"%s\" is out of range",
						  cr_field_names[field]),
				 pstrdup("The value falls outside the years 0000 to 9999 in UTC."),
				 NULL);
}

static CrJsonKind
jsonb_kind(Jsonb *jb)
{
	JsonbValue	v;

	if (!JB_ROOT_IS_SCALAR(jb))
		return JB_ROOT_IS_OBJECT(jb) ? CRJ_OBJECT : CRJ_ARRAY;
	JsonbExtractScalar(&jb->root, &v);
	return cr_jsonb_value_kind(&v);
}

static void
check_fields(const CrFields *f, CrErrors *errs)
{
	const bool	has[] = {f->has_batch_id, f->has_reference_id, f->has_target,
	f->has_variables};
	const char *why = NULL;

	for (int i = 0; i < lengthof(has); i++)
		if (!has[i] && !(f->seen & (1U << i)))
			cr_error(errs, ERRCODE_INVALID_TEXT_REPRESENTATION, (CrField) i,
					 psprintf("comm_result field \"%s\" is missing",
							  cr_field_names[i]),
					 pstrdup("batch_id, reference_id, target and request_variables are required."),
					 NULL);

	if (f->has_batch_id)
		check_not_blank(CRF_BATCH_ID, &f->batch_id, errs);
	if (f->has_reference_id)
		check_not_blank(CRF_REFERENCE_ID, &f->reference_id, errs);
	if (f->flags & CR_F_SID)
		check_not_blank(CRF_SID, &f->call_manager_sid, errs);
	if (f->has_target &&
		cr_classify_target(f->target.data, f->target.len, &why) == CR_TARGET_INVALID)
		cr_error(errs, ERRCODE_INVALID_PARAMETER_VALUE, CRF_TARGET,
				 pstrdup("comm_result field \"target\" is neither a phone number nor an e-mail address"),
				 psprintf("Value %s is not valid. %s",
						  cr_quote(f->target.data, f->target.len), why),
				 pstrdup("Write a phone number such as +15125551234 or an e-mail address such as user@example.com."));
	if (f->has_variables && jsonb_kind(f->variables) != CRJ_OBJECT)
		cr_field_type_error(CRF_VARIABLES, jsonb_kind(f->variables), NULL, 0, errs);
	if ((f->flags & CR_F_STATUS) && (f->status < 0 || f->status >= CR_STATUS_COUNT))
		cr_error(errs, ERRCODE_INVALID_PARAMETER_VALUE, CRF_STATUS,
				 psprintf("comm_result field \"request_status\" has an unknown status"),
				 psprintf("Status code %d is not between 0 and %d.",
						  f->status, CR_STATUS_COUNT - 1),
				 NULL);
	check_range(CRF_ATTEMPTS, f->attempt_count, PG_INT32_MAX, errs);
	if (f->flags & CR_F_SESSION)
		check_range(CRF_SESSION, f->session_id, PG_INT64_MAX, errs);
	if (f->flags & CR_F_CONV)
		check_range(CRF_CONV, f->conversation_id, PG_INT64_MAX, errs);
	if (f->flags & CR_F_CREATED)
		check_timestamp(CRF_CREATED, f->created_at, errs);
	if (f->flags & CR_F_SENT)
		check_timestamp(CRF_SENT, f->sent_at, errs);
}

/*
 * Validate and pack.  Returns NULL, with the problems in errs, when the
 * fields do not make a valid value.
 */
struct varlena *
cr_build(const CrFields *f, CrErrors *errs)
{
	uint16		flags;
	uint8		status;
	const CrString *strings[4];
	int			nstrings = 3;
	int32		attempts;
	size_t		size;
	size_t		vars_len;
	struct varlena *result;
	char	   *p;

	check_fields(f, errs);
	if (CR_FAILED(errs))
		return NULL;

	/* Canonical flags: absent-or-zero attempt_count is stored as absent. */
	flags = f->flags & CR_F_ALL & ~CR_F_ATTEMPTS;
	if (f->attempt_count != 0)
		flags |= CR_F_ATTEMPTS;
	status = (flags & CR_F_STATUS) ? (uint8) f->status : 0;
	attempts = (int32) f->attempt_count;

	strings[0] = &f->batch_id;
	strings[1] = &f->reference_id;
	strings[2] = &f->target;
	if (flags & CR_F_SID)
		strings[nstrings++] = &f->call_manager_sid;

	size = VARHDRSZ + CR_HEADER_SIZE;
	size += cr_fixed_size(flags);
	for (int i = 0; i < nstrings; i++)
		size += varint_size((uint32) strings[i]->len) + (size_t) strings[i]->len;
	vars_len = VARSIZE(f->variables) - VARHDRSZ;
	size += vars_len;
	if (size > MaxAllocSize)
	{
		cr_error(errs, ERRCODE_PROGRAM_LIMIT_EXCEEDED, CRF_NONE,
				 pstrdup("comm_result value is too large"),
				 psprintf("The value would take %zu bytes; the limit is %zu.",
						  size, (size_t) MaxAllocSize),
				 NULL);
		return NULL;
	}

	result = (struct varlena *) palloc0(size);
	SET_VARSIZE(result, size);
	p = VARDATA(result);
	*p++ = CR_FORMAT_VERSION;
	*p++ = (char) status;
	p = put_bytes(p, &flags, sizeof(flags));
	if (flags & CR_F_ATTEMPTS)
		p = put_bytes(p, &attempts, sizeof(attempts));
	if (flags & CR_F_CREATED)
		p = put_bytes(p, &f->created_at, 8);
	if (flags & CR_F_SENT)
		p = put_bytes(p, &f->sent_at, 8);
	if (flags & CR_F_SESSION)
		p = put_bytes(p, &f->session_id, 8);
	if (flags & CR_F_CONV)
		p = put_bytes(p, &f->conversation_id, 8);
	for (int i = 0; i < nstrings; i++)
		p = put_varint(p, (uint32) strings[i]->len);
	for (int i = 0; i < nstrings; i++)
		p = put_bytes(p, strings[i]->data, strings[i]->len);
	p = put_bytes(p, VARDATA(f->variables), vars_len);
	Assert(p == (char *) result + size);
	return result;
}
