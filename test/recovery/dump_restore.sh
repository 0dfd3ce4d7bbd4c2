#!/usr/bin/env bash
# Dump and restore of databases full of comm_result objects.
#
# Fills two databases:
#   cr_pub  the extension in "public": a table with comm_result, comm_status
#           and comm_batch_state columns, a stored generated column, the
#           recommended unique expression index, an expression index, the
#           guard trigger, examples/reporting.sql (views, counter table,
#           statement triggers), a history table with a btree and a hash index
#           on the comm_result column, a list-partitioned table (README,
#           "Scaling out"), a hash-partitioned one, a view, a materialized
#           view and an aggregate over comm_batch_state;
#   cr_rel  the same objects in schema "app" with the extension relocated to
#           its own schema "ext" (CREATE EXTENSION comm_result SCHEMA ext).
# Values include Unicode, JSON escapes and control characters, explicit
# nulls, absent fields, and large (compressed and out-of-line) values.
#
# Each is dumped with pg_dump -Fc and restored with pg_restore into a fresh
# database, then compared: row counts and md5 checksums over ::text of every
# table, partition and view; pg_dump --schema-only of both; amcheck
# bt_index_check(heapallindexed) on every btree index; the hash index by
# forced index look-ups; the guard and the triggers still working; and a
# COPY ... (FORMAT binary) round trip of every table into an empty copy.
#
# Usage: test/recovery/dump_restore.sh   (extension installed; root or postgres)
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"
set -euo pipefail

NAME=dump_restore
source "$(dirname "${BASH_SOURCE[0]}")/../lib/checks.sh"

cr_require build
cr_cluster_start -c fsync=off -c synchronous_commit=off -c max_wal_size=1GB
# a step that stops the script still prints the summary line; the cluster is always stopped
trap 'rc=$?; checks_aborted "$rc"; cr_cluster_stop; exit $rc' EXIT
PGB=$CR_PGBIN
FILES=$(cr_server_dir)
export PGOPTIONS='-c client_min_messages=warning'

# q DB SEARCH_PATH SQL: one query, unaligned, tuples only, stops on error
q() {
	PGOPTIONS="$PGOPTIONS -c search_path=$2" "$PGB/psql" -X -q -v ON_ERROR_STOP=1 -At -d "$1" -c "$3"
}

