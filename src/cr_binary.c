/*
 * cr_binary.c
 *		Binary send and receive.  Wire format (network byte order):
 *
 *		uint8	version: 1 (the April 2025 fields, as in release 1.1), or 2
 *		uint16	flags: the stored CR_F_* bits except CR_F_ATTEMPTS (0x0002,
 *				must be 0)
 *		uint8	request_status code, 0 to 8 (0 when absent)
 *		int32	attempt_count
 *		int64	created_at, sent_at: microseconds since 2000-01-01 UTC (0 when
 *				absent or null)
 *		int64	session_id, conversation_id (0 when absent or null)
 *		uint16	flags2: the CR_F_* bits of today's fields, shifted down
 *				(version 2 only)
 *		then each variable-size field, as int32 byte length and bytes in the
 *		client encoding (length -1 unless present; objects as JSON text):
 *		batch_id, reference_id, target, call_manager_sid, request_variables,
 *		and in version 2 channel_manager_status, insights_status, insights,
 *		line_type, enrichment.
 *
 * send writes version 1 exactly as release 1.1 did for every value that
 * has no field or spelling 1.1 did not know, and version 2 otherwise.
 * recv trusts nothing: each length is checked against the bytes left before
 * it is used, the strings are checked for their encoding, and the value goes
 * through the same builder as text input.
 */
#include "postgres.h"

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "utils/errcodes.h"

#include "comm_result.h"
#include "compat.h"

#define CR_WIRE_VERSION		1
#define CR_WIRE_VERSION_2	2
#define CR_WIRE_FIXED_SIZE	(2 + 1 + 4 + 4 * 8)

PG_FUNCTION_INFO_V1(comm_result_recv);
PG_FUNCTION_INFO_V1(comm_result_send);

static void
send_string(StringInfo buf, const char *s, int len)
{
	char	   *conv = pg_server_to_client(s, len);
	int			n = (conv == s) ? len : (int) strlen(conv);

	pq_sendint32(buf, n);
	pq_sendbytes(buf, conv, n);
	if (conv != s)
		pfree(conv);
}

/*
 * The variable-size fields in wire order: version 1's five (as release 1.1
 * sent them), then version 2's in canonical order.
 */
static const CrField wire_order[] = {
	CRF_BATCH_ID, CRF_REFERENCE_ID, CRF_TARGET, CRF_SID, CRF_VARIABLES,
	CRF_CHSTATUS, CRF_INSTATUS, CRF_INSIGHTS, CRF_LINE, CRF_ENRICH
};

#define WIRE_FIELDS(version)	((version) == CR_WIRE_VERSION ? 5 : lengthof(wire_order))

Datum
comm_result_send(PG_FUNCTION_ARGS)
{
	struct varlena *value = PG_GETARG_COMM_RESULT(0);
	StringInfoData buf;
	CrView		v;
	uint16		flags2;
	int			version;

	cr_view(value, &v);
	flags2 = (uint16) ((v.flags & CR_F_STORED2) >> CR_F2_SHIFT);
	version = flags2 ? CR_WIRE_VERSION_2 : CR_WIRE_VERSION;
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, version);
	pq_sendint16(&buf, v.flags & CR_F_STORED1 & ~CR_F_ATTEMPTS);
	pq_sendbyte(&buf, v.status);
	pq_sendint32(&buf, (int32) v.fixed[CRX_ATTEMPTS]);
	for (int slot = CRX_CREATED; slot < CRX_COUNT; slot++)
		pq_sendint64(&buf, v.fixed[slot]);
	if (version == CR_WIRE_VERSION_2)
		pq_sendint16(&buf, flags2);
	for (int w = 0; w < WIRE_FIELDS(version); w++)
	{
		const CrFieldDef *def = &cr_fields[wire_order[w]];

		if (!(v.flags & def->present))
			pq_sendint32(&buf, -1);
		else if (cr_is_object_kind(def->kind))
		{
			Jsonb	   *jb = cr_view_object(&v, def->slot);
			StringInfoData text;

			initStringInfo(&text);
			cr_write_jsonb_compact(&text, &jb->root);
			send_string(&buf, text.data, text.len);
			pfree(text.data);
			pfree(jb);
		}
		else
			send_string(&buf, v.var[def->slot].data, v.var[def->slot].len);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static void
bad_binary(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid binary data for type comm_result"),
			 errdetail_internal("%s", detail)));
}

/*
 * One length-prefixed string, converted to the server encoding.  Returns
 * false for length -1 (no string), which only optional fields may use.
 */
static bool
recv_string(StringInfo buf, const char *field, bool optional, CrString *out)
{
	int32		len;
	char	   *conv;

	if (buf->len - buf->cursor < 4)
		bad_binary(psprintf("The data ends before the length of %s.", field));
	len = (int32) pq_getmsgint(buf, 4);
	if (len == -1 && optional)
		return false;
	if (len < 0 || len > buf->len - buf->cursor)
		bad_binary(psprintf("The length of %s, %d, is negative or runs past the end of the data.",
							field, len));
	if (memchr(buf->data + buf->cursor, '\0', len) != NULL)
		bad_binary(psprintf("The %s string contains a zero byte.", field));
	conv = pg_client_to_server(buf->data + buf->cursor, len);
	out->data = conv;
	out->len = (conv == buf->data + buf->cursor) ? len : (int) strlen(conv);
	buf->cursor += len;
	return true;
}

