#!/usr/bin/env python3
"""Benchmark driver: comm_result against three jsonb / typed-column contenders.

Normally started by bench/run.sh, which builds and installs the extension,
starts a throwaway cluster (PGHOST/PGPORT/PGUSER/PGDATABASE exported) and
generates the data.  Every measurement is taken inside the server with
clock_timestamp() around EXECUTE, so psql start-up is never counted.

Contenders are described in bench/contenders/{a,b,c,d}.sql.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CONTENDERS = ["a", "b", "c", "d"]
TITLES = {
    "a": "(a) jsonb + CHECKs + trigger",
    "b": "(b) typed columns + CHECKs",
    "c": "(c) jsonb, no checks",
    "d": "(d) comm_result",
}
PSQL = os.environ.get("PSQL", "psql")
COPY_OPTS = "WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"


def log(msg):
    print("==> " + msg, file=sys.stderr, flush=True)


class SqlError(Exception):
    pass


def psql(sql, check=True):
    """Run SQL through a fresh psql; return the unaligned, tuples-only rows."""
    p = subprocess.run([PSQL, "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                        "-f", "-"], input=sql, capture_output=True, text=True)
    if p.returncode != 0 and check:
        raise SqlError(p.stderr.strip() or "psql exited with %d" % p.returncode)
    return [line for line in p.stdout.splitlines() if line != ""]


def lit(s):
    return "'" + s.replace("'", "''") + "'"


def dollar(s):
    assert "$q$" not in s
    return "$q$" + s + "$q$"


HELPERS = r"""
CREATE OR REPLACE FUNCTION bench_exec(stmts text[]) RETURNS float8[]
LANGUAGE plpgsql AS $$
DECLARE
    s text;
    t0 timestamptz;
    ms float8[] := '{}';
BEGIN
    FOREACH s IN ARRAY stmts LOOP
        t0 := clock_timestamp();
        EXECUTE s;
        ms := ms || (extract(epoch FROM clock_timestamp() - t0) * 1000)::float8;
    END LOOP;
    RETURN ms;
END
$$;

CREATE OR REPLACE FUNCTION bench_query(q text, OUT ms float8, OUT result text)
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
BEGIN
    t0 := clock_timestamp();
    EXECUTE 'SELECT x::text FROM (' || q || ') x' INTO result;
    ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
END
$$;
"""


def parse_contender(name, directory="contenders"):
    """Split <directory>/<name>.sql into its '-- @section' parts."""
    path = os.path.join(HERE, directory, name + ".sql")
    sections, cur = {}, None
    for line in open(path, encoding="utf-8"):
        m = re.match(r"--\s*@(\w+)(?:\s+(\w+))?\s*$", line)
        if m:
            cur = m.group(1) if m.group(1) != "q" else "q:" + m.group(2)
            sections[cur] = ""
        elif cur is not None:
            sections[cur] += line
    return sections


def statements(text):
    """Split a simple section (no function bodies) into statements."""
    parts = re.split(r";\s*(?:\n|$)", text)
    out = []
    for p in parts:
        body = "\n".join(l for l in p.splitlines() if not l.strip().startswith("--")).strip()
        if body:
            out.append(body)
    return out


def records(path, shape):
    """(batch_id, record) of every record of the data file."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            if shape == "today":
                batch, body = line.split("\x02", 1)
                for r in json.loads(body):
                    yield batch, r
            else:
                r = json.loads(line)
                yield r["batch_id"], r


def expected_results(path, shape="april"):
    """What the queries must return, computed from the data file itself."""
    rows = completed = attempts = sent = mobile = 0
    groups = {}
    for batch, r in records(path, shape):
        rows += 1
        completed += r.get("request_status") == "COMPLETED"
        attempts += r.get("attempt_count") or 0
        sent += r.get("sent_at") is not None
        mobile += r.get("line_type") == "mobile"
        groups[(batch, r.get("request_status"))] = 1
    textlen = sum(len(s) for _, s in groups if s is not None)
    return {"rows": rows, "status": "(%d)" % completed, "scan": "(%d,%d)" % (attempts, sent),
            "floor": "(%d)" % rows, "touch": "(%d)" % rows,
            "group": "(%d,%d,%d)" % (len(groups), rows, textlen), "line": "(%d)" % mobile}


