# shellcheck shell=bash disable=SC2154 # newest, and lib.sh's SQL and queries: set before this is sourced
# Part 1 of the upgrade suite (sourced by test/upgrade/upgrade.sh): from the
# first version, with today's library.  A database that installed 1.0,
# filled data and ran ALTER EXTENSION comm_result UPDATE must equal a fresh
# install of the newest version given the same data (extension version and
# members, pg_dump --schema-only, data, behaviour, amcheck).

first=$(cd "$(cr_dir sharedir)/extension" && printf "%s\n" comm_result--*.sql | sed -n 's/^comm_result--\([0-9.]*\)\.sql$/\1/p' | sort -V | head -n 1)
cr_log "upgrading from $first to $newest"

fill="
CREATE TABLE results (r comm_result NOT NULL, s comm_status, st comm_batch_state);
CREATE UNIQUE INDEX results_key ON results ((batch_id(r)), (reference_id(r)));
CREATE INDEX results_r ON results (r);
CREATE INDEX results_h ON results USING hash (r);
CREATE TRIGGER results_guard BEFORE UPDATE ON results FOR EACH ROW EXECUTE FUNCTION comm_result_guard();
CREATE VIEW report AS SELECT batch_id(r) AS batch, comm_batch_summary(r) AS s FROM results GROUP BY 1;
INSERT INTO results
SELECT comm_result('20250117.' || i % 5, i::text, '+1512555' || lpad(i::text, 4, '0'), jsonb_build_object('i', i),
                   (ARRAY['PENDING','INITIATED','COMPLETED']::comm_status[])[1 + i % 3],
                   attempt_count => CASE WHEN i % 3 = 0 THEN 0 ELSE 1 END),
       'PENDING', '(0,0,0,0,0,0,0,0,0,0,0,0,,,,)'
FROM generate_series(1, 1000) i;
"

createdb upgraded
createdb fresh
psql_db upgraded -c "CREATE EXTENSION comm_result VERSION '$first'" -c "$fill" -c "ALTER EXTENSION comm_result UPDATE"
psql_db fresh -c "CREATE EXTENSION comm_result" -c "$fill"

check "upgraded database is at $newest" test "$(version_of upgraded)" = "$newest"
check "fresh database is at $newest" test "$(version_of fresh)" = "$newest"

members="SELECT pg_describe_object(classid, objid, 0) FROM pg_depend
         WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'comm_result') AND deptype = 'e' ORDER BY 1"
check "same extension members" diff <(q upgraded "$members") <(q fresh "$members")

dump() { "$CR_PGBIN/pg_dump" --schema-only --no-owner -d "$1" | grep -v '^\\\(un\)\?restrict '; }
check "same pg_dump --schema-only" diff <(dump upgraded) <(dump fresh)

sums="SELECT md5(string_agg(r::text || s::text || st::text, ',' ORDER BY r)) FROM results"
check "same data" test "$(q upgraded "$sums")" = "$(q fresh "$sums")"

work="UPDATE results SET r = comm_result_transition(r, 'INITIATED', '2025-01-17 09:00:00+00') WHERE request_status(r) = 'PENDING';
      SELECT md5(string_agg(s::text, ',' ORDER BY batch)) FROM report"
check "same behaviour after the update" \
	test "$(q upgraded "$work" | tail -n 1)" = "$(q fresh "$work" | tail -n 1)"
check "amcheck passes on the upgraded indexes" psql_db upgraded -c "CREATE EXTENSION amcheck" \
	-c "SELECT bt_index_check('results_key', true), bt_index_check('results_r', true)"
