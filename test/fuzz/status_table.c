/*
 * status_table.c -- comm_status's status table as the server gives it.
 *
 * The harness does not list the statuses again: it reads comm_statuses()
 * once, after connecting, with each status's code (the status byte of
 * comm_result's binary form, read back from comm_result_send), so that a
 * status added to the extension's table is generated and checked here
 * without a change to the harness.  The generators pick statuses from this
 * table; the checks derive what the README promises from it: the order of
 * comm_status, the allowed moves, which statuses are terminal, what the
 * guard trigger lets through (status_can_reach, a search over the moves
 * written here, not the extension's), what merge keeps.
 *
 * Generates nothing random; checks that the table is well formed (known
 * codes, distinct, next statuses that exist).
 */
#include "fuzz.h"

StatusDef	statuses[MAX_STATUSES];
int			n_statuses;

static void
table_failed(const char *what, PGresult *r)
{
	fprintf(stderr, "cannot read the status table (%s): %s", what,
			r ? PQresultErrorMessage(r) : PQerrorMessage(conn));
	exit(3);
}

int
status_pos(const char *name, size_t len)
{
	for (int i = 0; i < n_statuses; i++)
		if (strlen(statuses[i].name) == len && memcmp(statuses[i].name, name, len) == 0)
			return i;
	return -1;
}

int
status_pos_of_code(int code)
{
	for (int i = 0; i < n_statuses; i++)
		if (statuses[i].code == code)
			return i;
	return -1;
}

const char *
pick_status(void)
{
	return statuses[rn((uint64_t) n_statuses)].name;
}

/* "{A,B}" (a text[] of status names) to a bit per position */
static uint32_t
parse_next(const char *arr)
{
	uint32_t	bits = 0;
	const char *p = arr;

	if (*p++ != '{')
		return UINT32_MAX;
	while (*p && *p != '}')
	{
		size_t		n = strcspn(p, ",}");
		int			pos = status_pos(p, n);

		if (pos < 0)
			return UINT32_MAX;
		bits |= (uint32_t) 1 << pos;
		p += n;
		if (*p == ',')
			p++;
	}
	return bits;
}

/*
 * Read comm_statuses(), in comm_status's order, with each status's code: the
 * status byte (offset 3) of the binary form of a value in that status.
 */
void
load_statuses(void)
{
	PGresult   *r = PQexec(conn,
						   "SELECT s.status::text, s.rank, s.terminal, s.next_statuses::text, "
						   " get_byte(comm_result_send(format('{\"batch_id\":\"b\",\"reference_id\":\"r\","
						   "\"target\":\"5550100\",\"request_variables\":{},\"request_status\":\"%s\"}', "
						   "s.status)::comm_result), 3), s.listed "
						   "FROM comm_statuses() WITH ORDINALITY s ORDER BY s.ordinality");

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		table_failed("comm_statuses()", r);
	n_statuses = PQntuples(r);
	if (n_statuses < STATE_STATUSES || n_statuses > MAX_STATUSES)
		table_failed("unexpected number of statuses", NULL);
	/* names first: the next statuses refer to them */
	for (int i = 0; i < n_statuses; i++)
	{
		snprintf(statuses[i].name, sizeof statuses[i].name, "%s", PQgetvalue(r, i, 0));
		statuses[i].rank = atoi(PQgetvalue(r, i, 1));
		statuses[i].terminal = strcmp(PQgetvalue(r, i, 2), "t") == 0;
		statuses[i].code = atoi(PQgetvalue(r, i, 4));
		statuses[i].listed = atoi(PQgetvalue(r, i, 5));
	}
	for (int i = 0; i < n_statuses; i++)
	{
		statuses[i].next = parse_next(PQgetvalue(r, i, 3));
		if (statuses[i].next == UINT32_MAX)
			table_failed("a next status that is not in the table", NULL);
		for (int j = 0; j < i; j++)
			if (statuses[j].code == statuses[i].code)
				table_failed("two statuses with one code", NULL);
	}
	PQclear(r);
}

/* The statuses reachable from the set "from" by moves that are not to INITIATED (with from). */
static uint32_t
closure_without_attempt(uint32_t from, int initiated)
{
	uint32_t	seen = from;

	for (;;)
	{
		uint32_t	more = 0;

		for (int s = 0; s < n_statuses; s++)
			if (seen & ((uint32_t) 1 << s))
				more |= statuses[s].next;
		if (initiated >= 0)
			more &= ~((uint32_t) 1 << initiated);
		if ((more | seen) == seen)
			return seen;
		seen |= more;
	}
}

/*
 * Whether allowed moves lead from "from" to "to" (positions) with exactly
 * "attempts" moves to INITIATED, each of which starts one attempt: what
 * the guard trigger lets through (README, "The guard trigger").  A search
 * over sets: the statuses reachable with k attempts, for k = 0, 1, ...,
 * until the set repeats or empties.
 */
int
status_can_reach(int from, int to, long attempts)
{
	int			initiated = status_pos("INITIATED", 9);
	uint32_t	set;

	if (attempts < 0)
		return 0;
	set = closure_without_attempt((uint32_t) 1 << from, initiated);
	for (long k = 0; k < attempts && set; k++)
	{
		uint32_t	starts = 0,
					next;

		for (int s = 0; s < n_statuses; s++)
			if ((set & ((uint32_t) 1 << s)) && initiated >= 0 &&
				(statuses[s].next & ((uint32_t) 1 << initiated)))
				starts = (uint32_t) 1 << initiated;
		next = starts ? closure_without_attempt(starts, initiated) : 0;
		if (next == set)
			break;				/* every further attempt gives the same set */
		set = next;
	}
	return (set >> to) & 1;
}
