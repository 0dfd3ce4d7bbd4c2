/*
 * cr_json_in.c
 *		The API's JSON text to CrFields, in one pass of PostgreSQL's own JSON
 *		parser.  Top-level scalars go to cr_field_set; the object fields
 *		(request_variables, insights, enrichment) are built into a jsonb on
 *		the way, as jsonb_in would build them, except that a repeated key is
 *		an error rather than silently dropped.
 */
#include "postgres.h"

#include "utils/errcodes.h"

#include "comm_result.h"
#include "compat.h"

typedef struct CrJsonParse
{
	CrFields   *f;
	CrErrors   *errs;
	bool		vars_only;		/* the input is just one object field's object */
	bool		not_object;		/* the input is not an object: ignore the rest */
	int			depth;			/* containers open */
	CrField		cur;			/* field whose value comes next at depth 1 */
	CrField		obj_field;		/* the object field being built */
	Jsonb	   *object;			/* vars_only: the object, once built */
	int			vars_depth;		/* depth of the object being built, 0 outside */
	bool		vars_broken;	/* a push failed: only track depth from now */
	JsonbParseState *vstate;
} CrJsonParse;

#define ACTION_OK(s)	(!CR_DONE((s)->errs))

/*
 * Nothing more to do: the input is not an object, or the first problem is
 * all the caller wants.  On 15 the parser cannot be stopped, so every
 * action starts with this check rather than piling up further problems.
 */
#define STOPPED(s)		((s)->not_object || CR_DONE((s)->errs))

/* Inside an object field and still building it. */
#define BUILDING(s)		((s)->vars_depth && !(s)->vars_broken)

static CrJsonKind
token_kind(JsonTokenType t)
{
	switch (t)
	{
		case JSON_TOKEN_STRING:
			return CRJ_STRING;
		case JSON_TOKEN_NUMBER:
			return CRJ_NUMBER;
		case JSON_TOKEN_TRUE:
		case JSON_TOKEN_FALSE:
			return CRJ_BOOL;
		default:
			return CRJ_NULL;
	}
}

static void
not_object(CrJsonParse *s, CrJsonKind found)
{
	s->not_object = true;
	if (s->vars_only)
		cr_field_type_error(s->f, s->obj_field, found, NULL, 0, s->errs);
	else
		cr_error(s->errs, ERRCODE_INVALID_TEXT_REPRESENTATION, NULL,
				 pstrdup("invalid input syntax for type comm_result"),
				 psprintf("Expected a JSON object, found %s.", cr_json_kind_names[found]),
				 NULL);
}

/* jsonb cannot hold longer strings; same limit, same code as jsonb_in. */
static bool
string_fits(CrJsonParse *s, size_t len)
{
	if (len <= JENTRY_OFFLENMASK)
		return true;
	s->vars_broken = true;
	cr_error(s->errs, ERRCODE_PROGRAM_LIMIT_EXCEEDED, cr_fields[s->obj_field].name,
			 pstrdup("string too long to represent as jsonb string"),
			 psprintf("Due to an implementation restriction, jsonb strings cannot exceed %d bytes.",
					  JENTRY_OFFLENMASK),
			 NULL);
	return false;
}

static void
push_string(CrJsonParse *s, JsonbIteratorToken seq, char *str)
{
	JsonbValue	v;
	size_t		len = strlen(str);

	if (!string_fits(s, len))
		return;
	v.type = jbvString;
	v.val.string.len = (int) len;
	v.val.string.val = str;
	pushJsonbValue(&s->vstate, seq, &v);
}

