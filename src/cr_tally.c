/*
 * cr_tally.c
 *		The per-batch report state (cr_tally.h), and comm_batch_tally, the
 *		state type of comm_batch_summary and comm_status_counts since 1.3.
 *
 * The state is an ordinary SQL type, not "internal", so that parallel
 * query and distributed engines (Citus) can move partial states between
 * processes and nodes as values; its text form round-trips exactly:
 *
 *	(total,count of each status by code,attempts,max_attempts,
 *	 first_created_at,last_created_at,first_sent_at,last_sent_at)
 *
 * with the instants in RFC 3339 UTC and empty when no result had one.  The
 * counts of the statuses after the ninth are shown only as far as the last
 * that is not zero, so a state of the nine statuses of 1.0 reads and
 * prints exactly as a comm_batch_state does, and a state from a release
 * that knows more statuses reads wherever its extra counts are zero.
 * Inside an aggregate the transition and combine functions update the
 * state in place, so a fold allocates nothing per row.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
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
#include "cr_tally.h"

StaticAssertDecl(sizeof(CrBatchState) == 128,
				 "comm_batch_state is declared with INTERNALLENGTH = 128");

#define NCOUNTS(t)	(CR_STATUS_COUNT_1_0 + (t)->nextra)

/* The text form's fields besides the counts: total, attempts, max, 4 instants. */
#define OTHER_FIELDS	7

/*
 * Everything a state must satisfy, whichever way it came in: the counts
 * add up, the instants are in range and in order, the flags say which are
 * set.  Returns the problem, or NULL.
 */
const char *
cr_tally_problem(const CrTallyRef *t)
{
	const CrBatchState *s = t->core;
	const TimestampTz *in = s->instants;
	int64		sum = 0;

	if (s->total < 0 || s->attempts < 0 || s->max_attempts < 0)
		return "Counts cannot be negative.";
	for (int i = 0; i < NCOUNTS(t); i++)
	{
		int64		c = *cr_tally_count(t, i);

		if (c < 0 || pg_add_s64_overflow(sum, c, &sum))
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
		(in[CRB_FIRST_CREATED] > in[CRB_LAST_CREATED] ||
		 in[CRB_FIRST_CREATED] < CR_MIN_TIMESTAMP || in[CRB_LAST_CREATED] > CR_MAX_TIMESTAMP))
		return "first_created_at must not be after last_created_at, both in years 0000 to 9999.";
	if ((s->flags & CRB_SENT) &&
		(in[CRB_FIRST_SENT] > in[CRB_LAST_SENT] ||
		 in[CRB_FIRST_SENT] < CR_MIN_TIMESTAMP || in[CRB_LAST_SENT] > CR_MAX_TIMESTAMP))
		return "first_sent_at must not be after last_sent_at, both in years 0000 to 9999.";
	if ((!(s->flags & CRB_CREATED) && (in[CRB_FIRST_CREATED] || in[CRB_LAST_CREATED])) ||
		(!(s->flags & CRB_SENT) && (in[CRB_FIRST_SENT] || in[CRB_LAST_SENT])))
		return "Unset instants must be zero.";
	return NULL;
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
add_count(const CrTallyRef *t, int64 *sum, int64 n)
{
	if (unlikely(pg_add_s64_overflow(*sum, n, sum)))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s count out of range", t->type)));
}

/* Count one result. */
void
cr_tally_add(CrTallyRef *t, const struct varlena *value)
{
	CrBatchState *s = t->core;
	CrView		v;
	int			status;

	/* The header and fixed fields, read once; no string is decoded. */
	cr_view_header(value, &v);
	status = cr_effective_status(&v);
	if (unlikely(status >= NCOUNTS(t)))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s cannot count status %s", t->type, cr_status_name(status)),
				 errdetail("%s counts the %d statuses of release 1.0 to 1.2.", t->type, NCOUNTS(t)),
				 errhint("Run ALTER EXTENSION comm_result UPDATE: since 1.3 the report aggregates count every status in comm_batch_tally.")));
	add_count(t, &s->total, 1);
	add_count(t, cr_tally_count(t, status), 1);
	add_count(t, &s->attempts, v.fixed[CRX_ATTEMPTS]);
	if (v.fixed[CRX_ATTEMPTS] > s->max_attempts)
		s->max_attempts = (int32) v.fixed[CRX_ATTEMPTS];
	if (v.flags & CR_F_CREATED)
		widen(&s->flags, CRB_CREATED, &s->instants[CRB_FIRST_CREATED],
			  &s->instants[CRB_LAST_CREATED], v.fixed[CRX_CREATED], v.fixed[CRX_CREATED]);
	if (v.flags & CR_F_SENT)
		widen(&s->flags, CRB_SENT, &s->instants[CRB_FIRST_SENT],
			  &s->instants[CRB_LAST_SENT], v.fixed[CRX_SENT], v.fixed[CRX_SENT]);
}

