/*
 * cr_batch.c
 *		The SQL functions of the per-batch report states: comm_batch_tally,
 *		the state of comm_batch_summary and comm_status_counts since 1.3,
 *		and comm_batch_state, their state in 1.0 to 1.2, kept for states
 *		users have stored or send between nodes.  The logic is cr_tally.c's.
 *
 * Inside an aggregate the transition and combine functions update their
 * first argument in place (it lives in the aggregate's memory); called
 * directly they work on a copy, since SQL callers expect their arguments
 * left alone.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/errcodes.h"

#include "comm_result.h"
#include "cr_tally.h"

/* ---------------------------------------------------------------- comm_batch_state */

#define STATE_TYPE	"comm_batch_state"

static CrTallyRef
state_ref(CrBatchState *s)
{
	return (CrTallyRef) {STATE_TYPE, s, NULL, 0};
}

static CrBatchState *
writable_state(FunctionCallInfo fcinfo)
{
	CrBatchState *s = (CrBatchState *) PG_GETARG_POINTER(0);

	if (AggCheckCallContext(fcinfo, NULL))
		return s;
	return memcpy(palloc(sizeof(CrBatchState)), s, sizeof(CrBatchState));
}

PG_FUNCTION_INFO_V1(comm_batch_state_in);
PG_FUNCTION_INFO_V1(comm_batch_state_out);
PG_FUNCTION_INFO_V1(comm_batch_state_recv);
PG_FUNCTION_INFO_V1(comm_batch_state_send);
PG_FUNCTION_INFO_V1(comm_batch_state_add);
PG_FUNCTION_INFO_V1(comm_batch_state_combine);
PG_FUNCTION_INFO_V1(comm_batch_state_summary);
PG_FUNCTION_INFO_V1(comm_batch_state_status_counts);

Datum
comm_batch_state_in(PG_FUNCTION_ARGS)
{
	CrBatchState *s = palloc0(sizeof(CrBatchState));
	CrTallyRef	t = state_ref(s);

	if (!cr_tally_in(&t, PG_GETARG_CSTRING(0), 0, fcinfo->context))
		return (Datum) 0;
	PG_RETURN_POINTER(s);
}

Datum
comm_batch_state_out(PG_FUNCTION_ARGS)
{
	CrTallyRef	t = state_ref((CrBatchState *) PG_GETARG_POINTER(0));

	PG_RETURN_CSTRING(cr_tally_out(&t, CR_STATUS_COUNT_1_0));
}

Datum
comm_batch_state_recv(PG_FUNCTION_ARGS)
{
	CrBatchState *s = palloc0(sizeof(CrBatchState));
	CrTallyRef	t = state_ref(s);

	cr_tally_recv(&t, (StringInfo) PG_GETARG_POINTER(0), 0);
	PG_RETURN_POINTER(s);
}

Datum
comm_batch_state_send(PG_FUNCTION_ARGS)
{
	CrTallyRef	t = state_ref((CrBatchState *) PG_GETARG_POINTER(0));

	PG_RETURN_BYTEA_P(cr_tally_send(&t, CR_STATUS_COUNT_1_0));
}

/* Transition: count one result (STRICT: a NULL result is not counted). */
Datum
comm_batch_state_add(PG_FUNCTION_ARGS)
{
	CrBatchState *s = writable_state(fcinfo);
	CrTallyRef	t = state_ref(s);

	cr_tally_add(&t, PG_GETARG_COMM_RESULT_PREFIX(1));
	PG_RETURN_POINTER(s);
}

/* Combine two partial states; either may be empty (a worker saw no rows). */
Datum
comm_batch_state_combine(PG_FUNCTION_ARGS)
{
	CrBatchState *s = writable_state(fcinfo);
	CrTallyRef	t = state_ref(s);
	CrTallyRef	o = state_ref((CrBatchState *) PG_GETARG_POINTER(1));

	cr_tally_combine(&t, &o);
	PG_RETURN_POINTER(s);
}

Datum
comm_batch_state_status_counts(PG_FUNCTION_ARGS)
{
	CrTallyRef	t = state_ref((CrBatchState *) PG_GETARG_POINTER(0));

	PG_RETURN_JSONB_P(cr_tally_status_counts(&t));
}

Datum
comm_batch_state_summary(PG_FUNCTION_ARGS)
{
	CrTallyRef	t = state_ref((CrBatchState *) PG_GETARG_POINTER(0));

	return cr_tally_summary(fcinfo, &t);
}

/* ---------------------------------------------------------------- comm_batch_tally */

#define TALLY_TYPE	"comm_batch_tally"

static CrTally *
new_tally(void)
{
	CrTally    *t = palloc0(CR_TALLY_SIZE(CR_TALLY_EXTRA));

	SET_VARSIZE(t, CR_TALLY_SIZE(CR_TALLY_EXTRA));
	t->nextra = CR_TALLY_EXTRA;
	return t;
}

static CrTallyRef
tally_ref(CrTally *t)
{
	return (CrTallyRef) {TALLY_TYPE, &t->core, t->extra, t->nextra};
}

/*
 * A stored tally, checked, and widened to this build's statuses when it
 * was written by a build that knew fewer.
 */
