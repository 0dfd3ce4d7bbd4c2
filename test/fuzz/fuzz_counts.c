/*
 * fuzz_counts.c -- comm_counts: text and binary input, and the functions
 * on it.
 *
 * Generates texts (keys from the channel statuses, line types or anything,
 * counts with edge values, repeated keys, non-objects, deep nesting, byte
 * mutations), binary values (wrong key counts and lengths, zero bytes,
 * keys out of order or repeated, trailing bytes, truncation, bit flips),
 * and direct calls of comm_counts_add_channel_status, _add_line_type and
 * comm_counts_combine.  Checks that an accepted value has distinct keys in
 * byte order and positive counts, that its binary form (decoded here) says
 * the same, that it round-trips through text, binary and jsonb, that
 * combining with {} changes nothing and with itself doubles every count
 * (or raises 22003), and that add_* equals combining a count of one.
 */
#include "fuzz.h"

static const char *count_edge[] = {
	"0", "-1", "1.0", "1e3", "01", "-0", "9223372036854775807", "9223372036854775808",
	"18446744073709551616", "\"1\"", "null", "true", "{}", "[]", "[1]", "{\"a\":1}", "1.5", "0.0",
	"4611686018427387904", "00001",
};

/* a key: a channel status, a line type, or anything */
static void
gen_count_key(Buf *b)
{
	switch (rn(4))
	{
		case 0:
			b_puts(b, PICK(channel_statuses));
			break;
		case 1:
			b_puts(b, PICK(line_types));
			break;
		default:
			gen_str_body(b, 12);
	}
}

static void
gen_counts_text(Buf *b, int wild)
{
	int			n = (int) rn(one_in(20) ? 300 : 6);
	size_t		prev = 0,
				prevlen = 0;

	b_reset(b);
	if (wild && one_in(12))
	{
		b_puts(b, PICK(((const char *[]) {"", "[]", "null", "1", "\"{}\"", "{", "{\"a\":1,}",
			"[{\"a\":1}]", "{\"a\":{\"b\":1}}", "{\"a\":[1]}", "{\"a\":1}{}", "{\"a\":1 }x"})));
		return;
	}
	if (wild && one_in(40))
	{
		gen_deep(b);
		return;
	}
	gen_ws(b);
	b_putc(b, '{');
	for (int i = 0; i < n; i++)
	{
		size_t		start;

		if (i)
			b_putc(b, ',');
		gen_ws(b);
		start = b->len;
		b_putc(b, '"');
		if (wild && i && one_in(10))
		{
			Buf			t = {0};

			b_put(&t, b->p + prev + 1, prevlen);	/* the previous key again */
			b_put(b, t.p, t.len);
			b_free(&t);
		}
		else
			gen_count_key(b);
		prev = start;
		prevlen = b->len - start - 1;
		b_puts(b, "\":");
		gen_ws(b);
		if (wild && one_in(6))
			b_puts(b, PICK(count_edge));
		else
			b_printf(b, "%u", 1 + (unsigned) rn(one_in(10) ? 1000000000 : 1000));
	}
	b_putc(b, '}');
	gen_ws(b);
	if (wild && one_in(3))
		mutate_bytes(b, 1 + (int) rn(3));
}