static json_action_result
on_object_start(void *state)
{
	CrJsonParse *s = state;

	if (STOPPED(s))
		JSON_ACTION_RETURN(false);
	if (s->depth == 0)
	{
		if (s->vars_only)
		{
			s->vars_depth = 1;
			pushJsonbValue(&s->vstate, WJB_BEGIN_OBJECT, NULL);
		}
	}
	else if (s->vars_depth)
	{
		if (BUILDING(s))
			pushJsonbValue(&s->vstate, WJB_BEGIN_OBJECT, NULL);
	}
	else if (s->depth == 1 && s->cur != CRF_NONE &&
			 cr_is_object_kind(cr_fields[s->cur].kind))
	{
		s->vars_depth = 2;
		s->obj_field = s->cur;
		pushJsonbValue(&s->vstate, WJB_BEGIN_OBJECT, NULL);
	}
	else if (s->depth == 1 && s->cur != CRF_NONE)
		cr_field_type_error(s->f, s->cur, CRJ_OBJECT, NULL, 0, s->errs);
	s->depth++;
	JSON_ACTION_RETURN(ACTION_OK(s));
}

static json_action_result
on_object_end(void *state)
{
	CrJsonParse *s = state;

	if (STOPPED(s))
		JSON_ACTION_RETURN(false);
	if (s->vars_depth && s->vars_broken)
	{
		if (s->depth == s->vars_depth)
			s->vars_depth = 0;
	}
	else if (s->vars_depth)
	{
		int			npairs = s->vstate->contVal.val.object.nPairs;
		JsonbValue *obj = pushJsonbValue(&s->vstate, WJB_END_OBJECT, NULL);

		const char *name = cr_fields[s->obj_field].name;

		if (obj->val.object.nPairs != npairs)
			cr_error(s->errs, ERRCODE_INVALID_TEXT_REPRESENTATION, name,
					 psprintf("comm_result field \"%s\" has a duplicate key", name),
					 psprintf("An object inside %s has the same key more than once.", name),
					 pstrdup("jsonb would keep only the last value; remove the repeated keys."));
		if (s->depth == s->vars_depth)
		{
			Jsonb	   *jb = JsonbValueToJsonb(obj);

			if (s->vars_only)
				s->object = jb;
			else
				cr_field_set_object(s->f, s->obj_field, jb, s->errs);
			s->vars_depth = 0;
		}
	}
	s->depth--;
	JSON_ACTION_RETURN(ACTION_OK(s));
}

static json_action_result
on_array_start(void *state)
{
	CrJsonParse *s = state;

	if (STOPPED(s))
		JSON_ACTION_RETURN(false);
	if (s->depth == 0)
	{
		not_object(s, CRJ_ARRAY);
		JSON_ACTION_RETURN(false);
	}
	if (s->vars_depth)
	{
		if (BUILDING(s))
			pushJsonbValue(&s->vstate, WJB_BEGIN_ARRAY, NULL);
	}
	else if (s->depth == 1 && s->cur != CRF_NONE)
		cr_field_type_error(s->f, s->cur, CRJ_ARRAY, NULL, 0, s->errs);
	s->depth++;
	JSON_ACTION_RETURN(ACTION_OK(s));
}

static json_action_result
on_array_end(void *state)
{
	CrJsonParse *s = state;

	if (STOPPED(s))
		JSON_ACTION_RETURN(false);
	if (BUILDING(s))
		pushJsonbValue(&s->vstate, WJB_END_ARRAY, NULL);
	s->depth--;
	JSON_ACTION_RETURN(ACTION_OK(s));
}

static json_action_result
on_field_start(void *state, char *fname, bool isnull)
{
	CrJsonParse *s = state;

	if (STOPPED(s))
		JSON_ACTION_RETURN(false);
	if (s->vars_depth)
	{
		if (BUILDING(s))
			push_string(s, WJB_KEY, fname);
	}
	else if (s->depth == 1)
		s->cur = cr_field_lookup(fname, (int) strlen(fname), s->f, s->errs);
	JSON_ACTION_RETURN(ACTION_OK(s));
}

