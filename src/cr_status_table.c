/*
 * cr_status_table.c
 *		The status set of comm_status as one table.  Text and binary I/O, the
 *		order of comm_status, the lifecycle (transitions, reachability,
 *		merge ranks, the guard), the batch reports and comm_statuses() all
 *		read it; the next change of the API's status list is a row here
 *		plus its tests.
 *
 * Rows are indexed by code (comm_status.h): codes are stored, never
 * change, and order comm_status (the nine of 1.0 in the API's listing of
 * the time, then the later ones in the order they were added), so that an
 * index built by any release is in order for every other.  position is the
 * API's listing order (its SDKs' RequestStatus enum), where the statuses of
 * 1.3 sit between the others: at equal progress comm_result_merge takes the
 * status listed later, so the later name of a renamed status wins.  rank is
 * the progress merge compares (with attempt_count); terminal says the
 * request is finished (comm_batch_summary's done); next lists the allowed
 * moves.
 *
 * The three statuses of 1.3 were sent by the API and listed in its SDKs'
 * RequestStatus for a while, then renamed or dropped:
 *	CALL_COMPLETED	2025-11 to 2026-03, where COMPLETED is now: a completed
 *					call, COMPLETED's earlier name.  Reached as COMPLETED is.
 *	SENT			2026-02 to 2026-03, listed before the completed call: a
 *					message sent, the outcome of an SMS or e-mail request,
 *					which the API calls COMPLETED since.  Reached from
 *					INITIATED, as COMPLETED is for messages.
 *	UNSUBSCRIBED	2026-03, listed with the pre-dial dispositions: the
 *					target opted out, so the request was never sent.
 *					Reached from PENDING, as SKIPPED is.
 * All three are outcomes (rank 3) and finished (terminal).  A result
 * stored as CALL_COMPLETED or SENT may still become COMPLETED, without a
 * new attempt: when the API reports it again under today's name, merge
 * takes the later name (COMPLETED comes later in the listing) and the
 * guard lets that move pass.
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/memutils.h"

#include "comm_status.h"

#define B(s)	CR_STATUS_BIT(CR_STATUS_##s)

const CrStatusDef cr_statuses[CR_STATUS_COUNT] = {
	[CR_STATUS_PENDING] = {"PENDING", 0, 0, false,
		B(DUPLICATE) | B(INITIATED) | B(FAILED) | B(CANCELED) | B(INVALID) |
		B(UNSUBSCRIBED) | B(SKIPPED),
	"not attempted yet (also an absent status): pre-dial dispositions or the first attempt"},
	[CR_STATUS_DUPLICATE] = {"DUPLICATE", 1, 3, true, 0,
	"a pre-dial disposition"},
	[CR_STATUS_INITIATED] = {"INITIATED", 2, 1, false,
		B(CONNECTED) | B(SENT) | B(CALL_COMPLETED) | B(COMPLETED) | B(FAILED) |
		B(CANCELED),
	"an attempt started; SENT and COMPLETED directly cover SMS and e-mail"},
	[CR_STATUS_CONNECTED] = {"CONNECTED", 3, 2, false,
		B(CALL_COMPLETED) | B(COMPLETED) | B(FAILED),
	"a call was answered"},
	[CR_STATUS_SENT] = {"SENT", 4, 3, true, B(COMPLETED),
	"sent by the API from 2026-02 to 2026-03: a message sent, which the API calls COMPLETED since"},
	[CR_STATUS_CALL_COMPLETED] = {"CALL_COMPLETED", 5, 3, true, B(COMPLETED),
	"sent by the API from 2025-11 to 2026-03: COMPLETED's earlier name for calls"},
	[CR_STATUS_COMPLETED] = {"COMPLETED", 6, 3, true, 0,
	"the outcome of a call, an SMS or an e-mail"},
	[CR_STATUS_FAILED] = {"FAILED", 7, 3, false, B(INITIATED),
	"a retry is a new attempt"},
	[CR_STATUS_CANCELED] = {"CANCELED", 8, 3, true, 0,
	"canceled before or during an attempt"},
	[CR_STATUS_INVALID] = {"INVALID", 9, 3, true, 0,
	"a pre-dial disposition"},
	[CR_STATUS_UNSUBSCRIBED] = {"UNSUBSCRIBED", 10, 3, true, 0,
	"sent by the API in 2026-03: the target opted out, a pre-dial disposition"},
	[CR_STATUS_SKIPPED] = {"SKIPPED", 11, 3, true, 0,
	"a pre-dial disposition"},
};

int
cr_status_lookup(const char *s, int len)
{
	for (int i = 0; i < CR_STATUS_COUNT; i++)
		if ((int) strlen(cr_statuses[i].name) == len &&
			memcmp(cr_statuses[i].name, s, len) == 0)
			return i;
	return -1;
}

const char *
cr_status_list(void)
{
	static char *list = NULL;

	if (list == NULL)
	{
		StringInfoData buf;
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		initStringInfo(&buf);
		for (int i = 0; i < CR_STATUS_COUNT; i++)
			appendStringInfo(&buf, "%s%s", i ? ", " : "", cr_status_name(i));
		MemoryContextSwitchTo(old);
		list = buf.data;
	}
	return list;
}
