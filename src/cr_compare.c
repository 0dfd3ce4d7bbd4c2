/*
 * cr_compare.c
 *		Equality and hashing.  Values are canonical, so two values are equal
 *		exactly when their stored bytes are: same fields, same absent/null
 *		state, same instants, same target text, same variables as jsonb
 *		stores them.  The hash is over those bytes and, once released, never
 *		changes (hash indexes and hash partitions depend on it).
 */
#include "postgres.h"

#include "access/detoast.h"
#include "common/hashfn.h"
#include "fmgr.h"

#include "comm_result.h"

PG_FUNCTION_INFO_V1(comm_result_eq);
PG_FUNCTION_INFO_V1(comm_result_ne);
PG_FUNCTION_INFO_V1(comm_result_hash);
PG_FUNCTION_INFO_V1(comm_result_hash_extended);

static bool
values_equal(FunctionCallInfo fcinfo)
{
	struct varlena *a;
	struct varlena *b;
	Size		len;
	bool		eq;

	/*
	 * Values are canonical, so equal values have equal sizes: as texteq
	 * does, compare the raw sizes before detoasting anything.
	 */
	if (toast_raw_datum_size(PG_GETARG_DATUM(0)) !=
		toast_raw_datum_size(PG_GETARG_DATUM(1)))
		return false;
	a = PG_GETARG_COMM_RESULT(0);
	b = PG_GETARG_COMM_RESULT(1);
	len = VARSIZE_ANY_EXHDR(a);
	eq = len == VARSIZE_ANY_EXHDR(b) &&
		memcmp(VARDATA_ANY(a), VARDATA_ANY(b), len) == 0;
	PG_FREE_IF_COPY(a, 0);
	PG_FREE_IF_COPY(b, 1);
	return eq;
}

Datum
comm_result_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(values_equal(fcinfo));
}

Datum
comm_result_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(!values_equal(fcinfo));
}

Datum
comm_result_hash(PG_FUNCTION_ARGS)
{
	struct varlena *a = PG_GETARG_COMM_RESULT(0);
	Datum		h = hash_any((unsigned char *) VARDATA_ANY(a), VARSIZE_ANY_EXHDR(a));

	PG_FREE_IF_COPY(a, 0);
	return h;
}

Datum
comm_result_hash_extended(PG_FUNCTION_ARGS)
{
	struct varlena *a = PG_GETARG_COMM_RESULT(0);
	Datum		h = hash_any_extended((unsigned char *) VARDATA_ANY(a),
									  VARSIZE_ANY_EXHDR(a), PG_GETARG_INT64(1));

	PG_FREE_IF_COPY(a, 0);
	return h;
}
