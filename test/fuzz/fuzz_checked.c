/*
 * fuzz_checked.c -- comm_results_checked(response, batch_id), the load
 * that loses nothing, in both variants (text and jsonb), beside
 * comm_results(response text, batch_id).
 *
 * Generates response bodies (gen_response.c): elements of today's shape
 * and April's, valid and invalid mixed, and spoilt bodies.
 *
 * Checks, for a body the server's json type reads as an array (or that
 * the generator knows to be one): one row per element, ordinals 0 to n-1 in
 * order; a row holds a value, or errors (a non-empty array) and the
 * element's text, exactly as it stands in the body (against the generator's
 * spans and against json_array_elements); an element is reported nested
 * too deeply (54001) exactly when the harness's own scan finds it deeper
 * than 1,000 levels; each value passes check_value.c (the first two of a
 * body) and equals what comm_results gives for a body of that element
 * alone; each invalid element's errors are what comm_result_errors lists
 * for its text (field, message and detail; less its "batch_id is missing"
 * when the element has none and the URL's batch id is put in), where the
 * element carries no other batch id; comm_results over the whole body gives
 * the same values in order when every element is valid, and fails when one
 * is invalid (but for one nested too deeply, which it may read); the jsonb
 * variant returns as many rows, its elements as jsonb prints them, and on
 * every element jsonb reads as the text does (no repeated or escaped key at
 * any depth, no top-level number jsonb would respell, at most 1,000
 * levels) the same validity and the same value.  For any other body:
 * 22P02 "response is not a complete JSON array" (or 22021 for bytes that
 * are not UTF-8), however deep it nests, no rows, and
 * comm_results refuses it too.  One body in three also goes through the
 * recipe (recipe.c).
 */
#define _GNU_SOURCE				/* memmem */
#include "fuzz.h"

#define NOT_ARRAY "response is not a complete JSON array"
#define TOO_DEEP "response element is nested too deeply to be read"

/* what the checked loads did, for the summary */
long		n_checked_bodies[2],	/* refused, loaded */
			n_checked_elems[2],	/* invalid, valid */
			n_jsonb_compared,
			n_jsonb_skipped,
			n_unread_not_json;	/* loaded, with an unread deep element that is not JSON */

typedef struct
{
	PGresult   *rows;			/* the text variant's rows */
	int			n;
	int			invalid;
	int			too_deep;		/* rows 54001 for nesting over the limit */
	int		   *deep_rows;		/* which */
	Buf			same;			/* ordinals whose errors compare as they are: {1,2} */
	Buf			none;			/* ordinals without batch_id: less "is missing" */
} Loaded;

static int
row_ordinal(PGresult *r, int i)
{
	return (int) get_be((const unsigned char *) PQgetvalue(r, i, 0), 4);
}

/*
 * Where an invalid element's errors can be compared with comm_result_errors
 * of its text: an object with the URL's batch id or none (and no escaped
 * key, which might be batch_id), or another element without an escape
 * (comm_results_checked says it is no object without reading it, where
 * comm_result_errors reads it first and may stop at an escape).
 */
static void
classify_invalid(const Resp *R, Loaded *L, int i, const ElemScan *sc)
{
	if (sc->depth > MAX_ELEMENT_DEPTH || sc->escaped_key || (!sc->object && sc->escapes))
		return;
	if (!sc->object || sc->batch == BATCH_SAME)
		b_printf(&L->same, "%s%d", L->same.len > 1 ? "," : "", i);
	else if (sc->batch == BATCH_NONE && R->plain_batch)
		b_printf(&L->none, "%s%d", L->none.len > 1 ? "," : "", i);
}

