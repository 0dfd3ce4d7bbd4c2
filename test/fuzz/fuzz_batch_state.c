/*
 * fuzz_batch_state.c -- comm_batch_state, the report state of 1.0 to 1.2:
 * text and binary input, and its functions beside comm_batch_tally's.
 *
 * Generates states (gen_state.c) as text and binary, consistent or with
 * fields broken, byte-mutated; and calls of comm_batch_state_add and
 * _combine on generated states and comm_result values (function input).
 * Checks that a consistent state is accepted and printed canonically; that
 * an accepted state round-trips through text and binary, that combining
 * it with the empty state changes nothing, and that the cast to
 * comm_batch_tally keeps its text and its bytes; that combine is
 * commutative and agrees with comm_batch_tally_combine; that adding a value
 * of one of the nine statuses of 1.0 gives what comm_batch_tally_add gives,
 * and adding one of a later status raises 0A000 while the tally counts it.
 */
#include "fuzz.h"

/* Check an accepted state: round trips, the empty state, the cast to comm_batch_tally. */
static void
check_state(PGresult *r, const char *canon, int *bad)
{
	Buf			out = {0};
	const char *v2[2];
	char		code[6];
	PGresult   *r2;

	b_puts(&out, PQgetvalue(r, 0, 0));
	if (canon)
		invariant(strcmp(out.p, canon) == 0, "a consistent comm_batch_state is not printed canonically", bad);
	v2[0] = out.p;
	v2[1] = PQgetvalue(r, 0, 1);	/* send, as bytea's hex text */
	r2 = run_query_text("SELECT $1::text::comm_batch_state::text = $1::text, "
						"comm_batch_state_send($1::text::comm_batch_state) = $2::bytea, "
						"comm_batch_state_combine($1::text::comm_batch_state, " EMPTY_STATE ")::text = $1::text, "
						"comm_batch_state_combine(" EMPTY_STATE ", $1::text::comm_batch_state)::text = $1::text, "
						"($1::text::comm_batch_state)::comm_batch_tally::text = $1::text, "
						"comm_batch_tally_send(($1::text::comm_batch_state)::comm_batch_tally) = $2::bytea",
						2, v2, code, bad);
	if (!r2)
		invariant(0, "re-reading an accepted comm_batch_state failed", bad);
	else
	{
		static const char *what[] = {
			"comm_batch_state text round trip differs",
			"comm_batch_state send differs after text round trip",
			"combining with an empty state changed the state",
			"combining the empty state with a state is not that state",
			"the cast to comm_batch_tally changed the text",
			"the cast to comm_batch_tally changed the binary form",
		};

		for (int i = 0; i < 6; i++)
			invariant(strcmp(PQgetvalue(r2, 0, i), "t") == 0, what[i], bad);
		PQclear(r2);
	}
	b_free(&out);
}

void
fuzz_batch_state(int *bad)
{
	char		code[6];
	PGresult   *r;
	State		s;
	Buf			canon = {0};
	int			wild = !one_in(3),
				broken = wild && one_in(2),
				mangled;

	cur_cat = "batch_state";
	gen_state(&s, STATE_STATUSES, broken);
	state_text(&canon, &s, STATE_STATUSES, 1);
	if (one_in(2))
	{
		const char *vals[1];

		state_text(&cur_input, &s, STATE_STATUSES, 0);
		mangled = wild && one_in(2);
		if (mangled)
			mutate_bytes(&cur_input, 1 + (int) rn(3));
		vals[0] = cur_input.p;
		r = run_query_text("SELECT x::text, comm_batch_state_send(x), "
						   "(comm_batch_state_summary(x)).total, comm_batch_state_status_counts(x) "
						   "FROM (SELECT $1::comm_batch_state AS x) s", 1, vals, code, bad);
	}
	else
	{
		Oid			types[1] = {cbs_oid};
		const char *vals[1];
		int			lens[1],
					fmts[1] = {1};

		state_wire(&cur_input, &s, STATE_STATUSES);
		mangled = s.wild;		/* the wire may be cut or flipped too */
		vals[0] = cur_input.p;
		lens[0] = (int) cur_input.len;
		r = run_query("SELECT $1::text, comm_batch_state_send($1), (comm_batch_state_summary($1)).total, "
					  "comm_batch_state_status_counts($1)", 1, types, vals, lens, fmts, 0, code, bad);
	}
	tally(r, code);
	invariant(r || broken || mangled, "a consistent comm_batch_state was refused", bad);
	if (r)
	{
		check_state(r, broken || mangled ? NULL : canon.p, bad);
		PQclear(r);
	}
	b_free(&canon);
}

