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
get_varint(const char *p, const char *end, uint32 *out)
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

/*
 * Decode the header and the fixed-size fields, and return where the string
 * lengths start.  The bounds checks only guard against on-disk corruption:
 * every value was made by cr_build.
 */
static const char *
view_fixed(const struct varlena *value, CrView *v, const char **endp)
{
	const char *p = VARDATA_ANY(value);
	const char *end = p + VARSIZE_ANY_EXHDR(value);
	uint16		flags;

	cr_check_version(p, end - p);
	v->status = (uint8) p[1];
	memcpy(&flags, p + 2, sizeof(uint16));
	v->flags = flags;
	p += CR_HEADER_SIZE;
	if ((flags & ~CR_F_ALL) || v->status >= CR_STATUS_COUNT ||
		(Size) (end - p) < cr_fixed_size(flags))
		cr_corrupted();

	v->attempt_count = 0;
	if (flags & CR_F_ATTEMPTS)
	{
		memcpy(&v->attempt_count, p, 4);
		p += 4;
	}
#define CR_READ_FIXED(flag, dst) \
	do { \
		if (flags & (flag)) { memcpy(&(dst), p, 8); p += 8; } \
		else (dst) = 0; \
	} while (0)
	CR_READ_FIXED(CR_F_CREATED, v->created_at);
	CR_READ_FIXED(CR_F_SENT, v->sent_at);
	CR_READ_FIXED(CR_F_SESSION, v->session_id);
	CR_READ_FIXED(CR_F_CONV, v->conversation_id);
#undef CR_READ_FIXED
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
 * One of batch_id (0), reference_id (1) and target (2), without decoding
 * anything else: skip the fixed fields by their flags, then the lengths.
 * For GROUP BY batch_id(r) and key lookups, called once per row.
 */
CrString
cr_read_string(const struct varlena *value, int which)
{
	const char *p = VARDATA_ANY(value);
	const char *end = p + VARSIZE_ANY_EXHDR(value);
	uint16		flags;
	uint32		lens[4];
	int			nstrings;
	Size		skip = 0;

	Assert(which >= 0 && which < 3);
	cr_check_version(p, end - p);
	memcpy(&flags, p + 2, sizeof(flags));
	p += CR_HEADER_SIZE + cr_fixed_size(flags);
	if (p > end)
		cr_corrupted();
	nstrings = (flags & CR_F_SID) ? 4 : 3;
	for (int i = 0; i < nstrings; i++)
		p = get_varint(p, end, &lens[i]);
	for (int i = 0; i < which; i++)
		skip += lens[i];
	if (skip + lens[which] > (Size) (end - p))
		cr_corrupted();
	return (CrString) {p + skip, (int) lens[which]};
}

/* Everything; the strings and variables point into the value. */
void
cr_view(const struct varlena *value, CrView *v)
{
	const char *end;
	const char *p = view_fixed(value, v, &end);
	CrString   *strings[4];
	int			nstrings = 3;
	uint32		len;

	strings[0] = &v->batch_id;
	strings[1] = &v->reference_id;
	strings[2] = &v->target;
	v->call_manager_sid = (CrString) {NULL, 0};
	if (v->flags & CR_F_SID)
		strings[nstrings++] = &v->call_manager_sid;
	for (int i = 0; i < nstrings; i++)
	{
		p = get_varint(p, end, &len);
		strings[i]->len = (int) len;
	}
	for (int i = 0; i < nstrings; i++)
	{
		if ((size_t) (end - p) < (size_t) strings[i]->len)
			cr_corrupted();
		strings[i]->data = p;
		p += strings[i]->len;
	}
	if (end - p < (ptrdiff_t) sizeof(uint32))
		cr_corrupted();
	v->variables = p;
	v->variables_len = (int) (end - p);
}

/* request_variables as a jsonb of its own (aligned, with a header). */
Jsonb *
cr_view_variables(const CrView *v)
{
	Jsonb	   *jb = palloc(VARHDRSZ + v->variables_len);

	SET_VARSIZE(jb, VARHDRSZ + v->variables_len);
	memcpy(VARDATA(jb), v->variables, v->variables_len);
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

static void
write_key(StringInfo buf, const char *key)
{
	appendStringInfoString(buf, ",\"");
	appendStringInfoString(buf, key);
	appendStringInfoString(buf, "\":");
}

static void
write_string_field(StringInfo buf, const char *key, const CrString *s)
{
	write_key(buf, key);
	cr_escape_json(buf, s->data, s->len);
}

/* The canonical JSON text: compact, keys in table order, UTC timestamps. */
void
cr_write_text(StringInfo buf, const CrView *v)
{
	Jsonb	   *vars = cr_view_variables(v);

	appendStringInfoString(buf, "{\"batch_id\":");
	cr_escape_json(buf, v->batch_id.data, v->batch_id.len);
	write_string_field(buf, "reference_id", &v->reference_id);
	write_string_field(buf, "target", &v->target);
	write_key(buf, "request_variables");
	cr_write_jsonb_compact(buf, &vars->root);
	pfree(vars);
	if (v->flags & CR_F_STATUS)
	{
		write_key(buf, "request_status");
		appendStringInfo(buf, "\"%s\"", cr_status_names[v->status]);
	}
	if (v->flags & CR_F_SID)
		write_string_field(buf, "call_manager_sid", &v->call_manager_sid);
	else if (v->flags & CR_F_SID_NULL)
		appendStringInfoString(buf, ",\"call_manager_sid\":null");
	if (v->flags & CR_F_CREATED)
	{
		write_key(buf, "created_at");
		appendStringInfoChar(buf, '"');
		cr_write_timestamp(buf, v->created_at);
		appendStringInfoChar(buf, '"');
	}
	if (v->flags & CR_F_SENT)
	{
		write_key(buf, "sent_at");
		appendStringInfoChar(buf, '"');
		cr_write_timestamp(buf, v->sent_at);
		appendStringInfoChar(buf, '"');
	}
	else if (v->flags & CR_F_SENT_NULL)
		appendStringInfoString(buf, ",\"sent_at\":null");
	appendStringInfo(buf, ",\"attempt_count\":%d", v->attempt_count);
	if (v->flags & CR_F_SESSION)
		appendStringInfo(buf, ",\"session_id\":" INT64_FORMAT, v->session_id);
	else if (v->flags & CR_F_SESSION_NULL)
		appendStringInfoString(buf, ",\"session_id\":null");
	if (v->flags & CR_F_CONV)
		appendStringInfo(buf, ",\"conversation_id\":" INT64_FORMAT, v->conversation_id);
	else if (v->flags & CR_F_CONV_NULL)
		appendStringInfoString(buf, ",\"conversation_id\":null");
	appendStringInfoChar(buf, '}');
}
