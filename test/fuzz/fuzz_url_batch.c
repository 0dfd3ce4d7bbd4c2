/*
 * fuzz_url_batch.c -- today's endpoint: records without batch_id, the
 * batch id taken from the request's URL.
 *
 * Generates comm_result_from_jsonb(record, batch_id) and comm_results(
 * response, batch_id) calls with records without batch_id, with the same
 * one or another one, and batch ids that are blank, odd, long or NULL.
 * Checks that comm_result_from_jsonb gives the cast of the record with the
 * batch id put in (and refuses what that cast refuses), that another batch
 * id is refused with 22023, and that comm_results returns one valid,
 * round-tripping value per element with the URL's batch id, the same as
 * comm_result_from_jsonb of each element and as comm_results(text, ...).
 * gen_response.c takes its batch ids (gen_url_batch) from here.
 */
#include "fuzz.h"

/* s as a JSON string, quotes included */
void
b_json_str(Buf *b, const char *s, size_t n)
{
	b_putc(b, '"');
	for (size_t i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c == '"' || c == '\\')
			b_printf(b, "\\%c", c);
		else if (c < 0x20)
			b_printf(b, "\\u%04x", c);
		else
			b_putc(b, (char) c);
	}
	b_putc(b, '"');
}

/* the batch id of a request's URL: mostly plain, sometimes blank or odd */
void
gen_url_batch(Buf *b, int *isnull)
{
	*isnull = one_in(40);
	b_reset(b);
	if (one_in(12))
		b_puts(b, PICK(((const char *[]) {"", " ", "\xc2\xa0", "\xe2\x80\x8b", "\t", "b\"1", "b\\1",
			"\xf0\x9f\x98\x80", "20260801.1 ", "\xff"})));
	else if (one_in(200))
		gen_long_string(b);
	else
		b_printf(b, "20260801.%u", (unsigned) rn(3));
	b->len = strlen(b->p);
}

/*
 * A record as today's endpoint returns it, for the batch id arg: mostly
 * without batch_id, sometimes with the same one or another one.  A tame
 * record has no edge value, no other batch_id and one name of the sid (so
 * that a response of several records is often accepted as a whole).
 */
static void
gen_url_record(Buf *b, const char *arg, int *own, GenInfo *gi, int tame)
{
	Rec			r;
	int			structural = !tame && one_in(6);

	memset(gi, 0, sizeof *gi);
	gen_rec(&r, !tame && one_in(3) ? 5 : 1000000, NULL, NULL, !one_in(5));
	if (r.sid_name == SID_BOTH && (tame || !one_in(3)))
		r.sid_name = SID_TODAY;
	switch (tame ? 2 * (int) rn(3) : (int) rn(6))
	{
		case 0:
			*own = OWN_SAME;
			b_reset(&r.v[K_BATCH]);
			b_json_str(&r.v[K_BATCH], arg, strlen(arg));
			r.present[K_BATCH] = 1;
			break;
		case 1:
			*own = OWN_OTHER;
			b_reset(&r.v[K_BATCH]);
			b_puts(&r.v[K_BATCH], "\"20260802.9\"");
			r.present[K_BATCH] = 1;
			break;
		default:
			*own = OWN_NONE;
			r.present[K_BATCH] = 0;
	}
	gi->today = 1;
	gi->exact = !structural;
	gi->both = r.sid_name == SID_BOTH;
	gi->nested = r.nested && r.present[K_INSIGHTS];
	gi->no_batch = *own == OWN_NONE;
	emit_rec(b, &r, structural);
	rec_free(&r);
	if (!tame && one_in(8))
	{
		mutate_bytes(b, 1);
		gi->exact = 0;
	}
}

/*
 * comm_result_from_jsonb(record, batch_id) and comm_results(response,
 * batch_id): the URL's batch id goes into records that have none; a record
 * with another one is refused; the result is what the jsonb cast makes of
 * the record with the batch id put in.
 */
