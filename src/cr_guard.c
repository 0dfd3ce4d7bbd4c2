/*
 * cr_guard.c
 *		comm_result_guard(): a BEFORE UPDATE FOR EACH ROW trigger that keeps
 *		comm_result columns moving forward along the lifecycle.
 *
 * Its arguments name the columns to guard; with none, every comm_result
 * column of the table is guarded.  For each guarded column whose old value
 * is not NULL it rejects, with SQLSTATE 23514:
 *	- a new value of NULL;
 *	- what the field table's guard column forbids: a change of batch_id,
 *	  reference_id, target or created_at (setting a created_at that was
 *	  absent is a change too); a change of sent_at, line_type or
 *	  enrichment once set (to another value, to null or absent); insights
 *	  becoming null or absent once present;
 *	- a status the old one cannot reach through allowed moves that start
 *	  exactly as many attempts as attempt_count grew by (snapshots of a
 *	  request may skip steps, so reachability, not a single move, is the
 *	  rule here; each move to INITIATED starts an attempt; an absent status
 *	  counts as PENDING);
 *	- a decrease of attempt_count.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/errcodes.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "comm_result.h"
#include "comm_status.h"
#include "cr_lifecycle.h"

PG_FUNCTION_INFO_V1(comm_result_guard);

/* The guarded columns of one trigger, worked out once per statement. */
typedef struct GuardColumns
{
	Oid			tgoid;
	Oid			relid;
	int			ncols;
	AttrNumber	cols[FLEXIBLE_ARRAY_MEMBER];
} GuardColumns;

/*
 * Whether a type is comm_result, without looking it up by name (the
 * extension is relocatable): its input function is ours.
 */
static bool
is_comm_result_type(Oid typid)
{
	static Oid	known = InvalidOid;
	Oid			typinput,
				typioparam;
	FmgrInfo	flinfo;

	typid = getBaseType(typid);	/* a domain over comm_result counts too */
	if (typid == known)
		return true;
	if (get_typtype(typid) != TYPTYPE_BASE)
		return false;
	getTypeInputInfo(typid, &typinput, &typioparam);
	fmgr_info(typinput, &flinfo);
	if (flinfo.fn_addr != comm_result_in)
		return false;
	known = typid;
	return true;
}

static GuardColumns *
guard_columns(FunctionCallInfo fcinfo, TriggerData *td)
{
	GuardColumns *gc = (GuardColumns *) fcinfo->flinfo->fn_extra;
	Trigger    *tg = td->tg_trigger;
	TupleDesc	desc = RelationGetDescr(td->tg_relation);

	if (gc != NULL && gc->tgoid == tg->tgoid &&
		gc->relid == RelationGetRelid(td->tg_relation))
		return gc;

	gc = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt,
								offsetof(GuardColumns, cols) +
								sizeof(AttrNumber) * Max(desc->natts, tg->tgnargs));
	gc->tgoid = tg->tgoid;
	gc->relid = RelationGetRelid(td->tg_relation);
	if (tg->tgnargs > 0)
	{
		for (int i = 0; i < tg->tgnargs; i++)
		{
			int			attnum = SPI_fnumber(desc, tg->tgargs[i]);

			if (attnum <= 0)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_COLUMN),
						 errmsg("column \"%s\" named by trigger \"%s\" does not exist in table \"%s\"",
								tg->tgargs[i], tg->tgname,
								RelationGetRelationName(td->tg_relation))));
			if (!is_comm_result_type(TupleDescAttr(desc, attnum - 1)->atttypid))
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("column \"%s\" named by trigger \"%s\" is not of type comm_result",
								tg->tgargs[i], tg->tgname),
						 errdetail("It is of type %s.",
								   format_type_be(TupleDescAttr(desc, attnum - 1)->atttypid))));
			gc->cols[gc->ncols++] = attnum;
		}
	}
	else
	{
		for (int i = 0; i < desc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, i);

			if (!att->attisdropped && is_comm_result_type(att->atttypid))
				gc->cols[gc->ncols++] = att->attnum;
		}
		if (gc->ncols == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("trigger \"%s\" guards no column: table \"%s\" has no comm_result column",
							tg->tgname, RelationGetRelationName(td->tg_relation)),
					 errhint("Attach comm_result_guard to a table with a comm_result column, or name the columns as trigger arguments.")));
	}
	fcinfo->flinfo->fn_extra = gc;
	return gc;
}

static void
reject(const CrView *old, const char *column, const char *field, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_CHECK_VIOLATION),
			 errmsg("%s of column \"%s\" cannot change", field, column),
			 errdetail("%s The request is batch_id %s, reference_id %s.", detail,
					   cr_quote(old->var[CRV_BATCH_ID].data, old->var[CRV_BATCH_ID].len),
					   cr_quote(old->var[CRV_REFERENCE_ID].data, old->var[CRV_REFERENCE_ID].len))));
}

/* Whether a field has the same state and value in both. */
static bool
same_field(const CrView *o, const CrView *n, CrField field)
{
	const CrFieldDef *def = &cr_fields[field];
	uint32		bits = def->present | def->null;

	if ((o->flags & bits) != (n->flags & bits))
		return false;
	if (!(o->flags & def->present))
		return true;
	if (def->kind == CRK_TIMESTAMP || def->kind == CRK_COUNT32 || def->kind == CRK_ID64)
		return o->fixed[def->slot] == n->fixed[def->slot];
	return cr_same_var(o, n, def->slot);
}

