/*
 * cr_timestamp.c
 *		RFC 3339 timestamps, read and written without the session's TimeZone
 *		or DateStyle, so that input and output can stay IMMUTABLE.
 *
 * Input: YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM), T and Z in either
 * case.  A fraction finer than a microsecond is rounded to the nearest one,
 * halves up.  Second 60 (a leap second) is accepted, as RFC 3339 allows, and
 * like PostgreSQL's own input it reads as the first second of the next
 * minute.  Output: YYYY-MM-DDTHH:MM:SS[.ffffff]Z in UTC.
 */
#include "postgres.h"

#include "datatype/timestamp.h"
#include "utils/datetime.h"

#include "comm_result.h"

/* Read exactly n digits at *p; false if any is not a digit. */
static bool
read_digits(const char **p, const char *end, int n, int *out)
{
	int			v = 0;

	if (end - *p < n)
		return false;
	for (int i = 0; i < n; i++)
	{
		char		c = (*p)[i];

		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool
expect_char(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return false;
	(*p)++;
	return true;
}

CrTimestampResult
cr_parse_timestamp(const char *s, int len, TimestampTz *result)
{
	const char *p = s;
	const char *end = s + len;
	int			year,
				month,
				day,
				hour,
				minute,
				second;
	int64		usec = 0;
	int			offset = 0;
	int64		ts;

	if (!read_digits(&p, end, 4, &year) || !expect_char(&p, end, '-') ||
		!read_digits(&p, end, 2, &month) || !expect_char(&p, end, '-') ||
		!read_digits(&p, end, 2, &day))
		return CR_TS_BAD_FORMAT;
	if (p >= end || (*p != 'T' && *p != 't'))
		return CR_TS_BAD_FORMAT;
	p++;
	if (!read_digits(&p, end, 2, &hour) || !expect_char(&p, end, ':') ||
		!read_digits(&p, end, 2, &minute) || !expect_char(&p, end, ':') ||
		!read_digits(&p, end, 2, &second))
		return CR_TS_BAD_FORMAT;

	if (p < end && *p == '.')
	{
		int			ndigits = 0;

		p++;
		while (p < end && *p >= '0' && *p <= '9')
		{
			if (ndigits < 6)
				usec = usec * 10 + (*p - '0');
			else if (ndigits == 6 && *p >= '5')
				usec++;			/* round half up at the seventh digit */
			ndigits++;
			p++;
		}
		if (ndigits == 0)
			return CR_TS_BAD_FORMAT;
		for (int i = ndigits; i < 6; i++)
			usec *= 10;
	}

	if (p >= end)
		return CR_TS_NO_ZONE;
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-')
	{
		int			sign = (*p == '-') ? -1 : 1;
		int			oh,
					om;

		p++;
		if (!read_digits(&p, end, 2, &oh) || !expect_char(&p, end, ':') ||
			!read_digits(&p, end, 2, &om))
			return CR_TS_BAD_FORMAT;
		if (oh > 23 || om > 59)
			return CR_TS_BAD_FIELD;
		offset = sign * (oh * 3600 + om * 60);
	}
	else
		return CR_TS_BAD_FORMAT;
	if (p != end)
		return CR_TS_BAD_FORMAT;

	if (month < 1 || month > 12 || day < 1 ||
		day > day_tab[isleap(year)][month - 1] ||
		hour > 23 || minute > 59 || second > 60)
		return CR_TS_BAD_FIELD;

	/* PostgreSQL's Julian day numbers count years astronomically (0 = 1 BC) */
	ts = (int64) (date2j(year, month, day) - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY +
		((int64) ((hour * 60 + minute) * 60 + second - offset)) * USECS_PER_SEC +
		usec;
	if (ts < CR_MIN_TIMESTAMP || ts > CR_MAX_TIMESTAMP)
		return CR_TS_OUT_OF_RANGE;
	*result = ts;
	return CR_TS_OK;
}

void
cr_write_timestamp(StringInfo buf, TimestampTz ts)
{
	int64		days = ts / USECS_PER_DAY;
	int64		rest = ts % USECS_PER_DAY;
	int			y,
				m,
				d;
	int64		secs;
	int			usec;

	if (rest < 0)
	{
		rest += USECS_PER_DAY;
		days--;
	}
	j2date((int) (days + POSTGRES_EPOCH_JDATE), &y, &m, &d);
	secs = rest / USECS_PER_SEC;
	usec = (int) (rest % USECS_PER_SEC);
	appendStringInfo(buf, "%04d-%02d-%02dT%02d:%02d:%02d",
					 y, m, d, (int) (secs / 3600), (int) (secs / 60 % 60),
					 (int) (secs % 60));
	if (usec != 0)
		appendStringInfo(buf, ".%06d", usec);
	appendStringInfoChar(buf, 'Z');
}
