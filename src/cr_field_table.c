/*
 * cr_field_table.c
 *		The field set of comm_result as one table.  Input, output, binary
 *		I/O, the builder, the accessors, merge and the guard read it; the
 *		next change of the API's record is a row here plus its tests.
 *
 * Rows are in canonical output order: the April 2025 fields first (their
 * order is frozen), then the fields today's API added.  The guard column
 * says what comm_result_guard lets an UPDATE do: the key never changes,
 * created_at comes with the row, sent_at and the lookup results
 * (line_type, enrichment) are frozen once set, insights may be redone but
 * not dropped; the status and attempt_count follow the lifecycle.
 *
 * The kinds follow the API's contract (its SDKs' wire format): only the
 * key (batch_id, reference_id) must not be blank; every other string is
 * what the SDKs type as a plain string, so any string, the empty one
 * included, loads and is kept exactly as given.
 */
#include "postgres.h"

#include "comm_result.h"

const CrFieldDef cr_fields[CRF_COUNT] = {
	[CRF_BATCH_ID] = {"batch_id", NULL, CRK_KEY, true, false,
	CR_F_BATCH_ID, 0, CRV_BATCH_ID, "a string", CRG_KEY},
	[CRF_REFERENCE_ID] = {"reference_id", NULL, CRK_KEY, true, false,
	CR_F_REFERENCE_ID, 0, CRV_REFERENCE_ID, "a string", CRG_KEY},
	[CRF_TARGET] = {"target", NULL, CRK_TARGET, true, false,
	CR_F_TARGET, 0, CRV_TARGET, "a string", CRG_KEY},
	[CRF_VARIABLES] = {"request_variables", NULL, CRK_OBJECT, true, false,
	CR_F_VARIABLES, 0, CRV_VARIABLES, "a JSON object", CRG_FREE},
	[CRF_STATUS] = {"request_status", NULL, CRK_STATUS, false, false,
	CR_F_STATUS, 0, -1, "a status string", CRG_FREE},
	[CRF_SID] = {"call_manager_sid", "channel_manager_sid", CRK_STRING, false, true,
	CR_F_SID, CR_F_SID_NULL, CRV_SID, "a string or null", CRG_FREE},
	[CRF_CREATED] = {"created_at", NULL, CRK_TIMESTAMP, false, false,
	CR_F_CREATED, 0, CRX_CREATED, "a timestamp string", CRG_SET_AT_INSERT},
	[CRF_SENT] = {"sent_at", NULL, CRK_TIMESTAMP, false, true,
	CR_F_SENT, CR_F_SENT_NULL, CRX_SENT, "a timestamp string or null", CRG_FROZEN_ONCE_SET},
	[CRF_ATTEMPTS] = {"attempt_count", NULL, CRK_COUNT32, false, false,
	CR_F_ATTEMPTS, 0, CRX_ATTEMPTS, "an integer", CRG_FREE},
	[CRF_SESSION] = {"session_id", NULL, CRK_ID64, false, true,
	CR_F_SESSION, CR_F_SESSION_NULL, CRX_SESSION, "an integer or null", CRG_FREE},
	[CRF_CONV] = {"conversation_id", NULL, CRK_ID64, false, true,
	CR_F_CONV, CR_F_CONV_NULL, CRX_CONV, "an integer or null", CRG_FREE},
	[CRF_CHSTATUS] = {"channel_manager_status", NULL, CRK_STRING, false, true,
	CR_F_CHSTATUS, CR_F_CHSTATUS_NULL, CRV_CHSTATUS, "a string or null", CRG_FREE},
	[CRF_INSTATUS] = {"insights_status", NULL, CRK_STRING, false, true,
	CR_F_INSTATUS, CR_F_INSTATUS_NULL, CRV_INSTATUS, "a string or null", CRG_FREE},
	[CRF_INSIGHTS] = {"insights", NULL, CRK_FLAT_OBJECT, false, true,
	CR_F_INSIGHTS, CR_F_INSIGHTS_NULL, CRV_INSIGHTS, "a JSON object or null", CRG_KEPT_ONCE_SET},
	[CRF_LINE] = {"line_type", NULL, CRK_STRING, false, true,
	CR_F_LINE, CR_F_LINE_NULL, CRV_LINE, "a string or null", CRG_FROZEN_ONCE_SET},
	[CRF_ENRICH] = {"enrichment", NULL, CRK_OBJECT, false, true,
	CR_F_ENRICH, CR_F_ENRICH_NULL, CRV_ENRICH, "a JSON object or null", CRG_FROZEN_ONCE_SET},
};

const CrField cr_var_field[CRV_COUNT] = {
	[CRV_BATCH_ID] = CRF_BATCH_ID,
	[CRV_REFERENCE_ID] = CRF_REFERENCE_ID,
	[CRV_TARGET] = CRF_TARGET,
	[CRV_SID] = CRF_SID,
	[CRV_CHSTATUS] = CRF_CHSTATUS,
	[CRV_INSTATUS] = CRF_INSTATUS,
	[CRV_INSIGHTS] = CRF_INSIGHTS,
	[CRV_LINE] = CRF_LINE,
	[CRV_ENRICH] = CRF_ENRICH,
	[CRV_VARIABLES] = CRF_VARIABLES,
};

const uint32 cr_var_flag[CRV_COUNT] = {
	[CRV_BATCH_ID] = CR_F_BATCH_ID,
	[CRV_REFERENCE_ID] = CR_F_REFERENCE_ID,
	[CRV_TARGET] = CR_F_TARGET,
	[CRV_SID] = CR_F_SID,
	[CRV_CHSTATUS] = CR_F_CHSTATUS,
	[CRV_INSTATUS] = CR_F_INSTATUS,
	[CRV_INSIGHTS] = CR_F_INSIGHTS,
	[CRV_LINE] = CR_F_LINE,
	[CRV_ENRICH] = CR_F_ENRICH,
	[CRV_VARIABLES] = CR_F_VARIABLES,
};

const uint32 cr_fixed_flag[CRX_COUNT] = {
	[CRX_ATTEMPTS] = CR_F_ATTEMPTS,
	[CRX_CREATED] = CR_F_CREATED,
	[CRX_SENT] = CR_F_SENT,
	[CRX_SESSION] = CR_F_SESSION,
	[CRX_CONV] = CR_F_CONV,
};

bool
cr_is_object_kind(CrKind kind)
{
	return kind == CRK_OBJECT || kind == CRK_FLAT_OBJECT;
}
