#!/usr/bin/env bash
# The package as a user gets it, inside a copy of a root that has only
# postgresql-$CR_PG_MAJOR (test/debian/run.sh makes it and runs this as root
# there): /tmp/debs holds this version's .deb, /tmp/debs/other the other
# versions' .debs, /build/comm_result the source tree (for the regression
# inputs, the autopkgtest and "make deb").  Ends with
# "installed NN: N passed, M failed".
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"
v=$CR_PG_MAJOR
NAME="installed $v"
source "$CR_ROOT/test/lib/checks.sh"
trap 'checks_aborted $?' EXIT
pkg=postgresql-$v-comm-result
LOG=$(mktemp -d /tmp/comm_result_installed.XXXXXX)

status_of() { dpkg-query -W -f '${Status}' "$1" 2>/dev/null || true; }
# psql as the cluster's superuser, or as another role with -U; unaligned.
psql_as() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
# check_refused WHAT PATTERN COMMAND...: COMMAND fails and its output
# matches the extended regexp PATTERN.
check_refused() {
	local what=$1 pattern=$2 out rc=0
	shift 2
	out=$("$@" 2>&1) || rc=$?
	if [ "$rc" -ne 0 ] && grep -qE "$pattern" <<<"$out"; then
		ok "$what"
	else
		bad "$what: exit status $rc, output: $(tail -n 5 <<<"$out")"
	fi
}

# --- the root: a server, its client, nothing to build with ------------------
check_eq "only PostgreSQL $v is installed" "$v" "$(cd /usr/lib/postgresql && echo *)"
check_eq "no compiler" "" "$(command -v gcc cc clang c99 || true)"
check_eq "no server headers" "" "$(ls -d /usr/include/postgresql/*/server 2>/dev/null || true)"

# --- apt installs the package; everything it needs is already there ---------
deb=$(ls /tmp/debs/"$pkg"_*.deb)
# (Not --no-download: apt 2.6 then refuses a local .deb.)
if apt-get install -y -q "$deb" >"$LOG/install.log" 2>&1; then
	ok "apt installs ${deb##*/}"
else
	bad "apt-get install ${deb##*/}: $(tail -n 5 "$LOG/install.log")"
fi
check_eq "and nothing else" "0 upgraded, 1 newly installed, 0 to remove and 0 not upgraded." \
	"$(grep -E '^[0-9]+ upgraded, ' "$LOG/install.log")"
check_eq "$pkg is installed" "install ok installed" "$(status_of "$pkg")"
pkglib=$("$PG_CONFIG" --pkglibdir)
extdir=$("$PG_CONFIG" --sharedir)/extension
check_eq "comm_result.so and the control file are in the server's directories" "yes" \
	"$([ -f "$pkglib/comm_result.so" ] && [ -f "$extdir/comm_result.control" ] && echo yes)"
newest=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$CR_ROOT/comm_result.control")
check_eq "the installed control file is the tree's" "$(cat "$CR_ROOT/comm_result.control")" \
	"$(cat "$extdir/comm_result.control")"

# --- a database owner, not a superuser, creates it (trusted) ------------------
# (the server's own files, with the package installed: no private installation)
export CR_SYSTEM_INSTALL=1
cr_cluster_start
trap 'rc=$?; cr_cluster_stop; checks_aborted $rc' EXIT
psql_as -c "CREATE ROLE cr_owner LOGIN" -c "CREATE ROLE cr_other LOGIN" \
	-c "CREATE DATABASE app OWNER cr_owner" -c "CREATE DATABASE app2 OWNER cr_owner" \
	-c "CREATE DATABASE upd OWNER cr_owner"
check_eq "the owner of a database, not a superuser, creates the extension" "f|$newest" \
	"$(psql_as -U cr_owner -d app -c 'CREATE EXTENSION comm_result' \
		-c "SELECT rolsuper, extversion FROM pg_extension, pg_roles
		    WHERE extname = 'comm_result' AND rolname = current_user" 2>&1)"
