/*
 * cr_lifecycle.c
 *		The status lifecycle: which moves are allowed, moving a value along
 *		it, and merging two snapshots of one request.
 *
 * The status table (cr_status_table.c) is the one source of truth: the
 * SQL functions, the guard trigger, comm_status_transitions() and
 * comm_statuses() (from which README's tables are checked) all read it.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/errcodes.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "comm_result.h"
#include "comm_status.h"
#include "cr_lifecycle.h"
#include "cr_channel.h"

#define BIT(s)	CR_STATUS_BIT(s)
#define NEXT(s)	(cr_statuses[s].next)

bool
cr_is_terminal(int status)
{
	return cr_statuses[status].terminal;
}

bool
cr_can_transition(int from, int to)
{
	return from == to || (NEXT(from) & BIT(to)) != 0;
}

/* The statuses reachable from "from" without a new attempt (with itself). */
static uint32
reach_without_attempt(int from)
{
	uint32		seen = BIT(from);
	uint32		frontier = BIT(from);

	while (frontier != 0)
	{
		uint32		next = 0;

		for (int s = 0; s < CR_STATUS_COUNT; s++)
			if (frontier & BIT(s))
				next |= NEXT(s) & ~BIT(CR_STATUS_INITIATED);
		frontier = next & ~seen;
		seen |= next;
	}
	return seen;
}

/*
 * Whether a request can get from status "from" to status "to" through
 * allowed moves that start exactly "attempts" new attempts (each move to
 * INITIATED starts one).  Snapshots may skip steps, so this, not a single
 * move, is what the guard trigger checks.  With no new attempt the path may
 * not pass through INITIATED; with one or more it must reach INITIATED
 * first, and since INITIATED -> FAILED -> INITIATED can repeat, any number
 * of attempts then leads to whatever INITIATED reaches without a new one.
 */
bool
cr_can_reach(int from, int to, int64 attempts)
{
	uint32		before = reach_without_attempt(from);
	bool		can_start = false;

	if (attempts < 0)
		return false;
	if (attempts == 0)
		return (before & BIT(to)) != 0;
	for (int s = 0; s < CR_STATUS_COUNT; s++)
		if ((before & BIT(s)) && (NEXT(s) & BIT(CR_STATUS_INITIATED)))
			can_start = true;
	return can_start &&
		(reach_without_attempt(CR_STATUS_INITIATED) & BIT(to)) != 0;
}

/* Progress rank: PENDING 0, INITIATED 1, CONNECTED 2, the outcomes 3. */
static int
status_rank(int status)
{
	return cr_statuses[status].rank;
}

/* The status a value is in; an absent status counts as PENDING. */
int
cr_effective_status(const CrView *v)
{
	return (v->flags & CR_F_STATUS) ? v->status : CR_STATUS_PENDING;
}

/* "CONNECTED, COMPLETED" or "none (COMPLETED is terminal)", for HINTs. */
char *
cr_next_statuses_text(int from)
{
	StringInfoData buf;

	if (NEXT(from) == 0)
		return psprintf("none (%s is terminal)", cr_status_name(from));
	initStringInfo(&buf);
	for (int s = 0; s < CR_STATUS_COUNT; s++)
		if (NEXT(from) & BIT(s))
			appendStringInfo(&buf, "%s%s", buf.len ? ", " : "", cr_status_name(s));
	return buf.data;
}

/*
 * Build a value from changed fields of a stored one (the strings and
 * objects still point into it: the builder copies them).
 */
static struct varlena *
rebuild(CrFields *f)
{
	CrErrors	errs = {0};
	struct varlena *result;

	result = cr_build(f, &errs);
	cr_report(&errs, NULL);
	return result;
}

PG_FUNCTION_INFO_V1(comm_status_can_transition);
PG_FUNCTION_INFO_V1(comm_status_next);
PG_FUNCTION_INFO_V1(comm_status_is_terminal);
PG_FUNCTION_INFO_V1(comm_status_transitions);
PG_FUNCTION_INFO_V1(comm_statuses);
PG_FUNCTION_INFO_V1(comm_result_transition);
PG_FUNCTION_INFO_V1(comm_result_merge);

/* Not STRICT: a NULL from is an absent status, which counts as PENDING. */
Datum
comm_status_can_transition(PG_FUNCTION_ARGS)
{
	int			from = PG_ARGISNULL(0) ? CR_STATUS_PENDING : PG_GETARG_COMM_STATUS(0);

	if (PG_ARGISNULL(1))
		PG_RETURN_NULL();
	PG_RETURN_BOOL(cr_can_transition(from, PG_GETARG_COMM_STATUS(1)));
}

