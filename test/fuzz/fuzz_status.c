/*
 * fuzz_status.c -- the comm_status functions, and the lifecycle rules that
 * follow from the status table: comm_result_transition, the guard trigger
 * and comm_result_merge on two snapshots of one request that differ only
 * in request_status and attempt_count.
 *
 * Generates status arguments (the table's names, NULL, misspelt ones) and
 * pairs of snapshots (either status may be absent; attempt_count grows,
 * stays or shrinks).  Checks every answer against the table read from
 * comm_statuses() (status_table.c), so that a status added to the
 * extension's table is checked without a change here:
 * comm_status_next, comm_status_is_terminal and comm_status_can_transition
 * say what the table says and comm_status_transitions() has one row per
 * move of it; comm_status_cmp and < follow the code order;
 * comm_result_transition allows exactly the table's moves (moving to
 * INITIATED starts an attempt); the guard lets an update through exactly
 * when status_can_reach finds a path with as many attempts as
 * attempt_count grew by, else 23514; merge keeps the snapshot further
 * along by (attempt_count, rank), and at equal progress the status later
 * in the API's listing, comm_statuses()' listed (a present one over an
 * absent one).
 */
#include "fuzz.h"

/* the position of a status argument: -1 for NULL, -2 for a name not in the table */
static int
arg_pos(const Args *A, int i)
{
	if (A->isnull[i])
		return -1;
	return status_pos(A->a[i].p, A->a[i].len) >= 0 ? status_pos(A->a[i].p, A->a[i].len) : -2;
}

/* The table's next statuses of position p as comm_status_next prints them: {A,B} */
static void
next_text(Buf *b, int p)
{
	int			n = 0;

	b_reset(b);
	b_putc(b, '{');
	for (int s = 0; s < n_statuses; s++)
		if (statuses[p].next & ((uint32_t) 1 << s))
			b_printf(b, "%s%s", n++ ? "," : "", statuses[s].name);
	b_putc(b, '}');
}

static int
n_moves(void)
{
	int			n = 0;

	for (int s = 0; s < n_statuses; s++)
		for (int t = 0; t < n_statuses; t++)
			n += (statuses[s].next >> t) & 1;
	return n;
}

static int
sign(int x)
{
	return (x > 0) - (x < 0);
}

/* comm_status_next, _is_terminal, _can_transition, _transitions, _cmp, < and the hash */
void
fuzz_status_functions(Args *A, int *bad)
{
	char		code[6];
	PGresult   *r;
	int			p1,
				p2,
				pending = status_pos("PENDING", 7);
	Buf			want = {0};
	char		d[1024];

	arg_status(&A->a[0], &A->isnull[0]);
	arg_status(&A->a[1], &A->isnull[1]);
	args_final(A, 2);
	record_args(A, 2, "comm_status");
	p1 = arg_pos(A, 0);
	p2 = arg_pos(A, 1);
	r = run_query_text("SELECT comm_status_next($1::comm_status)::text, comm_status_is_terminal($1::comm_status), "
					   "comm_status_can_transition($1::comm_status, $2::comm_status), "
					   "$2::comm_status IS NULL OR comm_status_can_transition($1::comm_status, $2::comm_status) IS NOT DISTINCT FROM "
					   "($2::comm_status = ANY (comm_status_next(coalesce($1::comm_status, 'PENDING'))) "
					   " OR coalesce($1::comm_status, 'PENDING') = $2::comm_status), "
					   "(SELECT count(*) FROM comm_status_transitions()), "
					   "comm_status_cmp($1::comm_status, $2::comm_status), "
					   "comm_status_hash($1::comm_status) IS NOT DISTINCT FROM comm_status_hash($1::text::comm_status), "
					   "($1::comm_status < $2::comm_status) IS NOT DISTINCT FROM (comm_status_cmp($1::comm_status, $2::comm_status) < 0)",
					   2, A->v, code, bad);
	tally(r, code);
	invariant(r || (p1 == -2 || p2 == -2), "the comm_status functions refused statuses of the table", bad);
	if (!r)
		return;
	invariant(strcmp(PQgetvalue(r, 0, 3), "t") == 0 || PQgetisnull(r, 0, 3),
			  "comm_status_can_transition disagrees with comm_status_next", bad);
	snprintf(d, sizeof d, "comm_status_transitions() has %s rows, the status table %d moves",
			 PQgetvalue(r, 0, 4), n_moves());
	invariant(atoi(PQgetvalue(r, 0, 4)) == n_moves(), d, bad);
	invariant(strcmp(PQgetvalue(r, 0, 6), "t") == 0, "comm_status text round trip changes its hash", bad);
	invariant(strcmp(PQgetvalue(r, 0, 7), "t") == 0, "comm_status's < disagrees with comm_status_cmp", bad);
	if (p1 >= 0)
	{
		next_text(&want, p1);
		snprintf(d, sizeof d, "comm_status_next(%s) is %.80s, the table says %.80s", statuses[p1].name,
				 PQgetvalue(r, 0, 0), want.p);
		invariant(strcmp(PQgetvalue(r, 0, 0), want.p) == 0, d, bad);
		snprintf(d, sizeof d, "comm_status_is_terminal(%s) disagrees with comm_statuses()", statuses[p1].name);
		invariant(strcmp(PQgetvalue(r, 0, 1), statuses[p1].terminal ? "t" : "f") == 0, d, bad);
	}
	if (p2 >= 0 && !PQgetisnull(r, 0, 2))
	{
		int			from = p1 >= 0 ? p1 : pending;	/* absent counts as PENDING */
		int			ok = from == p2 || ((statuses[from].next >> p2) & 1);

		snprintf(d, sizeof d, "comm_status_can_transition(%s, %s) is %s", statuses[from].name,
				 statuses[p2].name, PQgetvalue(r, 0, 2));
		invariant(strcmp(PQgetvalue(r, 0, 2), ok ? "t" : "f") == 0, d, bad);
	}
	if (p1 >= 0 && p2 >= 0)
	{
		snprintf(d, sizeof d, "comm_status_cmp(%s, %s) is %s, not in code order", statuses[p1].name,
				 statuses[p2].name, PQgetvalue(r, 0, 5));
		invariant(atoi(PQgetvalue(r, 0, 5)) == sign(p1 - p2), d, bad);
	}
	b_free(&want);
	PQclear(r);
}

