/*
 * setup.c -- the fixed inputs run before input 0.
 *
 * Generates nothing random: the guard trigger's documented error codes
 * (39P01, 42703, 42804, 23514), the rules of today's shape (both sid names
 * 22P02, another or a blank batch id 22023, a missing batch_id with its
 * HINT, insights and enrichment of the wrong kind, comm_counts basics),
 * the strings of 1.3 (optional strings empty or blank load and are kept as
 * given, "" distinct from null and absent; a blank key is 22023), each
 * with the SQLSTATE it must raise or the value it must give; then a byte
 * sweep of three comm_result binary values and one comm_counts value built
 * from spec-1.2.md: each must be sent back byte for byte, and every byte
 * flipped, set to 0x00 or 0xff, and every prefix must be accepted and pass
 * the value checks, or be refused with a documented SQLSTATE.
 */
#include "fuzz.h"

/* a record of today's shape (SQL literal) with batch_id text and more members */
#define TODAY_REC(batch, more) "'{" batch "\"reference_id\":\"r1\",\"target\":\"+15125551234\"," \
	"\"request_variables\":{\"first_name\":\"Ana\"},\"channel_manager_sid\":\"CA123\"," \
	"\"created_at\":\"2026-08-01T10:00:00Z\",\"sent_at\":null,\"attempt_count\":1,\"session_id\":null," \
	"\"conversation_id\":null,\"request_status\":\"COMPLETED\",\"channel_manager_status\":\"DELIVERED\"," \
	"\"insights_status\":\"COMPLETED\",\"insights\":{\"rating\":\"Good\",\"summary\":\"Booked\",\"score\":4.5}," \
	"\"line_type\":\"mobile\",\"enrichment\":{\"line_type\":\"mobile\",\"carrier_name\":\"Acme\"," \
	"\"mcc\":\"310\",\"mnc\":\"260\",\"error_code\":null}" more "}'"
#define APRIL_REC(more) "'{\"batch_id\":\"b\",\"reference_id\":\"r\",\"target\":\"a@b.co\"," \
	"\"request_variables\":{}" more "}'"

/*
 * The binary forms of three values, built here from the spec (versions 2
 * and 1), must be accepted and sent back byte for byte; then every byte of
 * them, and of a comm_counts value, is flipped, set to 0x00 and 0xff, and
 * every prefix is tried: each must be accepted and round-trip, or be
 * refused with a documented SQLSTATE.
 */
static void
wire_put(Buf *b, const char *s)
{
	if (!s)
	{
		b_be(b, (uint64_t) -1, 4);
		return;
	}
	b_be(b, strlen(s), 4);
	b_puts(b, s);
}

static void
sweep_one(const Buf *p, Oid type, int is_counts, int *bad)
{
	static const int muts[] = {-1, -2, 0x00, 0xff};	/* -1: xor 0x01, -2: xor 0x80 */
	Buf			t = {0};
	const char *sql = is_counts ? "SELECT $1::text, comm_counts_send($1)" :
		"SELECT $1::text, comm_result_send($1)";

	for (size_t pos = 0; pos <= p->len; pos++)
		for (size_t m = 0; m < (pos < p->len ? 5 : 1); m++)
		{
			Oid			types[1] = {type};
			const char *vals[1];
			int			lens[1],
						fmts[1] = {1};
			char		code[6];
			PGresult   *r;

			b_copy(&t, p);
			if (m == 0)
				t.len = pos;	/* a prefix (the whole value last) */
			else if (muts[m - 1] < 0)
				t.p[pos] ^= (char) (muts[m - 1] == -1 ? 0x01 : 0x80);
			else if ((unsigned char) t.p[pos] == muts[m - 1])
				continue;
			else
				t.p[pos] = (char) muts[m - 1];
			b_copy(&cur_input, &t);
			vals[0] = t.p;
			lens[0] = (int) t.len;
			r = run_query(sql, 1, types, vals, lens, fmts, 1, code, bad);
			cat_count[5]++;
			n_inputs++;
			tally(r, code);
			if (pos == p->len)
			{
				/* the value itself: accepted, and sent back as it is */
				invariant(r && PQgetlength(r, 0, 1) == (int) p->len &&
						  memcmp(PQgetvalue(r, 0, 1), p->p, p->len) == 0,
						  is_counts ? "comm_counts_send(recv(x)) differs from x built by the spec" :
						  "comm_result_send(recv(x)) differs from x built by the spec", bad);
			}
			if (r)
			{
				Buf			out = {0};

				b_put(&out, PQgetvalue(r, 0, 0), PQgetlength(r, 0, 0));
				if (is_counts)
					check_counts(out.p, PQgetvalue(r, 0, 1), PQgetlength(r, 0, 1), bad);
				else
					check_accepted(out.p, (int) out.len, PQgetvalue(r, 0, 1), PQgetlength(r, 0, 1),
								   NULL, bad);
				b_free(&out);
				PQclear(r);
			}
		}
	b_free(&t);
}