/* The rows of the text variant, on their own and against the generator's spans. */
static void
check_rows(const Resp *R, Loaded *L, int *bad)
{
	PGresult   *r = L->rows;
	int			values_checked = 0;
	char		d[512];

	L->n = PQntuples(r);
	L->deep_rows = calloc((size_t) L->n + 1, sizeof(int));
	for (int i = 0; i < L->n; i++)
	{
		int			valid = !PQgetisnull(r, i, 1);
		const char *elem = PQgetvalue(r, i, 3);
		size_t		elen = (size_t) PQgetlength(r, i, 3);
		const Span *sp = R->n >= 0 && i < R->n ? &R->el[i] : NULL;
		ElemScan	sc;

		invariant(row_ordinal(r, i) == i, "comm_results_checked's ordinals are not 0 to n-1 in order", bad);
		invariant(valid == PQgetisnull(r, i, 2) && valid == PQgetisnull(r, i, 3),
				  "a row of comm_results_checked has a value and errors, or neither", bad);
		n_checked_elems[valid]++;
		if (valid)
		{
			if (sp)
			{
				scan_element(R->body.p + sp->start, sp->len, R->batch.p, &sc);
				invariant(sc.depth <= MAX_ELEMENT_DEPTH, "an element nested over the limit was loaded", bad);
			}
			if (values_checked++ == 0 && R->check_value)
				check_accepted(PQgetvalue(r, i, 1), PQgetlength(r, i, 1), PQgetvalue(r, i, 6),
							   PQgetlength(r, i, 6), NULL, bad);
			continue;
		}
		L->invalid++;
		invariant(strncmp(PQgetvalue(r, i, 2), "[{", 2) == 0,
				  "an invalid element's errors are not a non-empty array", bad);
		scan_element(elem, elen, R->batch.p, &sc);
		{
			int			deep = strcmp(PQgetvalue(r, i, 4), "54001") == 0 &&
				strcmp(PQgetvalue(r, i, 5), TOO_DEEP) == 0;

			snprintf(d, sizeof d, "element %d nests %d levels and is%s reported nested too deeply", i,
					 sc.depth, deep ? "" : " not");
			invariant(deep == (sc.depth > MAX_ELEMENT_DEPTH), d, bad);
			if (deep)
				L->deep_rows[L->too_deep++] = i;
		}
		if (sp && (elen != sp->len || memcmp(elem, R->body.p + sp->start, elen) != 0))
		{
			snprintf(d, sizeof d, "element %d's text is not its text in the body (%zu bytes at %zu): %.80s",
					 i, sp->len, sp->start, elem);
			invariant(0, d, bad);
		}
		classify_invalid(R, L, i, &sc);
	}
	if (R->n >= 0)
	{
		snprintf(d, sizeof d, "comm_results_checked returned %d rows for %d elements", L->n, R->n);
		invariant(L->n == R->n, d, bad);
	}
	invariant(R->complete != 0, "comm_results_checked loaded a body that is not a complete JSON array", bad);
}

/*
 * The json type does not read a body comm_results_checked loaded: that
 * may only be for what lies in the elements it reports nested too deeply,
 * which it does not read (so it cannot tell that one is not JSON).  True
 * when the body with those elements replaced by null is a JSON array.
 */
static int
unread_not_json(const Resp *R, const Loaded *L, int *bad)
{
	Buf			b = {0};
	size_t		at = 0;
	char		code[6];
	const char *vals[1];
	PGresult   *r;
	int			ok;

	if (L->too_deep == 0)
		return 0;
	for (int k = 0; k < L->too_deep; k++)
	{
		const char *e = PQgetvalue(L->rows, L->deep_rows[k], 3);
		size_t		elen = (size_t) PQgetlength(L->rows, L->deep_rows[k], 3);
		const char *pos = memmem(R->body.p + at, R->body.len - at, e, elen);

		if (!pos)
		{
			b_free(&b);
			return 0;
		}
		b_put(&b, R->body.p + at, (size_t) (pos - R->body.p) - at);
		b_puts(&b, "null");
		at = (size_t) (pos - R->body.p) + elen;
	}
	b_put(&b, R->body.p + at, R->body.len - at);
	vals[0] = b.p;
	r = run_query_text("SELECT json_typeof($1::json) = 'array'", 1, vals, code, bad);
	ok = r && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	if (r)
		PQclear(r);
	b_free(&b);
	n_unread_not_json += ok;
	return ok;
}

/*
 * Against the json type's own reading of the body: the elements' texts,
 * each value as comm_results gives it for the element alone, the errors
 * as comm_result_errors lists them.  Returns the result (the elements'
 * texts in column 1), or NULL when the json type could not read the body.
 */
