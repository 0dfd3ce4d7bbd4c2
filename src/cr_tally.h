/*
 * cr_tally.h
 *		The per-batch report state, shared by its two SQL types:
 *		comm_batch_state (1.0: fixed length, the nine statuses of 1.0) and
 *		comm_batch_tally (1.3: comm_batch_state's fields, then the counts of
 *		the statuses added since, as many as the status table holds).
 *		Both are read and written through a CrTallyRef, so the rules, the
 *		text and binary forms and the report are written once.
 */
#ifndef CR_TALLY_H
#define CR_TALLY_H

#include "comm_result.h"
#include "comm_status.h"

#define CRB_CREATED		0x1		/* first/last_created_at are set */
#define CRB_SENT		0x2		/* first/last_sent_at are set */

/* instants[]: first and last created_at, first and last sent_at. */
#define CRB_FIRST_CREATED	0
#define CRB_LAST_CREATED	1
#define CRB_FIRST_SENT		2
#define CRB_LAST_SENT		3

/*
 * comm_batch_state, byte for byte (INTERNALLENGTH = 128, never changed):
 * the counts of the nine statuses of 1.0, by code.
 */
typedef struct CrBatchState
{
	int64		total;
	int64		counts[CR_STATUS_COUNT_1_0];
	int64		attempts;
	int32		max_attempts;
	int32		flags;
	TimestampTz instants[4];
} CrBatchState;

/*
 * comm_batch_tally: a varlena holding a comm_batch_state and the counts of
 * the statuses after the ninth, by code.  This build writes
 * CR_STATUS_COUNT - 9 of them; one written by a build that knew fewer
 * statuses is widened when read.
 */
typedef struct CrTally
{
	int32		vl_len_;
	int32		nextra;
	CrBatchState core;
	int64		extra[FLEXIBLE_ARRAY_MEMBER];
} CrTally;

#define CR_TALLY_EXTRA		(CR_STATUS_COUNT - CR_STATUS_COUNT_1_0)
#define CR_TALLY_SIZE(nextra)	(offsetof(CrTally, extra) + sizeof(int64) * (nextra))

/* One state of either type. */
typedef struct CrTallyRef
{
	const char *type;			/* the SQL type's name, for messages */
	CrBatchState *core;
	int64	   *extra;
	int			nextra;
} CrTallyRef;

/* The count of one status (it must be one the state counts). */
static inline int64 *
cr_tally_count(const CrTallyRef *t, int status)
{
	return status < CR_STATUS_COUNT_1_0 ? &t->core->counts[status] :
		&t->extra[status - CR_STATUS_COUNT_1_0];
}

extern const char *cr_tally_problem(const CrTallyRef *t);
extern void cr_tally_add(CrTallyRef *t, const struct varlena *value);
extern void cr_tally_combine(CrTallyRef *t, const CrTallyRef *o);
extern int	cr_tally_shown(const CrTallyRef *t);
extern char *cr_tally_out(const CrTallyRef *t, int shown);
extern bool cr_tally_in(CrTallyRef *t, const char *input, int max_extra,
						Node *escontext);
extern bytea *cr_tally_send(const CrTallyRef *t, int shown);
extern void cr_tally_recv(CrTallyRef *t, StringInfo buf, int max_extra);
extern Jsonb *cr_tally_status_counts(const CrTallyRef *t);
extern Datum cr_tally_summary(FunctionCallInfo fcinfo, const CrTallyRef *t);

#endif							/* CR_TALLY_H */
