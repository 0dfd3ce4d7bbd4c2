/*
 * check_value.c -- the checks of an accepted comm_result value, whatever
 * made it (text, binary, jsonb, or a function's result).
 *
 * Generates nothing.  Checks that the value round-trips through text,
 * binary, jsonb and json, that text and binary agree (equality, cmp,
 * hash), that the validators accept its text, that send wrote exactly the
 * binary form spec-1.2.md gives its canonical text (version, flags,
 * flags2, one length per field), that the canonical text lists its fields
 * in order and accepted insights hold only strings and numbers; and the
 * rules of today's shape for record inputs whose content the generator
 * knows (check_record_rules).
 */
#include "fuzz.h"

/*
 * The binary form, read by the spec alone (spec-1.2.md): for every accepted
 * value, send must write version 1 exactly when the canonical text has only
 * April fields under April names, version 2 otherwise, with flags and
 * flags2 that say what the text has, and a length (or -1) per field.
 */

/* The end of the JSON value that starts at p (compact text), or NULL. */
static const char *
skip_value(const char *p, const char *end)
{
	int			depth = 0;

	while (p < end)
	{
		char		c = *p;

		if (c == '"')
		{
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\')
					p++;
			if (p >= end)
				return NULL;
			p++;
		}
		else if (c == '{' || c == '[')
		{
			depth++;
			p++;
			continue;
		}
		else if (c == '}' || c == ']')
		{
			if (depth == 0)
				return NULL;
			depth--;
			p++;
		}
		else if (c == ',' || c == ':')
		{
			if (depth == 0)
				return NULL;
			p++;
			continue;
		}
		else
			while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ':')
				p++;
		if (depth == 0)
			return p;
	}
	return NULL;
}

/* Split a compact JSON object into (up to max of) its members; -1 when it is not one. */
int
parse_top(const char *s, size_t n, Member *m, int max)
{
	const char *p = s,
			   *end = s + n;
	int			k = 0;

	if (p >= end || *p++ != '{')
		return -1;
	if (p < end && *p == '}')
		return p + 1 == end ? 0 : -1;
	for (;;)
	{
		const char *q;

		if (k >= max)
			return k;			/* the first max members */
		if (p >= end || *p != '"')
			return -1;
		q = skip_value(p, end);
		if (!q)
			return -1;
		snprintf(m[k].key, sizeof m[k].key, "%.*s", (int) (q - p - 2), p + 1);
		p = q;
		if (p >= end || *p++ != ':')
			return -1;
		q = skip_value(p, end);
		if (!q)
			return -1;
		m[k].val = p;
		m[k].vlen = (size_t) (q - p);
		m[k].isnull = (q - p == 4 && memcmp(p, "null", 4) == 0);
		k++;
		p = q;
		if (p < end && *p == ',')
		{
			p++;
			continue;
		}
		return (p + 1 == end && *p == '}') ? k : -1;
	}
}

/* The key index of a canonical text's member name (the sid by either name). */
static int
key_index(const char *name)
{
	if (strcmp(name, "channel_manager_sid") == 0)
		return K_SID;
	for (int k = 0; k < K_COUNT; k++)
		if (strcmp(name, field_keys[k]) == 0)
			return k;
	return -1;
}

uint32_t
get_be(const unsigned char *p, int bytes)
{
	uint32_t	v = 0;

	for (int i = 0; i < bytes; i++)
		v = (v << 8) | p[i];
	return v;
}

/* the variable-size fields in wire order: version 1's five, then version 2's */
const int wire_keys[10] = {
	K_BATCH, K_REF, K_TARGET, K_SID, K_VARS, K_CHSTATUS, K_INSTATUS, K_INSIGHTS, K_LINE, K_ENRICH
};

/* flags bits of the April fields (0 for the required ones), present and null */
static const uint16_t flag_bit[K_APRIL_COUNT][2] = {
	[K_STATUS] = {0x0001, 0}, [K_SID] = {0x0020, 0x0040}, [K_CREATED] = {0x0004, 0},
	[K_SENT] = {0x0008, 0x0010}, [K_SESSION] = {0x0080, 0x0100}, [K_CONV] = {0x0200, 0x0400},
};

