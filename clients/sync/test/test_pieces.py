"""comm-result-sync loading a body piece by piece as it arrives (see
comm_result_sync/body.py): the pieces load exactly what the whole body
would, however the body is laid out, and a body that is broken anywhere
loads nothing.

The tool cuts pieces of about 1 MB; here COMM_RESULT_SYNC_PIECES makes them
2 kB (with no gap between elements for 20 kB, the rest goes whole), so
that small bodies are cut into many.  Each body is also read whole by
comm_results_checked in the test's own session, and the table and the
rejects must be what that whole load makes of it.  Run:

    /usr/bin/python3 test_pieces.py [--summary FILE] [NAME ...]
"""

import json
import os
import random
import re
import signal
import sys
import threading
import time

from harness import HERE, all_or_nothing, check, check_eq, check_rc, main, test

sys.path.insert(0, os.path.dirname(HERE))
from comm_result_sync.body import Cutter, Worker  # noqa: E402

PIECES = {"COMM_RESULT_SYNC_PIECES": "2000,20000"}
BATCH = "20260808.1"


def run(t, *extra):
    """The tool with small pieces and --json: (process, its batch event)."""
    p = t.run("--batch", BATCH, "--json", *extra, env=PIECES)
    events = [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]
    return p, next((e for e in events if e.get("event") == "batch"), {})


def element(ref, **fields):
    r = {"reference_id": ref, "target": "+15125550000", "request_variables": {}}
    r.update(fields)
    return json.dumps(r, ensure_ascii=False, separators=(",", ":"))


def serve(t, elements, sep=","):
    b = t.api.batches.get(BATCH) or t.api.add(BATCH, 1, odd=False)
    b.raw = ("[" + sep.join(elements) + "]").encode()
    return b.raw


def expect_whole(t, body, what):
    """The table and the rejects hold what the whole body loads to, and
    the tool's counts are the whole load's."""
    whole = t.q1(
        "SELECT md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) FROM ("
        " SELECT comm_result_latest(result) AS r FROM comm_results_checked(%s, %s)"
        " WHERE result IS NOT NULL GROUP BY batch_id(result), reference_id(result)) s",
        [body.decode(), BATCH])
    got = t.q1(f"SELECT md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) FROM {t.table}")
    check(f"{what}: the table holds what the whole body loads to", whole == got)
    want = t.q("SELECT DISTINCT ON (md5(element)) ordinal, element FROM comm_results_checked(%s, %s) "
               "WHERE result IS NULL ORDER BY md5(element), ordinal", [body.decode(), BATCH])
    check_eq(f"{what}: the rejects, their ordinals and their exact text", sorted(want),
             sorted(t.q(f"SELECT ordinal, element FROM {t.table}_rejects")))
    return t.q1("SELECT count(*) FROM comm_results_checked(%s, %s)", [body.decode(), BATCH])


@test
def the_cutter_keeps_every_byte(t):
    """The cutter alone, over random bodies in random chunks: the segments
    put together are the body; a cut segment ends in a "}", JSON's white
    space, a comma and white space, and the next one starts with a "{";
    no segment is longer than its reach plus a chunk; after a raw one,
    everything is raw."""
    rnd = random.Random(7)
    ok = True
    for n in range(300):
        parts = []
        for _ in range(rnd.randint(0, 40)):
            v = rnd.choice(['"},{"', '[{"a":1},{"b":2}]', '"x"', '{}', '"' + "y" * rnd.randint(0, 900) + '"'])
            parts.append('{"k":' + v + "}")
        ws = rnd.choice(["", " ", "\r\n\t", "\n  "])
        body = ("[" + ws + ("}," if n % 17 == 0 else "") + ("," + ws).join(parts) + ws + "]").encode()
        c = Cutter(piece=rnd.randint(1, 600), max_segment=rnd.randint(600, 3000))
        segs, i = [], 0
        while i < len(body):
            k = rnd.randint(1, 700)
            segs += c.feed(body[i:i + k])
            i += k
            if rnd.random() < 0.02:
                c.whole = True      # as the loader tells it, once the rest goes whole
        segs.append(c.finish())
        whole = b"".join(d for _, d, _ in segs)
        raw_seen = False
        for j, (kind, d, close) in enumerate(segs):
            if kind == "cut":
                gap = d[close:]
                ok &= not raw_seen and d[close - 1:close] == b"}" and gap.strip(b" \t\r\n") == b"," \
                    and segs[j + 1][1][:1] == b"{" and len(d) <= c.max_segment + 700
            raw_seen |= kind == "raw"
        if whole != body or not ok:
            check(f"body {n}: every byte, in order, cut only at gaps", False, (body[:200], segs[:3]))
            return
    check("300 random bodies in random chunks: every byte kept, cuts only at gaps", True)


