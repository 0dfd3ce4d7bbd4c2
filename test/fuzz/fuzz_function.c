/*
 * fuzz_function.c -- calls of the SQL functions on generated arguments.
 *
 * Generates one call per input, of seventeen kinds: comm_result_transition
 * (all arguments, or the now() default), comm_result_merge, the
 * constructor comm_result(...), comm_results(jsonb), the validators, the
 * accessors, the comm_status functions and its binary receive,
 * comm_batch_state_add / _combine (fuzz_batch_state.c), the aggregates
 * over comm_result[] literals, the comparison operators, the jsonb cast,
 * the guard trigger, request_variable, two snapshots of one request
 * (fuzz_status.c), and comm_batch_state text input.
 *
 * Checks the invariants the README promises: merge commutative, idempotent
 * and associative, comm_result_latest the fold of merges, cmp antisymmetric
 * and agreeing with the operators and hashes, the accessors agreeing with
 * comm_result_fields and comm_result_all_fields, the comm_status functions
 * and the lifecycle agreeing with the status table (fuzz_status.c), the
 * report aggregates agreeing with a GROUP BY over the statuses (a column
 * per status, done when every result is in a terminal status), the counts
 * aggregates agreeing with a GROUP BY, the constructor naming the sid as it
 * was given; and every comm_result a function returns with check_value.c.
 */
#include "fuzz.h"

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

void
fuzz_function(int *bad)
{
	Args		A;
	Buf			bb = {0},
				rb = {0};
	char		code[6];
	PGresult   *r = NULL;
	int			which = (int) rn(17);
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
		case 7:					/* comm_status functions, against the status table */
			fuzz_status_functions(&A, bad);
			break;
		case 8:					/* comm_status binary recv */
			{
				Oid			types[1] = {cs_oid};
				int			lens[1],
							fmts[1] = {1};

				b_reset(&A.a[0]);
				if (one_in(2))
					b_puts(&A.a[0], pick_status());
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
		case 9:					/* comm_batch_state add / combine, beside comm_batch_tally */
			fuzz_state_functions(&A, bad);
			break;
		case 10:				/* aggregates over arrays */
			{
				int			same = one_in(2);

				arg_array(&A.a[0], (int) rn(7), same ? bb.p : NULL, same ? rb.p : NULL);
				args_final(&A, 1);
				record_args(&A, 1, "aggregates");
				r = run_query_text("SELECT q.s, q.c, q.latest, (q.s).total = q.n, q.ch_ok, q.lt_ok, "
								   /* the status counts agree with GROUP BY, done with the table */
								   "q.c = (SELECT coalesce(jsonb_object_agg(k, n), '{}') FROM "
								   " (SELECT coalesce(request_status(x)::text, 'PENDING') k, count(*) n "
								   "  FROM unnest($1::comm_result[]) x WHERE x IS NOT NULL GROUP BY 1) g), "
								   "(q.s).done = (q.n > 0 AND NOT EXISTS (SELECT FROM unnest($1::comm_result[]) x "
								   " JOIN comm_statuses() st ON st.status = coalesce(request_status(x), 'PENDING') "
								   " WHERE x IS NOT NULL AND NOT st.terminal)), "
								   /* a column per status in the summary, as in status_counts */
								   "(SELECT bool_and((to_jsonb(q.s) ->> lower(st.status::text))::bigint = "
								   " coalesce((q.c ->> st.status::text)::bigint, 0)) FROM comm_statuses() st) "
								   "FROM (SELECT comm_batch_summary(r) s, comm_status_counts(r) c, "
								   " comm_result_latest(r)::text latest, count(r) n, "
								   /* today's counts agree with GROUP BY over the accessors */
								   " comm_channel_status_counts(r) = (SELECT coalesce(jsonb_object_agg(k, c), '{}') FROM "
								   "  (SELECT channel_manager_status(x) k, count(*) c FROM unnest($1::comm_result[]) x "
								   "   WHERE channel_manager_status(x) IS NOT NULL GROUP BY 1) g) ch_ok, "
								   " comm_line_type_counts(r) = (SELECT coalesce(jsonb_object_agg(k, c), '{}') FROM "
								   "  (SELECT line_type(x) k, count(*) c FROM unnest($1::comm_result[]) x "
								   "   WHERE line_type(x) IS NOT NULL GROUP BY 1) g) lt_ok "
								   " FROM unnest($1::comm_result[]) r) q", 1, A.v, code, bad);
				tally(r, code);
				if (r)
				{
					invariant(strcmp(PQgetvalue(r, 0, 3), "t") == 0 || PQgetisnull(r, 0, 3),
							  "comm_batch_summary total differs from count", bad);
					invariant(strcmp(PQgetvalue(r, 0, 4), "t") == 0,
							  "comm_channel_status_counts differs from counting channel_manager_status", bad);
					invariant(strcmp(PQgetvalue(r, 0, 5), "t") == 0,
							  "comm_line_type_counts differs from counting line_type", bad);
					invariant(strcmp(PQgetvalue(r, 0, 6), "t") == 0,
							  "comm_status_counts differs from counting request_status", bad);
					invariant(strcmp(PQgetvalue(r, 0, 7), "t") == 0,
							  "comm_batch_summary's done differs from every result in a terminal status", bad);
					invariant(strcmp(PQgetvalue(r, 0, 8), "t") == 0,
							  "comm_batch_summary's count column of a status differs from comm_status_counts", bad);
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
		case 15:				/* transition, merge and guard on two snapshots */
			fuzz_lifecycle(bb.p, rb.p, bad);
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
