/*
 * gen_args.c -- arguments for the SQL functions fuzz_function.c and
 * fuzz_counts.c call: texts, statuses, timestamps at the ends of the
 * range, integers at their limits, jsonb, comm_result texts of either
 * shape (of the same request when asked), comm_result[] literals
 * (empty, with NULLs, ragged); and the record of the arguments for the
 * failure file.
 *
 * Checks nothing: the callers do.
 */
#include "fuzz.h"

/* argument pools; NULL stands for SQL NULL */
void
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

void
arg_status(Buf *b, int *isnull)
{
	*isnull = one_in(6);
	b_reset(b);
	if (one_in(12))
		b_puts(b, PICK(((const char *[]) {"pending", "", "X", "PENDING ", "P\xc3\xa9NDING"})));
	else
		b_puts(b, pick_status());
}

void
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

void
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

void
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
void
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

void
args_final(Args *A, int n)
{
	for (int i = 0; i < n; i++)
		A->v[i] = A->isnull[i] ? NULL : (A->a[i].p ? A->a[i].p : "");
}

void
args_free(Args *A)
{
	for (int i = 0; i < MAXA; i++)
		b_free(&A->a[i]);
}

/* The current input, for the failure file: the parameters, one a line. */
void
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

void
same_request(Buf *bb, Buf *rb)
{
	b_reset(bb);
	b_reset(rb);
	b_printf(bb, "2025011%u", (unsigned) rn(3));
	b_printf(rb, "%u", (unsigned) rn(3));
}

/* comm_result[] array literal of values, some NULL */
void
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