static void
sweep_binary(int *bad)
{
	Buf			p = {0};

	cur_cat = "setup";
	/* version 2: every field present, the sid named channel_manager_sid */
	b_putc(&p, 2);
	b_be(&p, 0x02AD, 2);
	b_putc(&p, 4);
	b_be(&p, 1, 4);
	b_be(&p, 839239200000000ULL, 8);
	b_be(&p, 839239205000000ULL, 8);
	b_be(&p, 7, 8);
	b_be(&p, 9, 8);
	b_be(&p, 0x02AB, 2);
	wire_put(&p, "b1");
	wire_put(&p, "r1");
	wire_put(&p, "+15125551234");
	wire_put(&p, "CA123");
	wire_put(&p, "{\"first_name\":\"Ana\"}");
	wire_put(&p, "DELIVERED");
	wire_put(&p, "COMPLETED");
	wire_put(&p, "{\"score\":4.5,\"rating\":\"Good\"}");
	wire_put(&p, "mobile");
	wire_put(&p, "{\"mcc\":\"310\",\"error_code\":null}");
	sweep_one(&p, cr_oid, 0, bad);

	/* version 2: every nullable field null */
	b_reset(&p);
	b_putc(&p, 2);
	b_be(&p, 0x0550, 2);
	b_putc(&p, 0);
	b_be(&p, 0, 4);
	for (int i = 0; i < 4; i++)
		b_be(&p, 0, 8);
	b_be(&p, 0x0555, 2);
	wire_put(&p, "b");
	wire_put(&p, "r");
	wire_put(&p, "a@b.co");
	wire_put(&p, NULL);
	wire_put(&p, "{}");
	for (int i = 0; i < 5; i++)
		wire_put(&p, NULL);
	sweep_one(&p, cr_oid, 0, bad);

	/* version 1: April fields only */
	b_reset(&p);
	b_putc(&p, 1);
	b_be(&p, 0x0021, 2);
	b_putc(&p, 1);
	b_be(&p, 0, 4);
	for (int i = 0; i < 4; i++)
		b_be(&p, 0, 8);
	wire_put(&p, "b");
	wire_put(&p, "r");
	wire_put(&p, "+15125551234");
	wire_put(&p, "LM1");
	wire_put(&p, "{}");
	sweep_one(&p, cr_oid, 0, bad);

	/* comm_counts: {"DELIVERED":5,"SENT":2} */
	b_reset(&p);
	b_be(&p, 2, 4);
	wire_put(&p, "DELIVERED");
	b_be(&p, 5, 8);
	wire_put(&p, "SENT");
	b_be(&p, 2, 8);
	sweep_one(&p, counts_oid, 1, bad);
	b_free(&p);
}

