#!/usr/bin/env bash
# The comm_result demo, start to finish: install what the build needs, build
# and install the extension, start a throwaway PostgreSQL cluster, and run
# demo.sql on examples/results.jsonl.  The cluster is removed on exit.
#
#     examples/demo.sh                   # from anywhere; root or sudo-able
#     examples/demo.sh other.jsonl       # the same demo on another file
#
# psql runs as you and \copy reads the file on the client side, so neither
# the checkout nor the file has to be readable by the postgres user.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../test/lib/cluster.sh
. "$here/../test/lib/cluster.sh"

results=${1:-$here/results.jsonl}
[ -r "$results" ] || { echo "demo.sh: cannot read $results" >&2; exit 1; }
results=$(cd "$(dirname "$results")" && pwd)/$(basename "$results")

cr_require build
cr_build_install
cr_cluster_start
"$CR_PGBIN/psql" -X -v ON_ERROR_STOP=1 -v results="$results" -v today="$here/today_response.json" \
	-v checked="$here/response_20260305.json" -f "$here/demo.sql"
