"""comm-result-sync against a local fake of the API (fakeapi.py, a real HTTP
server on 127.0.0.1) and a live database (the PG* environment that test.sh
sets; the database has the comm_result extension).

Each test runs the command as a user would, as a process, and then checks
the database: every record present once and in its latest state, the
rejects, the sync log; a second run changes nothing.  Each test has tables
of its own (--table).  Run:

    /usr/bin/python3 test_sync.py [--summary FILE] [NAME ...]
"""

import gzip
import json
import os
import pty
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

import psycopg.sql

from harness import HERE, KEY, TOOL, all_or_nothing, check, check_eq, check_rc, lines, main, skip, test

# --- the tests ------------------------------------------------------------------

@test
def first_sync_and_second_run(t):
    t.api.add("20260808.1", 30, status="ACTIVE")
    t.api.add("20260808.2", 12, status="PENDING")
    t.api.add("20260808.3", 8, status="PAUSED")
    t.api.add("20260701.1", 5, status="EXPIRED")   # finished before the first sync
    p = t.run()
    check_rc("first run exits 0", 0, p)
    for b in ("20260808.1", "20260808.2", "20260808.3"):
        t.expect_latest(b, "first run")
    check_eq("a batch that ended before the first sync is left to --since", 0, t.rows("20260701.1"))
    out = lines(p)
    check("a line per batch and a summary",
          len(out) == 4 and out[-1].startswith("comm-result-sync: 3 batches synced, 0 failed, 1 finished"),
          "\n".join(out))
    check("the batch line says loaded, rejected, unchanged and the time",
          any(line.startswith("20260808.1 (ACTIVE): 31 records, 30 loaded, 0 rejected, 0 unchanged, ")
              and line.endswith(" s") for line in out), "\n".join(out))
    before = t.checksum()
    p = t.run()
    check_rc("second run exits 0", 0, p)
    check_eq("a second run changes no row", before, t.checksum())
    check("a second run loads nothing and says so",
          "20260808.1 (ACTIVE): 31 records, 0 loaded, 0 rejected, 30 unchanged" in p.stdout, p.stdout)
    log = t.log("20260808.1")
    check_eq("the sync log has both runs of the batch", [(200, 31, 30, 0, 0, None), (200, 31, 0, 0, 30, None)],
             [r[1:7] for r in log])
    check("each sync log line starts before it ends", all(r[7] <= r[8] for r in log))
    p = t.run("--since", "2026-07-01")
    t.expect_latest("20260701.1", "--since")
    check("--since loads the older finished batch", "20260701.1 (EXPIRED): 5 records, 5 loaded" in p.stdout,
          p.stdout)
    p = t.run("--since", "2026-07-01")
    check("and only once", "20260701.1" not in p.stdout and "1 finished and unchanged" in p.stdout, p.stdout)


@test
def odd_but_legal_records(t):
    b = t.api.add("20260808.7", 60)
    b.tick()
    b.tick()
    b.tick()
    p = t.run()
    check_rc("exits 0", 0, p)
    t.expect_latest("20260808.7", "odd records")
    check_eq("an empty line_type loads and stays empty", 2,
             t.q1(f"SELECT count(*) FROM {t.table} WHERE line_type(r) = ''"))
    check_eq("a channel status that no table lists loads", 2,
             t.q1(f"SELECT count(*) FROM {t.table} WHERE channel_manager_status(r) = 'SOMETHING_NEW'"))
    check_eq("the sid under its April name is kept under that name", 2,
             t.q1(f"SELECT count(*) FROM {t.table} WHERE r::text LIKE '%%\"call_manager_sid\"%%'"))
    check_eq("the phone lookup (enrichment) is kept whole, not {}", "Acme Wireless",
             t.q1(f"SELECT enrichment(r) ->> 'carrier_name' FROM {t.table} "
                  f"WHERE reference_id(r) = 'R000000'"))
    check_eq("the repeated reference_id is one row, in its later state", "COMPLETED",
             t.q1(f"SELECT request_status(r)::text FROM {t.table} WHERE reference_id(r) = 'R000005'"))
    check_eq("nothing rejected", 0, t.rejects())


@test
def bad_elements_wait_in_rejects(t):
    b = t.api.add("20260808.8", 10)
    bad = ['{"reference_id":"X1","target":"555-12","request_variables":{}}',
           '42',
           'null',
           '{"reference_id":"X2","target":"+15125550000","request_variables":{},"batch_id":"other"}',
           '[' * 100000 + ']' * 100000]
    b.extra = bad
    p = t.run()
    check_rc("exits 0: bad elements do not fail the batch", 0, p)
    t.expect_latest("20260808.8", "with bad elements")
    check_eq("every bad element is in the rejects table", len(bad), t.rejects("20260808.8"))
    got = t.q(f"SELECT ordinal, element, jsonb_typeof(errors) FROM {t.table}_rejects ORDER BY ordinal")
    check_eq("with its ordinal and its exact text", [(11 + i, e, "array") for i, e in enumerate(bad)], got)
    check("the batch line counts them", "20260808.8 (ACTIVE): 16 records, 10 loaded, 5 rejected" in p.stdout,
          p.stdout)
    p = t.run()
    check_eq("a second run adds no reject", len(bad), t.rejects())
    check("and says they were rejected again, none new", "5 rejected (0 new)" in p.stdout, p.stdout)