def median(xs):
    return statistics.median(xs) if xs else float("nan")


# ---------------------------------------------------------------- main bench

QUERIES = ("q:status", "q:scan", "q:group", "q:line", "q:floor", "q:touch")
# The table's two states: not all-visible (after the load and ANALYZE, no
# VACUUM: every scan checks each tuple's visibility, hint bits set by the
# warm-up) and all-visible (after VACUUM, the steady state autovacuum
# reaches, insert-only tables included: scans skip the per-tuple check).
STATES = ("nv", "av")
STATE_TITLES = {"nv": "not all-visible (freshly loaded, no VACUUM)",
                "av": "all-visible (after VACUUM: the steady state)"}


def visibility(table):
    """(all-visible pages, pages) of the table, from pg_visibility."""
    av, pages = psql("SELECT v.all_visible, pg_relation_size('{0}') / current_setting('block_size')::int "
                     "FROM pg_visibility_map_summary('{0}') v;".format(table))[0].split("\t")
    return int(av), int(pages)


def make_all_visible(table):
    """VACUUM until the visibility map covers every page (at most 5 tries)."""
    for _ in range(5):
        # With synchronous_commit=off the load's commit record may not be
        # flushed yet; VACUUM then cannot set hint bits and leaves pages not
        # all-visible.  A CHECKPOINT flushes the WAL first.
        psql("CHECKPOINT;")
        psql("VACUUM (ANALYZE) %s;" % table)
        av, pages = visibility(table)
        if av == pages:
            break
    return av, pages

# The first column of each contender's table: counting it reads every row
# once, the least any query that looks at a field must do.
TOUCH_COLUMN = {"a": "r", "b": "batch_id", "c": "r", "d": "r"}


def run_rounds(args, names, sections, expected, queries):
    """Each round loads every contender (order rotated from round to round),
    then measures the queries with the contenders interleaved repetition by
    repetition, so that a noisy neighbour slows all of them alike: first on
    the tables as loaded (not all-visible), then after VACUUM has marked
    every page all-visible."""
    data = lit(args.data)
    res = {n: {"load": [], "load_parts": [], "bytes": [],
               **{st + q: [] for st in STATES for q in queries},
               **{"vis:" + st: [] for st in STATES}} for n in names}
    paired = {st + q: {o: [] for o in names if o != "d"} for st in STATES for q in queries}
    problems = []
    for rnd in range(args.rounds):
        order = names[rnd % len(names):] + names[:rnd % len(names)]
        log("round %d/%d: %s" % (rnd + 1, args.rounds, " ".join(order)))
        for n in order:
            sec = sections[n]
            psql(sec["setup"])
            psql("CHECKPOINT;")
            stmts = [s.replace("{{DATA}}", data) for s in statements(sec["load"])]
            arr = "ARRAY[" + ", ".join(dollar(s) for s in stmts) + "]::text[]"
            out = psql("SELECT bench_exec(%s);" % arr)
            parts = [float(x) for x in out[0].strip("{}").split(",")]
            if "after" in sec:
                psql(sec["after"])
            table = "t_" + n
            psql("CHECKPOINT;")
            psql("ANALYZE %s;" % table)
            cnt, = psql("SELECT count(*) FROM %s;" % table)
            if int(cnt) != expected["rows"]:
                problems.append("(%s) round %d: %s rows loaded, expected %d"
                                % (n, rnd + 1, cnt, expected["rows"]))
            res[n]["load"].append(sum(parts))
            res[n]["load_parts"].append(parts)
            # "floor": a bare count(*) over the same table, the part of every
            # scan that no column type can make cheaper (informational only)
            sec["q:floor"] = "SELECT count(*) FROM %s" % table
            # "touch": counting the first column reads every row once, which
            # any query on a field pays whatever the type (informational)
            sec["q:touch"] = "SELECT count(%s) FROM %s" % (TOUCH_COLUMN[n], table)
            log("  (%s) load %.0f ms (%s)"
                % (n, sum(parts), " + ".join("%.0f" % p for p in parts)))
        for st in STATES:
            if st == "av":
                for n in order:
                    av, pages = make_all_visible("t_" + n)
                    if av != pages:
                        problems.append("(%s) round %d: only %d of %d pages all-visible after VACUUM"
                                        % (n, rnd + 1, av, pages))
                    size, = psql("SELECT pg_total_relation_size('t_%s');" % n)
                    res[n]["bytes"].append(int(size) / expected["rows"])
            for n in order:
                av, pages = visibility("t_" + n)
                res[n]["vis:" + st].append((av, pages))
            log("  state %s: all-visible %s" % (st, ", ".join(
                "(%s) %d/%d" % ((n,) + res[n]["vis:" + st][-1]) for n in names)))
            for q in queries:
                measure(args, names, order, sections, q, st, rnd, res, paired, problems, expected)
        if rnd == 0 and "c" in names and "d" in names and args.shape == "april":
            problems.extend(consistency_check())
    # de-duplicate repeated problems (one line per contender/query is enough)
    problems = list(dict.fromkeys(problems))
    return res, paired, problems


