/*
 * cr_layout.c
 *		Reading the stored form (see comm_result.h) and writing it back out as
 *		canonical JSON text.
 */
#include "postgres.h"

#include "utils/errcodes.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

#include "comm_result.h"
#include "comm_status.h"
#include "compat.h"

void
cr_corrupted(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("comm_result value is corrupted")));
}

static const char *
get_varint_slow(const char *p, const char *end, uint32 *out)
{
	uint32		v = 0;

	for (int shift = 0; shift < 35; shift += 7)
	{
		uint8		b;

		if (p >= end)
			break;
		b = (uint8) *p++;
		v |= (uint32) (b & 0x7F) << shift;
		if (!(b & 0x80))
		{
			*out = v;
			return p;
		}
	}
	cr_corrupted();
	return NULL;				/* keep compiler quiet */
}

/* Most strings are shorter than 128 bytes: their length is one byte. */
static inline const char *
get_varint(const char *p, const char *end, uint32 *out)
{
	if (likely(p < end && !(*p & 0x80)))
	{
		*out = (uint8) *p;
		return p + 1;
	}
	return get_varint_slow(p, end, out);
}

/*
 * Decode the header, the fixed-size fields and (version 2) flags2, and
 * return where the lengths start.  The bounds checks only guard against
 * on-disk corruption: every value was made by cr_build.
 */
static const char *
view_fixed(const struct varlena *value, CrView *v, const char **endp)
{
	const char *p = VARDATA_ANY(value);
	const char *end = p + VARSIZE_ANY_EXHDR(value);
	bool		v2;
	uint16		flags;

	cr_check_version(p, end - p);
	v2 = (p[0] == CR_FORMAT_VERSION_2);
	v->status = (uint8) p[1];
	memcpy(&flags, p + 2, sizeof(uint16));
	v->flags = flags | CR_F_REQUIRED;
	if ((flags & ~CR_F_STORED1) || v->status >= CR_STATUS_COUNT ||
		(Size) (end - p) < CR_HEADER_SIZE + cr_fixed_size(flags) + (v2 ? sizeof(uint16) : 0))
		cr_corrupted();
	p += CR_HEADER_SIZE;

	v->fixed[CRX_ATTEMPTS] = 0;
	if (flags & CR_F_ATTEMPTS)
	{
		int32		attempts;

		memcpy(&attempts, p, 4);
		v->fixed[CRX_ATTEMPTS] = attempts;
		p += 4;
	}
	/* unrolled: the batch aggregate reads this once per row */
#define CR_READ_FIXED(flag, slot) \
	do { \
		if (flags & (flag)) { memcpy(&v->fixed[slot], p, 8); p += 8; } \
		else v->fixed[slot] = 0; \
	} while (0)
	CR_READ_FIXED(CR_F_CREATED, CRX_CREATED);
	CR_READ_FIXED(CR_F_SENT, CRX_SENT);
	CR_READ_FIXED(CR_F_SESSION, CRX_SESSION);
	CR_READ_FIXED(CR_F_CONV, CRX_CONV);
#undef CR_READ_FIXED
	if (v2)
	{
		uint16		flags2;

		memcpy(&flags2, p, sizeof(uint16));
		if (flags2 == 0 || (((uint32) flags2 << CR_F2_SHIFT) & ~CR_F_STORED2))
			cr_corrupted();
		v->flags |= (uint32) flags2 << CR_F2_SHIFT;
		p += sizeof(uint16);
	}
	*endp = end;
	return p;
}

void
cr_bad_version(const char *p, Size len)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("comm_result value has an unknown storage format version"),
			 errdetail("Version %d is not known to this build of comm_result.",
					   len < 1 ? -1 : (int) (uint8) p[0])));
}

/*
 * request_status alone, or -1 when absent: the fast path for status
 * filters, which read nothing else.
 */
int
cr_read_status(const struct varlena *value)
{
	const char *p = VARDATA_ANY(value);
	uint16		flags;

	cr_check_version(p, VARSIZE_ANY_EXHDR(value));
	memcpy(&flags, p + 2, sizeof(flags));
	if (!(flags & CR_F_STATUS))
		return -1;
	if ((uint8) p[1] >= CR_STATUS_COUNT)
		cr_corrupted();
	return (uint8) p[1];
}