Datum
comm_status_next(PG_FUNCTION_ARGS)
{
	int			from = PG_GETARG_COMM_STATUS(0);
	Oid			elemtype = get_element_type(get_fn_expr_rettype(fcinfo->flinfo));
	Datum		elems[CR_STATUS_COUNT];
	int			n = 0;

	if (!OidIsValid(elemtype))
		elog(ERROR, "could not determine the element type of comm_status[]");
	for (int s = 0; s < CR_STATUS_COUNT; s++)
		if (NEXT(from) & BIT(s))
			elems[n++] = CommStatusGetDatum(s);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, elemtype, 1, true, TYPALIGN_CHAR));
}

Datum
comm_status_is_terminal(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(cr_is_terminal(PG_GETARG_COMM_STATUS(0)));
}

/* The allowed moves as rows (from_status, to_status), in status order. */
Datum
comm_status_transitions(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	uint32		pos;

	if (SRF_IS_FIRSTCALL())
		(void) cr_srf_first_call(fcinfo);
	funcctx = SRF_PERCALL_SETUP();

	/* user_fctx counts through the from x to pairs */
	for (pos = (uint32) (uintptr_t) funcctx->user_fctx;
		 pos < CR_STATUS_COUNT * CR_STATUS_COUNT; pos++)
	{
		int			from = pos / CR_STATUS_COUNT;
		int			to = pos % CR_STATUS_COUNT;

		if (NEXT(from) & BIT(to))
		{
			Datum		values[2] = {CommStatusGetDatum(from), CommStatusGetDatum(to)};
			bool		nulls[2] = {false, false};

			funcctx->user_fctx = (void *) (uintptr_t) (pos + 1);
			SRF_RETURN_NEXT(funcctx,
							HeapTupleGetDatum(heap_form_tuple(funcctx->tuple_desc,
															  values, nulls)));
		}
	}
	SRF_RETURN_DONE(funcctx);
}

/*
 * The status table as rows (status, listed, rank, terminal, next_statuses,
 * note), in status order.
 */
Datum
comm_statuses(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};
	int			s;
	Datum		next[CR_STATUS_COUNT];
	int			n = 0;

	if (SRF_IS_FIRSTCALL())
	{
		funcctx = cr_srf_first_call(fcinfo);
		funcctx->max_calls = CR_STATUS_COUNT;
	}
	funcctx = SRF_PERCALL_SETUP();
	if (funcctx->call_cntr >= funcctx->max_calls)
		SRF_RETURN_DONE(funcctx);
	s = (int) funcctx->call_cntr;
	for (int t = 0; t < CR_STATUS_COUNT; t++)
		if (NEXT(s) & BIT(t))
			next[n++] = CommStatusGetDatum(t);
	values[0] = CommStatusGetDatum(s);
	values[1] = Int32GetDatum(cr_statuses[s].position);
	values[2] = Int32GetDatum(status_rank(s));
	values[3] = BoolGetDatum(cr_is_terminal(s));
	values[4] = PointerGetDatum(construct_array(next, n,
												TupleDescAttr(funcctx->tuple_desc, 0)->atttypid,
												1, true, TYPALIGN_CHAR));
	values[5] = CStringGetTextDatum(cr_statuses[s].note);
	SRF_RETURN_NEXT(funcctx,
					HeapTupleGetDatum(heap_form_tuple(funcctx->tuple_desc, values, nulls)));
}

static cr_noreturn void
report_illegal_move(const CrView *v, int from, int to)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid status transition from %s to %s",
					cr_status_name(from), cr_status_name(to)),
			 errdetail("The request is batch_id %s, reference_id %s.",
					   cr_quote(v->var[CRV_BATCH_ID].data, v->var[CRV_BATCH_ID].len),
					   cr_quote(v->var[CRV_REFERENCE_ID].data, v->var[CRV_REFERENCE_ID].len)),
			 errhint("Allowed next statuses from %s: %s.", cr_status_name(from),
					 cr_next_statuses_text(from))));
}

/*
 * comm_result_transition(r, to_status, at, call_manager_sid, session_id,
 * conversation_id).  Not STRICT: NULL optional arguments leave fields as
 * they are.  IMMUTABLE, because the time comes in as "at"; only the SQL
 * default (now()) reads the clock.
 */
