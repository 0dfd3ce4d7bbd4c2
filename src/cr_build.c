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
check_not_blank(const CrFields *f, CrField field, CrErrors *errs)
{
	const CrString *s = &f->var[cr_fields[field].slot];
	const char *name = cr_field_name(f, field);

	if (cr_is_blank(s->data, s->len))
		cr_error(errs, ERRCODE_INVALID_PARAMETER_VALUE, name,
				 psprintf("comm_result field \"%s\" must not be blank", name),
				 psprintf("Value %s has no visible character.",
						  cr_quote(s->data, s->len)),
				 NULL);
}

static void
check_range(CrField field, int64 v, int64 max, CrErrors *errs)
{
	const char *name = cr_fields[field].name;

	if (v < 0 || v > max)
		cr_error(errs, ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE, name,
				 psprintf("comm_result field \"%s\" is out of range", name),
				 psprintf("Value " INT64_FORMAT " is not between 0 and " INT64_FORMAT ".",
						  v, max),
				 NULL);
}

static void
check_timestamp(CrField field, TimestampTz ts, CrErrors *errs)
{
	const char *name = cr_fields[field].name;

	if (ts < CR_MIN_TIMESTAMP || ts > CR_MAX_TIMESTAMP)
		cr_error(errs, ERRCODE_DATETIME_FIELD_OVERFLOW, name,
				 psprintf("comm_result field \"%s\" is out of range", name),
				 pstrdup("The value falls outside the years 0000 to 9999 in UTC."),
				 NULL);
}

static void
check_target(const CrFields *f, CrErrors *errs)
{
	const CrString *t = &f->var[CRV_TARGET];
	const char *why = NULL;

	if (cr_classify_target(t->data, t->len, &why) == CR_TARGET_INVALID)
		cr_error(errs, ERRCODE_INVALID_PARAMETER_VALUE, "target",
				 pstrdup("comm_result field \"target\" is neither a phone number nor an e-mail address"),
				 psprintf("Value %s is not valid. %s", cr_quote(t->data, t->len), why),
				 pstrdup("Write a phone number such as +15125551234 or an e-mail address such as user@example.com."));
}

static void
check_missing(const CrFields *f, CrField field, CrErrors *errs)
{
	/* a field that was given, but wrongly, has been reported already */
	if (f->seen & (1U << field))
		return;
	cr_error(errs, ERRCODE_INVALID_TEXT_REPRESENTATION, cr_fields[field].name,
			 psprintf("comm_result field \"%s\" is missing", cr_fields[field].name),
			 pstrdup("batch_id, reference_id, target and request_variables are required."),
			 field == CRF_BATCH_ID ?
			 pstrdup("Records of today's API carry no batch_id: it is in the request's URL. Pass it with comm_results(response, batch_id) or comm_result_from_jsonb(record, batch_id).") :
			 NULL);
}

/* Every rule of every field, in table order; objects were checked when set. */
static void
check_fields(const CrFields *f, CrErrors *errs)
{
	for (int i = 0; i < CRF_COUNT; i++)
	{
		const CrFieldDef *def = &cr_fields[i];

		/* attempt_count is 0 when absent: its range is checked either way */
		if (!(f->flags & def->present) && def->kind != CRK_COUNT32)
		{
			if (def->required)
				check_missing(f, (CrField) i, errs);
			continue;
		}
		switch (def->kind)
		{
			case CRK_KEY:
				check_not_blank(f, (CrField) i, errs);
				break;
			case CRK_STRING:
				break;
			case CRK_TARGET:
				check_target(f, errs);
				break;
			case CRK_STATUS:
				if (f->status < 0 || f->status >= CR_STATUS_COUNT)
					cr_error(errs, ERRCODE_INVALID_PARAMETER_VALUE, def->name,
							 psprintf("comm_result field \"request_status\" has an unknown status"),
							 psprintf("Status code %d is not between 0 and %d.",
									  f->status, CR_STATUS_COUNT - 1),
							 NULL);
				break;
			case CRK_TIMESTAMP:
				check_timestamp((CrField) i, f->fixed[def->slot], errs);
				break;
			case CRK_COUNT32:
				check_range((CrField) i, f->fixed[def->slot], PG_INT32_MAX, errs);
				break;
			case CRK_ID64:
				check_range((CrField) i, f->fixed[def->slot], PG_INT64_MAX, errs);
				break;
			case CRK_OBJECT:
			case CRK_FLAT_OBJECT:
				break;
		}
	}
}

