/*
 * fuzz_binary.c -- binary input of comm_result (a binary parameter, so
 * comm_result_recv runs on it).
 *
 * Generates version 1 values from April records and version 2 from today's
 * (spec-1.2.md), with consistent or broken flags, flags2, status codes (the
 * table's, or any byte), timestamps, ids and lengths, wrong version bytes,
 * strings where the flags say none, one spot mutated, bit flips,
 * truncation, and random bytes.
 * Checks that an accepted value passes check_value.c.
 */
#include "fuzz.h"

void
wire_str(Buf *b, const char *s, size_t n, int lenmut)
{
	int64_t		len = (int64_t) n;

	if (lenmut && one_in(8))
		len = PICK(((int64_t[]) {-1, -2, INT32_MIN, INT32_MAX, 0, (int64_t) n + 1,
			(int64_t) n - 1, 0x7fffff00}));
	b_be(b, (uint64_t) len, 4);
	b_put(b, s, n);
}

/* strip the quotes of a JSON string value (escapes are kept, as raw bytes) */
void
unquote(const Buf *v, const char **s, size_t *n)
{
	*s = v->p;
	*n = v->len;
	if (*n >= 2 && v->p[0] == '"' && v->p[*n - 1] == '"')
	{
		(*s)++;
		*n -= 2;
	}
}

static int64_t
gen_ts_us(void)
{
	switch (rn(6))
	{
		case 0:
			return PICK(((int64_t[]) {0, 1, -1, INT64_MAX, INT64_MIN, INT64_MAX - 1,
				INT64_MIN + 1, -63082281600000000LL, -63082281600000001LL,
				252455615999999999LL, 252455616000000000LL, 9223371331200000000LL,
				-211813488000000000LL}));
		case 1:
			return (int64_t) rnd();
		default:
			return (int64_t) (rn(800000000000ULL) * 1000000ULL) - 100000000000000000LL;
	}
}

static int
is_null_text(const Buf *v)
{
	return v->len == 4 && memcmp(v->p, "null", 4) == 0;
}

/*
 * A binary comm_result: version 1 from an April record, version 2 from one
 * of today's shape, with consistent or broken flags, flags2 and lengths,
 * then (sometimes) one spot mutated: a flags2 bit, a length or its -1
 * marker, one byte; and random bytes.
 */
