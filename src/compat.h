/*
 * compat.h
 *		Every difference between the supported PostgreSQL versions (15 to 18)
 *		lives here, so that each function is written once, in the newest
 *		style.
 */
#ifndef COMM_RESULT_COMPAT_H
#define COMM_RESULT_COMPAT_H

#include "postgres.h"

#include "common/jsonapi.h"
#include "lib/stringinfo.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"

#if PG_VERSION_NUM >= 160000
#include "nodes/miscnodes.h"
#endif

/* A function that never returns: pg_noreturn since 18, an attribute before. */
#if defined(pg_noreturn)
#define cr_noreturn pg_noreturn
#elif defined(__GNUC__)
#define cr_noreturn __attribute__((noreturn))
#else
#define cr_noreturn
#endif

/*
 * Soft errors (escontext) arrived in 16.  On 15 an input function has no
 * caller that could catch a soft error, so reporting one simply raises it.
 */
#if PG_VERSION_NUM < 160000
#define errsave(context, ...) \
	do { \
		(void) (context); \
		ereport(ERROR, __VA_ARGS__); \
	} while (0)
#endif

/*
 * JSON semantic actions return an error code since 16; on 15 they return
 * nothing and cannot stop the parse.  JSON_ACTION_RETURN(ok) ends an action.
 */
#if PG_VERSION_NUM >= 160000
typedef JsonParseErrorType json_action_result;
#define JSON_ACTION_RETURN(ok) return ((ok) ? JSON_SUCCESS : JSON_SEM_ACTION_FAILED)
#define JSON_ACTION_FAILED(rc) ((rc) == JSON_SEM_ACTION_FAILED)
#define JSON_UNICODE_UNTRANSLATABLE_ERROR(rc) ((rc) == JSON_UNICODE_UNTRANSLATABLE)
#else
typedef void json_action_result;
#define JSON_ACTION_RETURN(ok) return
#define JSON_ACTION_FAILED(rc) false
#define JSON_UNICODE_UNTRANSLATABLE_ERROR(rc) false
#endif

/*
 * Since 17 the lexer context can live on the caller's stack.  Without
 * need_escapes the lexer checks syntax only, as the json type does.
 */
static inline JsonLexContext *
cr_make_json_lex(JsonLexContext *lex, const char *json, size_t len,
				 bool need_escapes)
{
#if PG_VERSION_NUM >= 170000
	return makeJsonLexContextCstringLen(lex, json, len, GetDatabaseEncoding(),
										need_escapes);
#else
	(void) lex;
	return makeJsonLexContextCstringLen(unconstify(char *, json), (int) len,
										GetDatabaseEncoding(), need_escapes);
#endif
}

static inline void
cr_free_json_lex(JsonLexContext *lex)
{
#if PG_VERSION_NUM >= 170000
	freeJsonLexContext(lex);
#else
	(void) lex;
#endif
}

/* Escape a string that is not NUL-terminated as a JSON string literal. */
static inline void
cr_escape_json(StringInfo buf, const char *str, int len)
{
#if PG_VERSION_NUM >= 180000
	escape_json_with_len(buf, str, len);
#else
	char	   *copy = pnstrdup(str, len);

	escape_json(buf, copy);
	pfree(copy);
#endif
}

#if PG_VERSION_NUM < 160000
/*
 * Whether PostgreSQL 15's numeric_in takes this JSON number: it cannot report
 * softly, so apply its limits first, exactly, so that a number is valid in
 * request_variables exactly when jsonb takes it (sql_tests/input_errors.sql
 * compares the two at each limit).  The limits: an exponent under INT32_MAX / 2
 * either way, a display scale (fraction digits minus the exponent) that fits
 * 14 bits, and at most 131072 digits before the point (a 16-bit weight in
 * base-10000 digits).  16 and later need none of this.
 */
#define CR_NUMERIC_DSCALE_MAX	0x3FFF
#define CR_NUMERIC_INT_DIGITS_MAX	131072

static inline bool
cr_numeric_fits(const char *s)
{
	long		int_digits = 0,
				frac_digits = 0,
				frac_zeros = 0,
				exponent = 0;
	bool		nonzero = false;
	const char *p = s;

	if (*p == '-')
		p++;
	for (; *p >= '0' && *p <= '9'; p++)
	{
		nonzero |= (*p != '0');
		if (nonzero)
			int_digits++;
	}
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
		{
			if (!nonzero && *p != '0')
			{
				nonzero = true;
				frac_zeros = frac_digits;
			}
			frac_digits++;
		}
	if (*p == 'e' || *p == 'E')
	{
		char	   *end;

		errno = 0;
		exponent = strtol(p + 1, &end, 10);
		if (errno != 0 || exponent >= PG_INT32_MAX / 2 ||
			exponent <= -(PG_INT32_MAX / 2))
			return false;
	}
	if (frac_digits - exponent > CR_NUMERIC_DSCALE_MAX)
		return false;
	/* Where the first significant digit lands, counted from the point. */
	if (nonzero &&
		(int_digits > 0 ? int_digits : -frac_zeros) + exponent > CR_NUMERIC_INT_DIGITS_MAX)
		return false;
	return true;
}
#endif

/*
 * numeric_in for a JSON number inside request_variables.  A number can be
 * valid JSON yet overflow numeric (1e1000000): false then, and the caller
 * lists it with the other problems instead of raising.
 */
static inline bool
cr_numeric_in(char *str, Datum *result)
{
#if PG_VERSION_NUM >= 160000
	ErrorSaveContext escontext = {T_ErrorSaveContext};

	return DirectInputFunctionCallSafe(numeric_in, str, InvalidOid, -1,
									   (Node *) &escontext, result);
#else
	if (!cr_numeric_fits(str))
		return false;
	*result = DirectFunctionCall3(numeric_in, CStringGetDatum(str),
								  ObjectIdGetDatum(InvalidOid),
								  Int32GetDatum(-1));
	return true;
#endif
}

#endif							/* COMM_RESULT_COMPAT_H */