@test
def ctrl_c_while_the_last_pieces_load(t):
    """The loader's thread alone: a Ctrl-C that lands while the caller
    waits for the last pieces reaches the caller only once the thread has
    stopped (its statement cancelled), since until then the connection is
    the thread's (psycopg's savepoints would otherwise end in the wrong
    order and the interrupt turn into a failed batch)."""
    state = {"cancelled": False, "aborted": False, "handled": 0, "returned": 0}

    def handle(item):
        state["handled"] += 1
        end = time.monotonic() + 5
        while time.monotonic() < end and not state["cancelled"]:
            time.sleep(0.01)
        state["returned"] += 1

    w = Worker(handle, lambda: state.update(cancelled=True), lambda e: state.update(aborted=True))
    threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
    seen = None
    t0 = time.monotonic()
    try:
        with w:
            for i in range(3):
                w.put(i)
    except KeyboardInterrupt:
        seen = dict(state)
    check("the interrupt reaches the caller once the thread's statement was cancelled and its COPY ended",
          seen is not None and seen["cancelled"] and seen["returned"] == 1 and seen["aborted"], seen)
    check("the rest was dropped, at once", seen is not None and seen["handled"] == 1 and time.monotonic() - t0 < 3,
          seen)


@test
def pieces_load_like_the_whole(t):
    b = t.api.add(BATCH, 300)
    b.tick()
    b.tick()
    els = list(b.elements())
    bad = ['{"reference_id":"X1","target":"555-12","request_variables":{}}', '42', 'null',
           '{"reference_id":"X2","target":"+15125550000","request_variables":{},"batch_id":"other"}']
    for k, e in zip((3, 90, 181, 250), bad):
        els.insert(k, e)
    # A request twice, far apart: an older snapshot long after the newer
    # one, and a newer one long after the older.
    els.insert(280, json.dumps(b.record(20, 0), separators=(",", ":")))
    els.insert(2, json.dumps(b.record(260, 0), separators=(",", ":")))
    body = serve(t, els)
    p, ev = run(t)
    check_rc("a body cut into pieces loads: exit 0", 0, p)
    check("it was loaded in many pieces", ev.get("pieces", 0) > 20, ev)
    records = expect_whole(t, body, "pieces")
    keys = len({json.loads(e)["reference_id"] for e in els if e.startswith("{") and '"X' not in e})
    check_eq("the counts are the whole body's: records, loaded (each request once), rejected, unchanged",
             (records, keys, 4, 0), (ev.get("records"), ev.get("loaded"), ev.get("rejected"), ev.get("unchanged")))
    before = t.checksum()
    p, ev = run(t)
    check_eq("a second run changes nothing and says so", (before, 0, keys, 0),
             (t.checksum(), ev.get("loaded"), ev.get("unchanged"), ev.get("new_rejects")))
    check_eq("a batch the table has rows of is loaded whole, not in pieces", 0, ev.get("pieces"))
    b.raw = None
    b.tick()
    p, ev = run(t)
    t.expect_latest(BATCH, "a later snapshot")