# ---------------------------------------------------------------- fill
# The DDL is run with search_path set so that unqualified names resolve to
# the extension's schema, as an application would write it; pg_dump must
# qualify everything itself.
fill_sql() {
	cat <<'SQL'
CREATE TABLE results (
    id      bigint NOT NULL,
    r       comm_result NOT NULL,
    status  comm_status,
    state   comm_batch_state,
    ref     text GENERATED ALWAYS AS (reference_id(r)) STORED,
    summary text GENERATED ALWAYS AS (coalesce(request_status(r)::text, 'PENDING') || '/' || attempt_count(r)) STORED,
    CHECK (attempt_count(r) >= 0 AND target_kind(r) IN ('phone', 'email'))
);
CREATE UNIQUE INDEX results_key ON results ((batch_id(r)), (reference_id(r)));
CREATE INDEX results_status_idx ON results ((request_status(r)), (attempt_count(r)), (created_at(r)));
CREATE INDEX results_status_col ON results (status);
CREATE INDEX results_ref ON results (ref);
CREATE INDEX results_var ON results ((request_variable(r, 'first_name')));
CREATE TRIGGER results_guard BEFORE UPDATE ON results
    FOR EACH ROW EXECUTE FUNCTION comm_result_guard();
SQL
	cat "$CR_ROOT/examples/reporting.sql"
	cat <<'SQL'
-- a history of snapshots: btree and hash index on the value itself
CREATE TABLE history (seq bigint NOT NULL, h comm_result NOT NULL);
CREATE INDEX history_btree ON history (h);
CREATE INDEX history_hash ON history USING hash (h);

-- list partitions by a plain batch_id column (README, "Scaling out")
CREATE TABLE results_p (
    r comm_result NOT NULL,
    batch_id text NOT NULL CHECK (batch_id = batch_id(r)),
    reference_id text GENERATED ALWAYS AS (reference_id(r)) STORED,
    PRIMARY KEY (batch_id, reference_id)
) PARTITION BY LIST (batch_id);
CREATE TABLE results_p_a PARTITION OF results_p FOR VALUES IN ('20250117.1');
CREATE TABLE results_p_b PARTITION OF results_p FOR VALUES IN ('20250117.2', '20250117.10');
CREATE TABLE results_p_rest PARTITION OF results_p DEFAULT;
CREATE INDEX results_p_status ON results_p ((request_status(r)));
CREATE TRIGGER results_p_guard BEFORE UPDATE ON results_p
    FOR EACH ROW EXECUTE FUNCTION comm_result_guard();

-- hash partitions by the expression, a unique key in each partition
CREATE TABLE results_h (r comm_result NOT NULL) PARTITION BY HASH ((batch_id(r)));
CREATE TABLE results_h0 PARTITION OF results_h FOR VALUES WITH (MODULUS 3, REMAINDER 0);
CREATE TABLE results_h1 PARTITION OF results_h FOR VALUES WITH (MODULUS 3, REMAINDER 1);
CREATE TABLE results_h2 PARTITION OF results_h FOR VALUES WITH (MODULUS 3, REMAINDER 2);
CREATE UNIQUE INDEX results_h0_key ON results_h0 ((batch_id(r)), (reference_id(r)));
CREATE UNIQUE INDEX results_h1_key ON results_h1 ((batch_id(r)), (reference_id(r)));
CREATE UNIQUE INDEX results_h2_key ON results_h2 ((batch_id(r)), (reference_id(r)));

-- hash partitions by the value itself (comm_result_hash_extended)
CREATE TABLE results_hv (r comm_result NOT NULL) PARTITION BY HASH (r);
CREATE TABLE results_hv0 PARTITION OF results_hv FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE results_hv1 PARTITION OF results_hv FOR VALUES WITH (MODULUS 2, REMAINDER 1);

CREATE AGGREGATE batch_state_agg(comm_result) (
    SFUNC = comm_batch_state_add, STYPE = comm_batch_state,
    COMBINEFUNC = comm_batch_state_combine,
    INITCOND = '(0,0,0,0,0,0,0,0,0,0,0,0,,,,)', PARALLEL = SAFE);
CREATE TABLE batch_states (batch_id text PRIMARY KEY, st comm_batch_state NOT NULL);

CREATE VIEW results_v AS
SELECT t.id, f.*, t.r::jsonb AS j, t.r = t.r AS same, t.status < 'COMPLETED'::comm_status AS before_completed
FROM results t, comm_result_fields(t.r) f;

CREATE VIEW transitions_v AS
SELECT id, comm_result_transition(r, 'CANCELED', '2025-01-01 00:00:00+00') AS canceled
FROM results WHERE comm_status_can_transition(request_status(r), 'CANCELED');

-- a default that calls the constructor, a CHECK that calls the type
CREATE TABLE defaults (
    id int PRIMARY KEY,
    r comm_result NOT NULL DEFAULT comm_result('d', 'default', '5550100', '{"x":1}', 'PENDING'::comm_status),
    CHECK (comm_result_is_valid(r::text))
);

-- ------------------------------------------------------------ data
SET TimeZone = 'America/Sao_Paulo';   -- input must not depend on it
INSERT INTO results (id, r)
SELECT i, comm_result(
        '20250117.' || (i % 13),
        'ref' || i,
        CASE WHEN i % 3 = 0 THEN 'user' || i || '@example.com'
             WHEN i % 3 = 1 THEN '+1 (555) 010-' || lpad((i % 10000)::text, 4, '0')
             ELSE 'tel:+4930' || lpad(i::text, 8, '0') END,
        jsonb_build_object('first_name', 'n' || i, 'n', i, 'f', (i / 7.0)::numeric(12, 3), 'arr', jsonb_build_array(i, 'x', NULL, true)),
        (ARRAY['PENDING','DUPLICATE','INITIATED','CONNECTED','COMPLETED','FAILED','CANCELED','INVALID','SKIPPED'])[1 + i % 9]::comm_status,
        CASE WHEN i % 4 = 0 THEN NULL ELSE 'LM' || md5(i::text) END,
        '2024-01-01 00:00:00+00'::timestamptz + i * interval '1 minute 1.000123 second',
        CASE WHEN i % 5 = 0 THEN NULL ELSE '2024-06-01 00:00:00+00'::timestamptz + i * interval '17 second' END,
        i % 4,
        CASE WHEN i % 6 = 0 THEN NULL ELSE i::bigint * 1000003 END,
        CASE WHEN i % 7 = 0 THEN NULL ELSE 9223372036854775807 - i END)
FROM generate_series(1, 3000) i;

-- hand-written values: Unicode, escapes, explicit nulls, absent fields
INSERT INTO results (id, r) VALUES
 (100001, '{"batch_id":"lot-ünïcødé-日本","reference_id":"参照-1 😀","target":"用户@例子.广告","request_variables":{"名前":"José García 🎉","emoji":"👩‍👩‍👧","rtl":"שלום","comb":"e\u0301"},"request_status":"COMPLETED","created_at":"2024-02-29T23:59:60+05:30","attempt_count":1}'),
 (100002, '{"batch_id":"esc","reference_id":"line\nbreak\t\"quoted\" back\\slash \u00e9 \u0001 \/","target":"\"quoted local\"@example.com","request_variables":{"k\"ey":"v\\al\n","ctl":"\u001f\u007f","uni":"\u2028\u2029\ud83d\ude00","":"empty key","nested":{"a":[1,2.50,-0,1e5,{"b":null}]}},"call_manager_sid":" spaced sid ","attempt_count":0}'),
 (100003, '{"batch_id":"nulls","reference_id":"all-null","target":"5550100","request_variables":{},"request_status":null,"call_manager_sid":null,"created_at":null,"sent_at":null,"attempt_count":null,"session_id":null,"conversation_id":null}'),
 (100004, '{"batch_id":"nulls","reference_id":"some-null","target":"josé.garcía@exämple.es","request_variables":{"v":null},"request_status":"FAILED","call_manager_sid":null,"sent_at":null,"session_id":0,"conversation_id":null,"attempt_count":2147483647,"created_at":"0001-01-01T00:00:00.000001Z"}'),
 (100005, '{"batch_id":"absent","reference_id":"bare","target":"tel:+15550100199","request_variables":{}}'),
 (100006, '{"batch_id":"  lead and trail  ","reference_id":"009","target":"UPPER.Case@Example.COM","request_variables":{"big":123456789012345678901234567890.123456789},"request_status":"INITIATED","sent_at":"9999-12-31T23:59:59.999999Z","created_at":"2024-01-01T00:00:00.1234565-03:00","attempt_count":1,"session_id":9223372036854775807,"conversation_id":9223372036854775807}'),
 (100007, '{"batch_id":"absent","reference_id":"9","target":"5550100","request_variables":{"a":"\u00a0nbsp\u00a0"},"call_manager_sid":"\u00e9"}');

-- large values: compressible (inline compressed) and incompressible (out of line)
INSERT INTO results (id, r)
SELECT 200000 + i, comm_result('large', 'big' || i, '5550100',
        jsonb_build_object('blob', repeat('x' || i, 150000), 'first_name', 'Big'),
        'PENDING'::comm_status, repeat('s', 5000))
FROM generate_series(1, 2) i;
INSERT INTO results (id, r)
SELECT 300000 + i, comm_result('large', 'rnd' || i, 'big' || i || '@example.com',
        jsonb_build_object('blob', (SELECT string_agg(md5(i::text || ':' || g), '' ORDER BY g) FROM generate_series(1, 8000) g),
                           'unicode', (SELECT string_agg(chr(1000 + (g * 7919 + i) % 20000), '' ORDER BY g) FROM generate_series(1, 20000) g)),
        'INITIATED'::comm_status, NULL, '2024-01-01 00:00:00+00', '2024-01-02 00:00:00+00', 3)
FROM generate_series(1, 3) i;

UPDATE results SET status = request_status(r),
                   state = comm_batch_state_add('(0,0,0,0,0,0,0,0,0,0,0,0,,,,)', r);

-- legal moves through the guard, so that some rows were updated
UPDATE results SET r = comm_result_transition(r, 'INITIATED', '2025-01-17 09:00:00+00', call_manager_sid => 'LMretry')
WHERE id % 10 = 5 AND comm_status_can_transition(request_status(r), 'INITIATED');
UPDATE results SET status = request_status(r);

INSERT INTO history (seq, h)
SELECT id * 10 + k, comm_result_transition(r, 'INITIATED', '2025-01-01 00:00:00+00'::timestamptz + k * interval '1 hour')
FROM results, generate_series(0, 1) k
WHERE id < 100000 AND comm_status_can_transition(request_status(r), 'INITIATED');
INSERT INTO history (seq, h) SELECT id * 10 + 9, r FROM results WHERE id < 200000;

INSERT INTO results_p (r, batch_id) SELECT r, batch_id(r) FROM results;
INSERT INTO results_h (r) SELECT r FROM results;
INSERT INTO results_hv (r) SELECT r FROM results;
INSERT INTO batch_states SELECT batch_id(r), batch_state_agg(r) FROM results GROUP BY 1;
INSERT INTO defaults (id) VALUES (1);
INSERT INTO defaults VALUES (2, '{"batch_id":"d","reference_id":"x","target":"5550100","request_variables":{},"sent_at":null}');

CREATE MATERIALIZED VIEW batch_mv AS
SELECT batch_id(h) AS batch_id, comm_batch_summary(h) AS s, comm_status_counts(h) AS c,
       batch_state_agg(h) AS st
FROM history GROUP BY 1;
CREATE UNIQUE INDEX batch_mv_key ON batch_mv (batch_id);
CREATE MATERIALIZED VIEW latest_mv AS
SELECT comm_result_latest(h) AS latest FROM history GROUP BY batch_id(h), reference_id(h);
CREATE INDEX latest_mv_latest ON latest_mv (latest);

COMMENT ON TABLE results IS 'comm_result dump/restore test: «ünïcødé»';
ANALYZE;
SQL
}

