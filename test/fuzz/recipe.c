/*
 * recipe.c -- the recipe of README, "Loading a response with nothing
 * lost" (examples/load_checked.sql: load_response and replay_rejects), run
 * on generated responses.
 *
 * The harness runs the file itself, once, in a schema of its own
 * (fuzz_recipe, first in its search_path), so its statements are the
 * prepared statements a user runs.  For each response given (fuzz_checked.c
 * calls it for one body in three) both tables are emptied, then checked:
 * a body comm_results_checked loads is loaded; the results table then holds
 * exactly comm_result_latest of the valid elements' snapshots, one row per
 * request, and the rejects table every distinct invalid element once, with
 * its errors, the URL's batch id and an ordinal where it stood; the counts
 * load_response returns say so; loading the same body again changes
 * nothing (loaded 0, new_rejects 0, the same rows); the replay moves
 * nothing (every reject is still invalid alone) and changes nothing.  A
 * body comm_results_checked refuses makes load_response fail, and nothing
 * is written.
 */
#include "fuzz.h"

static int	recipe_ready;
long		n_recipe_runs;

/* Run examples/load_checked.sql (its path given by --recipe); without it, no recipe checks. */
void
recipe_init(const char *path)
{
	FILE	   *f;
	Buf			sql = {0};
	char		chunk[8192];
	size_t		n;
	PGresult   *r;

	if (!path)
		return;
	f = fopen(path, "r");
	if (!f)
	{
		fprintf(stderr, "cannot read the recipe %s: %s\n", path, strerror(errno));
		exit(3);
	}
	b_puts(&sql, "CREATE SCHEMA IF NOT EXISTS fuzz_recipe; SET search_path = fuzz_recipe, public;\n");
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		b_put(&sql, chunk, n);
	fclose(f);
	r = PQexec(conn, sql.p);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
	{
		fprintf(stderr, "the recipe %s failed: %s", path, PQerrorMessage(conn));
		exit(3);
	}
	PQclear(r);
	b_free(&sql);
	recipe_ready = 1;
}

/* What the tables hold, as one text: it must not change when nothing should. */
static void
tables_digest(Buf *out, int *bad)
{
	char		code[6];
	PGresult   *r = run_query_text("SELECT (SELECT md5(coalesce(string_agg(r::text, ',' ORDER BY r::text), '')) FROM results) || "
								   "(SELECT md5(coalesce(string_agg(id || ':' || ordinal || ':' || errors::text || element, ',' "
								   " ORDER BY id), '')) FROM results_rejects)", 0, NULL, code, bad);

	b_reset(out);
	if (r)
	{
		b_puts(out, PQgetvalue(r, 0, 0));
		PQclear(r);
	}
}

/* load_response's counts (valid, loaded, rejected, new_rejects) against what they must be */
static void
check_load_counts(PGresult *r, long valid, long loaded, long rejected, long new_rejects, const char *when, int *bad)
{
	char		d[512];

	snprintf(d, sizeof d, "load_response (%s) returned (%s, %s, %s, %s), not (%ld, %ld, %ld, %ld)", when,
			 PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3),
			 valid, loaded, rejected, new_rejects);
	invariant(atol(PQgetvalue(r, 0, 0)) == valid && atol(PQgetvalue(r, 0, 1)) == loaded &&
			  atol(PQgetvalue(r, 0, 2)) == rejected && atol(PQgetvalue(r, 0, 3)) == new_rejects, d, bad);
}

