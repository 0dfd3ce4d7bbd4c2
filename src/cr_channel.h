/*
 * cr_channel.h
 *		The channel's own lifecycle (channel_manager_status) and the insight
 *		workflow's (insights_status), as stages for merging snapshots.
 */
#ifndef CR_CHANNEL_H
#define CR_CHANNEL_H

#include "postgres.h"

/* Stage of a channel_manager_status; 0 for a value this release does not know. */
extern int	cr_channel_stage(const char *s, int len);
/* Stage of an insights_status; 0 for a value this release does not know. */
extern int	cr_insights_stage(const char *s, int len);

#endif							/* CR_CHANNEL_H */
