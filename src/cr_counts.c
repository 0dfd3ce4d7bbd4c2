/*
 * cr_counts.c
 *		comm_counts: how many results have each value of a text field, the
 *		state of comm_channel_status_counts and comm_line_type_counts.
 *
 * Like comm_batch_state it is an ordinary SQL type, so that parallel query
 * and Citus can move partial states as values.  Its text form is a JSON
 * object with the keys in byte order and positive integer counts, e.g.
 * {"DELIVERED":5,"SENT":2}, and round-trips exactly.
 *
 * Stored form (varlena, 8-byte aligned): int32 number of keys, then per key
 * in byte order: int64 count, int32 length, the key's bytes, padding to 8.
 * Inside an aggregate a known key's count is updated in place; a new key
 * makes a new state in the aggregate's context (a batch has a few dozen
 * values at most).
 */
#include "postgres.h"

#include "common/int.h"
#include "common/jsonapi.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/errcodes.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "comm_result.h"
#include "compat.h"

typedef struct CrCounts
{
	int32		vl_len_;
	int32		nkeys;
	char		entries[FLEXIBLE_ARRAY_MEMBER];
} CrCounts;

#define ENTRY_HEADER	(sizeof(int64) + sizeof(int32))
#define ENTRY_SIZE(len)	MAXALIGN(ENTRY_HEADER + (len))

/* One key and its count, as read from or written to a state. */
typedef struct CrCount
{
	const char *key;
	int			len;
	int64		count;
} CrCount;

PG_FUNCTION_INFO_V1(comm_counts_in);
PG_FUNCTION_INFO_V1(comm_counts_out);
PG_FUNCTION_INFO_V1(comm_counts_recv);
PG_FUNCTION_INFO_V1(comm_counts_send);
PG_FUNCTION_INFO_V1(comm_counts_add_channel_status);
PG_FUNCTION_INFO_V1(comm_counts_add_line_type);
PG_FUNCTION_INFO_V1(comm_counts_combine);
PG_FUNCTION_INFO_V1(comm_counts_to_jsonb);

#define PG_GETARG_COMM_COUNTS(n)	((CrCounts *) PG_DETOAST_DATUM(PG_GETARG_DATUM(n)))

/* Walk a state's entries: the count's address, and the key. */
static char *
entry_at(char *p, CrCount *out)
{
	int32		len;

	memcpy(&out->count, p, sizeof(int64));
	memcpy(&len, p + sizeof(int64), sizeof(int32));
	out->key = p + ENTRY_HEADER;
	out->len = len;
	return p + ENTRY_SIZE(len);
}

/* Unpack into an array (n entries); checks the layout against the size. */
static CrCount *
unpack(CrCounts *c, int *n)
{
	CrCount    *items;
	char	   *p = c->entries;
	char	   *end = (char *) c + VARSIZE(c);

	if (c->nkeys < 0 || (Size) c->nkeys > (VARSIZE(c) - offsetof(CrCounts, entries)) / ENTRY_HEADER)
		cr_corrupted();
	items = palloc(sizeof(CrCount) * Max(c->nkeys, 1));
	for (int i = 0; i < c->nkeys; i++)
	{
		if (end - p < (ptrdiff_t) ENTRY_HEADER)
			cr_corrupted();
		p = entry_at(p, &items[i]);
		if (items[i].len < 0 || p > end)
			cr_corrupted();
	}
	*n = c->nkeys;
	return items;
}

/* Pack sorted, distinct, positive entries into a state in context cxt. */
static CrCounts *
pack(const CrCount *items, int n, MemoryContext cxt)
{
	Size		size = offsetof(CrCounts, entries);
	CrCounts   *c;
	char	   *p;

	for (int i = 0; i < n; i++)
		size += ENTRY_SIZE(items[i].len);
	if (size > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("comm_counts value is too large")));
	c = MemoryContextAllocZero(cxt, size);
	SET_VARSIZE(c, size);
	c->nkeys = n;
	p = c->entries;
	for (int i = 0; i < n; i++)
	{
		memcpy(p, &items[i].count, sizeof(int64));
		memcpy(p + sizeof(int64), &items[i].len, sizeof(int32));
		memcpy(p + ENTRY_HEADER, items[i].key, items[i].len);
		p += ENTRY_SIZE(items[i].len);
	}
	return c;
}