/* The field rules of the table's guard column. */
static void
check_fields(const CrView *o, const CrView *n, const char *column)
{
	for (int i = 0; i < CRF_COUNT; i++)
	{
		const CrFieldDef *def = &cr_fields[i];

		switch (def->guard)
		{
			case CRG_FREE:
				break;
			case CRG_KEY:
				/* the key fields are required strings */
				if (!same_field(o, n, (CrField) i))
					reject(o, column, def->name,
						   psprintf("It is %s and would become %s.",
									cr_quote(o->var[def->slot].data, o->var[def->slot].len),
									cr_quote(n->var[def->slot].data, n->var[def->slot].len)));
				break;
			case CRG_SET_AT_INSERT:
				if (!same_field(o, n, (CrField) i))
					reject(o, column, def->name,
						   "It cannot be set, changed or removed after the row is stored.");
				break;
			case CRG_FROZEN_ONCE_SET:
				if ((o->flags & def->present) && !same_field(o, n, (CrField) i))
					reject(o, column, def->name, "It cannot change once set.");
				break;
			case CRG_KEPT_ONCE_SET:
				if ((o->flags & def->present) && !(n->flags & def->present))
					ereport(ERROR,
							(errcode(ERRCODE_CHECK_VIOLATION),
							 errmsg("%s of column \"%s\" cannot be removed", def->name, column),
							 errdetail("Once present it may change, but not become null or absent. The request is batch_id %s, reference_id %s.",
									   cr_quote(o->var[CRV_BATCH_ID].data, o->var[CRV_BATCH_ID].len),
									   cr_quote(o->var[CRV_REFERENCE_ID].data, o->var[CRV_REFERENCE_ID].len))));
				break;
		}
	}
}

static void
check_move(const CrView *o, const CrView *n, const char *column)
{
	int			from = cr_effective_status(o);
	int			to = cr_effective_status(n);
	int			new_attempts = (int) (n->fixed[CRX_ATTEMPTS] - o->fixed[CRX_ATTEMPTS]);

	check_fields(o, n, column);
	if (new_attempts < 0)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("attempt_count of column \"%s\" cannot decrease", column),
				 errdetail("It would go from %d to %d. The request is batch_id %s, reference_id %s.",
						   (int) o->fixed[CRX_ATTEMPTS], (int) n->fixed[CRX_ATTEMPTS],
						   cr_quote(o->var[CRV_BATCH_ID].data, o->var[CRV_BATCH_ID].len),
						   cr_quote(o->var[CRV_REFERENCE_ID].data, o->var[CRV_REFERENCE_ID].len))));
	if (!cr_can_reach(from, to, new_attempts))
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("invalid status transition from %s to %s in column \"%s\"",
						cr_status_name(from), cr_status_name(to), column),
				 errdetail_plural("No sequence of allowed moves leads from %s to %s with %d new attempt. The request is batch_id %s, reference_id %s.",
								  "No sequence of allowed moves leads from %s to %s with %d new attempts. The request is batch_id %s, reference_id %s.",
								  new_attempts,
								  cr_status_name(from), cr_status_name(to), new_attempts,
								  cr_quote(o->var[CRV_BATCH_ID].data, o->var[CRV_BATCH_ID].len),
								  cr_quote(o->var[CRV_REFERENCE_ID].data, o->var[CRV_REFERENCE_ID].len)),
				 errhint("Allowed next statuses from %s: %s; each move to INITIATED adds one attempt.",
						 cr_status_name(from), cr_next_statuses_text(from))));
}

Datum
comm_result_guard(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	GuardColumns *gc;
	TupleDesc	desc;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("comm_result_guard: not called by trigger manager")));
	if (!TRIGGER_FIRED_BY_UPDATE(td->tg_event) || !TRIGGER_FIRED_BEFORE(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("comm_result_guard must be fired BEFORE UPDATE FOR EACH ROW"),
				 errhint("Create the trigger with BEFORE UPDATE ON ... FOR EACH ROW.")));

	gc = guard_columns(fcinfo, td);
	desc = RelationGetDescr(td->tg_relation);
	for (int i = 0; i < gc->ncols; i++)
	{
		AttrNumber	attnum = gc->cols[i];
		const char *column = NameStr(TupleDescAttr(desc, attnum - 1)->attname);
		bool		oldnull,
					newnull;
		Datum		od = heap_getattr(td->tg_trigtuple, attnum, desc, &oldnull);
		Datum		nd = heap_getattr(td->tg_newtuple, attnum, desc, &newnull);
		CrView		o,
					n;

		if (oldnull)
			continue;
		/* an untouched column keeps its datum: nothing to check or fetch */
		if (!newnull && datumIsEqual(od, nd, false, -1))
			continue;
		cr_view((struct varlena *) PG_DETOAST_DATUM_PACKED(od), &o);
		if (newnull)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("column \"%s\" cannot be set to null once it holds a result", column),
					 errdetail("The request is batch_id %s, reference_id %s.",
							   cr_quote(o.var[CRV_BATCH_ID].data, o.var[CRV_BATCH_ID].len),
							   cr_quote(o.var[CRV_REFERENCE_ID].data, o.var[CRV_REFERENCE_ID].len))));
		cr_view((struct varlena *) PG_DETOAST_DATUM_PACKED(nd), &n);
		check_move(&o, &n, column);
	}
	return PointerGetDatum(td->tg_newtuple);
}