# DB SEARCH_PATH EXTENSION_SCHEMA TABLE_SCHEMA
make_db() {
	"$PGB/createdb" -T template0 "$1"
	q "$1" public "CREATE EXTENSION amcheck"
	if [ "$3" = public ]; then
		q "$1" public "CREATE EXTENSION comm_result"
	else
		q "$1" public "CREATE SCHEMA $3; CREATE EXTENSION comm_result SCHEMA $3"
	fi
	[ "$4" = public ] || q "$1" public "CREATE SCHEMA $4"
	fill_sql | PGOPTIONS="$PGOPTIONS -c search_path=$2" "$PGB/psql" -X -q -v ON_ERROR_STOP=1 -d "$1" >/dev/null
}

# ----------------------------------------------------------------- checks
# the tables, partitions, views and materialized views of a schema
relations() { # DB SCHEMA
	q "$1" public "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	               WHERE n.nspname = '$2' AND c.relkind IN ('r','p','v','m') ORDER BY 1"
}
rel_sum() { # DB SEARCH_PATH QUALIFIED_RELATION
	q "$1" "$2" "SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text, E'\n' ORDER BY t::text COLLATE \"C\")), '-') FROM $3 t"
}
# every comm_result / comm_status / comm_batch_state column, by itself, in the type's own order
col_sums() { # DB SEARCH_PATH SCHEMA
	local rel col
	q "$1" public "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
	               JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type ty ON ty.oid = a.atttypid
	               WHERE n.nspname = '$3' AND c.relkind IN ('r','p','m') AND a.attnum > 0 AND NOT a.attisdropped
	                 AND ty.typname IN ('comm_result','comm_status','comm_batch_state') ORDER BY 1, 2" |
		while IFS='|' read -r rel col; do
			local ord="$col"
			# comm_batch_state has no btree order: order by its text
			[ "$(q "$1" public "SELECT ty.typname FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid
			          WHERE a.attrelid = '$3.$rel'::regclass AND a.attname = '$col'")" = comm_batch_state ] &&
				ord="$col::text COLLATE \"C\""
			printf '%s.%s %s\n' "$rel" "$col" \
				"$(q "$1" "$2" "SELECT count($col) || ' ' || coalesce(md5(string_agg($col::text, E'\n' ORDER BY $ord NULLS FIRST)), '-') FROM $3.$rel")"
		done
}
schema_dump() { # DB
	"$PGB/pg_dump" --schema-only "$1" | grep -vE '^\\(un)?restrict ' | sed "s/\b$1\b/DBNAME/g"
}
amcheck_all() { # DB: one line per btree index: name|ok or error
	q "$1" public "SELECT c.oid::regclass FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
	               JOIN pg_am am ON am.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace
	               WHERE am.amname = 'btree' AND c.relkind = 'i' AND n.nspname NOT IN ('pg_catalog','pg_toast','information_schema')
	               ORDER BY 1::text" |
		while read -r idx; do
			if out=$(q "$1" public "SELECT bt_index_check('$idx'::regclass, true)" 2>&1); then
				echo "$idx|ok"
			else
				echo "$idx|$out" | tr '\n' ' '
				echo
			fi
		done
}

