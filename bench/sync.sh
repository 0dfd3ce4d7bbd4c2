#!/usr/bin/env bash
# comm-result-sync's throughput on a 100,000-record batch from a local fake
# of the API into a throwaway cluster, against its parts: the transfer
# alone, comm_results_checked alone, the recipe alone (bench/sync_bench.py
# says what each measures).
#
#   bench/sync.sh                        100,000 records, 3 rounds
#   RECORDS=20000 ROUNDS=1 bench/sync.sh  quicker
#   RATES=0 bench/sync.sh                loopback speed only (default 0,50,12.5 MB/s)
#
# Builds and installs into a private installation (test/lib/cluster.sh); the
# cluster listens on a Unix socket in a fresh /tmp directory and is stopped
# on exit, also after a failure.  The fake API listens on 127.0.0.1 and
# stops with the script (and by itself after 30 minutes).
source "$(dirname "${BASH_SOURCE[0]}")/../test/lib/cluster.sh"

cr_require server psycopg
cr_cluster_start
"$CR_PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE cr_sync_bench"
export PGDATABASE=cr_sync_bench
"$CR_PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION comm_result"
cr_log "server $("$CR_PGBIN/postgres" --version), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 "$CR_ROOT/bench/sync_bench.py" \
	--records "${RECORDS:-100000}" --rounds "${ROUNDS:-3}" --rates "${RATES:-0,50,12.5}"
