/*
 * fuzz_text.c -- text input of comm_result ($1::comm_result).
 *
 * Generates records of either shape (a sixth of today's without batch_id),
 * valid, with edge values, structurally mutated or byte-mutated, and a few
 * fixed odd texts.  Checks an accepted value with check_value.c and the
 * rules of today's shape; for one rejected input in three (and every clean
 * record with both sid names), that comm_result_is_valid is false and
 * comm_result_errors returns rows, listing both names once under
 * call_manager_sid, and calling no field but batch_id and reference_id
 * blank (optional strings may be empty or blank since 1.3).
 */
#include "fuzz.h"

/*
 * A text input of comm_result: mostly valid, often mutated; half of the
 * records are of today's shape (a sixth of those without batch_id).
 */
void
gen_text_input(Buf *b, GenInfo *gi)
{
	Rec			r;
	int			mode = (int) rn(10);

	b_reset(b);
	memset(gi, 0, sizeof *gi);
	if (mode == 0 && one_in(20))
	{
		b_puts(b, PICK(((const char *[]) {
			"", " ", "{}", "[]", "null", "\"s\"", "1", "{", "}", "{\"batch_id\"}",
			"{\"batch_id\":\"b\",}", "\xef\xbb\xbf{}", "{\"batch_id\":\"b\",\"reference_id\":\"r\","
			"\"target\":\"5550100\",\"request_variables\":{}}",
			"{\"reference_id\":\"r\",\"target\":\"+15125551234\",\"request_variables\":{}}",
			"{\"call_manager_sid\":null,\"channel_manager_sid\":null}",
		})));
		return;
	}
	gi->today = one_in(2);
	gen_clean = mode < 3 && one_in(2);
	gen_rec(&r, mode < 3 ? 1000000 : mode < 7 ? 6 : 2, NULL, NULL, gi->today);
	if (gi->today && one_in(6))
		r.present[K_BATCH] = 0;
	gi->clean = gen_clean && r.nwild == 0;
	gen_clean = 0;
	gi->exact = mode < 5;
	gi->both = r.sid_name == SID_BOTH;
	gi->nested = r.nested && r.present[K_INSIGHTS];
	gi->no_batch = !r.present[K_BATCH];
	emit_rec(b, &r, mode >= 5);
	rec_free(&r);
	if (mode >= 7)
		mutate_bytes(b, 1 + (int) rn(4));
}

void
fuzz_text(int *bad)
{
	static const char *sql =
		"SELECT x::text, comm_result_send(x) FROM (SELECT $1::comm_result AS x) s";
	const char *vals[1];
	char		code[6];
	PGresult   *r;

	GenInfo		gi;
	int			both_clean;

	cur_cat = "text";
	gen_text_input(&cur_input, &gi);
	vals[0] = cur_input.p;
	r = run_query(sql, 1, NULL, vals, NULL, NULL, 1, code, bad);
	tally(r, code);
	check_record_rules(&gi, code, bad);
	both_clean = gi.both && gi.exact && gi.clean && strcmp(cur_encoding, "UTF8") == 0;
	if (r)
	{
		Buf			out = {0};

		b_put(&out, PQgetvalue(r, 0, 0), PQgetlength(r, 0, 0));
		check_accepted(out.p, (int) out.len, PQgetvalue(r, 0, 1), PQgetlength(r, 0, 1),
					   cur_input.p, bad);
		b_free(&out);
		PQclear(r);
	}
	else if (strcmp(code, "22021") != 0 && (both_clean || one_in(3)) &&
			 !(strcmp(code, "22P05") == 0 && strcmp(cur_encoding, "UTF8") != 0))
	{
		/*
		 * A rejected input: the validators must agree (or raise a limit),
		 * and list both names of the sid as a problem of that field.
		 */
		const char *sql2 = "SELECT comm_result_is_valid($1), "
			"(SELECT count(*) FROM comm_result_errors($1)), "
			"(SELECT count(*) FROM comm_result_errors($1) "
			" WHERE field = 'call_manager_sid' AND message LIKE '%given under both of its names%'), "
			"(SELECT string_agg(field, ', ') FROM comm_result_errors($1) "
			" WHERE message LIKE '%must not be blank%' AND field NOT IN ('batch_id', 'reference_id'))";
		Oid			t[1] = {TEXTOID};
		PGresult   *r2 = run_query(sql2, 1, t, vals, NULL, NULL, 0, code, bad);

		if (r2)
		{
			invariant(strcmp(PQgetvalue(r2, 0, 0), "f") == 0,
					  "comm_result_is_valid is true for a rejected input", bad);
			invariant(strcmp(PQgetvalue(r2, 0, 1), "0") != 0,
					  "comm_result_errors returns no rows for a rejected input", bad);
			invariant(!both_clean || strcmp(PQgetvalue(r2, 0, 2), "1") == 0,
					  "comm_result_errors does not list both names of the sid once", bad);
			/* since 1.3 only the key may not be blank */
			invariant(PQgetisnull(r2, 0, 3), "comm_result_errors says a field other than the key must not be blank",
					  bad);
			PQclear(r2);
		}
	}
}
