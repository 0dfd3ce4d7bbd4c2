/*
 * cr_batch.c
 *		Per-batch reports: the comm_batch_state type (the state of the
 *		comm_batch_summary and comm_status_counts aggregates) and its
 *		transition, combine and final functions.
 *
 * The state is an ordinary SQL type, not "internal", so that parallel
 * query and distributed engines (Citus) can move partial states between
 * processes and nodes as values; its text form round-trips exactly:
 *
 *	(total,pending,duplicate,initiated,connected,completed,failed,canceled,
 *	 invalid,skipped,attempts,max_attempts,first_created_at,last_created_at,
 *	 first_sent_at,last_sent_at)
 *
 * with the instants in RFC 3339 UTC and empty when no result had one.
 * Inside an aggregate the transition and combine functions update the
 * state in place, so a fold allocates nothing per row.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "common/int.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/errcodes.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "comm_result.h"
#include "comm_status.h"
#include "cr_lifecycle.h"

#define CRB_CREATED		0x1		/* first/last_created_at are set */
#define CRB_SENT		0x2		/* first/last_sent_at are set */
#define CRB_NFIELDS		16

typedef struct CrBatchState
{
	int64		total;
	int64		counts[CR_STATUS_COUNT];	/* an absent status counts as PENDING */
	int64		attempts;
	int32		max_attempts;
	int32		flags;
	TimestampTz first_created;
	TimestampTz last_created;
	TimestampTz first_sent;
	TimestampTz last_sent;
} CrBatchState;

StaticAssertDecl(sizeof(CrBatchState) == 128,
				 "comm_batch_state is declared with INTERNALLENGTH = 128");

PG_FUNCTION_INFO_V1(comm_batch_state_in);
PG_FUNCTION_INFO_V1(comm_batch_state_out);
PG_FUNCTION_INFO_V1(comm_batch_state_recv);
PG_FUNCTION_INFO_V1(comm_batch_state_send);
PG_FUNCTION_INFO_V1(comm_batch_state_add);
PG_FUNCTION_INFO_V1(comm_batch_state_combine);
PG_FUNCTION_INFO_V1(comm_batch_state_summary);
PG_FUNCTION_INFO_V1(comm_batch_state_status_counts);

static void
bad_state(Node *escontext, const char *detail, const char *input)
{
	errsave(escontext,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type comm_batch_state: %s",
					cr_quote(input, (int) strlen(input))),
			 errdetail_internal("%s", detail)));
}

/*
 * Everything a state must satisfy, whichever way it came in: the counts
 * add up, the instants are in range and in order, the flags say which are
 * set.  Returns the problem, or NULL.
 */
static const char *
state_problem(const CrBatchState *s)
{
	int64		sum = 0;

	if (s->total < 0 || s->attempts < 0 || s->max_attempts < 0)
		return "Counts cannot be negative.";
	for (int i = 0; i < CR_STATUS_COUNT; i++)
	{
		if (s->counts[i] < 0 || pg_add_s64_overflow(sum, s->counts[i], &sum))
			return "Status counts must be non-negative and add up to total.";
	}
	if (sum != s->total)
		return "Status counts must add up to total.";
	if (s->max_attempts > s->attempts || (s->total == 0 && s->attempts != 0))
		return "max_attempts cannot exceed attempts, and an empty state has no attempts.";
	if (s->flags & ~(CRB_CREATED | CRB_SENT))
		return "Unknown flags.";
	if (((s->flags & CRB_CREATED) || (s->flags & CRB_SENT)) && s->total == 0)
		return "An empty state has no instants.";
	if ((s->flags & CRB_CREATED) &&
		(s->first_created > s->last_created || s->first_created < CR_MIN_TIMESTAMP ||
		 s->last_created > CR_MAX_TIMESTAMP))
		return "first_created_at must not be after last_created_at, both in years 0000 to 9999.";
	if ((s->flags & CRB_SENT) &&
		(s->first_sent > s->last_sent || s->first_sent < CR_MIN_TIMESTAMP ||
		 s->last_sent > CR_MAX_TIMESTAMP))
		return "first_sent_at must not be after last_sent_at, both in years 0000 to 9999.";
	if ((!(s->flags & CRB_CREATED) && (s->first_created || s->last_created)) ||
		(!(s->flags & CRB_SENT) && (s->first_sent || s->last_sent)))
		return "Unset instants must be zero.";
	return NULL;
}

