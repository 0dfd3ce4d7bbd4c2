/*
 * cr_binary.c
 *		Binary send and receive.  Wire format, version 1 (network byte order):
 *
 *		uint8	version (1)
 *		uint16	flags: the CR_F_* bits except CR_F_ATTEMPTS (0x0002, must be 0)
 *		uint8	request_status code, 0 to 8 (0 when absent)
 *		int32	attempt_count
 *		int64	created_at, sent_at: microseconds since 2000-01-01 UTC (0 when
 *				absent or null)
 *		int64	session_id, conversation_id (0 when absent or null)
 *		then, each as int32 byte length and bytes in the client encoding:
 *				batch_id, reference_id, target, call_manager_sid (length -1
 *				unless present as a string), request_variables as JSON text
 *
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

Datum
comm_result_send(PG_FUNCTION_ARGS)
{
	struct varlena *value = PG_GETARG_COMM_RESULT(0);
	StringInfoData buf;
	StringInfoData vars;
	Jsonb	   *jb;
	CrView		v;

	cr_view(value, &v);
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, CR_WIRE_VERSION);
	pq_sendint16(&buf, v.flags & ~CR_F_ATTEMPTS);
	pq_sendbyte(&buf, v.status);
	pq_sendint32(&buf, v.attempt_count);
	pq_sendint64(&buf, v.created_at);
	pq_sendint64(&buf, v.sent_at);
	pq_sendint64(&buf, v.session_id);
	pq_sendint64(&buf, v.conversation_id);
	send_string(&buf, v.batch_id.data, v.batch_id.len);
	send_string(&buf, v.reference_id.data, v.reference_id.len);
	send_string(&buf, v.target.data, v.target.len);
	if (v.flags & CR_F_SID)
		send_string(&buf, v.call_manager_sid.data, v.call_manager_sid.len);
	else
		pq_sendint32(&buf, -1);
	jb = cr_view_variables(&v);
	initStringInfo(&vars);
	cr_write_jsonb_compact(&vars, &jb->root);
	send_string(&buf, vars.data, vars.len);
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
 * false for length -1 (no string), which only call_manager_sid may use.
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

Datum
comm_result_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	CrFields	f = {0};
	CrErrors	errs = {0};
	CrString	vars;
	int			version;
	uint16		flags;
	struct varlena *result;

	if (buf->len - buf->cursor < 1)
		bad_binary("The data is empty.");
	version = pq_getmsgbyte(buf);
	if (version != CR_WIRE_VERSION)
		bad_binary(psprintf("Binary format version %d is not supported; this build reads version %d.",
							version, CR_WIRE_VERSION));
	if (buf->len - buf->cursor < CR_WIRE_FIXED_SIZE)
		bad_binary("The data ends inside the fixed-size fields.");
	flags = (uint16) pq_getmsgint(buf, 2);
	f.status = pq_getmsgbyte(buf);
	f.attempt_count = (int32) pq_getmsgint(buf, 4);
	f.created_at = pq_getmsgint64(buf);
	f.sent_at = pq_getmsgint64(buf);
	f.session_id = pq_getmsgint64(buf);
	f.conversation_id = pq_getmsgint64(buf);

	if (flags & ~(CR_F_ALL & ~CR_F_ATTEMPTS))
		bad_binary(psprintf("Flags 0x%04x have unknown bits set.", flags));
	if (((flags & CR_F_SENT) && (flags & CR_F_SENT_NULL)) ||
		((flags & CR_F_SID) && (flags & CR_F_SID_NULL)) ||
		((flags & CR_F_SESSION) && (flags & CR_F_SESSION_NULL)) ||
		((flags & CR_F_CONV) && (flags & CR_F_CONV_NULL)))
		bad_binary(psprintf("Flags 0x%04x mark a field both present and null.", flags));
	if ((!(flags & CR_F_STATUS) && f.status != 0) ||
		(!(flags & CR_F_CREATED) && f.created_at != 0) ||
		(!(flags & CR_F_SENT) && f.sent_at != 0) ||
		(!(flags & CR_F_SESSION) && f.session_id != 0) ||
		(!(flags & CR_F_CONV) && f.conversation_id != 0))
		bad_binary("A field marked absent or null has a non-zero value.");
	f.flags = flags;

	f.has_batch_id = recv_string(buf, "batch_id", false, &f.batch_id);
	f.has_reference_id = recv_string(buf, "reference_id", false, &f.reference_id);
	f.has_target = recv_string(buf, "target", false, &f.target);
	if (recv_string(buf, "call_manager_sid", true, &f.call_manager_sid) !=
		((flags & CR_F_SID) != 0))
		bad_binary("call_manager_sid disagrees with its flag.");
	(void) recv_string(buf, "request_variables", false, &vars);
	if (buf->cursor != buf->len)
		bad_binary(psprintf("%d bytes follow the end of the value.",
							buf->len - buf->cursor));

	f.variables = cr_parse_json_object(vars.data, vars.len, &errs);
	f.has_variables = (f.variables != NULL);
	if (f.has_variables)
		result = cr_build(&f, &errs);
	else
		result = NULL;
	if (result == NULL)
		cr_report(&errs, NULL);
	PG_RETURN_POINTER(result);
}