compare_db() { # LABEL SRC DST SEARCH_PATH SCHEMA EXTSCHEMA
	local label=$1 src=$2 dst=$3 sp=$4 sch=$5 ext=$6 rel a b
	echo "--- $label: $src -> pg_dump -Fc -> pg_restore -> $dst"

	check_eq "$label: extension schema after restore" "$ext" \
		"$(q "$dst" public "SELECT extnamespace::regnamespace FROM pg_extension WHERE extname = 'comm_result'")"
	check_eq "$label: same relations" "$(relations "$src" "$sch" | tr '\n' ' ')" "$(relations "$dst" "$sch" | tr '\n' ' ')"
	for rel in $(relations "$src" "$sch"); do
		a=$(rel_sum "$src" "$sp" "$sch.$rel")
		b=$(rel_sum "$dst" "$sp" "$sch.$rel")
		check_eq "$label: $rel rows and md5 over ::text (${a%% *} rows)" "$a" "$b"
		[ "${a%% *}" -gt 0 ] || bad "$label: $rel is empty"
	done
	a=$(col_sums "$src" "$sp" "$sch")
	b=$(col_sums "$dst" "$sp" "$sch")
	check_eq "$label: per-column md5 of $(echo "$a" | wc -l) comm_result/comm_status/comm_batch_state columns" "$a" "$b"

	# nothing but the original rows in the right partitions, byte-for-byte equal values
	check_eq "$label: values equal by = and by bytes (send) across databases" \
		"$(q "$src" "$sp" "SELECT md5(string_agg(id || ':' || encode(comm_result_send(r), 'hex') || ':' || comm_result_hash_extended(r, 42), ',' ORDER BY id)) FROM $sch.results")" \
		"$(q "$dst" "$sp" "SELECT md5(string_agg(id || ':' || encode(comm_result_send(r), 'hex') || ':' || comm_result_hash_extended(r, 42), ',' ORDER BY id)) FROM $sch.results")"
	check_eq "$label: every value re-reads equal (r::text::comm_result = r, jsonb round trip)" "0" \
		"$(q "$dst" "$sp" "SELECT count(*) FROM $sch.history WHERE NOT (h::text::comm_result = h AND h::jsonb::comm_result = h)")"
	check_eq "$label: large values stored out of line or compressed" "5" \
		"$(q "$dst" "$sp" "SELECT count(*) FROM $sch.results WHERE batch_id(r) = 'large' AND pg_column_size(r) < octet_length(r::text)")"
	check_eq "$label: partition routing unchanged" \
		"$(q "$src" "$sp" "SELECT string_agg(tableoid::regclass::text || ':' || count, ',' ORDER BY tableoid::regclass::text) FROM (SELECT tableoid, count(*) FROM $sch.results_hv GROUP BY 1 UNION ALL SELECT tableoid, count(*) FROM $sch.results_h GROUP BY 1 UNION ALL SELECT tableoid, count(*) FROM $sch.results_p GROUP BY 1) s")" \
		"$(q "$dst" "$sp" "SELECT string_agg(tableoid::regclass::text || ':' || count, ',' ORDER BY tableoid::regclass::text) FROM (SELECT tableoid, count(*) FROM $sch.results_hv GROUP BY 1 UNION ALL SELECT tableoid, count(*) FROM $sch.results_h GROUP BY 1 UNION ALL SELECT tableoid, count(*) FROM $sch.results_p GROUP BY 1) s")"

	# schema
	if diff <(schema_dump "$src") <(schema_dump "$dst") >"$CR_TMP/$label.schema.diff"; then
		ok "$label: pg_dump --schema-only identical ($(schema_dump "$dst" | grep -c '^CREATE') CREATE statements)"
	else
		bad "$label: pg_dump --schema-only differs:"; head -40 "$CR_TMP/$label.schema.diff"
	fi

	# indexes
	local n_idx bad_idx
	amcheck_all "$dst" >"$CR_TMP/$label.amcheck"
	n_idx=$(grep -c . "$CR_TMP/$label.amcheck" || true)
	bad_idx=$(grep -v '|ok$' "$CR_TMP/$label.amcheck" || true)
	if [ -z "$bad_idx" ] && [ "$n_idx" -ge 10 ]; then
		ok "$label: bt_index_check(heapallindexed) on all $n_idx btree indexes"
	else
		bad "$label: amcheck over $n_idx btree indexes: $bad_idx"
	fi
	check_eq "$label: hash index finds every row (forced index scan)" "0" \
		"$(q "$dst" "$sp" "SET enable_seqscan = off; SET enable_bitmapscan = off;
		   DO \$\$ DECLARE v record; n int; bad int := 0; BEGIN
		     FOR v IN SELECT h FROM $sch.history LOOP
		       SELECT count(*) INTO n FROM $sch.history WHERE h = v.h;
		       IF n < 1 THEN bad := bad + 1; END IF;
		     END LOOP;
		     CREATE TEMP TABLE hash_bad AS SELECT bad;
		   END \$\$;
		   SELECT bad FROM hash_bad")"
	check_eq "$label: the hash index is what that look-up uses" "1" \
		"$(q "$dst" "$sp" "SET enable_seqscan = off; SET enable_bitmapscan = off; DROP INDEX $sch.history_btree;
		   EXPLAIN SELECT count(*) FROM $sch.history WHERE h = (SELECT h FROM $sch.history LIMIT 1)" | grep -c 'Index Scan using history_hash' || true)"
	check_eq "$label: unique key still enforced" "23505" \
		"$(q "$dst" "$sp" "DO \$\$ BEGIN INSERT INTO $sch.results (id, r) SELECT -1, r FROM $sch.results WHERE id = 1;
		   EXCEPTION WHEN unique_violation THEN RAISE WARNING '23505'; END \$\$" 2>&1 | grep -o 23505 || true)"

	# the restored objects still work: same statements on both sides give the same result
	local upd="SET TimeZone = 'UTC';
		UPDATE $sch.results SET r = comm_result_transition(r, 'COMPLETED', '2025-02-01 00:00:00+00'), status = 'COMPLETED'
		WHERE request_status(r) IN ('INITIATED', 'CONNECTED');
		UPDATE $sch.results_p SET r = comm_result_merge(r, comm_result_transition(r, 'CANCELED', '2025-02-01 00:00:00+00'))
		WHERE request_status(r) = 'PENDING';
		INSERT INTO $sch.defaults (id) VALUES (3);"
	q "$src" "$sp" "$upd" >/dev/null
	q "$dst" "$sp" "$upd" >/dev/null
	for rel in results results_p batch_status_counts batch_dashboard batch_report defaults; do
		check_eq "$label: after the same updates on both, $rel equal" \
			"$(rel_sum "$src" "$sp" "$sch.$rel")" "$(rel_sum "$dst" "$sp" "$sch.$rel")"
	done
	check_eq "$label: guard trigger still rejects an illegal move (23514)" "23514" \
		"$(q "$dst" "$sp" "DO \$\$ BEGIN
		     UPDATE $sch.results SET r = '{\"batch_id\":\"20250117.4\",\"reference_id\":\"ref4\",\"target\":\"+1 (555) 010-0004\",\"request_variables\":{},\"request_status\":\"PENDING\"}'
		     WHERE id = 4;
		   EXCEPTION WHEN check_violation THEN RAISE WARNING '23514'; END \$\$" 2>&1 | grep -o 23514 || true)"

	# COPY (FORMAT binary): every table of the source into an empty copy in the restored database
	local copies=0 failed=0
	q "$dst" public "CREATE SCHEMA copy_rt"
	for rel in $(q "$src" public "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	                            WHERE n.nspname = '$sch' AND c.relkind = 'r' ORDER BY 1"); do
		q "$src" "$sp" "COPY $sch.$rel TO '$FILES/$label.$rel.bin' WITH (FORMAT binary)"
		q "$dst" "$sp" "CREATE TABLE copy_rt.$rel (LIKE $sch.$rel INCLUDING ALL);
		                COPY copy_rt.$rel FROM '$FILES/$label.$rel.bin' WITH (FORMAT binary)"
		a=$(rel_sum "$src" "$sp" "$sch.$rel")
		b=$(rel_sum "$dst" "$sp" "copy_rt.$rel")
		copies=$((copies + 1))
		if [ "$a" != "$b" ]; then
			failed=$((failed + 1)); echo "  binary COPY of $rel: source [$a], copy [$b]"
		fi
	done
	check_eq "$label: COPY (FORMAT binary) round trip of $copies tables, checksums equal" "0" "$failed"
	q "$src" "$sp" "COPY (SELECT * FROM $sch.results ORDER BY id) TO '$FILES/$label.src.bin' WITH (FORMAT binary)"
	q "$dst" "$sp" "COPY (SELECT * FROM $sch.results ORDER BY id) TO '$FILES/$label.dst.bin' WITH (FORMAT binary)"
	check_eq "$label: COPY (FORMAT binary) of results byte-identical from source and restored database" \
		"$(md5sum <"$FILES/$label.src.bin")" "$(md5sum <"$FILES/$label.dst.bin")"
	check_eq "$label: binary COPY of results with client_encoding=UTF8 via psql \\copy" \
		"$(q "$src" "$sp" "\\copy (SELECT r FROM $sch.results ORDER BY id) TO STDOUT WITH (FORMAT binary)" | md5sum)" \
		"$(q "$dst" "$sp" "\\copy (SELECT r FROM copy_rt.results ORDER BY id) TO STDOUT WITH (FORMAT binary)" | md5sum)"
	a=$(amcheck_all "$dst" | grep copy_rt || true)
	if [ -n "$a" ] && ! grep -qv '|ok$' <<<"$a"; then
		ok "$label: bt_index_check(heapallindexed) on the $(grep -c . <<<"$a") indexes of the binary copies"
	else
		bad "$label: amcheck on binary copies: $a"
	fi
}