/* Split "(a,b,...)" into exactly CRB_NFIELDS fields, in place. */
static bool
split_fields(char *str, char **fields)
{
	int			len = strlen(str);
	char	   *p;
	int			n = 0;

	if (len < 2 || str[0] != '(' || str[len - 1] != ')')
		return false;
	str[len - 1] = '\0';
	p = str + 1;
	for (;;)
	{
		char	   *comma = strchr(p, ',');

		if (n == CRB_NFIELDS)
			return false;
		fields[n++] = p;
		if (comma == NULL)
			break;
		*comma = '\0';
		p = comma + 1;
	}
	return n == CRB_NFIELDS;
}

static bool
parse_int64(const char *s, int64 *out)
{
	char	   *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoi64(s, &end, 10);
	return errno == 0 && *end == '\0';
}

static bool
parse_instant(const char *s, TimestampTz *out, bool *present)
{
	*present = (*s != '\0');
	*out = 0;
	return !*present || cr_parse_timestamp(s, strlen(s), out) == CR_TS_OK;
}

Datum
comm_batch_state_in(PG_FUNCTION_ARGS)
{
	char	   *input = PG_GETARG_CSTRING(0);
	char	   *copy = pstrdup(input);
	char	   *fields[CRB_NFIELDS];
	CrBatchState *s = palloc0(sizeof(CrBatchState));
	int64		v;
	bool		c1,
				c2,
				s1,
				s2;
	const char *problem;

	if (!split_fields(copy, fields))
	{
		bad_state(fcinfo->context, "Expected 16 comma-separated fields in parentheses.", input);
		return (Datum) 0;
	}
	for (int i = 0; i < 12; i++)
	{
		if (!parse_int64(fields[i], &v))
		{
			bad_state(fcinfo->context, "The first 12 fields must be non-negative integers.", input);
			return (Datum) 0;
		}
		if (i == 0)
			s->total = v;
		else if (i <= CR_STATUS_COUNT)
			s->counts[i - 1] = v;
		else if (i == 10)
			s->attempts = v;
		else if (v > PG_INT32_MAX)
		{
			bad_state(fcinfo->context, "max_attempts is out of range.", input);
			return (Datum) 0;
		}
		else
			s->max_attempts = (int32) v;
	}
	if (!parse_instant(fields[12], &s->first_created, &c1) ||
		!parse_instant(fields[13], &s->last_created, &c2) ||
		!parse_instant(fields[14], &s->first_sent, &s1) ||
		!parse_instant(fields[15], &s->last_sent, &s2) || c1 != c2 || s1 != s2)
	{
		bad_state(fcinfo->context, "The last 4 fields must be RFC 3339 instants, set or empty in pairs.", input);
		return (Datum) 0;
	}
	s->flags = (c1 ? CRB_CREATED : 0) | (s1 ? CRB_SENT : 0);
	if ((problem = state_problem(s)) != NULL)
	{
		bad_state(fcinfo->context, problem, input);
		return (Datum) 0;
	}
	PG_RETURN_POINTER(s);
}

static void
write_instant(StringInfo buf, bool set, TimestampTz ts)
{
	appendStringInfoChar(buf, ',');
	if (set)
		cr_write_timestamp(buf, ts);
}

Datum
comm_batch_state_out(PG_FUNCTION_ARGS)
{
	CrBatchState *s = (CrBatchState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "(" INT64_FORMAT, s->total);
	for (int i = 0; i < CR_STATUS_COUNT; i++)
		appendStringInfo(&buf, "," INT64_FORMAT, s->counts[i]);
	appendStringInfo(&buf, "," INT64_FORMAT ",%d", s->attempts, s->max_attempts);
	write_instant(&buf, s->flags & CRB_CREATED, s->first_created);
	write_instant(&buf, s->flags & CRB_CREATED, s->last_created);
	write_instant(&buf, s->flags & CRB_SENT, s->first_sent);
	write_instant(&buf, s->flags & CRB_SENT, s->last_sent);
	appendStringInfoChar(&buf, ')');
	PG_RETURN_CSTRING(buf.data);
}