/* A snapshot of the request r: status (NULL: absent) and attempt_count as given. */
static void
snapshot(Buf *b, Rec *r, int pos, long attempts)
{
	b_reset(&r->v[K_STATUS]);
	r->present[K_STATUS] = pos >= 0;
	if (pos >= 0)
		b_printf(&r->v[K_STATUS], "\"%s\"", statuses[pos].name);
	b_reset(&r->v[K_ATTEMPT]);
	r->present[K_ATTEMPT] = 1;
	b_printf(&r->v[K_ATTEMPT], "%ld", attempts);
	b_reset(b);
	emit_rec(b, r, 0);
}

/* The status merge keeps: further along by (attempts, rank), else the one listed later. */
static int
merged_status(int pa, long aa, int pb, long ab)
{
	int			pending = status_pos("PENDING", 7);
	int			ra = statuses[pa >= 0 ? pa : pending].rank,
				rb = statuses[pb >= 0 ? pb : pending].rank;

	if (aa != ab)
		return aa > ab ? pa : pb;
	if (ra != rb)
		return ra > rb ? pa : pb;
	if (pa < 0 || pb < 0)
		return pa > pb ? pa : pb;	/* absent (-1) < any present status */
	return statuses[pa].listed > statuses[pb].listed ? pa : pb;
}

/* comm_result_transition(a, to): a move of the table, or 22023 */
static void
check_transition(const char *a, int pa, long aa, int to, int *bad)
{
	int			pending = status_pos("PENDING", 7),
				initiated = status_pos("INITIATED", 9);
	int			from = pa >= 0 ? pa : pending;
	int			ok = from == to || ((statuses[from].next >> to) & 1);
	const char *vals[2] = {a, statuses[to].name};
	char		code[6],
				d[1024];
	PGresult   *r = run_query_text("SELECT request_status(t)::text, attempt_count(t) FROM "
								   "(SELECT comm_result_transition($1::comm_result, $2::comm_status, "
								   "'2026-03-01 10:00:00+00') AS t) s", 2, vals, code, bad);

	snprintf(d, sizeof d, "comm_result_transition from %.31s to %.31s %.12s (the table %s it)",
			 statuses[from].name, statuses[to].name, r ? "was allowed" : code,
			 ok ? "allows" : "does not allow");
	invariant(r ? ok : (!ok && strcmp(code, "22023") == 0), d, bad);
	if (r)
	{
		long		want = aa + (to == initiated && from != initiated);

		/* staying put changes nothing: an absent status stays absent */
		int			absent = pa < 0 && to == from;

		snprintf(d, sizeof d, "comm_result_transition from %.31s to %.31s gave %.31s at attempt %.12s, not attempt %ld",
				 statuses[from].name, statuses[to].name, PQgetisnull(r, 0, 0) ? "absent" : PQgetvalue(r, 0, 0),
				 PQgetvalue(r, 0, 1), want);
		invariant((absent ? PQgetisnull(r, 0, 0) : strcmp(PQgetvalue(r, 0, 0), statuses[to].name) == 0) &&
				  atol(PQgetvalue(r, 0, 1)) == want, d, bad);
		PQclear(r);
	}
}

