/*
 * fuzz_batch_state.c -- text and binary input of comm_batch_state.
 *
 * Generates states with consistent counts, flags and instants, or with
 * some of them broken, and byte mutations.  Checks that an accepted state
 * round-trips through text and binary, and that combining it with the
 * empty state changes nothing.
 */
#include "fuzz.h"

static void
gen_state_fields(int64_t *f, int wild)
{
	/* f[0]=total f[1..9]=counts f[10]=attempts f[11]=max_attempts
	 * f[12]=flags f[13..16]=instants */
	int64_t		total = 0;

	for (int i = 1; i <= 9; i++)
	{
		f[i] = one_in(3) ? 0 : (int64_t) rn(one_in(10) ? (uint64_t) INT64_MAX / 9 : 1000);
		total += f[i];
	}
	f[0] = total;
	f[10] = total ? (int64_t) rn((uint64_t) total * 2 + 1) : 0;
	f[11] = f[10] ? (int64_t) rn((uint64_t) (f[10] < INT32_MAX ? f[10] : INT32_MAX) + 1) : 0;
	f[12] = total ? (int64_t) rn(4) : 0;
	f[13] = f[14] = f[15] = f[16] = 0;
	if (f[12] & 1)
	{
		f[13] = (int64_t) rn(700000000000ULL) * 1000;
		f[14] = f[13] + (int64_t) rn(1000000000ULL);
	}
	if (f[12] & 2)
	{
		f[15] = (int64_t) rn(700000000000ULL) * 1000;
		f[16] = f[15] + (int64_t) rn(1000000000ULL);
	}
	if (wild)
		for (int m = 1 + (int) rn(3); m > 0; m--)
		{
			int			i = (int) rn(17);

			f[i] = one_in(2) ? PICK(((int64_t[]) {-1, 0, 1, INT64_MAX, INT64_MIN, INT32_MAX,
				(int64_t) INT32_MAX + 1, 252455615999999999LL, 252455616000000000LL,
				-63082281600000001LL})) : (int64_t) rnd();
		}
}

static void
fmt_instant(Buf *b, int64_t us)
{
	/* microseconds since 2000-01-01 UTC to RFC 3339, via days */
	int64_t		secs = us / 1000000,
				frac = us % 1000000;
	int64_t		days,
				sod;
	int64_t		z,
				era,
				doe,
				yoe,
				y,
				doy,
				mp,
				d,
				m;

	if (frac < 0)
	{
		frac += 1000000;
		secs--;
	}
	days = secs / 86400;
	sod = secs % 86400;
	if (sod < 0)
	{
		sod += 86400;
		days--;
	}
	z = days + 10957 + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	b_printf(b, "%04" PRId64 "-%02" PRId64 "-%02" PRId64 "T%02" PRId64 ":%02" PRId64 ":%02" PRId64,
			 y, m, d, sod / 3600, sod / 60 % 60, sod % 60);
	if (frac)
		b_printf(b, ".%06" PRId64, frac);
	b_putc(b, one_in(10) ? 'z' : 'Z');
}

void
gen_state_text(Buf *b, int wild)
{
	int64_t		f[17];

	b_reset(b);
	gen_state_fields(f, wild && one_in(2));
	b_putc(b, '(');
	for (int i = 0; i < 12; i++)
		b_printf(b, "%s%" PRId64, i ? "," : "", f[i]);
	for (int i = 13; i <= 16; i++)
	{
		b_putc(b, ',');
		if ((i <= 14 && (f[12] & 1)) || (i >= 15 && (f[12] & 2)))
			fmt_instant(b, f[i]);
	}
	b_putc(b, ')');
	if (wild && one_in(2))
		mutate_bytes(b, 1 + (int) rn(3));
}

static void
gen_state_wire(Buf *b, int wild)
{
	int64_t		f[17];

	b_reset(b);
	gen_state_fields(f, wild && one_in(2));
	b_putc(b, wild && one_in(20) ? 2 : 1);
	for (int i = 0; i <= 10; i++)
		b_be(b, (uint64_t) f[i], 8);
	b_be(b, (uint64_t) f[11], 4);
	b_be(b, (uint64_t) f[12], 4);
	for (int i = 13; i <= 16; i++)
		b_be(b, (uint64_t) f[i], 8);
	if (wild && one_in(4))
	{
		if (one_in(2) && b->len)
			b->len = rn(b->len);
		else
			b_putc(b, 0);
	}
	if (wild && one_in(4) && b->len)
		b->p[rn(b->len)] ^= (char) (1 << rn(8));
}

void
fuzz_batch_state(int *bad)
{
	char		code[6];
	PGresult   *r;

	cur_cat = "batch_state";
	if (one_in(2))
	{
		const char *vals[1];

		gen_state_text(&cur_input, !one_in(3));
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

		gen_state_wire(&cur_input, !one_in(3));
		vals[0] = cur_input.p;
		lens[0] = (int) cur_input.len;
		r = run_query("SELECT $1::text, comm_batch_state_send($1), (comm_batch_state_summary($1)).total, "
					  "comm_batch_state_status_counts($1)", 1, types, vals, lens, fmts, 0, code, bad);
	}
	tally(r, code);
	if (r)
	{
		/* round trip: text -> state -> text, and binary (send is hex bytea text) */
		Buf			out = {0};
		const char *v2[2];
		PGresult   *r2;

		b_puts(&out, PQgetvalue(r, 0, 0));
		v2[0] = out.p;
		v2[1] = PQgetvalue(r, 0, 1);
		r2 = run_query_text("SELECT $1::text::comm_batch_state::text = $1::text, "
							"comm_batch_state_send($1::text::comm_batch_state) = $2::bytea, "
							"comm_batch_state_combine($1::text::comm_batch_state, '(0,0,0,0,0,0,0,0,0,0,0,0,,,,)')::text = $1::text",
							2, v2, code, bad);
		if (!r2)
			invariant(0, "re-reading an accepted comm_batch_state failed", bad);
		else
		{
			invariant(strcmp(PQgetvalue(r2, 0, 0), "t") == 0, "comm_batch_state text round trip differs", bad);
			invariant(strcmp(PQgetvalue(r2, 0, 1), "t") == 0, "comm_batch_state send differs after text round trip", bad);
			invariant(strcmp(PQgetvalue(r2, 0, 2), "t") == 0, "combining with an empty state changed the state", bad);
			PQclear(r2);
		}
		b_free(&out);
		PQclear(r);
	}
}
