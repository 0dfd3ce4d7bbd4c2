/*
 * gen_json.c -- generators of strings, JSON values and byte mutations, for
 * every kind of input: string bodies with edge characters (escapes, lone
 * surrogates, invisible characters, invalid UTF-8), long strings, numbers
 * at the edges of JSON and numeric, random objects and arrays, nesting up
 * to 100,000 levels (sometimes unbalanced), request_variables, whitespace,
 * and byte-level mutations (bit flips, inserted, deleted and duplicated
 * bytes, truncation, extreme numbers, inserted tokens).
 *
 * Checks nothing: the callers do.
 */
#include "fuzz.h"

static const char *odd_chars[] = {
	"a", "Z", "0", "9", " ", ".", "-", "_", "\\\"", "\\\\", "\\/", "\\n", "\\t",
	"\\u0041", "\\u00e9", "\\u00a0", "\\u200b", "\\ufeff", "\\ud83d\\ude00",
	"\\u2028", "\xc3\xa9", "\xe2\x80\x8b", "\xf0\x9f\x98\x80", "\xe7\x94\xa8",
	"\\u0000", "\\ud800", "\\udc00", "\\ud83d", "\\uDFFF", "\\u001f", "\x7f",
	"\\b", "\\f", "\\r", "\x01", "\\u00", "\\x41",
};

/* not valid UTF-8: rare, because the server rejects them (22021) first */
static const char *bad_utf8[] = {"\xff", "\xc3", "\xed\xa0\x80", "\xc0\x80", "\xf4\x90\x80\x80"};

/*
 * When set, the generators make only well-formed JSON without edge
 * characters or numbers, so that a record is refused only for what the
 * caller put in on purpose.
 */
int			gen_clean;

/* a JSON string body (no quotes), mostly plain */
void
gen_str_body(Buf *b, int maxlen)
{
	int			len = (int) rn(maxlen + 1);

	for (int i = 0; i < len; i++)
	{
		if (!gen_clean && one_in(6))
			b_puts(b, one_in(40) ? PICK(bad_utf8) : PICK(odd_chars));
		else
			b_putc(b, "abcdefghijklmnopqrstuvwxyzABCXYZ0123456789.-_ @+"[rn(48)]);
	}
}

void
gen_long_string(Buf *b)
{
	size_t		n = one_in(3) ? 1000000 + rn(1100000) : 1000 + rn(70000);
	char		c = "aZ9 \x01"[rn(5)];

	b_reserve(b, n);
	if (c == '\x01')
		c = 'x';
	for (size_t i = 0; i < n; i++)
		b->p[b->len + i] = c;
	b->len += n;
	b->p[b->len] = '\0';
}

const char *edge_numbers[] = {
	"0", "-0", "1", "-1", "1.0", "1.50", "1e5", "1E+2", "1e-7", "1e400", "-1e400",
	"9223372036854775807", "9223372036854775808", "-9223372036854775808",
	"-9223372036854775809", "18446744073709551616", "2147483647", "2147483648",
	"-2147483648", "0.000000000000000000001", "123456789012345678901234567890",
	"00", "01", "-", "1.", ".5", "+1", "0x10", "NaN", "Infinity", "-Infinity",
	"1e", "1e+", "3.14159", "1e100000", "1e-100000",
};

/* numbers that are valid JSON and fit in numeric */
const char *good_numbers[] = {
	"0", "-0", "1", "-1", "4.5", "1.50", "1e5", "1E+2", "1e-7", "100", "2147483648",
	"9223372036854775808", "0.000000000000000000001", "123456789012345678901234567890",
};

static void gen_json_value(Buf *b, int depth);

void
gen_json_object(Buf *b, int depth)
{
	int			n = (int) rn(depth > 3 ? 2 : 5);

	b_putc(b, '{');
	for (int i = 0; i < n; i++)
	{
		if (i)
			b_putc(b, ',');
		if (one_in(10))
			b_puts(b, " ");
		b_putc(b, '"');
		if (one_in(8))
			b_puts(b, "first_name");
		else
			gen_str_body(b, 8);
		b_puts(b, "\":");
		gen_json_value(b, depth + 1);
	}
	b_putc(b, '}');
}

static void
gen_json_value(Buf *b, int depth)
{
	switch (rn(depth > 4 ? 5 : 8))
	{
		case 0:
			b_putc(b, '"');
			gen_str_body(b, 12);
			b_putc(b, '"');
			break;
		case 1:
			b_puts(b, gen_clean ? PICK(good_numbers) : PICK(edge_numbers));
			break;
		case 2:
			b_printf(b, "%" PRId64, (int64_t) rnd() >> rn(64));
			break;
		case 3:
			b_puts(b, PICK(((const char *[]) {"true", "false", "null"})));
			break;
		case 4:
			b_puts(b, "\"Ana\"");
			break;
		case 5:
		case 6:
			gen_json_object(b, depth);
			break;
		default:
			{
				int			n = (int) rn(4);

				b_putc(b, '[');
				for (int i = 0; i < n; i++)
				{
					if (i)
						b_putc(b, ',');
					gen_json_value(b, depth + 1);
				}
				b_putc(b, ']');
			}
	}
}

