/*
 * setup_13.c -- the fixed inputs of release 1.3, run by setup.c before
 * input 0: the status table, the status byte of the binary form, and one
 * response with an element too large for jsonb.
 *
 * Generates nothing random.  Checks that comm_statuses(),
 * comm_status_transitions(), comm_status_next and comm_status_is_terminal
 * agree, that comm_status sorts in the table's order and that a terminal
 * status moves only to a terminal one of its rank (the renames); that the
 * status byte of a binary comm_result is accepted exactly for the codes of
 * the table (and read as that status) and refused with 22023 for every
 * other byte; and that comm_results_checked on a body holding an element
 * whose request_variables string is one byte over jsonb's limit
 * (268,435,455 bytes) beside a valid element returns a row with 54000 for
 * the first and loads the second, without failing.
 */
#include "fuzz.h"

/* jsonb's longest string (JENTRY_OFFLENMASK), and one byte more */
#define JSONB_MAX_STRING 268435455
#define HUGE_TIMEOUT "300s"

int			skip_huge;			/* --no-huge: leave out the huge element */

/* Run a fixed query that must give "t". */
static void
expect_true(const char *sql, const char *what, int *bad)
{
	char		code[6];
	PGresult   *r;

	b_reset(&cur_input);
	b_puts(&cur_input, sql);
	r = run_query_text(sql, 0, NULL, code, bad);
	cat_count[5]++;
	n_inputs++;
	tally(r, code);
	invariant(r && strcmp(PQgetvalue(r, 0, 0), "t") == 0, what, bad);
	if (r)
		PQclear(r);
}

static void
status_table_steps(int *bad)
{
	expect_true("SELECT (SELECT array_agg(row(from_status, to_status)::text ORDER BY from_status, to_status) "
				"FROM comm_status_transitions()) = (SELECT array_agg(row(s.status, n)::text ORDER BY s.status, n) "
				"FROM comm_statuses() s, unnest(s.next_statuses) n)",
				"comm_status_transitions() differs from comm_statuses()' next statuses", bad);
	expect_true("SELECT bool_and(comm_status_next(status) = next_statuses AND comm_status_is_terminal(status) = terminal) "
				"FROM comm_statuses()",
				"comm_status_next or comm_status_is_terminal differs from comm_statuses()", bad);
	expect_true("SELECT array_agg(status ORDER BY status) = array_agg(status ORDER BY s.ordinality) "
				"FROM comm_statuses() WITH ORDINALITY s",
				"comm_status does not sort in the order of comm_statuses()", bad);
	expect_true("SELECT array_agg(listed ORDER BY listed) = array_agg((g - 1)::int ORDER BY g) "
				"FROM comm_statuses() WITH ORDINALITY s(status, listed, rank, terminal, next_statuses, note, g)",
				"comm_statuses()' listed is not a place from 0 for each status", bad);
	expect_true("SELECT NOT EXISTS (SELECT FROM comm_statuses() s, unnest(s.next_statuses) n "
				"JOIN comm_statuses() t ON t.status = n WHERE s.terminal AND (t.rank <> s.rank OR NOT t.terminal))",
				"a terminal status may move to a status that is not a rename of it", bad);
}

/*
 * Every status byte: a binary comm_result (version 1, status present) is
 * accepted exactly when the byte is a code of the table, and then reads as
 * that status; any other byte is 22023.
 */
static void
status_byte_sweep(int *bad)
{
	Buf			p = {0};
	Oid			types[1] = {cr_oid};
	int			fmts[1] = {1};

	for (int code_byte = 0; code_byte < 256; code_byte++)
	{
		const char *vals[1];
		int			lens[1];
		char		code[6],
					d[256];
		int			pos = status_pos_of_code(code_byte);
		PGresult   *r;

		b_reset(&p);
		b_putc(&p, 1);
		b_be(&p, 0x0001, 2);
		b_putc(&p, (char) code_byte);
		b_be(&p, 0, 4);
		for (int i = 0; i < 4; i++)
			b_be(&p, 0, 8);
		b_be(&p, 1, 4);
		b_putc(&p, 'b');
		b_be(&p, 1, 4);
		b_putc(&p, 'r');
		b_be(&p, 7, 4);
		b_puts(&p, "5550100");
		b_be(&p, (uint64_t) -1, 4);
		b_be(&p, 2, 4);
		b_puts(&p, "{}");
		b_copy(&cur_input, &p);
		vals[0] = p.p;
		lens[0] = (int) p.len;
		r = run_query("SELECT request_status($1)::text", 1, types, vals, lens, fmts, 0, code, bad);
		cat_count[5]++;
		n_inputs++;
		tally(r, code);
		snprintf(d, sizeof d, "status byte %d: %s, %s", code_byte, r ? PQgetvalue(r, 0, 0) : code,
				 pos >= 0 ? statuses[pos].name : "not a code of the table");
		invariant(pos >= 0 ? (r && strcmp(PQgetvalue(r, 0, 0), statuses[pos].name) == 0) :
				  (!r && strcmp(code, "22023") == 0), d, bad);
		if (r)
			PQclear(r);
	}
	b_free(&p);
}

