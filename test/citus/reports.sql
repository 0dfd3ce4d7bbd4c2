-- The report queries test/citus/run.sh runs on the distributed table and on
-- its local copy (search_path picks "results"), comparing the outputs.  One
-- query per paragraph; its first line names it.  Each has an ORDER BY over
-- all it prints, so equal answers print equally.

-- README, Batches and reports: the summary per batch, the aggregate repeated
SELECT batch_id(r) AS batch, (comm_batch_summary(r)).total, (comm_batch_summary(r)).attempts,
       (comm_batch_summary(r)).done, (comm_batch_summary(r)).status_counts
FROM results GROUP BY 1 ORDER BY 1;

-- the same report sending the aggregate once (subquery by the distribution column)
SELECT batch_id AS batch, (s).total, (s).attempts, (s).done, (s).status_counts
FROM (SELECT batch_id, comm_batch_summary(r) AS s FROM results GROUP BY batch_id) b
ORDER BY 1;

-- the same report, LATERAL form
SELECT b.batch_id AS batch, x.total, x.attempts, x.done, x.status_counts
FROM (SELECT batch_id, comm_batch_summary(r) AS s FROM results GROUP BY batch_id) b
CROSS JOIN LATERAL (SELECT (b.s).*) x
ORDER BY 1;

-- README, Scaling out: the whole summary per batch
SELECT batch_id, comm_batch_summary(r) FROM results GROUP BY batch_id ORDER BY 1;

-- README, Performance: the per-batch report grouped by the expression
SELECT batch_id(r), comm_batch_summary(r) FROM results GROUP BY 1 ORDER BY 1;

-- comm_batch_summary over the whole table (partial aggregation)
SELECT comm_batch_summary(r) FROM results;

-- comm_status_counts over the whole table
SELECT comm_status_counts(r) FROM results;

-- comm_status_counts grouped by something other than the batch
SELECT target_kind(r), comm_status_counts(r) FROM results GROUP BY 1 ORDER BY 1;

-- comm_batch_summary grouped by status
SELECT request_status(r), comm_batch_summary(r) FROM results GROUP BY 1 ORDER BY 1 NULLS FIRST;

-- comm_result_latest grouped by the key columns
SELECT batch_id, reference_id, comm_result_latest(r) FROM results GROUP BY 1, 2 ORDER BY 1, 2;

-- comm_result_latest grouped by the key expressions
SELECT batch_id(r), reference_id(r), comm_result_latest(r) FROM results GROUP BY 1, 2 ORDER BY 1, 2;

-- comm_result_latest grouped by reference_id alone (across batches)
SELECT reference_id(r), comm_result_latest(r) FROM results
WHERE reference_id(r) IN (SELECT reference_id FROM results GROUP BY 1 HAVING count(*) = 1)
GROUP BY 1 ORDER BY 1;

-- examples/reporting.sql: the batch_report view
SELECT * FROM batch_report ORDER BY batch_id;

-- README, Performance: the status filter
SELECT count(*) FROM results WHERE request_status(r) = 'COMPLETED';

-- README, Performance: the accessor scan
SELECT sum(attempt_count(r)), count(sent_at(r)) FROM results;

-- README, Reference: comm_result_fields as a view's source
SELECT f.target_kind, f.request_status, count(*), min(f.created_at), max(f.sent_at), sum(f.attempt_count)
FROM results t, comm_result_fields(t.r) f GROUP BY 1, 2 ORDER BY 1, 2 NULLS FIRST;

-- timestamps and intervals per batch (min/max of timestamptz and interval)
SELECT batch_id, min(created_at(r)), max(sent_at(r)), max(sent_at(r) - created_at(r))
FROM results GROUP BY 1 ORDER BY 1;

-- timestamps over the whole table
SELECT min(created_at(r)), max(created_at(r)), min(sent_at(r)), max(sent_at(r)) FROM results;

-- one batch (a router query)
SELECT comm_batch_summary(r), comm_status_counts(r) FROM results WHERE batch_id = '20250117.9';

-- merge of two snapshots across the join of a co-located table with itself
SELECT count(*), count(*) FILTER (WHERE comm_result_merge(a.r, b.r) = a.r)
FROM results a JOIN results b USING (batch_id, reference_id);

-- README, Batches and reports: today's dashboards (1.2), grouped by the expression
SELECT batch_id(r) AS batch, (comm_batch_summary(r)).total, comm_channel_status_counts(r), comm_line_type_counts(r)
FROM results GROUP BY 1 ORDER BY 1;

-- today's dashboards grouped by the distribution column (pushed down whole)
SELECT batch_id, comm_channel_status_counts(r), comm_line_type_counts(r) FROM results GROUP BY batch_id ORDER BY 1;

-- today's dashboards over the whole table (partial aggregation)
SELECT comm_channel_status_counts(r), comm_line_type_counts(r) FROM results;

-- channel statuses per line type (partial aggregation, grouped by another field)
SELECT line_type(r), comm_channel_status_counts(r) FROM results GROUP BY 1 ORDER BY 1 NULLS FIRST;

-- comm_result_all_fields: today's fields per channel status, line type and sid name
SELECT f.channel_manager_status, f.line_type, f.sid_name, count(*), count(f.insights_status), count(f.insights),
       count(f.enrichment), min(f.created_at), max(f.sent_at), sum(f.attempt_count)
FROM results t, comm_result_all_fields(t.r) f
GROUP BY 1, 2, 3 ORDER BY 1 NULLS FIRST, 2 NULLS FIRST, 3 NULLS FIRST;

-- comm_result_all_fields: every field of every value, row by row (a checksum; instants as epochs,
-- because a worker writes a timestamptz as text in its own TimeZone)
SELECT count(*), md5(string_agg(concat_ws('|', f.batch_id, f.reference_id, f.target, f.request_variables,
           f.request_status, f.call_manager_sid, extract(epoch FROM f.created_at), extract(epoch FROM f.sent_at),
           f.attempt_count, f.session_id, f.conversation_id, f.target_kind, f.channel_manager_status,
           f.insights_status, f.insights, f.line_type, f.enrichment, f.sid_name), e'\n' ORDER BY f.batch_id, f.reference_id))
FROM results t, comm_result_all_fields(t.r) f;

-- storage format versions (the first byte of the binary form is the stored form's version)
SELECT get_byte(comm_result_send(r), 0) AS version, count(*) FROM results GROUP BY 1 ORDER BY 1;
