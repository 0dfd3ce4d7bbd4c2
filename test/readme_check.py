#!/usr/bin/env python3
"""Check that README.md's lifecycle table says what comm_statuses() and
comm_status_transitions() return: every status once, in status order, with
its place in the API's listing, its rank, whether it is terminal and its
allowed next statuses; that its
channel stage table says what comm_channel_statuses() returns; and that the
client examples in README.md are, word for word, the ones in
clients/*/README.md, which the clients' own tests run and compare with their
output.

Usage: readme_check.py README.md  (psql must reach a database with the
extension; test/run.sh calls it on its throwaway cluster).
"""
import os
import re
import subprocess
import sys

readme = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r"<!-- transitions:.*?-->\n(.*?)<!-- /transitions -->", readme, re.S)
if not m:
    sys.exit("README.md has no transitions table")

documented, rows = set(), []
for line in m.group(1).splitlines():
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) < 5 or cells[0] in ("status", "---"):
        continue
    status = re.sub(r"\(.*?\)", "", cells[0]).strip()
    targets = [] if cells[4] == "none" else [t.strip() for t in cells[4].split(",")]
    rows.append((status, cells[1], cells[2], {"yes": "t", "no": "f"}.get(cells[3], cells[3])))
    documented |= {(status, t) for t in targets}


def psql(sql):
    return subprocess.run(["psql", "-X", "-At", "-F", " ", "-c", sql],
                          check=True, capture_output=True, text=True).stdout


actual = {tuple(l.split()) for l in psql(
    "SELECT from_status, to_status FROM comm_status_transitions()").splitlines() if l}
table = [tuple(l.split()) for l in psql(
    "SELECT status, listed, rank, terminal FROM comm_statuses()").splitlines() if l]

problems = []
for pair in sorted(actual - documented):
    problems.append("missing from README: %s -> %s" % pair)
for pair in sorted(documented - actual):
    problems.append("in README but not allowed: %s -> %s" % pair)
if rows != table:
    problems.append("README's statuses (status, listed, rank, terminal) differ from comm_statuses(): %s != %s"
                    % (rows, table))
checks, failed = 1, int(bool(problems))

# The channel stage table must say what comm_channel_statuses() returns.
checks += 1
m = re.search(r"<!-- channel stages:.*?-->\n(.*?)<!-- /channel stages -->", readme, re.S)
documented_stages = set()
for line in (m.group(1).splitlines() if m else []):
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) < 3 or cells[0] in ("stage", "---"):
        continue
    documented_stages |= {(v.strip(), cells[0], cells[1]) for v in cells[2].split(",")}
out = subprocess.run(["psql", "-X", "-At", "-F", " ", "-c",
                      "SELECT channel_manager_status, stage, stage_name FROM comm_channel_statuses()"],
                     check=True, capture_output=True, text=True).stdout
actual_stages = {tuple(l.split()) for l in out.splitlines() if l}
if not m or documented_stages != actual_stages:
    problems.append("README's channel stage table differs from comm_channel_statuses(): %s"
                    % sorted(documented_stages ^ actual_stages))
    failed += 1
for client in ("python", "node"):
    checks += 1
    m = re.search(r"<!-- client example: %s -->\n(.*?)<!-- /client example -->" % client,
                  readme, re.S)
    path = os.path.join(os.path.dirname(os.path.abspath(sys.argv[1])), "clients", client,
                        "README.md")
    source = open(path, encoding="utf-8").read()
    blocks = re.findall(r"```.*?```", m.group(1), re.S) if m else []
    if not blocks or not all(b in source for b in blocks):
        problems.append("README's %s client example differs from %s" % (client, path))
        failed += 1
for p in problems:
    print(p)
print("readme checks: %d passed, %d failed" % (checks - failed, failed))
sys.exit(1 if problems else 0)