long		n_wire[3];			/* accepted values checked, by binary version */

static void
check_wire(const char *out, const unsigned char *wire, int wirelen, int *bad)
{
	Member		m[K_COUNT + 2];
	int			n = parse_top(out, strlen(out), m, K_COUNT + 2);
	int			at[K_COUNT];
	int			today = 0,
				last = -1,
				version,
				off;
	uint16_t	flags = 0,
				flags2 = 0;
	char		d[512];

#define WIRE_FAIL(...) do { \
		snprintf(d, sizeof d, __VA_ARGS__); \
		invariant(0, d, bad); \
		return; \
	} while (0)

	if (strcmp(cur_encoding, "UTF8") != 0)
		return;					/* the scan below assumes ASCII-safe text */
	if (n < 0)
		WIRE_FAIL("canonical text is not a compact JSON object: %.200s", out);
	for (int k = 0; k < K_COUNT; k++)
		at[k] = -1;
	for (int i = 0; i < n; i++)
	{
		int			k = key_index(m[i].key);

		if (k < 0 || k <= last)
			WIRE_FAIL("canonical text has member \"%.31s\" unknown or out of order: %.200s", m[i].key, out);
		last = k;
		at[k] = i;
		if (k >= K_APRIL_COUNT || strcmp(m[i].key, "channel_manager_sid") == 0)
			today = 1;
		if (k < K_APRIL_COUNT)
			flags |= flag_bit[k][m[i].isnull];
		else
			flags2 |= (uint16_t) (FLAG2_BIT(k) << m[i].isnull);
		if (k == K_SID && strcmp(m[i].key, "channel_manager_sid") == 0)
			flags2 |= 0x0001;
		if (k == K_INSIGHTS && !m[i].isnull)
		{
			/* only strings and numbers: every member value starts so */
			Member		im[64];
			int			ni = parse_top(m[i].val, m[i].vlen, im, 64);

			for (int j = 0; j < ni; j++)
				if (im[j].val[0] != '"' && im[j].val[0] != '-' &&
					(im[j].val[0] < '0' || im[j].val[0] > '9'))
					WIRE_FAIL("accepted insights hold a value that is neither a string nor a number: %.200s", out);
			if (ni < 0)
				WIRE_FAIL("accepted insights are not a flat object: %.200s", out);
		}
	}
	for (int k = K_BATCH; k <= K_VARS; k++)
		if (at[k] < 0 || m[at[k]].isnull)
			WIRE_FAIL("canonical text lacks required member %s: %.200s", field_keys[k], out);
	if (at[K_ATTEMPT] < 0)
		WIRE_FAIL("canonical text lacks attempt_count: %.200s", out);

	version = today ? 2 : 1;
	n_wire[version]++;
	if (wirelen < 1 || wire[0] != version)
		WIRE_FAIL("send wrote binary version %d, expected %d (%s): %.200s", wirelen ? wire[0] : -1,
				  version, today ? "today's fields or names" : "April fields only", out);
	if (wirelen < 40 + (version == 2 ? 2 : 0))
		WIRE_FAIL("send wrote %d bytes, fewer than the fixed fields", wirelen);
	if (get_be(wire + 1, 2) != flags)
		WIRE_FAIL("send wrote flags 0x%04x, the text says 0x%04x: %.200s",
				  (unsigned) get_be(wire + 1, 2), (unsigned) flags, out);
	if ((int) get_be(wire + 4, 4) != atoi(m[at[K_ATTEMPT]].val))
		WIRE_FAIL("send wrote attempt_count %d, the text says %.20s", (int) get_be(wire + 4, 4), m[at[K_ATTEMPT]].val);
	if (!(flags & 0x0001) && wire[3] != 0)
		WIRE_FAIL("send wrote status code %d for a value without request_status", wire[3]);
	if (flags & 0x0001)
	{
		/* the status byte is the status's code, as the server's table has it */
		const Member *st = &m[at[K_STATUS]];
		int			pos = st->vlen >= 2 ? status_pos(st->val + 1, st->vlen - 2) : -1;

		if (pos < 0 || wire[3] != statuses[pos].code)
			WIRE_FAIL("send wrote status code %d for request_status %.40s, whose code is %d",
					  wire[3], st->val, pos < 0 ? -1 : statuses[pos].code);
	}
	off = 40;
	if (version == 2)
	{
		if (get_be(wire + 40, 2) != flags2)
			WIRE_FAIL("send wrote flags2 0x%04x, the text says 0x%04x: %.200s",
					  (unsigned) get_be(wire + 40, 2), (unsigned) flags2, out);
		off = 42;
	}
	for (int w = 0; w < (version == 2 ? 10 : 5); w++)
	{
		int			k = wire_keys[w];
		int			has = at[k] >= 0 && !m[at[k]].isnull;
		int32_t		len;

		if (off + 4 > wirelen)
			WIRE_FAIL("send's data ends before the length of %s", field_keys[k]);
		len = (int32_t) get_be(wire + off, 4);
		off += 4;
		if (has ? (len < 0 || len > wirelen - off) : len != -1)
			WIRE_FAIL("send wrote length %d for %s, which is %s: %.200s", len, field_keys[k],
					  has ? "present" : "absent or null", out);
		if (has)
			off += len;
	}
	if (off != wirelen)
		WIRE_FAIL("send wrote %d bytes after the last field", wirelen - off);