@test
def batch_changes_between_syncs(t):
    b = t.api.add("20260808.1", 40)
    t.run()
    t.expect_latest("20260808.1", "before")
    b.tick()
    p = t.run()
    t.expect_latest("20260808.1", "after a tick")
    changed = int(p.stdout.split(" loaded")[0].rsplit(" ", 1)[1])
    check("only the requests that moved are loaded", 0 < changed < 40, p.stdout)
    b.tick()
    b.tick()
    b.tick()
    t.run()
    t.expect_latest("20260808.1", "after three more")
    check_eq("every request ended", 40,
             t.q1(f"SELECT count(*) FROM {t.table} WHERE request_status(r) IN ('COMPLETED', 'FAILED')"))


@test
def a_batch_gets_one_last_sync_when_it_ends(t):
    b = t.api.add("20260808.1", 20)
    t.run()
    b.tick("EXPIRED")
    p = t.run()
    check("the ended batch is synced once more", "20260808.1 (EXPIRED): 21 records" in p.stdout, p.stdout)
    t.expect_latest("20260808.1", "last sync")
    p = t.run()
    check("and then left alone", "20260808.1" not in p.stdout and "1 finished and unchanged" in p.stdout,
          p.stdout)
    b.tick()
    b.updated = b.updated.replace(hour=23)      # the API touched it again
    p = t.run()
    check("unless its last_updated_at moves", "20260808.1 (EXPIRED)" in p.stdout, p.stdout)


@test
def retries_429_and_5xx(t):
    t.api.add("20260808.1", 10)
    t.api.add("20260808.2", 10)
    t.api.fault("20260808.1", status=429, retry_after="1")
    t.api.fault("20260808.1", status=503)
    t.api.fault("list", status=500)
    t0 = time.monotonic()
    p = t.run()
    secs = time.monotonic() - t0
    check_rc("429, 503 and a 500 on the list are retried: exit 0", 0, p)
    t.expect_latest("20260808.1", "after retries")
    check("Retry-After is honoured", secs >= 1.0, f"{secs:.2f} s")
    check("each retry is reported", "HTTP 429" in p.stderr and "HTTP 503" in p.stderr and "retry 1 of 5" in p.stderr,
          p.stderr)
    check_eq("the batch was asked for three times", 3, len(t.api.hits("20260808.1")))
    # A batch that keeps failing: an error for it, the others go on.
    for _ in range(3):
        t.api.fault("20260808.2", status=500)
    t.api.batches["20260808.2"].tick()
    t.api.batches["20260808.1"].tick()
    p = t.run("--retries", "2")
    check_rc("a batch that fails after its retries: exit 1", 1, p)
    check("its line says why", "20260808.2 (ACTIVE): FAILED: HTTP 500" in p.stdout
          and "gave up after 3 attempts" in p.stdout, p.stdout)
    t.expect_latest("20260808.1", "the other batch went on")
    check_eq("the failure is in the sync log, with its status", (500, "HTTP 500"),
             (t.log("20260808.2")[-1][1], (t.log("20260808.2")[-1][6] or "")[:8]))
    p = t.run()
    check_rc("the next run recovers", 0, p)
    t.expect_latest("20260808.2", "recovered")


@test
def retry_after_too_long_fails_the_batch(t):
    t.api.add("20260808.1", 5)
    t.api.fault("20260808.1", status=429, retry_after="3600")
    t0 = time.monotonic()
    p = t.run()
    check("a Retry-After past --max-retry-after fails at once",
          p.returncode == 1 and "longer than --max-retry-after" in p.stdout and time.monotonic() - t0 < 30,
          p.stdout)
    check_eq("nothing loaded", 0, t.rows())


@test
def timeouts(t):
    t.api.add("20260808.1", 10)
    t.api.fault("20260808.1", delay=3)
    t.api.fault("20260808.1", cut=0.5, stall=3)
    p = t.run("--read-timeout", "1")
    check_rc("a slow answer and a stalled body time out and are retried: exit 0", 0, p)
    check("the timeouts are reported", p.stderr.count("timed out") == 2, p.stderr)
    t.expect_latest("20260808.1", "after timeouts")
    # A server that drips: every read is in time, the whole is not.
    t.api.batches["20260808.1"].tick()
    for _ in range(3):
        t.api.fault("20260808.1", cut=0.3, stall=2)
    p = t.run("--max-time", "1", "--retries", "2")
    check("--max-time bounds a whole request", p.returncode == 1 and "longer than --max-time" in p.stdout,
          p.stdout + p.stderr)