static void
add_count(int64 *count, int64 n)
{
	if (pg_add_s64_overflow(*count, n, count))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("comm_counts count out of range")));
}

/*
 * The union of two sorted lists, adding the counts of equal keys; the
 * result is allocated in cxt.
 */
static CrCounts *
merge(const CrCount *a, int na, const CrCount *b, int nb, MemoryContext cxt)
{
	CrCount    *out = palloc(sizeof(CrCount) * Max(na + nb, 1));
	int			i = 0,
				j = 0,
				n = 0;

	while (i < na || j < nb)
	{
		int			c = (i >= na) ? 1 : (j >= nb) ? -1 :
			cr_bytes_cmp(a[i].key, a[i].len, b[j].key, b[j].len);

		if (c < 0)
			out[n++] = a[i++];
		else if (c > 0)
			out[n++] = b[j++];
		else
		{
			out[n] = a[i++];
			add_count(&out[n++].count, b[j++].count);
		}
	}
	return pack(out, n, cxt);
}

/* ---- text I/O ---- */

typedef struct CountsParse
{
	Node	   *escontext;
	const char *input;
	int			depth;
	bool		failed;
	char	   *key;
	List	   *items;			/* CrCount *, in input order */
} CountsParse;

static void
bad_counts(CountsParse *s, const char *detail)
{
	if (!s->failed)
		errsave(s->escontext,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type comm_counts: %s",
						cr_quote(s->input, (int) strlen(s->input))),
				 errdetail_internal("%s", detail)));
	s->failed = true;
}

static json_action_result
counts_object_start(void *state)
{
	CountsParse *s = state;

	if (s->depth++ > 0)
		bad_counts(s, "The counts must be numbers, not objects.");
	JSON_ACTION_RETURN(!s->failed);
}

static json_action_result
counts_array_start(void *state)
{
	CountsParse *s = state;

	bad_counts(s, s->depth == 0 ? "Expected a JSON object." :
			   "The counts must be numbers, not arrays.");
	JSON_ACTION_RETURN(false);
}

static json_action_result
counts_field_start(void *state, char *fname, bool isnull)
{
	CountsParse *s = state;

	s->key = fname;
	JSON_ACTION_RETURN(true);
}

static json_action_result
counts_scalar(void *state, char *token, JsonTokenType type)
{
	CountsParse *s = state;
	CrCount    *item;
	int64		v = 0;
	int			len = (int) strlen(token ? token : "");

	if (s->depth == 0)
	{
		bad_counts(s, "Expected a JSON object.");
		JSON_ACTION_RETURN(false);
	}
	if (type != JSON_TOKEN_NUMBER || len > 19 || token[0] == '-')
		bad_counts(s, "Each count must be a positive integer.");
	for (int i = 0; i < len && !s->failed; i++)
	{
		if (token[i] < '0' || token[i] > '9' ||
			pg_mul_s64_overflow(v, 10, &v) || pg_add_s64_overflow(v, token[i] - '0', &v))
			bad_counts(s, "Each count must be a positive integer.");
	}
	if (!s->failed && v <= 0)
		bad_counts(s, "Each count must be a positive integer; leave out keys with no results.");
	if (s->failed)
		JSON_ACTION_RETURN(false);
	item = palloc(sizeof(CrCount));
	item->key = s->key;
	item->len = (int) strlen(s->key);
	item->count = v;
	s->items = lappend(s->items, item);
	JSON_ACTION_RETURN(true);
}

static int
count_cmp(const ListCell *a, const ListCell *b)
{
	const CrCount *x = lfirst(a);
	const CrCount *y = lfirst(b);

	return cr_bytes_cmp(x->key, x->len, y->key, y->len);
}

