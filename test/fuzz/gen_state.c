/*
 * gen_state.c -- generated states of the per-batch report: comm_batch_state
 * (1.0: the counts of the nine statuses of 1.0) and comm_batch_tally (1.3:
 * the same, then the counts of the later statuses by code, as far as the
 * last one that is not zero), as text and in the binary form.
 *
 * A state is generated consistent (the counts add up to total, max_attempts
 * at most attempts, the instants set in pairs and in order, within the
 * years 0000 to 9999) unless "wild", when one to three fields get edge
 * values.  The text form may show more counts than the canonical one
 * (trailing zeros, which a tally reads and leaves out) and write the
 * instants' Z in lower case; state_text with canonical set writes what the
 * server must print.
 *
 * Checks nothing: fuzz_batch_state.c and fuzz_tally.c do.
 */
#include "fuzz.h"

static const int64_t state_edges[] = {
	-1, 0, 1, INT64_MAX, INT64_MIN, INT32_MAX, (int64_t) INT32_MAX + 1,
	252455615999999999LL, 252455616000000000LL, -63082281600000001LL,
};

/* Break one to three fields of a state. */
static void
break_state(State *s)
{
	for (int m = 1 + (int) rn(3); m > 0; m--)
	{
		int64_t		v = one_in(2) ? PICK(state_edges) : (int64_t) rnd();
		int			i = (int) rn((uint64_t) s->ncounts + 8);

		if (i < s->ncounts)
			s->counts[i] = v;
		else if (i == s->ncounts)
			s->total = v;
		else if (i == s->ncounts + 1)
			s->attempts = v;
		else if (i == s->ncounts + 2)
			s->max_attempts = v;
		else if (i == s->ncounts + 3)
			s->flags = v;
		else
			s->instants[i - s->ncounts - 4] = v;
	}
}

/*
 * A state of ncounts counts (STATE_STATUSES for comm_batch_state; up to
 * n_statuses for a tally, whose counts after the ninth are often zero).
 */
void
gen_state(State *s, int ncounts, int wild)
{
	uint64_t	lim;

	memset(s, 0, sizeof *s);
	s->ncounts = ncounts;
	for (int i = 0; i < ncounts; i++)
	{
		s->counts[i] = one_in(3) || (i >= STATE_STATUSES && one_in(2)) ? 0 :
			(int64_t) rn(one_in(10) ? (uint64_t) INT64_MAX / (uint64_t) ncounts : 1000);
		s->total += s->counts[i];
	}
	/* attempts: up to twice the total, without overflowing */
	lim = s->total > INT64_MAX / 2 ? (uint64_t) s->total : (uint64_t) s->total * 2;
	s->attempts = s->total ? (int64_t) rn(lim + 1) : 0;
	s->max_attempts = s->attempts ? (int64_t) rn((uint64_t) (s->attempts < INT32_MAX ? s->attempts : INT32_MAX) + 1) : 0;
	s->flags = s->total ? (int64_t) rn(4) : 0;
	if (s->flags & 1)
	{
		s->instants[0] = (int64_t) rn(700000000000ULL) * 1000;
		s->instants[1] = s->instants[0] + (int64_t) rn(1000000000ULL);
	}
	if (s->flags & 2)
	{
		s->instants[2] = (int64_t) rn(700000000000ULL) * 1000;
		s->instants[3] = s->instants[2] + (int64_t) rn(1000000000ULL);
	}
	s->wild = wild;
	if (wild)
		break_state(s);
}

/* How many counts the canonical forms show: the nine, then up to the last non-zero. */
int
state_shown(const State *s)
{
	int			n = s->ncounts;

	while (n > STATE_STATUSES && s->counts[n - 1] == 0)
		n--;
	return n;
}