check_eq "and uses it" "b|r|COMPLETED" \
	"$(psql_as -U cr_owner -d app -c "SELECT batch_id(r), reference_id(r), request_status(r)
		FROM (SELECT '{\"batch_id\":\"b\",\"reference_id\":\"r\",\"target\":\"5550100\",\"request_variables\":{},\"request_status\":\"COMPLETED\"}'::comm_result AS r) s" 2>&1)"
check_refused "a role that does not own the database cannot create it" \
	'permission denied to create extension "comm_result"' \
	psql_as -U cr_other -d app2 -c 'CREATE EXTENSION comm_result'

# --- the regression suite against the installed files -------------------------
# pg_regress from postgresql-client-NN's PGXS, with the Makefile's REGRESS
# (every sql_tests/*.sql) and REGRESS_OPTS, from the top of the tree (the
# tests read examples/ relative to it).
pg_regress=$pkglib/pgxs/src/test/regress/pg_regress
tests=()
for f in "$CR_ROOT"/sql_tests/*.sql; do
	f=${f##*/}
	tests+=("${f%.sql}")
done
read -r -a regress_opts <<<"$(sed -n 's/^REGRESS_OPTS = //p' "$CR_ROOT/Makefile")"
rc=0
(cd "$CR_ROOT" && "$pg_regress" --bindir="$("$PG_CONFIG" --bindir)" "${regress_opts[@]}" \
	--outputdir="$LOG/regress" --dbname=contrib_regression "${tests[@]}") >"$LOG/regress.log" 2>&1 || rc=$?
total=$(grep -cE '^(not )?ok |^test ' "$LOG/regress.log" || true)
failed=$(grep -cE '^not ok |\.\.\. FAILED' "$LOG/regress.log" || true)
check_eq "pg_regress runs every sql_tests/*.sql" "${#tests[@]}" "$total"
if [ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]; then
	ok "the regression suite passes against the installed package ($total tests)"
else
	bad "the regression suite: $failed of $total failed (exit status $rc)"
	cat "$LOG/regress.log" "$LOG/regress/regression.diffs" 2>/dev/null | tail -n 80
fi

# --- ALTER EXTENSION ... UPDATE from the oldest version -----------------------
oldest=$(ls "$extdir" | sed -n 's/^comm_result--\([0-9.]*\)\.sql$/\1/p' | sort -V | head -n 1)
value='{"batch_id":"20250117.9","reference_id":"12345","target":"user@email.com","request_variables":{"a":1},"request_status":"INITIATED","attempt_count":1}'
before=$(psql_as -U cr_owner -d upd -c "CREATE EXTENSION comm_result VERSION '$oldest'" \
	-c "CREATE TABLE t (r comm_result)" -c "INSERT INTO t VALUES ('$value')" \
	-c "SELECT extversion FROM pg_extension WHERE extname = 'comm_result'" -c "SELECT r FROM t" 2>&1 || true)
after=$(psql_as -U cr_owner -d upd -c "ALTER EXTENSION comm_result UPDATE" \
	-c "SELECT extversion FROM pg_extension WHERE extname = 'comm_result'" -c "SELECT r FROM t" 2>&1 || true)
check_eq "the owner creates version $oldest" "$oldest" "$(head -n 1 <<<"$before")"
check_eq "ALTER EXTENSION comm_result UPDATE goes from $oldest to $newest and keeps the data" \
	"$(printf '%s\n%s' "$newest" "$(tail -n 1 <<<"$before")")" "$after"

# --- the autopkgtest, with its test dependencies ------------------------------
# (debian/tests/control: make, and pg_buildext, in postgresql-common-dev on
# Debian 13 and later.)
need=(make)
command -v pg_buildext >/dev/null || need+=(postgresql-common-dev)
{ apt-get install -y -q "${need[@]}" ||
	{ apt-get -o Acquire::Check-Valid-Until=false update -q && apt-get install -y -q "${need[@]}"; }; } \
	>"$LOG/apt-test-deps.log" 2>&1 || true