@test
def cut_off_bodies_are_never_loaded(t):
    b = t.api.add("20260808.1", 50)
    t.api.fault("20260808.1", cut=0.5, length=True)
    p = t.run()
    check_rc("a body shorter than its Content-Length is retried: exit 0", 0, p)
    check("and reported", "cut off" in p.stderr, p.stderr)
    t.expect_latest("20260808.1", "after a cut")
    before = t.checksum()
    b.tick()
    t.api.fault("20260808.1", cut=0.6, length=False)
    p = t.run("--retries", "0")
    check_rc("a body cut off without a Content-Length: exit 1", 1, p)
    check("it is not a complete JSON array", "not a complete JSON array" in p.stdout, p.stdout)
    check_eq("and nothing of it is loaded", before, t.checksum())
    check_eq("no rejects either", 0, t.rejects())
    p = t.run()
    t.expect_latest("20260808.1", "the next run")


@test
def html_and_garbage(t):
    t.api.add("20260808.1", 5)
    t.api.add("20260808.2", 5)
    t.api.fault("20260808.1", html=True, status=200)
    t.api.fault("20260808.2", html=True, status=502)
    p = t.run()
    check_rc("an HTML page with 200: exit 1", 1, p)
    check("it says it is not JSON", "20260808.1 (ACTIVE): FAILED: the API answered with text/html, not JSON: "
          "<!DOCTYPE html><html><head><title>502 Bad Gateway</title>" in p.stdout, p.stdout)
    check_eq("nothing of that batch is loaded", 0, t.rows("20260808.1"))
    t.expect_latest("20260808.2", "an HTML 502 is retried")
    for raw in (b'{"items":[]}', b"[1,2", b"", b"[]   x"):
        t.api.fault("20260808.1", raw=raw)
        p = t.run("--batch", "20260808.1")
        check(f"a body {raw[:10]!r} is an error, nothing loaded", p.returncode == 1 and t.rows("20260808.1") == 0
              and ("not a complete JSON array" in p.stdout or "empty" in p.stdout), p.stdout)
    t.api.fault("20260808.1", raw=b"[]")
    p = t.run("--batch", "20260808.1")
    check("an empty array is a batch with no results", p.returncode == 0 and ": 0 records" in p.stdout, p.stdout)
    # A hostile batch list: nested past any parser's depth, not a list, a
    # batch without an id.
    for raw, says in ((b'{"items":' + b"[" * 100000 + b"]" * 100000 + b"}", "nested too deeply"),
                      (b'{"items":{}}', "not a ListResponseCommunicationBatch"),
                      (b'{"items":[{"batch_id":7}]}', "item 0 is not a batch with a batch_id"),
                      (b"<html>", "not valid JSON")):
        t.api.fault("list", raw=raw)
        p = t.run()
        check(f"a batch list {raw[:12]!r}...: exit 1, {says}",
              p.returncode == 1 and "listing the batches, page 0: " in p.stderr and says in p.stderr,
              p.stdout + p.stderr)


@test
def key_refused_stops_the_run(t):
    t.api.add("20260808.1", 5)
    t.api.add("20260808.2", 5)
    p = t.run(key="wrong-key-123")
    check_rc("401: exit 2", 2, p)
    check("with a message about the key", "the API refused the key (HTTP 401): check SYLLABLE_API_KEY" in p.stderr,
          p.stderr)
    check_eq("at once: one request, no retry", 1, len(t.api.hits()))
    t.api.fault("20260808.1", status=403)
    p = t.run("--batch", "20260808.1", "--batch", "20260808.2")
    check("403 on a batch stops the run too", p.returncode == 2 and "HTTP 403" in p.stderr
          and len(t.api.hits("20260808.2")) == 0, p.stdout + p.stderr)
    check_eq("nothing loaded", 0, t.rows())