static void
push_scalar(CrJsonParse *s, char *token, JsonTokenType type)
{
	JsonbValue	v;
	JsonbIteratorToken seq = (s->vstate->contVal.type == jbvArray) ? WJB_ELEM : WJB_VALUE;
	Datum		num;

	switch (type)
	{
		case JSON_TOKEN_STRING:
			push_string(s, seq, token);
			return;
		case JSON_TOKEN_NUMBER:
			if (!cr_numeric_in(token, &num))
			{
				s->vars_broken = true;
				cr_error(s->errs, ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE, cr_fields[s->obj_field].name,
						 psprintf("comm_result field \"%s\" has a number out of range",
								  cr_fields[s->obj_field].name),
						 psprintf("Number %s does not fit in type numeric.",
								  cr_quote(token, (int) strlen(token))),
						 NULL);
				return;
			}
			v.type = jbvNumeric;
			v.val.numeric = DatumGetNumeric(num);
			break;
		case JSON_TOKEN_TRUE:
		case JSON_TOKEN_FALSE:
			v.type = jbvBool;
			v.val.boolean = (type == JSON_TOKEN_TRUE);
			break;
		default:
			v.type = jbvNull;
			break;
	}
	pushJsonbValue(&s->vstate, seq, &v);
}

static json_action_result
on_scalar(void *state, char *token, JsonTokenType type)
{
	CrJsonParse *s = state;

	if (STOPPED(s))
		JSON_ACTION_RETURN(false);
	if (s->depth == 0)
	{
		not_object(s, token_kind(type));
		JSON_ACTION_RETURN(false);
	}
	if (s->vars_depth)
	{
		if (BUILDING(s))
			push_scalar(s, token, type);
	}
	else if (s->depth == 1 && s->cur != CRF_NONE)
		cr_field_set(s->f, s->cur, token_kind(type), token,
					 token ? (int) strlen(token) : 0, s->errs);
	JSON_ACTION_RETURN(ACTION_OK(s));
}

/* Run the parser; false when the input is not a well-formed JSON object. */
static bool
run_parser(CrJsonParse *s, const char *json, size_t len)
{
	JsonLexContext lexbuf;
	JsonLexContext *lex = cr_make_json_lex(&lexbuf, json, len, true);
	JsonSemAction sem = {0};
	JsonParseErrorType rc;

	sem.semstate = s;
	sem.object_start = on_object_start;
	sem.object_end = on_object_end;
	sem.array_start = on_array_start;
	sem.array_end = on_array_end;
	sem.object_field_start = on_field_start;
	sem.scalar = on_scalar;

	rc = pg_parse_json(lex, &sem);
	if (rc != JSON_SUCCESS && !JSON_ACTION_FAILED(rc))
	{
		bool		unicode = (rc == JSON_UNICODE_CODE_POINT_ZERO ||
							   rc == JSON_UNICODE_HIGH_ESCAPE ||
							   JSON_UNICODE_UNTRANSLATABLE_ERROR(rc));

		s->errs->bad_json = true;

		cr_error(s->errs,
				 unicode ? ERRCODE_UNTRANSLATABLE_CHARACTER : ERRCODE_INVALID_TEXT_REPRESENTATION,
				 NULL,
				 pstrdup(unicode ? "unsupported Unicode escape sequence" :
						 "invalid input syntax for type comm_result"),
				 pstrdup(json_errdetail(rc, lex)), NULL);
	}
	cr_free_json_lex(lex);
	return rc == JSON_SUCCESS && !s->not_object;
}

/*
 * Parse a whole comm_result object into f.  Returns false when the input is
 * not a well-formed JSON object, or when the first problem is enough (errs
 * not collecting); the caller then does not build.
 */
bool
cr_parse_json(const char *json, size_t len, CrFields *f, CrErrors *errs)
{
	CrJsonParse s = {0};

	s.f = f;
	s.errs = errs;
	s.cur = CRF_NONE;
	return run_parser(&s, json, len) && !CR_DONE(errs);
}

/*
 * Parse a JSON object on its own into a jsonb, for one object field (the
 * binary format carries them as JSON text).  NULL, with the problems in
 * errs, when it is not a well-formed object.
 */
Jsonb *
cr_parse_json_object(const char *json, size_t len, CrField field,
					 CrErrors *errs)
{
	CrFields	f = {0};
	CrJsonParse s = {0};

	s.f = &f;
	s.errs = errs;
	s.cur = CRF_NONE;
	s.obj_field = field;
	s.vars_only = true;
	if (!run_parser(&s, json, len) || CR_FAILED(errs))
		return NULL;
	return s.object;
}