@test
def gaps_that_are_not_gaps(t):
    """A "}", a comma and a "{" inside a string or inside a nested array
    of objects: a piece cut there is not an array, and the rest of the body
    loads whole, as it is."""
    plain = [element(f"R{i:04d}") for i in range(200)]
    note = "x" * 1500 + "},{" * 300 + '"},{"reference_id":"FAKE"}'
    tricky = element("T1", request_variables={"note": note, "list": [{"a": 1}, {"b": 2}] * 200})
    body = serve(t, plain + [tricky] + [element(f"S{i:04d}") for i in range(200)])
    p, ev = run(t)
    check_rc("a body with gaps inside a string and a nested array loads: exit 0", 0, p)
    check("the pieces before the false gap loaded as pieces", ev.get("pieces", 0) > 3, ev)
    records = expect_whole(t, body, "false gaps")
    check_eq("every element counted once", (records, 401), (ev.get("records"), ev.get("loaded")))
    check_eq("the string is kept whole", note,
             t.q1(f"SELECT request_variables(r) ->> 'note' FROM {t.table} WHERE reference_id(r) = 'T1'"))
    check_eq("no element was made up of a string's text", 0,
             t.q1(f"SELECT count(*) FROM {t.table} WHERE reference_id(r) = 'FAKE'"))
    # Every element full of false gaps: not one piece loads.
    t.db.execute(f"TRUNCATE {t.table}, {t.table}_rejects")
    body = serve(t, [element(f"Q{i:03d}", request_variables={"l": [{"a": i}, {"b": "},{"}]})
                     for i in range(200)])
    p, ev = run(t)
    check_rc("a body whose every element has nested objects in a list loads: exit 0", 0, p)
    records = expect_whole(t, body, "nested lists everywhere")
    check_eq("200 loaded", 200, ev.get("loaded"))


@test
def laid_out_otherwise(t):
    """White space between elements, one element longer than the cutter
    looks (it gives up and the rest goes whole), an empty array."""
    els = [element(f"W{i:03d}", request_variables={"i": i, "pad": "p" * 200}) for i in range(150)]
    body = serve(t, els, sep="\r\n ,\t\n")
    p, ev = run(t)
    check_rc("elements apart by JSON's white space: exit 0", 0, p)
    check("cut into pieces", ev.get("pieces", 0) > 10, ev)
    expect_whole(t, body, "white space")
    t.db.execute(f"TRUNCATE {t.table}, {t.table}_rejects")
    els = [element(f"L{i:03d}") for i in range(20)] + [element("BIG", request_variables={"v": "y" * 60000})] + \
        [element(f"M{i:03d}") for i in range(100)]
    body = serve(t, els)
    p, ev = run(t)
    check_rc("an element past the cutter's reach: exit 0", 0, p)
    expect_whole(t, body, "a 60 kB element")
    check_eq("121 loaded", 121, ev.get("loaded"))
    t.db.execute(f"TRUNCATE {t.table}, {t.table}_rejects")
    t.api.batches[BATCH].raw = b" \n[ ]\n"
    p, ev = run(t)
    check_eq("an empty array: exit 0, no records", (0, 0), (p.returncode, ev.get("records")))


