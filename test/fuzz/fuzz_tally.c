/*
 * fuzz_tally.c -- comm_batch_tally, the report state of 1.3: text and
 * binary input, and its functions.
 *
 * Generates states (gen_state.c) counting the nine statuses of 1.0, every
 * status of the table, or more (a later release's), shown canonically or
 * with trailing zero counts, consistent or with fields broken, then
 * byte-mutated text or cut and flipped binary; and a second state and a
 * comm_result value to combine and add.
 *
 * Checks that a consistent state is accepted and printed canonically (the
 * counts after the ninth only as far as the last one that is not zero);
 * that an accepted state's binary form, decoded here, is version 1 of
 * 129 bytes and 8 more per count shown after the ninth, with the text's
 * numbers; that it round-trips through text and binary; that combining it
 * with the empty state changes nothing; that its summary has a column per
 * status of the table with that status's count, agreeing with
 * status_counts, and done exactly when every count of a status that is not
 * terminal is zero; that a state of the nine statuses reads and prints as
 * comm_batch_state does (text, bytes, summary, status counts), and one with
 * a later count is no comm_batch_state; that combine is commutative and
 * adds the totals; that adding a value is combining with the state of that
 * value alone, which counts one of its status.
 */
#include "fuzz.h"

#define TALLY_FIXED 129			/* version byte, total, nine counts, attempts, max, flags, 4 instants */

/*
 * The fields of a text form "(a,b,...,,)": the integers in v, and in set
 * a bit per field that is not empty; the number of fields, or -1.
 */
static int
text_fields(const char *t, int64_t *v, uint64_t *set, int max)
{
	int			n = 0;

	*set = 0;
	if (*t++ != '(')
		return -1;
	while (*t && n < max)
	{
		if (*t != ',' && *t != ')')
			*set |= (uint64_t) 1 << n;
		v[n++] = strtoll(t, NULL, 10);
		t += strcspn(t, ",)");
		if (*t++ != ',')
			break;
	}
	return n;
}

/* the big-endian int64 at p */
static int64_t
get_be64(const unsigned char *p)
{
	return (int64_t) (((uint64_t) get_be(p, 4) << 32) | get_be(p + 4, 4));
}

/*
 * The binary form against the text: version 1, 129 bytes and 8 more per
 * count shown after the ninth, the same numbers, the flags saying which
 * instants the text has; the last count shown after the ninth is not zero;
 * no more counts than the table has statuses.  Returns the number of
 * counts shown (-1 when broken), and the counts by code in counts[].
 */
static int
check_tally_wire(const char *text, const unsigned char *w, int len, int64_t *counts, int *bad)
{
	int64_t		tv[MAX_STATUSES + 8];
	uint64_t	set;
	int			nf = text_fields(text, tv, &set, MAX_STATUSES + 8);
	int			shown = (len - TALLY_FIXED) / 8 + STATE_STATUSES;
	const unsigned char *tail;
	uint32_t	flags;
	char		d[512];

	snprintf(d, sizeof d, "comm_batch_tally_send wrote %d bytes (version %d) for %.200s", len,
			 len ? w[0] : -1, text);
	if (len < TALLY_FIXED || (len - TALLY_FIXED) % 8 != 0 || w[0] != 1 || shown > n_statuses ||
		nf != shown + 7)
	{
		invariant(0, d, bad);
		return -1;
	}
	/* total, the counts and attempts are int64, max_attempts and the flags int32 */
	for (int i = 0; i <= shown + 1; i++)
		if (get_be64(w + 1 + 8 * i) != tv[i])
		{
			snprintf(d, sizeof d, "comm_batch_tally_send's field %d is %" PRId64 ", the text says %" PRId64
					 ": %.200s", i, get_be64(w + 1 + 8 * i), tv[i], text);
			invariant(0, d, bad);
			return -1;
		}
	tail = w + 1 + 8 * (shown + 2);
	flags = get_be(tail + 4, 4);
	snprintf(d, sizeof d, "comm_batch_tally_send's max_attempts %d or flags 0x%x differ from the text: %.200s",
			 (int32_t) get_be(tail, 4), (unsigned) flags, text);
	invariant((int32_t) get_be(tail, 4) == tv[shown + 2] &&
			  flags == (((set >> (shown + 3)) & 1) | (((set >> (shown + 5)) & 1) << 1)), d, bad);
	for (int i = 0; i < MAX_STATUSES; i++)
		counts[i] = i < shown ? tv[i + 1] : 0;
	invariant(shown == STATE_STATUSES || counts[shown - 1] != 0,
			  "comm_batch_tally shows a zero count after the ninth as its last", bad);
	return shown;
}