def measure(args, names, order, sections, q, st, rnd, res, paired, problems, expected):
    """One warm-up per contender, then REPS x (every contender once)."""
    seq = list(order) + [n for _ in range(args.reps) for n in order]
    calls = "\n".join("SELECT * FROM bench_query(%s);"
                       % dollar(sections[n][q].strip().rstrip(";")) for n in seq)
    # every measured query is a sequential scan (count(*) would otherwise
    # become an index-only scan of the unique index)
    calls = ("SET enable_indexscan = off; SET enable_indexonlyscan = off; "
             "SET enable_bitmapscan = off;\n" + calls)
    got = [l.split("\t", 1) for l in psql(calls)]
    want = expected[q[2:]]
    key = st + q
    for i, (n, (ms, result)) in enumerate(zip(seq, got)):
        if result != want:
            problems.append("(%s) round %d %s %s: got %s, expected %s"
                            % (n, rnd + 1, st, q[2:], result, want))
        if i >= len(order):
            res[n][key].append(float(ms))
    if "d" in names:
        for r in range(args.reps):
            rep = {n: float(got[len(order) * (r + 1) + k][0]) for k, n in enumerate(order)}
            for o in paired[key]:
                paired[key][o].append(rep["d"] / rep[o])
    log("  %s %-8s %s" % (st, q[2:], ", ".join(
        "(%s) %.1f ms" % (n, median(res[n][key][-args.reps:])) for n in names)))


CONSISTENCY = r"""
WITH j AS (
    SELECT c.r AS j, d.r AS d
    FROM t_c c FULL JOIN t_d d
      ON batch_id(d.r) = c.r->>'batch_id' AND reference_id(d.r) = c.r->>'reference_id'
)
SELECT count(*) FILTER (WHERE j IS NULL OR d IS NULL) AS unmatched,
       count(*) FILTER (WHERE target(d) IS DISTINCT FROM j->>'target') AS target,
       count(*) FILTER (WHERE request_variables(d) IS DISTINCT FROM j->'request_variables') AS request_variables,
       count(*) FILTER (WHERE request_status(d)::text IS DISTINCT FROM j->>'request_status') AS request_status,
       count(*) FILTER (WHERE call_manager_sid(d) IS DISTINCT FROM j->>'call_manager_sid') AS call_manager_sid,
       count(*) FILTER (WHERE created_at(d) IS DISTINCT FROM (j->>'created_at')::timestamptz) AS created_at,
       count(*) FILTER (WHERE sent_at(d) IS DISTINCT FROM (j->>'sent_at')::timestamptz) AS sent_at,
       -- comm_result reads an absent attempt_count as 0 (by design: "stored only if non-zero")
       count(*) FILTER (WHERE attempt_count(d) IS DISTINCT FROM coalesce((j->>'attempt_count')::int, 0)) AS attempt_count,
       count(*) FILTER (WHERE session_id(d) IS DISTINCT FROM (j->>'session_id')::bigint) AS session_id,
       count(*) FILTER (WHERE conversation_id(d) IS DISTINCT FROM (j->>'conversation_id')::bigint) AS conversation_id,
       count(*) FILTER (WHERE d::text::jsonb IS DISTINCT FROM d::text::comm_result::text::jsonb) AS text_roundtrip,
       count(*) FILTER (WHERE (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(d::text::jsonb) k
                               WHERE k IN ('call_manager_sid', 'sent_at', 'session_id', 'conversation_id'))
                              IS DISTINCT FROM
                              (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(j) k
                               WHERE k IN ('call_manager_sid', 'sent_at', 'session_id', 'conversation_id')))
           AS absent_vs_null
FROM j;
"""
CONSISTENCY_COLS = ["unmatched", "target", "request_variables", "request_status",
                    "call_manager_sid", "created_at", "sent_at", "attempt_count",
                    "session_id", "conversation_id", "text_roundtrip", "absent_vs_null"]


