/*
 * cr_lifecycle.c
 *		The status lifecycle: which moves are allowed, moving a value along
 *		it, and merging two snapshots of one request.
 *
 * The transition table below is the one source of truth: the SQL
 * functions, the guard trigger and comm_status_transitions() (from which
 * README's table is checked) all read it.
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

#define BIT(s)	(1U << (s))

/* Allowed next statuses of each status, as bit sets. */
static const uint32 next_statuses[CR_STATUS_COUNT] = {
	[CR_STATUS_PENDING] = BIT(CR_STATUS_INITIATED) | BIT(CR_STATUS_DUPLICATE) |
	BIT(CR_STATUS_INVALID) | BIT(CR_STATUS_SKIPPED) | BIT(CR_STATUS_CANCELED) |
	BIT(CR_STATUS_FAILED),
	[CR_STATUS_INITIATED] = BIT(CR_STATUS_CONNECTED) | BIT(CR_STATUS_COMPLETED) |
	BIT(CR_STATUS_FAILED) | BIT(CR_STATUS_CANCELED),
	[CR_STATUS_CONNECTED] = BIT(CR_STATUS_COMPLETED) | BIT(CR_STATUS_FAILED),
	[CR_STATUS_FAILED] = BIT(CR_STATUS_INITIATED),
};

bool
cr_is_terminal(int status)
{
	return next_statuses[status] == 0;
}

bool
cr_can_transition(int from, int to)
{
	return from == to || (next_statuses[from] & BIT(to)) != 0;
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
				next |= next_statuses[s] & ~BIT(CR_STATUS_INITIATED);
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
		if ((before & BIT(s)) && (next_statuses[s] & BIT(CR_STATUS_INITIATED)))
			can_start = true;
	return can_start &&
		(reach_without_attempt(CR_STATUS_INITIATED) & BIT(to)) != 0;
}

/* Progress rank: PENDING 0, INITIATED 1, CONNECTED 2, the rest 3. */
static int
status_rank(int status)
{
	switch (status)
	{
		case CR_STATUS_PENDING:
			return 0;
		case CR_STATUS_INITIATED:
			return 1;
		case CR_STATUS_CONNECTED:
			return 2;
		default:
			return 3;
	}
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

	if (next_statuses[from] == 0)
		return psprintf("none (%s is terminal)", cr_status_names[from]);
	initStringInfo(&buf);
	for (int s = 0; s < CR_STATUS_COUNT; s++)
		if (next_statuses[from] & BIT(s))
			appendStringInfo(&buf, "%s%s", buf.len ? ", " : "", cr_status_names[s]);
	return buf.data;
}

/*
 * The fields of a stored value, ready to be changed and built again.
 * request_variables is left NULL: rebuild() copies it only when a new value
 * is really built, since merge usually returns one of its inputs as is.
 */
static void
fields_from_view(const CrView *v, CrFields *f)
{
	memset(f, 0, sizeof(*f));
	f->flags = v->flags;
	f->has_batch_id = f->has_reference_id = f->has_target = f->has_variables = true;
	f->batch_id = v->batch_id;
	f->reference_id = v->reference_id;
	f->target = v->target;
	f->call_manager_sid = v->call_manager_sid;
	f->status = v->status;
	f->attempt_count = v->attempt_count;
	f->created_at = v->created_at;
	f->sent_at = v->sent_at;
	f->session_id = v->session_id;
	f->conversation_id = v->conversation_id;
}

/* Build the changed fields; request_variables, unless replaced, from "from". */
static struct varlena *
rebuild(CrFields *f, const CrView *from)
{
	CrErrors	errs = {0};
	struct varlena *result;

	if (f->variables == NULL)
		f->variables = cr_view_variables(from);
	result = cr_build(f, &errs);
	cr_report(&errs, NULL);
	return result;
}

