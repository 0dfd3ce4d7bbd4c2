/*
 * comm_result.h
 *		The comm_result value: its stored layout, the field set every input
 *		path fills in, and the one builder they all end in.
 *
 * Stored layout (all integers in the server's byte order, read with memcpy
 * because a short varlena header leaves the payload unaligned):
 *
 *		varlena header
 *		uint8	format version (CR_FORMAT_VERSION)
 *		uint8	request_status (0 when absent)
 *		uint16	flags (CR_F_*): which optional fields are present or null
 *		int32	attempt_count			only if CR_F_ATTEMPTS (non-zero)
 *		int64	created_at				only if CR_F_CREATED
 *		int64	sent_at					only if CR_F_SENT
 *		int64	session_id				only if CR_F_SESSION
 *		int64	conversation_id			only if CR_F_CONV
 *		varint	lengths of batch_id, reference_id, target, and of
 *				call_manager_sid if CR_F_SID
 *		bytes	those strings, in that order, without terminators
 *		bytes	request_variables: a jsonb container image, to the end
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

#define CR_FORMAT_VERSION	1
#define CR_HEADER_SIZE		4

/* flags: presence of optional fields, and explicit JSON nulls */
#define CR_F_STATUS			0x0001
#define CR_F_ATTEMPTS		0x0002
#define CR_F_CREATED		0x0004
#define CR_F_SENT			0x0008
#define CR_F_SENT_NULL		0x0010
#define CR_F_SID			0x0020
#define CR_F_SID_NULL		0x0040
#define CR_F_SESSION		0x0080
#define CR_F_SESSION_NULL	0x0100
#define CR_F_CONV			0x0200
#define CR_F_CONV_NULL		0x0400
#define CR_F_ALL			0x07FF

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
	CRF_COUNT,
	CRF_NONE = -1
} CrField;

extern const char *const cr_field_names[CRF_COUNT];

/* Timestamps outside years 0000 to 9999 (UTC) cannot be written back. */
#define CR_MIN_TIMESTAMP	INT64CONST(-63113904000000000)
#define CR_MAX_TIMESTAMP	INT64CONST(252455615999999999)

typedef struct CrString
{
	const char *data;
	int			len;
} CrString;

/*
 * Everything an input path found, before validation.  flags uses the CR_F_*
 * bits for the optional fields; the four required ones have own booleans.
 */
typedef struct CrFields
{
	uint32		seen;			/* bit per CrField given in the input */
	uint16		flags;
	bool		has_batch_id;
	bool		has_reference_id;
	bool		has_target;
	bool		has_variables;
	CrString	batch_id;
	CrString	reference_id;
	CrString	target;
	CrString	call_manager_sid;
	Jsonb	   *variables;
	int			status;
	int64		attempt_count;
	TimestampTz created_at;
	TimestampTz sent_at;
	int64		session_id;
	int64		conversation_id;
} CrFields;

/* One problem found in an input. */
typedef struct CrError
{
	int			sqlstate;
	const char *field;			/* NULL when about the whole input */
	char	   *message;
	char	   *detail;
	char	   *hint;
} CrError;

/* Problems found so far; collect_all asks for every problem, not the first. */
typedef struct CrErrors
{
	bool		collect_all;
	List	   *errors;
	int			dropped;		/* problems past CR_MAX_ERRORS, not kept */
} CrErrors;

/* comm_result_errors lists at most this many problems of one input. */
#define CR_MAX_ERRORS		100

#define CR_FAILED(errs)		((errs)->errors != NIL)
#define CR_DONE(errs)		(CR_FAILED(errs) && !(errs)->collect_all)

/* cr_errors.c */
extern void cr_error(CrErrors *errs, int sqlstate, CrField field,
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
extern void cr_field_type_error(CrField field, CrJsonKind found,
								const char *str, int len, CrErrors *errs);

/* cr_build.c: the one validating, canonicalising builder */
extern struct varlena *cr_build(const CrFields *f, CrErrors *errs);

/* cr_json_in.c */
extern bool cr_parse_json(const char *json, size_t len, CrFields *f,
						  CrErrors *errs);
extern Jsonb *cr_parse_json_object(const char *json, size_t len,
								   CrErrors *errs);
/* cr_jsonb_in.c */
extern void cr_fields_from_jsonb(JsonbContainer *jc, CrFields *f,
								 CrErrors *errs);
extern CrJsonKind cr_jsonb_value_kind(JsonbValue *v);

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

/* A decoded view of a stored value; pointers point into the value. */
typedef struct CrView
{
	uint8		status;
	uint16		flags;
	int32		attempt_count;
	TimestampTz created_at;
	TimestampTz sent_at;
	int64		session_id;
	int64		conversation_id;
	CrString	batch_id;
	CrString	reference_id;
	CrString	target;
	CrString	call_manager_sid;
	const char *variables;		/* unaligned jsonb container image */
	int			variables_len;
} CrView;

/* cr_layout.c */
extern void cr_view(const struct varlena *value, CrView *view);
extern void cr_view_header(const struct varlena *value, CrView *view);
extern CrString cr_read_string(const struct varlena *value, int which);
extern int	cr_read_status(const struct varlena *value);
extern cr_noreturn void cr_bad_version(const char *p, Size len);
extern cr_noreturn void cr_corrupted(void);

/* Every reader starts here: a value of another storage version is refused. */
static inline void
cr_check_version(const char *p, Size len)
{
	if (unlikely(len < CR_HEADER_SIZE || p[0] != CR_FORMAT_VERSION))
		cr_bad_version(p, len);
}

/* Bytes taken by the fixed-size fields whose CR_F_* bits are in flags. */
static inline Size
cr_fixed_size(uint16 flags)
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
extern Jsonb *cr_view_variables(const CrView *view);
extern void cr_write_text(StringInfo buf, const CrView *view);
extern void cr_write_jsonb_compact(StringInfo buf, JsonbContainer *jc);

/* Detoast once; a short header is fine because cr_view reads with memcpy. */
#define PG_GETARG_COMM_RESULT(n)	((struct varlena *) PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(n)))

/* The header and the fixed-size fields never take more than this. */
#define CR_FIXED_PREFIX		(CR_HEADER_SIZE + 4 + 4 * 8)

/*
 * Just enough of a value for the fixed-size fields: a compressed or
 * out-of-line value is only partly decompressed or fetched.
 */
#define PG_GETARG_COMM_RESULT_PREFIX(n) \
	(VARATT_IS_COMPRESSED(PG_GETARG_POINTER(n)) || VARATT_IS_EXTERNAL(PG_GETARG_POINTER(n)) ? \
	 (struct varlena *) PG_DETOAST_DATUM_SLICE(PG_GETARG_DATUM(n), 0, CR_FIXED_PREFIX) : \
	 (struct varlena *) PG_GETARG_POINTER(n))

#endif							/* COMM_RESULT_H */