/* Only the status, flags and fixed-size fields: no string is decoded. */
void
cr_view_header(const struct varlena *value, CrView *v)
{
	const char *end;

	(void) view_fixed(value, v, &end);
}

/*
 * One variable-size field, without decoding anything else: skip the fixed
 * fields by their flags, then the lengths before it.  False when the field
 * is absent or null.  For GROUP BY batch_id(r), key lookups and the string
 * accessors, called once per row.
 */
bool
cr_read_var(const struct varlena *value, CrVarSlot slot, CrString *out)
{
	const char *p = VARDATA_ANY(value);
	const char *end = p + VARSIZE_ANY_EXHDR(value);
	uint32		flags;
	uint16		flags1;
	Size		skip = 0;
	uint32		len = 0;

	cr_check_version(p, end - p);
	memcpy(&flags1, p + 2, sizeof(flags1));
	flags = flags1 | CR_F_REQUIRED;
	p += CR_HEADER_SIZE + cr_fixed_size(flags1);
	if (VARDATA_ANY(value)[0] == CR_FORMAT_VERSION_2)
	{
		uint16		flags2;

		if (end - p < (ptrdiff_t) sizeof(uint16))
			cr_corrupted();
		memcpy(&flags2, p, sizeof(flags2));
		flags |= (uint32) flags2 << CR_F2_SHIFT;
		p += sizeof(uint16);
	}
	if (p > end)
		cr_corrupted();
	if (!cr_var_present(flags, slot))
		return false;
	for (int i = 0; i < CR_VAR_SLOTS(flags); i++)
	{
		uint32		l;

		if (!cr_var_present(flags, i))
			continue;
		p = get_varint(p, end, &l);
		if (i < (int) slot)
			skip += l;
		else if (i == (int) slot)
			len = l;
	}
	if (slot == CRV_VARIABLES)
	{
		/* after every other field's bytes, to the end */
		p += skip;
		if (p > end || end - p < (ptrdiff_t) sizeof(uint32))
			cr_corrupted();
		*out = (CrString) {p, (int) (end - p)};
		return true;
	}
	if (skip + len > (Size) (end - p))
		cr_corrupted();
	*out = (CrString) {p + skip, (int) len};
	return true;
}

/* A required string field (batch_id, reference_id or target). */
CrString
cr_read_string(const struct varlena *value, CrVarSlot slot)
{
	CrString	s = {NULL, 0};

	Assert(slot <= CRV_TARGET);
	if (!cr_read_var(value, slot, &s))
		cr_corrupted();
	return s;
}

/* Everything; the strings and objects point into the value. */
void
cr_view(const struct varlena *value, CrView *v)
{
	const char *end;
	const char *p = view_fixed(value, v, &end);
	uint32		len;
	int			nslots = CR_VAR_SLOTS(v->flags);

	for (int slot = 0; slot < CRV_VARIABLES; slot++)
	{
		v->var[slot] = (CrString) {NULL, 0};
		if (slot < nslots && cr_var_present(v->flags, slot))
		{
			p = get_varint(p, end, &len);
			v->var[slot].len = (int) len;
		}
	}
	for (int slot = 0; slot < nslots; slot++)
	{
		if (!cr_var_present(v->flags, slot))
			continue;
		if ((size_t) (end - p) < (size_t) v->var[slot].len)
			cr_corrupted();
		v->var[slot].data = p;
		p += v->var[slot].len;
	}
	if (end - p < (ptrdiff_t) sizeof(uint32))
		cr_corrupted();
	v->var[CRV_VARIABLES] = (CrString) {p, (int) (end - p)};
}

/* A stored jsonb container image as a jsonb of its own (aligned, with a header). */
Jsonb *
cr_image_jsonb(const CrString *image)
{
	Jsonb	   *jb = palloc(VARHDRSZ + image->len);

	SET_VARSIZE(jb, VARHDRSZ + image->len);
	memcpy(VARDATA(jb), image->data, image->len);
	return jb;
}