/* Combine two partial states (o counts no more statuses than t). */
void
cr_tally_combine(CrTallyRef *t, const CrTallyRef *o)
{
	CrBatchState *s = t->core;
	const CrBatchState *p = o->core;

	Assert(o->nextra <= t->nextra);
	add_count(t, &s->total, p->total);
	for (int i = 0; i < NCOUNTS(o); i++)
		add_count(t, cr_tally_count(t, i), *cr_tally_count(o, i));
	add_count(t, &s->attempts, p->attempts);
	if (p->max_attempts > s->max_attempts)
		s->max_attempts = p->max_attempts;
	if (p->flags & CRB_CREATED)
		widen(&s->flags, CRB_CREATED, &s->instants[CRB_FIRST_CREATED],
			  &s->instants[CRB_LAST_CREATED], p->instants[CRB_FIRST_CREATED],
			  p->instants[CRB_LAST_CREATED]);
	if (p->flags & CRB_SENT)
		widen(&s->flags, CRB_SENT, &s->instants[CRB_FIRST_SENT],
			  &s->instants[CRB_LAST_SENT], p->instants[CRB_FIRST_SENT],
			  p->instants[CRB_LAST_SENT]);
}

/* How many counts the text and binary forms show: the nine, then up to the last non-zero. */
int
cr_tally_shown(const CrTallyRef *t)
{
	int			n = t->nextra;

	while (n > 0 && t->extra[n - 1] == 0)
		n--;
	return CR_STATUS_COUNT_1_0 + n;
}

static void
write_instant(StringInfo buf, bool set, TimestampTz ts)
{
	appendStringInfoChar(buf, ',');
	if (set)
		cr_write_timestamp(buf, ts);
}

char *
cr_tally_out(const CrTallyRef *t, int shown)
{
	const CrBatchState *s = t->core;
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "(" INT64_FORMAT, s->total);
	for (int i = 0; i < shown; i++)
		appendStringInfo(&buf, "," INT64_FORMAT, *cr_tally_count(t, i));
	appendStringInfo(&buf, "," INT64_FORMAT ",%d", s->attempts, s->max_attempts);
	for (int i = 0; i < 4; i++)
		write_instant(&buf, s->flags & (i < CRB_FIRST_SENT ? CRB_CREATED : CRB_SENT),
					  s->instants[i]);
	appendStringInfoChar(&buf, ')');
	return buf.data;
}

static bool
bad_state(Node *escontext, const char *type, const char *input, const char *detail)
{
	errsave(escontext,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s: %s",
					type, cr_quote(input, (int) strlen(input))),
			 errdetail_internal("%s", detail)));
	return false;
}