def consistency_check():
    """Every accessor of (d) must agree with the raw JSON kept by (c)."""
    log("consistency check: every (d) accessor against the jsonb of (c)")
    try:
        row = psql(CONSISTENCY)[0].split("\t")
    except SqlError as e:
        return ["consistency check failed to run: %s" % e]
    bad = ["%s: %s rows" % (c, v) for c, v in zip(CONSISTENCY_COLS, row) if v != "0"]
    if bad:
        return ["(d) disagrees with the source JSON: " + ", ".join(bad)]
    log("  all accessors agree on every row")
    return []


# ---------------------------------------------------------------- memory check

def rss_anon_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return None


MEM_SQL = {
    "d": {
        "setup": "CREATE TABLE t_mem (r comm_result NOT NULL); "
                 "CREATE UNIQUE INDEX ON t_mem ((batch_id(r)), (reference_id(r)));",
        "scan": "SELECT sum(attempt_count(r)), count(sent_at(r)) FROM t_mem;",
        "status": "SELECT count(*) FROM t_mem WHERE request_status(r) = 'COMPLETED'::comm_status;",
    },
    "c": {
        "setup": "CREATE TABLE t_mem (r jsonb NOT NULL); "
                 "CREATE UNIQUE INDEX ON t_mem ((r->>'batch_id'), (r->>'reference_id'));",
        "scan": "SELECT sum((r->>'attempt_count')::int), count(r->>'sent_at') FROM t_mem;",
        "status": "SELECT count(*) FROM t_mem WHERE r->>'request_status' = 'COMPLETED';",
    },
}