PG_FUNCTION_INFO_V1(comm_status_can_transition);
PG_FUNCTION_INFO_V1(comm_status_next);
PG_FUNCTION_INFO_V1(comm_status_is_terminal);
PG_FUNCTION_INFO_V1(comm_status_transitions);
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
		if (next_statuses[from] & BIT(s))
			elems[n++] = CommStatusGetDatum(s);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, elemtype, 1, true, TYPALIGN_CHAR));
}

Datum
comm_status_is_terminal(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(cr_is_terminal(PG_GETARG_COMM_STATUS(0)));
}

/* The transition table as rows (from_status, to_status), in status order. */
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

		if (next_statuses[from] & BIT(to))
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

static cr_noreturn void
report_illegal_move(const CrView *v, int from, int to)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid status transition from %s to %s",
					cr_status_names[from], cr_status_names[to]),
			 errdetail("The request is batch_id %s, reference_id %s.",
					   cr_quote(v->batch_id.data, v->batch_id.len),
					   cr_quote(v->reference_id.data, v->reference_id.len)),
			 errhint("Allowed next statuses from %s: %s.", cr_status_names[from],
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

	fields_from_view(&v, &f);
	if (from != to)
	{
		f.status = to;
		f.flags |= CR_F_STATUS;
		if (to == CR_STATUS_INITIATED)
		{
			if (f.attempt_count >= PG_INT32_MAX)
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("comm_result field \"attempt_count\" is out of range"),
						 errdetail("A new attempt would exceed 2147483647.")));
			f.attempt_count++;
			if (!(f.flags & CR_F_SENT))
			{
				if (PG_ARGISNULL(2))
					ereport(ERROR,
							(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
							 errmsg("argument \"at\" must not be null when moving to INITIATED without a sent_at")));
				f.sent_at = PG_GETARG_TIMESTAMPTZ(2);
				f.flags = (f.flags | CR_F_SENT) & ~CR_F_SENT_NULL;
			}
		}
	}
	if (!PG_ARGISNULL(3))
	{
		text	   *sid = PG_GETARG_TEXT_PP(3);

		f.call_manager_sid = (CrString) {VARDATA_ANY(sid), VARSIZE_ANY_EXHDR(sid)};
		f.flags = (f.flags | CR_F_SID) & ~CR_F_SID_NULL;
	}
	if (!PG_ARGISNULL(4))
	{
		f.session_id = PG_GETARG_INT64(4);
		f.flags = (f.flags | CR_F_SESSION) & ~CR_F_SESSION_NULL;
	}
	if (!PG_ARGISNULL(5))
	{
		f.conversation_id = PG_GETARG_INT64(5);
		f.flags = (f.flags | CR_F_CONV) & ~CR_F_CONV_NULL;
	}
	PG_RETURN_POINTER(rebuild(&f, &v));
}

/*
 * Merging.  Progress is (attempt_count, rank): the snapshot further along
 * wins, except for the write-once instants.  At equal progress each field
 * takes the greater of its two states, in one fixed order per field:
 * absent < null < present, then the value (statuses in listing order,
 * strings and jsonb images bytewise, numbers numerically).  created_at and
 * sent_at, which the guard trigger lets be set only once, are joined across
 * every snapshot whatever its progress, the earlier instant winning, so
 * that a later snapshot that omits them does not erase them.  Each rule is
 * a semilattice and so is their product: merge is commutative, associative
 * and idempotent.
 */
/* 0 absent, 1 null, 2 present */
static int
presence(uint16 flags, uint16 present, uint16 null)
{
	return (flags & present) ? 2 : (null && (flags & null)) ? 1 : 0;
}

static int
cmp_int64(int64 a, int64 b)
{
	return (a > b) - (a < b);
}

/* Compare field state in a and b: presence first, then value when present. */
#define CMP_FIELD(a, b, present, null, valcmp) \
	(presence((a)->flags, present, null) != presence((b)->flags, present, null) ? \
	 presence((a)->flags, present, null) - presence((b)->flags, present, null) : \
	 ((a)->flags & (present)) ? (valcmp) : 0)

