"""The harness of the comm-result-sync tests: checks that count, one fake
API and table per test (Ctx), and the runner.  test_sync.py and
test_pieces.py hold the tests; each runs as

    /usr/bin/python3 test_NAME.py [--summary FILE] [NAME ...]
"""

import argparse
import json
import os
import subprocess
import sys
import time
import traceback

import psycopg
import psycopg.sql

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from fakeapi import FakeApi  # noqa: E402

TOOL = os.environ.get("CR_SYNC_TOOL") or os.path.join(os.path.dirname(HERE), "comm-result-sync")
KEY = "sk-test-7d1f0c2a9b8e4d3c"

COUNTS = {"passed": 0, "failed": 0}
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def check(what, cond, detail=""):
    if cond:
        COUNTS["passed"] += 1
        print(f"ok   {what}")
    else:
        COUNTS["failed"] += 1
        detail = str(detail)
        if len(detail) > 1500:
            detail = detail[:700] + f" ... ({len(detail)} characters) ... " + detail[-700:]
        print(f"FAIL {what}" + (f": {detail}" if detail else ""))
    return cond


def skip(what):
    """A check that cannot run here (no root, no pseudo-terminal): said,
    not counted."""
    print(f"skip {what}")


def check_rc(what, want, p):
    return check(what, p.returncode == want, f"exit status {p.returncode}\n{p.stdout}{p.stderr}")


def check_eq(what, want, got):
    return check(what, want == got, f"expected {want!r}, got {got!r}")


# --- running the command ------------------------------------------------------

class Ctx:
    """One test's fake API, table and helpers."""
    n = 0

    def __init__(self, name):
        Ctx.n += 1
        self.table = f"t{Ctx.n}_{name}"[:40]
        self.api = FakeApi(KEY).start()
        self.db = psycopg.connect(autocommit=True)

    def close(self):
        self.api.stop()
        self.db.close()

    def args(self, *extra, url=None):
        return ["--api-url", url or self.api.url, "--table", self.table, "--no-progress",
                "--backoff", "0.05", "--read-timeout", "5", *extra]

    def run(self, *extra, env=None, url=None, timeout=300, key=KEY):
        e = dict(os.environ, **(env or {}))
        e.pop("SYLLABLE_API_KEY", None)
        if key is not None:
            e["SYLLABLE_API_KEY"] = key
        p = subprocess.run([TOOL, *self.args(*extra, url=url)], capture_output=True, text=True,
                           env=e, timeout=timeout)
        self.last = p
        return p

    def start(self, *extra, env=None):
        e = dict(os.environ, SYLLABLE_API_KEY=KEY, **(env or {}))
        return subprocess.Popen([TOOL, *self.args(*extra)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=e)

    def q(self, query, params=None):
        return self.db.execute(query, params).fetchall()

    def q1(self, query, params=None):
        return self.db.execute(query, params).fetchone()[0]

    # --- what the database must hold ------------------------------------------

    def rows(self, batch_id=None):
        where = "" if batch_id is None else " WHERE batch_id(r) = %s"
        return self.q1(f"SELECT count(*) FROM {self.table}{where}", None if batch_id is None else [batch_id])

    def checksum(self):
        return self.q1(f"SELECT md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) FROM {self.table}")

    def rejects(self, batch_id=None):
        where = "" if batch_id is None else " WHERE batch_id = %s"
        return self.q1(f"SELECT count(*) FROM {self.table}_rejects{where}", None if batch_id is None else [batch_id])

    def expect_latest(self, batch_id, what):
        """The batch's rows are its records as the fake serves them now
        (merged per reference_id: the repeated one too), each once."""
        b = self.api.batches[batch_id]
        els = b.elements()[:len(b.elements()) - len(b.extra)]
        want = self.q1(
            "SELECT md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) FROM ("
            " SELECT comm_result_latest(comm_result_from_jsonb(e::jsonb, %s)) AS r"
            " FROM unnest(%s::text[]) e GROUP BY e::jsonb ->> 'reference_id') s", [batch_id, els])
        got = self.q1(f"SELECT md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) "
                      f"FROM {self.table} WHERE batch_id(r) = %s", [batch_id])
        keys = len({json.loads(e)["reference_id"] for e in els})
        check_eq(f"{what}: {batch_id} holds its {keys} requests once", keys, self.rows(batch_id))
        check(f"{what}: {batch_id} in its latest state", want == got)

    def log(self, batch_id=None):
        where = "" if batch_id is None else " WHERE batch_id = %s"
        return self.q(f"SELECT batch_id, http_status, records, loaded, rejected, unchanged, error, "
                      f"started_at, ended_at FROM {self.table}_sync_log{where} ORDER BY id",
                      None if batch_id is None else [batch_id])


def all_or_nothing(t, ids, sizes, what):
    ok = True
    for i in ids:
        n = t.rows(i)
        if n not in (0, sizes[i]):
            ok = False
            print(f"     {i}: {n} of {sizes[i]} rows")
    return check(f"{what}: every batch either untouched or whole", ok)


def run_test(fn):
    ctx = Ctx(fn.__name__)
    print(f"--- {fn.__name__}")
    t0 = time.monotonic()
    try:
        fn(ctx)
    except Exception:
        check(f"{fn.__name__} ran to its end", False, traceback.format_exc())
        if getattr(ctx, "last", None) is not None:
            print(ctx.last.stdout[-3000:], ctx.last.stderr[-3000:])
    finally:
        ctx.close()
        print(f"    ({time.monotonic() - t0:.1f} s)")


def lines(p):
    return [line for line in p.stdout.splitlines() if line]


def main(label):
    ap = argparse.ArgumentParser()
    ap.add_argument("--summary")
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    for fn in TESTS:
        if not a.names or fn.__name__ in a.names:
            run_test(fn)
    print(f"{label}: {COUNTS['passed']} passed, {COUNTS['failed']} failed")
    if a.summary:
        with open(a.summary, "w") as f:
            f.write(f"{COUNTS['passed']} {COUNTS['failed']}\n")
    return 0 if COUNTS["failed"] == 0 else 1