void
fuzz_url_batch(int *bad)
{
	Buf			rec = {0},
				arg = {0};
	const char *vals[2];
	char		code[6];
	int			argnull;
	PGresult   *r;
	GenInfo		gi;
	int			own;

	cur_cat = "url_batch";
	gen_url_batch(&arg, &argnull);
	b_reset(&cur_input);
	if (one_in(2))
	{
		gen_url_record(&rec, arg.p, &own, &gi, 0);
		vals[0] = rec.p;
		vals[1] = argnull ? NULL : arg.p;
		b_puts(&cur_input, "comm_result_from_jsonb\n");
		b_puts(&cur_input, rec.p);
		b_puts(&cur_input, argnull ? "\nNULL\n" : "\n");
		if (!argnull)
			b_puts(&cur_input, arg.p);
		r = run_query("SELECT x::text, comm_result_send(x) FROM (SELECT comm_result_from_jsonb($1::jsonb, $2) AS x) s",
					  2, NULL, vals, NULL, NULL, 1, code, bad);
		tally(r, code);
		if (!argnull)			/* STRICT: a NULL batch id gives NULL */
			check_record_rules(&gi, code, bad);
		if (!r && strstr(last_msg, "does not match the batch_id argument"))
			invariant(strcmp(code, "22023") == 0 && (own == OWN_OTHER || !gi.exact),
					  "a batch_id mismatch is not 22023, or the batch ids do match", bad);
		if (r && !PQgetisnull(r, 0, 0))
		{
			PGresult   *r2;

			invariant(!(gi.exact && own == OWN_OTHER),
					  "comm_result_from_jsonb took a record whose batch_id differs from the argument", bad);
			check_result_pair(r, 0, NULL, bad);
			r2 = run_query_text("SELECT batch_id(x) = $2::text, x = ($1::jsonb || jsonb_build_object('batch_id', $2::text))::comm_result "
								"FROM (SELECT comm_result_from_jsonb($1::jsonb, $2::text) AS x) s", 2, vals, code, bad);
			if (!r2)
				invariant(0, "re-reading a record comm_result_from_jsonb took failed", bad);
			else
			{
				invariant(strcmp(PQgetvalue(r2, 0, 0), "t") == 0,
						  "comm_result_from_jsonb's batch_id is not its argument", bad);
				invariant(strcmp(PQgetvalue(r2, 0, 1), "t") == 0,
						  "comm_result_from_jsonb differs from the jsonb cast with the batch_id put in", bad);
				PQclear(r2);
			}
		}
		else if (!r && own == OWN_NONE && gi.exact && !argnull)
		{
			/* refused for a reason of the record: the cast refuses it too */
			PGresult   *r2 = run_query_text("SELECT ($1::jsonb || jsonb_build_object('batch_id', $2::text))::comm_result::text",
											2, vals, code, bad);

			invariant(r2 == NULL, "comm_result_from_jsonb refuses a record the jsonb cast takes with the batch_id put in", bad);
			if (r2)
				PQclear(r2);
		}
	}
	else
	{
		int			n = (int) rn(6),
					must_refuse = 0,
					tame = !one_in(3);
		Buf			resp = {0};

		b_putc(&resp, '[');
		for (int i = 0; i < n; i++)
		{
			b_reset(&rec);
			gen_url_record(&rec, arg.p, &own, &gi, tame);
			must_refuse |= gi.exact && (gi.both || gi.nested || own == OWN_OTHER);
			b_printf(&resp, "%s%s", i ? "," : "", rec.p);
		}
		b_putc(&resp, ']');
		if (one_in(15))
		{
			b_reset(&resp);
			b_puts(&resp, PICK(((const char *[]) {"{}", "null", "1", "[1]", "[[]]", "[null]", "\"[]\"",
				"[{}]", "[{\"reference_id\":\"r\"}]"})));
			n = -1;
			must_refuse = 0;
		}
		vals[0] = resp.p;
		vals[1] = argnull ? NULL : arg.p;
		b_puts(&cur_input, "comm_results\n");
		b_puts(&cur_input, resp.p);
		b_puts(&cur_input, argnull ? "\nNULL\n" : "\n");
		if (!argnull)
			b_puts(&cur_input, arg.p);
		r = run_query_text("SELECT count(*), bool_and(batch_id(r) = $2), bool_and((r::text)::comm_result = r), "
						   "bool_and(comm_result_is_valid(r::text)) FROM comm_results($1::jsonb, $2) r", 2, vals, code, bad);
		tally(r, code);
		memset(&gi, 0, sizeof gi);
		check_record_rules(&gi, code, bad);
		if (r)
		{
			char		d[128];

			snprintf(d, sizeof d, "comm_results returned %s values for %d records",
					 PQgetvalue(r, 0, 0), n);
			invariant(argnull || n < 0 || atoi(PQgetvalue(r, 0, 0)) == n, d, bad);
			invariant(!must_refuse || argnull,
					  "comm_results took a record with both sid names, nested insights or another batch_id", bad);
			for (int i = 1; i <= 3; i++)
				invariant(PQgetisnull(r, 0, i) || strcmp(PQgetvalue(r, 0, i), "t") == 0,
						  i == 1 ? "a value from comm_results(response, batch_id) has another batch_id" :
						  i == 2 ? "a value from comm_results(response, batch_id) does not round trip" :
						  "a value from comm_results(response, batch_id) is not valid as text", bad);
			PQclear(r);
			r = NULL;
			if (!argnull)
			{
				/*
				 * The response as text gives the same values, or refuses what
				 * jsonb had normalised away (a repeated key, 1e2 for 100).
				 */
				char		tcode[6];
				PGresult   *t = run_query_text("SELECT (SELECT array_agg(r::text ORDER BY o) FROM comm_results($1::text, $2) "
											   " WITH ORDINALITY t(r, o)) IS NOT DISTINCT FROM "
											   "(SELECT array_agg(r::text ORDER BY o) FROM comm_results($1::jsonb, $2) "
											   " WITH ORDINALITY t(r, o))", 2, vals, tcode, bad);

				invariant(t ? strcmp(PQgetvalue(t, 0, 0), "t") == 0 :
						  strcmp(tcode, "22P02") == 0 || strcmp(tcode, "22003") == 0,
						  "comm_results(text, batch_id) differs from comm_results(jsonb, batch_id)", bad);
				if (t)
					PQclear(t);
			}
			if (!argnull && one_in(2))
			{
				/* the same values as comm_result_from_jsonb on each element */
				r = run_query_text("SELECT (SELECT array_agg(r::text ORDER BY o) FROM comm_results($1::jsonb, $2) "
								   " WITH ORDINALITY t(r, o)) IS NOT DISTINCT FROM "
								   "(SELECT array_agg(comm_result_from_jsonb(e, $2)::text ORDER BY o) "
								   " FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY t(e, o))", 2, vals, code, bad);
				invariant(r && strcmp(PQgetvalue(r, 0, 0), "t") == 0,
						  "comm_results(response, batch_id) differs from comm_result_from_jsonb of each element", bad);
			}
		}
		b_free(&resp);
	}
	if (r)
		PQclear(r);
	b_free(&rec);
	b_free(&arg);
}
