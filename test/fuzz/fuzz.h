/*
 * fuzz.h -- what the files of the comm_result fuzz harness share.
 *
 * The harness (see README.md in this directory for the table of files) is a
 * libpq program that feeds a running server with generated and mutated
 * inputs and checks what comes back.  This header holds the PRNG, the byte
 * buffer, the harness's global state, the query and check helpers, and the
 * generators more than one kind of input uses.  Everything else stays
 * static in the file that uses it.
 *
 * Input number i depends only on (seed, i): main.c seeds the PRNG for each
 * input, and every generator draws from it in a fixed order.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <libpq-fe.h>

#define TEXTOID 25
#define BYTEAOID 17

/* ------------------------------------------------------------------ */
/* PRNG: splitmix64 to seed each input, xorshift64* to draw */

extern uint64_t rng_state;

static inline uint64_t
splitmix(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ULL;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

static inline uint64_t
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static inline uint64_t
rn(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* true with probability 1/n */
static inline int
one_in(uint64_t n)
{
	return rn(n) == 0;
}

/*
 * One element of an array.  The array's size must be known where PICK is
 * used: the shared arrays below are declared with their sizes (the compiler
 * checks them against their definitions).
 */
#define PICK(arr) ((arr)[rn(sizeof(arr) / sizeof((arr)[0]))])

/* ------------------------------------------------------------------ */
/* growable byte buffer (harness.c); p is always NUL-terminated */

typedef struct
{
	char	   *p;
	size_t		len;
	size_t		cap;
} Buf;

extern void b_reserve(Buf *b, size_t extra);
extern void b_put(Buf *b, const void *d, size_t n);
extern void b_puts(Buf *b, const char *s);
extern void b_putc(Buf *b, char c);
extern void b_printf(Buf *b, const char *fmt,...) __attribute__((format(printf, 2, 3)));
extern void b_reset(Buf *b);
extern void b_free(Buf *b);
extern void b_copy(Buf *dst, const Buf *src);
extern void b_be(Buf *b, uint64_t v, int bytes);

/* ------------------------------------------------------------------ */
/* global state (harness.c) */

extern PGconn *conn;
extern uint64_t seed;
extern long cur_n;				/* the input number, -1 in setup */
extern const char *faildir;
extern int	verbose;
extern Oid	cr_oid,
			cbs_oid,
			cs_oid,
			counts_oid,
			tally_oid;

extern long n_inputs,
			n_queries,
			n_accepted,
			n_rejected,
			n_failures;

/* categories, in the order of cat_name: cat_count[5] counts setup inputs */
#define NCAT 10
extern long cat_count[NCAT];
extern const char *cat_name[NCAT];
extern long cat_acc[NCAT],
			cat_rej[NCAT];

#define MAX_CODES 64
extern char code_name[MAX_CODES][6];
extern long code_count[MAX_CODES];
extern int	n_codes;

/* the current input, saved on a failure */
extern const char *cur_cat;
extern Buf	cur_input;

/* the primary message and hint of the last error */
extern char last_msg[512];
extern char last_hint[512];
extern const char *cur_encoding;

/* ------------------------------------------------------------------ */
/* connection, queries and failures (harness.c) */

extern void connect_db(void);
extern void set_encoding(const char *enc);
extern Oid	type_oid(const char *name);
extern PGresult *run_query(const char *query, int n, const Oid *types, const char *const *vals,
						   const int *lens, const int *fmts, int rfmt, char *code, int *bad);
extern PGresult *run_query_text(const char *query, int n, const char *const *vals, char *code, int *bad);
extern PGresult *run_prepared(const char *name, int n, const char *const *vals, char *code, int *bad);
extern void invariant(int ok, const char *what, int *bad);
extern void tally(PGresult *r, const char *code);

/* ------------------------------------------------------------------ */
/* strings, JSON values and byte mutations (gen_json.c) */

extern int	gen_clean;
extern const char *edge_numbers[36];
extern const char *good_numbers[14];

extern void gen_str_body(Buf *b, int maxlen);
extern void gen_long_string(Buf *b);
extern void gen_json_object(Buf *b, int depth);
extern void gen_deep(Buf *b);
extern void gen_variables(Buf *b);
extern void gen_ws(Buf *b);
extern void mutate_bytes(Buf *b, int rounds);

/* ------------------------------------------------------------------ */
/* the status table, as comm_statuses() gives it (status_table.c) */

#define MAX_STATUSES 32
/* comm_batch_state counts the nine statuses of 1.0 (codes 0 to 8), no more */
#define STATE_STATUSES 9

typedef struct
{
	char		name[32];
	int			code;			/* the status byte of comm_result's binary form */
	int			listed;			/* place in the API's listing: merge's tie-break */
	int			rank;			/* progress, as merge compares it */
	int			terminal;
	uint32_t	next;			/* the allowed next statuses, a bit per position */
} StatusDef;

extern StatusDef statuses[MAX_STATUSES];	/* in comm_status's order (code order) */
extern int	n_statuses;

extern void load_statuses(void);
extern const char *pick_status(void);
extern int	status_pos(const char *name, size_t len);
extern int	status_pos_of_code(int code);
extern int	status_can_reach(int from, int to, long attempts);

/* ------------------------------------------------------------------ */
/* values of a record's fields (gen_fields.c) */

extern const char *channel_statuses[43];
extern const char *insights_statuses[6];
extern const char *line_types[9];
extern const char *blank_strings[8];

extern void gen_timestamp(Buf *b);
extern void gen_target(Buf *b);
extern void gen_ident(Buf *b);
extern void gen_int_value(Buf *b, int is64);
extern void gen_bad_string_field(Buf *b);
extern void gen_insights(Buf *b, int w, int *nested);
extern void gen_enrichment(Buf *b, int w);

/* ------------------------------------------------------------------ */
/* records (gen_record.c) */

/* keys in the canonical order: the April 2025 fields, then today's */
enum
{
	K_BATCH, K_REF, K_TARGET, K_VARS, K_STATUS, K_SID, K_CREATED, K_SENT,
	K_ATTEMPT, K_SESSION, K_CONV, K_CHSTATUS, K_INSTATUS, K_INSIGHTS, K_LINE,
	K_ENRICH, K_COUNT
};
#define K_APRIL_COUNT (K_CONV + 1)
extern const char *field_keys[K_COUNT];

/* The name a record gives its sid: April's, today's, or both (an error). */
enum
{
	SID_APRIL, SID_TODAY, SID_BOTH
};

typedef struct
{
	Buf			v[K_COUNT];
	int			present[K_COUNT];
	int			sid_name;		/* SID_*; with SID_BOTH, sid2 is today's value */
	Buf			sid2;
	int			nwild;			/* fields that got an edge value */
	int			nested;			/* insights holds a container, a boolean or a null */
} Rec;

/* What the generator put into a record input, for the checks that follow from it. */
typedef struct
{
	int			today;			/* today's shape: today's fields and names */
	int			clean;			/* made by gen_clean without edge values */
	int			exact;			/* no structural or byte mutation */
	int			both;			/* both names of the sid */
	int			nested;			/* insights holds what the SDKs refuse */
	int			no_batch;		/* no batch_id (as today's endpoint sends it) */
} GenInfo;

extern void rec_free(Rec *r);
extern void gen_rec(Rec *r, int wild, const char *batch, const char *ref, int today);
extern void emit_rec(Buf *b, Rec *r, int structural);

/* ------------------------------------------------------------------ */
/* checks of accepted comm_result values (check_value.c) */

/* A top-level member of a canonical text. */
typedef struct
{
	char		key[32];
	const char *val;
	size_t		vlen;
	int			isnull;
} Member;

/* the variable-size fields in wire order: version 1's five, then version 2's */
extern const int wire_keys[10];

/* flags2 bit of today's field k, present (null: the next bit) */
#define FLAG2_BIT(k) ((uint16_t) (0x0002 << (2 * ((k) - K_CHSTATUS))))

extern long n_wire[3];			/* accepted values checked, by binary version */

extern int	parse_top(const char *s, size_t n, Member *m, int max);
extern uint32_t get_be(const unsigned char *p, int bytes);
extern void check_record_rules(const GenInfo *gi, const char *code, int *bad);
extern void check_accepted(const char *out, int outlen, const char *wire, int wirelen,
						   const char *orig, int *bad);
extern void check_result_pair(PGresult *r, int row, const char *orig, int *bad);
extern void check_text_value(const char *out, int *bad);

/* ------------------------------------------------------------------ */
/* function arguments (gen_args.c); NULL stands for SQL NULL */

#define MAXA 20

typedef struct
{
	Buf			a[MAXA];
	int			isnull[MAXA];
	const char *v[MAXA];
} Args;

extern void arg_text(Buf *b, int *isnull);
extern void arg_status(Buf *b, int *isnull);
extern void arg_tstz(Buf *b, int *isnull);
extern void arg_int(Buf *b, int *isnull, int is64);
extern void arg_jsonb(Buf *b, int *isnull);
extern void arg_value(Buf *b, const char *batch, const char *ref);
extern void args_final(Args *A, int n);
extern void args_free(Args *A);
extern void record_args(Args *A, int n, const char *name);
extern void same_request(Buf *bb, Buf *rb);
extern void arg_array(Buf *b, int n, const char *batch, const char *ref);

/* ------------------------------------------------------------------ */
/* the kinds of input: each generates one input and checks what comes back */

/* fuzz_text.c */
extern void gen_text_input(Buf *b, GenInfo *gi);
extern void fuzz_text(int *bad);

/* fuzz_binary.c */
extern void wire_str(Buf *b, const char *s, size_t n, int lenmut);
extern void unquote(const Buf *v, const char **s, size_t *n);
extern void fuzz_binary(int *bad);

/* gen_state.c: report states (comm_batch_state, comm_batch_tally) */
typedef struct
{
	int64_t		total;
	int64_t		counts[MAX_STATUSES];	/* by code */
	int			ncounts;		/* 9 for comm_batch_state; a tally's may be more */
	int64_t		attempts;
	int64_t		max_attempts;
	int64_t		flags;			/* 1: created_at instants set, 2: sent_at's */
	int64_t		instants[4];	/* microseconds since 2000-01-01 UTC */
	int			wild;			/* fields broken on purpose */
} State;

#define EMPTY_STATE "'(0,0,0,0,0,0,0,0,0,0,0,0,,,,)'"

extern void gen_state(State *s, int ncounts, int wild);
extern void gen_tally(State *s, int wild);
extern int	state_shown(const State *s);
extern int	tally_input_shown(const State *s, int wild);
extern void state_text(Buf *b, const State *s, int shown, int canonical);
extern void state_wire(Buf *b, const State *s, int shown);
extern void gen_state_text(Buf *b, int wild);

/* fuzz_batch_state.c */
extern void fuzz_batch_state(int *bad);
extern void fuzz_state_functions(Args *A, int *bad);

/* fuzz_tally.c */
extern void fuzz_tally(int *bad);

/* fuzz_function.c */
extern void fuzz_function(int *bad);

/* fuzz_status.c (function calls of fuzz_function.c) */
extern void fuzz_status_functions(Args *A, int *bad);
extern void fuzz_lifecycle(const char *batch, const char *ref, int *bad);

/* fuzz_url_batch.c */
extern void fuzz_url_batch(int *bad);

/* json_scan.c: what the checks of comm_results_checked read in an element */
#define MAX_ELEMENT_DEPTH 1000	/* comm_results_checked reads no deeper (README) */

/* What an element's top-level batch_id is, against the URL's */
enum
{
	BATCH_NONE, BATCH_SAME, BATCH_OTHER, BATCH_UNKNOWN
};

typedef struct
{
	int			depth;			/* how deeply it nests (an object is 1) */
	int			object;			/* it is an object */
	int			repeated;		/* an object repeats a key, at any depth */
	int			escaped_key;	/* a key has a backslash */
	int			escapes;		/* a string has a backslash */
	int			respelt;		/* a top-level number jsonb would write otherwise */
	int			safe;			/* none of these, and at most MAX_ELEMENT_DEPTH deep */
	int			batch;			/* BATCH_* */
} ElemScan;

extern void scan_element(const char *s, size_t len, const char *batch, ElemScan *sc);

/* fuzz_url_batch.c: today's endpoint (also used for responses) */
enum
{
	OWN_NONE, OWN_SAME, OWN_OTHER
};
extern void b_json_str(Buf *b, const char *s, size_t n);
extern void gen_url_batch(Buf *b, int *isnull);

/* gen_response.c: response bodies */
typedef struct
{
	size_t		start;			/* the element's text in the body */
	size_t		len;
} Span;

typedef struct
{
	Buf			body;
	Buf			batch;			/* the URL's batch id */
	int			batch_null;
	int			plain_batch;	/* a batch id of the usual form (not blank or odd) */
	int			complete;		/* 1: a complete array, 0: not one, -1: unknown (mutated) */
	int			n;				/* elements, -1 when unknown */
	Span	   *el;
	int			recipe;			/* to go through the recipe too (one tame body in seven) */
	int			check_value;	/* to check a value it gives with check_value.c (one in four) */
} Resp;

extern void gen_response(Resp *R);
extern void resp_free(Resp *R);

/* fuzz_checked.c */
extern void fuzz_checked(int *bad);
extern long n_checked_bodies[2],
			n_checked_elems[2],
			n_jsonb_compared,
			n_jsonb_skipped,
			n_unread_not_json;

/* recipe.c: examples/load_checked.sql on generated responses */
extern void recipe_init(const char *path);
extern void check_recipe(const Resp *R, int loads, int *bad);
extern long n_recipe_runs;

/* fuzz_counts.c */
extern void check_counts(const char *out, const char *wire, int wirelen, int *bad);
extern void fuzz_counts(int *bad);

/* setup.c: fixed checks and the byte sweep, before input 0 */
extern void setup(int *bad);

/* setup_13.c: the fixed checks of release 1.3 (setup.c runs them) */
extern int	skip_huge;
extern void setup_13(int *bad);

#endif							/* FUZZ_H */
