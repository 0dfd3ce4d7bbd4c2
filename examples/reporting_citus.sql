-- examples/reporting.sql for a results table distributed by Citus on its
-- batch_id column (README, "Scaling out"): the same objects with the same
-- names (batch_report, batch_status_counts, batch_dashboard), so that the
-- same reports run on one node and on Citus.
--
-- What differs: batch_status_counts is distributed too, co-located with
-- results, and the statement triggers run on the workers, once per shard a
-- statement touches.  There each adds its shard's net change straight to the
-- co-located shard of the counters, on the same worker and in the same
-- transaction (a trigger on a shard may not start a distributed query).
-- Citus creates triggers on distributed tables only when
-- citus.enable_unsafe_triggers is on; it is set here for this file only.
--
-- Run it in the schema of the results table, on the coordinator, after
-- create_distributed_table('results', 'batch_id').

SET citus.enable_unsafe_triggers = on;
\ir reporting.sql

SELECT create_distributed_table('batch_status_counts', 'batch_id', colocate_with => 'results');

CREATE OR REPLACE FUNCTION batch_status_counts_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    added   text := 'SELECT r, 1 AS delta FROM new_rows';
    removed text := 'SELECT r, -1 AS delta FROM old_rows';
    shard   bigint := substring(TG_TABLE_NAME FROM '_([0-9]+)$')::bigint;
    target  text := format('%I.batch_status_counts', TG_TABLE_SCHEMA);
BEGIN
    -- On a shard (results_102008): the co-located shard of the counters,
    -- the one that covers the same hash range.
    IF shard IS NOT NULL THEN
        SELECT shard_name(c.logicalrelid, c.shardid) INTO target
        FROM pg_dist_shard s
        JOIN pg_dist_shard c ON c.logicalrelid = target::regclass
                            AND c.shardminvalue = s.shardminvalue
        WHERE s.shardid = shard;
    END IF;
    -- only the transition tables of this event exist
    EXECUTE format($q$
        INSERT INTO %s AS c (batch_id, status, n)
        SELECT batch_id(r), coalesce(request_status(r), 'PENDING'), sum(delta)
        FROM (%s) d
        GROUP BY 1, 2
        HAVING sum(delta) <> 0
        ORDER BY 1, 2   -- one lock order for every writer: no deadlock here
        ON CONFLICT (batch_id, status) DO UPDATE SET n = c.n + excluded.n
        $q$,
        target,
        CASE TG_OP WHEN 'INSERT' THEN added
                   WHEN 'DELETE' THEN removed
                   ELSE added || ' UNION ALL ' || removed END);
    RETURN NULL;
END $$;

COMMENT ON FUNCTION batch_status_counts_apply() IS 'statement trigger on a shard of results: adds the statement''s net change per batch and status to the co-located shard of batch_status_counts';

RESET citus.enable_unsafe_triggers;