void
setup(int *bad)
{
	static const struct
	{
		const char *sql;
		const char *code;		/* expected SQLSTATE, "" for success */
		const char *hint;		/* in the error's HINT, or NULL */
		const char *value;		/* the first column's text on success, or NULL */
	}			steps[] = {
		{"CREATE TEMP TABLE fz_guard (r comm_result)", "", NULL, NULL},
		{"CREATE TRIGGER g BEFORE UPDATE ON fz_guard FOR EACH ROW EXECUTE FUNCTION comm_result_guard()", "", NULL, NULL},
		{"CREATE TEMP TABLE fz_t2 (r comm_result, t text)", "", NULL, NULL},
		{"CREATE TRIGGER g1 BEFORE UPDATE ON fz_t2 FOR EACH ROW EXECUTE FUNCTION comm_result_guard('nope')", "", NULL, NULL},
		{"INSERT INTO fz_t2 VALUES ('{\"batch_id\":\"b\",\"reference_id\":\"r\",\"target\":\"5550100\",\"request_variables\":{}}', 'x')", "", NULL, NULL},
		{"UPDATE fz_t2 SET t = 'y'", "42703", NULL, NULL},
		{"DROP TRIGGER g1 ON fz_t2", "", NULL, NULL},
		{"CREATE TRIGGER g2 BEFORE UPDATE ON fz_t2 FOR EACH ROW EXECUTE FUNCTION comm_result_guard('t')", "", NULL, NULL},
		{"UPDATE fz_t2 SET t = 'y'", "42804", NULL, NULL},
		{"DROP TRIGGER g2 ON fz_t2", "", NULL, NULL},
		{"CREATE TRIGGER g3 AFTER UPDATE ON fz_t2 FOR EACH ROW EXECUTE FUNCTION comm_result_guard()", "", NULL, NULL},
		{"UPDATE fz_t2 SET t = 'y'", "39P01", NULL, NULL},
		{"DROP TRIGGER g3 ON fz_t2", "", NULL, NULL},
		{"CREATE TRIGGER g4 BEFORE UPDATE ON fz_t2 FOR EACH STATEMENT EXECUTE FUNCTION comm_result_guard()", "", NULL, NULL},
		{"UPDATE fz_t2 SET t = 'y'", "39P01", NULL, NULL},
		{"DROP TRIGGER g4 ON fz_t2", "", NULL, NULL},
		{"CREATE TRIGGER g5 BEFORE INSERT ON fz_t2 FOR EACH ROW EXECUTE FUNCTION comm_result_guard()", "", NULL, NULL},
		{"INSERT INTO fz_t2 VALUES (NULL, 'z')", "39P01", NULL, NULL},
		{"DROP TRIGGER g5 ON fz_t2", "", NULL, NULL},
		{"CREATE TEMP TABLE fz_t3 (t text)", "", NULL, NULL},
		{"CREATE TRIGGER g6 BEFORE UPDATE ON fz_t3 FOR EACH ROW EXECUTE FUNCTION comm_result_guard()", "", NULL, NULL},
		{"INSERT INTO fz_t3 VALUES ('a')", "", NULL, NULL},
		{"UPDATE fz_t3 SET t = 'b'", "42804", NULL, NULL},
		{"CREATE TRIGGER g BEFORE UPDATE ON fz_t2 FOR EACH ROW EXECUTE FUNCTION comm_result_guard()", "", NULL, NULL},
		{"UPDATE fz_t2 SET r = NULL", "23514", NULL, NULL},
		/* today's shape: the rules the generated inputs rely on */
		{"SELECT " TODAY_REC("\"batch_id\":\"b\",", "") "::comm_result", "", NULL, NULL},
		{"SELECT comm_result_from_jsonb(" TODAY_REC("", "") ", '20260801.1')", "", NULL, NULL},
		{"SELECT count(*) FROM comm_results(('[' || " TODAY_REC("", "") " || ',' || "
			TODAY_REC("\"batch_id\":\"20260801.1\",", "") " || ']')::jsonb, '20260801.1')", "", NULL, NULL},
		{"SELECT " TODAY_REC("", "") "::comm_result", "22P02", "comm_results(response, batch_id)", NULL},
		{"SELECT " TODAY_REC("\"batch_id\":\"b\",", ",\"call_manager_sid\":null") "::comm_result", "22P02", NULL, NULL},
		{"SELECT " TODAY_REC("\"batch_id\":\"b\",", ",\"call_manager_sid\":null") "::jsonb::comm_result", "22P02", NULL, NULL},
		{"SELECT comm_result_from_jsonb(" TODAY_REC("", ",\"call_manager_sid\":\"LM1\"") ", 'b')", "22P02", NULL, NULL},
		{"SELECT count(*) FROM comm_results(('[' || " TODAY_REC("", ",\"call_manager_sid\":\"LM1\"") " || ']')::jsonb, 'b')", "22P02", NULL, NULL},
		{"SELECT comm_result_from_jsonb(" TODAY_REC("\"batch_id\":\"x\",", "") ", 'b')", "22023", NULL, NULL},
		{"SELECT count(*) FROM comm_results(('[' || " TODAY_REC("\"batch_id\":\"x\",", "") " || ']')::jsonb, 'b')", "22023", NULL, NULL},
		{"SELECT comm_result_from_jsonb(" TODAY_REC("", "") ", ' ')", "22023", NULL, NULL},
		{"SELECT " APRIL_REC(",\"insights\":{\"a\":{\"b\":1}}") "::comm_result", "22P02", NULL, NULL},
		{"SELECT " APRIL_REC(",\"insights\":{\"a\":true}") "::comm_result", "22P02", NULL, NULL},
		{"SELECT " APRIL_REC(",\"insights\":{\"a\":null}") "::comm_result", "22P02", NULL, NULL},
		{"SELECT " APRIL_REC(",\"insights\":{\"a\":[\"x\"]}") "::jsonb::comm_result", "22P02", NULL, NULL},
		{"SELECT " APRIL_REC(",\"insights\":[]") "::comm_result", "22P02", NULL, NULL},
		{"SELECT " APRIL_REC(",\"enrichment\":\"x\"") "::comm_result", "22P02", NULL, NULL},
		{"SELECT " APRIL_REC(",\"enrichment\":{\"a\":{\"b\":[null,true]}}") "::comm_result", "", NULL, NULL},
		/* 1.3: optional strings load empty or blank, kept as given; the key may not be blank */
		{"SELECT line_type(" APRIL_REC(",\"line_type\":\" \"") "::comm_result) = ' '", "", NULL, "t"},
		{"SELECT channel_manager_status(" APRIL_REC(",\"channel_manager_status\":\"\"") ") = ''", "", NULL, "t"},
		{"SELECT insights_status(" APRIL_REC(",\"insights_status\":\"\\u00a0\"") ") = chr(160)", "", NULL, "t"},
		{"SELECT call_manager_sid(" APRIL_REC(",\"call_manager_sid\":\"\"") ") = ''", "", NULL, "t"},
		{"SELECT (comm_result_all_fields(" APRIL_REC(",\"channel_manager_sid\":\"\\t \"") ")).sid_name", "",
		NULL, "channel_manager_sid"},
		{"SELECT line_type(" APRIL_REC(",\"line_type\":\"\\u200b\"") "::jsonb::comm_result) = chr(8203)", "", NULL, "t"},
		{"SELECT insights(x) ->> 'rating' = '' AND enrichment(x) ->> 'mcc' = ' ' FROM (SELECT "
			APRIL_REC(",\"insights\":{\"rating\":\"\"},\"enrichment\":{\"mcc\":\" \"}") "::comm_result x) s",
		"", NULL, "t"},
		{"SELECT " APRIL_REC(",\"line_type\":\"\"") "::comm_result <> " APRIL_REC(",\"line_type\":null")
			"::comm_result AND " APRIL_REC(",\"line_type\":\"\"") "::comm_result <> " APRIL_REC("") "::comm_result",
		"", NULL, "t"},
		{"SELECT line_type(comm_result('b', 'r', '5550100', '{}', line_type => ''))", "", NULL, ""},
		{"SELECT '{\"batch_id\":\"\",\"reference_id\":\"r\",\"target\":\"5550100\",\"request_variables\":{}}'::comm_result",
		"22023", NULL, NULL},
		{"SELECT '{\"batch_id\":\"\\u200b\",\"reference_id\":\"r\",\"target\":\"5550100\",\"request_variables\":{}}'::comm_result",
		"22023", NULL, NULL},
		{"SELECT '{\"batch_id\":\"b\",\"reference_id\":\" \",\"target\":\"5550100\",\"request_variables\":{}}'::jsonb::comm_result",
		"22023", NULL, NULL},
		{"SELECT count(*) FROM comm_results('[{\"reference_id\":\"\\u00a0\",\"target\":\"5550100\",\"request_variables\":{}}]', 'b')",
		"22023", NULL, NULL},
		{"SELECT " APRIL_REC(",\"line_type\":1") "::comm_result", "22P02", NULL, NULL},
		{"SELECT " APRIL_REC(",\"channel_manager_status\":{}") "::comm_result", "22P02", NULL, NULL},
		{"SELECT " APRIL_REC(",\"channel_manager_status\":\"SOMETHING_NEW\"") "::comm_result", "", NULL, NULL},
		{"SELECT '{\"SENT\":2,\"DELIVERED\":5}'::comm_counts::text", "", NULL, NULL},
		{"SELECT '{\"SENT\":0}'::comm_counts", "22P02", NULL, NULL},
		{"SELECT '{\"SENT\":1,\"SENT\":2}'::comm_counts", "22P02", NULL, NULL},
		{"SELECT '{\"SENT\":{}}'::comm_counts", "22P02", NULL, NULL},
	};

	cur_cat = "setup";
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
	{
		char		code[6];
		PGresult   *r;

		b_reset(&cur_input);
		b_puts(&cur_input, steps[i].sql);
		r = run_query_text(steps[i].sql, 0, NULL, code, bad);
		cat_count[5]++;
		n_inputs++;
		tally(r, code);
		if (strcmp(code, steps[i].code) != 0)
		{
			char		d[512];

			snprintf(d, sizeof d, "expected SQLSTATE %s, got %s", steps[i].code[0] ? steps[i].code : "success",
					 code[0] ? code : "success");
			invariant(0, d, bad);
		}
		if (steps[i].hint && !strstr(last_hint, steps[i].hint))
			invariant(0, "the error's HINT does not say how to supply the batch id", bad);
		if (steps[i].value && r && strcmp(PQgetvalue(r, 0, 0), steps[i].value) != 0)
		{
			char		d[512];

			snprintf(d, sizeof d, "the step gave %.200s, not %.200s", PQgetvalue(r, 0, 0), steps[i].value);
			invariant(0, d, bad);
		}
		if (r)
			PQclear(r);
	}
	sweep_binary(bad);
	setup_13(bad);
}
