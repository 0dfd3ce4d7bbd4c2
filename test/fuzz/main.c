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
 * Usage: fuzz [--seed S] [--n N] [--start I] [--faildir DIR] [--verbose]
 */
#include "fuzz.h"

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
