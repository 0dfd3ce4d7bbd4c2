-- The load that loses nothing: the recipe of README, "Loading a response
-- with nothing lost".  Run it once per database (psql -f), then for each
-- response the endpoint returns:
--
--     EXECUTE load_response(body, batch_id);   -- valid, loaded, rejected, new_rejects
--
-- with body the response as received (text) and batch_id the one in the
-- request's URL.  After a fix, or an update of the extension:
--
--     EXECUTE replay_rejects;                  -- replayed, still_rejected
--
-- Tested by sql_tests/checked_recipe.sql; examples/demo.sql uses it.

-- The recommended schema (README, "Re-ingesting snapshots"): the key lives
-- in a unique expression index.
CREATE TABLE IF NOT EXISTS results (r comm_result NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS results_key ON results ((batch_id(r)), (reference_id(r)));

-- Every element that did not load, with its problems and its exact text,
-- until it can.  An element is kept once per batch however often the batch
-- is fetched again (the first time it arrived is kept).
CREATE TABLE IF NOT EXISTS results_rejects (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id    text NOT NULL,
    ordinal     integer NOT NULL,
    errors      jsonb NOT NULL,
    element     text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS results_rejects_once ON results_rejects (batch_id, md5(element));

-- One response, one statement: the valid records are merged into results
-- (a response may hold one request twice: its snapshots are merged first,
-- because an upsert may not touch one row twice), the invalid elements go
-- to results_rejects, and nothing is written when the body is not a
-- complete JSON array.  A row whose merge changes nothing is not rewritten.
PREPARE load_response(text, text) AS
WITH checked AS MATERIALIZED (
    SELECT * FROM comm_results_checked($1, $2)
), kept AS (
    INSERT INTO results_rejects (batch_id, ordinal, errors, element)
    SELECT $2, ordinal, errors, element FROM checked WHERE result IS NULL
    ON CONFLICT DO NOTHING
    RETURNING 1
), latest AS (
    SELECT comm_result_latest(result) AS r FROM checked WHERE result IS NOT NULL
    GROUP BY batch_id(result), reference_id(result)
), loaded AS (
    INSERT INTO results AS t (r) SELECT r FROM latest
    ON CONFLICT ((batch_id(r)), (reference_id(r)))
    DO UPDATE SET r = comm_result_merge(t.r, excluded.r)
    WHERE comm_result_merge(t.r, excluded.r) <> t.r
    RETURNING 1
)
SELECT (SELECT count(*) FROM latest) AS valid,
       (SELECT count(*) FROM loaded) AS loaded,
       (SELECT count(*) FROM checked WHERE result IS NULL) AS rejected,
       (SELECT count(*) FROM kept) AS new_rejects;

-- The rejects that load now move into results; the others stay as they
-- are.  Each element is read again as a response of one element, with the
-- batch id it came with.
PREPARE replay_rejects AS
WITH now_valid AS MATERIALIZED (
    SELECT j.id, c.result
    FROM results_rejects j, comm_results_checked('[' || j.element || ']', j.batch_id) c
    WHERE c.result IS NOT NULL
), replayed AS (
    DELETE FROM results_rejects WHERE id IN (SELECT id FROM now_valid)
    RETURNING 1
), loaded AS (
    INSERT INTO results AS t (r)
    SELECT comm_result_latest(result) FROM now_valid
    GROUP BY batch_id(result), reference_id(result)
    ON CONFLICT ((batch_id(r)), (reference_id(r)))
    DO UPDATE SET r = comm_result_merge(t.r, excluded.r)
    WHERE comm_result_merge(t.r, excluded.r) <> t.r
    RETURNING 1
)
SELECT (SELECT count(*) FROM replayed) AS replayed,
       (SELECT count(*) FROM results_rejects) - (SELECT count(*) FROM replayed) AS still_rejected;