/* Split "(a,b,...)" into at most max fields, in place; the count, or -1. */
static int
split_fields(char *str, char **fields, int max)
{
	int			len = strlen(str);
	char	   *p;
	int			n = 0;

	if (len < 2 || str[0] != '(' || str[len - 1] != ')')
		return -1;
	str[len - 1] = '\0';
	p = str + 1;
	for (;;)
	{
		char	   *comma = strchr(p, ',');

		if (n == max)
			return -1;
		fields[n++] = p;
		if (comma == NULL)
			break;
		*comma = '\0';
		p = comma + 1;
	}
	return n;
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

/*
 * Read the text form into t (zeroed, with room for max_extra extra counts;
 * t->nextra is set to how many the input held).  False, after a soft
 * error, when the input is not a valid state.
 */
bool
cr_tally_in(CrTallyRef *t, const char *input, int max_extra, Node *escontext)
{
	const char *type = t->type;
	CrBatchState *core = t->core;
	char	   *copy = pstrdup(input);
	char	   *fields[OTHER_FIELDS + CR_STATUS_COUNT_1_0 + CR_TALLY_EXTRA];
	int			min_fields = OTHER_FIELDS + CR_STATUS_COUNT_1_0;
	int			nfields = split_fields(copy, fields, min_fields + max_extra);
	int			nints;
	bool		c1,
				c2,
				s1,
				s2;
	const char *problem;

	if (nfields < min_fields)
		return bad_state(escontext, type, input, max_extra == 0 ?
						 psprintf("Expected %d comma-separated fields in parentheses.", min_fields) :
						 psprintf("Expected %d to %d comma-separated fields in parentheses.",
								  min_fields, min_fields + max_extra));
	t->nextra = nfields - min_fields;
	nints = nfields - 4;
	for (int i = 0; i < nints; i++)
	{
		int64		v;

		if (!parse_int64(fields[i], &v))
			return bad_state(escontext, type, input,
							 psprintf("The first %d fields must be non-negative integers.", nints));
		if (i == 0)
			core->total = v;
		else if (i <= NCOUNTS(t))
			*cr_tally_count(t, i - 1) = v;
		else if (i == nints - 2)
			core->attempts = v;
		else if (v > PG_INT32_MAX)
			return bad_state(escontext, type, input, "max_attempts is out of range.");
		else
			core->max_attempts = (int32) v;
	}
	if (!parse_instant(fields[nints], &core->instants[CRB_FIRST_CREATED], &c1) ||
		!parse_instant(fields[nints + 1], &core->instants[CRB_LAST_CREATED], &c2) ||
		!parse_instant(fields[nints + 2], &core->instants[CRB_FIRST_SENT], &s1) ||
		!parse_instant(fields[nints + 3], &core->instants[CRB_LAST_SENT], &s2) ||
		c1 != c2 || s1 != s2)
		return bad_state(escontext, type, input,
						 "The last 4 fields must be RFC 3339 instants, set or empty in pairs.");
	core->flags = (c1 ? CRB_CREATED : 0) | (s1 ? CRB_SENT : 0);
	if ((problem = cr_tally_problem(t)) != NULL)
		return bad_state(escontext, type, input, problem);
	return true;
}

/* Binary: version byte 1, then the fields as int64/int32 in network order. */
bytea *
cr_tally_send(const CrTallyRef *t, int shown)
{
	const CrBatchState *s = t->core;
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, 1);
	pq_sendint64(&buf, s->total);
	for (int i = 0; i < shown; i++)
		pq_sendint64(&buf, *cr_tally_count(t, i));
	pq_sendint64(&buf, s->attempts);
	pq_sendint32(&buf, s->max_attempts);
	pq_sendint32(&buf, s->flags);
	for (int i = 0; i < 4; i++)
		pq_sendint64(&buf, s->instants[i]);
	return pq_endtypsend(&buf);
}

static cr_noreturn void
bad_binary(const char *type, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid binary data for type %s", type),
			 errdetail_internal("%s", detail)));
}

/*
 * Read the binary form into t (zeroed, with room for max_extra extra
 * counts; t->nextra is set to how many it held, which follows from the
 * length).
 */
void
cr_tally_recv(CrTallyRef *t, StringInfo buf, int max_extra)
{
	const char *type = t->type;
	CrBatchState *core = t->core;
	int			fixed = 1 + 8 + 8 * CR_STATUS_COUNT_1_0 + 8 + 4 + 4 + 8 * 4;
	int			len = buf->len - buf->cursor;
	const char *problem;

	if (len < fixed || len > fixed + 8 * max_extra || (len - fixed) % 8 != 0)
		bad_binary(type, max_extra == 0 ?
				   psprintf("Expected %d bytes, got %d.", fixed, len) :
				   psprintf("Expected %d bytes and 8 more per status after the ninth (at most %d more), got %d.",
							fixed, max_extra, len));
	if (pq_getmsgbyte(buf) != 1)
		bad_binary(type, "Only binary format version 1 is supported.");
	t->nextra = (len - fixed) / 8;
	core->total = pq_getmsgint64(buf);
	for (int i = 0; i < NCOUNTS(t); i++)
		*cr_tally_count(t, i) = pq_getmsgint64(buf);
	core->attempts = pq_getmsgint64(buf);
	core->max_attempts = (int32) pq_getmsgint(buf, 4);
	core->flags = (int32) pq_getmsgint(buf, 4);
	for (int i = 0; i < 4; i++)
		core->instants[i] = pq_getmsgint64(buf);
	if ((problem = cr_tally_problem(t)) != NULL)
		bad_binary(type, problem);
}

/* {"COMPLETED": 95, "FAILED": 10}: the API's batch details shape. */
Jsonb *
cr_tally_status_counts(const CrTallyRef *t)
{
	JsonbParseState *ps = NULL;
	JsonbValue *res;

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < NCOUNTS(t); i++)
	{
		int64		n = *cr_tally_count(t, i);
		JsonbValue	k,
					v;

		if (n == 0)
			continue;
		k.type = jbvString;
		k.val.string.val = unconstify(char *, cr_status_name(i));
		k.val.string.len = strlen(cr_status_name(i));
		pushJsonbValue(&ps, WJB_KEY, &k);
		v.type = jbvNumeric;
		v.val.numeric = int64_to_numeric(n);
		pushJsonbValue(&ps, WJB_VALUE, &v);
	}
	res = pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(res);
}