Datum
comm_result_transition(PG_FUNCTION_ARGS)
{
	struct varlena *value;
	CrView		v;
	CrFields	f;
	int			from,
				to;
	bool		ids_given = !PG_ARGISNULL(3) || !PG_ARGISNULL(4) || !PG_ARGISNULL(5);

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"to_status\" must not be null")));
	value = PG_GETARG_COMM_RESULT(0);
	cr_view(value, &v);
	from = cr_effective_status(&v);
	to = PG_GETARG_COMM_STATUS(1);

	if (!cr_can_transition(from, to))
		report_illegal_move(&v, from, to);
	if (from == to && !ids_given)
		PG_RETURN_POINTER(value);

	f = v;
	if (from != to)
	{
		f.status = to;
		f.flags |= CR_F_STATUS;
		if (to == CR_STATUS_INITIATED)
		{
			if (f.fixed[CRX_ATTEMPTS] >= PG_INT32_MAX)
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("comm_result field \"attempt_count\" is out of range"),
						 errdetail("A new attempt would exceed 2147483647.")));
			f.fixed[CRX_ATTEMPTS]++;
			if (!(f.flags & CR_F_SENT))
			{
				if (PG_ARGISNULL(2))
					ereport(ERROR,
							(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
							 errmsg("argument \"at\" must not be null when moving to INITIATED without a sent_at")));
				f.fixed[CRX_SENT] = PG_GETARG_TIMESTAMPTZ(2);
				f.flags = (f.flags | CR_F_SENT) & ~CR_F_SENT_NULL;
			}
		}
	}
	if (!PG_ARGISNULL(3))
	{
		text	   *sid = PG_GETARG_TEXT_PP(3);

		f.var[CRV_SID] = (CrString) {VARDATA_ANY(sid), VARSIZE_ANY_EXHDR(sid)};
		f.flags = (f.flags | CR_F_SID) & ~CR_F_SID_NULL;
	}
	if (!PG_ARGISNULL(4))
	{
		f.fixed[CRX_SESSION] = PG_GETARG_INT64(4);
		f.flags = (f.flags | CR_F_SESSION) & ~CR_F_SESSION_NULL;
	}
	if (!PG_ARGISNULL(5))
	{
		f.fixed[CRX_CONV] = PG_GETARG_INT64(5);
		f.flags = (f.flags | CR_F_CONV) & ~CR_F_CONV_NULL;
	}
	PG_RETURN_POINTER(rebuild(&f));
}

/*
 * Merging.  Progress is (attempt_count, rank): the snapshot further along
 * wins, except for the write-once instants.  At equal progress each field
 * takes the greater of its two states, in one fixed order per field:
 * absent < null < present, then the value (statuses by their position in
 * the API's listing, not by code, so that a renamed status's later name
 * wins; channel_manager_status and insights_status by their stage in
 * cr_channel.c, then bytewise; other strings and jsonb images bytewise,
 * numbers numerically; for the sid, at equal value, today's name after
 * April's).  created_at and sent_at, which the guard trigger lets be set
 * only once, are joined across every snapshot whatever its progress, the
 * earlier instant winning, so that a later snapshot that omits them does
 * not erase them.  Each rule is a total order, so each join is a
 * semilattice and so is their product: merge is commutative, associative
 * and idempotent.
 */

/* 0 absent, 1 null, 2 present */
static int
presence(const CrView *v, CrField field)
{
	return (v->flags & cr_fields[field].present) ? 2 :
		(v->flags & cr_fields[field].null) ? 1 : 0;
}

static int
cmp_int64(int64 a, int64 b)
{
	return (a > b) - (a < b);
}

/* Order of two present values of one field. */
static int
value_cmp(const CrView *a, const CrView *b, CrField field)
{
	const CrFieldDef *def = &cr_fields[field];
	const CrString *x,
			   *y;
	int			c = 0;

	switch (def->kind)
	{
		case CRK_STATUS:
			return cmp_int64(cr_statuses[a->status].position,
							 cr_statuses[b->status].position);
		case CRK_TIMESTAMP:
			/* the write-once instants: the earlier is the greater */
			return cmp_int64(b->fixed[def->slot], a->fixed[def->slot]);
		case CRK_COUNT32:
		case CRK_ID64:
			return cmp_int64(a->fixed[def->slot], b->fixed[def->slot]);
		default:
			break;
	}
	x = &a->var[def->slot];
	y = &b->var[def->slot];
	if (field == CRF_CHSTATUS)
		c = cr_channel_stage(x->data, x->len) - cr_channel_stage(y->data, y->len);
	else if (field == CRF_INSTATUS)
		c = cr_insights_stage(x->data, x->len) - cr_insights_stage(y->data, y->len);
	return c != 0 ? c : cr_bytes_cmp(x->data, x->len, y->data, y->len);
}