/* Binary: version byte 1, then the fields as int64/int32 in network order. */
Datum
comm_batch_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	CrBatchState *s = palloc0(sizeof(CrBatchState));
	const char *problem;

	if (buf->len - buf->cursor != 1 + 8 * 11 + 4 * 2 + 8 * 4)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary data for type comm_batch_state"),
				 errdetail("Expected %d bytes, got %d.", 1 + 8 * 11 + 4 * 2 + 8 * 4,
						   buf->len - buf->cursor)));
	if (pq_getmsgbyte(buf) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary data for type comm_batch_state"),
				 errdetail("Only binary format version 1 is supported.")));
	s->total = pq_getmsgint64(buf);
	for (int i = 0; i < CR_STATUS_COUNT; i++)
		s->counts[i] = pq_getmsgint64(buf);
	s->attempts = pq_getmsgint64(buf);
	s->max_attempts = (int32) pq_getmsgint(buf, 4);
	s->flags = (int32) pq_getmsgint(buf, 4);
	s->first_created = pq_getmsgint64(buf);
	s->last_created = pq_getmsgint64(buf);
	s->first_sent = pq_getmsgint64(buf);
	s->last_sent = pq_getmsgint64(buf);
	if ((problem = state_problem(s)) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary data for type comm_batch_state"),
				 errdetail_internal("%s", problem)));
	PG_RETURN_POINTER(s);
}

Datum
comm_batch_state_send(PG_FUNCTION_ARGS)
{
	CrBatchState *s = (CrBatchState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, 1);
	pq_sendint64(&buf, s->total);
	for (int i = 0; i < CR_STATUS_COUNT; i++)
		pq_sendint64(&buf, s->counts[i]);
	pq_sendint64(&buf, s->attempts);
	pq_sendint32(&buf, s->max_attempts);
	pq_sendint32(&buf, s->flags);
	pq_sendint64(&buf, s->first_created);
	pq_sendint64(&buf, s->last_created);
	pq_sendint64(&buf, s->first_sent);
	pq_sendint64(&buf, s->last_sent);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * The state to update: in an aggregate the first argument itself (it lives
 * in the aggregate's memory), elsewhere a copy, since SQL callers expect
 * their arguments left alone.
 */
static CrBatchState *
writable_state(FunctionCallInfo fcinfo)
{
	CrBatchState *s = (CrBatchState *) PG_GETARG_POINTER(0);

	if (AggCheckCallContext(fcinfo, NULL))
		return s;
	return memcpy(palloc(sizeof(CrBatchState)), s, sizeof(CrBatchState));
}

static void
widen(int32 *flags, int32 flag, TimestampTz *first, TimestampTz *last,
	  TimestampTz lo, TimestampTz hi)
{
	if (!(*flags & flag))
	{
		*first = lo;
		*last = hi;
		*flags |= flag;
		return;
	}
	if (lo < *first)
		*first = lo;
	if (hi > *last)
		*last = hi;
}

/* Counts are int64; a state read from text could start near the limit. */
static void
add_count(int64 *sum, int64 n)
{
	if (unlikely(pg_add_s64_overflow(*sum, n, sum)))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("comm_batch_state count out of range")));
}