static PGresult *
check_against_json(const Resp *R, Loaded *L, int *bad)
{
	const char *vals[4] = {R->body.p, R->batch.p, L->same.p, L->none.p};
	char		code[6];
	PGresult   *r = run_query_text("WITH c AS MATERIALIZED (SELECT * FROM comm_results_checked($1::text, $2)), "
								   "j AS MATERIALIZED (SELECT (o - 1)::int AS ord, e::text AS e "
								   " FROM json_array_elements($1::json) WITH ORDINALITY t(e, o)) "
								   "SELECT j.ord, j.e, c.element IS NULL OR c.element = j.e, "
								   "CASE WHEN c.result IS NOT NULL THEN (SELECT array_agg(r::text) "
								   " FROM comm_results('[' || j.e || ']', $2) r) = ARRAY[c.result::text] END, "
								   "CASE WHEN c.ordinal = ANY ($3::int[] || $4::int[]) THEN "
								   " (SELECT array_agg(coalesce(x ->> 'field', '-') || ' ' || (x ->> 'message') || "
								   "  coalesce(': ' || (x ->> 'detail'), '') ORDER BY k) "
								   "  FROM jsonb_array_elements(c.errors) WITH ORDINALITY a(x, k)) IS NOT DISTINCT FROM "
								   " (SELECT array_agg(coalesce(field, '-') || ' ' || message) FROM comm_result_errors(c.element) "
								   "  WHERE NOT (c.ordinal = ANY ($4::int[]) AND field = 'batch_id' "
								   "   AND message LIKE 'comm_result field \"batch_id\" is missing%')) END "
								   "FROM j LEFT JOIN c ON c.ordinal = j.ord ORDER BY j.ord",
								   4, vals, code, bad);
	char		d[256];

	if (!r)
	{
		/* a body too deep for the json type's parser, or not JSON where it was not read */
		invariant((strcmp(code, "54001") == 0 && L->too_deep > 0) ||
				  (strcmp(code, "22P02") == 0 && unread_not_json(R, L, bad)),
				  "comm_results_checked loaded a body, and json_array_elements or comm_result_errors failed on it", bad);
		return NULL;
	}
	snprintf(d, sizeof d, "comm_results_checked returned %d rows, json_array_elements %d", L->n, PQntuples(r));
	invariant(PQntuples(r) == L->n, d, bad);
	for (int i = 0; i < PQntuples(r); i++)
	{
		static const char *what[] = {
			"an invalid element's text differs from json_array_elements'",
			"a valid element's value differs from comm_results of that element alone",
			"an invalid element's errors differ from comm_result_errors of its text",
		};

		for (int c = 2; c <= 4; c++)
			if ((c == 2 || !PQgetisnull(r, i, c)) && strcmp(PQgetvalue(r, i, c), "t") != 0)
			{
				snprintf(d, sizeof d, "element %d: %s", i, what[c - 2]);
				invariant(0, d, bad);
			}
	}
	return r;
}

/* comm_results over the whole body: the same values when all are valid, else an error */
static void
check_comm_results(const Resp *R, const Loaded *L, int *bad)
{
	const char *vals[2] = {R->body.p, R->batch.p};
	char		code[6];
	PGresult   *r = run_query_text("SELECT (SELECT array_agg(r::text ORDER BY o) FROM comm_results($1::text, $2) "
								   " WITH ORDINALITY t(r, o)) IS NOT DISTINCT FROM "
								   "(SELECT array_agg(result::text ORDER BY ordinal) FROM comm_results_checked($1::text, $2))",
								   2, vals, code, bad);

	if (L->invalid == 0)
		invariant(r && strcmp(PQgetvalue(r, 0, 0), "t") == 0,
				  "comm_results differs from comm_results_checked on a body of valid elements", bad);
	else if (L->invalid > L->too_deep)
		invariant(r == NULL, "comm_results loaded a body with an invalid element", bad);
	if (r)
		PQclear(r);
}

/*
 * The jsonb variant: as many rows, its elements as jsonb prints them, and
 * the text variant's validity and values where jsonb reads an element as
 * the text does (json: the json type's texts of the elements, or NULL).
 */
static void
check_jsonb_variant(const Resp *R, const Loaded *L, PGresult *json, int *bad)
{
	const char *vals[2] = {R->body.p, R->batch.p};
	char		code[6],
				d[256];
	PGresult   *r = run_query_text("SELECT c.ordinal, c.result::text, "
								   "c.element IS NULL OR c.element = ($1::jsonb -> c.ordinal)::text "
								   "FROM comm_results_checked($1::jsonb, $2) c", 2, vals, code, bad);

	if (!r)
	{
		/* only jsonb's own input may refuse the body (\u0000, a lone surrogate, depth, ...) */
		PGresult   *cast = run_query_text("SELECT jsonb_typeof($1::jsonb)", 1, vals, code, bad);

		invariant(cast == NULL, "comm_results_checked(jsonb) failed on a body jsonb reads", bad);
		if (cast)
			PQclear(cast);
		return;
	}
	snprintf(d, sizeof d, "comm_results_checked(jsonb) returned %d rows, the text variant %d", PQntuples(r), L->n);
	invariant(PQntuples(r) == L->n, d, bad);
	for (int i = 0; i < PQntuples(r) && i < L->n; i++)
	{
		ElemScan	sc;

		invariant(strcmp(PQgetvalue(r, i, 2), "t") == 0,
				  "comm_results_checked(jsonb)'s element is not as jsonb prints it", bad);
		if (!json || i >= PQntuples(json))
		{
			n_jsonb_skipped++;
			continue;
		}
		scan_element(PQgetvalue(json, i, 1), (size_t) PQgetlength(json, i, 1), R->batch.p, &sc);
		if (!sc.safe)
		{
			n_jsonb_skipped++;
			continue;
		}
		n_jsonb_compared++;
		snprintf(d, sizeof d, "element %d is %s in the text variant and %s in the jsonb variant", i,
				 PQgetisnull(L->rows, i, 1) ? "invalid" : "valid", PQgetisnull(r, i, 1) ? "invalid" : "valid");
		invariant(PQgetisnull(r, i, 1) == PQgetisnull(L->rows, i, 1), d, bad);
		if (!PQgetisnull(r, i, 1) && !PQgetisnull(L->rows, i, 1))
			invariant(strcmp(PQgetvalue(r, i, 1), PQgetvalue(L->rows, i, 1)) == 0,
					  "an element's value differs between the text and the jsonb variants", bad);
	}
	PQclear(r);
}

