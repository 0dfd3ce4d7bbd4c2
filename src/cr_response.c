/*
 * cr_response.c
 *		Splitting an API response body, a JSON array of records, into its
 *		elements, for comm_results(response text, batch_id) and
 *		comm_results_checked(response text, batch_id).
 *
 * The split is a non-recursive scan that only tracks strings and brackets:
 * it finds where each top-level element starts and ends and how deeply it
 * nests, and checks what lies between the elements.  Each element is then
 * read by PostgreSQL's JSON parser, which checks its syntax.  So the body
 * is read by the parser once, and an element too deep for the parser's
 * recursion is known before the parser meets it: the checked load reports
 * it as a bad element instead of failing the whole statement.
 *
 * When the scan finds the body is not a complete array (cut off, an HTML
 * page, an object), the body is parsed once more, as the json type would
 * parse it, so that the error says what PostgreSQL's parser says, with the
 * byte position.
 */
#include "postgres.h"

#include "utils/errcodes.h"

#include "comm_result.h"
#include "compat.h"

/* Byte classes of the scan; everything else is skipped. */
enum
{
	B_OTHER,
	B_QUOTE,
	B_OPEN,
	B_CLOSE,
	B_COMMA
};

static const uint8 byte_class[256] = {
	['"'] = B_QUOTE,
	['{'] = B_OPEN,['['] = B_OPEN,
	['}'] = B_CLOSE,[']'] = B_CLOSE,
	[','] = B_COMMA,
};

/* JSON's white space. */
static inline bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t
skip_ws(const char *s, size_t i, size_t len)
{
	while (i < len && is_ws(s[i]))
		i++;
	return i;
}

/*
 * Past the closing quote of a string whose opening quote is at i - 1, or
 * len when it is not closed.  A quote is escaped when an odd number of
 * backslashes precede it.
 */
static size_t
skip_string(const char *s, size_t i, size_t len)
{
	for (;;)
	{
		const char *q = memchr(s + i, '"', len - i);
		size_t		at;
		size_t		slashes = 0;

		if (q == NULL)
			return len;
		at = q - s;
		while (at - slashes > i && s[at - slashes - 1] == '\\')
			slashes++;
		if (slashes % 2 == 0)
			return at + 1;
		i = at + 1;
	}
}

static void
add_element(CrSplit *split, size_t start, size_t end, int depth)
{
	if (split->n == split->cap)
	{
		split->cap = split->cap ? split->cap * 2 : 64;
		split->elems = split->elems ?
			repalloc_huge(split->elems, sizeof(CrElement) * split->cap) :
			palloc(sizeof(CrElement) * split->cap);
	}
	split->elems[split->n].start = (int) start;
	split->elems[split->n].len = (int) (end - start);
	split->elems[split->n].depth = depth;
	split->n++;
}

/*
 * Scan from i over brackets and strings, keeping the deepest nesting met.
 * In an element (within_element) the scan stops at a comma or a closing
 * bracket outside any nesting, where the element ends; over a whole body it
 * runs to the end, stray closing brackets and all.  Returns where it
 * stopped, len when it ran out of text.
 */
static size_t
scan_nesting(const char *s, size_t i, size_t len, bool within_element, int *deepest)
{
	int			depth = 0;

	*deepest = 0;
	while (i < len)
	{
		uint8		c = byte_class[(uint8) s[i]];

		if (c == B_OTHER)
			i++;
		else if (c == B_QUOTE)
			i = skip_string(s, i + 1, len);
		else if (c == B_OPEN)
		{
			if (++depth > *deepest)
				*deepest = depth;
			i++;
		}
		else if (depth == 0 && within_element)
			break;				/* a comma, or the bracket that ends the array */
		else
		{
			if (c == B_CLOSE && depth > 0)
				depth--;
			i++;
		}
	}
	return i;
}

/*
 * Split a body into its elements.  False, with the byte where the scan
 * stopped, when the body is not a complete JSON array; the elements are not
 * yet checked as JSON (cr_parse_json does that).
 */
bool
cr_split_array(const char *s, size_t len, CrSplit *split)
{
	size_t		i = skip_ws(s, 0, len);

	memset(split, 0, sizeof(CrSplit));
	split->bad_at = -1;
	if (i >= len || s[i] != '[')
		goto bad;
	i = skip_ws(s, i + 1, len);
	if (i < len && s[i] == ']')
		i++;
	else
	{
		for (;;)
		{
			size_t		start = i;
			size_t		end;
			int			deepest;

			i = scan_nesting(s, i, len, true, &deepest);
			if (i >= len)
				goto bad;		/* cut off */
			end = i;
			while (end > start && is_ws(s[end - 1]))
				end--;
			if (end == start)
				goto bad;		/* a missing element: "[,", "[1,]" */
			add_element(split, start, end, deepest);
			if (s[i] != ',')
				break;
			i = skip_ws(s, i + 1, len);
		}
		if (s[i] != ']')
			goto bad;			/* "}" where the array should end */
		i++;
	}
	i = skip_ws(s, i, len);
	if (i == len)
		return true;

bad:
	split->bad_at = (int) Min(i, len);
	return false;
}

