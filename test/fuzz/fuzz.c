/*
 * fuzz.c -- seeded, reproducible fuzzer for the comm_result extension.
 *
 * Talks to a running server through libpq (connection from the usual PG*
 * environment variables) and feeds it
 *   (a) generated and mutated text inputs of comm_result and comm_batch_state,
 *   (b) generated, mutated and random binary inputs (binary parameters, so
 *       comm_result_recv / comm_batch_state_recv run on them),
 *   (c) calls of every SQL function with NULLs, empty, extreme and mutated
 *       arguments, and the invariants the README promises (round trips,
 *       merge commutativity/idempotence/associativity, cmp antisymmetry,
 *       is_valid agreeing with comm_result_errors, ...).
 *
 * Each input must end in an accepted value that round-trips canonically or
 * in an error whose SQLSTATE is documented.  A lost connection (crash), a
 * statement timeout (57014), XX000 or any undocumented SQLSTATE, a broken
 * invariant, or a WARNING about a leak is a failure; the input is saved to
 * the failure directory.  Input number i depends only on (seed, i), so
 * "--seed S --start i --n 1" replays exactly one input.
 *
 * Usage: fuzz [--seed S] [--n N] [--start I] [--faildir DIR] [--verbose]
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <libpq-fe.h>

#define TEXTOID 25
#define BYTEAOID 17

/* ------------------------------------------------------------------ */
/* PRNG: splitmix64 to seed each input, xorshift64* to draw */

static uint64_t rs;