/* Transition: count one result (STRICT: a NULL result is not counted). */
Datum
comm_batch_state_add(PG_FUNCTION_ARGS)
{
	CrBatchState *s = writable_state(fcinfo);
	CrView		v;

	/* The header and fixed fields, read once; no string is decoded. */
	cr_view_header(PG_GETARG_COMM_RESULT_PREFIX(1), &v);
	add_count(&s->total, 1);
	add_count(&s->counts[cr_effective_status(&v)], 1);
	add_count(&s->attempts, v.fixed[CRX_ATTEMPTS]);
	if (v.fixed[CRX_ATTEMPTS] > s->max_attempts)
		s->max_attempts = (int32) v.fixed[CRX_ATTEMPTS];
	if (v.flags & CR_F_CREATED)
		widen(&s->flags, CRB_CREATED, &s->first_created, &s->last_created,
			  v.fixed[CRX_CREATED], v.fixed[CRX_CREATED]);
	if (v.flags & CR_F_SENT)
		widen(&s->flags, CRB_SENT, &s->first_sent, &s->last_sent,
			  v.fixed[CRX_SENT], v.fixed[CRX_SENT]);
	PG_RETURN_POINTER(s);
}

/* Combine two partial states; either may be empty (a worker saw no rows). */
Datum
comm_batch_state_combine(PG_FUNCTION_ARGS)
{
	CrBatchState *s = writable_state(fcinfo);
	CrBatchState *o = (CrBatchState *) PG_GETARG_POINTER(1);

	add_count(&s->total, o->total);
	for (int i = 0; i < CR_STATUS_COUNT; i++)
		add_count(&s->counts[i], o->counts[i]);
	add_count(&s->attempts, o->attempts);
	if (o->max_attempts > s->max_attempts)
		s->max_attempts = o->max_attempts;
	if (o->flags & CRB_CREATED)
		widen(&s->flags, CRB_CREATED, &s->first_created, &s->last_created,
			  o->first_created, o->last_created);
	if (o->flags & CRB_SENT)
		widen(&s->flags, CRB_SENT, &s->first_sent, &s->last_sent,
			  o->first_sent, o->last_sent);
	PG_RETURN_POINTER(s);
}

/* {"COMPLETED": 95, "FAILED": 10}: the API's batch details shape. */
static Jsonb *
status_counts_jsonb(const CrBatchState *s)
{
	JsonbParseState *ps = NULL;
	JsonbValue *res;

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < CR_STATUS_COUNT; i++)
	{
		JsonbValue	k,
					v;

		if (s->counts[i] == 0)
			continue;
		k.type = jbvString;
		k.val.string.val = unconstify(char *, cr_status_names[i]);
		k.val.string.len = strlen(cr_status_names[i]);
		pushJsonbValue(&ps, WJB_KEY, &k);
		v.type = jbvNumeric;
		v.val.numeric = int64_to_numeric(s->counts[i]);
		pushJsonbValue(&ps, WJB_VALUE, &v);
	}
	res = pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(res);
}

Datum
comm_batch_state_status_counts(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(status_counts_jsonb((CrBatchState *) PG_GETARG_POINTER(0)));
}

Datum
comm_batch_state_summary(PG_FUNCTION_ARGS)
{
	CrBatchState *s = (CrBatchState *) PG_GETARG_POINTER(0);
	Datum		values[CR_STATUS_COUNT + 9];
	bool		nulls[CR_STATUS_COUNT + 9] = {0};
	TupleDesc	tupdesc = cr_row_type(fcinfo, lengthof(values));
	int			n = 0;
	int64		open = 0;

	values[n++] = Int64GetDatum(s->total);
	for (int i = 0; i < CR_STATUS_COUNT; i++)
	{
		values[n++] = Int64GetDatum(s->counts[i]);
		if (!cr_is_terminal(i))
			open += s->counts[i];
	}
	values[n++] = Int64GetDatum(s->attempts);
	values[n++] = Int32GetDatum(s->max_attempts);
	nulls[n] = nulls[n + 1] = !(s->flags & CRB_CREATED);
	values[n++] = TimestampTzGetDatum(s->first_created);
	values[n++] = TimestampTzGetDatum(s->last_created);
	nulls[n] = nulls[n + 1] = !(s->flags & CRB_SENT);
	values[n++] = TimestampTzGetDatum(s->first_sent);
	values[n++] = TimestampTzGetDatum(s->last_sent);
	values[n++] = BoolGetDatum(s->total > 0 && open == 0);
	values[n++] = JsonbPGetDatum(status_counts_jsonb(s));
	Assert(n == lengthof(values));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
