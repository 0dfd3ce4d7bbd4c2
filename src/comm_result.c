/*
 * comm_result.c
 *		The module's magic block.  The type's code lives in the cr_*.c files,
 *		one job each; comm_status.c holds the status type.
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;
