-- examples/load_checked.sql for a results table distributed by Citus on its
-- batch_id column (README, "Scaling out"): the same two prepared statements
-- for the recommended distributed schema.  Run it in the schema of results,
-- on the coordinator, after create_distributed_table('results', 'batch_id'),
-- in each session that loads, then for each response:
--
--     EXECUTE load_response(body, batch_id);   -- valid, loaded, rejected, new_rejects
--
-- and after a fix, or an update of the extension:
--
--     EXECUTE replay_rejects;                  -- replayed, still_rejected
--
-- What differs from load_checked.sql:
--   * results_rejects is distributed by batch_id and co-located with
--     results, not a reference table: a batch's rejects live on the worker
--     that holds its results, so a load writes to that worker alone and a
--     worker that is down stops only the loads of its own batches (a
--     reference table is written on every node, so one node down would
--     stop every load that rejects something);
--   * its primary key holds the distribution column, as Citus requires;
--   * load_response reads the response in each of its parts (below);
--   * the inserts fill results' batch_id column and name the key columns
--     in ON CONFLICT;
--   * Citus runs the parts of a statement one after the other, each seeing
--     what the parts before it wrote (PostgreSQL runs them all on one
--     snapshot), so replay_rejects counts the rejects before it deletes any.
-- Tested by test/citus/run.sh.

CREATE TABLE IF NOT EXISTS results_rejects (
    id          bigint GENERATED ALWAYS AS IDENTITY,
    batch_id    text NOT NULL,
    ordinal     integer NOT NULL,
    errors      jsonb NOT NULL,
    element     text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (batch_id, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS results_rejects_once ON results_rejects (batch_id, md5(element));
SELECT create_distributed_table('results_rejects', 'batch_id', colocate_with => 'results')
WHERE NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = 'results_rejects'::regclass);

-- Each part reads the response itself.  Written as in load_checked.sql,
-- with one "checked" part that the others read, Citus would send the
-- checked elements to every worker (it cannot tell which worker an
-- INSERT ... SELECT of them writes to): every load would need every worker
-- up, and would ship each response to each.  This way a load writes to its
-- batch's worker alone, and the response is parsed three times on the
-- coordinator instead of once.
PREPARE load_response(text, text) AS
WITH kept AS (
    INSERT INTO results_rejects (batch_id, ordinal, errors, element)
    SELECT $2, ordinal, errors, element FROM comm_results_checked($1, $2) WHERE result IS NULL
    ON CONFLICT DO NOTHING
    RETURNING 1
), loaded AS (
    INSERT INTO results AS t (r, batch_id)
    SELECT comm_result_latest(result), batch_id(result) FROM comm_results_checked($1, $2)
    WHERE result IS NOT NULL
    GROUP BY batch_id(result), reference_id(result)
    ON CONFLICT (batch_id, reference_id)
    DO UPDATE SET r = comm_result_merge(t.r, excluded.r)
    WHERE comm_result_merge(t.r, excluded.r) <> t.r
    RETURNING 1
), counts AS (
    SELECT count(DISTINCT (batch_id(result), reference_id(result))) FILTER (WHERE result IS NOT NULL) AS valid,
           count(*) FILTER (WHERE result IS NULL) AS rejected
    FROM comm_results_checked($1, $2)
)
SELECT valid, (SELECT count(*) FROM loaded) AS loaded, rejected,
       (SELECT count(*) FROM kept) AS new_rejects
FROM counts;

PREPARE replay_rejects AS
WITH rejects AS MATERIALIZED (
    SELECT count(*) AS n FROM results_rejects
), now_valid AS MATERIALIZED (
    SELECT j.batch_id, j.id, c.result
    FROM results_rejects j, comm_results_checked('[' || j.element || ']', j.batch_id) c
    WHERE c.result IS NOT NULL
), replayed AS (
    DELETE FROM results_rejects WHERE (batch_id, id) IN (SELECT batch_id, id FROM now_valid)
    RETURNING 1
), loaded AS (
    INSERT INTO results AS t (r, batch_id)
    SELECT comm_result_latest(result), batch_id(result) FROM now_valid
    GROUP BY batch_id(result), reference_id(result)
    ON CONFLICT (batch_id, reference_id)
    DO UPDATE SET r = comm_result_merge(t.r, excluded.r)
    WHERE comm_result_merge(t.r, excluded.r) <> t.r
    RETURNING 1
)
SELECT (SELECT count(*) FROM replayed) AS replayed,
       (SELECT n FROM rejects) - (SELECT count(*) FROM replayed) AS still_rejected;