@test
def the_key_never_shows(t):
    t.api.add("20260808.1", 5)
    t.api.add("20260808.2", 5)
    t.api.fault("20260808.1", echo_key=True)
    t.api.fault("20260808.1", echo_key=True)
    t.api.fault("20260808.2", raw=b"[" + KEY.encode() + b"]")
    outs = []
    p = t.run("--retries", "1")
    outs.append(p.stdout + p.stderr)
    p = t.run("--retries", "0", "--json", "--batch", "20260808.1")
    outs.append(p.stdout + p.stderr)
    p = t.run(key=KEY, url="http://127.0.0.1:9")          # nothing listens there
    outs.append(p.stdout + p.stderr)
    p = t.run(key=KEY, url="http://127.0.0.1:1/" + "x")
    outs.append(p.stdout + p.stderr)
    p = t.run(key=KEY + " bad")
    outs.append(p.stdout + p.stderr)
    check("the server echoed the key in its error page: the run failed", "[API key]" in outs[0], outs[0])
    check("the key is in no output", not any(KEY in o for o in outs), "\n".join(o for o in outs if KEY in o))
    check("nor in the sync log or the rejects",
          t.q1(f"SELECT count(*) FROM {t.table}_sync_log l WHERE l::text LIKE %s", [f"%{KEY}%"]) == 0
          and t.q1(f"SELECT count(*) FROM {t.table}_rejects j WHERE j::text LIKE %s", [f"%{KEY}%"]) == 0)
    check("a key with a space is refused without showing it",
          "not one line of printable ASCII" in outs[4] and "bad" not in outs[4], outs[4])
    p = subprocess.run([TOOL, "--api-key", KEY], capture_output=True, text=True)
    check("--api-key on the command line is refused, and not echoed",
          p.returncode == 2 and "never taken from the command line" in p.stderr and KEY not in p.stderr, p.stderr)
    with tempfile.NamedTemporaryFile("w", suffix=".key") as f:
        f.write(KEY + "\n")
        f.flush()
        os.chmod(f.name, 0o600)
        p = t.run("--api-key-file", f.name, "--batch", "20260808.2", key=None)
        check("--api-key-file works", p.returncode == 0 and t.api.hits()[-1]["key_ok"], p.stdout + p.stderr)
        os.chmod(f.name, 0o644)
        p = t.run("--api-key-file", f.name, "--batch", "20260808.2", key=None)
        check("and warns when others can read the file", "can be read by other users" in p.stderr, p.stderr)
    p = t.run("--api-key-file", "/nonexistent/key", key=None)
    check_rc("an unreadable key file: exit 2", 2, p)
    p = t.run(key=None)
    check("no key at all: exit 2", p.returncode == 2 and "no API key" in p.stderr, p.stderr)


@test
def huge_gzip_and_utf8(t):
    b = t.api.add("20260808.1", 2000)
    t.api.fault("20260808.1", gzip=True)
    p = t.run()
    check_rc("a gzip body loads", 0, p)
    t.expect_latest("20260808.1", "gzip")
    b.tick()
    p = t.run("--max-body", "0.1")
    check("a body over --max-body is an error", p.returncode == 1 and "larger than --max-body" in p.stdout,
          p.stdout)
    bomb = gzip.compress(b"[" + b" " * 50_000_000 + b"]")
    t.api.fault("20260808.1", raw=bomb, gzip=False)
    t.api.batches["20260808.1"].raw = None
    # (served as is, so announce it as gzip by hand)
    p = t.run("--max-body", "1")
    check("garbage that is not gzip is an error", p.returncode == 1, p.stdout)
    t.api.fault("20260808.1", gzip=True, raw=b"[" + b" " * 50_000_000 + b"]")
    p = t.run("--max-body", "1")
    check("a gzip bomb stops at --max-body", p.returncode == 1 and "larger than --max-body" in p.stdout, p.stdout)
    before = t.checksum()
    good = t.api.batches["20260808.1"].body()
    t.api.fault("20260808.1", raw=good[:-200] + b'"\xff\xfe",' + good[-200:].lstrip(b"["))
    p = t.run("--batch", "20260808.1")
    check("invalid UTF-8 is an error that says so", p.returncode == 1 and "not valid UTF-8" in p.stdout, p.stdout)
    check_eq("and nothing of it is loaded", before, t.checksum())
    p = t.run("--batch", "20260808.1")
    t.expect_latest("20260808.1", "the next run")


@test
def body_arrives_byte_exact(t):
    """The body reaches comm_results_checked byte for byte: JSON escapes
    (backslashes), raw tabs, newlines and carriage returns between tokens,
    multibyte characters across the 8 kB rows the body is cut into."""
    b = t.api.add("20260808.1", 3, odd=False)
    # 2-, 3- and 4-byte characters, long enough that the 8,000-byte rows
    # end inside every kind of character somewhere.
    pad = "é€😀a" * 9000
    specials = ["back\\slash \\\\ two", "new\nline", "tab\there", "cr\rhere", 'quote"d', "\\u0041 as text",
                "é€😀", pad]
    valid = [json.dumps({"reference_id": f"X{i}", "target": "+15125550000",
                         "request_variables": {"v": v}}, ensure_ascii=False) for i, v in enumerate(specials)]
    bad = ['{"reference_id":"Y1",\n\t"target":"555-12",\r\n"request_variables":{"v":"a\\\\b\\n"}}',
           '{"reference_id":"Y2","target":"+15125550000","request_variables":{"v":"nul \\u0000"}}',
           '\t[1,\r\n2]']
    body = "[" + ",\n\t".join(valid + bad) + "\r\n]"
    b.raw = body.encode()
    p = t.run("--batch", "20260808.1")
    check_rc("a body of escapes, raw white space and multibyte characters loads", 0, p)
    got = dict(t.q(f"SELECT reference_id(r), request_variables(r) ->> 'v' FROM {t.table}"))
    check_eq("every value arrives exactly as sent", {f"X{i}": v for i, v in enumerate(specials)}, got)
    rej = [r[0] for r in t.q(f"SELECT element FROM {t.table}_rejects ORDER BY ordinal")]
    check_eq("every reject keeps its exact text, white space and escapes included",
             [e.strip() for e in bad], rej)


