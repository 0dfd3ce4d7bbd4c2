/*
 * cr_errors.c
 *		Collecting input problems instead of raising them at once, so that
 *		one parser serves the input function (first problem, as a soft error),
 *		the validity test (no error at all) and comm_result_errors (all).
 */
#include "postgres.h"

#include "mb/pg_wchar.h"

#include "comm_result.h"
#include "compat.h"

/* Longest stretch of an offending value shown in an error DETAIL. */
#define CR_QUOTE_MAX	64

/*
 * Record one problem about a field (its name as the input spelled it, or
 * NULL for the whole input).  The strings must be palloc'd (or constant);
 * they are kept, not copied.
 */
void
cr_error(CrErrors *errs, int sqlstate, const char *field,
		 char *message, char *detail, char *hint)
{
	CrError    *e;

	if (list_length(errs->errors) >= CR_MAX_ERRORS)
	{
		errs->dropped++;
		return;
	}
	e = palloc(sizeof(CrError));
	e->sqlstate = sqlstate;
	e->field = field;
	e->message = message;
	e->detail = detail;
	e->hint = hint;
	errs->errors = lappend(errs->errors, e);
}

/*
 * A value quoted for a DETAIL line, cut at a character boundary when long
 * so that a megabyte of input does not become a megabyte of log.
 */
char *
cr_quote(const char *s, int len)
{
	int			shown = len;

	if (len > CR_QUOTE_MAX)
		shown = pg_mbcliplen(s, len, CR_QUOTE_MAX);
	if (shown < len)
		return psprintf("\"%.*s\"... (%d bytes in all)", shown, s, len);
	return psprintf("\"%.*s\"", shown, s);
}

/* Report the first recorded problem, as a soft error where the caller can. */
void
cr_report(CrErrors *errs, Node *escontext)
{
	CrError    *e;

	if (!CR_FAILED(errs))
		return;
	e = linitial(errs->errors);
	errsave(escontext,
			(errcode(e->sqlstate),
			 errmsg_internal("%s", e->message),
			 e->detail ? errdetail_internal("%s", e->detail) : 0,
			 e->hint ? errhint("%s", e->hint) : 0));
}