static void
gen_wire(Buf *b)
{
	Rec			r;
	uint16_t	flags = 0,
				flags2 = 0;
	int			status = 0;
	int32_t		attempts = 0;
	int64_t		created = 0,
				sent = 0,
				sess = 0,
				conv = 0;
	int			wild = one_in(3);
	int			layout;
	size_t		lenpos[10];
	int			nlen = 0;
	const char *s;
	size_t		n;

	b_reset(b);
	if (one_in(25))
	{
		/* random bytes */
		size_t		len = rn(one_in(4) ? 2000 : 80);

		for (size_t i = 0; i < len; i++)
			b_putc(b, (char) rnd());
		if (one_in(2) && len)
			b->p[0] = one_in(2) ? 1 : 2;
		return;
	}
	layout = one_in(2) ? 2 : 1;
	gen_rec(&r, wild ? 3 : 1000000, NULL, NULL, layout == 2);
	if (r.sid_name == SID_BOTH)
		r.sid_name = SID_TODAY;
	if (one_in(2))
	{
		flags |= 0x0001;
		status = statuses[rn((uint64_t) n_statuses)].code;
	}
	if (one_in(2))
	{
		flags |= 0x0004;
		created = one_in(3) ? gen_ts_us() : (int64_t) rn(700000000000ULL) * 1000;
	}
	switch (rn(3))
	{
		case 0:
			flags |= 0x0008;
			sent = one_in(3) ? gen_ts_us() : (int64_t) rn(700000000000ULL) * 1000;
			break;
		case 1:
			flags |= 0x0010;
	}
	switch (rn(3))
	{
		case 0:
			flags |= 0x0020;
			break;
		case 1:
			flags |= 0x0040;
	}
	switch (rn(3))
	{
		case 0:
			flags |= 0x0080;
			sess = one_in(4) ? (int64_t) rnd() : (int64_t) rn(100000);
			break;
		case 1:
			flags |= 0x0100;
	}
	switch (rn(3))
	{
		case 0:
			flags |= 0x0200;
			conv = one_in(4) ? PICK(((int64_t[]) {-1, INT64_MAX, INT64_MIN, 0})) : (int64_t) rn(100000);
			break;
		case 1:
			flags |= 0x0400;
	}
	attempts = one_in(4) ? PICK(((int32_t[]) {-1, INT32_MAX, INT32_MIN, 0, 1})) : (int32_t) rn(5);
	if (layout == 2)
	{
		if ((flags & 0x0060) && r.sid_name == SID_TODAY)
			flags2 |= 0x0001;
		for (int k = K_CHSTATUS; k < K_COUNT; k++)
			if (r.present[k])
				flags2 |= (uint16_t) (FLAG2_BIT(k) << is_null_text(&r.v[k]));
		if (flags2 == 0 && !one_in(8))
		{
			/* version 2 needs a flags2 bit: give it a channel status */
			r.present[K_CHSTATUS] = 1;
			b_reset(&r.v[K_CHSTATUS]);
			b_puts(&r.v[K_CHSTATUS], "\"SENT\"");
			flags2 |= FLAG2_BIT(K_CHSTATUS);
		}
	}
	if (wild)
	{
		if (one_in(4))
			flags ^= (uint16_t) (1 << rn(16));
		if (one_in(6))
			status = (int) rn(256);
		if (one_in(8))
			created = gen_ts_us();
		if (one_in(8))
			sess = (int64_t) rnd();
		if (layout == 2 && one_in(4))
			flags2 ^= (uint16_t) (1 << rn(16));
		if (layout == 2 && one_in(8))
			flags2 |= 0x0001;
	}

	/* the version byte: mostly the layout's, sometimes the other one or junk */
	b_putc(b, (char) (wild && one_in(20) ? (int) rn(4) : wild && one_in(15) ? 3 - layout : layout));
	b_be(b, flags, 2);
	b_putc(b, (char) status);
	b_be(b, (uint32_t) attempts, 4);
	b_be(b, (uint64_t) created, 8);
	b_be(b, (uint64_t) sent, 8);
	b_be(b, (uint64_t) sess, 8);
	b_be(b, (uint64_t) conv, 8);
	if (layout == 2)
		b_be(b, flags2, 2);
	for (int w = 0; w < (layout == 2 ? 10 : 5); w++)
	{
		int			k = wire_keys[w];

		lenpos[nlen++] = b->len;
		if (k <= K_TARGET)
		{
			unquote(&r.v[k], &s, &n);
			if (wild && one_in(15))
				s = PICK(((const char *[]) {"", " ", "\xc2\xa0", "a\0b", "\xff\xfe", "\xed\xa0\x80",
					"\xc0\x80", "\xe2\x80\x8b", "\xf4\x90\x80\x80"})), n = strlen(s) + (one_in(3) ? 1 : 0);
			wire_str(b, s, n, wild);
		}
		else if (k == K_SID)
		{
			if (flags & 0x0020)
			{
				unquote(&r.v[K_SID], &s, &n);
				if (is_null_text(&r.v[K_SID]))
					s = "LM1", n = 3;
				wire_str(b, s, n, wild);
			}
			else
				b_be(b, (uint64_t) -1, 4);
		}
		else if (k == K_VARS)
			wire_str(b, r.v[K_VARS].p, r.v[K_VARS].len, wild);
		else if (flags2 & FLAG2_BIT(k))
		{
			/* strings without their quotes, objects as JSON text */
			if (k == K_INSIGHTS || k == K_ENRICH)
				s = r.v[k].p, n = r.v[k].len;
			else
				unquote(&r.v[k], &s, &n);
			if (is_null_text(&r.v[k]))
				s = k == K_INSIGHTS || k == K_ENRICH ? "{}" : "X", n = strlen(s);
			wire_str(b, s, n, wild);
		}
		else if (wild && one_in(30))
			wire_str(b, "SENT", 4, 0);	/* a string where the flags say none */
		else
			b_be(b, (uint64_t) -1, 4);
	}
	rec_free(&r);
	if (wild && one_in(10))
		b_putc(b, (char) rnd());
	if (one_in(5))
	{
		/* one spot: a flags2 bit, a length or its -1 marker, a byte */
		size_t		at = lenpos[rn(nlen)];
		uint32_t	len = get_be((const unsigned char *) b->p + at, 4);

		switch (rn(4))
		{
			case 0:
				if (layout == 2)
					b->p[40 + rn(2)] ^= (char) (1 << rn(8));
				break;
			case 1:
				memset(b->p + at, 0xff, 4);
				break;
			case 2:
				len += PICK(((uint32_t[]) {1, (uint32_t) -1, 0x80000000u, 0x100, (uint32_t) -2}));
				for (int i = 0; i < 4; i++)
					b->p[at + i] = (char) (len >> (24 - 8 * i));
				break;
			default:
				b->p[rn(b->len)] = (char) PICK(((int[]) {0, 0xff, 0x80, 0x7f, 0x01, 0x02}));
		}
	}
	if (one_in(6))
	{
		/* keep zero bytes: binary parameters carry their length */
		for (int i = 0, m = 1 + (int) rn(3); i < m; i++)
		{
			if (!b->len)
				break;
			switch (rn(3))
			{
				case 0:
					b->p[rn(b->len)] ^= (char) (1 << rn(8));
					break;
				case 1:
					b->p[rn(b->len)] = (char) rnd();
					break;
				default:
					b->len = rn(b->len + 1);
			}
		}
	}
}

void
fuzz_binary(int *bad)
{
	static const char *sql = "SELECT $1::text, comm_result_send($1)";
	Oid			types[1];
	const char *vals[1];
	int			lens[1],
				fmts[1] = {1};
	char		code[6];
	PGresult   *r;

	cur_cat = "binary";
	types[0] = cr_oid;
	gen_wire(&cur_input);
	vals[0] = cur_input.p;
	lens[0] = (int) cur_input.len;
	r = run_query(sql, 1, types, vals, lens, fmts, 1, code, bad);
	tally(r, code);
	if (r)
	{
		Buf			out = {0};

		b_put(&out, PQgetvalue(r, 0, 0), PQgetlength(r, 0, 0));
		check_accepted(out.p, (int) out.len, PQgetvalue(r, 0, 1), PQgetlength(r, 0, 1),
					   NULL, bad);
		b_free(&out);
		PQclear(r);
	}
}
