/*
 * cr_channel.c
 *		Stages of the channel's own status and of the insight workflow's
 *		status.  comm_result_merge lets the snapshot at the later stage win
 *		at equal (attempt_count, rank); values of one stage, and values this
 *		release does not know (stage 0, before every known one), are ordered
 *		by their bytes, so that the order stays total and merge converges.
 *
 * The tables are the one source of truth: comm_channel_statuses() returns
 * them, and README's table is checked against it.  Stages may be refined
 * in a later release only by appending values (a known value never changes
 * stage), because merge results users have stored depend on them.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"

#include "comm_result.h"
#include "cr_channel.h"

typedef struct CrStage
{
	const char *name;
	int			stage;
} CrStage;

/* Stage names, by number. */
static const char *const channel_stage_names[] = {
	"unknown", "queued", "sending", "sent", "delivered", "opened", "clicked",
	"outcome"
};

/*
 * The API's documented channel statuses (e-mail, SMS and voice).  In
 * flight: queued < sending < sent; then delivery and engagement:
 * delivered (for calls, answered by a human or a machine) < opened <
 * clicked; an outcome (bounced, undelivered, no answer, completed, ...)
 * comes after any of them.
 */
static const CrStage channel_stages[] = {
	{"PENDING", 1}, {"ACCEPTED", 1}, {"QUEUED", 1}, {"PROCESSED", 1},
	{"DEFERRED", 1},
	{"SENDING", 2}, {"IN-PROGRESS", 2},
	{"SENT", 3},
	{"DELIVERED", 4}, {"HUMAN", 4}, {"MACHINE", 4},
	{"OPENED", 5},
	{"CLICKED", 6},
	{"DUPLICATE", 7}, {"INVALID", 7}, {"UNEXPECTED_ERROR", 7},
	{"FILTERED_LINE_TYPE", 7}, {"DROPPED", 7}, {"BOUNCED", 7},
	{"SPAM_REPORT", 7}, {"UNSUBSCRIBED", 7}, {"PRIOR_UNSUBSCRIBED", 7},
	{"PRIOR_SPAM_REPORT", 7}, {"PRIOR_DROPPED", 7}, {"PRIOR_BOUNCED", 7},
	{"UNDELIVERED", 7}, {"DELIVERY_UNKNOWN", 7}, {"DELIVERY_FAILED", 7},
	{"BUSY", 7}, {"CANCELED", 7}, {"COMPLETED", 7}, {"DECLINED", 7},
	{"NO-ANSWER", 7}, {"UNKNOWN", 7}, {"FAILED", 7}, {"SIP_NOT_FOUND", 7},
	{"SIP_TEMPORARILY_UNAVAILABLE", 7}, {"SIP_LOOP_DETECTED", 7},
	{"SIP_DOES_NOT_EXIST_ANYWHERE", 7},
};

/* The insight workflow: pending, then a result either way. */
static const CrStage insights_stages[] = {
	{"PENDING", 1}, {"IN_PROGRESS", 1}, {"COMPLETED", 2}, {"FAILED", 2},
};

static int
lookup(const CrStage *table, int n, const char *s, int len)
{
	for (int i = 0; i < n; i++)
		if ((int) strlen(table[i].name) == len && memcmp(table[i].name, s, len) == 0)
			return table[i].stage;
	return 0;
}

int
cr_channel_stage(const char *s, int len)
{
	return lookup(channel_stages, lengthof(channel_stages), s, len);
}

int
cr_insights_stage(const char *s, int len)
{
	return lookup(insights_stages, lengthof(insights_stages), s, len);
}

PG_FUNCTION_INFO_V1(comm_channel_statuses);

/* The channel status table as rows (channel_manager_status, stage, stage_name). */
Datum
comm_channel_statuses(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	const CrStage *row;

	if (SRF_IS_FIRSTCALL())
	{
		funcctx = cr_srf_first_call(fcinfo);
		funcctx->max_calls = lengthof(channel_stages);
	}
	funcctx = SRF_PERCALL_SETUP();
	if (funcctx->call_cntr >= funcctx->max_calls)
		SRF_RETURN_DONE(funcctx);
	row = &channel_stages[funcctx->call_cntr];
	values[0] = CStringGetTextDatum(row->name);
	values[1] = Int32GetDatum(row->stage);
	values[2] = CStringGetTextDatum(channel_stage_names[row->stage]);
	SRF_RETURN_NEXT(funcctx,
					HeapTupleGetDatum(heap_form_tuple(funcctx->tuple_desc, values, nulls)));
}