/* microseconds since 2000-01-01 UTC as RFC 3339, via days */
static void
fmt_instant(Buf *b, int64_t us, int canonical)
{
	int64_t		secs = us / 1000000,
				frac = us % 1000000;
	int64_t		days,
				sod;
	int64_t		z,
				era,
				doe,
				yoe,
				y,
				doy,
				mp,
				d,
				m;

	if (frac < 0)
	{
		frac += 1000000;
		secs--;
	}
	days = secs / 86400;
	sod = secs % 86400;
	if (sod < 0)
	{
		sod += 86400;
		days--;
	}
	z = days + 10957 + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	b_printf(b, "%04" PRId64 "-%02" PRId64 "-%02" PRId64 "T%02" PRId64 ":%02" PRId64 ":%02" PRId64,
			 y, m, d, sod / 3600, sod / 60 % 60, sod % 60);
	if (frac)
		b_printf(b, ".%06" PRId64, frac);
	b_putc(b, !canonical && one_in(10) ? 'z' : 'Z');
}

/* The text form with "shown" counts (canonical: as the server prints it). */
void
state_text(Buf *b, const State *s, int shown, int canonical)
{
	b_reset(b);
	b_printf(b, "(%" PRId64, s->total);
	for (int i = 0; i < shown; i++)
		b_printf(b, ",%" PRId64, s->counts[i]);
	b_printf(b, ",%" PRId64 ",%" PRId64, s->attempts, s->max_attempts);
	for (int i = 0; i < 4; i++)
	{
		b_putc(b, ',');
		if (s->flags & (i < 2 ? 1 : 2))
			fmt_instant(b, s->instants[i], canonical);
	}
	b_putc(b, ')');
}

/* The binary form with "shown" counts: version 1, then the fields in network order. */
void
state_wire(Buf *b, const State *s, int shown)
{
	b_reset(b);
	b_putc(b, s->wild && one_in(20) ? 2 : 1);
	b_be(b, (uint64_t) s->total, 8);
	for (int i = 0; i < shown; i++)
		b_be(b, (uint64_t) s->counts[i], 8);
	b_be(b, (uint64_t) s->attempts, 8);
	b_be(b, (uint64_t) s->max_attempts, 4);
	b_be(b, (uint64_t) s->flags, 4);
	for (int i = 0; i < 4; i++)
		b_be(b, (uint64_t) s->instants[i], 8);
	if (s->wild && one_in(4))
	{
		if (one_in(2) && b->len)
			b->len = rn(b->len);	/* cut short, or between two counts */
		else
			b_putc(b, 0);
	}
	if (s->wild && one_in(4) && b->len)
		b->p[rn(b->len)] ^= (char) (1 << rn(8));
}

/* A comm_batch_state text (function arguments), byte-mutated when wild. */
void
gen_state_text(Buf *b, int wild)
{
	State		s;

	gen_state(&s, STATE_STATUSES, wild && one_in(2));
	state_text(b, &s, STATE_STATUSES, 0);
	if (wild && one_in(2))
		mutate_bytes(b, 1 + (int) rn(3));
}

/*
 * A comm_batch_tally state: the counts of every status of the table, of
 * the nine of 1.0 only, or (wild) of more statuses than the table has.
 */
void
gen_tally(State *s, int wild)
{
	int			n = one_in(3) ? STATE_STATUSES : n_statuses;

	if (wild && one_in(8))
		n = n_statuses + 1 + (int) rn(2);	/* a later release's state */
	gen_state(s, n < MAX_STATUSES ? n : MAX_STATUSES, wild);
}

/* How many counts a text or binary input shows: the canonical number, or more (zeros). */
int
tally_input_shown(const State *s, int wild)
{
	int			shown = state_shown(s);

	if (one_in(4))
		shown = s->ncounts;		/* trailing zeros, which the server leaves out */
	if (wild && one_in(10))
		shown = (int) rn((uint64_t) s->ncounts + 2);	/* too few, or one more */
	return shown < MAX_STATUSES ? shown : MAX_STATUSES;
}