/*
 * comm_batch_state_add raised 0A000: the value's status must be a later
 * one, which comm_batch_tally counts.
 */
static void
check_refused_add(const char *state, const char *value, int *bad)
{
	const char *vals[2] = {value, state};
	char		code[6];
	PGresult   *r = run_query_text("SELECT coalesce(request_status($1::comm_result)::text, 'PENDING'), "
								   "(comm_batch_tally_status_counts(comm_batch_tally_add($2::comm_batch_state::comm_batch_tally, "
								   " $1::comm_result)) ->> coalesce(request_status($1::comm_result)::text, 'PENDING'))::bigint > 0",
								   2, vals, code, bad);
	int			pos;

	if (!r)
	{
		invariant(0, "comm_batch_tally_add failed where comm_batch_state_add raised 0A000", bad);
		return;
	}
	pos = status_pos(PQgetvalue(r, 0, 0), strlen(PQgetvalue(r, 0, 0)));
	invariant(pos >= 0 && statuses[pos].code >= STATE_STATUSES,
			  "comm_batch_state_add raised 0A000 for a status of 1.0", bad);
	invariant(strcmp(PQgetvalue(r, 0, 1), "t") == 0, "comm_batch_tally_add did not count a status of 1.3", bad);
	PQclear(r);
}

/*
 * comm_batch_state_add and _combine on generated states and a value,
 * beside comm_batch_tally_add and _combine.
 */
void
fuzz_state_functions(Args *A, int *bad)
{
	char		code[6];
	PGresult   *r;
	const char *add_vals[2];

	gen_state_text(&A->a[0], one_in(4));
	gen_state_text(&A->a[1], one_in(4));
	arg_value(&A->a[2], NULL, NULL);
	args_final(A, 3);
	record_args(A, 3, "comm_batch_state_add/combine");
	r = run_query_text("SELECT comm_batch_state_combine($1::comm_batch_state, $2::comm_batch_state)::text = "
					   "comm_batch_state_combine($2::comm_batch_state, $1::comm_batch_state)::text, "
					   "comm_batch_state_summary(comm_batch_state_combine($1::comm_batch_state, $2::comm_batch_state)), "
					   "comm_batch_tally_combine($1::comm_batch_state::comm_batch_tally, $2::comm_batch_state::comm_batch_tally)::text = "
					   "comm_batch_state_combine($1::comm_batch_state, $2::comm_batch_state)::text",
					   2, A->v, code, bad);
	tally(r, code);
	if (r)
	{
		invariant(strcmp(PQgetvalue(r, 0, 0), "t") == 0, "comm_batch_state_combine is not commutative", bad);
		invariant(strcmp(PQgetvalue(r, 0, 2), "t") == 0,
				  "comm_batch_tally_combine of two cast states differs from comm_batch_state_combine", bad);
		PQclear(r);
	}

	add_vals[0] = A->v[0];
	add_vals[1] = A->v[2];
	r = run_query_text("SELECT coalesce(request_status(r)::text, 'PENDING'), comm_batch_state_add(s, r)::text, "
					   "comm_batch_state_add(s, r)::comm_batch_tally::text = comm_batch_tally_add(s::comm_batch_tally, r)::text, "
					   "comm_batch_state_status_counts(comm_batch_state_add(s, r)) = "
					   "comm_batch_tally_status_counts(comm_batch_tally_add(s::comm_batch_tally, r)) "
					   "FROM (SELECT $1::comm_batch_state s, $2::comm_result r) x", 2, add_vals, code, bad);
	tally(r, code);
	if (!r && strcmp(code, "0A000") == 0)
		check_refused_add(A->v[0], A->v[2], bad);
	if (r)
	{
		int			pos = status_pos(PQgetvalue(r, 0, 0), strlen(PQgetvalue(r, 0, 0)));

		invariant(pos >= 0 && statuses[pos].code < STATE_STATUSES,
				  "comm_batch_state_add counted a status of 1.3, which it cannot hold", bad);
		invariant(strcmp(PQgetvalue(r, 0, 2), "t") == 0,
				  "comm_batch_state_add differs from comm_batch_tally_add", bad);
		invariant(strcmp(PQgetvalue(r, 0, 3), "t") == 0,
				  "comm_batch_state_status_counts differs from comm_batch_tally_status_counts after an add", bad);
		PQclear(r);
	}
}