#undef WIRE_FAIL
}

/*
 * Rules for record inputs whose content the generator knows: both names of
 * the sid, or insights the SDKs refuse, are refused (both names with
 * 22P02 when nothing else is wrong); a missing batch_id's error says how to
 * supply it.  code is "" when the input was accepted.
 */
void
check_record_rules(const GenInfo *gi, const char *code, int *bad)
{
	char		d[700];

	if (!code[0])
	{
		invariant(!(gi->exact && gi->both),
				  "a record with both call_manager_sid and channel_manager_sid was accepted", bad);
		invariant(!(gi->exact && gi->nested),
				  "a record whose insights hold a container, a boolean or a null was accepted", bad);
		return;
	}
	if (gi->exact && gi->clean && gi->both && strcmp(cur_encoding, "UTF8") == 0 &&
		strcmp(code, "22P02") != 0)
	{
		snprintf(d, sizeof d, "both names of the sid raised %s, not 22P02: %s", code, last_msg);
		invariant(0, d, bad);
	}
	if (strcmp(last_msg, "comm_result field \"batch_id\" is missing") == 0)
		invariant(strstr(last_hint, "comm_results(response, batch_id)") != NULL &&
				  strstr(last_hint, "comm_result_from_jsonb(record, batch_id)") != NULL,
				  "the error for a missing batch_id has no HINT naming comm_results(response, batch_id)", bad);
	if (strstr(last_msg, "given under both of its names"))
	{
		snprintf(d, sizeof d, "the error for both names of the sid does not name the field, or is not 22P02: %s %s",
				 code, last_msg);
		invariant(strcmp(code, "22P02") == 0 && strstr(last_msg, "\"call_manager_sid\"") != NULL, d, bad);
	}
}

/*
 * An accepted value, with its canonical text "out" and its binary form
 * "wire": check that both round trip, agree, and that the validators agree.
 * "orig" (may be NULL) is the text input that was accepted.
 */