/* "Flags 0x0018" (version 1) or "Flags 0x0018 and flags2 0x0006". */
static char *
flags_text(uint32 flags, int version)
{
	if (version == CR_WIRE_VERSION)
		return psprintf("Flags 0x%04x", flags & 0xFFFF);
	return psprintf("Flags 0x%04x and flags2 0x%04x", flags & 0xFFFF,
					flags >> CR_F2_SHIFT);
}

/* The flags must be known, consistent, and agree with the fixed fields. */
static void
check_flags(uint32 flags, int version, const CrFields *f)
{
	if (flags & ~(CR_F_STORED1 | CR_F_STORED2) || (flags & CR_F_ATTEMPTS))
		bad_binary(psprintf("%s have unknown bits set.", flags_text(flags, version)));
	for (int i = 0; i < CRF_COUNT; i++)
		if ((flags & cr_fields[i].present) && (flags & cr_fields[i].null))
			bad_binary(psprintf("%s mark a field both present and null.",
								flags_text(flags, version)));
	if ((flags & CR_F_SID_CHANNEL) && !(flags & (CR_F_SID | CR_F_SID_NULL)))
		bad_binary(psprintf("%s name a call_manager_sid that is absent.",
							flags_text(flags, version)));
	if (version == CR_WIRE_VERSION_2 && !(flags & CR_F_STORED2))
		bad_binary("Version 2 data has no flags2 bit set; version 1 carries such a value.");
	if ((!(flags & CR_F_STATUS) && f->status != 0) ||
		(!(flags & CR_F_CREATED) && f->fixed[CRX_CREATED] != 0) ||
		(!(flags & CR_F_SENT) && f->fixed[CRX_SENT] != 0) ||
		(!(flags & CR_F_SESSION) && f->fixed[CRX_SESSION] != 0) ||
		(!(flags & CR_F_CONV) && f->fixed[CRX_CONV] != 0))
		bad_binary("A field marked absent or null has a non-zero value.");
}

Datum
comm_result_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	CrFields	f = {0};
	CrErrors	errs = {0};
	int			version;
	uint32		flags;
	CrString	texts[CRF_COUNT];
	struct varlena *result = NULL;

	if (buf->len - buf->cursor < 1)
		bad_binary("The data is empty.");
	version = pq_getmsgbyte(buf);
	if (version != CR_WIRE_VERSION && version != CR_WIRE_VERSION_2)
		bad_binary(psprintf("Binary format version %d is not supported; this build reads versions 1 and 2.",
							version));
	if (buf->len - buf->cursor < CR_WIRE_FIXED_SIZE + (version == CR_WIRE_VERSION_2 ? 2 : 0))
		bad_binary("The data ends inside the fixed-size fields.");
	flags = (uint16) pq_getmsgint(buf, 2);
	f.status = pq_getmsgbyte(buf);
	f.fixed[CRX_ATTEMPTS] = (int32) pq_getmsgint(buf, 4);
	for (int slot = CRX_CREATED; slot < CRX_COUNT; slot++)
		f.fixed[slot] = pq_getmsgint64(buf);
	if (version == CR_WIRE_VERSION_2)
		flags |= (uint32) pq_getmsgint(buf, 2) << CR_F2_SHIFT;
	check_flags(flags, version, &f);
	f.flags = flags;

	for (int w = 0; w < WIRE_FIELDS(version); w++)
	{
		int			i = wire_order[w];
		const CrFieldDef *def = &cr_fields[i];

		if (recv_string(buf, def->name, !def->required, &texts[i]) !=
			((f.flags & def->present) != 0 || def->required))
			bad_binary(psprintf("%s disagrees with its flag.", def->name));
		if (def->required || (f.flags & def->present))
			f.flags |= def->present;
	}
	if (buf->cursor != buf->len)
		bad_binary(psprintf("%d bytes follow the end of the value.",
							buf->len - buf->cursor));

	/* the strings are in; now the objects, as text input reads them */
	for (int w = 0; w < WIRE_FIELDS(version) && !CR_FAILED(&errs); w++)
	{
		int			i = wire_order[w];
		const CrFieldDef *def = &cr_fields[i];

		if (!(f.flags & def->present))
			continue;
		f.seen |= 1U << i;
		if (cr_is_object_kind(def->kind))
		{
			Jsonb	   *jb;

			f.flags &= ~def->present;
			jb = cr_parse_json_object(texts[i].data, texts[i].len, (CrField) i, &errs);
			if (jb != NULL)
				cr_field_set_object(&f, (CrField) i, jb, &errs);
		}
		else
			f.var[def->slot] = texts[i];
	}
	if (!CR_FAILED(&errs))
		result = cr_build(&f, &errs);
	if (result == NULL)
		cr_report(&errs, NULL);
	PG_RETURN_POINTER(result);
}