/* The summary and status counts of an accepted state, against its counts. */
static void
check_tally_summary(PGresult *r, const int64_t *counts, int *bad)
{
	const char *col = PQgetvalue(r, 0, 5);	/* the summary's count columns, in code order */
	int64_t		total = 0,
				open = 0;

	for (int p = 0; p < n_statuses; p++)
	{
		int64_t		c = counts[statuses[p].code];
		char		d[256];

		total += c;
		if (!statuses[p].terminal)
			open += c;
		snprintf(d, sizeof d, "comm_batch_tally_summary's column %.31s is not the count of code %d",
				 statuses[p].name, statuses[p].code);
		invariant(strncmp(col, "none", 4) != 0 && strtoll(col, NULL, 10) == c, d, bad);
		col += strcspn(col, ",");
		if (*col == ',')
			col++;
	}
	invariant(strcmp(PQgetvalue(r, 0, 6), total > 0 && open == 0 ? "t" : "f") == 0,
			  "comm_batch_tally_summary's done is not: some results, all in a terminal status", bad);
	invariant(strcmp(PQgetvalue(r, 0, 7), "t") == 0,
			  "comm_batch_tally_status_counts differs from the summary's columns", bad);
}

/*
 * An accepted state: its binary form, round trips, the empty state, the
 * summary, and comm_batch_state for a state of the nine statuses.
 */
static void
check_tally(const char *text, const char *wire, int wirelen, const char *canon, int *bad)
{
	int64_t		counts[MAX_STATUSES];
	int			shown = check_tally_wire(text, (const unsigned char *) wire, wirelen, counts, bad);
	Oid			types[3] = {TEXTOID, BYTEAOID, tally_oid};
	const char *vals[3] = {text, wire, wire};
	int			lens[3] = {0, wirelen, wirelen},
				fmts[3] = {0, 1, 1};
	char		code[6];
	PGresult   *r;

	if (canon)
		invariant(strcmp(text, canon) == 0, "a consistent comm_batch_tally is not printed canonically", bad);
	if (shown < 0)
		return;
	r = run_query("SELECT $1::comm_batch_tally::text = $1, comm_batch_tally_send($1::comm_batch_tally) = $2, "
				  "$3::text = $1, "
				  "comm_batch_tally_combine($1::comm_batch_tally, " EMPTY_STATE ")::text = $1, "
				  "comm_batch_tally_combine(" EMPTY_STATE ", $1::comm_batch_tally)::text = $1, "
				  "(SELECT string_agg(coalesce(to_jsonb(s) ->> lower(st.status::text), 'none'), ',' ORDER BY st.ordinality) "
				  " FROM comm_statuses() WITH ORDINALITY st), "
				  "(s).done, "
				  "(SELECT coalesce(jsonb_object_agg(st.status, (to_jsonb(s) ->> lower(st.status::text))::bigint) "
				  "  FILTER (WHERE (to_jsonb(s) ->> lower(st.status::text))::bigint > 0), '{}') "
				  " FROM comm_statuses() st) = comm_batch_tally_status_counts($1::comm_batch_tally) "
				  "FROM (SELECT comm_batch_tally_summary($1::comm_batch_tally) s) x",
				  3, types, vals, lens, fmts, 0, code, bad);
	if (!r)
	{
		invariant(0, "re-reading an accepted comm_batch_tally failed", bad);
		return;
	}
	invariant(strcmp(PQgetvalue(r, 0, 0), "t") == 0, "comm_batch_tally text round trip differs", bad);
	invariant(strcmp(PQgetvalue(r, 0, 1), "t") == 0, "comm_batch_tally send differs after text round trip", bad);
	invariant(strcmp(PQgetvalue(r, 0, 2), "t") == 0, "comm_batch_tally binary round trip differs", bad);
	invariant(strcmp(PQgetvalue(r, 0, 3), "t") == 0, "combining a tally with the empty state changed it", bad);
	invariant(strcmp(PQgetvalue(r, 0, 4), "t") == 0, "combining the empty state with a tally is not that tally", bad);
	check_tally_summary(r, counts, bad);
	PQclear(r);

	/* comm_batch_state: the same state when only the nine are shown, else none */
	r = run_query("SELECT $1::comm_batch_state::text = $1, comm_batch_state_send($1::comm_batch_state) = $2, "
				  "to_jsonb(comm_batch_state_summary($1::comm_batch_state)) = to_jsonb(comm_batch_tally_summary($1::comm_batch_tally)), "
				  "comm_batch_state_status_counts($1::comm_batch_state) = comm_batch_tally_status_counts($1::comm_batch_tally)",
				  2, types, vals, lens, fmts, 0, code, bad);
	if (shown > STATE_STATUSES)
		invariant(!r && strcmp(code, "22P02") == 0,
				  "a comm_batch_tally with a count after the ninth reads as a comm_batch_state", bad);
	else if (!r)
		invariant(0, "a comm_batch_tally of the nine statuses of 1.0 is no comm_batch_state", bad);
	else
		for (int i = 0; i < 4; i++)
			invariant(strcmp(PQgetvalue(r, 0, i), "t") == 0,
					  i == 0 ? "comm_batch_state prints a tally of the nine statuses differently" :
					  i == 1 ? "comm_batch_state sends a tally of the nine statuses differently" :
					  i == 2 ? "comm_batch_state's summary differs from comm_batch_tally's" :
					  "comm_batch_state's status counts differ from comm_batch_tally's", bad);
	if (r)
		PQclear(r);
}

