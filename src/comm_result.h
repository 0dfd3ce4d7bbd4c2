/*
 * comm_result.h
 *		The comm_result value: its field table, its stored layout, the
 *		decoded form every input path fills in and every reader works on,
 *		and the one builder they all end in.
 *
 * Stored layout (all integers in the server's byte order, read with memcpy
 * because a short varlena header leaves the payload unaligned):
 *
 *		varlena header
 *		uint8	storage format version: 1, or 2 when a value needs it
 *		uint8	request_status (0 when absent)
 *		uint16	flags: the low CR_F_* bits (CR_F_STORED1)
 *		int32	attempt_count			only if CR_F_ATTEMPTS (non-zero)
 *		int64	created_at				only if CR_F_CREATED
 *		int64	sent_at					only if CR_F_SENT
 *		int64	session_id				only if CR_F_SESSION
 *		int64	conversation_id			only if CR_F_CONV
 *		uint16	flags2: the high CR_F_* bits, shifted down	version 2 only
 *		varint	lengths of the present variable-size fields but the last, in
 *				slot order (CrVarSlot): batch_id, reference_id, target,
 *				call_manager_sid, channel_manager_status, insights_status,
 *				insights, line_type, enrichment
 *		bytes	those fields, in that order, without terminators (objects
 *				as jsonb container images)
 *		bytes	request_variables: a jsonb container image, to the end
 *
 * Version 1 is the layout of release 1.1 and is still written for every
 * value without a field or spelling that 1.1 did not know (flags2 would be
 * zero); such values keep 1.1's bytes, hash and order exactly.  Version 2
 * differs only by flags2 and the fields it announces.
 *
 * Timestamps are microseconds since 2000-01-01 00:00:00 UTC, as timestamptz.
 * A value is always canonical, so equal values are equal byte strings.
 */
#ifndef COMM_RESULT_H
#define COMM_RESULT_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"

#include "compat.h"

#define CR_FORMAT_VERSION	1	/* the April 2025 layout */
#define CR_FORMAT_VERSION_2 2	/* with flags2 */
#define CR_HEADER_SIZE		4

/*
 * Flags: presence of optional fields, and explicit JSON nulls.  The low 11
 * bits are stored in the header (version 1's flags, unchanged), the next
 * four are the required fields' presence, known only in memory, and the
 * high 11 are stored as flags2 (version 2).
 */
#define CR_F_STATUS			0x00000001
#define CR_F_ATTEMPTS		0x00000002
#define CR_F_CREATED		0x00000004
#define CR_F_SENT			0x00000008
#define CR_F_SENT_NULL		0x00000010
#define CR_F_SID			0x00000020
#define CR_F_SID_NULL		0x00000040
#define CR_F_SESSION		0x00000080
#define CR_F_SESSION_NULL	0x00000100
#define CR_F_CONV			0x00000200
#define CR_F_CONV_NULL		0x00000400
#define CR_F_STORED1		0x000007FF

#define CR_F_BATCH_ID		0x00000800
#define CR_F_REFERENCE_ID	0x00001000
#define CR_F_TARGET			0x00002000
#define CR_F_VARIABLES		0x00004000
#define CR_F_REQUIRED		0x00007800

#define CR_F_SID_CHANNEL	0x00010000	/* the sid was named channel_manager_sid */
#define CR_F_CHSTATUS		0x00020000
#define CR_F_CHSTATUS_NULL	0x00040000
#define CR_F_INSTATUS		0x00080000
#define CR_F_INSTATUS_NULL	0x00100000
#define CR_F_INSIGHTS		0x00200000
#define CR_F_INSIGHTS_NULL	0x00400000
#define CR_F_LINE			0x00800000
#define CR_F_LINE_NULL		0x01000000
#define CR_F_ENRICH			0x02000000
#define CR_F_ENRICH_NULL	0x04000000
#define CR_F_STORED2		0x07FF0000
#define CR_F2_SHIFT			16

