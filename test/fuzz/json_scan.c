/*
 * json_scan.c -- the harness's own reading of one element of a response
 * body (JSON text), for the checks of comm_results_checked.
 *
 * A non-recursive scan (elements may nest 100,000 levels) that finds what
 * the checks need to know about an element, independently of the
 * extension: how deeply it nests; whether jsonb would read it differently
 * from the text (a key repeated in an object at any depth, which jsonb
 * keeps once; a key written with an escape, which may repeat another once
 * decoded; a number at the top level not written as a plain integer, which
 * jsonb respells); and whether its top level carries a batch_id, and is it
 * the URL's.
 *
 * The text is expected to be valid JSON (the server has said so); on
 * anything else the scan says "not safe" and "batch unknown".
 */
#include "fuzz.h"

typedef struct
{
	const char *p;
	size_t		len;
} Key;

static Key *keys;
static size_t nkeys,
			capkeys;

static int
key_cmp(const void *a, const void *b)
{
	const Key  *x = a,
			   *y = b;
	int			c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void
push_key(const char *p, size_t len)
{
	if (nkeys == capkeys)
	{
		capkeys = capkeys ? capkeys * 2 : 256;
		keys = realloc(keys, capkeys * sizeof(Key));
		if (!keys)
		{
			perror("realloc");
			exit(3);
		}
	}
	keys[nkeys].p = p;
	keys[nkeys].len = len;
	nkeys++;
}

/* Whether the keys from "from" on (one object's) repeat one. */
static int
keys_repeat(size_t from)
{
	qsort(keys + from, nkeys - from, sizeof(Key), key_cmp);
	for (size_t i = from + 1; i < nkeys; i++)
		if (key_cmp(&keys[i - 1], &keys[i]) == 0)
			return 1;
	return 0;
}

/* past the string whose opening quote is at i; *esc set when it has a backslash */
static size_t
skip_str(const char *s, size_t i, size_t len, int *esc)
{
	*esc = 0;
	for (i++; i < len && s[i] != '"'; i++)
		if (s[i] == '\\')
		{
			*esc = 1;
			i++;
		}
	return i < len ? i + 1 : len;
}

static int
plain_integer(const char *s, size_t len)
{
	size_t		i = (len && s[0] == '-') ? 1 : 0;

	if (i >= len || (s[i] == '0' && len - i > 1))
		return 0;
	for (; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* What the top level says about batch_id: the value's text (quotes included) */
static void
note_batch(ElemScan *sc, const char *v, size_t n, int esc, const char *batch)
{
	size_t		bl = strlen(batch);

	if (sc->batch != BATCH_NONE)
		sc->batch = BATCH_UNKNOWN;	/* twice */
	else if (esc || strpbrk(batch, "\"\\") || n != bl + 2 || v[0] != '"' || memcmp(v + 1, batch, bl) != 0)
		sc->batch = v[0] == '"' && !esc && n >= 2 ? BATCH_OTHER : BATCH_UNKNOWN;
	else
		sc->batch = BATCH_SAME;
}

/*
 * Scan an element's text.  batch is the URL's batch id, to tell whether a
 * top-level batch_id is the same.
 */
void
scan_element(const char *s, size_t len, const char *batch, ElemScan *sc)
{
	/* per open container: 1 for an object; where its keys start */
	static char *obj;
	static size_t *from;
	static size_t cap;
	int			depth = 0,
				want_key = 0,
				after_key = 0,
				batch_key = 0;
	size_t		i = 0;

	memset(sc, 0, sizeof *sc);
	sc->batch = BATCH_NONE;
	sc->object = len > 0 && s[0] == '{';
	nkeys = 0;
	while (i < len)
	{
		char		c = s[i];
		int			esc;
		size_t		end;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ':')
		{
			i++;
			continue;
		}
		if (c == '{' || c == '[')
		{
			if ((size_t) depth == cap)
			{
				cap = cap ? cap * 2 : 1024;
				obj = realloc(obj, cap);
				from = realloc(from, cap * sizeof(size_t));
				if (!obj || !from)
				{
					perror("realloc");
					exit(3);
				}
			}
			obj[depth] = c == '{';
			from[depth] = nkeys;
			depth++;
			if (depth > sc->depth)
				sc->depth = depth;
			want_key = c == '{';
			after_key = 0;
			i++;
			continue;
		}
		if (c == '}' || c == ']')
		{
			if (depth == 0)
				break;
			depth--;
			if (obj[depth])
			{
				sc->repeated |= keys_repeat(from[depth]);
				nkeys = from[depth];
			}
			want_key = 0;
			after_key = 0;
			i++;
			continue;
		}
		if (c == ',')
		{
			want_key = depth > 0 && obj[depth - 1];
			i++;
			continue;
		}
		if (c == '"')
		{
			end = skip_str(s, i, len, &esc);
			sc->escapes |= esc;
		}
		else
		{
			esc = 0;
			/* up to any structural byte, so that depth counts every bracket outside strings */
			for (end = i; end < len && !strchr(",:[]{}\" \t\n\r", s[end]); end++)
				;
		}
		if (want_key && c == '"')
		{
			sc->escaped_key |= esc;
			push_key(s + i + 1, end - i - 2);
			batch_key = depth == 1 && end - i == 10 && memcmp(s + i, "\"batch_id\"", 10) == 0;
			want_key = 0;
			after_key = 1;
		}
		else
		{
			if (after_key && depth == 1)
			{
				if ((c == '-' || (c >= '0' && c <= '9')) && !plain_integer(s + i, end - i))
					sc->respelt = 1;
				if (batch_key)
					note_batch(sc, s + i, end - i, esc, batch);
			}
			after_key = 0;
			batch_key = 0;
		}
		i = end > i ? end : i + 1;
	}
	sc->safe = sc->depth <= MAX_ELEMENT_DEPTH && !sc->repeated && !sc->escaped_key && !sc->respelt;
}
