/*
 * gen_response.c -- API response bodies for comm_results_checked: a JSON
 * array of elements, with the batch id of the request's URL.
 *
 * The elements mix records of today's shape and of April's, mostly valid
 * (of a few requests, so that one request comes twice: two snapshots),
 * with edge values, with the URL's batch id, none or another one, with
 * \u0000, nested around the 1,000-level limit or 100,000 levels deep, with
 * long strings, with a repeated key; and elements that are no record
 * (numbers, strings, null, arrays, an empty object).  White space may sit
 * around any of them.  One body in four is then spoilt: cut off before its
 * closing bracket, followed by garbage, after an HTML page or instead of
 * one, wrapped in an object, closed by the wrong bracket, empty, or
 * byte-mutated; or it is an empty array.
 *
 * The generator records where each element's text stands in the body and
 * whether the body is a complete JSON array (1), is not one (0), or may be
 * either (-1, after a byte mutation or a structural mutation of an
 * element).  Checks nothing: fuzz_checked.c and recipe.c do.
 */
#include "fuzz.h"

static const char *refs[] = {"1", "2", "3", "4", "5", "6", "7", "8"};

static const char *not_records[] = {
	"5", "\"text\"", "null", "true", "false", "[1,{\"reference_id\":\"2\"}]", "[]", "{}", "-0.5e3",
	"\"\\u0000\"", "\"\\ud800\"", "[[[]]]", "1e400", "{\"reference_id\":\"1\"}",
};

/* {"a":{"a":...1...}}: an object nested "levels" deep (arrays inside, sometimes) */
static void
nested_object(Buf *b, int levels)
{
	int			arrays = one_in(3) ? levels / 2 : 0;

	for (int i = 0; i < levels - arrays; i++)
		b_puts(b, "{\"a\":");
	for (int i = 0; i < arrays; i++)
		b_putc(b, '[');
	b_putc(b, '1');
	for (int i = 0; i < arrays; i++)
		b_putc(b, ']');
	for (int i = 0; i < levels - arrays; i++)
		b_putc(b, '}');
}

/*
 * One of the special cases of a tame record: \u0000, depth around the
 * limit, a long string, a repeated key, a number jsonb would respell.
 */
static void
special_record(Rec *r)
{
	Buf		   *v = &r->v[K_VARS];

	switch (rn(6))
	{
		case 5:
			/* a number jsonb respells: the text refuses it, jsonb reads 1 or 10 */
			r->present[K_ATTEMPT] = 1;
			b_reset(&r->v[K_ATTEMPT]);
			b_puts(&r->v[K_ATTEMPT], PICK(((const char *[]) {"1e0", "1.0", "1E+1", "10e-1"})));
			break;
		case 0:
			b_reset(v);
			b_puts(v, one_in(2) ? "{\"a\":\"\\u0000\"}" : "{\"\\u0000\":1}");
			break;
		case 1:
			/* the element nests one level more than its request_variables */
			b_reset(v);
			nested_object(v, MAX_ELEMENT_DEPTH - 4 + (int) rn(8));
			break;
		case 2:
			{
				/* mostly tens of KB; a MB one time in 20 */
				size_t		n = one_in(20) ? 1000000 + rn(1000000) : 1000 + rn(60000);

				b_reset(v);
				b_puts(v, "{\"big\":\"");
				b_reserve(v, n);
				memset(v->p + v->len, one_in(2) ? 'x' : ' ', n);
				v->len += n;
				v->p[v->len] = '\0';
				b_puts(v, "\"}");
			}
			break;
		case 3:
			b_reset(v);
			b_puts(v, PICK(((const char *[]) {"{\"a\":1,\"a\":2}", "{\"a\":{\"b\":1,\"b\":1}}",
				"{\"a\":1,\"\\u0061\":2}"})));
			break;
		default:
			/* a repeated top-level key: line_type, given twice */
			r->present[K_LINE] = 1;
			b_reset(&r->v[K_LINE]);
			b_puts(&r->v[K_LINE], "\"mobile\",\"line_type\":\"landline\"");
	}
}

/*
 * A record element: tame ones (valid, unless a special case) or wild ones
 * (edge values, another batch id, structural or byte mutations).  *exact
 * is cleared when its text may no longer be valid JSON.
 */
static void
record_element(Buf *b, const Resp *R, int wild, int *exact)
{
	Rec			r;
	int			tame = !wild || !one_in(3),
				structural = !tame && one_in(6),
				own;

	gen_clean = tame;			/* well-formed JSON without edge characters or numbers */
	gen_rec(&r, tame ? 1000000 : 4, NULL, PICK(refs), !one_in(4));
	gen_clean = 0;
	if (tame)
		r.present[K_REF] = r.present[K_TARGET] = r.present[K_VARS] = 1;
	if (r.sid_name == SID_BOTH && (tame || !one_in(3)))
		r.sid_name = SID_TODAY;
	own = tame ? (one_in(3) ? OWN_SAME : OWN_NONE) : (int) rn(3);
	b_reset(&r.v[K_BATCH]);
	r.present[K_BATCH] = own != OWN_NONE;
	if (own == OWN_SAME)
		b_json_str(&r.v[K_BATCH], R->batch.p, R->batch.len);
	else
		b_puts(&r.v[K_BATCH], "\"20260802.9\"");
	if (tame && one_in(5))
		special_record(&r);
	emit_rec(b, &r, structural);
	rec_free(&r);
	/* edge values may not be valid JSON (invalid escapes, control characters) */
	*exact = tame;
	if (!tame && one_in(10))
		mutate_bytes(b, 1);
}

