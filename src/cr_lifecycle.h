/*
 * cr_lifecycle.h
 *		The status lifecycle, shared by the SQL functions and the guard
 *		trigger.
 */
#ifndef CR_LIFECYCLE_H
#define CR_LIFECYCLE_H

#include "comm_result.h"

extern bool cr_can_transition(int from, int to);
extern bool cr_is_terminal(int status);
extern bool cr_can_reach(int from, int to, int64 attempts);
extern int	cr_effective_status(const CrView *v);
extern char *cr_next_statuses_text(int from);

#endif							/* CR_LIFECYCLE_H */
