/*
 * gen_record.c -- generated comm_result records, of April 2025's shape or of
 * today's (spec-1.2.md: today's fields, the sid named channel_manager_sid
 * or both names), each field valid or an edge value, and their JSON text,
 * maybe shuffled, with keys renamed, repeated or added, and whitespace.
 * Statuses come from the server's table (status_table.c); an optional
 * string is sometimes "" or blank, valid since 1.3.
 *
 * Checks nothing: the inputs built from these records are checked by
 * check_value.c and by the file of each kind of input.
 */
#include "fuzz.h"

const char *field_keys[K_COUNT] = {
	"batch_id", "reference_id", "target", "request_variables", "request_status",
	"call_manager_sid", "created_at", "sent_at", "attempt_count", "session_id",
	"conversation_id", "channel_manager_status", "insights_status", "insights",
	"line_type", "enrichment"
};

static const char *
rec_key(const Rec *r, int k)
{
	return (k == K_SID && r->sid_name == SID_TODAY) ? "channel_manager_sid" : field_keys[k];
}

void
rec_free(Rec *r)
{
	for (int i = 0; i < K_COUNT; i++)
		b_free(&r->v[i]);
	b_free(&r->sid2);
}

/*
 * A record; "wild" is the chance (1 in wild) that a field gets an edge
 * value rather than a valid one.  Values are JSON texts.  A record of
 * today's shape (today) may have today's fields and names its sid mostly
 * channel_manager_sid; an April one has neither.
 */
void
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
					b_printf(b, "\"%s\"", pick_status());
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
				else if (one_in(10))
					b_puts(b, PICK(blank_strings));
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
				else if (one_in(10))
					b_puts(b, PICK(blank_strings));
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

/*
 * Emit a record as a JSON object, maybe shuffled, with structural mutations
 * (which may rename, repeat or add keys).
 */
void
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
