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

static uint64_t rng_state;

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
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
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
	/* no input is this large; saying so keeps gcc 16's bounds check quiet */
	if (n > (size_t) 1 << 40)
		abort();
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
static Oid cr_oid, cbs_oid, cs_oid, counts_oid;

static long n_inputs, n_queries, n_accepted, n_rejected, n_failures;
#define NCAT 8
static long cat_count[NCAT];
static const char *cat_name[NCAT] = {
	"text", "binary", "function", "batch_state", "jsonb", "setup", "counts", "url_batch"
};

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
/* the primary message and hint of the last error */
static char last_msg[512];
static char last_hint[512];
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
run_query(const char *query, int n, const Oid *types, const char *const *vals,
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
	pending_warning[0] = last_msg[0] = last_hint[0] = '\0';
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
	snprintf(last_msg, sizeof last_msg, "%s",
			 PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : "");
	snprintf(last_hint, sizeof last_hint, "%s",
			 PQresultErrorField(r, PG_DIAG_MESSAGE_HINT) ? PQresultErrorField(r, PG_DIAG_MESSAGE_HINT) : "");
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
run_query_text(const char *query, int n, const char *const *vals, char *code, int *bad)
{
	return run_query(query, n, NULL, vals, NULL, NULL, 0, code, bad);
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

static const char *request_statuses[] = {
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

/*
 * When set, the generators make only well-formed JSON without edge
 * characters or numbers, so that a record is refused only for what the
 * caller put in on purpose.
 */
static int	gen_clean;

/* a JSON string body (no quotes), mostly plain */
static void
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

static const char *edge_numbers[] = {
	"0", "-0", "1", "-1", "1.0", "1.50", "1e5", "1E+2", "1e-7", "1e400", "-1e400",
	"9223372036854775807", "9223372036854775808", "-9223372036854775808",
	"-9223372036854775809", "18446744073709551616", "2147483647", "2147483648",
	"-2147483648", "0.000000000000000000001", "123456789012345678901234567890",
	"00", "01", "-", "1.", ".5", "+1", "0x10", "NaN", "Infinity", "-Infinity",
	"1e", "1e+", "3.14159", "1e100000", "1e-100000",
};

/* numbers that are valid JSON and fit in numeric */
static const char *good_numbers[] = {
	"0", "-0", "1", "-1", "4.5", "1.50", "1e5", "1E+2", "1e-7", "100", "2147483648",
	"9223372036854775808", "0.000000000000000000001", "123456789012345678901234567890",
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
			b_puts(b, PICK(edge_numbers));
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

/* keys in the canonical order: the April 2025 fields, then today's */
enum
{
	K_BATCH, K_REF, K_TARGET, K_VARS, K_STATUS, K_SID, K_CREATED, K_SENT,
	K_ATTEMPT, K_SESSION, K_CONV, K_CHSTATUS, K_INSTATUS, K_INSIGHTS, K_LINE,
	K_ENRICH, K_COUNT
};
#define K_APRIL_COUNT (K_CONV + 1)
static const char *field_keys[K_COUNT] = {
	"batch_id", "reference_id", "target", "request_variables", "request_status",
	"call_manager_sid", "created_at", "sent_at", "attempt_count", "session_id",
	"conversation_id", "channel_manager_status", "insights_status", "insights",
	"line_type", "enrichment"
};

/* The name a record gives its sid: April's, today's, or both (an error). */
enum
{
	SID_APRIL, SID_TODAY, SID_BOTH
};

typedef struct
{
	Buf			v[K_COUNT];
	int			present[K_COUNT];
	int			sid_name;		/* SID_*; with SID_BOTH, sid2 is today's value */
	Buf			sid2;
	int			nwild;			/* fields that got an edge value */
	int			nested;			/* insights holds a container, a boolean or a null */
} Rec;

static const char *
rec_key(const Rec *r, int k)
{
	return (k == K_SID && r->sid_name == SID_TODAY) ? "channel_manager_sid" : field_keys[k];
}

static void
rec_free(Rec *r)
{
	for (int i = 0; i < K_COUNT; i++)
		b_free(&r->v[i]);
	b_free(&r->sid2);
}

/* The channel statuses the API documents, and values it may add. */
static const char *channel_statuses[] = {
	"PENDING", "DUPLICATE", "INVALID", "UNEXPECTED_ERROR", "FILTERED_LINE_TYPE",
	"PROCESSED", "DROPPED", "DEFERRED", "BOUNCED", "DELIVERED", "OPENED", "CLICKED",
	"SPAM_REPORT", "UNSUBSCRIBED", "PRIOR_UNSUBSCRIBED", "PRIOR_SPAM_REPORT",
	"PRIOR_DROPPED", "PRIOR_BOUNCED", "SENT", "ACCEPTED", "QUEUED", "SENDING",
	"UNDELIVERED", "DELIVERY_UNKNOWN", "DELIVERY_FAILED", "IN-PROGRESS", "BUSY",
	"CANCELED", "COMPLETED", "DECLINED", "NO-ANSWER", "MACHINE", "HUMAN", "UNKNOWN",
	"FAILED", "SIP_NOT_FOUND", "SIP_TEMPORARILY_UNAVAILABLE", "SIP_LOOP_DETECTED",
	"SIP_DOES_NOT_EXIST_ANYWHERE", "READ", "delivered", "QUEUED ", "ENVIADO \xe2\x9c\x93",
};
static const char *insights_statuses[] = {
	"PENDING", "IN_PROGRESS", "COMPLETED", "FAILED", "SKIPPED", "completed",
};
static const char *line_types[] = {
	"mobile", "landline", "voip", "toll-free", "unknown", "MOBILE", "fixedVoip",
	"nonFixedVoip", "pager",
};

/* A wrong value for a non-blank string field (or a valid odd one). */
static void
gen_bad_string_field(Buf *b)
{
	if (one_in(3))
	{
		b_putc(b, '"');
		gen_ident(b);
		b_putc(b, '"');
	}
	else
		b_puts(b, PICK(((const char *[]) {
			"\"\"", "\" \"", "\"\\u00a0\"", "\"\\u200b\\ufeff\"", "\"\\t\"", "1", "0", "-1", "4.5",
			"true", "false", "{}", "[]", "[\"SENT\"]", "{\"status\":\"SENT\"}", "\"\\u0000\"",
			"\"SENT\\u0000\"", "\"\\ud800\"",
		})));
}

/* insights: an object of strings and numbers; wild, anything else */
static void
gen_insights(Buf *b, int w, int *nested)
{
	static const char *names[] = {"rating", "summary", "score", "sentiment", "duration", "outcome"};
	int			n = (int) rn(5);

	if (w && one_in(3))
	{
		b_puts(b, PICK(((const char *[]) {"[]", "\"Good\"", "1", "true", "[{\"a\":1}]", "\"{}\""})));
		return;
	}
	b_putc(b, '{');
	for (int i = 0; i < n; i++)
	{
		if (i)
			b_putc(b, ',');
		b_putc(b, '"');
		if (one_in(2))
			b_puts(b, names[i % 6]);
		else
			gen_str_body(b, 8);
		b_puts(b, "\":");
		if (one_in(2))
		{
			b_putc(b, '"');
			gen_str_body(b, one_in(20) ? 2000 : 20);
			b_putc(b, '"');
		}
		else if (one_in(3))
			b_printf(b, "%d.%d", (int) rn(6), (int) rn(10));
		else
			b_puts(b, gen_clean ? PICK(good_numbers) : PICK(edge_numbers));
	}
	if (w)
	{
		/* a value the SDKs do not allow: nested, boolean or null */
		if (n)
			b_putc(b, ',');
		b_puts(b, PICK(((const char *[]) {
			"\"a\":{\"b\":1}", "\"a\":[1]", "\"a\":true", "\"a\":false", "\"a\":null", "\"a\":{}",
			"\"a\":[]", "\"a\":{\"b\":{\"c\":\"d\"}}", "\"score\":[4.5]",
		})));
		*nested = 1;
	}
	b_putc(b, '}');
}

/* nesting well within max_stack_depth: accepted, and must round-trip */
static void
gen_nested(Buf *b, size_t d)
{
	int			obj = one_in(2);

	for (size_t i = 0; i < d; i++)
		b_puts(b, obj ? "{\"a\":" : "[");
	b_puts(b, obj ? "{}" : "\"x\"");
	for (size_t i = 0; i < d; i++)
		b_puts(b, obj ? "}" : "]");
}

/* enrichment: the phone lookup's payload, any object */
static void
gen_enrichment(Buf *b, int w)
{
	if (w)
	{
		if (one_in(5))
		{
			gen_deep(b);		/* up to 100,000 levels: 54001, or unbalanced */
			return;
		}
		b_puts(b, PICK(((const char *[]) {
			"[]", "[{}]", "\"{}\"", "1", "true", "{\"a\":1,\"a\":2}", "{\"a\":{\"b\":1,\"b\":2}}",
			"{\"a\":\"\\u0000\"}", "{\"\\u0000\":1}", "{\"a\":1e400}", "{\"a\":-1e100000}",
			"{\"a\":\"\\ud800\"}", "{\"a\":[1,}", "{\"a\"}", "{\"mcc\":310", "{\"a\":01}",
		})));
		return;
	}
	if (!gen_clean && one_in(150))
	{
		/* hundreds of KB: one long string, or thousands of keys */
		if (one_in(2))
		{
			b_puts(b, "{\"carrier_name\":\"Acme\",\"blob\":\"");
			size_t		n = 100000 + rn(500000);

			b_reserve(b, n);
			for (size_t i = 0; i < n; i++)
				b->p[b->len + i] = "abcdefghij"[i % 10];
			b->len += n;
			b->p[b->len] = '\0';
			b_puts(b, "\"}");
		}
		else
		{
			int			n = 5000 + (int) rn(20000);

			b_putc(b, '{');
			for (int i = 0; i < n; i++)
				b_printf(b, "%s\"k%d\":%s", i ? "," : "", i,
						 one_in(3) ? "\"v\"" : one_in(2) ? "[1,{\"x\":null}]" : "12.5");
			b_putc(b, '}');
		}
		return;
	}
	if (!gen_clean && one_in(100))
	{
		b_puts(b, "{\"deep\":");
		gen_nested(b, 10 + rn(one_in(4) ? 3000 : 300));
		b_putc(b, '}');
		return;
	}
	if (one_in(3))
	{
		gen_json_object(b, 0);
		return;
	}
	b_printf(b, "{\"line_type\":\"%s\",\"carrier_name\":\"%s\",\"mcc\":\"%u\",\"mnc\":\"%02u\"",
			 PICK(line_types), PICK(((const char *[]) {"Acme", "T-Mobile USA, Inc.", "Verizon", ""})),
			 (unsigned) (200 + rn(600)), (unsigned) rn(1000));
	if (one_in(2))
		b_puts(b, ",\"error_code\":null");
	if (one_in(4))
		b_printf(b, ",\"caller_name\":{\"caller_name\":\"ANA\",\"caller_type\":\"CONSUMER\",\"error_code\":%s}",
				 one_in(2) ? "null" : "60600");
	b_putc(b, '}');
}

/*
 * A record; "wild" is the chance (1 in wild) that a field gets an edge
 * value rather than a valid one.  Values are JSON texts.  A record of
 * today's shape (today) may have today's fields and names its sid mostly
 * channel_manager_sid; an April one has neither.
 */
static void
gen_rec(Rec *r, int wild, const char *batch, const char *ref, int today)
{
	memset(r, 0, sizeof *r);
	r->sid_name = !today ? SID_APRIL : one_in(8) ? SID_BOTH : one_in(4) ? SID_APRIL : SID_TODAY;
	for (int k = 0; k < K_COUNT; k++)
	{
		Buf		   *b = &r->v[k];
		int			w = one_in(wild);

		b_reset(b);
		r->present[k] = (k <= K_VARS) ? !one_in(200) : (k < K_APRIL_COUNT) ? !one_in(3) :
			(today && !one_in(3));
		if (w)
			r->nwild++;
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
					b_printf(b, "\"%s\"", PICK(request_statuses));
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
					b_printf(b, today ? "\"CA%" PRIx64 "\"" : "\"LM%" PRIx64 "\"", rnd());
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
			case K_SESSION:
			case K_CONV:
				if (one_in(3))
					b_puts(b, "null");
				else if (w)
					gen_int_value(b, 1);
				else
					b_printf(b, "%u", (unsigned) rn(100000));
				break;
			case K_CHSTATUS:
			case K_INSTATUS:
			case K_LINE:
				if (one_in(4))
					b_puts(b, "null");
				else if (w)
					gen_bad_string_field(b);
				else
					b_printf(b, "\"%s\"", k == K_CHSTATUS ? PICK(channel_statuses) :
							 k == K_INSTATUS ? PICK(insights_statuses) : PICK(line_types));
				break;
			case K_INSIGHTS:
				if (one_in(4))
					b_puts(b, "null");
				else
					gen_insights(b, w, &r->nested);
				break;
			default:
				if (one_in(4))
					b_puts(b, "null");
				else
					gen_enrichment(b, w);
		}
	}
	if (r->sid_name == SID_BOTH)
	{
		r->present[K_SID] = 1;
		b_reset(&r->sid2);
		if (one_in(3))
			b_puts(&r->sid2, "null");
		else
			b_printf(&r->sid2, "\"CA%" PRIx64 "\"", rnd());
	}
}

static void
gen_ws(Buf *b)
{
	if (one_in(12))
		b_puts(b, PICK(((const char *[]) {" ", "\n", "\t", "\r\n ", "  "})));
}

/*
 * Emit a record as a JSON object, maybe shuffled, with structural mutations
 * (which may rename, repeat or add keys).
 */
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
	gen_ws(b);
	b_putc(b, '{');
	for (int i = 0; i < n; i++)
	{
		int			k = order[i];

		if (i)
			b_putc(b, ',');
		gen_ws(b);
		if (k == K_SID && r->sid_name == SID_BOTH)
		{
			/* both names of the sid, in either order */
			int			today_first = one_in(2);

			b_printf(b, "\"%s\":", today_first ? "channel_manager_sid" : "call_manager_sid");
			b_put(b, today_first ? r->sid2.p : r->v[k].p, today_first ? r->sid2.len : r->v[k].len);
			b_printf(b, ",\"%s\":", today_first ? "call_manager_sid" : "channel_manager_sid");
			b_put(b, today_first ? r->v[k].p : r->sid2.p, today_first ? r->v[k].len : r->sid2.len);
			continue;
		}
		if (structural && one_in(60))
			b_printf(b, "\"%s\"", PICK(((const char *[]) {
				"status", "Batch_id", "batch_id ", "batch\\u005fid", "", "extra", "\\u0000",
				"channel_sid", "Channel_manager_sid", "insight", "lineType",
			})));
		else if (structural && one_in(80))
			b_puts(b, "\"batch\\u005fid\"");
		else if (structural && k == K_SID && one_in(20))
			b_puts(b, "\"channel\\u005fmanager_sid\"");
		else
			b_printf(b, "\"%s\"", rec_key(r, k));
		gen_ws(b);
		b_putc(b, ':');
		gen_ws(b);
		b_put(b, r->v[k].p, r->v[k].len);
		gen_ws(b);
		if (structural && one_in(50))	/* duplicate key */
		{
			b_printf(b, ",\"%s\":", rec_key(r, k));
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
	gen_ws(b);
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

/* What the generator put into a record input, for the checks that follow from it. */
typedef struct
{
	int			today;			/* today's shape: today's fields and names */
	int			clean;			/* made by gen_clean without edge values */
	int			exact;			/* no structural or byte mutation */
	int			both;			/* both names of the sid */
	int			nested;			/* insights holds what the SDKs refuse */
	int			no_batch;		/* no batch_id (as today's endpoint sends it) */
} GenInfo;

/*
 * A text input of comm_result: mostly valid, often mutated; half of the
 * records are of today's shape (a sixth of those without batch_id).
 */
static void
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

/* ------------------------------------------------------------------ */
/* checks */

/*
 * The binary form, read by the spec alone (spec-1.2.md): for every accepted
 * value, send must write version 1 exactly when the canonical text has only
 * April fields under April names, version 2 otherwise, with flags and
 * flags2 that say what the text has, and a length (or -1) per field.
 */

/* A top-level member of a canonical text. */
typedef struct
{
	char		key[32];
	const char *val;
	size_t		vlen;
	int			isnull;
} Member;

/* The end of the JSON value that starts at p (compact text), or NULL. */
static const char *
skip_value(const char *p, const char *end)
{
	int			depth = 0;

	while (p < end)
	{
		char		c = *p;

		if (c == '"')
		{
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\')
					p++;
			if (p >= end)
				return NULL;
			p++;
		}
		else if (c == '{' || c == '[')
		{
			depth++;
			p++;
			continue;
		}
		else if (c == '}' || c == ']')
		{
			if (depth == 0)
				return NULL;
			depth--;
			p++;
		}
		else if (c == ',' || c == ':')
		{
			if (depth == 0)
				return NULL;
			p++;
			continue;
		}
		else
			while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ':')
				p++;
		if (depth == 0)
			return p;
	}
	return NULL;
}

/* Split a compact JSON object into (up to max of) its members; -1 when it is not one. */
static int
parse_top(const char *s, size_t n, Member *m, int max)
{
	const char *p = s,
			   *end = s + n;
	int			k = 0;

	if (p >= end || *p++ != '{')
		return -1;
	if (p < end && *p == '}')
		return p + 1 == end ? 0 : -1;
	for (;;)
	{
		const char *q;

		if (k >= max)
			return k;			/* the first max members */
		if (p >= end || *p != '"')
			return -1;
		q = skip_value(p, end);
		if (!q)
			return -1;
		snprintf(m[k].key, sizeof m[k].key, "%.*s", (int) (q - p - 2), p + 1);
		p = q;
		if (p >= end || *p++ != ':')
			return -1;
		q = skip_value(p, end);
		if (!q)
			return -1;
		m[k].val = p;
		m[k].vlen = (size_t) (q - p);
		m[k].isnull = (q - p == 4 && memcmp(p, "null", 4) == 0);
		k++;
		p = q;
		if (p < end && *p == ',')
		{
			p++;
			continue;
		}
		return (p + 1 == end && *p == '}') ? k : -1;
	}
}

/* The key index of a canonical text's member name (the sid by either name). */
static int
key_index(const char *name)
{
	if (strcmp(name, "channel_manager_sid") == 0)
		return K_SID;
	for (int k = 0; k < K_COUNT; k++)
		if (strcmp(name, field_keys[k]) == 0)
			return k;
	return -1;
}

static uint32_t
get_be(const unsigned char *p, int bytes)
{
	uint32_t	v = 0;

	for (int i = 0; i < bytes; i++)
		v = (v << 8) | p[i];
	return v;
}

/* the variable-size fields in wire order: version 1's five, then version 2's */
static const int wire_keys[10] = {
	K_BATCH, K_REF, K_TARGET, K_SID, K_VARS, K_CHSTATUS, K_INSTATUS, K_INSIGHTS, K_LINE, K_ENRICH
};

/* flags bits of the April fields (0 for the required ones), present and null */
static const uint16_t flag_bit[K_APRIL_COUNT][2] = {
	[K_STATUS] = {0x0001, 0}, [K_SID] = {0x0020, 0x0040}, [K_CREATED] = {0x0004, 0},
	[K_SENT] = {0x0008, 0x0010}, [K_SESSION] = {0x0080, 0x0100}, [K_CONV] = {0x0200, 0x0400},
};

/* flags2 bit of today's field k, present (null: the next bit) */
#define FLAG2_BIT(k) ((uint16_t) (0x0002 << (2 * ((k) - K_CHSTATUS))))

static long n_wire[3];			/* accepted values checked, by binary version */

static void
check_wire(const char *out, const unsigned char *wire, int wirelen, int *bad)
{
	Member		m[K_COUNT + 2];
	int			n = parse_top(out, strlen(out), m, K_COUNT + 2);
	int			at[K_COUNT];
	int			today = 0,
				last = -1,
				version,
				off;
	uint16_t	flags = 0,
				flags2 = 0;
	char		d[512];

#define WIRE_FAIL(...) do { \
		snprintf(d, sizeof d, __VA_ARGS__); \
		invariant(0, d, bad); \
		return; \
	} while (0)

	if (strcmp(cur_encoding, "UTF8") != 0)
		return;					/* the scan below assumes ASCII-safe text */
	if (n < 0)
		WIRE_FAIL("canonical text is not a compact JSON object: %.200s", out);
	for (int k = 0; k < K_COUNT; k++)
		at[k] = -1;
	for (int i = 0; i < n; i++)
	{
		int			k = key_index(m[i].key);

		if (k < 0 || k <= last)
			WIRE_FAIL("canonical text has member \"%.31s\" unknown or out of order: %.200s", m[i].key, out);
		last = k;
		at[k] = i;
		if (k >= K_APRIL_COUNT || strcmp(m[i].key, "channel_manager_sid") == 0)
			today = 1;
		if (k < K_APRIL_COUNT)
			flags |= flag_bit[k][m[i].isnull];
		else
			flags2 |= (uint16_t) (FLAG2_BIT(k) << m[i].isnull);
		if (k == K_SID && strcmp(m[i].key, "channel_manager_sid") == 0)
			flags2 |= 0x0001;
		if (k == K_INSIGHTS && !m[i].isnull)
		{
			/* only strings and numbers: every member value starts so */
			Member		im[64];
			int			ni = parse_top(m[i].val, m[i].vlen, im, 64);

			for (int j = 0; j < ni; j++)
				if (im[j].val[0] != '"' && im[j].val[0] != '-' &&
					(im[j].val[0] < '0' || im[j].val[0] > '9'))
					WIRE_FAIL("accepted insights hold a value that is neither a string nor a number: %.200s", out);
			if (ni < 0)
				WIRE_FAIL("accepted insights are not a flat object: %.200s", out);
		}
	}
	for (int k = K_BATCH; k <= K_VARS; k++)
		if (at[k] < 0 || m[at[k]].isnull)
			WIRE_FAIL("canonical text lacks required member %s: %.200s", field_keys[k], out);
	if (at[K_ATTEMPT] < 0)
		WIRE_FAIL("canonical text lacks attempt_count: %.200s", out);

	version = today ? 2 : 1;
	n_wire[version]++;
	if (wirelen < 1 || wire[0] != version)
		WIRE_FAIL("send wrote binary version %d, expected %d (%s): %.200s", wirelen ? wire[0] : -1,
				  version, today ? "today's fields or names" : "April fields only", out);
	if (wirelen < 40 + (version == 2 ? 2 : 0))
		WIRE_FAIL("send wrote %d bytes, fewer than the fixed fields", wirelen);
	if (get_be(wire + 1, 2) != flags)
		WIRE_FAIL("send wrote flags 0x%04x, the text says 0x%04x: %.200s",
				  (unsigned) get_be(wire + 1, 2), (unsigned) flags, out);
	if ((int) get_be(wire + 4, 4) != atoi(m[at[K_ATTEMPT]].val))
		WIRE_FAIL("send wrote attempt_count %d, the text says %.20s", (int) get_be(wire + 4, 4), m[at[K_ATTEMPT]].val);
	if (!(flags & 0x0001) && wire[3] != 0)
		WIRE_FAIL("send wrote status code %d for a value without request_status", wire[3]);
	off = 40;
	if (version == 2)
	{
		if (get_be(wire + 40, 2) != flags2)
			WIRE_FAIL("send wrote flags2 0x%04x, the text says 0x%04x: %.200s",
					  (unsigned) get_be(wire + 40, 2), (unsigned) flags2, out);
		off = 42;
	}
	for (int w = 0; w < (version == 2 ? 10 : 5); w++)
	{
		int			k = wire_keys[w];
		int			has = at[k] >= 0 && !m[at[k]].isnull;
		int32_t		len;

		if (off + 4 > wirelen)
			WIRE_FAIL("send's data ends before the length of %s", field_keys[k]);
		len = (int32_t) get_be(wire + off, 4);
		off += 4;
		if (has ? (len < 0 || len > wirelen - off) : len != -1)
			WIRE_FAIL("send wrote length %d for %s, which is %s: %.200s", len, field_keys[k],
					  has ? "present" : "absent or null", out);
		if (has)
			off += len;
	}
	if (off != wirelen)
		WIRE_FAIL("send wrote %d bytes after the last field", wirelen - off);
#undef WIRE_FAIL
}

/*
 * Rules for record inputs whose content the generator knows: both names of
 * the sid, or insights the SDKs refuse, are refused (both names with
 * 22P02 when nothing else is wrong); a missing batch_id's error says how to
 * supply it.  code is "" when the input was accepted.
 */
static void
check_record_rules(const GenInfo *gi, const char *code, int *bad)
{
	char		d[700];

	if (!code[0])
	{
		invariant(!(gi->exact && gi->both),
				  "a record with both call_manager_sid and channel_manager_sid was accepted", bad);
		invariant(!(gi->exact && gi->nested),
				  "a record whose insights hold a container, a boolean or a null was accepted", bad);
		return;
	}
	if (gi->exact && gi->clean && gi->both && strcmp(cur_encoding, "UTF8") == 0 &&
		strcmp(code, "22P02") != 0)
	{
		snprintf(d, sizeof d, "both names of the sid raised %s, not 22P02: %s", code, last_msg);
		invariant(0, d, bad);
	}
	if (strcmp(last_msg, "comm_result field \"batch_id\" is missing") == 0)
		invariant(strstr(last_hint, "comm_results(response, batch_id)") != NULL &&
				  strstr(last_hint, "comm_result_from_jsonb(record, batch_id)") != NULL,
				  "the error for a missing batch_id has no HINT naming comm_results(response, batch_id)", bad);
	if (strstr(last_msg, "given under both of its names"))
	{
		snprintf(d, sizeof d, "the error for both names of the sid does not name the field, or is not 22P02: %s %s",
				 code, last_msg);
		invariant(strcmp(code, "22P02") == 0 && strstr(last_msg, "\"call_manager_sid\"") != NULL, d, bad);
	}
}

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
	check_wire(out, (const unsigned char *) wire, wirelen, bad);
	r = run_query(sql, 4, types, vals, lens, fmts, 0, code, bad);
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
	PGresult   *r = run_query(sql, 1, types, vals, NULL, NULL, 1, code, bad);

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

static long cat_acc[NCAT], cat_rej[NCAT];

static void
tally(PGresult *r, const char *code)
{
	for (int i = 0; i < NCAT; i++)
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
			" WHERE field = 'call_manager_sid' AND message LIKE '%given under both of its names%')";
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
		b_puts(b, PICK(request_statuses));
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

/*
 * A comm_result text, of either shape; same request when batch/ref are
 * given.
 */
static void
arg_value(Buf *b, const char *batch, const char *ref)
{
	Rec			r;

	b_reset(b);
	gen_rec(&r, one_in(4) ? 4 : 1000000, batch, ref, one_in(2));
	r.present[K_BATCH] = r.present[K_REF] = r.present[K_TARGET] = r.present[K_VARS] = 1;
	if (r.sid_name == SID_BOTH && !one_in(20))
		r.sid_name = SID_TODAY;
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

#define MAXA 20

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
	GenInfo		gi;

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
			r = run_query_text("SELECT comm_result_transition($1::comm_result, $2::comm_status, $3::timestamptz, $4, $5::bigint, $6::bigint)::text",
							   6, A.v, code, bad);
			tally(r, code);
			check_value_col(r, 0, bad);
			break;
		case 1:					/* transition with the now() default */
			arg_value(&A.a[0], NULL, NULL);
			arg_status(&A.a[1], &A.isnull[1]);
			args_final(&A, 2);
			record_args(&A, 2, "comm_result_transition/2");
			r = run_query_text("SELECT comm_result_transition($1::comm_result, $2::comm_status)::text", 2, A.v, code, bad);
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
				r = run_query_text("SELECT m::text, comm_result_merge(b, a) = m, comm_result_merge(a, a) = a, "
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
				int			today = one_in(2);

				gen_rec(&rec, one_in(2) ? 3 : 1000000, NULL, NULL, today);
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
				/* today's fields (SQL NULL: absent), and channel_manager_sid */
				for (int i = 11; i <= 16; i++)
				{
					int			nested = 0;

					int			dummy;

					A.isnull[i] = !today || one_in(2);
					b_reset(&A.a[i]);
					if (A.isnull[i])
						continue;
					if (i == 13)
						gen_insights(&A.a[i], one_in(6), &nested);
					else if (i == 15)
						gen_enrichment(&A.a[i], one_in(8));
					else if (one_in(6))
						arg_text(&A.a[i], &dummy);
					else
						b_puts(&A.a[i], i == 11 ? PICK(channel_statuses) : i == 12 ?
							   PICK(insights_statuses) : i == 14 ? PICK(line_types) : "CA1");
					A.a[i].len = strlen(A.a[i].p);
				}
				if (!A.isnull[16] && !one_in(8))
					A.isnull[5] = 1;	/* one name of the sid, mostly */
				args_final(&A, 17);
				record_args(&A, 17, "comm_result(...)");
				r = run_query("SELECT x::text, comm_result_send(x) FROM (SELECT comm_result($1, $2, $3, $4::jsonb, "
							  "$5::comm_status, $6, $7::timestamptz, $8::timestamptz, $9::integer, $10::bigint, "
							  "$11::bigint, $12, $13, $14::jsonb, $15, $16::jsonb, $17) x) s",
							  17, NULL, A.v, NULL, NULL, 1, code, bad);
				tally(r, code);
				invariant(!r || A.isnull[5] || A.isnull[16],
						  "comm_result(...) took both call_manager_sid and channel_manager_sid", bad);
				if (r)
				{
					Member		m[K_COUNT + 2];
					Buf			t = {0};
					int			nm;
					int			named_today = 0;

					b_put(&t, PQgetvalue(r, 0, 0), PQgetlength(r, 0, 0));
					nm = parse_top(t.p, t.len, m, K_COUNT + 2);
					for (int i = 0; i < nm; i++)
						named_today |= strcmp(m[i].key, "channel_manager_sid") == 0;
					invariant(named_today == !A.isnull[16],
							  "comm_result(...) does not name the sid as it was given", bad);
					check_result_pair(r, 0, NULL, bad);
					b_free(&t);
				}
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
							gen_text_input(&v, &gi);
						else
							arg_value(&v, NULL, NULL);
						b_put(&A.a[0], v.p, v.len);
					}
					b_putc(&A.a[0], ']');
				}
				b_free(&v);
				args_final(&A, 1);
				record_args(&A, 1, "comm_results");
				r = run_query_text("SELECT count(*), bool_and(comm_result_is_valid(r::text)), "
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
			gen_text_input(&A.a[0], &gi);
			if (one_in(30))
			{
				b_reset(&A.a[0]);
				gen_deep(&A.a[0]);
			}
			args_final(&A, 1);
			record_args(&A, 1, "comm_result_is_valid/errors");
			r = run_query_text("SELECT comm_result_is_valid($1), (SELECT count(*) FROM comm_result_errors($1)), "
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
			r = run_query_text("SELECT batch_id(r) = f.batch_id, reference_id(r) = f.reference_id, target(r) = f.target, "
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
							   "OR comm_result_hash_extended(r, 0) IS NOT NULL, "
							   /* today's accessors, and comm_result_all_fields */
							   "channel_manager_status(r) IS NOT DISTINCT FROM a.channel_manager_status, "
							   "insights_status(r) IS NOT DISTINCT FROM a.insights_status, "
							   "insights(r) IS NOT DISTINCT FROM a.insights, line_type(r) IS NOT DISTINCT FROM a.line_type, "
							   "enrichment(r) IS NOT DISTINCT FROM a.enrichment, "
							   "channel_manager_sid(r) IS NOT DISTINCT FROM call_manager_sid(r), "
							   "row(f.*)::text = row(a.batch_id, a.reference_id, a.target, a.request_variables, "
							   " a.request_status, a.call_manager_sid, a.created_at, a.sent_at, a.attempt_count, "
							   " a.session_id, a.conversation_id, a.target_kind)::text, "
							   "(a.sid_name IS NULL) = NOT (r::jsonb ?| array['call_manager_sid', 'channel_manager_sid']), "
							   "a.sid_name IS NULL OR r::jsonb ? a.sid_name, "
							   "NOT EXISTS (SELECT FROM jsonb_each(coalesce(insights(r), '{}')) e "
							   " WHERE jsonb_typeof(e.value) NOT IN ('string', 'number')), "
							   "coalesce(jsonb_typeof(enrichment(r)), 'object') = 'object' "
							   "FROM (SELECT $1::comm_result r) s, comm_result_fields(r) f, comm_result_all_fields(r) a",
							   3, A.v, code, bad);
			tally(r, code);
			if (r)
				for (int i = 0; i < 27; i++)
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
			r = run_query_text("SELECT comm_status_next($1::comm_status), comm_status_is_terminal($1::comm_status), "
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
					b_puts(&A.a[0], PICK(request_statuses));
				else
					gen_str_body(&A.a[0], 12);
				if (one_in(3))
					mutate_bytes(&A.a[0], 1);
				if (one_in(5) && A.a[0].len)
					A.a[0].p[rn(A.a[0].len)] = one_in(2) ? '\0' : (char) 0xff;
				args_final(&A, 1);
				lens[0] = (int) A.a[0].len;
				record_args(&A, 1, "comm_status binary");
				r = run_query("SELECT $1::text, $1::text::comm_status = $1", 1, types, A.v, lens, fmts, 0, code, bad);
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
			r = run_query_text("SELECT comm_batch_state_add($1::comm_batch_state, $3::comm_result)::text, "
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
				r = run_query_text("SELECT comm_batch_summary(r), comm_status_counts(r), comm_result_latest(r)::text, "
								   "(comm_batch_summary(r)).total = count(r), "
								   /* today's counts agree with GROUP BY over the accessors */
								   "comm_channel_status_counts(r) = (SELECT coalesce(jsonb_object_agg(k, c), '{}') FROM "
								   " (SELECT channel_manager_status(x) k, count(*) c FROM unnest($1::comm_result[]) x "
								   "  WHERE channel_manager_status(x) IS NOT NULL GROUP BY 1) g), "
								   "comm_line_type_counts(r) = (SELECT coalesce(jsonb_object_agg(k, c), '{}') FROM "
								   " (SELECT line_type(x) k, count(*) c FROM unnest($1::comm_result[]) x "
								   "  WHERE line_type(x) IS NOT NULL GROUP BY 1) g) "
								   "FROM unnest($1::comm_result[]) r", 1, A.v, code, bad);
				tally(r, code);
				if (r)
				{
					invariant(strcmp(PQgetvalue(r, 0, 3), "t") == 0 || PQgetisnull(r, 0, 3),
							  "comm_batch_summary total differs from count", bad);
					invariant(strcmp(PQgetvalue(r, 0, 4), "t") == 0,
							  "comm_channel_status_counts differs from counting channel_manager_status", bad);
					invariant(strcmp(PQgetvalue(r, 0, 5), "t") == 0,
							  "comm_line_type_counts differs from counting line_type", bad);
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
				r = run_query_text("SELECT comm_result_cmp(a, b) = -comm_result_cmp(b, a), "
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
			gen_text_input(&A.a[0], &gi);
			args_final(&A, 1);
			record_args(&A, 1, "jsonb cast");
			r = run_query("SELECT x::text, comm_result_send(x) FROM (SELECT ($1::jsonb)::comm_result AS x) s",
						  1, NULL, A.v, NULL, NULL, 1, code, bad);
			tally(r, code);
			check_record_rules(&gi, code, bad);
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
				r = run_query_text("WITH d AS (DELETE FROM fz_guard) INSERT INTO fz_guard VALUES ($1::comm_result)", 1, A.v, code, bad);
				if (r)
				{
					PQclear(r);
					r = run_query_text("UPDATE fz_guard SET r = $1::comm_result", 1, A.v + 1, code, bad);
				}
				tally(r, code);
			}
			break;
		case 14:				/* request_variable with weird keys and deep values */
			arg_value(&A.a[0], NULL, NULL);
			arg_text(&A.a[1], &A.isnull[1]);
			args_final(&A, 2);
			record_args(&A, 2, "request_variable");
			r = run_query_text("SELECT request_variable(r, $2) IS NOT DISTINCT FROM request_variables(r) ->> $2, "
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
			r = run_query_text("SELECT $1::comm_batch_state::text", 1, A.v, code, bad);
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
/* today's endpoint: records without batch_id, the batch id from the URL */

/* s as a JSON string, quotes included */
static void
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
static void
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

/* How a record's own batch_id relates to the URL's. */
enum
{
	OWN_NONE, OWN_SAME, OWN_OTHER
};

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
static void
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

/* ------------------------------------------------------------------ */
/* comm_counts: text and binary input, and the functions on it */

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
static void
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

static void
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

/* ------------------------------------------------------------------ */
/* setup: fixed checks of the guard's error codes and today's rules */

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

static void
setup(int *bad)
{
	static const struct
	{
		const char *sql;
		const char *code;		/* expected SQLSTATE, "" for success */
		const char *hint;		/* in the error's HINT, or NULL */
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
		/* today's shape: the rules the generated inputs rely on */
		{"SELECT " TODAY_REC("\"batch_id\":\"b\",", "") "::comm_result", ""},
		{"SELECT comm_result_from_jsonb(" TODAY_REC("", "") ", '20260801.1')", ""},
		{"SELECT count(*) FROM comm_results(('[' || " TODAY_REC("", "") " || ',' || "
			TODAY_REC("\"batch_id\":\"20260801.1\",", "") " || ']')::jsonb, '20260801.1')", ""},
		{"SELECT " TODAY_REC("", "") "::comm_result", "22P02", "comm_results(response, batch_id)"},
		{"SELECT " TODAY_REC("\"batch_id\":\"b\",", ",\"call_manager_sid\":null") "::comm_result", "22P02"},
		{"SELECT " TODAY_REC("\"batch_id\":\"b\",", ",\"call_manager_sid\":null") "::jsonb::comm_result", "22P02"},
		{"SELECT comm_result_from_jsonb(" TODAY_REC("", ",\"call_manager_sid\":\"LM1\"") ", 'b')", "22P02"},
		{"SELECT count(*) FROM comm_results(('[' || " TODAY_REC("", ",\"call_manager_sid\":\"LM1\"") " || ']')::jsonb, 'b')", "22P02"},
		{"SELECT comm_result_from_jsonb(" TODAY_REC("\"batch_id\":\"x\",", "") ", 'b')", "22023"},
		{"SELECT count(*) FROM comm_results(('[' || " TODAY_REC("\"batch_id\":\"x\",", "") " || ']')::jsonb, 'b')", "22023"},
		{"SELECT comm_result_from_jsonb(" TODAY_REC("", "") ", ' ')", "22023"},
		{"SELECT " APRIL_REC(",\"insights\":{\"a\":{\"b\":1}}") "::comm_result", "22P02"},
		{"SELECT " APRIL_REC(",\"insights\":{\"a\":true}") "::comm_result", "22P02"},
		{"SELECT " APRIL_REC(",\"insights\":{\"a\":null}") "::comm_result", "22P02"},
		{"SELECT " APRIL_REC(",\"insights\":{\"a\":[\"x\"]}") "::jsonb::comm_result", "22P02"},
		{"SELECT " APRIL_REC(",\"insights\":[]") "::comm_result", "22P02"},
		{"SELECT " APRIL_REC(",\"enrichment\":\"x\"") "::comm_result", "22P02"},
		{"SELECT " APRIL_REC(",\"enrichment\":{\"a\":{\"b\":[null,true]}}") "::comm_result", ""},
		{"SELECT " APRIL_REC(",\"line_type\":\" \"") "::comm_result", "22023"},
		{"SELECT " APRIL_REC(",\"channel_manager_status\":\"\"") "::comm_result", "22023"},
		{"SELECT " APRIL_REC(",\"insights_status\":\"\\u00a0\"") "::comm_result", "22023"},
		{"SELECT " APRIL_REC(",\"line_type\":1") "::comm_result", "22P02"},
		{"SELECT " APRIL_REC(",\"channel_manager_status\":{}") "::comm_result", "22P02"},
		{"SELECT " APRIL_REC(",\"channel_manager_status\":\"SOMETHING_NEW\"") "::comm_result", ""},
		{"SELECT '{\"SENT\":2,\"DELIVERED\":5}'::comm_counts::text", ""},
		{"SELECT '{\"SENT\":0}'::comm_counts", "22P02"},
		{"SELECT '{\"SENT\":1,\"SENT\":2}'::comm_counts", "22P02"},
		{"SELECT '{\"SENT\":{}}'::comm_counts", "22P02"},
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
		if (r)
			PQclear(r);
		if (strcmp(code, steps[i].code) != 0)
		{
			char		d[512];

			snprintf(d, sizeof d, "expected SQLSTATE %s, got %s", steps[i].code[0] ? steps[i].code : "success",
					 code[0] ? code : "success");
			invariant(0, d, bad);
		}
		if (steps[i].hint && !strstr(last_hint, steps[i].hint))
			invariant(0, "the error's HINT does not say how to supply the batch id", bad);
	}
	sweep_binary(bad);
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
	counts_oid = type_oid("comm_counts");

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
		rng_state = splitmix(seed ^ splitmix((uint64_t) i)) | 1;
		c = (int) rn(100);
		if (c < 60)
		{
			/* one text or binary input in 12 goes through another client encoding */
			int			foreign = one_in(12);

			if (foreign)
				set_encoding(PICK(((const char *[]) {"LATIN1", "WIN1252", "SJIS", "EUC_JP",
					"GB18030", "BIG5", "SQL_ASCII", "KOI8R", "LATIN9", "UHC"})));
			if (c < 38)
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
		else if (c < 64)
		{
			cat_count[3]++;
			fuzz_batch_state(&bad);
		}
		else if (c < 68)
		{
			cat_count[6]++;
			fuzz_counts(&bad);
		}
		else if (c < 73)
		{
			cat_count[7]++;
			fuzz_url_batch(&bad);
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
	printf("  inputs by kind: text %ld, binary %ld, function %ld, batch_state %ld, counts %ld, "
		   "url_batch %ld, setup %ld\n", cat_count[0], cat_count[1], cat_count[2], cat_count[3],
		   cat_count[6], cat_count[7], cat_count[5]);
	printf("  outcomes (accepted/rejected) by category:");
	for (int i = 0; i < NCAT; i++)
		printf(" %s %ld/%ld%s", cat_name[i], cat_acc[i], cat_rej[i], i < NCAT - 1 ? "," : "\n");
	printf("  accepted comm_result values checked against the binary format: version 1 %ld, version 2 %ld\n",
		   n_wire[1], n_wire[2]);
	printf("  outcomes in all: accepted %ld, rejected %ld; rejections by SQLSTATE:\n", n_accepted, n_rejected);
	for (int i = 0; i < n_codes; i++)
		printf("    %s %ld\n", code_name[i], code_count[i]);
	printf("  failing inputs: %ld (failure reports: %ld)\n", inputs_failed, n_failures);
	PQfinish(conn);
	return inputs_failed ? 1 : 0;
}
