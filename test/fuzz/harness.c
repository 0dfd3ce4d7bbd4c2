/*
 * harness.c -- the comm_result fuzz harness's plumbing: the byte buffer,
 * the global state, the connection, running one query, saving a failure,
 * and the tallies.
 *
 * Generates nothing.  Checks what every query shares: a lost connection
 * ends the run; a timeout (57014), XX000, an undocumented SQLSTATE or a
 * WARNING about a leak is a failure.  The current input and the last query
 * are saved to the failure directory.
 */
#include "fuzz.h"

/* ------------------------------------------------------------------ */
/* growable byte buffer */

void
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

void
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

void
b_puts(Buf *b, const char *s)
{
	b_put(b, s, strlen(s));
}

void
b_putc(Buf *b, char c)
{
	b_put(b, &c, 1);
}

void
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

void
b_reset(Buf *b)
{
	b->len = 0;
	b_reserve(b, 0);
	b->p[0] = '\0';
}

void
b_free(Buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void
b_copy(Buf *dst, const Buf *src)
{
	b_reset(dst);
	b_put(dst, src->p, src->len);
}

void
b_be(Buf *b, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--)
		b_putc(b, (char) ((v >> (8 * i)) & 0xff));
}

/* ------------------------------------------------------------------ */
/* global state (declared in fuzz.h, except what only this file uses) */

uint64_t	rng_state;

PGconn	   *conn;
uint64_t	seed;
long		cur_n;
const char *faildir = "failures";
int			verbose;
Oid			cr_oid,
			cbs_oid,
			cs_oid,
			counts_oid,
			tally_oid;

long		n_inputs,
			n_queries,
			n_accepted,
			n_rejected,
			n_failures;
long		cat_count[NCAT];
const char *cat_name[NCAT] = {
	"text", "binary", "function", "batch_state", "jsonb", "setup", "counts", "url_batch", "tally",
	"checked"
};
long		cat_acc[NCAT],
			cat_rej[NCAT];

char		code_name[MAX_CODES][6];
long		code_count[MAX_CODES];
int			n_codes;

/* the current input, saved on a failure */
const char *cur_cat = "";
Buf			cur_input;

/* the last query, also saved on a failure */
static const char *last_query;
static int	last_nparams;
static const char *last_vals[16];
static int	last_lens[16];
static int	last_fmts[16];

static char pending_warning[1024];

/* the primary message and hint of the last error */
char		last_msg[512];
char		last_hint[512];
const char *cur_encoding = "UTF8";

/* ------------------------------------------------------------------ */
/* SQLSTATEs and failures */

/* the SQLSTATEs the README documents: any other one is a failure */
static const char *documented[] = {
	"22P02", "22P05", "22023", "22007", "22008", "22003", "22004", "22P03",
	"22021", "54000", "54001", "23514", "39P01", "42703", "42804", "40001",
	"0A000",
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

/* ------------------------------------------------------------------ */
/* the connection and queries */

static void
notice_receiver(void *arg, const PGresult *res)
{
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	(void) arg;
	if (sev && strcmp(sev, "WARNING") == 0 && msg)
		snprintf(pending_warning, sizeof pending_warning, "%s", msg);
}

void
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

void
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

Oid
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

/* Remember the query and its parameters, for a failure report. */
static void
note_query(const char *query, int n, const char *const *vals, const int *lens, const int *fmts, char *code)
{
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
}

/*
 * What every query's outcome must be: see run_query.  Returns r when it
 * succeeded, else NULL (r is cleared).
 */
static PGresult *
check_outcome(PGresult *r, char *code, int *bad)
{
	const char *st;

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
	if (strcmp(st, "0A000") == 0 && strncmp(last_msg, "comm_batch_state cannot count status ", 37) != 0)
	{
		/* documented only for comm_batch_state asked to count a status of 1.3 */
		char		d[2048];

		snprintf(d, sizeof d, "SQLSTATE 0A000 for something other than comm_batch_state counting a later status: %s",
				 PQresultErrorMessage(r));
		save_failure("undocumented use of SQLSTATE 0A000", d);
		*bad = 1;
	}
	else if (!is_documented(st))
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

/*
 * Run one query.  Returns the result when it succeeded (caller clears),
 * NULL when it raised a documented error (its SQLSTATE in *code when code
 * is not NULL).  Any other outcome is a failure: a lost connection ends the
 * program; XX000, a timeout or an undocumented SQLSTATE is saved.
 * *bad is set on such a failure.
 */
PGresult *
run_query(const char *query, int n, const Oid *types, const char *const *vals,
		  const int *lens, const int *fmts, int rfmt, char *code, int *bad)
{
	note_query(query, n, vals, lens, fmts, code);
	return check_outcome(PQexecParams(conn, query, n, types, vals, lens, fmts, rfmt), code, bad);
}

/* Run a statement prepared by name (SQL PREPARE), text parameters and result. */
PGresult *
run_prepared(const char *name, int n, const char *const *vals, char *code, int *bad)
{
	note_query(name, n, vals, NULL, NULL, code);
	return check_outcome(PQexecPrepared(conn, name, n, vals, NULL, NULL, 0), code, bad);
}

/* Simple variant: all text parameters, text result. NULL entries are SQL NULL. */
PGresult *
run_query_text(const char *query, int n, const char *const *vals, char *code, int *bad)
{
	return run_query(query, n, NULL, vals, NULL, NULL, 0, code, bad);
}

/* Unless ok, a failure: the input is saved with "what" as the detail. */
void
invariant(int ok, const char *what, int *bad)
{
	if (!ok)
	{
		save_failure("broken invariant", what);
		*bad = 1;
	}
}

/* Count an outcome: accepted when r is not NULL, else rejected with SQLSTATE code. */
void
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