@test
def broken_anywhere_loads_nothing(t):
    """A body that breaks after many pieces have loaded loads nothing at
    all, and its error says where, counted from where the pieces ended."""
    good = [element(f"G{i:03d}") for i in range(100)]
    serve(t, good)
    run(t)
    before = t.checksum()
    for what, raw in [
            ("an element that is not JSON", "[" + ",".join(good[:80] + ['{"reference_id":"B","a":1,}'] + good[80:])
             + "]"),
            ("something after the array", "[" + ",".join(good) + "] x"),
            ("no closing bracket", "[" + ",".join(good)),
            ("a trailing comma", "[" + ",".join(good) + ",]"),
            ("an object holding the array", '{"items":[' + ",".join(good) + "]}"),
            ("two arrays", "[" + ",".join(good[:50]) + "][" + ",".join(good[50:]) + "]")]:
        t.api.batches[BATCH].raw = raw.encode()
        t.api.batches[BATCH].tick()
        t.db.execute(f"TRUNCATE {t.table}_rejects")
        p, ev = run(t)
        err = next((json.loads(x).get("error", "") for x in p.stdout.splitlines()
                    if '"ok": false' in x), "")
        check(f"{what}: exit 1, not a complete JSON array", p.returncode == 1 and
              "not a complete JSON array" in err, p.stdout + p.stderr)
        check_eq(f"{what}: nothing loaded, nothing rejected", (before, 0),
                 (t.checksum(), t.q1(f"SELECT count(*) FROM {t.table}_rejects")))
    t.db.execute(f"DROP TABLE {t.table}, {t.table}_rejects, {t.table}_sync_log")
    t.api.batches[BATCH].raw = ("[" + ",".join(good[:80] + ['{"a":1,}'] + good[80:]) + "]").encode()
    p, ev = run(t)
    err = next((json.loads(x).get("error", "") for x in p.stdout.splitlines() if '"ok": false' in x), "")
    m = re.search(r"in the body after its first (\d+) elements .*Element (\d+) \(counting from 0\)", err)
    check("a first load broken after its pieces: the error counts from where they ended",
          p.returncode == 1 and m and int(m[1]) > 0 and int(m[1]) + int(m[2]) == 80, err)
    check_eq("and nothing of the pieces stays", 0, t.rows())
    t.api.batches[BATCH].raw = ("[" + ",".join(good[:80])).encode() + b',"\xff",' + \
        (",".join(good[80:]) + "]").encode()
    p, ev = run(t)
    check("invalid UTF-8 in a later piece: exit 1, says so", p.returncode == 1 and "not valid UTF-8" in p.stdout,
          p.stdout)
    check_eq("and nothing loaded", 0, t.rows())
    t.api.batches[BATCH].raw = ("[" + ",".join(good[:80])).encode() + b',"a\x00b",' + \
        (",".join(good[80:]) + "]").encode()
    p, ev = run(t)
    check("a NUL byte in a later piece: exit 1, not valid UTF-8",
          p.returncode == 1 and "not valid UTF-8" in p.stdout, p.stdout)
    check_eq("and nothing loaded", 0, t.rows())


@test
def dry_runs_and_retries(t):
    t.api.add(BATCH, 200)
    p, ev = run(t, "--dry-run")
    check_eq("a dry run in pieces reports what would load and writes nothing", (0, 200, 0),
             (p.returncode, ev.get("loaded"), t.q1("SELECT count(*) FROM pg_class WHERE relname = %s",
                                                    [t.table])))
    t.api.fault(BATCH, cut=0.7, length=True)
    p, ev = run(t)
    check("a body cut off after many pieces is fetched again and loads once",
          p.returncode == 0 and "cut off" in p.stderr and ev.get("pieces", 0) > 20, p.stdout + p.stderr)
    t.expect_latest(BATCH, "after the retry")


@test
def interrupted_between_pieces(t):
    """Ctrl-C or SIGKILL while pieces load (the API drips the body): the
    batch is either as it was or whole, and the next run completes it."""
    ids = [f"20260808.{i}" for i in range(1, 4)]
    sizes = {i: 1500 for i in ids}
    for i in ids:
        t.api.add(i, sizes[i], odd=False)
    rnd = random.Random(20261207)
    for k, sig in enumerate((signal.SIGINT, signal.SIGKILL, signal.SIGINT)):
        for i in ids:
            t.api.fault(i, cut=0.5, stall=0.4)
        t.db.execute(f"DROP TABLE IF EXISTS {t.table}, {t.table}_rejects, {t.table}_sync_log")
        t.run("--init", key=None)
        proc = t.start(env=PIECES)
        time.sleep(rnd.uniform(0.5, 2.0))
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        if sig == signal.SIGINT:
            check(f"kill {k + 1}: SIGINT ends the run at once, by the signal", proc.returncode in (0, -2), err)
        t.api.clear_faults()
        all_or_nothing(t, ids, sizes, f"kill {k + 1} ({sig.name})")
        p = t.run(env=PIECES)
        check_rc(f"kill {k + 1}: the rerun exits 0", 0, p)
        check_eq(f"kill {k + 1}: the rerun completes every batch", [sizes[i] for i in ids],
                 [t.rows(i) for i in ids])


if __name__ == "__main__":
    sys.exit(main("piece tests"))