/* Order of the states of one field: presence, then value, then the sid's name. */
static int
field_cmp(const CrView *a, const CrView *b, CrField field)
{
	int			c = presence(a, field) - presence(b, field);

	if (c == 0 && (a->flags & cr_fields[field].present))
		c = value_cmp(a, b, field);
	if (c == 0 && field == CRF_SID)
		c = (int) ((a->flags & CR_F_SID_CHANNEL) != 0) -
			(int) ((b->flags & CR_F_SID_CHANNEL) != 0);
	return c;
}

/* Put b's state of one field into f. */
static void
take_field(CrFields *f, const CrView *b, CrField field)
{
	const CrFieldDef *def = &cr_fields[field];
	uint32		bits = def->present | def->null |
		(field == CRF_SID ? CR_F_SID_CHANNEL : 0);

	f->flags = (f->flags & ~bits) | (b->flags & bits);
	if (def->kind == CRK_STATUS)
		f->status = b->status;
	else if (def->kind == CRK_TIMESTAMP || def->kind == CRK_COUNT32 ||
			 def->kind == CRK_ID64)
		f->fixed[def->slot] = b->fixed[def->slot];
	else
		f->var[def->slot] = b->var[def->slot];
}

static int
cmp_progress(const CrView *a, const CrView *b)
{
	int			c = cmp_int64(a->fixed[CRX_ATTEMPTS], b->fixed[CRX_ATTEMPTS]);

	if (c != 0)
		return c;
	return status_rank(cr_effective_status(a)) - status_rank(cr_effective_status(b));
}

/*
 * Take into f (a copy of a) every field of b whose state is greater:
 * at equal progress every field but the key and attempt_count (equal
 * then); otherwise only the instants.
 */
static bool
join(const CrView *a, const CrView *b, CrFields *f, bool equal_progress)
{
	bool		changed = false;

	for (int i = 0; i < CRF_COUNT; i++)
	{
		if (i == CRF_BATCH_ID || i == CRF_REFERENCE_ID || i == CRF_ATTEMPTS)
			continue;
		if (!equal_progress && cr_fields[i].kind != CRK_TIMESTAMP)
			continue;
		/* absent from both: nothing to compare (most of today's fields) */
		if (!cr_fields[i].required &&
			!((a->flags | b->flags) & (cr_fields[i].present | cr_fields[i].null)))
			continue;
		if (field_cmp(a, b, (CrField) i) < 0)
		{
			take_field(f, b, (CrField) i);
			changed = true;
		}
	}
	return changed;
}

Datum
comm_result_merge(PG_FUNCTION_ARGS)
{
	struct varlena *va = PG_GETARG_COMM_RESULT(0);
	struct varlena *vb = PG_GETARG_COMM_RESULT(1);
	CrView		a,
				b;
	CrFields	f;
	int			c;
	bool		changed;
	const CrView *winner,
			   *other;

	/* a snapshot merged with itself, as re-ingestion does all the time */
	if (VARSIZE_ANY(va) == VARSIZE_ANY(vb) &&
		memcmp(VARDATA_ANY(va), VARDATA_ANY(vb), VARSIZE_ANY_EXHDR(va)) == 0)
		PG_RETURN_POINTER(va);
	cr_view(va, &a);
	cr_view(vb, &b);
	if (!cr_same_var(&a, &b, CRV_BATCH_ID) || !cr_same_var(&a, &b, CRV_REFERENCE_ID))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot merge snapshots of different requests"),
				 errdetail("The first is batch_id %s, reference_id %s; the second is batch_id %s, reference_id %s.",
						   cr_quote(a.var[CRV_BATCH_ID].data, a.var[CRV_BATCH_ID].len),
						   cr_quote(a.var[CRV_REFERENCE_ID].data, a.var[CRV_REFERENCE_ID].len),
						   cr_quote(b.var[CRV_BATCH_ID].data, b.var[CRV_BATCH_ID].len),
						   cr_quote(b.var[CRV_REFERENCE_ID].data, b.var[CRV_REFERENCE_ID].len))));

	c = cmp_progress(&a, &b);
	winner = (c >= 0) ? &a : &b;
	other = (c >= 0) ? &b : &a;
	f = *winner;
	changed = join(winner, other, &f, c == 0);
	if (!changed)
		PG_RETURN_POINTER(winner == &a ? va : vb);
	PG_RETURN_POINTER(rebuild(&f));
}