@test
def bodies_the_server_refuses(t):
    """A NUL byte, invalid UTF-8 where the body is cut into rows: the batch
    fails as before, with nothing loaded."""
    b = t.api.add("20260808.1", 3, odd=False)
    good = b.body()
    t.run("--batch", "20260808.1")
    before = t.checksum()
    b.tick()
    filler = b'{"reference_id":"Z","target":"555","request_variables":{"v":"' + b"x" * 20000 + b'"}}'
    for what, bad in [("a NUL byte", good[:-1] + b',"a\x00b"]'),
                      ("a cut UTF-8 sequence across the 8,000th byte",
                       b"[" + filler[:7997] + b"\xe2\x82" + filler[7997:] + b"," + good[1:]),
                      ("a lone continuation byte at the 8,000th byte",
                       b"[" + filler[:7999] + b"\x82" + filler[7999:] + b"," + good[1:])]:
        b.raw = bad
        p = t.run("--batch", "20260808.1")
        check(f"{what}: an error that says the body is not valid UTF-8",
              p.returncode == 1 and "not valid UTF-8" in p.stdout, p.stdout + p.stderr)
        check_eq(f"{what}: nothing loaded", before, t.checksum())
    b.raw = None
    p = t.run("--batch", "20260808.1")
    check_rc("the next good body loads", 0, p)
    t.expect_latest("20260808.1", "after the refused bodies")


@test
def first_load_and_later_loads(t):
    """The first load of a batch inserts; a batch with rows already (one
    put there by hand) takes the upsert, which merges."""
    t.api.add("20260808.1", 20, odd=False)
    b2 = t.api.add("20260808.2", 20, odd=False)
    t.run("--batch", "20260808.1")
    t.expect_latest("20260808.1", "first load")
    b2.tick()
    b2.tick()
    els = b2.elements()
    t.db.execute(f"CREATE TABLE IF NOT EXISTS {t.table} (r comm_result NOT NULL)")
    t.db.execute(f"INSERT INTO {t.table} VALUES (comm_result_from_jsonb(%s::jsonb, '20260808.2'))", [els[0]])
    b2.tick()
    p = t.run("--batch", "20260808.2")
    check("a batch with a row already loads the others and merges that one",
          p.returncode == 0 and ("19 loaded" in p.stdout or "20 loaded" in p.stdout), p.stdout + p.stderr)
    t.expect_latest("20260808.2", "with a row there before")
    t.expect_latest("20260808.1", "the other batch untouched")


