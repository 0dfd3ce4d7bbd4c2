/*
 * main.c -- the comm_result fuzz harness's entry point: reads the options,
 * connects, runs setup.c's fixed inputs, then draws the kind of each input
 * from the PRNG seeded with (seed, input number) and runs it, and prints the
 * summary.
 *
 * Talks to a running server through libpq (connection from the usual PG*
 * environment variables).  Each input must end in an accepted value that
 * round-trips canonically or in an error whose SQLSTATE is documented.  A
 * lost connection (crash), a statement timeout (57014), XX000 or any
 * undocumented SQLSTATE, a broken invariant, or a WARNING about a leak is a
 * failure; the input is saved to the failure directory.  Input number i
 * depends only on (seed, i), so "--seed S --start i --n 1" replays exactly
 * one input.  README.md in this directory lists the files and what each
 * generates and checks.
 *
 * Usage: fuzz [--seed S] [--n N] [--start I] [--faildir DIR] [--recipe FILE] [--no-huge] [--verbose]
 * (--recipe examples/load_checked.sql: run the recipe on generated responses;
 * --no-huge: leave out setup_13.c's 270 MB response, when replaying one input)
 */
#include "fuzz.h"

/*
 * The kinds of input: the share of each (per cent of the inputs), and the
 * category its outcomes count under (cat_name).  Text and binary input go
 * through another client encoding one time in 12.
 */
static const struct
{
	const char *name;
	int			share;
	int			cat;
	void		(*run) (int *bad);
}			kinds[] = {
	{"text", 36, 0, fuzz_text},
	{"binary", 21, 1, fuzz_binary},
	{"batch_state", 3, 3, fuzz_batch_state},
	{"tally", 4, 8, fuzz_tally},
	{"counts", 4, 6, fuzz_counts},
	{"url_batch", 5, 7, fuzz_url_batch},
	{"checked", 6, 9, fuzz_checked},
	{"function", 21, 2, fuzz_function},
};
#define NKINDS ((int) (sizeof kinds / sizeof kinds[0]))

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Input i: its kind drawn from the PRNG seeded with (seed, i); returns the kind. */
static int
run_input(long i, int *bad)
{
	int			c,
				k = 0;
	int			foreign;

	cur_n = i;
	rng_state = splitmix(seed ^ splitmix((uint64_t) i)) | 1;
	c = (int) rn(100);
	while (k < NKINDS - 1 && c >= kinds[k].share)
		c -= kinds[k++].share;
	foreign = kinds[k].cat <= 1 && one_in(12);
	if (foreign)
		set_encoding(PICK(((const char *[]) {"LATIN1", "WIN1252", "SJIS", "EUC_JP",
			"GB18030", "BIG5", "SQL_ASCII", "KOI8R", "LATIN9", "UHC"})));
	cat_count[kinds[k].cat]++;
	kinds[k].run(bad);
	if (foreign)
		set_encoding("UTF8");
	return k;
}

static void
print_summary(double t0, double setup_secs, const double *secs, long inputs_failed)
{
	printf("seed %" PRIu64 ": %ld inputs tried (%ld queries) in %.0f s\n", seed, n_inputs, n_queries,
		   now() - t0);
	printf("  inputs by kind:");
	for (int k = 0; k < NKINDS; k++)
		printf(" %s %ld,", kinds[k].name, cat_count[kinds[k].cat]);
	printf(" setup %ld\n", cat_count[5]);
	printf("  seconds by kind:");
	for (int k = 0; k < NKINDS; k++)
		printf(" %s %.1f,", kinds[k].name, secs[k]);
	printf(" setup %.1f\n", setup_secs);
	printf("  outcomes (accepted/rejected) by category:");
	for (int i = 0; i < NCAT; i++)
		printf(" %s %ld/%ld%s", cat_name[i], cat_acc[i], cat_rej[i], i < NCAT - 1 ? "," : "\n");
	printf("  accepted comm_result values checked against the binary format: version 1 %ld, version 2 %ld\n",
		   n_wire[1], n_wire[2]);
	printf("  comm_results_checked: %ld bodies loaded, %ld refused; elements %ld valid, %ld invalid; "
		   "jsonb variant compared on %ld elements (%ld not comparable); recipe run on %ld bodies\n",
		   n_checked_bodies[1], n_checked_bodies[0], n_checked_elems[1], n_checked_elems[0],
		   n_jsonb_compared, n_jsonb_skipped, n_recipe_runs);
	printf("  comm_results_checked, as it is (see README.md): %ld bodies loaded with an unread too-deep element that is not JSON\n",
		   n_unread_not_json);
	printf("  outcomes in all: accepted %ld, rejected %ld; rejections by SQLSTATE:\n", n_accepted, n_rejected);
	for (int i = 0; i < n_codes; i++)
		printf("    %s %ld\n", code_name[i], code_count[i]);
	printf("  failing inputs: %ld (failure reports: %ld)\n", inputs_failed, n_failures);
}

int
main(int argc, char **argv)
{
	long		n = 20000,
				start = 0;
	int			seed_given = 0;
	double		t0 = now(),
				setup_secs,
				secs[NKINDS] = {0};
	long		inputs_failed = 0;
	const char *recipe = NULL;

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
		else if (strcmp(argv[i], "--recipe") == 0 && i + 1 < argc)
			recipe = argv[++i];
		else if (strcmp(argv[i], "--no-huge") == 0)
			skip_huge = 1;
		else if (strcmp(argv[i], "--verbose") == 0)
			verbose++;
		else
		{
			fprintf(stderr, "usage: %s [--seed S] [--n N] [--start I] [--faildir DIR] [--recipe FILE] "
					"[--no-huge] [--verbose]\n", argv[0]);
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
	tally_oid = type_oid("comm_batch_tally");
	load_statuses();
	recipe_init(recipe);

	{
		int			bad = 0;

		cur_n = -1;
		setup(&bad);
		if (bad)
			inputs_failed++;
	}
	setup_secs = now() - t0;

	for (long i = start; i < start + n; i++)
	{
		int			bad = 0;
		double		t = now();
		int			k = run_input(i, &bad);

		secs[k] += now() - t;
		n_inputs++;
		if (bad)
			inputs_failed++;
		if (verbose && (i - start + 1) % 5000 == 0)
			fprintf(stderr, "  %ld inputs, %.0f s\n", i - start + 1, now() - t0);
	}
	print_summary(t0, setup_secs, secs, inputs_failed);
	PQfinish(conn);
	return inputs_failed ? 1 : 0;
}