/*
 * Validate and pack.  Returns NULL, with the problems in errs, when the
 * fields do not make a valid value.  A value that 1.1 could have stored
 * (flags2 zero) is packed exactly as 1.1 packed it.
 */
struct varlena *
cr_build(const CrFields *f, CrErrors *errs)
{
	uint32		flags;
	uint16		stored1,
				stored2;
	uint8		status;
	int32		attempts;
	size_t		size;
	struct varlena *result;
	char	   *p;

	check_fields(f, errs);
	if (CR_FAILED(errs))
		return NULL;

	/*
	 * Canonical flags: absent-or-zero attempt_count is stored as absent, and
	 * the sid's spelling only counts when there is a sid or a null.
	 */
	flags = f->flags & ~CR_F_ATTEMPTS;
	if (f->fixed[CRX_ATTEMPTS] != 0)
		flags |= CR_F_ATTEMPTS;
	if (!(flags & (CR_F_SID | CR_F_SID_NULL)))
		flags &= ~CR_F_SID_CHANNEL;
	stored1 = (uint16) (flags & CR_F_STORED1);
	stored2 = (uint16) ((flags & CR_F_STORED2) >> CR_F2_SHIFT);
	status = (flags & CR_F_STATUS) ? (uint8) f->status : 0;
	attempts = (int32) f->fixed[CRX_ATTEMPTS];

	size = VARHDRSZ + CR_HEADER_SIZE + cr_fixed_size(stored1);
	if (stored2 != 0)
		size += sizeof(uint16);
	for (int slot = 0; slot < CRV_VARIABLES; slot++)
		if (cr_var_present(flags, slot))
			size += varint_size((uint32) f->var[slot].len) + (size_t) f->var[slot].len;
	size += f->var[CRV_VARIABLES].len;
	if (size > MaxAllocSize)
	{
		cr_error(errs, ERRCODE_PROGRAM_LIMIT_EXCEEDED, NULL,
				 pstrdup("comm_result value is too large"),
				 psprintf("The value would take %zu bytes; the limit is %zu.",
						  size, (size_t) MaxAllocSize),
				 NULL);
		return NULL;
	}

	result = (struct varlena *) palloc0(size);
	SET_VARSIZE(result, size);
	p = VARDATA(result);
	*p++ = stored2 ? CR_FORMAT_VERSION_2 : CR_FORMAT_VERSION;
	*p++ = (char) status;
	p = put_bytes(p, &stored1, sizeof(stored1));
	if (stored1 & CR_F_ATTEMPTS)
		p = put_bytes(p, &attempts, sizeof(attempts));
	for (int slot = CRX_CREATED; slot < CRX_COUNT; slot++)
		if (stored1 & cr_fixed_flag[slot])
			p = put_bytes(p, &f->fixed[slot], 8);
	if (stored2 != 0)
		p = put_bytes(p, &stored2, sizeof(stored2));
	for (int slot = 0; slot < CRV_VARIABLES; slot++)
		if (cr_var_present(flags, slot))
			p = put_varint(p, (uint32) f->var[slot].len);
	for (int slot = 0; slot <= CRV_VARIABLES; slot++)
		if (cr_var_present(flags, slot))
			p = put_bytes(p, f->var[slot].data, f->var[slot].len);
	Assert(p == (char *) result + size);
	return result;
}