rc=0
(cd "$CR_ROOT" && AUTOPKGTEST_TMP=$(mktemp -d) debian/tests/installcheck) >"$LOG/autopkgtest.log" 2>&1 || rc=$?
if [ "$rc" -eq 0 ] && grep -qx "### End $v installcheck ###" "$LOG/autopkgtest.log"; then
	ok "the autopkgtest (debian/tests/installcheck) passes: $(grep -cE '^(not )?ok |^test ' "$LOG/autopkgtest.log") tests"
else
	bad "the autopkgtest: exit status $rc"
	tail -n 60 "$LOG/autopkgtest.log"
fi

# --- comm-result-sync, from its own package -----------------------------------
# It brings python3 and python3-psycopg; then --help, the man page and the
# examples, and a sync from a fake of the API on 127.0.0.1 (the tree's
# clients/sync/test/fakeapi.py) into "app", as its owner, not a superuser.
sync_deb=$(ls /tmp/debs/comm-result-sync_*_all.deb 2>/dev/null || true)
if [ -n "$sync_deb" ] && { apt-get install -y -q "$sync_deb" ||
	{ apt-get -o Acquire::Check-Valid-Until=false update -q && apt-get install -y -q "$sync_deb"; }; } \
	>"$LOG/sync-install.log" 2>&1; then
	ok "apt installs ${sync_deb##*/}, with python3-psycopg"
else
	bad "apt-get install comm-result-sync: $(tail -n 5 "$LOG/sync-install.log" 2>/dev/null)"
fi
check_eq "comm-result-sync is on the PATH" /usr/bin/comm-result-sync "$(command -v comm-result-sync || true)"
check_eq "--version names the release" "comm-result-sync ${newest}.0" "$(comm-result-sync --version 2>&1 | sed 's/\.[0-9]*$/.0/')"
help=$(comm-result-sync --help 2>&1 || true)
check_eq "--help names the key's two sources" "yes" \
	"$(grep -q SYLLABLE_API_KEY <<<"$help" && grep -q -- '--api-key-file FILE' <<<"$help" && echo yes)"
check_eq "the man page and the examples are installed" "yes" \
	"$([ -f /usr/share/man/man1/comm-result-sync.1.gz ] &&
		[ -f /usr/share/doc/comm-result-sync/examples/comm-result-sync.timer ] &&
		[ -f /usr/share/doc/comm-result-sync/examples/comm-result-sync.cron ] && echo yes)"
key=$LOG/sync-key
echo "sync-test-key-0123456789" >"$key"
chmod 600 "$key"
python3 "$CR_ROOT/clients/sync/test/fakeapi.py" --key-file "$key" --batches 2 --records 50 \
	--port-file "$LOG/port" --seconds 300 >/dev/null 2>&1 &
fake=$!
for _ in $(seq 100); do [ -f "$LOG/port" ] && break; sleep 0.2; done
port=$(cat "$LOG/port" 2>/dev/null || echo 9)
sync_run() { PGUSER=cr_owner PGDATABASE=app comm-result-sync --api-url "http://127.0.0.1:$port" --api-key-file "$key" "$@" 2>&1; }
out=$(sync_run) && rc=0 || rc=$?
check_eq "comm-result-sync syncs two batches from the fake API" \
	"0|comm-result-sync: 2 batches synced, 0 failed, 0 finished and unchanged" "$rc|$(tail -n 1 <<<"$out" | cut -d';' -f1)"
check_eq "every request is a row, once" "100" "$(psql_as -d app -c 'SELECT count(*) FROM results' 2>&1)"
out=$(sync_run --json) || true
check_eq "a second sync changes nothing" "0" \
	"$(tail -n 1 <<<"$out" | python3 -c 'import json, sys; print(json.load(sys.stdin)["loaded"])' 2>&1)"
kill "$fake" 2>/dev/null || true
wait "$fake" 2>/dev/null || true

# --- apt removes it; the server keeps working --------------------------------
if apt-get remove -y -q "$pkg" >"$LOG/remove.log" 2>&1; then
	ok "apt removes $pkg"
