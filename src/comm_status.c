/*
 * comm_status.c
 *		comm_status: a one-byte base type for the request statuses of the
 *		status table (cr_status_table.c).  Written in C rather than as a SQL
 *		enum so that the extension stays relocatable and needs no catalog
 *		look-up by name.  Text is the status name in upper case; binary is
 *		the name too, as for enums.  The order and the hash are of the code,
 *		which never changes.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/errcodes.h"

#include "comm_result.h"
#include "comm_status.h"
#include "compat.h"

PG_FUNCTION_INFO_V1(comm_status_in);
PG_FUNCTION_INFO_V1(comm_status_out);
PG_FUNCTION_INFO_V1(comm_status_recv);
PG_FUNCTION_INFO_V1(comm_status_send);
PG_FUNCTION_INFO_V1(comm_status_eq);
PG_FUNCTION_INFO_V1(comm_status_ne);
PG_FUNCTION_INFO_V1(comm_status_lt);
PG_FUNCTION_INFO_V1(comm_status_le);
PG_FUNCTION_INFO_V1(comm_status_gt);
PG_FUNCTION_INFO_V1(comm_status_ge);
PG_FUNCTION_INFO_V1(comm_status_cmp);
PG_FUNCTION_INFO_V1(comm_status_hash);
PG_FUNCTION_INFO_V1(comm_status_hash_extended);
PG_FUNCTION_INFO_V1(comm_status_to_text);

Datum
comm_status_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	int			len = strlen(str);
	int			status = cr_status_lookup(str, len);

	if (status < 0)
	{
		errsave(fcinfo->context,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input value for type comm_status: %s",
						cr_quote(str, len)),
				 errhint("Valid statuses are: %s.", cr_status_list())));
		return (Datum) 0;
	}
	PG_RETURN_COMM_STATUS(status);
}

/* The status's name; ereports on a byte that is not a status. */
static const char *
status_name(int status)
{
	if (status < 0 || status >= CR_STATUS_COUNT)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid comm_status code %d", status)));
	return cr_status_name(status);
}

Datum
comm_status_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(pstrdup(status_name(PG_GETARG_COMM_STATUS(0))));
}

Datum
comm_status_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			len = buf->len - buf->cursor;
	char	   *str;
	int			status;

	if (memchr(buf->data + buf->cursor, '\0', len) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary data for type comm_status"),
				 errdetail("The data contains a zero byte.")));
	str = pq_getmsgtext(buf, len, &len);
	status = cr_status_lookup(str, len);
	if (status < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary data for type comm_status"),
				 errdetail("Value %s is not a status.", cr_quote(str, len)),
				 errhint("Valid statuses are: %s.", cr_status_list())));
	PG_RETURN_COMM_STATUS(status);
}

Datum
comm_status_send(PG_FUNCTION_ARGS)
{
	const char *name = status_name(PG_GETARG_COMM_STATUS(0));
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendtext(&buf, name, strlen(name));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Statuses compare by code. */
#define CODE(n)	PG_GETARG_COMM_STATUS(n)

#define STATUS_CMP(name, op) \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_BOOL(CODE(0) op CODE(1)); \
}

STATUS_CMP(comm_status_eq, ==)
STATUS_CMP(comm_status_ne, !=)
STATUS_CMP(comm_status_lt, <)
STATUS_CMP(comm_status_le, <=)
STATUS_CMP(comm_status_gt, >)
STATUS_CMP(comm_status_ge, >=)

Datum
comm_status_cmp(PG_FUNCTION_ARGS)
{
	int			a = CODE(0);
	int			b = CODE(1);

	PG_RETURN_INT32((a > b) - (a < b));
}

Datum
comm_status_hash(PG_FUNCTION_ARGS)
{
	return hash_uint32((uint32) PG_GETARG_COMM_STATUS(0));
}

Datum
comm_status_hash_extended(PG_FUNCTION_ARGS)
{
	return hash_uint32_extended((uint32) PG_GETARG_COMM_STATUS(0),
								PG_GETARG_INT64(1));
}

/*
 * The cast to text: the name straight from the table, without the
 * comm_status_out -> textin round trip (a cstring copy, then a strlen and a
 * second copy) that the default I/O conversion cast makes per row.  The
 * text is exactly comm_status_out's.
 */
Datum
comm_status_to_text(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(status_name(PG_GETARG_COMM_STATUS(0))));
}