static CrTally *
get_tally(FunctionCallInfo fcinfo, int n)
{
	CrTally    *t = (CrTally *) PG_DETOAST_DATUM(PG_GETARG_DATUM(n));
	CrTally    *wide;

	if (VARSIZE(t) < CR_TALLY_SIZE(0) || t->nextra < 0 ||
		VARSIZE(t) != CR_TALLY_SIZE(t->nextra))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("comm_batch_tally value is corrupted")));
	if (t->nextra > CR_TALLY_EXTRA)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("comm_batch_tally value counts statuses this build does not know"),
				 errdetail("It counts %d statuses; this build of comm_result knows %d.",
						   CR_STATUS_COUNT_1_0 + t->nextra, CR_STATUS_COUNT)));
	if (t->nextra == CR_TALLY_EXTRA)
		return t;
	wide = new_tally();
	memcpy(&wide->core, &t->core, sizeof(CrBatchState));
	memcpy(wide->extra, t->extra, sizeof(int64) * t->nextra);
	return wide;
}

/*
 * The state to update.  In an aggregate it is one this build made (from
 * the initial condition, its input function or a transition), so it is
 * updated in place after a look at its size alone: the per-row path of the
 * report aggregates.  Elsewhere it is checked, widened if need be, and
 * copied.
 */
static CrTally *
writable_tally(FunctionCallInfo fcinfo)
{
	CrTally    *t = (CrTally *) PG_GETARG_POINTER(0);

	if (AggCheckCallContext(fcinfo, NULL))
	{
		if (likely(!VARATT_IS_EXTENDED(t) &&
				   VARSIZE(t) == CR_TALLY_SIZE(CR_TALLY_EXTRA) &&
				   t->nextra == CR_TALLY_EXTRA))
			return t;
		return get_tally(fcinfo, 0);
	}
	t = get_tally(fcinfo, 0);
	if (t != (CrTally *) PG_GETARG_POINTER(0))
		return t;				/* already a copy */
	return memcpy(palloc(VARSIZE(t)), t, VARSIZE(t));
}

PG_FUNCTION_INFO_V1(comm_batch_tally_in);
PG_FUNCTION_INFO_V1(comm_batch_tally_out);
PG_FUNCTION_INFO_V1(comm_batch_tally_recv);
PG_FUNCTION_INFO_V1(comm_batch_tally_send);
PG_FUNCTION_INFO_V1(comm_batch_tally_add);
PG_FUNCTION_INFO_V1(comm_batch_tally_combine);
PG_FUNCTION_INFO_V1(comm_batch_tally_summary);
PG_FUNCTION_INFO_V1(comm_batch_tally_status_counts);
PG_FUNCTION_INFO_V1(comm_batch_tally_from_state);

Datum
comm_batch_tally_in(PG_FUNCTION_ARGS)
{
	CrTally    *t = new_tally();
	CrTallyRef	ref = tally_ref(t);

	if (!cr_tally_in(&ref, PG_GETARG_CSTRING(0), CR_TALLY_EXTRA, fcinfo->context))
		return (Datum) 0;
	PG_RETURN_POINTER(t);
}

Datum
comm_batch_tally_out(PG_FUNCTION_ARGS)
{
	CrTallyRef	t = tally_ref(get_tally(fcinfo, 0));

	PG_RETURN_CSTRING(cr_tally_out(&t, cr_tally_shown(&t)));
}

Datum
comm_batch_tally_recv(PG_FUNCTION_ARGS)
{
	CrTally    *t = new_tally();
	CrTallyRef	ref = tally_ref(t);

	cr_tally_recv(&ref, (StringInfo) PG_GETARG_POINTER(0), CR_TALLY_EXTRA);
	PG_RETURN_POINTER(t);
}

Datum
comm_batch_tally_send(PG_FUNCTION_ARGS)
{
	CrTallyRef	t = tally_ref(get_tally(fcinfo, 0));

	PG_RETURN_BYTEA_P(cr_tally_send(&t, cr_tally_shown(&t)));
}

/* Transition: count one result (STRICT: a NULL result is not counted). */
Datum
comm_batch_tally_add(PG_FUNCTION_ARGS)
{
	CrTally    *s = writable_tally(fcinfo);
	CrTallyRef	t = tally_ref(s);

	cr_tally_add(&t, PG_GETARG_COMM_RESULT_PREFIX(1));
	PG_RETURN_POINTER(s);
}

/* Combine two partial states; either may be empty (a worker saw no rows). */
Datum
comm_batch_tally_combine(PG_FUNCTION_ARGS)
{
	CrTally    *s = writable_tally(fcinfo);
	CrTallyRef	t = tally_ref(s);
	CrTallyRef	o = tally_ref(get_tally(fcinfo, 1));

	cr_tally_combine(&t, &o);
	PG_RETURN_POINTER(s);
}

Datum
comm_batch_tally_status_counts(PG_FUNCTION_ARGS)
{
	CrTallyRef	t = tally_ref(get_tally(fcinfo, 0));

	PG_RETURN_JSONB_P(cr_tally_status_counts(&t));
}

Datum
comm_batch_tally_summary(PG_FUNCTION_ARGS)
{
	CrTallyRef	t = tally_ref(get_tally(fcinfo, 0));

	return cr_tally_summary(fcinfo, &t);
}

/* The cast from comm_batch_state: the same counts, none for the new statuses. */
Datum
comm_batch_tally_from_state(PG_FUNCTION_ARGS)
{
	CrTally    *t = new_tally();

	memcpy(&t->core, PG_GETARG_POINTER(0), sizeof(CrBatchState));
	PG_RETURN_POINTER(t);
}
