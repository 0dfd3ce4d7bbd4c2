-- Per-batch reporting on a results table (see demo.sql):
--
--     results (r comm_result, ...)
--
-- batch_report: one row per batch, computed on demand by the
--   comm_batch_summary aggregate (parallel safe), with a completion ratio.
-- batch_status_counts + batch_dashboard: counters kept up to date by a
--   statement-level trigger, for dashboards that cannot afford a scan.
--
-- Run it in the schema of the results table; it can be run again.

CREATE OR REPLACE VIEW batch_report AS
SELECT batch_id, (s).total, (s).pending, (s).initiated, (s).connected, (s).completed,
       (s).failed, (s).canceled, (s).duplicate, (s).invalid, (s).skipped,
       (s).attempts, (s).first_created_at, (s).last_sent_at, (s).done,
       round(((s).total - (s).pending - (s).initiated - (s).connected - (s).failed)::numeric
             / nullif((s).total, 0), 3) AS completion_ratio,
       (s).status_counts,
       -- the statuses of 1.3, at the end so that the view can be replaced in place
       (s).call_completed, (s).sent, (s).unsubscribed
FROM (SELECT batch_id(r) AS batch_id, comm_batch_summary(r) AS s FROM results GROUP BY 1) b;

COMMENT ON VIEW batch_report IS 'one row per batch: counts per status, attempts, done, and the share of results in a terminal status';

-- Counters: one row per (batch, status).  A statement-level trigger adds
-- the statement's net change per (batch, status), so a bulk load costs one
-- upsert per batch and status, not one per row; concurrent writers only
-- wait for each other on the counter rows they both touch.
CREATE TABLE IF NOT EXISTS batch_status_counts (
    batch_id text NOT NULL,
    status   comm_status NOT NULL,
    n        bigint NOT NULL,
    PRIMARY KEY (batch_id, status)
);

CREATE OR REPLACE FUNCTION batch_status_counts_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    added   text := 'SELECT r, 1 AS delta FROM new_rows';
    removed text := 'SELECT r, -1 AS delta FROM old_rows';
BEGIN
    -- only the transition tables of this event exist
    EXECUTE format($q$
        INSERT INTO batch_status_counts AS c (batch_id, status, n)
        SELECT batch_id(r), coalesce(request_status(r), 'PENDING'), sum(delta)
        FROM (%s) d
        GROUP BY 1, 2
        HAVING sum(delta) <> 0
        ORDER BY 1, 2   -- one lock order for every writer: no deadlock here
        ON CONFLICT (batch_id, status) DO UPDATE SET n = c.n + excluded.n
        $q$,
        CASE TG_OP WHEN 'INSERT' THEN added
                   WHEN 'DELETE' THEN removed
                   ELSE added || ' UNION ALL ' || removed END);
    RETURN NULL;
END $$;

COMMENT ON FUNCTION batch_status_counts_apply() IS 'statement trigger: adds a statement''s net change per batch and status to batch_status_counts';

CREATE OR REPLACE TRIGGER results_counts_insert AFTER INSERT ON results
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION batch_status_counts_apply();
CREATE OR REPLACE TRIGGER results_counts_update AFTER UPDATE ON results
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION batch_status_counts_apply();
CREATE OR REPLACE TRIGGER results_counts_delete AFTER DELETE ON results
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION batch_status_counts_apply();

-- Start the counters from what the table holds now.
TRUNCATE batch_status_counts;
INSERT INTO batch_status_counts (batch_id, status, n)
SELECT batch_id(r), coalesce(request_status(r), 'PENDING'), count(*)
FROM results GROUP BY 1, 2;

CREATE OR REPLACE VIEW batch_dashboard AS
SELECT batch_id,
       sum(n) AS total,
       sum(n) FILTER (WHERE comm_status_is_terminal(status)) AS finished,
       jsonb_object_agg(status, n ORDER BY status) FILTER (WHERE n > 0) AS status_counts
FROM batch_status_counts
GROUP BY batch_id;

COMMENT ON TABLE batch_status_counts IS 'results per batch and status, kept up to date by statement triggers on results';
COMMENT ON VIEW batch_dashboard IS 'per-batch counters from batch_status_counts, without scanning results';