/* The fields, in canonical output order. */
typedef enum CrField
{
	CRF_BATCH_ID,
	CRF_REFERENCE_ID,
	CRF_TARGET,
	CRF_VARIABLES,
	CRF_STATUS,
	CRF_SID,
	CRF_CREATED,
	CRF_SENT,
	CRF_ATTEMPTS,
	CRF_SESSION,
	CRF_CONV,
	CRF_CHSTATUS,
	CRF_INSTATUS,
	CRF_INSIGHTS,
	CRF_LINE,
	CRF_ENRICH,
	CRF_COUNT,
	CRF_NONE = -1
} CrField;

/* The April 2025 fields are CRF_BATCH_ID to CRF_CONV. */
#define CRF_APRIL_COUNT		(CRF_CONV + 1)

/* How a field is written in JSON and checked. */
typedef enum CrKind
{
	CRK_KEY,					/* a non-blank string: half of the key */
	CRK_STRING,					/* any string, kept as given ("" included) */
	CRK_TARGET,					/* a phone number or an e-mail address */
	CRK_STATUS,					/* one of the nine comm_status names */
	CRK_TIMESTAMP,				/* an RFC 3339 string, kept in fixed[] */
	CRK_COUNT32,				/* an integer 0 to 2^31-1, kept in fixed[] */
	CRK_ID64,					/* an integer 0 to 2^63-1, kept in fixed[] */
	CRK_OBJECT,					/* any JSON object, kept as a jsonb image */
	CRK_FLAT_OBJECT				/* an object of strings and numbers */
} CrKind;

/* Slots of the fixed-size fields, in storage order. */
typedef enum CrFixedSlot
{
	CRX_ATTEMPTS,
	CRX_CREATED,
	CRX_SENT,
	CRX_SESSION,
	CRX_CONV,
	CRX_COUNT
} CrFixedSlot;

/* Slots of the variable-size fields, in storage order (the last to the end). */
typedef enum CrVarSlot
{
	CRV_BATCH_ID,
	CRV_REFERENCE_ID,
	CRV_TARGET,
	CRV_SID,
	CRV_CHSTATUS,
	CRV_INSTATUS,
	CRV_INSIGHTS,
	CRV_LINE,
	CRV_ENRICH,
	CRV_VARIABLES,
	CRV_COUNT
} CrVarSlot;

/* What comm_result_guard lets an UPDATE do to a stored field. */
typedef enum CrGuardRule
{
	CRG_FREE,					/* anything (the lifecycle rules aside) */
	CRG_KEY,					/* never changes */
	CRG_SET_AT_INSERT,			/* never set, changed or removed later */
	CRG_FROZEN_ONCE_SET,		/* may be set once, then never changes */
	CRG_KEPT_ONCE_SET			/* may change, but not go once set */
} CrGuardRule;

/*
 * One row of the field table: everything the readers, writers and checks
 * need to know about a field.  The next API change is a row here.
 */
typedef struct CrFieldDef
{
	const char *name;			/* JSON key */
	const char *alias;			/* a second JSON key for the same field */
	CrKind		kind;
	bool		required;
	bool		nullable;		/* JSON null is kept; else null is absent */
	uint32		present;		/* CR_F_* bit: present */
	uint32		null;			/* CR_F_* bit: explicit null, or 0 */
	int			slot;			/* in fixed[] or var[]; -1 for the status */
	const char *expects;		/* "must be ..." */
	CrGuardRule guard;
} CrFieldDef;

extern const CrFieldDef cr_fields[CRF_COUNT];

/* The field whose value a variable-size slot holds, and its CR_F_* bit. */
extern const CrField cr_var_field[CRV_COUNT];
extern const uint32 cr_var_flag[CRV_COUNT];

/* Whether a variable-size slot is stored: required, or present. */
static inline bool
cr_var_present(uint32 flags, int slot)
{
	return (flags & cr_var_flag[slot]) != 0;
}