/*
 * The columns of comm_batch_summary, found by name: 1.3 added a column per
 * new status to the type, and the same final functions must fill the row
 * type of 1.2 until ALTER EXTENSION ... UPDATE has run (and of the next
 * release, whose statuses will again be columns).  A column of a status
 * the state does not count is 0; a column not known here is NULL.
 */
enum
{
	SUM_TOTAL = CR_STATUS_COUNT,	/* 0 .. CR_STATUS_COUNT - 1: the counts */
	SUM_ATTEMPTS,
	SUM_MAX_ATTEMPTS,
	SUM_FIRST_CREATED,
	SUM_LAST_CREATED,
	SUM_FIRST_SENT,
	SUM_LAST_SENT,
	SUM_DONE,
	SUM_STATUS_COUNTS,
	SUM_NFIELDS
};

static const struct
{
	const char *name;
	Oid			type;
}			summary_fields[SUM_NFIELDS - CR_STATUS_COUNT] = {
	{"total", INT8OID},
	{"attempts", INT8OID},
	{"max_attempts", INT4OID},
	{"first_created_at", TIMESTAMPTZOID},
	{"last_created_at", TIMESTAMPTZOID},
	{"first_sent_at", TIMESTAMPTZOID},
	{"last_sent_at", TIMESTAMPTZOID},
	{"done", BOOLOID},
	{"status_counts", JSONBOID},
};

typedef struct SummaryShape
{
	TupleDesc	desc;
	int			field[FLEXIBLE_ARRAY_MEMBER];	/* per column: SUM_* or a
												 * status, -1 if unknown */
} SummaryShape;

static int
summary_field(const char *name, Oid *type)
{
	for (int s = 0; s < CR_STATUS_COUNT; s++)
		if (pg_strcasecmp(name, cr_status_name(s)) == 0)
		{
			*type = INT8OID;
			return s;
		}
	for (int i = 0; i < lengthof(summary_fields); i++)
		if (strcmp(name, summary_fields[i].name) == 0)
		{
			*type = summary_fields[i].type;
			return CR_STATUS_COUNT + i;
		}
	return -1;
}

static SummaryShape *
summary_shape(FunctionCallInfo fcinfo)
{
	SummaryShape *shape = (SummaryShape *) fcinfo->flinfo->fn_extra;
	TupleDesc	desc;
	MemoryContext old;

	if (shape != NULL)
		return shape;
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	shape = palloc(offsetof(SummaryShape, field) + sizeof(int) * desc->natts);
	shape->desc = BlessTupleDesc(CreateTupleDescCopy(desc));
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		Oid			type = InvalidOid;

		shape->field[i] = att->attisdropped ? -1 :
			summary_field(NameStr(att->attname), &type);
		if (shape->field[i] >= 0 && type != att->atttypid)
			elog(ERROR, "comm_batch_summary column \"%s\" has type %s, not %s",
				 NameStr(att->attname), format_type_be(att->atttypid), format_type_be(type));
	}
	MemoryContextSwitchTo(old);
	fcinfo->flinfo->fn_extra = shape;
	return shape;
}

/* The comm_batch_summary of a state. */
Datum
cr_tally_summary(FunctionCallInfo fcinfo, const CrTallyRef *t)
{
	const CrBatchState *s = t->core;
	SummaryShape *shape = summary_shape(fcinfo);
	int			natts = shape->desc->natts;
	Datum	   *values = palloc0(sizeof(Datum) * natts);
	bool	   *nulls = palloc0(sizeof(bool) * natts);
	int64		open = 0;

	for (int i = 0; i < NCOUNTS(t); i++)
		if (!cr_is_terminal(i))
			open += *cr_tally_count(t, i);
	for (int a = 0; a < natts; a++)
	{
		int			f = shape->field[a];

		if (f < 0)
			nulls[a] = true;
		else if (f < CR_STATUS_COUNT)
			values[a] = Int64GetDatum(f < NCOUNTS(t) ? *cr_tally_count(t, f) : 0);
		else if (f == SUM_TOTAL)
			values[a] = Int64GetDatum(s->total);
		else if (f == SUM_ATTEMPTS)
			values[a] = Int64GetDatum(s->attempts);
		else if (f == SUM_MAX_ATTEMPTS)
			values[a] = Int32GetDatum(s->max_attempts);
		else if (f <= SUM_LAST_SENT)
		{
			int			i = f - SUM_FIRST_CREATED;

			nulls[a] = !(s->flags & (i < CRB_FIRST_SENT ? CRB_CREATED : CRB_SENT));
			values[a] = TimestampTzGetDatum(s->instants[i]);
		}
		else if (f == SUM_DONE)
			values[a] = BoolGetDatum(s->total > 0 && open == 0);
		else
			values[a] = JsonbPGetDatum(cr_tally_status_counts(t));
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(shape->desc, values, nulls)));
}