/* Line (from 1) of a byte offset, for error messages. */
static int
line_of(const char *s, size_t at)
{
	int			line = 1;

	for (size_t i = 0; i < at; i++)
		if (s[i] == '\n')
			line++;
	return line;
}

/*
 * Check a piece of JSON text as the json type would (syntax only, escapes
 * not decoded).  False, with the parser's message and the byte offset where
 * it stopped, when it is not valid JSON.
 */
bool
cr_json_syntax_ok(const char *json, size_t len, char **detail, size_t *at)
{
	JsonLexContext lexbuf;
	JsonLexContext *lex = cr_make_json_lex(&lexbuf, json, len, false);
	JsonSemAction sem = {0};
	JsonParseErrorType rc = pg_parse_json(lex, &sem);

	if (rc != JSON_SUCCESS)
	{
		*detail = pstrdup(json_errdetail(rc, lex));
		/* where the offending token starts; a text cut short ends at its end */
		*at = (rc == JSON_EXPECTED_MORE || lex->token_start == NULL) ? len :
			(size_t) (lex->token_start - lex->input);
	}
	cr_free_json_lex(lex);
	return rc == JSON_SUCCESS;
}

/* What a valid JSON value holds, from its first byte. */
const char *
cr_json_kind_of(char first)
{
	switch (first)
	{
		case '[':
			return "an array";
		case '{':
			return "an object";
		case '"':
			return "a string";
		case 't':
		case 'f':
			return "a boolean";
		case 'n':
			return "null";
		default:
			return "a number";
	}
}

/*
 * Raise the error for a body that is not a complete JSON array.
 * comm_results keeps the errors of release 1.2; comm_results_checked says
 * where the body stops being an array.
 */
void
cr_bad_response(const char *s, size_t len, const CrSplit *split, bool checked)
{
	char	   *detail = NULL;
	size_t		at = split->bad_at;
	bool		json_ok;
	int			deepest;

	/*
	 * The parser that words the error recurses once per level: a body
	 * nested deeper than the elements the checked load parses (cut off in a
	 * deep element, or an object around a deep array) is described from a
	 * scan alone, so that it cannot exhaust the stack.
	 */
	scan_nesting(s, 0, len, false, &deepest);
	if (deepest > CR_MAX_ELEMENT_DEPTH)
	{
		json_ok = false;
		detail = psprintf("The response nests deeper than %d levels and is not a JSON array as it stands.",
						  CR_MAX_ELEMENT_DEPTH);
	}
	else
		json_ok = cr_json_syntax_ok(s, len, &detail, &at);

	if (!checked)
	{
		if (json_ok)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("comm_results argument must be a JSON array"),
					 errdetail("Found %s.", s[skip_ws(s, 0, len)] == '{' ? "an object" : "a scalar"),
					 errhint("Pass the array of results from the API response.")));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type comm_result"),
				 errdetail("%s", detail)));
	}
	if (skip_ws(s, 0, len) == len)
		detail = "The response is empty.";
	else if (json_ok)
	{
		/* valid JSON that the split refused: not an array (it takes every one) */
		if (s[skip_ws(s, 0, len)] == '[')
			elog(ERROR, "could not split a JSON array of %zu bytes", len);
		detail = psprintf("Found %s.", cr_json_kind_of(s[skip_ws(s, 0, len)]));
	}
	else if (split->bad_at == (int) len)
	{
		/* the scan ran out of text: the usual cut-off download */
		detail = psprintf("The response ends before its array is closed, after %d complete %s.",
						  split->n, split->n == 1 ? "element" : "elements");
		at = len;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("response is not a complete JSON array"),
			 errdetail("%s The problem is at byte %zu of %zu (line %d).",
					   detail, at, len, line_of(s, at)),
			 errhint("A response that was cut off, or a page sent instead of the results, loads nothing: fetch it again.")));
}

/*
 * Raise the error for an element that is not valid JSON: then the body is
 * not valid JSON either.  at is the byte in the element.
 */
void
cr_bad_element_json(const char *s, size_t len, const CrElement *e, int index,
					const char *detail, size_t at, bool checked)
{
	size_t		pos = e->start + at;

	if (!checked)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type comm_result"),
				 errdetail("%s", detail)));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("response is not a complete JSON array"),
			 errdetail("Element %d (counting from 0) is not valid JSON: %s The problem is at byte %zu of %zu (line %d).",
					   index, detail, pos, len, line_of(s, pos)),
			 errhint("A response that was cut off, or a page sent instead of the results, loads nothing: fetch it again.")));
}