/* After one load of a body: the tables hold exactly what the recipe promises. */
static int
check_loaded(const char *const *vals, PGresult *load, long *want, int *bad)
{
	char		code[6];
	PGresult   *r = run_query_text("WITH c AS MATERIALIZED (SELECT * FROM comm_results_checked($1::text, $2)), "
								   "want AS (SELECT comm_result_latest(result)::text AS r FROM c WHERE result IS NOT NULL "
								   " GROUP BY batch_id(result), reference_id(result)), "
								   "rej AS (SELECT DISTINCT errors, element FROM c WHERE result IS NULL) "
								   "SELECT (SELECT count(*) FROM want), (SELECT count(*) FROM c WHERE result IS NULL), "
								   "(SELECT count(*) FROM rej), "
								   "(SELECT array_agg(r ORDER BY r) FROM want) IS NOT DISTINCT FROM "
								   " (SELECT array_agg(r::text ORDER BY r::text) FROM results), "
								   "(SELECT array_agg(row(errors, element)::text ORDER BY element, errors::text) FROM rej) "
								   " IS NOT DISTINCT FROM (SELECT array_agg(row(errors, element)::text ORDER BY element, errors::text) "
								   " FROM results_rejects), "
								   "NOT EXISTS (SELECT FROM results_rejects j WHERE j.batch_id <> $2 OR NOT EXISTS "
								   " (SELECT FROM c WHERE c.ordinal = j.ordinal AND c.element = j.element))",
								   2, vals, code, bad);

	if (!r)
	{
		invariant(0, "reading what the recipe loaded failed", bad);
		return 0;
	}
	for (int i = 0; i < 3; i++)
		want[i] = atol(PQgetvalue(r, 0, i));
	check_load_counts(load, want[0], want[0], want[1], want[2], "first load", bad);
	invariant(strcmp(PQgetvalue(r, 0, 3), "t") == 0,
			  "the results table is not comm_result_latest of each request's snapshots, once each", bad);
	invariant(strcmp(PQgetvalue(r, 0, 4), "t") == 0,
			  "the rejects table does not hold every invalid element once, with its errors", bad);
	invariant(strcmp(PQgetvalue(r, 0, 5), "t") == 0,
			  "a reject has another batch id, or an ordinal where its element did not stand", bad);
	PQclear(r);
	return 1;
}

/*
 * The recipe on one body: loaded (or refused, as comm_results_checked
 * refused it), loaded again, replayed.
 */
void
check_recipe(const Resp *R, int loads, int *bad)
{
	const char *vals[2] = {R->body.p, R->batch.p};
	char		code[6];
	PGresult   *r;
	Buf			before = {0},
				after = {0};
	long		want[3];

	if (!recipe_ready || R->batch_null)
		return;
	n_recipe_runs++;
	for (int i = 0; i < 2; i++)
	{
		r = run_query_text(i ? "DELETE FROM results_rejects" : "DELETE FROM results", 0, NULL, code, bad);
		if (r)
			PQclear(r);
	}
	r = run_prepared("load_response", 2, vals, code, bad);
	if (!loads)
	{
		invariant(r == NULL, "load_response loaded a body comm_results_checked refuses", bad);
		if (r)
			PQclear(r);
		r = run_query_text("SELECT (SELECT count(*) FROM results) + (SELECT count(*) FROM results_rejects)",
						   0, NULL, code, bad);
		invariant(r && strcmp(PQgetvalue(r, 0, 0), "0") == 0, "a refused body left rows behind", bad);
		goto done;
	}
	if (!r)
	{
		invariant(0, "load_response failed on a body comm_results_checked loads", bad);
		goto done;
	}
	if (!check_loaded(vals, r, want, bad))
		goto done;
	PQclear(r);
	tables_digest(&before, bad);

	/* the same body again: nothing moves */
	r = run_prepared("load_response", 2, vals, code, bad);
	invariant(r != NULL, "load_response failed on a body it loaded before", bad);
	if (r)
		check_load_counts(r, want[0], 0, want[1], 0, "the same body again", bad);
	if (r)
		PQclear(r);

	/* the replay: every reject is still invalid alone */
	r = run_prepared("replay_rejects", 0, NULL, code, bad);
	if (r)
	{
		char		d[256];

		snprintf(d, sizeof d, "replay_rejects returned (%s, %s), not (0, %ld)", PQgetvalue(r, 0, 0),
				 PQgetvalue(r, 0, 1), want[2]);
		invariant(atol(PQgetvalue(r, 0, 0)) == 0 && atol(PQgetvalue(r, 0, 1)) == want[2], d, bad);
	}
	else
		invariant(0, "replay_rejects failed", bad);
	tables_digest(&after, bad);
	invariant(strcmp(before.p, after.p) == 0,
			  "loading the same body again, then replaying the rejects, changed the tables", bad);
done:
	if (r)
		PQclear(r);
	b_free(&before);
	b_free(&after);
}