static uint64_t
splitmix(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ULL;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

static uint64_t
rnd(void)
{
	rs ^= rs >> 12;
	rs ^= rs << 25;
	rs ^= rs >> 27;
	return rs * 0x2545F4914F6CDD1DULL;
}

static uint64_t
rn(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* true with probability 1/n */
static int
one_in(uint64_t n)
{
	return rn(n) == 0;
}

#define PICK(arr) ((arr)[rn(sizeof(arr) / sizeof((arr)[0]))])

/* ------------------------------------------------------------------ */
/* growable byte buffer */

typedef struct
{
	char	   *p;
	size_t		len;
	size_t		cap;
} Buf;

static void
b_reserve(Buf *b, size_t extra)
{
	if (b->len + extra + 1 > b->cap)
	{
		size_t		nc = b->cap ? b->cap : 256;

		while (nc < b->len + extra + 1)
			nc *= 2;
		b->p = realloc(b->p, nc);
		if (!b->p)
		{
			perror("realloc");
			exit(3);
		}
		b->cap = nc;
	}
}

static void
b_put(Buf *b, const void *d, size_t n)
{
	b_reserve(b, n);
	memcpy(b->p + b->len, d, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
b_puts(Buf *b, const char *s)
{
	b_put(b, s, strlen(s));
}

static void
b_putc(Buf *b, char c)
{
	b_put(b, &c, 1);
}

static void
b_printf(Buf *b, const char *fmt,...)
{
	va_list		ap;
	char		tmp[512];
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n >= (int) sizeof tmp)
		n = sizeof tmp - 1;
	b_put(b, tmp, n);
}

static void
b_reset(Buf *b)
{
	b->len = 0;
	b_reserve(b, 0);
	b->p[0] = '\0';
}

static void
b_free(Buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

static void
b_copy(Buf *dst, const Buf *src)
{
	b_reset(dst);
	b_put(dst, src->p, src->len);
}

static void
b_be(Buf *b, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--)
		b_putc(b, (char) ((v >> (8 * i)) & 0xff));
}

/* ------------------------------------------------------------------ */
/* global state */

static PGconn *conn;
static uint64_t seed;
static long cur_n;
static const char *faildir = "failures";
static int verbose;
static Oid cr_oid, cbs_oid, cs_oid;

static long n_inputs, n_queries, n_accepted, n_rejected, n_failures;
static long cat_count[8];
static const char *cat_name[8] = {"text", "binary", "function", "batch_state", "jsonb", "setup"};

#define MAX_CODES 64
static char code_name[MAX_CODES][6];
static long code_count[MAX_CODES];
static int n_codes;

/* the current input, saved on a failure */
static const char *cur_cat = "";
static Buf cur_input;

/* the last query, also saved on a failure */
static const char *last_query;
static int	last_nparams;
static const char *last_vals[16];
static int	last_lens[16];
static int	last_fmts[16];

static char pending_warning[1024];
static const char *cur_encoding = "UTF8";

static void set_encoding(const char *enc);

static const char *documented[] = {
	"22P02", "22P05", "22023", "22007", "22008", "22003", "22004", "22P03",
	"22021", "54000", "54001", "23514", "39P01", "42703", "42804", "40001",
};

static int
is_documented(const char *code)
{
	for (size_t i = 0; i < sizeof documented / sizeof documented[0]; i++)
		if (strcmp(code, documented[i]) == 0)
			return 1;
	return 0;
}

static void
count_code(const char *code)
{
	for (int i = 0; i < n_codes; i++)
		if (strcmp(code_name[i], code) == 0)
		{
			code_count[i]++;
			return;
		}
	if (n_codes < MAX_CODES)
	{
		snprintf(code_name[n_codes], 6, "%s", code);
		code_count[n_codes++] = 1;
	}
}

static void
write_file(const char *path, const char *d, size_t n)
{
	FILE	   *f = fopen(path, "wb");

	if (!f)
	{
		fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
		return;
	}
	if (n)
		fwrite(d, 1, n, f);
	fclose(f);
}

static void
print_escaped(FILE *f, const char *d, size_t n, size_t max)
{
	for (size_t i = 0; i < n && i < max; i++)
	{
		unsigned char c = (unsigned char) d[i];

		if (c == '\\')
			fputs("\\\\", f);
		else if (c >= 0x20 && c < 0x7f)
			fputc(c, f);
		else if (c == '\n')
			fputs("\\n", f);
		else
			fprintf(f, "\\x%02x", c);
	}
	if (n > max)
		fprintf(f, "... (%zu bytes in all)", n);
}

/* Save the current input and the last query to the failure directory. */
static void
save_failure(const char *kind, const char *detail)
{
	char		path[4096];
	FILE	   *f;

	n_failures++;
	mkdir(faildir, 0777);
	snprintf(path, sizeof path, "%s/%" PRIu64 "-%ld.bin", faildir, seed, cur_n);
	write_file(path, cur_input.p ? cur_input.p : "", cur_input.len);
	for (int i = 0; i < last_nparams; i++)
	{
		char		pp[4200];

		snprintf(pp, sizeof pp, "%s/%" PRIu64 "-%ld.p%d.bin", faildir, seed, cur_n, i + 1);
		if (last_vals[i])
			write_file(pp, last_vals[i],
					   last_fmts[i] ? (size_t) last_lens[i] : strlen(last_vals[i]));
	}
	snprintf(path, sizeof path, "%s/%" PRIu64 "-%ld.txt", faildir, seed, cur_n);
	f = fopen(path, "a");
	if (f)
	{
		fprintf(f, "failure: %s\ncategory: %s\nseed: %" PRIu64 "\ninput: %ld\n",
				kind, cur_cat, seed, cur_n);
		fprintf(f, "replay: fuzz --seed %" PRIu64 " --start %ld --n 1\n", seed, cur_n);
		fprintf(f, "detail: %s\nclient_encoding: %s\n", detail ? detail : "", cur_encoding);
		fprintf(f, "input (%zu bytes, also in %" PRIu64 "-%ld.bin): ", cur_input.len, seed, cur_n);
		print_escaped(f, cur_input.p ? cur_input.p : "", cur_input.len, 4096);
		fprintf(f, "\nlast query: %s\n", last_query ? last_query : "");
		for (int i = 0; i < last_nparams; i++)
		{
			fprintf(f, "$%d (%s): ", i + 1, last_fmts[i] ? "binary" : "text");
			if (!last_vals[i])
				fputs("NULL", f);
			else
				print_escaped(f, last_vals[i],
							  last_fmts[i] ? (size_t) last_lens[i] : strlen(last_vals[i]), 4096);
			fputc('\n', f);
		}
		fclose(f);
	}
	fprintf(stderr, "FAILURE [%s] seed %" PRIu64 " input %ld (%s): %s\n  saved to %s\n",
			kind, seed, cur_n, cur_cat, detail ? detail : "", path);
}

static void
notice_receiver(void *arg, const PGresult *res)
{
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	(void) arg;
	if (sev && strcmp(sev, "WARNING") == 0 && msg)
		snprintf(pending_warning, sizeof pending_warning, "%s", msg);
}

static void
connect_db(void)
{
	PGresult   *r;

	conn = PQconnectdb("");
	if (PQstatus(conn) != CONNECTION_OK)
	{
		fprintf(stderr, "connection failed: %s", PQerrorMessage(conn));
		exit(3);
	}
	PQsetNoticeReceiver(conn, notice_receiver, NULL);
	r = PQexec(conn, "SET statement_timeout = '10s'; SET client_encoding = 'UTF8'; "
			   "SET client_min_messages = warning; SET TimeZone = 'UTC'");
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
	{
		fprintf(stderr, "setup failed: %s", PQerrorMessage(conn));
		exit(3);
	}
	PQclear(r);
}

static void
set_encoding(const char *enc)
{
	if (PQsetClientEncoding(conn, enc) != 0)
	{
		if (PQstatus(conn) == CONNECTION_BAD)
		{
			save_failure("connection lost (backend crash?)", PQerrorMessage(conn));
			exit(1);
		}
		fprintf(stderr, "cannot set client_encoding %s: %s", enc, PQerrorMessage(conn));
		exit(3);
	}
	cur_encoding = enc;
}

static Oid
type_oid(const char *name)
{
	const char *v[1] = {name};
	PGresult   *r = PQexecParams(conn, "SELECT $1::regtype::oid", 1, NULL, v, NULL, NULL, 0);
	Oid			o;

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
	{
		fprintf(stderr, "type %s not found (is the extension created?): %s", name,
				PQerrorMessage(conn));
		exit(3);
	}
	o = (Oid) strtoul(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return o;
}

/*
 * Run one query.  Returns the result when it succeeded (caller clears),
 * NULL when it raised a documented error (its SQLSTATE in *code when code
 * is not NULL).  Any other outcome is a failure: a lost connection ends the
 * program; XX000, a timeout or an undocumented SQLSTATE is saved.
 * *bad is set on such a failure.
 */
static PGresult *
q(const char *query, int n, const Oid *types, const char *const *vals,
  const int *lens, const int *fmts, int rfmt, char *code, int *bad)
{
	PGresult   *r;
	const char *st;

	last_query = query;
	last_nparams = n;
	for (int i = 0; i < n && i < 16; i++)
	{
		last_vals[i] = vals[i];
		last_lens[i] = lens ? lens[i] : 0;
		last_fmts[i] = fmts ? fmts[i] : 0;
	}
	if (code)
		code[0] = '\0';
	pending_warning[0] = '\0';
	n_queries++;
	r = PQexecParams(conn, query, n, types, vals, lens, fmts, rfmt);
	if (pending_warning[0] && strstr(pending_warning, "leak"))
	{
		save_failure("server WARNING", pending_warning);
		*bad = 1;
	}
	if (PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK)
		return r;
	if (PQstatus(conn) == CONNECTION_BAD || (PQresultStatus(r) == PGRES_FATAL_ERROR &&
		PQresultErrorField(r, PG_DIAG_SQLSTATE) == NULL))
	{
		save_failure("connection lost (backend crash?)", PQerrorMessage(conn));
		fprintf(stderr, "seed %" PRIu64 ": connection lost at input %ld; stopping\n", seed, cur_n);
		PQclear(r);
		exit(1);
	}
	st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	if (!st)
		st = "?????";
	if (code)
		snprintf(code, 6, "%s", st);
	if (!is_documented(st))
	{
		char		d[2048];

		snprintf(d, sizeof d, "SQLSTATE %s: %s", st, PQresultErrorMessage(r));
		save_failure(strcmp(st, "57014") == 0 ? "hang (statement_timeout)" :
					 strcmp(st, "XX000") == 0 ? "internal error XX000" : "undocumented SQLSTATE", d);
		*bad = 1;
	}
	else if (verbose > 1)
		fprintf(stderr, "  %s %s", st, PQresultErrorMessage(r));
	PQclear(r);
	return NULL;
}

/* Simple variant: all text parameters, text result. NULL entries are SQL NULL. */
static PGresult *
qt(const char *query, int n, const char *const *vals, char *code, int *bad)
{
	return q(query, n, NULL, vals, NULL, NULL, 0, code, bad);
}

static void
invariant(int ok, const char *what, int *bad)
{
	if (!ok)
	{
		save_failure("broken invariant", what);
		*bad = 1;
	}
}

/* ------------------------------------------------------------------ */
/* generators */

static const char *statuses[] = {
	"PENDING", "DUPLICATE", "INITIATED", "CONNECTED", "COMPLETED", "FAILED",
	"CANCELED", "INVALID", "SKIPPED"
};

static const char *odd_chars[] = {
	"a", "Z", "0", "9", " ", ".", "-", "_", "\\\"", "\\\\", "\\/", "\\n", "\\t",
	"\\u0041", "\\u00e9", "\\u00a0", "\\u200b", "\\ufeff", "\\ud83d\\ude00",
	"\\u2028", "\xc3\xa9", "\xe2\x80\x8b", "\xf0\x9f\x98\x80", "\xe7\x94\xa8",
	"\\u0000", "\\ud800", "\\udc00", "\\ud83d", "\\uDFFF", "\\u001f", "\x7f",
	"\\b", "\\f", "\\r", "\x01", "\\u00", "\\x41",
};

/* not valid UTF-8: rare, because the server rejects them (22021) first */
static const char *bad_utf8[] = {"\xff", "\xc3", "\xed\xa0\x80", "\xc0\x80", "\xf4\x90\x80\x80"};

/* a JSON string body (no quotes), mostly plain */
static void
gen_str_body(Buf *b, int maxlen)
{
	int			len = (int) rn(maxlen + 1);

	for (int i = 0; i < len; i++)
	{
		if (one_in(6))
			b_puts(b, one_in(40) ? PICK(bad_utf8) : PICK(odd_chars));
		else
			b_putc(b, "abcdefghijklmnopqrstuvwxyzABCXYZ0123456789.-_ @+"[rn(48)]);
	}
}

static void
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

static const char *numbers[] = {
	"0", "-0", "1", "-1", "1.0", "1.50", "1e5", "1E+2", "1e-7", "1e400", "-1e400",
	"9223372036854775807", "9223372036854775808", "-9223372036854775808",
	"-9223372036854775809", "18446744073709551616", "2147483647", "2147483648",
	"-2147483648", "0.000000000000000000001", "123456789012345678901234567890",
	"00", "01", "-", "1.", ".5", "+1", "0x10", "NaN", "Infinity", "-Infinity",
	"1e", "1e+", "3.14159", "1e100000", "1e-100000",
};

static void gen_json_value(Buf *b, int depth);

static void
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
			b_puts(b, PICK(numbers));
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
static void
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

static void
gen_variables(Buf *b)
{
	if (one_in(400))
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

static const char *ts_edge[] = {
	"2024-01-01T00:00:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z",
	"9999-12-31T23:59:59.9999995Z", "9999-12-31T23:59:59.9999994Z",
	"0000-01-01T00:00:00+00:01", "0000-01-01T00:00:00-00:01", "9999-12-31T23:59:59-00:01",
	"9999-12-31T23:59:59+23:59", "2023-02-29T00:00:00Z", "2024-02-29T00:00:00Z",
	"2024-01-01T24:00:00Z", "2024-01-01T23:59:60Z", "9999-12-31T23:59:60Z",
	"2024-01-01t00:00:00z", "2024-01-01T00:00:00+23:59", "2024-01-01T00:00:00+24:00",
	"2024-01-01T00:00:00-24:00", "2024-01-01T00:00:00.Z", "2024-1-1T00:00:00Z",
	"2024-01-01T00:00:00", "2024-01-01 00:00:00Z", "infinity", "-infinity", "",
	"2024-01-01T00:00:00.1234565Z", "2024-01-01T00:00:00.0000005Z",
	"1999-12-31T23:59:59.9999995-00:00", "2024-13-01T00:00:00Z", "2024-00-10T00:00:00Z",
	"2024-01-32T00:00:00Z", "2024-01-01T00:60:00Z", "2024-01-01T00:00:61Z",
	"2024-01-01T00:00:00+0100", "2024-01-01T00:00:00+01", "2024-01-01T00:00:00+1:00",
	"10000-01-01T00:00:00Z", "-0001-01-01T00:00:00Z", "2024-01-01T00:00:00.999999999999Z",
	"2024-06-30T23:59:60.5+00:00", "2024-01-01T00:00:00ZZ", "\\u0032024-01-01T00:00:00Z",
	"2024-01-01T00:00:00+99:99", "2024-01-01T00:00:00.-1Z", "\xef\xbc\x92" "024-01-01T00:00:00Z",
};

static void
gen_timestamp(Buf *b)
{
	if (one_in(4))
	{
		b_puts(b, PICK(ts_edge));
		return;
	}
	b_printf(b, "%04d-%02d-%02d%c%02d:%02d:%02d", (int) rn(10000), 1 + (int) rn(12),
			 1 + (int) rn(one_in(10) ? 31 : 28), one_in(10) ? 't' : 'T',
			 (int) rn(24), (int) rn(60), (int) rn(one_in(20) ? 61 : 60));
	if (one_in(3))
	{
		int			n = 1 + (int) rn(one_in(50) ? 5000 : 12);

		b_putc(b, '.');
		for (int i = 0; i < n; i++)
			b_putc(b, '0' + (char) rn(10));
	}
	if (one_in(2))
		b_putc(b, one_in(5) ? 'z' : 'Z');
	else
		b_printf(b, "%c%02d:%02d", one_in(2) ? '+' : '-', (int) rn(one_in(10) ? 25 : 15),
				 (int) rn(60));
}

static const char *email_edge[] = {
	"user@email.com", "UPPER.Case@Example.COM", "jos\xc3\xa9.garc\xc3\xad" "a@ex\xc3\xa4mple.es",
	"\\\"quoted local\\\"@example.com", "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a",
	"a@b", "a@b.", "a@.b", "a@-b.c", "a@b-.c", "@b.c", "a@@b.c", "\\\"\\\"@a.b", "a..b@c.d",
	".a@b.c", "a.@b.c", "a b@c.d", "a@b\\u200b.c", "a@b\\u00a0c.d", "\\\"a\\\\\\\"b\\\"@c.d",
	"\\\"a@b.c", "a@b.c\\u0000", "a@[127.0.0.1]", "a@b.c@", "!#$%&'*+-/=?^_`{|}~@x.io",
	"\\\"\\\\\\\"@a.b", "\\\"\\u0001\\\"@a.b", "a@1.2", "\\ud83d\\ude00@\\ud83d\\ude00.de",
};

static const char *phone_edge[] = {
	"+15125551234", "512-555-1234", "+1 (555) 010-0199", "tel:+15550100199", "5550100",
	"555010", "1234567", "123456789012345", "1234567890123456", "TEL:5550100", "tel:",
	"+", "++5550100", "555 0100 ", " 5550100", "(((5550100)))", "555-01\\u00a000",
	"\xef\xbc\x95\xef\xbc\x95\xef\xbc\x95\xef\xbc\x90\xef\xbc\x91\xef\xbc\x90\xef\xbc\x90",
	"5550100x", "tel:tel:5550100", "5.5.5.0.1.0.0", "", " ", "+-5550100", "1-2-3-4-5-6-7",
};

static void
gen_target(Buf *b)
{
	switch (rn(6))
	{
		case 0:
			b_puts(b, PICK(email_edge));
			break;
		case 1:
			b_puts(b, PICK(phone_edge));
			break;
		case 2:
			{
				/* an e-mail address near the length limits */
				int			l = 60 + (int) rn(8),
							d = 58 + (int) rn(8),
							labels = 1 + (int) rn(5);

				for (int i = 0; i < l; i++)
					b_putc(b, 'a' + (char) rn(26));
				b_putc(b, '@');
				for (int k = 0; k < labels; k++)
				{
					if (k)
						b_putc(b, '.');
					for (int i = 0; i < d; i++)
						b_putc(b, 'b' + (char) rn(20));
				}
				b_puts(b, ".io");
			}
			break;
		case 3:
			{
				int			n = 5 + (int) rn(13);

				if (one_in(3))
					b_puts(b, "tel:");
				if (one_in(2))
					b_putc(b, '+');
				for (int i = 0; i < n; i++)
				{
					b_putc(b, '0' + (char) rn(10));
					if (one_in(5))
						b_putc(b, " -.()"[rn(5)]);
				}
			}
			break;
		default:
			gen_str_body(b, 10);
			b_putc(b, '@');
			gen_str_body(b, 6);
			b_puts(b, ".com");
	}
}

static void
gen_ident(Buf *b)
{
	switch (rn(12))
	{
		case 0:
			b_puts(b, PICK(((const char *[]) {
				"", " ", "\\t", "\\u00a0", "\\u200b", "\\ufeff", "\\u3000 ", "\\u0085",
				"\xc2\xa0", "\xe2\x80\x8b", "\\u0000", "\\u180e", "\\u2064", "\\u00ad",
				"\\ud800", "\\u202f\\u205f", "\\u0001\\u001f\\u007f",
			})));
			break;
		case 1:
			if (one_in(20))
				gen_long_string(b);
			else
				gen_str_body(b, 300);
			break;
		case 2:
			b_printf(b, "%d.%d", 20250000 + (int) rn(200), (int) rn(30));
			break;
		default:
			gen_str_body(b, 12);
			if (b->len == 0 || one_in(2))
				b_printf(b, "%u", (unsigned) rn(100000));
	}
}

static void
gen_int_value(Buf *b, int is64)
{
	switch (rn(5))
	{
		case 0:
			b_puts(b, PICK(numbers));
			break;
		case 1:
			b_puts(b, PICK(((const char *[]) {
				"null", "\"1\"", "true", "[]", "{}", "\"\"", "1 ", "-0", "0",
			})));
			break;
		default:
			b_printf(b, "%" PRIu64, is64 ? rnd() >> rn(64) : (rnd() >> 33) >> rn(32));
	}
}

/* keys in the canonical order, plus some noise */
enum
{
	K_BATCH, K_REF, K_TARGET, K_VARS, K_STATUS, K_SID, K_CREATED, K_SENT,
	K_ATTEMPT, K_SESSION, K_CONV, K_COUNT
};
static const char *keys[K_COUNT] = {
	"batch_id", "reference_id", "target", "request_variables", "request_status",
	"call_manager_sid", "created_at", "sent_at", "attempt_count", "session_id",
	"conversation_id"
};

typedef struct
{
	Buf			v[K_COUNT];
	int			present[K_COUNT];
} Rec;

static void
rec_free(Rec *r)
{
	for (int i = 0; i < K_COUNT; i++)
		b_free(&r->v[i]);
}

/*
 * A record; "wild" is the chance (1 in wild) that a field gets an edge
 * value rather than a valid one.  Values are JSON texts.
 */
static void
gen_rec(Rec *r, int wild, const char *batch, const char *ref)
{
	memset(r, 0, sizeof *r);
	for (int k = 0; k < K_COUNT; k++)
	{
		Buf		   *b = &r->v[k];
		int			w = one_in(wild);

		b_reset(b);
		r->present[k] = (k <= K_VARS) ? !one_in(200) : !one_in(3);
		switch (k)
		{
			case K_BATCH:
			case K_REF:
				{
					const char *fixed = k == K_BATCH ? batch : ref;

					b_putc(b, '"');
					if (fixed && !w)
						b_puts(b, fixed);
					else if (w)
						gen_ident(b);
					else
						b_printf(b, "%s%u", k == K_BATCH ? "2025011" : "", (unsigned) rn(1000));
					b_putc(b, '"');
				}
				break;
			case K_TARGET:
				b_putc(b, '"');
				if (w)
					gen_target(b);
				else
					b_puts(b, one_in(2) ? "user@email.com" : "+15125551234");
				b_putc(b, '"');
				break;
			case K_VARS:
				gen_variables(b);
				break;
			case K_STATUS:
				if (w)
					b_puts(b, PICK(((const char *[]) {
						"\"pending\"", "\"\"", "null", "1", "\"DONE\"", "\"PENDING \"",
						"\"P\\u0045NDING\"",
					})));
				else
					b_printf(b, "\"%s\"", PICK(statuses));
				break;
			case K_SID:
				if (w && one_in(2))
				{
					b_putc(b, '"');
					gen_ident(b);
					b_putc(b, '"');
				}
				else if (one_in(3))
					b_puts(b, "null");
				else if (w)
					b_puts(b, PICK(((const char *[]) {"1", "true", "{}", "[\"LM1\"]"})));
				else
					b_printf(b, "\"LM%" PRIx64 "\"", rnd());
				break;
			case K_CREATED:
			case K_SENT:
				if (k == K_SENT && one_in(3))
					b_puts(b, "null");
				else if (w && one_in(8))
					b_puts(b, PICK(((const char *[]) {"1", "null", "{}", "\"\""})));
				else
				{
					b_putc(b, '"');
					if (w)
						gen_timestamp(b);
					else
						b_printf(b, "20%02d-%02d-%02dT%02d:%02d:%02dZ", (int) rn(40),
								 1 + (int) rn(12), 1 + (int) rn(28), (int) rn(24),
								 (int) rn(60), (int) rn(60));
					b_putc(b, '"');
				}
				break;
			case K_ATTEMPT:
				if (w)
					gen_int_value(b, 0);
				else
					b_printf(b, "%d", (int) rn(5));
				break;
			default:
				if (one_in(3))
					b_puts(b, "null");
				else if (w)
					gen_int_value(b, 1);
				else
					b_printf(b, "%u", (unsigned) rn(100000));
		}
	}
}

static void
ws(Buf *b)
{
	if (one_in(12))
		b_puts(b, PICK(((const char *[]) {" ", "\n", "\t", "\r\n ", "  "})));
}

/* Emit a record as a JSON object, maybe shuffled, with structural mutations. */
static void
emit_rec(Buf *b, Rec *r, int structural)
{
	int			order[K_COUNT + 4];
	int			n = 0;

	for (int k = 0; k < K_COUNT; k++)
		if (r->present[k])
			order[n++] = k;
	if (structural && one_in(3))
		for (int i = n - 1; i > 0; i--)
		{
			int			j = (int) rn(i + 1),
						t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
	ws(b);
	b_putc(b, '{');
	for (int i = 0; i < n; i++)
	{
		int			k = order[i];

		if (i)
			b_putc(b, ',');
		ws(b);
		if (structural && one_in(60))
			b_printf(b, "\"%s\"", PICK(((const char *[]) {
				"status", "Batch_id", "batch_id ", "batch\\u005fid", "", "extra", "\\u0000",
			})));
		else if (structural && one_in(80))
			b_puts(b, "\"batch\\u005fid\"");
		else
			b_printf(b, "\"%s\"", keys[k]);
		ws(b);
		b_putc(b, ':');
		ws(b);
		b_put(b, r->v[k].p, r->v[k].len);
		ws(b);
		if (structural && one_in(50))	/* duplicate key */
		{
			b_printf(b, ",\"%s\":", keys[k]);
			b_put(b, r->v[k].p, r->v[k].len);
		}
	}
	if (structural && one_in(40))	/* unknown key */
	{
		if (n)
			b_putc(b, ',');
		b_puts(b, "\"unknown_key\":1");
	}
	b_putc(b, '}');
	ws(b);
	if (structural && one_in(100))
		b_puts(b, PICK(((const char *[]) {"x", "}", ",", "{}", "\\u0000", "null"})));
}

static const char *tokens[] = {
	"\\u0000", "\\ud800", "\\udc00", "\\ud83d\\ude00", "\\ud83d", "\\u", "\\", "\"",
	"1e400", "-0", "9223372036854775808", "-9223372036854775809", "null", "{", "}",
	"[", "]", ",", ":", "\"\":", "1.0", "true", "\xff", "\xc0\x80", "\xed\xa0\x80",
	"\xf4\x90\x80\x80", "\\u00e9", "Z", "+24:00", "T", ".999999999", "0000", "9999",
	"\"request_variables\":{}", "\"batch_id\":\"x\"", "\"attempt_count\":2147483648",
};

/* Byte-level mutations. */
static void
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
					b_put(&t, b->p + pos, b->len - pos);
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

					if (pos + n > b->len)
						n = b->len - pos;
					b_put(&t, b->p, pos + n);
					b_put(&t, b->p + pos, b->len - pos);
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
						b_puts(&t, PICK(numbers));
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

/* A text input of comm_result: mostly valid, often mutated. */
static void
gen_text_input(Buf *b)
{
	Rec			r;
	int			mode = (int) rn(10);

	b_reset(b);
	if (mode == 0 && one_in(20))
	{
		b_puts(b, PICK(((const char *[]) {
			"", " ", "{}", "[]", "null", "\"s\"", "1", "{", "}", "{\"batch_id\"}",
			"{\"batch_id\":\"b\",}", "\xef\xbb\xbf{}", "{\"batch_id\":\"b\",\"reference_id\":\"r\","
			"\"target\":\"5550100\",\"request_variables\":{}}",
		})));
		return;
	}
	gen_rec(&r, mode < 3 ? 1000000 : mode < 7 ? 6 : 2, NULL, NULL);
	emit_rec(b, &r, mode >= 5);
	rec_free(&r);
	if (mode >= 7)
		mutate_bytes(b, 1 + (int) rn(4));
}

/* ------------------------------------------------------------------ */
/* checks */

/*
 * An accepted value, with its canonical text "out" and its binary form
 * "wire": check that both round trip, agree, and that the validators agree.
 * "orig" (may be NULL) is the text input that was accepted.
 */
static void
check_accepted(const char *out, int outlen, const char *wire, int wirelen,
			   const char *orig, int *bad)
{
	static const char *sql =
		"SELECT $1::comm_result::text = $1, $2::text = $1, $1::comm_result = $2, "
		"comm_result_send($2) = $3, comm_result_is_valid($1), "
		"($2::jsonb)::comm_result = $2, comm_result_cmp($1::comm_result, $2), "
		"comm_result_hash($1::comm_result) = comm_result_hash($2), "
		"(SELECT count(*) FROM comm_result_errors($1)), "
		"coalesce(comm_result_is_valid($4), true), "
		"coalesce((SELECT count(*) FROM comm_result_errors($4)), 0), "
		"$1::json::text = $1";
	static const char *expect[] = {"t", "t", "t", "t", "t", "t", "0", "t", "0", "t", "0", "t"};
	static const char *what[] = {
		"text round trip: in(out(v))::text differs from out(v)",
		"binary round trip: recv(send(v))::text differs from out(v)",
		"in(out(v)) = recv(send(v)) is false",
		"send(recv(send(v))) differs from send(v)",
		"comm_result_is_valid(out(v)) is false",
		"jsonb round trip: (v::jsonb)::comm_result <> v",
		"comm_result_cmp(in(out(v)), recv(send(v))) is not 0",
		"hash of in(out(v)) differs from hash of recv(send(v))",
		"comm_result_errors(out(v)) returns rows",
		"comm_result_is_valid(input) is false for an accepted input",
		"comm_result_errors(input) returns rows for an accepted input",
		"v::json::text differs from out(v)",
	};
	Oid			types[4] = {TEXTOID, cr_oid, BYTEAOID, TEXTOID};
	const char *vals[4] = {out, wire, wire, orig};
	int			lens[4] = {outlen, wirelen, wirelen, 0};
	int			fmts[4] = {0, 1, 1, 0};
	char		code[6];
	PGresult   *r;

	(void) outlen;
	r = q(sql, 4, types, vals, lens, fmts, 0, code, bad);
	if (!r && strcmp(code, "22P05") == 0 && strcmp(cur_encoding, "UTF8") != 0)
		return;					/* the client encoding cannot hold a character */
	if (!r)
	{
		char		d[256];

		snprintf(d, sizeof d, "re-reading an accepted value raised %s", code);
		invariant(0, d, bad);
		return;
	}
	for (int i = 0; i < 12; i++)
		if (strcmp(PQgetvalue(r, 0, i), expect[i]) != 0)
		{
			char		d[512];

			snprintf(d, sizeof d, "%s (got %s); canonical text: %.200s", what[i],
					 PQgetvalue(r, 0, i), out);
			invariant(0, d, bad);
		}
	PQclear(r);
}

/*
 * Read a comm_result from a query result column pair (text, send bytes in
 * binary result format) and check it.
 */
static void
check_result_pair(PGresult *r, int row, const char *orig, int *bad)
{
	if (PQgetisnull(r, row, 0))
		return;
	check_accepted(PQgetvalue(r, row, 0), PQgetlength(r, row, 0),
				   PQgetvalue(r, row, 1), PQgetlength(r, row, 1), orig, bad);
}

/* Check a value given by its canonical text only (output of a function). */
static void
check_text_value(const char *out, int *bad)
{
	static const char *sql =
		"SELECT x::text, comm_result_send(x) FROM (SELECT $1::comm_result AS x) s";
	Oid			types[1] = {TEXTOID};
	const char *vals[1] = {out};
	char		code[6];
	PGresult   *r = q(sql, 1, types, vals, NULL, NULL, 1, code, bad);

	if (!r)
	{
		char		d[256];

		snprintf(d, sizeof d, "a function's comm_result output is rejected as input (%s)", code);
		invariant(0, d, bad);
		return;
	}
	{
		Buf			t = {0};

		b_put(&t, PQgetvalue(r, 0, 0), PQgetlength(r, 0, 0));
		invariant(strcmp(t.p, out) == 0, "a function's comm_result output is not canonical", bad);
		check_result_pair(r, 0, NULL, bad);
		b_free(&t);
	}
	PQclear(r);
}

static long cat_acc[8], cat_rej[8];

static void
tally(PGresult *r, const char *code)
{
	for (int i = 0; i < 6; i++)
		if (strcmp(cur_cat, cat_name[i]) == 0)
			(r ? cat_acc : cat_rej)[i]++;
	if (r)
		n_accepted++;
	else
	{
		n_rejected++;
		count_code(code[0] ? code : "?????");
	}
}

/* ------------------------------------------------------------------ */
/* (a) text inputs */

static void
fuzz_text(int *bad)
{
	static const char *sql =
		"SELECT x::text, comm_result_send(x) FROM (SELECT $1::comm_result AS x) s";
	const char *vals[1];
	char		code[6];
	PGresult   *r;

	cur_cat = "text";
	gen_text_input(&cur_input);
	vals[0] = cur_input.p;
	r = q(sql, 1, NULL, vals, NULL, NULL, 1, code, bad);
	tally(r, code);
	if (r)
	{
		Buf			out = {0};

		b_put(&out, PQgetvalue(r, 0, 0), PQgetlength(r, 0, 0));
		check_accepted(out.p, (int) out.len, PQgetvalue(r, 0, 1), PQgetlength(r, 0, 1),
					   cur_input.p, bad);
		b_free(&out);
		PQclear(r);
	}
	else if (strcmp(code, "22021") != 0 && one_in(3) &&
			 !(strcmp(code, "22P05") == 0 && strcmp(cur_encoding, "UTF8") != 0))
	{
		/* a rejected input: the validators must agree (or raise a limit) */
		const char *sql2 = "SELECT comm_result_is_valid($1), "
			"(SELECT count(*) FROM comm_result_errors($1))";
		Oid			t[1] = {TEXTOID};
		PGresult   *r2 = q(sql2, 1, t, vals, NULL, NULL, 0, code, bad);

		if (r2)
		{
			invariant(strcmp(PQgetvalue(r2, 0, 0), "f") == 0,
					  "comm_result_is_valid is true for a rejected input", bad);
			invariant(strcmp(PQgetvalue(r2, 0, 1), "0") != 0,
					  "comm_result_errors returns no rows for a rejected input", bad);
			PQclear(r2);
		}
	}
}

/* ------------------------------------------------------------------ */
/* (b) binary inputs */

static void
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
static void
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

static void
gen_wire(Buf *b)
{
	Rec			r;
	uint16_t	flags = 0;
	int			status = 0;
	int32_t		attempts = 0;
	int64_t		created = 0,
				sent = 0,
				sess = 0,
				conv = 0;
	int			wild = one_in(3);
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
			b->p[0] = 1;
		return;
	}
	gen_rec(&r, wild ? 3 : 1000000, NULL, NULL);
	if (one_in(2))
	{
		flags |= 0x0001;
		status = (int) rn(9);
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
	}

	b_putc(b, wild && one_in(20) ? (char) rn(4) : 1);
	b_be(b, flags, 2);
	b_putc(b, (char) status);
	b_be(b, (uint32_t) attempts, 4);
	b_be(b, (uint64_t) created, 8);
	b_be(b, (uint64_t) sent, 8);
	b_be(b, (uint64_t) sess, 8);
	b_be(b, (uint64_t) conv, 8);
	for (int k = K_BATCH; k <= K_TARGET; k++)
	{
		unquote(&r.v[k], &s, &n);
		if (wild && one_in(15))
			s = PICK(((const char *[]) {"", " ", "\xc2\xa0", "a\0b", "\xff\xfe", "\xed\xa0\x80",
				"\xc0\x80", "\xe2\x80\x8b", "\xf4\x90\x80\x80"})), n = strlen(s) + (one_in(3) ? 1 : 0);
		wire_str(b, s, n, wild);
	}
	if (flags & 0x0020)
	{
		unquote(&r.v[K_SID], &s, &n);
		if (strcmp(r.v[K_SID].p, "null") == 0)
			s = "LM1", n = 3;
		wire_str(b, s, n, wild);
	}
	else
		b_be(b, (uint64_t) -1, 4);
	wire_str(b, r.v[K_VARS].p, r.v[K_VARS].len, wild);
	rec_free(&r);
	if (wild && one_in(10))
		b_putc(b, (char) rnd());
	if (one_in(6))
	{
		/* keep zero bytes: binary parameters carry their length */
		size_t		keep = b->len;

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
		(void) keep;
	}
}

static void
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
	r = q(sql, 1, types, vals, lens, fmts, 1, code, bad);
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

/* ------------------------------------------------------------------ */
/* comm_batch_state: text and binary */

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

static void
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

static void
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
		r = qt("SELECT x::text, comm_batch_state_send(x), "
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
		r = q("SELECT $1::text, comm_batch_state_send($1), (comm_batch_state_summary($1)).total, "
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
		r2 = qt("SELECT $1::text::comm_batch_state::text = $1::text, "
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

/* ------------------------------------------------------------------ */
/* (c) functions */

/* argument pools; NULL stands for SQL NULL */
static void
arg_text(Buf *b, int *isnull)
{
	*isnull = 0;
	b_reset(b);
	switch (rn(8))
	{
		case 0:
			*isnull = 1;
			break;
		case 1:
			break;				/* empty */
		case 2:
			b_puts(b, PICK(((const char *[]) {" ", "\t", "\xc2\xa0", "\xe2\x80\x8b", "LM1",
				"first_name", "a", "\xf0\x9f\x98\x80", "\xff", "null"})));
			break;
		case 3:
			if (one_in(10))
				gen_long_string(b);
			else
				gen_str_body(b, 40);
			break;
		default:
			b_printf(b, "LM%" PRIx64, rnd());
	}
	b->len = strlen(b->p);
}

static void
arg_status(Buf *b, int *isnull)
{
	*isnull = one_in(6);
	b_reset(b);
	if (one_in(12))
		b_puts(b, PICK(((const char *[]) {"pending", "", "X", "PENDING ", "P\xc3\xa9NDING"})));
	else
		b_puts(b, PICK(statuses));
}

static void
arg_tstz(Buf *b, int *isnull)
{
	*isnull = one_in(6);
	b_reset(b);
	if (one_in(3))
		b_puts(b, PICK(((const char *[]) {
			"infinity", "-infinity", "4714-11-24 00:00:00+00 BC", "294276-12-31 23:59:59.999999+00",
			"0001-01-01 00:00:00+00 BC", "0001-01-01 00:00:00+00", "10000-01-01 00:00:00+00",
			"9999-12-31 23:59:59.999999+00", "9999-12-31 23:59:59.999999-01",
			"2000-01-01 00:00:00+00", "1970-01-01 00:00:00+00", "0001-01-01 00:00:00+14",
		})));
	else
		b_printf(b, "%04d-%02d-%02d %02d:%02d:%02d.%06d+00", 1 + (int) rn(9999), 1 + (int) rn(12),
				 1 + (int) rn(28), (int) rn(24), (int) rn(60), (int) rn(60), (int) rn(1000000));
}

static void
arg_int(Buf *b, int *isnull, int is64)
{
	*isnull = one_in(5);
	b_reset(b);
	if (one_in(3))
		b_puts(b, is64 ? PICK(((const char *[]) {"0", "-1", "1", "9223372036854775807",
			"-9223372036854775808", "2147483648"})) :
			PICK(((const char *[]) {"0", "-1", "1", "2147483647", "-2147483648"})));
	else
		b_printf(b, "%u", (unsigned) rn(100000));
}

static void
arg_jsonb(Buf *b, int *isnull)
{
	*isnull = one_in(10);
	b_reset(b);
	if (one_in(5))
		b_puts(b, PICK(((const char *[]) {"{}", "[]", "null", "1", "\"s\"", "{\"a\":null}",
			"{\"a\":1e400}", "{\"\":\"\\u00e9\"}"})));
	else
		gen_variables(b);
}

/* A comm_result text; same request when batch/ref are given. */
static void
arg_value(Buf *b, const char *batch, const char *ref)
{
	Rec			r;

	b_reset(b);
	gen_rec(&r, one_in(4) ? 4 : 1000000, batch, ref);
	r.present[K_BATCH] = r.present[K_REF] = r.present[K_TARGET] = r.present[K_VARS] = 1;
	if (one_in(10))
	{
		r.present[K_ATTEMPT] = 1;
		b_reset(&r.v[K_ATTEMPT]);
		b_puts(&r.v[K_ATTEMPT], PICK(((const char *[]) {"2147483646", "2147483647", "0"})));
		if (one_in(2))
		{
			r.present[K_STATUS] = !one_in(4);
			b_reset(&r.v[K_STATUS]);
			b_puts(&r.v[K_STATUS], one_in(2) ? "\"FAILED\"" : "\"PENDING\"");
		}
	}
	if (one_in(200))
	{
		b_reset(&r.v[K_VARS]);
		gen_variables(&r.v[K_VARS]);
	}
	emit_rec(b, &r, 0);
	rec_free(&r);
	b->len = strlen(b->p);
}

#define MAXA 12

typedef struct
{
	Buf			a[MAXA];
	int			isnull[MAXA];
	const char *v[MAXA];
} Args;

static void
args_final(Args *A, int n)
{
	for (int i = 0; i < n; i++)
		A->v[i] = A->isnull[i] ? NULL : (A->a[i].p ? A->a[i].p : "");
}

static void
args_free(Args *A)
{
	for (int i = 0; i < MAXA; i++)
		b_free(&A->a[i]);
}

/* The current input, for the failure file: the parameters, one a line. */
static void
record_args(Args *A, int n, const char *name)
{
	b_reset(&cur_input);
	b_printf(&cur_input, "%s\n", name);
	for (int i = 0; i < n; i++)
	{
		if (A->isnull[i])
			b_puts(&cur_input, "NULL");
		else
			b_put(&cur_input, A->a[i].p ? A->a[i].p : "", A->a[i].len);
		b_putc(&cur_input, '\n');
	}
}

static void
same_request(Buf *bb, Buf *rb)
{
	b_reset(bb);
	b_reset(rb);
	b_printf(bb, "2025011%u", (unsigned) rn(3));
	b_printf(rb, "%u", (unsigned) rn(3));
}

/* comm_result[] array literal of values, some NULL */
static void
arg_array(Buf *b, int n, const char *batch, const char *ref)
{
	Buf			v = {0};

	b_reset(b);
	if (one_in(20))
	{
		b_puts(b, PICK(((const char *[]) {"{}", "{NULL}", "{{}}", "{\"x\"}", "{{\"a\"},{\"b\",\"c\"}}",
			"[0:1]={NULL,NULL}", "{NULL,NULL,NULL}"})));
		return;
	}
	b_putc(b, '{');
	for (int i = 0; i < n; i++)
	{
		if (i)
			b_putc(b, ',');
		if (one_in(10))
		{
			b_puts(b, "NULL");
			continue;
		}
		arg_value(&v, one_in(8) ? NULL : batch, one_in(8) ? NULL : ref);
		b_putc(b, '"');
		for (size_t k = 0; k < v.len; k++)
		{
			if (v.p[k] == '"' || v.p[k] == '\\')
				b_putc(b, '\\');
			b_putc(b, v.p[k]);
		}
		b_putc(b, '"');
	}
	b_putc(b, '}');
	b_free(&v);
}

static void
check_value_col(PGresult *r, int col, int *bad)
{
	if (r && PQntuples(r) > 0 && !PQgetisnull(r, 0, col))
	{
		Buf			t = {0};

		b_puts(&t, PQgetvalue(r, 0, col));
		check_text_value(t.p, bad);
		b_free(&t);
	}
}

static void
fuzz_function(int *bad)
{
	Args		A;
	Buf			bb = {0},
				rb = {0};
	char		code[6];
	PGresult   *r = NULL;
	int			which = (int) rn(16);

	memset(&A, 0, sizeof A);
	cur_cat = "function";
	same_request(&bb, &rb);
	switch (which)
	{
		case 0:					/* transition with every argument */
			arg_value(&A.a[0], NULL, NULL);
			A.isnull[0] = one_in(15);
			arg_status(&A.a[1], &A.isnull[1]);
			arg_tstz(&A.a[2], &A.isnull[2]);
			arg_text(&A.a[3], &A.isnull[3]);
			arg_int(&A.a[4], &A.isnull[4], 1);
			arg_int(&A.a[5], &A.isnull[5], 1);
			args_final(&A, 6);
			record_args(&A, 6, "comm_result_transition");
			r = qt("SELECT comm_result_transition($1::comm_result, $2::comm_status, $3::timestamptz, $4, $5::bigint, $6::bigint)::text",
				   6, A.v, code, bad);
			tally(r, code);
			check_value_col(r, 0, bad);
			break;
		case 1:					/* transition with the now() default */
			arg_value(&A.a[0], NULL, NULL);
			arg_status(&A.a[1], &A.isnull[1]);
			args_final(&A, 2);
			record_args(&A, 2, "comm_result_transition/2");
			r = qt("SELECT comm_result_transition($1::comm_result, $2::comm_status)::text", 2, A.v, code, bad);
			tally(r, code);
			check_value_col(r, 0, bad);
			break;
		case 2:					/* merge: properties */
			{
				int			same = !one_in(5);

				for (int i = 0; i < 3; i++)
					arg_value(&A.a[i], same ? bb.p : NULL, same ? rb.p : NULL);
				args_final(&A, 3);
				record_args(&A, 3, "comm_result_merge");
				r = qt("SELECT m::text, comm_result_merge(b, a) = m, comm_result_merge(a, a) = a, "
					   "comm_result_merge(m, b) = m, "
					   "comm_result_merge(comm_result_merge(a, b), c) = comm_result_merge(a, comm_result_merge(b, c)), "
					   "x::text = comm_result_merge(comm_result_merge(a, b), c)::text "
					   "FROM (SELECT $1::comm_result a, $2::comm_result b, $3::comm_result c) s, "
					   "LATERAL (SELECT comm_result_merge(a, b) m) t, "
					   "LATERAL (SELECT comm_result_latest(v) x FROM unnest(array[a, b, c]) v) u",
					   3, A.v, code, bad);
				tally(r, code);
				if (r)
				{
					invariant(strcmp(PQgetvalue(r, 0, 1), "t") == 0, "comm_result_merge is not commutative", bad);
					invariant(strcmp(PQgetvalue(r, 0, 2), "t") == 0, "comm_result_merge is not idempotent", bad);
					invariant(strcmp(PQgetvalue(r, 0, 3), "t") == 0, "comm_result_merge(merge(a,b),b) <> merge(a,b)", bad);
					invariant(strcmp(PQgetvalue(r, 0, 4), "t") == 0, "comm_result_merge is not associative", bad);
					invariant(strcmp(PQgetvalue(r, 0, 5), "t") == 0, "comm_result_latest differs from folding comm_result_merge", bad);
					check_value_col(r, 0, bad);
				}
			}
			break;
		case 3:					/* constructor */
			{
				Rec			rec;

				gen_rec(&rec, one_in(2) ? 3 : 1000000, NULL, NULL);
				for (int k = 0; k < 3; k++)
				{
					const char *s;
					size_t		n;

					unquote(&rec.v[k], &s, &n);
					b_reset(&A.a[k]);
					b_put(&A.a[k], s, n);
					A.a[k].len = strlen(A.a[k].p);
					A.isnull[k] = one_in(25);
				}
				arg_jsonb(&A.a[3], &A.isnull[3]);
				arg_status(&A.a[4], &A.isnull[4]);
				arg_text(&A.a[5], &A.isnull[5]);
				arg_tstz(&A.a[6], &A.isnull[6]);
				arg_tstz(&A.a[7], &A.isnull[7]);
				arg_int(&A.a[8], &A.isnull[8], 0);
				arg_int(&A.a[9], &A.isnull[9], 1);
				arg_int(&A.a[10], &A.isnull[10], 1);
				rec_free(&rec);
				args_final(&A, 11);
				record_args(&A, 11, "comm_result(...)");
				r = qt("SELECT comm_result($1, $2, $3, $4::jsonb, $5::comm_status, $6, $7::timestamptz, "
					   "$8::timestamptz, $9::integer, $10::bigint, $11::bigint)::text", 11, A.v, code, bad);
				tally(r, code);
				check_value_col(r, 0, bad);
			}
			break;
		case 4:					/* comm_results(jsonb) */
			{
				Buf			v = {0};
				int			n = (int) rn(6);

				b_reset(&A.a[0]);
				if (one_in(10))
					b_puts(&A.a[0], PICK(((const char *[]) {"[]", "{}", "null", "1", "[null]", "[[]]",
						"[{}]", "\"[]\"", "[1,2]"})));
				else
				{
					b_putc(&A.a[0], '[');
					for (int i = 0; i < n; i++)
					{
						if (i)
							b_putc(&A.a[0], ',');
						if (one_in(3))
							gen_text_input(&v);
						else
							arg_value(&v, NULL, NULL);
						b_put(&A.a[0], v.p, v.len);
					}
					b_putc(&A.a[0], ']');
				}
				b_free(&v);
				args_final(&A, 1);
				record_args(&A, 1, "comm_results");
				r = qt("SELECT count(*), bool_and(comm_result_is_valid(r::text)), "
					   "bool_and((r::text)::comm_result = r) FROM comm_results($1::jsonb) r", 1, A.v, code, bad);
				tally(r, code);
				if (r)
				{
					invariant(strcmp(PQgetvalue(r, 0, 0), "0") == 0 || strcmp(PQgetvalue(r, 0, 1), "t") == 0,
							  "a value from comm_results is not valid as text", bad);
					invariant(strcmp(PQgetvalue(r, 0, 0), "0") == 0 || strcmp(PQgetvalue(r, 0, 2), "t") == 0,
							  "a value from comm_results does not round trip", bad);
				}
			}
			break;
		case 5:					/* validators on any text */
			gen_text_input(&A.a[0]);
			if (one_in(30))
			{
				b_reset(&A.a[0]);
				gen_deep(&A.a[0]);
			}
			args_final(&A, 1);
			record_args(&A, 1, "comm_result_is_valid/errors");
			r = qt("SELECT comm_result_is_valid($1), (SELECT count(*) FROM comm_result_errors($1)), "
				   "(SELECT count(*) FILTER (WHERE message IS NULL) FROM comm_result_errors($1))",
				   1, A.v, code, bad);
			tally(r, code);
			if (r)
			{
				int			valid = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
				long		cnt = atol(PQgetvalue(r, 0, 1));

				invariant(valid == (cnt == 0), "comm_result_is_valid disagrees with comm_result_errors", bad);
				invariant(cnt <= 101, "comm_result_errors returned more than 101 rows", bad);
				invariant(strcmp(PQgetvalue(r, 0, 2), "0") == 0, "comm_result_errors returned a NULL message", bad);
			}
			break;
		case 6:					/* accessors */
			arg_value(&A.a[0], NULL, NULL);
			arg_text(&A.a[1], &A.isnull[1]);
			arg_int(&A.a[2], &A.isnull[2], 1);
			args_final(&A, 3);
			record_args(&A, 3, "accessors");
			r = qt("SELECT batch_id(r) = f.batch_id, reference_id(r) = f.reference_id, target(r) = f.target, "
				   "request_variables(r) = f.request_variables, "
				   "request_status(r) IS NOT DISTINCT FROM f.request_status, "
				   "call_manager_sid(r) IS NOT DISTINCT FROM f.call_manager_sid, "
				   "created_at(r) IS NOT DISTINCT FROM f.created_at, sent_at(r) IS NOT DISTINCT FROM f.sent_at, "
				   "attempt_count(r) = f.attempt_count, session_id(r) IS NOT DISTINCT FROM f.session_id, "
				   "conversation_id(r) IS NOT DISTINCT FROM f.conversation_id, target_kind(r) = f.target_kind, "
				   "request_variable(r, $2) IS NOT DISTINCT FROM request_variables(r) ->> $2, "
				   "(r::jsonb)::comm_result = r, r::json::text = r::text, "
				   "comm_result_hash_extended(r, coalesce($3::bigint, 0)) IS NOT NULL, "
				   "comm_result_hash_extended(r, 0) = comm_result_hash(r)::bigint "
				   "OR comm_result_hash_extended(r, 0) IS NOT NULL "
				   "FROM (SELECT $1::comm_result r) s, comm_result_fields(r) f", 3, A.v, code, bad);
			tally(r, code);
			if (r)
				for (int i = 0; i < 16; i++)
					if (strcmp(PQgetvalue(r, 0, i), "t") != 0)
					{
						char		d[128];

						snprintf(d, sizeof d, "accessor check %d is %s", i,
								 PQgetisnull(r, 0, i) ? "NULL" : PQgetvalue(r, 0, i));
						invariant(0, d, bad);
					}
			break;
		case 7:					/* comm_status functions */
			arg_status(&A.a[0], &A.isnull[0]);
			arg_status(&A.a[1], &A.isnull[1]);
			args_final(&A, 2);
			record_args(&A, 2, "comm_status");
			r = qt("SELECT comm_status_next($1::comm_status), comm_status_is_terminal($1::comm_status), "
				   "comm_status_can_transition($1::comm_status, $2::comm_status), "
				   "$2::comm_status IS NULL OR comm_status_can_transition($1::comm_status, $2::comm_status) IS NOT DISTINCT FROM "
				   "($2::comm_status = ANY (comm_status_next(coalesce($1::comm_status, 'PENDING'))) "
				   " OR coalesce($1::comm_status, 'PENDING') = $2::comm_status), "
				   "(SELECT count(*) FROM comm_status_transitions()), "
				   "comm_status_is_terminal($1::comm_status) IS NOT DISTINCT FROM "
				   "(cardinality(comm_status_next($1::comm_status)) = 0), "
				   "comm_status_cmp($1::comm_status, $2::comm_status), "
				   "comm_status_hash($1::comm_status) IS NOT DISTINCT FROM comm_status_hash($1::text::comm_status)",
				   2, A.v, code, bad);
			tally(r, code);
			if (r)
			{
				invariant(strcmp(PQgetvalue(r, 0, 3), "t") == 0 || PQgetisnull(r, 0, 3),
						  "comm_status_can_transition disagrees with comm_status_next", bad);
				invariant(strcmp(PQgetvalue(r, 0, 4), "13") == 0, "comm_status_transitions() has not 13 rows", bad);
				invariant(strcmp(PQgetvalue(r, 0, 5), "t") == 0, "comm_status_is_terminal disagrees with comm_status_next", bad);
				invariant(strcmp(PQgetvalue(r, 0, 7), "t") == 0, "comm_status text round trip changes its hash", bad);
			}
			break;
		case 8:					/* comm_status binary recv */
			{
				Oid			types[1] = {cs_oid};
				int			lens[1],
							fmts[1] = {1};

				b_reset(&A.a[0]);
				if (one_in(2))
					b_puts(&A.a[0], PICK(statuses));
				else
					gen_str_body(&A.a[0], 12);
				if (one_in(3))
					mutate_bytes(&A.a[0], 1);
				if (one_in(5) && A.a[0].len)
					A.a[0].p[rn(A.a[0].len)] = one_in(2) ? '\0' : (char) 0xff;
				args_final(&A, 1);
				lens[0] = (int) A.a[0].len;
				record_args(&A, 1, "comm_status binary");
				r = q("SELECT $1::text, $1::text::comm_status = $1", 1, types, A.v, lens, fmts, 0, code, bad);
				tally(r, code);
				if (r)
					invariant(strcmp(PQgetvalue(r, 0, 1), "t") == 0, "comm_status binary/text disagree", bad);
			}
			break;
		case 9:					/* batch state add / combine */
			gen_state_text(&A.a[0], one_in(4));
			gen_state_text(&A.a[1], one_in(4));
			arg_value(&A.a[2], NULL, NULL);
			args_final(&A, 3);
			record_args(&A, 3, "comm_batch_state_add/combine");
			r = qt("SELECT comm_batch_state_add($1::comm_batch_state, $3::comm_result)::text, "
				   "comm_batch_state_combine($1::comm_batch_state, $2::comm_batch_state)::text = "
				   "comm_batch_state_combine($2::comm_batch_state, $1::comm_batch_state)::text, "
				   "comm_batch_state_summary(comm_batch_state_combine($1::comm_batch_state, $2::comm_batch_state)), "
				   "comm_batch_state_status_counts(comm_batch_state_add($2::comm_batch_state, $3::comm_result))",
				   3, A.v, code, bad);
			tally(r, code);
			if (r)
				invariant(strcmp(PQgetvalue(r, 0, 1), "t") == 0, "comm_batch_state_combine is not commutative", bad);
			break;
		case 10:				/* aggregates over arrays */
			{
				int			same = one_in(2);

				arg_array(&A.a[0], (int) rn(7), same ? bb.p : NULL, same ? rb.p : NULL);
				args_final(&A, 1);
				record_args(&A, 1, "aggregates");
				r = qt("SELECT comm_batch_summary(r), comm_status_counts(r), comm_result_latest(r)::text, "
					   "(comm_batch_summary(r)).total = count(r) "
					   "FROM unnest($1::comm_result[]) r", 1, A.v, code, bad);
				tally(r, code);
				if (r)
				{
					invariant(strcmp(PQgetvalue(r, 0, 3), "t") == 0 || PQgetisnull(r, 0, 3),
							  "comm_batch_summary total differs from count", bad);
					check_value_col(r, 2, bad);
				}
			}
			break;
		case 11:				/* comparison operators */
			{
				int			same = one_in(2);

				arg_value(&A.a[0], same ? bb.p : NULL, same ? rb.p : NULL);
				if (one_in(4))
					b_copy(&A.a[1], &A.a[0]);
				else
					arg_value(&A.a[1], same ? bb.p : NULL, same ? rb.p : NULL);
				args_final(&A, 2);
				record_args(&A, 2, "comparison");
				r = qt("SELECT comm_result_cmp(a, b) = -comm_result_cmp(b, a), "
					   "(a = b) = (comm_result_cmp(a, b) = 0), (a < b) = (comm_result_cmp(a, b) < 0), "
					   "(a <> b) = NOT (a = b), (a <= b) = NOT (a > b), (a >= b) = NOT (a < b), "
					   "(a = b) <= (comm_result_hash(a) = comm_result_hash(b)), "
					   "(a = b) = (a::text = b::text) "
					   "FROM (SELECT $1::comm_result a, $2::comm_result b) s", 2, A.v, code, bad);
				tally(r, code);
				if (r)
					for (int i = 0; i < 8; i++)
						if (strcmp(PQgetvalue(r, 0, i), "t") != 0)
						{
							char		d[128];

							snprintf(d, sizeof d, "comparison check %d is %s", i, PQgetvalue(r, 0, i));
							invariant(0, d, bad);
						}
			}
			break;
		case 12:				/* jsonb -> comm_result */
			cur_cat = "jsonb";
			gen_text_input(&A.a[0]);
			args_final(&A, 1);
			record_args(&A, 1, "jsonb cast");
			r = q("SELECT x::text, comm_result_send(x) FROM (SELECT ($1::jsonb)::comm_result AS x) s",
				  1, NULL, A.v, NULL, NULL, 1, code, bad);
			tally(r, code);
			if (r)
				check_result_pair(r, 0, NULL, bad);
			break;
		case 13:				/* guard trigger on a temp table */
			{
				int			same = !one_in(4);

				arg_value(&A.a[0], bb.p, rb.p);
				arg_value(&A.a[1], same ? bb.p : NULL, same ? rb.p : NULL);
				A.isnull[1] = one_in(20);
				args_final(&A, 2);
				record_args(&A, 2, "comm_result_guard");
				r = qt("WITH d AS (DELETE FROM fz_guard) INSERT INTO fz_guard VALUES ($1::comm_result)", 1, A.v, code, bad);
				if (r)
				{
					PQclear(r);
					r = qt("UPDATE fz_guard SET r = $1::comm_result", 1, A.v + 1, code, bad);
				}
				tally(r, code);
			}
			break;
		case 14:				/* request_variable with weird keys and deep values */
			arg_value(&A.a[0], NULL, NULL);
			arg_text(&A.a[1], &A.isnull[1]);
			args_final(&A, 2);
			record_args(&A, 2, "request_variable");
			r = qt("SELECT request_variable(r, $2) IS NOT DISTINCT FROM request_variables(r) ->> $2, "
				   "request_variable(r, $2) FROM (SELECT $1::comm_result r) s", 2, A.v, code, bad);
			tally(r, code);
			if (r)
				invariant(strcmp(PQgetvalue(r, 0, 0), "t") == 0, "request_variable differs from ->>", bad);
			break;
		default:				/* comm_batch_state text input, mutated */
			cur_cat = "batch_state";
			gen_state_text(&A.a[0], 1);
			if (one_in(3))
				mutate_bytes(&A.a[0], 1 + (int) rn(5));
			args_final(&A, 1);
			record_args(&A, 1, "comm_batch_state_in");
			r = qt("SELECT $1::comm_batch_state::text", 1, A.v, code, bad);
			tally(r, code);
			break;
	}
	if (r)
		PQclear(r);
	b_free(&bb);
	b_free(&rb);
	args_free(&A);
}

/* ------------------------------------------------------------------ */
/* setup: fixed checks of the guard's error codes */

static void
setup(int *bad)
{
	static const struct
	{
		const char *sql;
		const char *code;		/* expected SQLSTATE, "" for success */
	}			steps[] = {
		{"CREATE TEMP TABLE fz_guard (r comm_result)", ""},
		{"CREATE TRIGGER g BEFORE UPDATE ON fz_guard FOR EACH ROW EXECUTE FUNCTION comm_result_guard()", ""},
		{"CREATE TEMP TABLE fz_t2 (r comm_result, t text)", ""},
		{"CREATE TRIGGER g1 BEFORE UPDATE ON fz_t2 FOR EACH ROW EXECUTE FUNCTION comm_result_guard('nope')", ""},
		{"INSERT INTO fz_t2 VALUES ('{\"batch_id\":\"b\",\"reference_id\":\"r\",\"target\":\"5550100\",\"request_variables\":{}}', 'x')", ""},
		{"UPDATE fz_t2 SET t = 'y'", "42703"},
		{"DROP TRIGGER g1 ON fz_t2", ""},
		{"CREATE TRIGGER g2 BEFORE UPDATE ON fz_t2 FOR EACH ROW EXECUTE FUNCTION comm_result_guard('t')", ""},
		{"UPDATE fz_t2 SET t = 'y'", "42804"},
		{"DROP TRIGGER g2 ON fz_t2", ""},
		{"CREATE TRIGGER g3 AFTER UPDATE ON fz_t2 FOR EACH ROW EXECUTE FUNCTION comm_result_guard()", ""},
		{"UPDATE fz_t2 SET t = 'y'", "39P01"},
		{"DROP TRIGGER g3 ON fz_t2", ""},
		{"CREATE TRIGGER g4 BEFORE UPDATE ON fz_t2 FOR EACH STATEMENT EXECUTE FUNCTION comm_result_guard()", ""},
		{"UPDATE fz_t2 SET t = 'y'", "39P01"},
		{"DROP TRIGGER g4 ON fz_t2", ""},
		{"CREATE TRIGGER g5 BEFORE INSERT ON fz_t2 FOR EACH ROW EXECUTE FUNCTION comm_result_guard()", ""},
		{"INSERT INTO fz_t2 VALUES (NULL, 'z')", "39P01"},
		{"DROP TRIGGER g5 ON fz_t2", ""},
		{"CREATE TEMP TABLE fz_t3 (t text)", ""},
		{"CREATE TRIGGER g6 BEFORE UPDATE ON fz_t3 FOR EACH ROW EXECUTE FUNCTION comm_result_guard()", ""},
		{"INSERT INTO fz_t3 VALUES ('a')", ""},
		{"UPDATE fz_t3 SET t = 'b'", "42804"},
		{"CREATE TRIGGER g BEFORE UPDATE ON fz_t2 FOR EACH ROW EXECUTE FUNCTION comm_result_guard()", ""},
		{"UPDATE fz_t2 SET r = NULL", "23514"},
	};

	cur_cat = "setup";
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
	{
		char		code[6];
		PGresult   *r;

		b_reset(&cur_input);
		b_puts(&cur_input, steps[i].sql);
		r = qt(steps[i].sql, 0, NULL, code, bad);
		cat_count[5]++;
		n_inputs++;
		tally(r, code);
		if (r)
			PQclear(r);
		if (strcmp(code, steps[i].code) != 0)
		{
			char		d[512];

			snprintf(d, sizeof d, "expected SQLSTATE %s, got %s", steps[i].code[0] ? steps[i].code : "success",
					 code[0] ? code : "success");
			invariant(0, d, bad);
		}
	}
}

/* ------------------------------------------------------------------ */

int
main(int argc, char **argv)
{
	long		n = 20000,
				start = 0;
	int			seed_given = 0;
	time_t		t0 = time(NULL);
	long		inputs_failed = 0;

	for (int i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10), seed_given = 1;
		else if (strcmp(argv[i], "--n") == 0 && i + 1 < argc)
			n = atol(argv[++i]);
		else if (strcmp(argv[i], "--start") == 0 && i + 1 < argc)
			start = atol(argv[++i]);
		else if (strcmp(argv[i], "--faildir") == 0 && i + 1 < argc)
			faildir = argv[++i];
		else if (strcmp(argv[i], "--verbose") == 0)
			verbose++;
		else
		{
			fprintf(stderr, "usage: %s [--seed S] [--n N] [--start I] [--faildir DIR] [--verbose]\n", argv[0]);
			return 2;
		}
	}
	if (!seed_given)
		seed = (uint64_t) time(NULL);
	printf("comm_result fuzz: seed %" PRIu64 ", inputs %ld to %ld\n", seed, start, start + n - 1);
	fflush(stdout);

	connect_db();
	cr_oid = type_oid("comm_result");
	cbs_oid = type_oid("comm_batch_state");
	cs_oid = type_oid("comm_status");

	{
		int			bad = 0;

		cur_n = -1;
		setup(&bad);
		if (bad)
			inputs_failed++;
	}

	for (long i = start; i < start + n; i++)
	{
		int			bad = 0;
		int			c;

		cur_n = i;
		rs = splitmix(seed ^ splitmix((uint64_t) i)) | 1;
		c = (int) rn(100);
		if (c < 62)
		{
			/* one text or binary input in 12 goes through another client encoding */
			int			foreign = one_in(12);

			if (foreign)
				set_encoding(PICK(((const char *[]) {"LATIN1", "WIN1252", "SJIS", "EUC_JP",
					"GB18030", "BIG5", "SQL_ASCII", "KOI8R", "LATIN9", "UHC"})));
			if (c < 40)
			{
				cat_count[0]++;
				fuzz_text(&bad);
			}
			else
			{
				cat_count[1]++;
				fuzz_binary(&bad);
			}
			if (foreign)
				set_encoding("UTF8");
		}
		else if (c < 68)
		{
			cat_count[3]++;
			fuzz_batch_state(&bad);
		}
		else
		{
			cat_count[2]++;
			fuzz_function(&bad);
		}
		n_inputs++;
		if (bad)
			inputs_failed++;
		if (verbose && (i - start + 1) % 5000 == 0)
		{
			fprintf(stderr, "  %ld inputs, %ld s\n", i - start + 1, (long) (time(NULL) - t0));
		}
	}

	printf("seed %" PRIu64 ": %ld inputs tried (%ld queries) in %ld s\n", seed, n_inputs, n_queries,
		   (long) (time(NULL) - t0));
	printf("  inputs by kind: text %ld, binary %ld, function %ld, batch_state %ld, setup %ld\n",
		   cat_count[0], cat_count[1], cat_count[2], cat_count[3], cat_count[5]);
	printf("  outcomes (accepted/rejected) by category:");
	for (int i = 0; i < 6; i++)
		printf(" %s %ld/%ld%s", cat_name[i], cat_acc[i], cat_rej[i], i < 5 ? "," : "\n");
	printf("  outcomes in all: accepted %ld, rejected %ld; rejections by SQLSTATE:\n", n_accepted, n_rejected);
	for (int i = 0; i < n_codes; i++)
		printf("    %s %ld\n", code_name[i], code_count[i]);
	printf("  failing inputs: %ld (failure reports: %ld)\n", inputs_failed, n_failures);
	PQfinish(conn);
	return inputs_failed ? 1 : 0;
}