/* One element; returns 0 when its text may not be valid JSON */
static int
gen_element(Buf *b, Resp *R, int wild)
{
	int			exact = 1;

	b_reset(b);
	if (one_in(8))
		b_puts(b, PICK(not_records));
	else if (one_in(150))
	{
		/* far deeper than the limit, and than PostgreSQL's JSON parser can follow */
		for (int i = 0; i < 100000; i++)
			b_putc(b, '[');
		for (int i = 0; i < 100000; i++)
			b_putc(b, ']');
	}
	else
		record_element(b, R, wild, &exact);
	return exact;
}

static void
add_span(Resp *R, size_t start, size_t len)
{
	R->el = realloc(R->el, sizeof(Span) * (size_t) (R->n + 1));
	if (!R->el)
	{
		perror("realloc");
		exit(3);
	}
	R->el[R->n].start = start;
	R->el[R->n].len = len;
	R->n++;
}

/* Spoil a complete body: known not to be an array any more, or (byte mutation) unknown. */
static void
spoil(Resp *R, size_t close)
{
	Buf		   *b = &R->body;
	Buf			t = {0};

	R->complete = 0;
	R->n = -1;
	switch (rn(8))
	{
		case 0:					/* cut off before its closing bracket */
			b->len = rn(close);
			b->p[b->len] = '\0';
			break;
		case 1:
			b_puts(b, PICK(((const char *[]) {"x", ",", "]", "}", "[]", ",{}", "<!-- -->", "\n\"tail\"", "0"})));
			break;
		case 2:
			b_puts(&t, "<html><head><title>502 Bad Gateway</title></head>\n<body>");
			if (one_in(2))
				b_put(&t, b->p, b->len);
			b_puts(&t, "</body></html>\n");
			b_copy(b, &t);
			break;
		case 3:
			b_puts(&t, "{\"items\":");
			b_put(&t, b->p, b->len);
			b_puts(&t, ",\"next\":null}");
			b_copy(b, &t);
			break;
		case 4:
			b->p[close] = '}';
			break;
		case 5:
			b_reset(b);
			b_puts(b, PICK(((const char *[]) {"", "  ", "\n", "null", "{}", "\"[]\""})));
			break;
		case 6:
			b_reset(b);
			b_puts(b, PICK(((const char *[]) {" [ ] ", "[]", "\n[\n]\n"})));
			R->complete = 1;
			R->n = 0;
			break;
		default:
			mutate_bytes(b, 1 + (int) rn(3));
			R->complete = -1;
	}
	b_free(&t);
}

void
gen_response(Resp *R)
{
	Buf			e = {0};
	int			n = (int) rn(one_in(10) ? 40 : 8),
				wild = one_in(3);	/* a third of the bodies have records with edge values */
	size_t		close;

	memset(R, 0, sizeof *R);
	gen_url_batch(&R->batch, &R->batch_null);
	R->plain_batch = strncmp(R->batch.p, "20260801.", 9) == 0 && R->batch.len == 10;
	R->complete = 1;
	b_reset(&R->body);
	gen_ws(&R->body);
	b_putc(&R->body, '[');
	for (int i = 0; i < n; i++)
	{
		if (i)
			b_putc(&R->body, ',');
		gen_ws(&R->body);
		if (one_in(6))
			b_puts(&R->body, "\n  ");
		if (!gen_element(&e, R, wild))
			R->complete = -1;
		{
			/* the element's text is what lies between the white space around it */
			size_t		lead = strspn(e.p, " \t\r\n"),
						end = e.len;

			while (end > lead && strchr(" \t\r\n", e.p[end - 1]))
				end--;
			add_span(R, R->body.len + lead, end - lead);
		}
		b_put(&R->body, e.p, e.len);
		gen_ws(&R->body);
	}
	close = R->body.len;
	b_putc(&R->body, ']');
	gen_ws(&R->body);
	b_free(&e);
	if (R->complete < 0)
		R->n = -1;				/* an element's text may be broken: the spans may mean nothing */
	else if (one_in(4))
		spoil(R, close);
	R->body.len = strlen(R->body.p);	/* a text parameter ends at a zero byte */
	/*
	 * The recipe's unique index holds the batch and reference ids as they
	 * are: only tame records (short ids) go through it, as real ones do.
	 */
	R->recipe = !wild && R->plain_batch && one_in(7);
	R->check_value = one_in(4);
}

void
resp_free(Resp *R)
{
	b_free(&R->body);
	b_free(&R->batch);
	free(R->el);
	R->el = NULL;
}