static int
key_cmp(const void *a, const void *b)
{
	const Buf  *x = a,
			   *y = b;
	int			c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void
gen_counts_wire(Buf *b, int wild)
{
	Buf			k[8];
	int			n = (int) rn(8),
				m = 0;

	memset(k, 0, sizeof k);
	for (int i = 0; i < n; i++)
	{
		b_reset(&k[i]);
		gen_count_key(&k[i]);
	}
	qsort(k, n, sizeof k[0], key_cmp);
	/* distinct keys in byte order, unless wild */
	for (int i = 0; i < n; i++)
		if (m == 0 || key_cmp(&k[m - 1], &k[i]) != 0 || (wild && one_in(4)))
			b_copy(&k[m++], &k[i]);
	if (wild && m > 1 && one_in(6))
	{
		Buf			t = k[0];

		k[0] = k[m - 1];
		k[m - 1] = t;
	}
	b_reset(b);
	b_be(b, (uint32_t) (wild && one_in(10) ? PICK(((int32_t[]) {-1, m + 1, m - 1, INT32_MAX, 0})) : m), 4);
	for (int i = 0; i < m; i++)
	{
		int64_t		count = 1 + (int64_t) rn(one_in(10) ? 1000000000000ULL : 1000);

		if (wild && one_in(8))
			count = PICK(((int64_t[]) {0, -1, INT64_MIN, INT64_MAX, INT64_MAX / 2 + 1}));
		wire_str(b, k[i].p, k[i].len, wild);
		if (wild && one_in(20))
			b_putc(b, 0);		/* a zero byte where the count starts */
		b_be(b, (uint64_t) count, 8);
	}
	for (int i = 0; i < 8; i++)
		b_free(&k[i]);
	if (wild && one_in(6))
		b_putc(b, (char) rnd());
	if (wild && one_in(4) && b->len)
	{
		if (one_in(2))
			b->len = rn(b->len);
		else
			b->p[rn(b->len)] ^= (char) (1 << rn(8));
	}
}

/* One member of a comm_counts text: the key's JSON text and bytes, and the count. */
typedef struct
{
	const char *keytext;		/* with quotes */
	size_t		keytextlen;
	Buf			key;			/* unescaped */
	int64_t		count;
} CountItem;

/* JSON string text (with quotes) to its bytes (UTF-8); 0 when malformed. */
static int
json_unescape(const char *s, size_t n, Buf *out)
{
	b_reset(out);
	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return 0;
	for (size_t i = 1; i < n - 1; i++)
	{
		unsigned	c;

		if (s[i] != '\\')
		{
			b_putc(out, s[i]);
			continue;
		}
		if (++i >= n - 1)
			return 0;
		switch (s[i])
		{
			case 'b':
				b_putc(out, '\b');
				break;
			case 'f':
				b_putc(out, '\f');
				break;
			case 'n':
				b_putc(out, '\n');
				break;
			case 'r':
				b_putc(out, '\r');
				break;
			case 't':
				b_putc(out, '\t');
				break;
			case 'u':
				if (i + 4 >= n - 1 || sscanf(s + i + 1, "%4x", &c) != 1 || c >= 0x80)
					return 0;	/* the server escapes only control characters */
				b_putc(out, (char) c);
				i += 4;
				break;
			default:
				b_putc(out, s[i]);
		}
	}
	return 1;
}

/*
 * An accepted comm_counts: its text has distinct keys in byte order and
 * positive counts, its binary form says the same, both round-trip, and
 * combining with the empty state or itself does what it should.
 */
void
check_counts(const char *out, const char *wire, int wirelen, int *bad)
{
	Member		m[400];
	CountItem	it[400];
	int			n = parse_top(out, strlen(out), m, 400);
	int			off = 4,
				overflow = 0;
	char		d[600];
	Oid			types[3] = {TEXTOID, counts_oid, BYTEAOID};
	const char *vals[3] = {out, wire, wire};
	int			lens[3] = {0, wirelen, wirelen},
				fmts[3] = {0, 1, 1};
	char		code[6];
	PGresult   *r;
	Buf			doubled = {0};

	if (n < 0 || n >= 400)
	{
		snprintf(d, sizeof d, "comm_counts text is not a compact object (or has 400 keys): %.200s", out);
		invariant(0, d, bad);
		return;
	}
	memset(it, 0, sizeof(CountItem) * n);
	b_putc(&doubled, '{');
	for (int i = 0; i < n && strcmp(cur_encoding, "UTF8") == 0; i++)
	{
		char	   *endp;

		/* Member.key holds 31 bytes at most: find the key's text again */
		it[i].keytext = i == 0 ? out + 1 : m[i - 1].val + m[i - 1].vlen + 1;
		it[i].keytextlen = (size_t) (m[i].val - 1 - it[i].keytext);
		it[i].count = strtoll(m[i].val, &endp, 10);
		if (!json_unescape(it[i].keytext, it[i].keytextlen, &it[i].key) ||
			endp != m[i].val + m[i].vlen || it[i].count <= 0 || m[i].val[0] == '0')
		{
			snprintf(d, sizeof d, "comm_counts text member %d is not \"key\":positive count: %.200s", i, out);
			invariant(0, d, bad);
			goto done;
		}
		if (i > 0 && key_cmp(&it[i - 1].key, &it[i].key) >= 0)
		{
			snprintf(d, sizeof d, "comm_counts text keys are not distinct and in byte order: %.200s", out);
			invariant(0, d, bad);
			goto done;
		}
		overflow |= it[i].count > INT64_MAX / 2;
		if (i)
			b_putc(&doubled, ',');
		b_put(&doubled, it[i].keytext, it[i].keytextlen);
		b_printf(&doubled, ":%" PRId64, (int64_t) ((uint64_t) it[i].count * 2));
		/* the binary form: the same key bytes and count */
		if (off + 4 > wirelen || (int32_t) get_be((const unsigned char *) wire + off, 4) != (int32_t) it[i].key.len ||
			off + 4 + (int) it[i].key.len + 8 > wirelen ||
			memcmp(wire + off + 4, it[i].key.p, it[i].key.len) != 0 ||
			(int64_t) (((uint64_t) get_be((const unsigned char *) wire + off + 4 + it[i].key.len, 4) << 32) |
					   get_be((const unsigned char *) wire + off + 8 + it[i].key.len, 4)) != it[i].count)
		{
			snprintf(d, sizeof d, "comm_counts_send disagrees with the text at key %d: %.200s", i, out);
			invariant(0, d, bad);
			goto done;
		}
		off += 4 + (int) it[i].key.len + 8;
	}
	b_putc(&doubled, '}');
	if (strcmp(cur_encoding, "UTF8") == 0 &&
		(wirelen < 4 || (int) get_be((const unsigned char *) wire, 4) != n || off != wirelen))
	{
		snprintf(d, sizeof d, "comm_counts_send has %d bytes for %d keys, or a wrong count: %.200s", wirelen, n, out);
		invariant(0, d, bad);
		goto done;
	}
	r = run_query("SELECT $1::comm_counts::text = $1, $2::text = $1, comm_counts_send($2) = $3, "
				  "comm_counts_combine($2, '{}')::text = $1, comm_counts_combine('{}', $2)::text = $1, "
				  "($2::jsonb)::text::comm_counts::text = $1", 3, types, vals, lens, fmts, 0, code, bad);
	if (!r)
	{
		if (!(strcmp(code, "22P05") == 0 && strcmp(cur_encoding, "UTF8") != 0))
			invariant(0, "re-reading an accepted comm_counts failed", bad);
		goto done;
	}
	for (int i = 0; i < 6; i++)
		if (strcmp(PQgetvalue(r, 0, i), "t") != 0)
		{
			snprintf(d, sizeof d, "comm_counts check %d (%s) is %s: %.200s", i,
					 (const char *[]) {"text round trip", "binary round trip", "send(recv(send))",
					 "combine(x, {})", "combine({}, x)", "jsonb cast"}[i], PQgetvalue(r, 0, i), out);
			invariant(0, d, bad);
		}
	PQclear(r);
	if (strcmp(cur_encoding, "UTF8") != 0)
		goto done;
	r = run_query("SELECT comm_counts_combine($1::comm_counts, $1::comm_counts)::text", 1, types, vals, NULL, NULL, 0, code, bad);
	if (overflow)
		invariant(r == NULL && strcmp(code, "22003") == 0,
				  "comm_counts_combine of counts past 2^62 with themselves did not raise 22003", bad);
	else if (!r || strcmp(PQgetvalue(r, 0, 0), doubled.p) != 0)
	{
		snprintf(d, sizeof d, "comm_counts_combine(x, x) does not double every count: %.200s", out);
		invariant(0, d, bad);
	}
	if (r)
		PQclear(r);
done:
	for (int i = 0; i < n; i++)
		b_free(&it[i].key);
	b_free(&doubled);
}

void
fuzz_counts(int *bad)
{
	char		code[6];
	PGresult   *r;
	int			mode = (int) rn(5);

	cur_cat = "counts";
	if (mode <= 1)
	{
		const char *vals[1];

		gen_counts_text(&cur_input, !one_in(3));
		vals[0] = cur_input.p;
		r = run_query("SELECT x::text, comm_counts_send(x) FROM (SELECT $1::comm_counts AS x) s",
					  1, NULL, vals, NULL, NULL, 1, code, bad);
	}
	else if (mode <= 3)
	{
		Oid			types[1] = {counts_oid};
		const char *vals[1];
		int			lens[1],
					fmts[1] = {1};

		gen_counts_wire(&cur_input, !one_in(3));
		vals[0] = cur_input.p;
		lens[0] = (int) cur_input.len;
		r = run_query("SELECT $1::text, comm_counts_send($1)", 1, types, vals, lens, fmts, 1, code, bad);
	}
	else
	{
		/* the aggregates' transition and combine functions, called directly */
		Args		A;

		memset(&A, 0, sizeof A);
		gen_counts_text(&A.a[0], one_in(4));
		arg_value(&A.a[1], NULL, NULL);
		gen_counts_text(&A.a[2], one_in(4));
		args_final(&A, 3);
		record_args(&A, 3, "comm_counts_add/combine");
		r = run_query_text("SELECT comm_counts_add_channel_status(s, r)::text = comm_counts_combine(s, "
						   " CASE WHEN channel_manager_status(r) IS NULL THEN '{}'::comm_counts "
						   " ELSE jsonb_build_object(channel_manager_status(r), 1)::text::comm_counts END)::text, "
						   "comm_counts_add_line_type(s, r)::text = comm_counts_combine(s, "
						   " CASE WHEN line_type(r) IS NULL THEN '{}'::comm_counts "
						   " ELSE jsonb_build_object(line_type(r), 1)::text::comm_counts END)::text, "
						   "comm_counts_combine(s, t)::text = comm_counts_combine(t, s)::text "
						   "FROM (SELECT $1::comm_counts s, $2::comm_result r, $3::comm_counts t) x", 3, A.v, code, bad);
		tally(r, code);
		if (r)
			for (int i = 0; i < 3; i++)
				invariant(strcmp(PQgetvalue(r, 0, i), "t") == 0,
						  i == 0 ? "comm_counts_add_channel_status differs from combining a count of one" :
						  i == 1 ? "comm_counts_add_line_type differs from combining a count of one" :
						  "comm_counts_combine is not commutative", bad);
		if (r)
			PQclear(r);
		args_free(&A);
		return;
	}
	tally(r, code);
	if (r)
	{
		Buf			out = {0};

		b_put(&out, PQgetvalue(r, 0, 0), PQgetlength(r, 0, 0));
		check_counts(out.p, PQgetvalue(r, 0, 1), PQgetlength(r, 0, 1), bad);
		b_free(&out);
		PQclear(r);
	}
}
