/*
 * gen_fields.c -- generators of the values of a comm_result record's
 * fields: RFC 3339 timestamps with their edge cases, targets (e-mail
 * addresses and phone numbers around the length limits), identifiers,
 * integers, and today's fields (channel and insights statuses, line
 * types, insights and enrichment, valid or wild).  The request statuses
 * come from the server's table (status_table.c).
 *
 * Checks nothing: the callers do.
 */
#include "fuzz.h"

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

void
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

void
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

void
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

void
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

/* The channel statuses the API documents, and values it may add. */
const char *channel_statuses[] = {
	"PENDING", "DUPLICATE", "INVALID", "UNEXPECTED_ERROR", "FILTERED_LINE_TYPE",
	"PROCESSED", "DROPPED", "DEFERRED", "BOUNCED", "DELIVERED", "OPENED", "CLICKED",
	"SPAM_REPORT", "UNSUBSCRIBED", "PRIOR_UNSUBSCRIBED", "PRIOR_SPAM_REPORT",
	"PRIOR_DROPPED", "PRIOR_BOUNCED", "SENT", "ACCEPTED", "QUEUED", "SENDING",
	"UNDELIVERED", "DELIVERY_UNKNOWN", "DELIVERY_FAILED", "IN-PROGRESS", "BUSY",
	"CANCELED", "COMPLETED", "DECLINED", "NO-ANSWER", "MACHINE", "HUMAN", "UNKNOWN",
	"FAILED", "SIP_NOT_FOUND", "SIP_TEMPORARILY_UNAVAILABLE", "SIP_LOOP_DETECTED",
	"SIP_DOES_NOT_EXIST_ANYWHERE", "READ", "delivered", "QUEUED ", "ENVIADO \xe2\x9c\x93",
};
const char *insights_statuses[] = {
	"PENDING", "IN_PROGRESS", "COMPLETED", "FAILED", "SKIPPED", "completed",
};
const char *line_types[] = {
	"mobile", "landline", "voip", "toll-free", "unknown", "MOBILE", "fixedVoip",
	"nonFixedVoip", "pager",
};

/*
 * Empty and blank strings (JSON texts), and one with spaces around it:
 * since 1.3 valid for every optional string (the sid, the channel and
 * insights statuses, line_type), kept as given.
 */
const char *blank_strings[8] = {
	"\"\"", "\" \"", "\"   \"", "\"\\t\"", "\"\\u00a0\"", "\"\\u200b\\ufeff\"", "\"\xe3\x80\x80\"",
	"\" x \"",
};

/* A wrong value for a string field (or a valid odd one). */
void
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
void
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
		if (one_in(20))
			b_puts(b, PICK(blank_strings));	/* kept as given since 1.3 */
		else if (one_in(2))
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
void
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