/* deep nesting: {"k":[[[[...]]]]} or objects */
void
gen_deep(Buf *b)
{
	size_t		d = one_in(3) ? 1000 + rn(100000) : 10 + rn(3000);
	int			obj = one_in(2);

	b_puts(b, "{\"deep\":");
	for (size_t i = 0; i < d; i++)
		b_puts(b, obj ? "{\"a\":" : "[");
	b_puts(b, "1");
	if (!one_in(20))			/* sometimes unbalanced */
		for (size_t i = 0; i < d; i++)
			b_puts(b, obj ? "}" : "]");
	b_putc(b, '}');
}

void
gen_variables(Buf *b)
{
	if (gen_clean)
	{
		if (one_in(6))
			b_puts(b, "{}");
		else
			gen_json_object(b, 0);
	}
	else if (one_in(400))
		gen_deep(b);
	else if (one_in(6))
		b_puts(b, "{}");
	else if (one_in(8))
		b_puts(b, "{\"first_name\":\"Ana\"}");
	else if (one_in(30))
		b_puts(b, PICK(((const char *[]) {
			"{\"a\":1,\"a\":2}", "[]", "null", "\"s\"", "1", "{\"\\u0000\":1}",
			"{\"a\":\"\\u0000\"}", "{\"a\":\"\\ud800\"}", "{\"\\ud83d\\ude00\":\"\\ud83d\\ude00\"}",
			"{\"a\":{\"b\":1,\"b\":2}}", "{\"a\":1e400}", "{\"a\":-0}", "{\"a\":1.0}",
			"{\"a\":[1,2,}", "{", "{\"a\":01}", "{\"a\":9223372036854775808}", "{\"\":\"\"}",
		})));
	else if (one_in(300))
	{
		b_puts(b, "{\"big\":\"");
		gen_long_string(b);
		b_puts(b, "\"}");
	}
	else
		gen_json_object(b, 0);
}

void
gen_ws(Buf *b)
{
	if (one_in(12))
		b_puts(b, PICK(((const char *[]) {" ", "\n", "\t", "\r\n ", "  "})));
}

static const char *tokens[] = {
	"\\u0000", "\\ud800", "\\udc00", "\\ud83d\\ude00", "\\ud83d", "\\u", "\\", "\"",
	"1e400", "-0", "9223372036854775808", "-9223372036854775809", "null", "{", "}",
	"[", "]", ",", ":", "\"\":", "1.0", "true", "\xff", "\xc0\x80", "\xed\xa0\x80",
	"\xf4\x90\x80\x80", "\\u00e9", "Z", "+24:00", "T", ".999999999", "0000", "9999",
	"\"request_variables\":{}", "\"batch_id\":\"x\"", "\"attempt_count\":2147483648",
};

/* Byte-level mutations. */
void
mutate_bytes(Buf *b, int rounds)
{
	for (int r = 0; r < rounds; r++)
	{
		size_t		pos = b->len ? rn(b->len + 1) : 0;

		switch (rn(8))
		{
			case 0:				/* flip a bit */
				if (b->len)
					b->p[rn(b->len)] ^= (char) (1 << rn(8));
				break;
			case 1:				/* insert a random byte */
				{
					char		c = (char) (1 + rn(255));
					Buf			t = {0};

					b_put(&t, b->p, pos);
					b_putc(&t, c);
					b_put(&t, b->p + pos, b->len > pos ? b->len - pos : 0);
					b_copy(b, &t);
					b_free(&t);
				}
				break;
			case 2:				/* delete a range */
				if (b->len)
				{
					size_t		n = 1 + rn(one_in(4) ? b->len - pos + 1 : 4);

					if (pos + n > b->len)
						n = b->len - pos;
					memmove(b->p + pos, b->p + pos + n, b->len - pos - n);
					b->len -= n;
					b->p[b->len] = '\0';
				}
				break;
			case 3:				/* duplicate a range */
				if (b->len && b->len < 4000000)
				{
					size_t		n = 1 + rn(16);
					Buf			t = {0};

					size_t		rest = b->len > pos ? b->len - pos : 0;

					if (n > rest)
						n = rest;
					b_put(&t, b->p, pos + n);
					b_put(&t, b->p + pos, rest);
					b_copy(b, &t);
					b_free(&t);
				}
				break;
			case 4:				/* truncate */
				if (b->len)
				{
					b->len = rn(b->len);
					b->p[b->len] = '\0';
				}
				break;
			case 5:				/* replace a digit run with an extreme number */
				{
					size_t		i = pos;

					while (i < b->len && (b->p[i] < '0' || b->p[i] > '9'))
						i++;
					if (i < b->len)
					{
						size_t		j = i;
						Buf			t = {0};

						while (j < b->len && b->p[j] >= '0' && b->p[j] <= '9')
							j++;
						b_put(&t, b->p, i);
						b_puts(&t, PICK(edge_numbers));
						b_put(&t, b->p + j, b->len - j);
						b_copy(b, &t);
						b_free(&t);
					}
				}
				break;
			default:			/* insert a token */
				{
					Buf			t = {0};

					b_put(&t, b->p, pos);
					b_puts(&t, PICK(tokens));
					b_put(&t, b->p + pos, b->len - pos);
					b_copy(b, &t);
					b_free(&t);
				}
		}
	}
	/* text parameters are C strings: drop what follows a zero byte */
	b->len = strlen(b->p ? b->p : "");
}