Datum
comm_counts_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	CountsParse s = {0};
	JsonLexContext lexbuf;
	JsonLexContext *lex = cr_make_json_lex(&lexbuf, str, strlen(str), true);
	JsonSemAction sem = {0};
	JsonParseErrorType rc;
	CrCount    *items;
	int			n = 0;
	ListCell   *lc;

	s.escontext = fcinfo->context;
	s.input = str;
	sem.semstate = &s;
	sem.object_start = counts_object_start;
	sem.array_start = counts_array_start;
	sem.object_field_start = counts_field_start;
	sem.scalar = counts_scalar;
	rc = pg_parse_json(lex, &sem);
	if (rc != JSON_SUCCESS && !s.failed)
		bad_counts(&s, json_errdetail(rc, lex));
	cr_free_json_lex(lex);
	if (s.failed)
		PG_RETURN_NULL();

	list_sort(s.items, count_cmp);
	items = palloc(sizeof(CrCount) * Max(list_length(s.items), 1));
	foreach(lc, s.items)
	{
		CrCount    *item = lfirst(lc);

		if (n > 0 && cr_bytes_cmp(items[n - 1].key, items[n - 1].len, item->key, item->len) == 0)
		{
			bad_counts(&s, psprintf("Key %s appears more than once.", cr_quote(item->key, item->len)));
			PG_RETURN_NULL();
		}
		items[n++] = *item;
	}
	PG_RETURN_POINTER(pack(items, n, CurrentMemoryContext));
}

Datum
comm_counts_out(PG_FUNCTION_ARGS)
{
	CrCounts   *c = PG_GETARG_COMM_COUNTS(0);
	StringInfoData buf;
	int			n;
	CrCount    *items = unpack(c, &n);

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoChar(&buf, ',');
		cr_escape_json(&buf, items[i].key, items[i].len);
		appendStringInfo(&buf, ":" INT64_FORMAT, items[i].count);
	}
	appendStringInfoChar(&buf, '}');
	PG_RETURN_CSTRING(buf.data);
}

/* ---- binary I/O: int32 n, then per key int32 length, bytes, int64 count ---- */

static void
bad_binary(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid binary data for type comm_counts"),
			 errdetail_internal("%s", detail)));
}

Datum
comm_counts_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int32		n;
	CrCount    *items;

	if (buf->len - buf->cursor < 4)
		bad_binary("The data ends before the number of keys.");
	n = (int32) pq_getmsgint(buf, 4);
	/* every key takes at least 12 bytes: no allocation beyond the data */
	if (n < 0 || n > (buf->len - buf->cursor) / 12)
		bad_binary(psprintf("The number of keys, %d, is negative or larger than the data.", n));
	items = palloc(sizeof(CrCount) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		int32		len;
		char	   *key;

		if (buf->len - buf->cursor < 4)
			bad_binary("The data ends before a key's length.");
		len = (int32) pq_getmsgint(buf, 4);
		if (len < 0 || len > buf->len - buf->cursor - 8)
			bad_binary(psprintf("Key length %d is negative or runs past the end of the data.", len));
		if (memchr(buf->data + buf->cursor, '\0', len) != NULL)
			bad_binary("A key contains a zero byte.");
		key = pg_client_to_server(buf->data + buf->cursor, len);
		items[i].key = key;
		items[i].len = (key == buf->data + buf->cursor) ? len : (int) strlen(key);
		buf->cursor += len;
		items[i].count = pq_getmsgint64(buf);
		if (items[i].count <= 0)
			bad_binary("Each count must be positive.");
		if (i > 0 && cr_bytes_cmp(items[i - 1].key, items[i - 1].len,
								  items[i].key, items[i].len) >= 0)
			bad_binary("The keys must be distinct and in byte order.");
	}
	if (buf->cursor != buf->len)
		bad_binary(psprintf("%d bytes follow the end of the value.", buf->len - buf->cursor));
	PG_RETURN_POINTER(pack(items, n, CurrentMemoryContext));
}