def memory_run(path, nrows, kind="d"):
    """COPY nrows into a fresh table (with its unique index already there),
    then scan it, all in ONE backend, sampling that backend's RssAnon every
    0.2 s.  kind "d" is comm_result, "c" plain jsonb (for reference)."""
    q = MEM_SQL[kind]
    psql("DROP TABLE IF EXISTS t_mem; %s CHECKPOINT;" % q["setup"])
    p = subprocess.Popen([PSQL, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, bufsize=1)
    p.stdin.write("SELECT pg_backend_pid();\n")
    p.stdin.flush()
    pid = int(p.stdout.readline())
    samples = []          # (time, phase, kB)
    phase = ["idle"]
    stop = threading.Event()

    def sampler():
        while not stop.is_set():
            kb = rss_anon_kb(pid)
            if kb is not None:
                samples.append((time.monotonic(), phase[0], kb))
            stop.wait(0.2)

    th = threading.Thread(target=sampler, daemon=True)
    th.start()
    time.sleep(0.5)
    steps = [
        ("copy", "COPY t_mem FROM %s %s;" % (lit(path), COPY_OPTS)),
        ("scan", q["scan"]),
        ("status", q["status"]),
        ("contexts", "SELECT sum(total_bytes) FROM pg_backend_memory_contexts;"),
    ]
    out = {}
    try:
        for ph, sql in steps:
            phase[0] = ph
            p.stdin.write(sql + "\n\\echo @@done\n")
            p.stdin.flush()
            lines = []
            while True:
                line = p.stdout.readline()
                if line == "":
                    raise SqlError("memory check: psql died during %s: %s"
                                   % (ph, p.stderr.read().strip()))
                if line.strip() == "@@done":
                    break
                if line.strip():
                    lines.append(line.strip())
            out[ph] = lines
            time.sleep(0.4)
    finally:
        phase[0] = "end"
        stop.set()
        th.join()
        p.stdin.close()
        p.wait()
    by = {}
    for t, ph, kb in samples:
        by.setdefault(ph, []).append((t, kb))
    copy_series = [kb for _, kb in by.get("copy", [])]
    return {
        "rows": nrows, "pid": pid,
        "baseline": by["idle"][-1][1] if by.get("idle") else None,
        "copy_peak": max(copy_series) if copy_series else None,
        "copy_series": copy_series,
        "scan_peak": max([kb for _, kb in by.get("scan", []) + by.get("status", [])] or [0]),
        "end": samples[-1][2] if samples else None,
        "copy_secs": (by["copy"][-1][0] - by["copy"][0][0]) if len(by.get("copy", [])) > 1 else 0,
        "contexts_kb": int(out["contexts"][0]) // 1024 if out.get("contexts") else None,
        "scan": out.get("scan"),
        "nsamples": len(samples),
    }


def deciles(series):
    if not series:
        return ""
    idx = [min(len(series) - 1, round(i * (len(series) - 1) / 10)) for i in range(11)]
    return " ".join("%.1f" % (series[i] / 1024) for i in idx)


def memory_check(args):
    """Peak RssAnon of one backend loading and scanning MEMROWS and MEMROWS/10
    rows.  Returns {"d": [small, big]} (+ "c" with --mem-ref)."""
    small_rows = args.mem_rows // 10
    small = os.path.join(os.path.dirname(args.mem_data), "mem_small.jsonl")
    with open(args.mem_data, encoding="utf-8") as f, open(small, "w", encoding="utf-8") as g:
        for i, line in enumerate(f):
            if i >= small_rows:
                break
            g.write(line)
    os.chmod(small, 0o644)
    runs = {}
    for kind in ["d"] + (["c"] if args.mem_ref else []):
        for path, n in ((small, small_rows), (args.mem_data, args.mem_rows)):
            log("memory check (%s): %d rows in one backend" % (kind, n))
            r = memory_run(path, n, kind)
            runs.setdefault(kind, []).append(r)
            log("  pid %d: RssAnon baseline %.1f MB, COPY peak %.1f MB, scan peak %.1f MB "
                "(%d samples)" % (r["pid"], r["baseline"] / 1024, r["copy_peak"] / 1024,
                                  r["scan_peak"] / 1024, r["nsamples"]))
    psql("DROP TABLE IF EXISTS t_mem;")
    os.unlink(small)
    return runs


# ---------------------------------------------------------------- report

RESULTS_TITLE = "# comm_result benchmark results"
# The parts of the benchmark, in the order results.md lists them.
# "investigation" is written by hand (issue 15): kept as it is by every run.
PARTS = ("load", "today", "investigation", "transitions", "report")


def part_marker(part):
    return "<!-- bench part: %s -->" % part


def write_part(path, part, text):
    """results.md holds one section per part of the benchmark (run.sh's
    PART): replace this part's section and keep the others as they are."""
    try:
        with open(path, encoding="utf-8") as f:
            old = f.read()
    except FileNotFoundError:
        old = ""
    found = sorted((old.index(part_marker(p)), p) for p in PARTS if part_marker(p) in old)
    parts = {}
    for i, (pos, p) in enumerate(found):
        end = found[i + 1][0] if i + 1 < len(found) else len(old)
        parts[p] = old[pos + len(part_marker(p)):end].strip("\n")
    if not found and old.startswith(RESULTS_TITLE + "\n") and part != "load":
        # a results.md from before the parts: its body is the load part
        body = old[len(RESULTS_TITLE):].strip("\n")
        parts["load"] = "## Load, size and scans\n\n" + re.sub(r"(?m)^## ", "### ", body)
    parts[part] = text.strip("\n")
    out = [RESULTS_TITLE, ""]
    for p in PARTS:
        if p in parts:
            out += [part_marker(p), "", parts[p], ""]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out))