/* combine with a second state, add a value */
static void
check_tally_functions(const char *text, int *bad)
{
	State		s;
	Buf			other = {0},
				value = {0};
	const char *vals[3];
	char		code[6];
	PGresult   *r;

	gen_tally(&s, one_in(6));
	state_text(&other, &s, state_shown(&s), 0);
	arg_value(&value, NULL, NULL);
	vals[0] = text;
	vals[1] = other.p;
	vals[2] = value.p;
	r = run_query_text("SELECT comm_batch_tally_combine(t, u)::text = comm_batch_tally_combine(u, t)::text, "
					   "(comm_batch_tally_summary(comm_batch_tally_combine(t, u))).total = "
					   " (comm_batch_tally_summary(t)).total + (comm_batch_tally_summary(u)).total "
					   "FROM (SELECT $1::comm_batch_tally t, $2::comm_batch_tally u) x", 2, vals, code, bad);
	if (r)
	{
		invariant(strcmp(PQgetvalue(r, 0, 0), "t") == 0, "comm_batch_tally_combine is not commutative", bad);
		invariant(strcmp(PQgetvalue(r, 0, 1), "t") == 0, "comm_batch_tally_combine does not add the totals", bad);
		PQclear(r);
	}
	vals[1] = value.p;
	r = run_query_text("SELECT comm_batch_tally_add(t, r)::text = "
					   " comm_batch_tally_combine(t, comm_batch_tally_add(" EMPTY_STATE ", r))::text, "
					   "comm_batch_tally_status_counts(comm_batch_tally_add(" EMPTY_STATE ", r)) = "
					   " jsonb_build_object(coalesce(request_status(r)::text, 'PENDING'), 1) "
					   "FROM (SELECT $1::comm_batch_tally t, $2::comm_result r) x", 2, vals, code, bad);
	if (r)
	{
		invariant(strcmp(PQgetvalue(r, 0, 0), "t") == 0,
				  "comm_batch_tally_add differs from combining with the value's own tally", bad);
		invariant(strcmp(PQgetvalue(r, 0, 1), "t") == 0,
				  "the tally of one value does not count one of its status", bad);
		PQclear(r);
	}
	b_free(&other);
	b_free(&value);
}

void
fuzz_tally(int *bad)
{
	char		code[6];
	PGresult   *r;
	State		s;
	Buf			canon = {0};
	int			wild = one_in(2),
				shown,
				mangled = 0;

	cur_cat = "tally";
	gen_tally(&s, wild && one_in(2));
	shown = tally_input_shown(&s, wild);
	state_text(&canon, &s, state_shown(&s), 1);
	if (one_in(2))
	{
		const char *vals[1];

		state_text(&cur_input, &s, shown, 0);
		if (wild && one_in(3))
		{
			mutate_bytes(&cur_input, 1 + (int) rn(3));
			mangled = 1;
		}
		vals[0] = cur_input.p;
		r = run_query("SELECT x::text, comm_batch_tally_send(x) FROM (SELECT $1::comm_batch_tally AS x) s",
					  1, NULL, vals, NULL, NULL, 1, code, bad);
	}
	else
	{
		Oid			types[1] = {tally_oid};
		const char *vals[1];
		int			lens[1],
					fmts[1] = {1};

		state_wire(&cur_input, &s, shown);
		mangled = s.wild;		/* the wire may be cut or flipped too */
		vals[0] = cur_input.p;
		lens[0] = (int) cur_input.len;
		r = run_query("SELECT $1::text, comm_batch_tally_send($1)", 1, types, vals, lens, fmts, 1, code, bad);
	}
	tally(r, code);
	{
		/* consistent, showing the nine counts and at most the table's */
		int			good = !s.wild && !mangled && shown >= STATE_STATUSES && shown <= n_statuses &&
			state_shown(&s) <= shown;

		invariant(r || !good, "a consistent comm_batch_tally was refused", bad);
		if (r)
		{
			Buf			out = {0};

			b_put(&out, PQgetvalue(r, 0, 0), PQgetlength(r, 0, 0));
			check_tally(out.p, PQgetvalue(r, 0, 1), PQgetlength(r, 0, 1), good ? canon.p : NULL, bad);
			if (one_in(2))
				check_tally_functions(out.p, bad);
			b_free(&out);
			PQclear(r);
		}
	}
	b_free(&canon);
}