else
	bad "apt-get remove $pkg: $(tail -n 5 "$LOG/remove.log")"
fi
check_eq "its files are gone" "" "$(ls "$pkglib/comm_result.so" "$extdir"/comm_result* 2>/dev/null || true)"
check_eq "postgresql-$v is still installed" "install ok installed" "$(status_of "postgresql-$v")"
check_eq "the running server still answers" "1" "$(psql_as -d app -c 'SELECT 1' 2>&1)"
cr_as_pg "$CR_PGBIN/pg_ctl" -D "$CR_PGDATA" -m fast -w -t 60 restart >/dev/null
check_eq "the server restarts and answers" "1" "$(psql_as -d app -c 'SELECT 1' 2>&1)"
check_refused "CREATE EXTENSION comm_result now fails: the extension is not available" \
	'extension "comm_result" is not available|could not open extension control file ".*comm_result.control"' \
	psql_as -d app2 -c 'CREATE EXTENSION comm_result'
cr_cluster_stop

# --- the other versions' packages are refused --------------------------------
dpkg_tried=
for other in /tmp/debs/other/*.deb; do
	[ -f "$other" ] || continue
	w=${other##*/postgresql-}
	w=${w%%-*}
	# apt 2: "Depends: postgresql-W but it is not installable"; apt 3:
	# "Depends postgresql-W (> X)", then "but none of the choices are installable".
	check_refused "apt refuses ${other##*/}: postgresql-$w is not installed" \
		"Depends:? postgresql-$w( \\([^)]*\\))?( but it is not installable)?\$" \
		apt-get install -y -q "$other"
	check_eq "and leaves it uninstalled" "" "$(status_of "postgresql-$w-comm-result")"
	[ -z "$dpkg_tried" ] || continue
	dpkg_tried=1
	check_refused "dpkg -i refuses to configure ${other##*/}" \
		"dependency problems prevent configuration of postgresql-$w-comm-result" \
		dpkg -i "$other"
	check_eq "which it leaves unconfigured" "no" \
		"$([ "$(status_of "postgresql-$w-comm-result")" = "install ok installed" ] && echo yes || echo no)"
	dpkg --purge "postgresql-$w-comm-result" >/dev/null 2>&1 || true
	check_eq "and dpkg --purge takes its files away again" "$v" "$(cd /usr/lib/postgresql && echo *)"
done

# --- make deb without postgresql-server-dev-all --------------------------------
check_refused "make deb without postgresql-server-dev-all names it" \
	'^make deb: postgresql-server-dev-all is not installed .*: sudo apt-get install postgresql-server-dev-all' \
	make -s -C "$CR_ROOT" deb
out=$(make -s -C "$CR_ROOT" deb 2>&1 || true)
check_eq "and says nothing else but make's own last line" "" \
	"$(grep -vE '^make deb: |^make: \*\*\* \[Makefile:[0-9]+: deb\] Error 1$' <<<"$out" || true)"

# ... and with postgresql-server-dev-all but no server headers of a version
# in debian/pgversions (as on a release whose PostgreSQL is older than 15):
# the package forced in without its dependencies.
dev_all() {
	(cd "$LOG" && { apt-get download -q postgresql-server-dev-all ||
		{ apt-get -o Acquire::Check-Valid-Until=false update -q && apt-get download -q postgresql-server-dev-all; }; }) &&
		dpkg --force-depends -i "$LOG"/postgresql-server-dev-all_*.deb
}
if dev_all >"$LOG/dev-all.log" 2>&1; then
	check_refused "make deb without server headers says so and names postgresql-server-dev-all" \
		'^make deb: no server headers of PostgreSQL 15 to 18 are installed: sudo apt-get install postgresql-server-dev-all' \
		make -s -C "$CR_ROOT" deb
else
	bad "could not force postgresql-server-dev-all in: $(tail -n 3 "$LOG/dev-all.log")"
fi

rm -rf "$LOG"
finish
