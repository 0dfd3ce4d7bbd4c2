/*
 * comm_status.h
 *		The request statuses, as a one-byte base type.  The numbering is the
 *		sort order and is stored on disk: never renumber, only append.
 */
#ifndef COMM_STATUS_H
#define COMM_STATUS_H

#include "postgres.h"

#define CR_STATUS_COUNT 9

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
	CR_STATUS_SKIPPED
} CrStatus;

extern const char *const cr_status_names[CR_STATUS_COUNT];
extern const char *const cr_status_list;

/* The status named by exactly these bytes, or -1. */
extern int	cr_status_lookup(const char *s, int len);

#define DatumGetCommStatus(d)	((int) DatumGetUInt8(d))
#define CommStatusGetDatum(s)	UInt8GetDatum((uint8) (s))
#define PG_GETARG_COMM_STATUS(n)	DatumGetCommStatus(PG_GETARG_DATUM(n))
#define PG_RETURN_COMM_STATUS(s)	return CommStatusGetDatum(s)

#endif							/* COMM_STATUS_H */
