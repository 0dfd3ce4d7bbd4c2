#!/usr/bin/env bash
# Release metadata and archive checks (test/packaging/check.py) on a clone of
# the repository's last commit, so that the working tree is left alone.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"

# check.py runs git, make dist and a -Werror build of the archive
cr_require build git python3
work=$(mktemp -d /tmp/comm_result_dist.XXXXXX)
trap 'rm -rf "$work"' EXIT
cr_git_clone "$work/clone"
python3 "$CR_ROOT/test/packaging/check.py" "$CR_ROOT" "$work/clone"