@test
def memory_stays_bounded(t):
    """A 49 MB body: the client's peak memory (VmHWM, polled from /proc)
    stays far below what holding the body once would take."""
    b = t.api.add("20260808.1", 100000, odd=False)
    size = len(b.body())
    proc = t.start("--batch", "20260808.1")
    peak = 0
    while proc.poll() is None:
        try:
            with open(f"/proc/{proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]) * 1024)
        except OSError:
            pass
        time.sleep(0.02)
    out, err = proc.communicate()
    check("the 100,000-record batch loads", proc.returncode == 0 and "100000 loaded" in out, out + err)
    check(f"peak memory {peak / 1e6:.0f} MB for a {size / 1e6:.0f} MB body: under 70 MB", 0 < peak < 70e6)


@test
def batch_ids_are_escaped(t):
    ids = ["2026/08/08.1", "..", "../../admin", "a b?c#d%e", "ünï.ç"]
    for i in ids:
        t.api.add(i, 3)
    p = t.run()
    check_rc("batches with / .. ? # % and spaces sync", 0, p)
    for i in ids:
        t.expect_latest(i, "escaped")
    raw = sorted(h["raw_path"] for h in t.api.hits() if h["target"] != "list")
    check("every id is one escaped path segment",
          all(r.count("/") == 6 for r in raw) and "/api/v1/outbound/batches/%2E%2E/results" in raw
          and "/api/v1/outbound/batches/%2E%2E%2F%2E%2E%2Fadmin/results" in raw
          and "/api/v1/outbound/batches/2026%2F08%2F08.1/results" in raw, raw)


@test
def paging(t):
    for i in range(230):
        t.api.add(f"b{i:04d}", 1, odd=False)
    p = t.run("--quiet")
    check_rc("230 batches over three pages: exit 0", 0, p)
    check_eq("every batch loaded", 230, t.rows())
    check_eq("the list was read page by page", 3, len(t.api.hits("list")))
    check("--quiet prints the summary alone", lines(p) == [lines(p)[-1]] and "230 batches synced" in p.stdout,
          p.stdout)


@test
def json_output(t):
    t.api.add("20260808.1", 5)
    t.api.add("20260808.2", 5)
    t.api.fault("20260808.2", status=404)
    p = t.run("--json")
    objs = [json.loads(line) for line in lines(p)]
    check_eq("one object per batch and a summary", ["batch", "batch", "summary"], [o["event"] for o in objs])
    check_eq("the batch's counts", (True, 5, 5, 0, 0), tuple(objs[0][k] for k in
                                                              ("ok", "records", "loaded", "rejected", "unchanged")))
    check("a failure has ok false and its error", objs[1]["ok"] is False and "HTTP 404" in objs[1]["error"], objs[1])
    check_eq("the summary", (1, 1, 5, 5), tuple(objs[2][k] for k in ("synced", "failed", "records", "loaded")))
    check_rc("exit 1", 1, p)


@test
def dry_run_writes_nothing(t):
    t.api.add("20260808.1", 10)
    p = t.run("--dry-run")
    check("a dry run on a new database reports what would load",
          p.returncode == 0 and "11 records, 10 loaded" in p.stdout and "dry run" in p.stdout, p.stdout)
    check_eq("and creates not even the tables", None, t.q1("SELECT to_regclass(%s)", [t.table]))
    t.run()
    t.api.batches["20260808.1"].tick()
    before = t.checksum()
    logged = len(t.log())
    p = t.run("--dry-run")
    check("after a tick, it says what would change", p.returncode == 0 and " 0 loaded" not in p.stdout, p.stdout)
    check_eq("and changes nothing", (before, logged), (t.checksum(), len(t.log())))


@test
def tables_and_layouts(t):
    p = t.run("--init", key=None)
    check("--init creates the tables, without a key",
          p.returncode == 0 and t.q1("SELECT count(*) FROM pg_class WHERE relname IN (%s, %s, %s)",
                                     [t.table, t.table + "_rejects", t.table + "_sync_log"]) == 3, p.stdout + p.stderr)
    check_eq("and nothing was requested", 0, len(t.api.hits()))
    t.db.execute(f"CREATE TABLE {t.table}_odd (r comm_result, n int NOT NULL)")
    p = t.run("--init", "--table", t.table + "_odd", key=None)
    check("a table of unknown layout is refused: exit 2",
          p.returncode == 2 and "does not know" in p.stderr or "NOT NULL without a default" in p.stderr, p.stderr)
    t.db.execute(f"CREATE TABLE {t.table}_nokey (r comm_result NOT NULL)")
    p = t.run("--init", "--table", t.table + "_nokey", key=None)
    check("a table without the unique key is refused", p.returncode == 2 and "no unique key" in p.stderr, p.stderr)
    g = t.table + "_gen"
    t.db.execute(f"CREATE TABLE {g} (r comm_result NOT NULL, batch_id text GENERATED ALWAYS AS (batch_id(r)) STORED, "
                 f"reference_id text GENERATED ALWAYS AS (reference_id(r)) STORED, "
                 f"loaded_at timestamptz DEFAULT now(), PRIMARY KEY (batch_id, reference_id)) WITH (fillfactor = 90)")
    t.api.add("20260808.1", 10)
    p = t.run("--table", g)
    check("the generated-columns layout of the README loads",
          p.returncode == 0 and t.q1(f"SELECT count(*) FROM {g}") == 10, p.stdout + p.stderr)
    p = t.run("--table", g)
    check("and a second run changes nothing there", " 0 loaded" in p.stdout, p.stdout)
    t.db.execute("CREATE SCHEMA IF NOT EXISTS sync_s")
    p = t.run("--table", f"sync_s.{t.table}")
    check("a schema-qualified table", p.returncode == 0 and
          t.q1(f"SELECT count(*) FROM sync_s.{t.table}") == 10, p.stdout + p.stderr)
    p = t.run("--table", "a.b.c", key=None)
    check_rc("a bad table name: exit 2", 2, p)


@test
def shares_the_recipes_tables(t):
    """examples/load_checked.sql's tables (made by a user who loaded by
    hand first) are the tool's: it loads into them, and the recipe and the
    tool count the same rejects once."""
    repo = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
    with open(os.path.join(repo, "examples", "load_checked.sql")) as f:
        recipe = f.read()
    schema = f"{t.table}_s"
    t.db.execute(f"CREATE SCHEMA {schema}")
    t.db.execute(f"SET search_path = {schema}, public")
    t.db.execute(recipe)
    b = t.api.add("20260808.1", 20)
    b.extra = ['{"reference_id":"X1","target":"555-12","request_variables":{}}']
    t.db.execute(psycopg.sql.SQL("EXECUTE load_response({}, '20260808.1')").format(
        psycopg.sql.Literal(b.body().decode())))
    t.db.execute("SET search_path = public")
    b.tick()
    p = t.run("--table", f"{schema}.results")
    check("the tool loads into the recipe's tables", p.returncode == 0 and "1 rejected (0 new)" in p.stdout,
          p.stdout + p.stderr)
    check_eq("the reject is there once", 1, t.q1(f"SELECT count(*) FROM {schema}.results_rejects"))
    check_eq("every request once", 20, t.q1(f"SELECT count(*) FROM {schema}.results"))


@test
def replay_rejects(t):
    t.api.add("20260808.1", 3)
    t.run()
    # A reject an older release refused, which loads now.
    t.db.execute(f"INSERT INTO {t.table}_rejects (batch_id, ordinal, errors, element) VALUES "
                 "('20260808.1', 9, '[]', '{\"reference_id\":\"late\",\"target\":\"+15125550999\",\"request_variables\":{}}'),"
                 "('20260808.1', 10, '[]', '{\"reference_id\":\"bad\",\"target\":\"555\",\"request_variables\":{}}')")
    p = t.run("--replay-rejects", key=None)
    check("--replay-rejects moves the reject that now loads",
          p.returncode == 0 and "1 rejects replayed (1 rows loaded), 1 still rejected" in p.stdout, p.stdout)
    check_eq("it is in the table", 1, t.q1(f"SELECT count(*) FROM {t.table} WHERE reference_id(r) = 'late'"))
    check_eq("the other still waits", ["bad"], [r[0] for r in t.q(
        f"SELECT element::jsonb ->> 'reference_id' FROM {t.table}_rejects")])


@test
def given_batches(t):
    t.api.add("20260808.1", 3)
    t.api.add("20260808.2", 3)
    p = t.run("--batch", "20260808.2", "--batch", "nope")
    check("--batch syncs the given batches without listing",
          p.returncode == 1 and len(t.api.hits("list")) == 0 and t.rows("20260808.2") == 3
          and t.rows("20260808.1") == 0, p.stdout)
    check("an unknown batch is a 404 for it", "nope: FAILED: HTTP 404" in p.stdout, p.stdout)


@test
def unreachable_api_and_database(t):
    t0 = time.monotonic()
    p = t.run("--retries", "1", url="http://127.0.0.1:9")
    check("an unreachable API: exit 1 with a clear error",
          p.returncode == 1 and "cannot reach the API (connection refused)" in p.stderr, p.stderr)
    check("quickly", time.monotonic() - t0 < 20)
    t.api.add("20260808.1", 3)
    with tempfile.TemporaryDirectory() as d:
        p = t.run(env={"PGHOST": d})
    check("an unreachable database: exit 1 with a clear error",
          p.returncode == 1 and "cannot connect to the database" in p.stderr, p.stderr)
    check_eq("and no request was made", 0, len(t.api.hits()))
    p = t.run()
    t.expect_latest("20260808.1", "the next run")
    p = t.run("--api-url", "ftp://x", key=KEY)
    check_rc("a bad --api-url: exit 2", 2, p)


@test
def kill_at_random_moments(t):
    ids = [f"20260808.{i}" for i in range(1, 7)]
    sizes = {}
    for i in ids:
        t.api.add(i, 2500)
        sizes[i] = 2500
    rnd = random.Random(20261207)
    for k in range(4):
        for i in ids:
            t.api.fault(i, cut=0.5, stall=0.3)
        t.db.execute(f"DROP TABLE IF EXISTS {t.table}, {t.table}_rejects, {t.table}_sync_log")
        proc = t.start()
        time.sleep(rnd.uniform(0.3, 6.0))
        sig = signal.SIGKILL if k % 2 == 0 else signal.SIGINT
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        if sig == signal.SIGINT and proc.returncode not in (0, -signal.SIGINT):
            check("SIGINT ends the run by the signal", False, f"rc {proc.returncode} {err}")
        t.api.clear_faults()
        if t.q1("SELECT to_regclass(%s)", [t.table]) is None:
            check(f"kill {k + 1} ({sig.name}) came before the tables: nothing to check", True)
        else:
            all_or_nothing(t, ids, sizes, f"kill {k + 1} ({sig.name})")
        p = t.run()
        check_rc(f"kill {k + 1}: the rerun exits 0", 0, p)
        for i in ids:
            if t.rows(i) != sizes[i]:
                check(f"kill {k + 1}: the rerun completes {i}", False, t.rows(i))
                break
        else:
            check(f"kill {k + 1}: the rerun completes every batch", True)


@test
def two_at_once(t):
    ids = [f"20260808.{i}" for i in range(1, 5)]
    for i in ids:
        t.api.add(i, 1500)
        for _ in range(2):
            t.api.fault(i, cut=0.5, stall=0.5)     # slow enough to overlap
    t.run("--init", key=None)
    a, b = t.start(), t.start()
    ra, rb = a.wait(timeout=300), b.wait(timeout=300)
    check_eq("two syncs started together both exit 0", (0, 0), (ra, rb))
    for i in ids:
        t.expect_latest(i, "two at once")
    spans = {}
    for bid, *_rest, started, ended in t.log():
        spans.setdefault(bid, []).append((started, ended))
    overlap = [bid for bid, s in spans.items() for x in s for y in s if x is not y and x[0] < y[1] and y[0] < x[1]]
    check("each batch loaded twice, never at the same time",
          all(len(s) == 2 for s in spans.values()) and not overlap, (spans, overlap))
    # Both see a change made while they run: no update lost.
    for i in ids:
        t.api.batches[i].tick()
        t.api.fault(i, cut=0.5, stall=0.5)
    a, b = t.start(), t.start()
    time.sleep(0.2)
    for i in ids:
        t.api.batches[i].tick()
    a.wait(timeout=300)
    b.wait(timeout=300)
    t.run()      # what both missed, if the ticks came after both fetched
    for i in ids:
        t.expect_latest(i, "after concurrent changes")


@test
def watch_mode(t):
    t.api.add("20260808.1", 5)
    proc = t.start("--watch", "1")
    time.sleep(3.5)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    check_eq("SIGTERM stops --watch by the signal", -signal.SIGTERM, proc.returncode)
    check("it ran a pass a second", out.count("comm-result-sync: 1 batches synced") >= 3, out)
    check("and said it stopped", "stopped by SIGTERM" in err, err)


@test
def progress_on_a_terminal(t):
    t.api.add("20260808.1", 3000)
    t.api.fault("20260808.1", cut=0.5, stall=1)
    try:
        master, slave = pty.openpty()
    except OSError as e:
        skip(f"progress on a terminal: no pseudo-terminal here ({e})")
        return
    env = dict(os.environ, SYLLABLE_API_KEY=KEY)
    args = [a for a in t.args() if a != "--no-progress"]
    proc = subprocess.Popen([TOOL, *args], stdout=subprocess.PIPE, stderr=slave, env=env, text=True)
    os.close(slave)
    seen = b""

    def reader():
        nonlocal seen
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                break
            if not data:
                break
            seen += data
    th = threading.Thread(target=reader, daemon=True)
    th.start()
    out, _ = proc.communicate(timeout=120)
    th.join(5)
    os.close(master)
    check("a progress line on a terminal", b"\r" in seen and b"received" in seen, seen[-300:])
    check("not in the output itself", "\r" not in out and "received" not in out, out)


@test
def full_disk(t):
    if os.geteuid() != 0:
        skip("full disk: needs root, to mount a small tmpfs")
        return
    d = tempfile.mkdtemp(prefix="cr_sync_full.")
    os.chmod(d, 0o755)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m,mode=0755", "tmpfs", d]).returncode != 0:
        skip("full disk: cannot mount a tmpfs here")
        os.rmdir(d)
        return
    try:
        subprocess.run(["chown", "postgres:", d], check=True)
        ts = f"{t.table}_ts"
        t.db.execute(f"CREATE TABLESPACE {ts} LOCATION '{d}'")
        t.db.execute(f"CREATE TABLE {t.table} (r comm_result NOT NULL) TABLESPACE {ts}")
        t.db.execute(f"CREATE UNIQUE INDEX ON {t.table} ((batch_id(r)), (reference_id(r))) TABLESPACE {ts}")
        t.api.add("20260808.1", 3)
        t.api.add("20260808.2", 20000)
        p = t.run()
        check("a full disk fails that batch with a clear error, the other loads",
              p.returncode == 1 and "No space left on device" in p.stdout and t.rows("20260808.1") == 3, p.stdout)
        check_eq("nothing half-loaded", 0, t.rows("20260808.2"))
        subprocess.run(["mount", "-o", "remount,size=200m", d], check=True)
        p = t.run()
        check_rc("with room again, the next run recovers", 0, p)
        t.expect_latest("20260808.2", "after the full disk")
    finally:
        t.db.execute(f"DROP TABLE IF EXISTS {t.table}")
        t.db.execute(f"DROP TABLESPACE IF EXISTS {t.table}_ts")
        subprocess.run(["umount", d])
        os.rmdir(d)


@test
def creates_the_extension(t):
    db = f"cr_sync_ext_{os.getpid()}"
    t.db.execute(f"CREATE DATABASE {db}")
    try:
        t.api.add("20260808.1", 3)
        p = t.run(env={"PGDATABASE": db})
        check("on a database without comm_result, the first run creates it",
              p.returncode == 0 and "3 loaded" in p.stdout, p.stdout + p.stderr)
    finally:
        t.db.execute(f"DROP DATABASE {db}")


if __name__ == "__main__":
    sys.exit(main("sync tests"))
