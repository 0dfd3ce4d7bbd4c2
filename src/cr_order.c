/*
 * cr_order.c
 *		The btree order of comm_result.  Frozen once released: indexes
 *		depend on it.
 *
 * Values sort by batch_id, then reference_id, both in natural order, then
 * by their canonical stored bytes, so that the order is total and agrees
 * with = (equal exactly when the bytes are).
 *
 * Natural order: the strings are read as runs of ASCII digits and single
 * other bytes.  Two digit runs compare as numbers (leading zeros ignored:
 * more significant digits is larger, else digit by digit); other bytes
 * compare as unsigned bytes (so UTF-8 text compares by code point), and a
 * digit run against another byte compares by its first digit.  A string
 * that is a prefix of the other under this reading sorts first.  Strings
 * that are equal under it (they differ only in leading zeros) are ordered
 * by their bytes.  So 20250117.9 < 20250117.10 and ref2 < ref10.
 */
#include "postgres.h"

#include "fmgr.h"

#include "comm_result.h"

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int
cr_natural_cmp(const char *a, int alen, const char *b, int blen)
{
	int			i = 0,
				j = 0;

	while (i < alen && j < blen)
	{
		if (is_digit(a[i]) && is_digit(b[j]))
		{
			int			si,
						sj,
						ei,
						ej;

			/* skip leading zeros, then find the ends of the runs */
			while (i < alen && a[i] == '0')
				i++;
			while (j < blen && b[j] == '0')
				j++;
			for (si = i, ei = i; ei < alen && is_digit(a[ei]); ei++);
			for (sj = j, ej = j; ej < blen && is_digit(b[ej]); ej++);
			if (ei - si != ej - sj)
				return (ei - si < ej - sj) ? -1 : 1;
			for (; si < ei; si++, sj++)
				if (a[si] != b[sj])
					return (a[si] < b[sj]) ? -1 : 1;
			i = ei;
			j = ej;
		}
		else
		{
			unsigned char ca = (unsigned char) a[i];
			unsigned char cb = (unsigned char) b[j];

			if (ca != cb)
				return (ca < cb) ? -1 : 1;
			i++;
			j++;
		}
	}
	if (i < alen || j < blen)
		return (i < alen) ? 1 : -1;

	/* equal but for leading zeros: fall back to the bytes */
	return cr_bytes_cmp(a, alen, b, blen);
}

static int
values_cmp(FunctionCallInfo fcinfo)
{
	struct varlena *a = PG_GETARG_COMM_RESULT(0);
	struct varlena *b = PG_GETARG_COMM_RESULT(1);
	CrView		va,
				vb;
	int			c;

	cr_view(a, &va);
	cr_view(b, &vb);
	c = cr_natural_cmp(va.var[CRV_BATCH_ID].data, va.var[CRV_BATCH_ID].len,
					   vb.var[CRV_BATCH_ID].data, vb.var[CRV_BATCH_ID].len);
	if (c == 0)
		c = cr_natural_cmp(va.var[CRV_REFERENCE_ID].data, va.var[CRV_REFERENCE_ID].len,
						   vb.var[CRV_REFERENCE_ID].data, vb.var[CRV_REFERENCE_ID].len);
	if (c == 0)
		c = cr_bytes_cmp(VARDATA_ANY(a), VARSIZE_ANY_EXHDR(a),
						 VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	PG_FREE_IF_COPY(a, 0);
	PG_FREE_IF_COPY(b, 1);
	return c;
}

PG_FUNCTION_INFO_V1(comm_result_cmp);
PG_FUNCTION_INFO_V1(comm_result_lt);
PG_FUNCTION_INFO_V1(comm_result_le);
PG_FUNCTION_INFO_V1(comm_result_gt);
PG_FUNCTION_INFO_V1(comm_result_ge);

Datum
comm_result_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(values_cmp(fcinfo));
}

Datum
comm_result_lt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(values_cmp(fcinfo) < 0);
}

Datum
comm_result_le(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(values_cmp(fcinfo) <= 0);
}

Datum
comm_result_gt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(values_cmp(fcinfo) > 0);
}

Datum
comm_result_ge(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(values_cmp(fcinfo) >= 0);
}