/* The variable-size slots that may be present under these flags. */
#define CR_VAR_SLOTS(flags) \
	(((flags) & CR_F_STORED2) ? CRV_VARIABLES : CRV_CHSTATUS)
/* The CR_F_* bit of each fixed-size slot, and its size. */
extern const uint32 cr_fixed_flag[CRX_COUNT];

/* Timestamps outside years 0000 to 9999 (UTC) cannot be written back. */
#define CR_MIN_TIMESTAMP	INT64CONST(-63113904000000000)
#define CR_MAX_TIMESTAMP	INT64CONST(252455615999999999)

typedef struct CrString
{
	const char *data;
	int			len;
} CrString;

/*
 * A value's fields, decoded: what an input path found (before validation),
 * and what cr_view reads back from a stored value (then the strings and
 * objects point into it).  flags holds every CR_F_* bit, the required
 * fields' presence included.  Objects are jsonb container images; the
 * input paths make them aligned, cr_view leaves them where they are
 * (cr_view_object makes an aligned jsonb of one).
 */
typedef struct CrFields
{
	uint32		seen;			/* input: bit per CrField given */
	uint32		flags;
	int			status;
	int64		fixed[CRX_COUNT];
	CrString	var[CRV_COUNT];
} CrFields;

/* A stored value, decoded: the same structure. */
typedef CrFields CrView;

#define CR_HAS(f, field)	(((f)->flags & cr_fields[field].present) != 0)
#define CR_IS_NULL(f, field) (cr_fields[field].null != 0 && \
							  ((f)->flags & cr_fields[field].null) != 0)

/* The name a field goes by in this value: the sid's spelling is kept. */
static inline const char *
cr_field_name(const CrFields *f, CrField field)
{
	if (field == CRF_SID && f != NULL && (f->flags & CR_F_SID_CHANNEL))
		return cr_fields[field].alias;
	return cr_fields[field].name;
}

/* One problem found in an input. */
typedef struct CrError
{
	int			sqlstate;
	const char *field;			/* NULL when about the whole input */
	char	   *message;
	char	   *detail;
	char	   *hint;
} CrError;

/*
 * Problems found so far; collect_all asks for every problem, not the first.
 * bad_json says the JSON parser itself stopped: a syntax error, or an
 * escape the database cannot hold.
 */
typedef struct CrErrors
{
	bool		collect_all;
	List	   *errors;
	int			dropped;		/* problems past CR_MAX_ERRORS, not kept */
	bool		bad_json;
} CrErrors;

/* comm_result_errors lists at most this many problems of one input. */
#define CR_MAX_ERRORS		100

#define CR_FAILED(errs)		((errs)->errors != NIL)
#define CR_DONE(errs)		(CR_FAILED(errs) && !(errs)->collect_all)

/* cr_errors.c */
extern void cr_error(CrErrors *errs, int sqlstate, const char *field,
					 char *message, char *detail, char *hint);
extern char *cr_quote(const char *s, int len);
extern void cr_report(CrErrors *errs, Node *escontext);

/* cr_fields.c: shared by the JSON text and jsonb input paths */
typedef enum CrJsonKind
{
	CRJ_STRING,
	CRJ_NUMBER,
	CRJ_BOOL,
	CRJ_NULL,
	CRJ_OBJECT,
	CRJ_ARRAY
} CrJsonKind;

extern const char *const cr_json_kind_names[];	/* "a string", ... by CrJsonKind */
extern CrField cr_field_lookup(const char *key, int len, CrFields *f,
							   CrErrors *errs);
extern void cr_field_set(CrFields *f, CrField field, CrJsonKind kind,
						 const char *str, int len, CrErrors *errs);
extern void cr_field_set_object(CrFields *f, CrField field, Jsonb *jb,
								CrErrors *errs);
