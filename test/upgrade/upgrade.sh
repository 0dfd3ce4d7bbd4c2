#!/usr/bin/env bash
# The upgrade path: a database that installed 1.0, filled data and ran
# ALTER EXTENSION comm_result UPDATE must equal a fresh install of the
# newest version given the same data: same extension version and members,
# same pg_dump --schema-only output, same data.  Assumes the extension is
# installed (make install).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"

passed=0
failed=0
check() {
	local name=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
		echo "ok: $name"
	else
		failed=$((failed + 1))
		echo "FAILED: $name"
	fi
}

cr_cluster_start
psql_db() { psql -X -q -v ON_ERROR_STOP=1 -d "$@"; }

first=$(ls "$("$PG_CONFIG" --sharedir)/extension/" | sed -n 's/^comm_result--\([0-9.]*\)\.sql$/\1/p' | sort -V | head -n 1)
newest=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$CR_ROOT/comm_result.control")
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

cr_as_pg "$CR_PGBIN/createdb" -h "$PGHOST" -p "$PGPORT" upgraded
cr_as_pg "$CR_PGBIN/createdb" -h "$PGHOST" -p "$PGPORT" fresh
psql_db upgraded -c "CREATE EXTENSION comm_result VERSION '$first'" -c "$fill" -c "ALTER EXTENSION comm_result UPDATE"
psql_db fresh -c "CREATE EXTENSION comm_result" -c "$fill"

version_of() { psql -X -At -d "$1" -c "SELECT extversion FROM pg_extension WHERE extname = 'comm_result'"; }
check "upgraded database is at $newest" test "$(version_of upgraded)" = "$newest"
check "fresh database is at $newest" test "$(version_of fresh)" = "$newest"

members="SELECT pg_describe_object(classid, objid, 0) FROM pg_depend
         WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'comm_result') AND deptype = 'e' ORDER BY 1"
check "same extension members" diff <(psql -X -At -d upgraded -c "$members") <(psql -X -At -d fresh -c "$members")

dump() { "$CR_PGBIN/pg_dump" --schema-only --no-owner -d "$1" | grep -v '^\\\(un\)\?restrict '; }
check "same pg_dump --schema-only" diff <(dump upgraded) <(dump fresh)

sums="SELECT md5(string_agg(r::text || s::text || st::text, ',' ORDER BY r)) FROM results"
check "same data" test "$(psql -X -At -d upgraded -c "$sums")" = "$(psql -X -At -d fresh -c "$sums")"

work="UPDATE results SET r = comm_result_transition(r, 'INITIATED', '2025-01-17 09:00:00+00') WHERE request_status(r) = 'PENDING';
      SELECT md5(string_agg(s::text, ',' ORDER BY batch)) FROM report"
check "same behaviour after the update" \
	test "$(psql -X -At -d upgraded -c "$work" | tail -n 1)" = "$(psql -X -At -d fresh -c "$work" | tail -n 1)"
check "amcheck passes on the upgraded indexes" psql_db upgraded -c "CREATE EXTENSION amcheck" \
	-c "SELECT bt_index_check('results_key', true), bt_index_check('results_r', true)"

echo "upgrade: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