Datum
comm_counts_send(PG_FUNCTION_ARGS)
{
	CrCounts   *c = PG_GETARG_COMM_COUNTS(0);
	StringInfoData buf;
	int			n;
	CrCount    *items = unpack(c, &n);

	pq_begintypsend(&buf);
	pq_sendint32(&buf, n);
	for (int i = 0; i < n; i++)
	{
		char	   *conv = pg_server_to_client(items[i].key, items[i].len);
		int			len = (conv == items[i].key) ? items[i].len : (int) strlen(conv);

		pq_sendint32(&buf, len);
		pq_sendbytes(&buf, conv, len);
		pq_sendint64(&buf, items[i].count);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ---- aggregate support ---- */

/*
 * Count one value.  In an aggregate, a known key is counted in place and a
 * new one makes a new state in the aggregate's context; elsewhere the
 * result is a new state.
 */
static Datum
add_value(FunctionCallInfo fcinfo, CrVarSlot slot)
{
	CrCounts   *c = PG_GETARG_COMM_COUNTS(0);
	MemoryContext aggcxt;
	bool		in_agg = AggCheckCallContext(fcinfo, &aggcxt) != 0;
	CrString	value;
	CrCount		one;
	char	   *p = c->entries;
	int			n;
	CrCount    *items;

	if (!cr_read_var(PG_GETARG_COMM_RESULT(1), slot, &value))
		PG_RETURN_POINTER(c);	/* absent or null: not counted */

	for (int i = 0; in_agg && i < c->nkeys; i++)
	{
		CrCount		e;
		char	   *next = entry_at(p, &e);

		if (e.len == value.len && memcmp(e.key, value.data, value.len) == 0)
		{
			add_count(&e.count, 1);
			memcpy(p, &e.count, sizeof(int64));
			PG_RETURN_POINTER(c);
		}
		p = next;
	}
	one = (CrCount) {value.data, value.len, 1};
	items = unpack(c, &n);
	PG_RETURN_POINTER(merge(items, n, &one, 1, in_agg ? aggcxt : CurrentMemoryContext));
}

Datum
comm_counts_add_channel_status(PG_FUNCTION_ARGS)
{
	return add_value(fcinfo, CRV_CHSTATUS);
}

Datum
comm_counts_add_line_type(PG_FUNCTION_ARGS)
{
	return add_value(fcinfo, CRV_LINE);
}

/* Combine two partial states; either may be empty (a worker saw no rows). */
Datum
comm_counts_combine(PG_FUNCTION_ARGS)
{
	CrCounts   *a = PG_GETARG_COMM_COUNTS(0);
	CrCounts   *b = PG_GETARG_COMM_COUNTS(1);
	MemoryContext aggcxt;
	bool		in_agg = AggCheckCallContext(fcinfo, &aggcxt) != 0;
	int			na,
				nb;
	CrCount    *x = unpack(a, &na);
	CrCount    *y = unpack(b, &nb);

	if (in_agg && nb == 0)
		PG_RETURN_POINTER(a);
	PG_RETURN_POINTER(merge(x, na, y, nb, in_agg ? aggcxt : CurrentMemoryContext));
}

/* The counts as a jsonb object (the aggregates' result, and a cast). */
Datum
comm_counts_to_jsonb(PG_FUNCTION_ARGS)
{
	CrCounts   *c = PG_GETARG_COMM_COUNTS(0);
	JsonbParseState *ps = NULL;
	int			n;
	CrCount    *items = unpack(c, &n);
	JsonbValue *res;

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < n; i++)
	{
		JsonbValue	k,
					v;

		k.type = jbvString;
		k.val.string.val = unconstify(char *, items[i].key);
		k.val.string.len = items[i].len;
		pushJsonbValue(&ps, WJB_KEY, &k);
		v.type = jbvNumeric;
		v.val.numeric = int64_to_numeric(items[i].count);
		pushJsonbValue(&ps, WJB_VALUE, &v);
	}
	res = pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(res));
}