extern void cr_field_type_error(const CrFields *f, CrField field,
								CrJsonKind found, const char *str, int len,
								CrErrors *errs);
extern bool cr_is_object_kind(CrKind kind);

/* cr_build.c: the one validating, canonicalising builder */
extern struct varlena *cr_build(const CrFields *f, CrErrors *errs);

/* cr_json_in.c */
extern bool cr_parse_json(const char *json, size_t len, CrFields *f,
						  CrErrors *errs);
extern Jsonb *cr_parse_json_object(const char *json, size_t len,
								   CrField field, CrErrors *errs);
/* cr_jsonb_in.c */
extern void cr_fields_from_jsonb(JsonbContainer *jc, CrFields *f,
								 CrErrors *errs);
extern CrJsonKind cr_jsonb_value_kind(JsonbValue *v);

/* cr_response.c: an API response body, split into its elements */
typedef struct CrElement
{
	int			start;			/* byte offset in the body */
	int			len;
	int			depth;			/* deepest nesting of objects and arrays */
} CrElement;

typedef struct CrSplit
{
	CrElement  *elems;
	int			n;
	int			cap;
	int			bad_at;			/* where the scan stopped, when not an array */
} CrSplit;

extern bool cr_split_array(const char *s, size_t len, CrSplit *split);
extern bool cr_json_syntax_ok(const char *json, size_t len, char **detail,
							  size_t *at);
extern const char *cr_json_kind_of(char first);
extern cr_noreturn void cr_bad_response(const char *s, size_t len,
										const CrSplit *split, bool checked);
extern cr_noreturn void cr_bad_element_json(const char *s, size_t len,
											const CrElement *e, int index,
											const char *detail, size_t at,
											bool checked);
/*
 * The deepest element comm_results_checked gives to the parser.  The
 * parser and the jsonb builder recurse once per level; at this depth they
 * stay within even the smallest max_stack_depth (100kB), so no element can
 * exhaust the stack in the middle of a load.  API records nest two or
 * three levels.
 */
#define CR_MAX_ELEMENT_DEPTH	1000

/* cr_convert.c */
extern void cr_apply_batch_id(CrFields *f, text *batch_id, CrErrors *errs);
extern void cr_element_context(void *arg);

/* cr_io.c */
struct FuncCallContext;
extern struct FuncCallContext *cr_srf_first_call(FunctionCallInfo fcinfo);
extern TupleDesc cr_row_type(FunctionCallInfo fcinfo, int natts);
extern Datum comm_result_in(PG_FUNCTION_ARGS);
extern struct varlena *cr_from_text(const char *str, size_t len,
									CrErrors *errs);

/* Bytewise order of two byte strings, a prefix first: -1, 0 or 1. */
static inline int
cr_bytes_cmp(const char *a, Size alen, const char *b, Size blen)
{
	int			c = memcmp(a, b, Min(alen, blen));

	if (c != 0)
		return (c < 0) ? -1 : 1;
	return (alen > blen) - (alen < blen);
}

/* Whether two decoded values hold the same bytes in a variable-size slot. */
static inline bool
cr_same_var(const CrFields *a, const CrFields *b, CrVarSlot slot)
{
	return cr_bytes_cmp(a->var[slot].data, a->var[slot].len,
						b->var[slot].data, b->var[slot].len) == 0;
}

/* cr_order.c */
extern int	cr_natural_cmp(const char *a, int alen, const char *b, int blen);

/* cr_timestamp.c */
typedef enum CrTimestampResult
{
	CR_TS_OK,
	CR_TS_BAD_FORMAT,
	CR_TS_NO_ZONE,
	CR_TS_BAD_FIELD,
	CR_TS_OUT_OF_RANGE
} CrTimestampResult;

extern CrTimestampResult cr_parse_timestamp(const char *s, int len,
											TimestampTz *result);
extern void cr_write_timestamp(StringInfo buf, TimestampTz ts);

