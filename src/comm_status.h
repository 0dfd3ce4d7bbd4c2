/*
 * comm_status.h
 *		The request statuses, as a one-byte base type.  A status's code is
 *		stored on disk and sent in binary comm_result values, and it is the
 *		type's sort order: never renumber, only append, so that an index
 *		built by one release is in order for every other (a library put
 *		back after a newer one stored a newer status included).
 */
#ifndef COMM_STATUS_H
#define COMM_STATUS_H

#include "postgres.h"

/* Codes, in the order the statuses were added (1.0, then 1.3). */
typedef enum CrStatus
{
	CR_STATUS_PENDING,
	CR_STATUS_DUPLICATE,
	CR_STATUS_INITIATED,
	CR_STATUS_CONNECTED,
	CR_STATUS_COMPLETED,
	CR_STATUS_FAILED,
	CR_STATUS_CANCELED,
	CR_STATUS_INVALID,
	CR_STATUS_SKIPPED,
	CR_STATUS_CALL_COMPLETED,
	CR_STATUS_SENT,
	CR_STATUS_UNSUBSCRIBED,
	CR_STATUS_COUNT
} CrStatus;

/* The statuses of release 1.0 to 1.2, codes 0 to 8. */
#define CR_STATUS_COUNT_1_0	9

#define CR_STATUS_BIT(s)	(1U << (s))

/* One row of the status table: everything the code knows of a status. */
typedef struct CrStatusDef
{
	const char *name;			/* the API's spelling */
	int			position;		/* in the API's listing: at equal progress,
								 * merge takes the status listed later */
	int			rank;			/* progress: 0 pending, 1 initiated, 2
								 * connected, 3 an outcome */
	bool		terminal;		/* the request is finished */
	uint32		next;			/* the allowed next statuses, as bits */
	const char *note;			/* why it sits where it sits */
} CrStatusDef;

extern const CrStatusDef cr_statuses[CR_STATUS_COUNT];

/* The status named by exactly these bytes, or -1. */
extern int	cr_status_lookup(const char *s, int len);
/* "PENDING, DUPLICATE, ...": every status in code order, for hints. */
extern const char *cr_status_list(void);

#define cr_status_name(s)	(cr_statuses[(s)].name)

#define DatumGetCommStatus(d)	((int) DatumGetUInt8(d))
#define CommStatusGetDatum(s)	UInt8GetDatum((uint8) (s))
#define PG_GETARG_COMM_STATUS(n)	DatumGetCommStatus(PG_GETARG_DATUM(n))
#define PG_RETURN_COMM_STATUS(s)	return CommStatusGetDatum(s)

#endif							/* COMM_STATUS_H */