/*
 * Two snapshots of one request, identical but for request_status and
 * attempt_count: comm_result_transition, merge and the guard trigger must
 * do what the status table says.
 */
void
fuzz_lifecycle(const char *batch, const char *ref, int *bad)
{
	Rec			rec;
	Buf			a = {0},
				b = {0};
	int			pa = one_in(8) ? -1 : (int) rn((uint64_t) n_statuses),
				pb = one_in(8) ? -1 : (int) rn((uint64_t) n_statuses);
	long		aa = (long) rn(4),
				ab = aa + PICK(((long[]) {-1, 0, 0, 0, 1, 1, 2, 5}));
	const char *vals[2];
	char		code[6],
				d[1024];
	PGresult   *r;
	int			want,
				pending = status_pos("PENDING", 7);

	if (ab < 0)
		ab = 0;
	gen_clean = 1;
	gen_rec(&rec, 1000000, batch, ref, one_in(2));
	gen_clean = 0;
	rec.present[K_BATCH] = rec.present[K_REF] = rec.present[K_TARGET] = rec.present[K_VARS] = 1;
	if (rec.sid_name == SID_BOTH)
		rec.sid_name = SID_TODAY;
	snapshot(&a, &rec, pa, aa);
	snapshot(&b, &rec, pb, ab);
	rec_free(&rec);
	b_reset(&cur_input);
	b_printf(&cur_input, "lifecycle\n%s\n%s\n", a.p, b.p);
	vals[0] = a.p;
	vals[1] = b.p;

	/* merge: the snapshot further along, in either order */
	r = run_query_text("SELECT request_status(m)::text, attempt_count(m), comm_result_merge(b, a) = m "
					   "FROM (SELECT $1::comm_result a, $2::comm_result b) s, "
					   "LATERAL (SELECT comm_result_merge(a, b) m) t", 2, vals, code, bad);
	tally(r, code);
	if (!r)
		goto done;				/* the generated record was invalid */
	want = merged_status(pa, aa, pb, ab);
	snprintf(d, sizeof d, "comm_result_merge of %s (attempt %ld) and %s (attempt %ld) gave %s at attempt %s, not %s",
			 pa >= 0 ? statuses[pa].name : "absent", aa, pb >= 0 ? statuses[pb].name : "absent", ab,
			 PQgetisnull(r, 0, 0) ? "absent" : PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1),
			 want >= 0 ? statuses[want].name : "absent");
	invariant((want < 0 ? PQgetisnull(r, 0, 0) : strcmp(PQgetvalue(r, 0, 0), statuses[want].name) == 0) &&
			  atol(PQgetvalue(r, 0, 1)) == (aa > ab ? aa : ab), d, bad);
	invariant(strcmp(PQgetvalue(r, 0, 2), "t") == 0, "comm_result_merge is not commutative", bad);
	PQclear(r);

	check_transition(a.p, pa, aa, pb >= 0 ? pb : (int) rn((uint64_t) n_statuses), bad);

	/* the guard: the update passes exactly when the table has a path with ab - aa attempts */
	r = run_query_text("WITH d AS (DELETE FROM fz_guard) INSERT INTO fz_guard VALUES ($1::comm_result)", 1, vals, code, bad);
	if (!r)
	{
		invariant(0, "a snapshot merge accepted could not be inserted", bad);
		goto done;
	}
	PQclear(r);
	r = run_query_text("UPDATE fz_guard SET r = $1::comm_result", 1, vals + 1, code, bad);
	{
		int			from = pa >= 0 ? pa : pending,
					to = pb >= 0 ? pb : pending;
		int			ok = status_can_reach(from, to, ab - aa);

		snprintf(d, sizeof d, "the guard %s %s (attempt %ld) -> %s (attempt %ld)%s%s; the status table %s",
				 r ? "let through" : "refused", statuses[from].name, aa, statuses[to].name, ab,
				 r ? "" : " with ", r ? "" : code, ok ? "has a path" : "has no path");
		invariant(r ? ok : (!ok && strcmp(code, "23514") == 0), d, bad);
	}
	if (r)
		PQclear(r);
done:
	b_free(&a);
	b_free(&b);
}