def fmt(x, unit):
    if unit == "ms":
        return "%.0f ms" % x if x >= 100 else "%.1f ms" % x
    return "%.1f B" % x


QUERY_TITLES = {
    "q:status": "status filter (count COMPLETED)",
    "q:scan": "accessor scan (sum attempt_count, count sent_at)",
    "q:group": "GROUP BY batch_id, request_status::text",
    "q:line": "line_type filter (count mobile)",
    "q:floor": "(info) seq scan floor: count(*)",
    "q:touch": "(info) reading every row once: count(first column)",
}
# Targets per query (against typed columns, and jsonb for the April two).
QUERY_TARGETS = {
    "q:status": [("b", 1.2), ("a", 0.4)],
    "q:scan": [("b", 1.2), ("a", 0.4)],
    "q:group": [("b", 1.2)],
    "q:line": [("b", 1.2)],
}


def verdict_cells(med, targets, is_query):
    tg, ok = [], []
    for o, lim in targets:
        if o == "a" and is_query:
            tg.append("d/a ≤ 0.40 (≥ 2.5× faster)")
        else:
            tg.append("d/%s ≤ %.2f" % (o, lim))
        if "d" in med and o in med:
            ok.append(med["d"] / med[o] <= lim)
    if not targets:
        return ["none"], "–"
    if len(ok) < len(targets):
        return tg, "–"
    if all(ok):
        return tg, "PASS"
    return tg, "FAIL (" + ", ".join("d/%s %.3f > %.2f" % (o, med["d"] / med[o], lim)
                                    for o, lim in targets if med["d"] / med[o] > lim) + ")"