/*
 * A response whose first element's request_variables string is one byte
 * longer than jsonb can hold, beside a valid element: a row with 54000,
 * and the other loaded.  About 270 MB in the body, so once per run, with a
 * statement_timeout of HUGE_TIMEOUT for that statement alone: it takes
 * about 30 s on a loaded 2-core machine, longer under the sanitizers.
 */
static void
huge_element(int *bad)
{
	static const char *pre = "[{\"reference_id\":\"1\",\"target\":\"+15125550001\",\"request_variables\":{\"v\":\"";
	static const char *post = "\"}},\n {\"reference_id\":\"2\",\"target\":\"+15125550002\",\"request_variables\":{}}]";
	size_t		n = (size_t) JSONB_MAX_STRING + 1;
	Buf			body = {0};
	Oid			types[2] = {TEXTOID, TEXTOID};
	const char *vals[2];
	int			lens[2],
				fmts[2] = {1, 1};	/* binary text: no text-format copy on the server */
	char		code[6];
	PGresult   *r,
			   *t;

	b_puts(&body, pre);
	b_reserve(&body, n);
	memset(body.p + body.len, 'x', n);
	body.len += n;
	body.p[body.len] = '\0';
	b_puts(&body, post);
	vals[0] = body.p;
	vals[1] = "20260801.1";
	lens[0] = (int) body.len;
	lens[1] = (int) strlen(vals[1]);
	b_reset(&cur_input);
	b_printf(&cur_input, "comm_results_checked on %s<%zu x>%s", pre, n, post);

	t = run_query_text("SET statement_timeout = '" HUGE_TIMEOUT "'", 0, NULL, code, bad);
	if (t)
		PQclear(t);
	r = run_query("SELECT ordinal, result IS NOT NULL, errors -> 0 ->> 'sqlstate', errors -> 0 ->> 'field', "
				  "length(element), reference_id(result) FROM comm_results_checked($1, $2)",
				  2, types, vals, lens, fmts, 0, code, bad);
	t = run_query_text("SET statement_timeout = '10s'", 0, NULL, code, bad);
	if (t)
		PQclear(t);
	cat_count[5]++;
	n_inputs++;
	tally(r, code);
	invariant(r && PQntuples(r) == 2, "the body with a huge element did not give two rows", bad);
	if (r && PQntuples(r) == 2)
	{
		char		d[256];

		snprintf(d, sizeof d, "the huge element's row: valid %s, %s in %s, %s bytes", PQgetvalue(r, 0, 1),
				 PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3), PQgetvalue(r, 0, 4));
		invariant(strcmp(PQgetvalue(r, 0, 1), "f") == 0 && strcmp(PQgetvalue(r, 0, 2), "54000") == 0 &&
				  strcmp(PQgetvalue(r, 0, 3), "request_variables") == 0 &&
				  atol(PQgetvalue(r, 0, 4)) == (long) (strlen(pre) + n + 2), d, bad);
		invariant(strcmp(PQgetvalue(r, 1, 1), "t") == 0 && strcmp(PQgetvalue(r, 1, 5), "2") == 0,
				  "the element beside the huge one was not loaded", bad);
	}
	if (r)
		PQclear(r);
	b_free(&body);
}

void
setup_13(int *bad)
{
	cur_cat = "setup";
	status_table_steps(bad);
	status_byte_sweep(bad);
	if (!skip_huge)
		huge_element(bad);
}