void
check_accepted(const char *out, int outlen, const char *wire, int wirelen,
			   const char *orig, int *bad)
{
	static const char *sql =
		"SELECT $1::comm_result::text = $1, $2::text = $1, $1::comm_result = $2, "
		"comm_result_send($2) = $3, comm_result_is_valid($1), "
		"($2::jsonb)::comm_result = $2, comm_result_cmp($1::comm_result, $2), "
		"comm_result_hash($1::comm_result) = comm_result_hash($2), "
		"(SELECT count(*) FROM comm_result_errors($1)), "
		"coalesce(comm_result_is_valid($4), true), "
		"coalesce((SELECT count(*) FROM comm_result_errors($4)), 0), "
		"$1::json::text = $1, "
		/* an input's strings and objects are kept as given, "" and blank ones too */
		"CASE WHEN $4 IS NULL THEN true ELSE ("
		" SELECT call_manager_sid(x) IS NOT DISTINCT FROM coalesce(j ->> 'call_manager_sid', j ->> 'channel_manager_sid')"
		" AND channel_manager_status(x) IS NOT DISTINCT FROM j ->> 'channel_manager_status'"
		" AND insights_status(x) IS NOT DISTINCT FROM j ->> 'insights_status'"
		" AND line_type(x) IS NOT DISTINCT FROM j ->> 'line_type'"
		" AND insights(x) IS NOT DISTINCT FROM nullif(j -> 'insights', 'null')"
		" AND enrichment(x) IS NOT DISTINCT FROM nullif(j -> 'enrichment', 'null')"
		" AND request_variables(x) = j -> 'request_variables'"
		" FROM (SELECT $1::comm_result x, $4::jsonb j) s) END";
	static const char *expect[] = {"t", "t", "t", "t", "t", "t", "0", "t", "0", "t", "0", "t", "t"};
	static const char *what[] = {
		"text round trip: in(out(v))::text differs from out(v)",
		"binary round trip: recv(send(v))::text differs from out(v)",
		"in(out(v)) = recv(send(v)) is false",
		"send(recv(send(v))) differs from send(v)",
		"comm_result_is_valid(out(v)) is false",
		"jsonb round trip: (v::jsonb)::comm_result <> v",
		"comm_result_cmp(in(out(v)), recv(send(v))) is not 0",
		"hash of in(out(v)) differs from hash of recv(send(v))",
		"comm_result_errors(out(v)) returns rows",
		"comm_result_is_valid(input) is false for an accepted input",
		"comm_result_errors(input) returns rows for an accepted input",
		"v::json::text differs from out(v)",
		"a string or object of the input is not kept as given (accessor <> the input's jsonb member)",
	};
	Oid			types[4] = {TEXTOID, cr_oid, BYTEAOID, TEXTOID};
	const char *vals[4] = {out, wire, wire, orig};
	int			lens[4] = {outlen, wirelen, wirelen, 0};
	int			fmts[4] = {0, 1, 1, 0};
	char		code[6];
	PGresult   *r;

	(void) outlen;
	check_wire(out, (const unsigned char *) wire, wirelen, bad);
	r = run_query(sql, 4, types, vals, lens, fmts, 0, code, bad);
	if (!r && strcmp(code, "22P05") == 0 && strcmp(cur_encoding, "UTF8") != 0)
		return;					/* the client encoding cannot hold a character */
	if (!r)
	{
		char		d[256];

		snprintf(d, sizeof d, "re-reading an accepted value raised %s", code);
		invariant(0, d, bad);
		return;
	}
	for (int i = 0; i < 13; i++)
		if (strcmp(PQgetvalue(r, 0, i), expect[i]) != 0)
		{
			char		d[512];

			snprintf(d, sizeof d, "%s (got %s); canonical text: %.200s", what[i],
					 PQgetvalue(r, 0, i), out);
			invariant(0, d, bad);
		}
	PQclear(r);
}

/*
 * Read a comm_result from a query result column pair (text, send bytes in
 * binary result format) and check it.
 */
void
check_result_pair(PGresult *r, int row, const char *orig, int *bad)
{
	if (PQgetisnull(r, row, 0))
		return;
	check_accepted(PQgetvalue(r, row, 0), PQgetlength(r, row, 0),
				   PQgetvalue(r, row, 1), PQgetlength(r, row, 1), orig, bad);
}

/* Check a value given by its canonical text only (output of a function). */
void
check_text_value(const char *out, int *bad)
{
	static const char *sql =
		"SELECT x::text, comm_result_send(x) FROM (SELECT $1::comm_result AS x) s";
	Oid			types[1] = {TEXTOID};
	const char *vals[1] = {out};
	char		code[6];
	PGresult   *r = run_query(sql, 1, types, vals, NULL, NULL, 1, code, bad);

	if (!r)
	{
		char		d[256];

		snprintf(d, sizeof d, "a function's comm_result output is rejected as input (%s)", code);
		invariant(0, d, bad);
		return;
	}
	{
		Buf			t = {0};

		b_put(&t, PQgetvalue(r, 0, 0), PQgetlength(r, 0, 0));
		invariant(strcmp(t.p, out) == 0, "a function's comm_result output is not canonical", bad);
		check_result_pair(r, 0, NULL, bad);
		b_free(&t);
	}
	PQclear(r);
}