echo "--- filling databases"
make_db cr_pub public public public
make_db cr_rel app,ext ext app
ok "filled cr_pub ($(q cr_pub public "SELECT count(*) FROM results") results) and cr_rel (extension in schema ext)"

for db in cr_pub cr_rel; do
	"$PGB/pg_dump" -Fc -f "$FILES/$db.dump" "$db"
	"$PGB/createdb" -T template0 "${db}_restored"
	if "$PGB/pg_restore" --exit-on-error -d "${db}_restored" "$FILES/$db.dump" 2>"$CR_TMP/$db.restore.log"; then
		ok "$db: pg_restore without errors ($(stat -c %s "$FILES/$db.dump") byte dump)"
	else
		bad "$db: pg_restore failed: $(head -5 "$CR_TMP/$db.restore.log")"
	fi
done

compare_db pub cr_pub cr_pub_restored public public public
compare_db rel cr_rel cr_rel_restored app,ext app ext

# the relocated extension's objects are found without ext on the search_path
check_eq "rel: restored table usable with search_path=app only" "3012" \
	"$(q cr_rel_restored app "SELECT count(*) FROM results WHERE ext.comm_result_is_valid(r::text)")"

if grep -E 'PANIC|TRAP:|terminated by signal' "$CR_TMP/server.log"; then
	bad "the server log shows a crash"
else
	ok "no crash in the server log"
fi
finish