/* cr_target.c */
typedef enum CrTargetKind
{
	CR_TARGET_INVALID,
	CR_TARGET_PHONE,
	CR_TARGET_EMAIL
} CrTargetKind;

extern CrTargetKind cr_classify_target(const char *s, int len,
									   const char **why);
extern bool cr_is_blank(const char *s, int len);

/* cr_layout.c */
extern void cr_view(const struct varlena *value, CrView *view);
extern void cr_view_header(const struct varlena *value, CrView *view);
extern bool cr_read_var(const struct varlena *value, CrVarSlot slot,
						CrString *out);
extern CrString cr_read_string(const struct varlena *value, CrVarSlot slot);
extern int	cr_read_status(const struct varlena *value);
extern cr_noreturn void cr_bad_version(const char *p, Size len);
extern cr_noreturn void cr_corrupted(void);

/* Every reader starts here: a value of another storage version is refused. */
static inline void
cr_check_version(const char *p, Size len)
{
	if (unlikely(len < CR_HEADER_SIZE ||
				 (p[0] != CR_FORMAT_VERSION && p[0] != CR_FORMAT_VERSION_2)))
		cr_bad_version(p, len);
}

/* Bytes taken by the fixed-size fields whose CR_F_* bits are in flags. */
static inline Size
cr_fixed_size(uint32 flags)
{
	return ((flags & CR_F_ATTEMPTS) ? 4 : 0) +
		8 * (!!(flags & CR_F_CREATED) + !!(flags & CR_F_SENT) +
			 !!(flags & CR_F_SESSION) + !!(flags & CR_F_CONV));
}

/*
 * Where one fixed-size field (flag: its CR_F_* bit) is stored, or NULL when
 * it is absent.  Inline, because status filters and counter scans call the
 * accessors once per row: the flag bits ascend in storage order, so the
 * offset is the header plus the sizes of the present fields before it.
 */
static inline const char *
cr_fixed_field(const struct varlena *value, uint16 flag)
{
	const char *p = VARDATA_ANY(value);
	Size		len = VARSIZE_ANY_EXHDR(value);
	uint16		flags;
	uint16		before;
	Size		off;

	cr_check_version(p, len);
	memcpy(&flags, p + 2, sizeof(flags));
	if (!(flags & flag))
		return NULL;
	before = flags & (flag - 1);
	off = CR_HEADER_SIZE + cr_fixed_size(before);
	if (unlikely(off + (flag == CR_F_ATTEMPTS ? 4 : 8) > len))
		cr_corrupted();
	return p + off;
}
extern Jsonb *cr_image_jsonb(const CrString *image);
#define cr_view_object(view, slot)	cr_image_jsonb(&(view)->var[slot])
#define cr_view_variables(view)	cr_view_object((view), CRV_VARIABLES)
extern void cr_write_text(StringInfo buf, const CrView *view);
extern void cr_write_jsonb_compact(StringInfo buf, JsonbContainer *jc);

/* Detoast once; a short header is fine because cr_view reads with memcpy. */
#define PG_GETARG_COMM_RESULT(n)	((struct varlena *) PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(n)))

/* The header, the fixed-size fields and flags2 never take more than this. */
#define CR_FIXED_PREFIX		(CR_HEADER_SIZE + 4 + 4 * 8 + 2)

/*
 * Just enough of a value for the fixed-size fields: a compressed or
 * out-of-line value is only partly decompressed or fetched.
 */
#define PG_GETARG_COMM_RESULT_PREFIX(n) \
	(VARATT_IS_COMPRESSED(PG_GETARG_POINTER(n)) || VARATT_IS_EXTERNAL(PG_GETARG_POINTER(n)) ? \
	 (struct varlena *) PG_DETOAST_DATUM_SLICE(PG_GETARG_DATUM(n), 0, CR_FIXED_PREFIX) : \
	 (struct varlena *) PG_GETARG_POINTER(n))

#endif							/* COMM_RESULT_H */