static void
write_jsonb_scalar(StringInfo buf, JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			appendStringInfoString(buf, "null");
			break;
		case jbvString:
			cr_escape_json(buf, v->val.string.val, v->val.string.len);
			break;
		case jbvNumeric:
			appendStringInfoString(buf,
								   DatumGetCString(DirectFunctionCall1(numeric_out,
																	   NumericGetDatum(v->val.numeric))));
			break;
		case jbvBool:
			appendStringInfoString(buf, v->val.boolean ? "true" : "false");
			break;
		default:
			elog(ERROR, "unexpected jsonb value type %d", (int) v->type);
	}
}

/* jsonb prints ", " and ": "; the canonical form of comm_result is compact. */
void
cr_write_jsonb_compact(StringInfo buf, JsonbContainer *jc)
{
	JsonbIterator *it = JsonbIteratorInit(jc);
	JsonbValue	v;
	JsonbIteratorToken tok;
	bool		need_comma = false;

	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		switch (tok)
		{
			case WJB_BEGIN_OBJECT:
			case WJB_BEGIN_ARRAY:
				if (need_comma)
					appendStringInfoChar(buf, ',');
				appendStringInfoChar(buf, tok == WJB_BEGIN_OBJECT ? '{' : '[');
				need_comma = false;
				break;
			case WJB_END_OBJECT:
			case WJB_END_ARRAY:
				appendStringInfoChar(buf, tok == WJB_END_OBJECT ? '}' : ']');
				need_comma = true;
				break;
			case WJB_KEY:
				if (need_comma)
					appendStringInfoChar(buf, ',');
				write_jsonb_scalar(buf, &v);
				appendStringInfoChar(buf, ':');
				need_comma = false;
				break;
			case WJB_ELEM:
				if (need_comma)
					appendStringInfoChar(buf, ',');
				/* FALLTHROUGH */
			case WJB_VALUE:
				write_jsonb_scalar(buf, &v);
				need_comma = true;
				break;
			default:
				elog(ERROR, "unexpected jsonb iterator token %d", (int) tok);
		}
	}
}

/* One present field's value, as canonical JSON. */
static void
write_value(StringInfo buf, const CrView *v, CrField field)
{
	const CrFieldDef *def = &cr_fields[field];
	Jsonb	   *jb;

	switch (def->kind)
	{
		case CRK_KEY:
		case CRK_STRING:
		case CRK_TARGET:
			cr_escape_json(buf, v->var[def->slot].data, v->var[def->slot].len);
			break;
		case CRK_STATUS:
			appendStringInfo(buf, "\"%s\"", cr_status_name(v->status));
			break;
		case CRK_TIMESTAMP:
			appendStringInfoChar(buf, '"');
			cr_write_timestamp(buf, v->fixed[def->slot]);
			appendStringInfoChar(buf, '"');
			break;
		case CRK_COUNT32:
		case CRK_ID64:
			appendStringInfo(buf, INT64_FORMAT, v->fixed[def->slot]);
			break;
		case CRK_OBJECT:
		case CRK_FLAT_OBJECT:
			jb = cr_view_object(v, def->slot);
			cr_write_jsonb_compact(buf, &jb->root);
			pfree(jb);
			break;
	}
}

/*
 * The canonical JSON text: compact, keys in table order (the sid under the
 * name it was given), absent fields left out, nulls as null, attempt_count
 * always, UTC timestamps.
 */
void
cr_write_text(StringInfo buf, const CrView *v)
{
	appendStringInfoChar(buf, '{');
	for (int i = 0; i < CRF_COUNT; i++)
	{
		const CrFieldDef *def = &cr_fields[i];
		bool		present = (v->flags & def->present) || def->kind == CRK_COUNT32;

		if (!present && !(v->flags & def->null))
			continue;
		if (i > 0)
			appendStringInfoChar(buf, ',');
		appendStringInfoChar(buf, '"');
		appendStringInfoString(buf, cr_field_name(v, (CrField) i));
		appendStringInfoString(buf, "\":");
		if (present)
			write_value(buf, v, (CrField) i);
		else
			appendStringInfoString(buf, "null");
	}
	appendStringInfoChar(buf, '}');
}