/* A body the checked load refused: only as documented, and comm_results refuses it too. */
static void
check_refused(const Resp *R, const char *code, int *bad)
{
	const char *vals[2] = {R->body.p, R->batch.p};
	char		c2[6],
				d[700];
	PGresult   *r;

	n_checked_bodies[0]++;
	if (strcmp(code, "22021") == 0)
		return;					/* not UTF-8: refused before the function runs */
	snprintf(d, sizeof d, "comm_results_checked refused a body with %s: %s", code, last_msg);
	invariant(strcmp(code, "22P02") == 0 && strcmp(last_msg, NOT_ARRAY) == 0, d, bad);
	if (strcmp(last_msg, NOT_ARRAY) != 0)
		return;
	invariant(R->complete != 1, "comm_results_checked refused a complete JSON array", bad);
	if (R->complete < 0)
	{
		/* the json type must not read it as an array either */
		r = run_query_text("SELECT json_typeof($1::json)", 1, vals, c2, bad);
		invariant(!r || strcmp(PQgetvalue(r, 0, 0), "array") != 0,
				  "comm_results_checked refused a body the json type reads as an array", bad);
		if (r)
			PQclear(r);
	}
	r = run_query_text("SELECT count(*) FROM comm_results($1::text, $2)", 2, vals, c2, bad);
	invariant(r == NULL, "comm_results loaded a body comm_results_checked refused", bad);
	if (r)
		PQclear(r);
}

void
fuzz_checked(int *bad)
{
	Resp		R;
	Loaded		L;
	const char *vals[2];
	char		code[6];
	PGresult   *json = NULL;

	cur_cat = "checked";
	gen_response(&R);
	memset(&L, 0, sizeof L);
	b_reset(&cur_input);
	b_puts(&cur_input, "comm_results_checked\n");
	b_put(&cur_input, R.body.p, R.body.len);
	b_puts(&cur_input, R.batch_null ? "\nNULL\n" : "\n");
	if (!R.batch_null)
		b_put(&cur_input, R.batch.p, R.batch.len);
	vals[0] = R.body.p;
	vals[1] = R.batch_null ? NULL : R.batch.p;
	L.rows = run_query("SELECT ordinal, result::text, errors::text, element, errors -> 0 ->> 'sqlstate', "
					   "errors -> 0 ->> 'message', comm_result_send(result) "
					   "FROM comm_results_checked($1::text, $2)", 2, NULL, vals, NULL, NULL, 1, code, bad);
	tally(L.rows, code);
	if (!L.rows)
	{
		check_refused(&R, code, bad);
		if (R.recipe)
			check_recipe(&R, 0, bad);
		resp_free(&R);
		return;
	}
	n_checked_bodies[1]++;
	if (R.batch_null)
	{
		invariant(PQntuples(L.rows) == 0, "comm_results_checked with a NULL batch id returned rows", bad);
		PQclear(L.rows);
		resp_free(&R);
		return;
	}
	b_putc(&L.same, '{');
	b_putc(&L.none, '{');
	check_rows(&R, &L, bad);
	b_putc(&L.same, '}');
	b_putc(&L.none, '}');
	json = check_against_json(&R, &L, bad);
	check_comm_results(&R, &L, bad);
	check_jsonb_variant(&R, &L, json, bad);
	if (R.recipe)
		check_recipe(&R, 1, bad);
	if (json)
		PQclear(json);
	PQclear(L.rows);
	free(L.deep_rows);
	b_free(&L.same);
	b_free(&L.none);
	resp_free(&R);
}