def report(args, names, res, paired, problems, mem, settings, expected, queries):
    L = []
    today = args.shape == "today"
    L.append("## Today's shape: load, size and scans" if today else "## Load, size and scans")
    L.append("")
    if today:
        L.append("- Corpus: `gen.py --as today` (the records of the April corpus, seed %d, in "
                 "today's API shape: no batch_id in the records, channel_manager_sid, every key "
                 "in the SDKs' order, the five new fields), %d records in %s endpoint responses "
                 "(one JSON array per batch, with the URL's batch id)."
                 % (args.seed, expected["rows"], args.batches))
        L.append("- Load = server-side COPY of the responses into an unlogged jsonb staging table, "
                 "INSERT ... SELECT into the contender (comm_results(body, batch_id) for (d); "
                 "jsonb_array_elements and the batch id added as a key for (a), (c); "
                 "jsonb_populate_record for (b), whose typed table has a column per new field) "
                 "and CREATE UNIQUE INDEX on (batch_id, reference_id), timed in the server.")
    else:
        L.append("- Load = server-side COPY + CREATE UNIQUE INDEX on (batch_id, reference_id), "
                 "timed in the server; for (b) it includes the COPY into the jsonb "
                 "staging table and the INSERT ... SELECT through jsonb_populate_record.")
    L.append("- %d rows (seed %d, %s), %d rounds interleaved (order rotated each round), "
             "%d timed repetitions per query per round after one warm-up; medians over all rounds."
             % (expected["rows"], args.seed, os.path.basename(args.data), args.rounds, args.reps))
    L.append("- Server settings (same cluster, all contenders): `%s`" % settings)
    if args.load_avg:
        L.append("- Machine: %s" % args.load_avg)
    L.append("- Parallel query and JIT are off; every measured query is a plain sequential "
             "scan (index scans disabled for them), on tables warm in shared buffers.  Each "
             "round measures the queries twice: on the tables as loaded and ANALYZEd (%s), "
             "then after VACUUM, repeated until pg_visibility_map_summary counts every page "
             "all-visible (%s).  The all-visible pages / pages of every table are printed "
             "with each state." % (STATE_TITLES["nv"], STATE_TITLES["av"]))
    L.append("- Bytes/row = pg_total_relation_size (heap + TOAST + indexes, all forks) / rows, "
             "after VACUUM.")
    L.append("- %s" % ", ".join(TITLES[n] for n in names))
    L.append("")
    L.append("| metric | (a) | (b) | (c) | (d) | d/a | d/b | d/c | target | pass/fail |")
    L.append("|---|---|---|---|---|---|---|---|---|---|")
    verdicts = []

    def row(title, key, unit, targets, is_query):
        med = {n: median(res[n][key]) for n in names}
        cells = [fmt(med[n], unit) if n in med else "–" for n in CONTENDERS]
        ratios = ["%.2f" % (med["d"] / med[o]) if "d" in med and o in med else "–"
                  for o in ("a", "b", "c")]
        tg, verdict = verdict_cells(med, targets, is_query)
        if targets:
            verdicts.append(verdict)
        L.append("| %s | %s | %s | %s | %s |"
                 % (title, " | ".join(cells), " | ".join(ratios), "; ".join(tg), verdict))

    row("load", "load", "ms", [("a", 0.4), ("c", 1.1)], False)
    row("bytes per row", "bytes", "B", [("a", 0.6), ("b", 1.05)], False)
    for st in ("av", "nv"):
        vis = ", ".join("(%s) %s" % (n, " ".join("%d/%d" % v for v in res[n]["vis:" + st]))
                        for n in names)
        L.append("| **%s**; all-visible pages per round: %s | | | | | | | | | |"
                 % (STATE_TITLES[st], vis))
        for q in queries:
            # the targets are the steady state's; the other state is shown beside it
            row(("[%s] " % st) + QUERY_TITLES[q], st + q, "ms",
                QUERY_TARGETS.get(q, []) if st == "av" else [], True)
    if mem:
        small, big = mem["d"]
        growth = (big["copy_peak"] - small["copy_peak"]) / 1024
        growth_scan = (big["scan_peak"] - small["scan_peak"]) / 1024
        flat = max(growth, growth_scan) <= args.flat_mb
        verdicts.append("PASS" if flat else "FAIL")
        L.append("| backend peak RssAnon, %d → %d rows (COPY; scan) | – | – | – | "
                 "%.1f → %.1f MB; %.1f → %.1f MB | – | – | – | growth ≤ %d MB | %s |"
                 % (small["rows"], big["rows"], small["copy_peak"] / 1024, big["copy_peak"] / 1024,
                    small["scan_peak"] / 1024, big["scan_peak"] / 1024, args.flat_mb,
                    "PASS" if flat else "FAIL"))
    L.append("")
    if verdicts and all(v != "–" for v in verdicts):
        L.append("**%d of %d target rows pass.**" % (sum(v == "PASS" for v in verdicts), len(verdicts)))
        L.append("")
    # details
    L.append("### Details")
    L.append("")
    L.append("Per-round load times in ms (statement parts: COPY[, INSERT ... SELECT], index):")
    L.append("")
    for n in names:
        rounds = ", ".join("%.0f (%s)" % (sum(p), " + ".join("%.0f" % x for x in p))
                           for p in res[n]["load_parts"])
        L.append("- %s: %s" % (TITLES[n], rounds))
    L.append("")
    L.append("Query times in ms, min / median / max over %d runs:" % (args.reps * args.rounds))
    L.append("")
    for n in names:
        L.append("- %s: %s" % (TITLES[n], "; ".join(
            "%s %s %.1f / %.1f / %.1f" % (st, q[2:], min(res[n][st + q]), median(res[n][st + q]),
                                          max(res[n][st + q]))
            for st in STATES for q in queries)))
    if "d" in names:
        L.append("")
        L.append("Paired ratios: median over the %d repetitions of (d's time / the other's time "
                 "in the same repetition), a drift-robust check of the table's ratios of medians:"
                 % (args.reps * args.rounds))
        L.append("")
        for st in STATES:
            for q in queries:
                L.append("- [%s] %s: %s" % (st, QUERY_TITLES[q], ", ".join(
                    "d/%s %.2f" % (o, median(paired[st + q][o])) for o in paired[st + q])))
    L.append("")
    L.append("Expected query results (computed from the data file by Python): %s."
             % ", ".join("%s %s" % (q[2:], expected[q[2:]]) for q in queries))
    L.append("")
    if mem:
        L.append("### Memory check")
        L.append("")
        L.append("One backend (pid from pg_backend_pid()) runs COPY of N rows into a comm_result "
                 "table with its unique index, then the accessor scan and the status filter; "
                 "its RssAnon (/proc/<pid>/status: private, non-shared memory, so shared buffers "
                 "do not count) is sampled every 0.2 s.  Flat = peaks do not grow with N by more "
                 "than %d MB." % args.flat_mb)
        L.append("")
        L.append("| table | rows | baseline | COPY peak | scan peak | end | COPY secs | samples | "
                 "memory contexts after | RssAnon through the COPY, MB (0%,10%..100%) |")
        L.append("|---|---|---|---|---|---|---|---|---|---|")
        for kind, r in [(k, r) for k in mem for r in mem[k]]:
            L.append("| %s | %d | %.1f MB | %.1f MB | %.1f MB | %.1f MB | %.1f | %d | %s | %s |"
                     % ("comm_result" if kind == "d" else "jsonb (reference)",
                        r["rows"], r["baseline"] / 1024, r["copy_peak"] / 1024,
                        r["scan_peak"] / 1024, r["end"] / 1024, r["copy_secs"], r["nsamples"],
                        "%d kB" % r["contexts_kb"] if r["contexts_kb"] is not None else "?",
                        deciles(r["copy_series"])))
        L.append("")
    if problems:
        L.append("### PROBLEMS")
        L.append("")
        for p in problems:
            L.append("- " + p)
        L.append("")
    return "\n".join(L) + "\n", verdicts