/* Take a field's state and value from b into f when cond holds. */
#define TAKE(cond, present, null, assign) \
	do { \
		if (cond) \
		{ \
			f->flags = (f->flags & ~((present) | (null))) | \
				(b->flags & ((present) | (null))); \
			assign; \
			changed = true; \
		} \
	} while (0)

static int
cmp_progress(const CrView *a, const CrView *b)
{
	int			c = cmp_int64(a->attempt_count, b->attempt_count);

	if (c != 0)
		return c;
	return status_rank(cr_effective_status(a)) - status_rank(cr_effective_status(b));
}

/* At equal progress: take from b every field whose state is greater. */
static bool
join_fields(const CrView *a, const CrView *b, CrFields *f)
{
	bool		changed = false;

	TAKE(CMP_FIELD(a, b, CR_F_STATUS, 0, (int) a->status - (int) b->status) < 0,
		 CR_F_STATUS, 0, f->status = b->status);
	if (cr_bytes_cmp(a->target.data, a->target.len, b->target.data, b->target.len) < 0)
	{
		f->target = b->target;
		changed = true;
	}
	if (cr_bytes_cmp(a->variables, a->variables_len, b->variables, b->variables_len) < 0)
	{
		f->variables = cr_view_variables(b);
		changed = true;
	}
	TAKE(CMP_FIELD(a, b, CR_F_SID, CR_F_SID_NULL,
				   cr_bytes_cmp(a->call_manager_sid.data, a->call_manager_sid.len,
							 b->call_manager_sid.data, b->call_manager_sid.len)) < 0,
		 CR_F_SID, CR_F_SID_NULL, f->call_manager_sid = b->call_manager_sid);
	TAKE(CMP_FIELD(a, b, CR_F_SESSION, CR_F_SESSION_NULL, cmp_int64(a->session_id, b->session_id)) < 0,
		 CR_F_SESSION, CR_F_SESSION_NULL, f->session_id = b->session_id);
	TAKE(CMP_FIELD(a, b, CR_F_CONV, CR_F_CONV_NULL,
				   cmp_int64(a->conversation_id, b->conversation_id)) < 0,
		 CR_F_CONV, CR_F_CONV_NULL, f->conversation_id = b->conversation_id);
	return changed;
}

/* Whatever the progress: the write-once instants, the earlier winning. */
static bool
join_instants(const CrView *a, const CrView *b, CrFields *f)
{
	bool		changed = false;

	TAKE(CMP_FIELD(a, b, CR_F_CREATED, 0, cmp_int64(b->created_at, a->created_at)) < 0,
		 CR_F_CREATED, 0, f->created_at = b->created_at);
	TAKE(CMP_FIELD(a, b, CR_F_SENT, CR_F_SENT_NULL, cmp_int64(b->sent_at, a->sent_at)) < 0,
		 CR_F_SENT, CR_F_SENT_NULL, f->sent_at = b->sent_at);
	return changed;
}

#undef TAKE

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

	cr_view(va, &a);
	cr_view(vb, &b);
	if (cr_bytes_cmp(a.batch_id.data, a.batch_id.len, b.batch_id.data, b.batch_id.len) != 0 ||
		cr_bytes_cmp(a.reference_id.data, a.reference_id.len,
				  b.reference_id.data, b.reference_id.len) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot merge snapshots of different requests"),
				 errdetail("The first is batch_id %s, reference_id %s; the second is batch_id %s, reference_id %s.",
						   cr_quote(a.batch_id.data, a.batch_id.len),
						   cr_quote(a.reference_id.data, a.reference_id.len),
						   cr_quote(b.batch_id.data, b.batch_id.len),
						   cr_quote(b.reference_id.data, b.reference_id.len))));

	c = cmp_progress(&a, &b);
	winner = (c >= 0) ? &a : &b;
	other = (c >= 0) ? &b : &a;
	fields_from_view(winner, &f);
	changed = (c == 0) ? join_fields(&a, &b, &f) : false;
	changed |= join_instants(winner, other, &f);
	if (!changed)
		PG_RETURN_POINTER(winner == &a ? va : vb);
	PG_RETURN_POINTER(rebuild(&f, winner));
}