def server_settings():
    """The server's command-line settings, for the report (not the socket)."""
    return ", ".join(
        "%s=%s" % tuple(r.split("\t")) for r in psql(
            "SELECT name, current_setting(name) FROM pg_settings "
            "WHERE source = 'command line' ORDER BY name;")
        if not r.startswith(("unix_socket", "listen_addresses", "port\t")))


def finish(out, part, text, problems):
    """Print a part's report, write it into the results file; 2 on problems."""
    print()
    print(text)
    write_part(out, part, text)
    log("written to %s" % out)
    if problems:
        log("%d problem(s), see the PROBLEMS section" % len(problems))
        return 2
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--mem-data")
    ap.add_argument("--mem-rows", type=int, default=0)
    ap.add_argument("--flat-mb", type=int, default=4)
    ap.add_argument("--mem-ref", action="store_true",
                    help="also run the memory check on a plain jsonb table, for reference")
    ap.add_argument("--skip-d", action="store_true")
    ap.add_argument("--shape", choices=("april", "today"), default="april",
                    help="the data file's shape: April records, or today's responses")
    ap.add_argument("--load-avg", default="", help="the machine's load, for the report")
    ap.add_argument("--out", default=os.path.join(HERE, "results.md"))
    args = ap.parse_args()

    names = [n for n in CONTENDERS if not (args.skip_d and n == "d")]
    cdir = "contenders" if args.shape == "april" else os.path.join("contenders", "today")
    sections = {n: parse_contender(n, cdir) for n in names}
    queries = [q for q in QUERIES if q in ("q:floor", "q:touch")
               or all(q in sections[n] for n in names)]
    log("expected results from %s" % args.data)
    expected = expected_results(args.data, args.shape)
    with open(args.data, encoding="utf-8") as f:
        args.batches = sum(1 for _ in f)
    psql(HELPERS)
    psql("CREATE EXTENSION IF NOT EXISTS pg_visibility;")
    for n in names:
        if "once" in sections[n]:
            psql(sections[n]["once"])
    settings = server_settings()
    res, paired, problems = run_rounds(args, names, sections, expected, queries)
    mem = memory_check(args) if args.mem_rows and "d" in names else None
    text, _ = report(args, names, res, paired, problems, mem, settings, expected, queries)
    return finish(args.out, "today" if args.shape == "today" else "load", text, problems)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SqlError as e:
        print("bench.py: SQL failed:\n%s" % e, file=sys.stderr)
        sys.exit(1)
