#!/usr/bin/env python3
"""Benchmark driver, third part: the per-batch report.

    SELECT batch_id(r), comm_batch_summary(r) FROM t GROUP BY 1

over the load contenders' tables (bench/contenders/{a,b,c,d}.sql, section
"@q report"), against the equivalent GROUP BY batch_id with count(*) FILTER
on plain typed columns (b) and on jsonb (a, c): serial, then with 2 parallel
workers against none on a 2,000,000-row table.

Normally started by bench/run.sh (PART=all or PART=report), which starts the
throwaway cluster and generates the data files.  Works in its own database,
so it can share the cluster with the other parts.  Every measurement is
taken inside the server with clock_timestamp() around EXECUTE.
"""

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys

import bench
from bench import SqlError, dollar, lit, log, median, parse_contender, psql

HERE = os.path.dirname(os.path.abspath(__file__))
CONTENDERS = ["a", "b", "c", "d"]
TITLES = bench.TITLES
DB = "bench_report"
STATUSES = ["PENDING", "DUPLICATE", "INITIATED", "CONNECTED", "COMPLETED", "FAILED",
            "CANCELED", "INVALID", "SKIPPED"]
TERMINAL = {"DUPLICATE", "COMPLETED", "CANCELED", "INVALID", "SKIPPED"}
# The targets: (d) at most this times the other, serial.
TARGETS = [("b", 1.0), ("a", 0.5), ("c", 0.5)]
# ... and at least this speedup with 2 parallel workers, on the big table.
SPEEDUP = 1.6
FIELDS = ["total", "pending", "duplicate", "initiated", "connected", "completed", "failed",
          "canceled", "invalid", "skipped", "attempts", "max_attempts", "first_created_at",
          "last_created_at", "first_sent_at", "last_sent_at", "done", "status_counts"]
INSTANTS = ["first_created_at", "last_created_at", "first_sent_at", "last_sent_at"]

HELPERS = r"""
-- Run a report query to the end and time it.  Every column of every group
-- is read (x::text): counting the rows alone would let the planner drop the
-- aggregates it does not need.  The result is "groups:md5 of the rows", the
-- same in every repetition of one contender.
CREATE FUNCTION bench_report(q text, OUT ms float8, OUT result text)
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
BEGIN
    t0 := clock_timestamp();
    EXECUTE 'SELECT count(*) || '':'' || md5(string_agg(x::text, E''\n'' ORDER BY x::text)) FROM ('
            || q || ') x' INTO result;
    ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
END
$$;
"""


def query(sections, n):
    """The contender's report query, without its comment lines."""
    return "\n".join(l for l in sections[n]["q:report"].splitlines()
                     if not l.strip().startswith("--")).strip().rstrip(";")


def instant(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00").replace("z", "+00:00"))


def expected_batches(path):
    """comm_batch_summary of every batch, computed by Python from the file."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            b = out.setdefault(r["batch_id"], {"total": 0, "attempts": 0, "max_attempts": 0,
                                               "done": True, "status_counts": {},
                                               "_created": [], "_sent": []})
            st = r.get("request_status") or "PENDING"
            b["total"] += 1
            b["status_counts"][st] = b["status_counts"].get(st, 0) + 1
            a = r.get("attempt_count") or 0
            b["attempts"] += a
            b["max_attempts"] = max(b["max_attempts"], a)
            b["done"] = b["done"] and st in TERMINAL
            if r.get("created_at") is not None:
                b["_created"].append(instant(r["created_at"]))
            if r.get("sent_at") is not None:
                b["_sent"].append(instant(r["sent_at"]))
    for b in out.values():
        for s in STATUSES:
            b[s.lower()] = b["status_counts"].get(s, 0)
        c, s = b.pop("_created"), b.pop("_sent")
        b["first_created_at"], b["last_created_at"] = (min(c), max(c)) if c else (None, None)
        b["first_sent_at"], b["last_sent_at"] = (min(s), max(s)) if s else (None, None)
    return out


def fetch_batches(sql, workers=0):
    """{batch_id: {field: value}} from a report query (d's composite flattened);
    instants parsed, so that the comparison does not depend on their rendering."""
    out = {}
    for line in psql("SET max_parallel_workers_per_gather = %d; "
                     "SELECT to_jsonb(x)::text FROM (%s) x;" % (workers, sql)):
        row = json.loads(line)
        if isinstance(row.get("summary"), dict):
            row.update(row.pop("summary"))
        for k in INSTANTS:
            if row.get(k) is not None:
                row[k] = instant(row[k])
        out[row.pop("batch_id")] = row
    return out


def compare(label, got, want, problems, limit=5):
    """List the batches where got differs from want, field by field."""
    bad = []
    for b in sorted(set(got) | set(want)):
        if b not in got or b not in want:
            bad.append("batch %s only in %s" % (b, "the result" if b in got else "the reference"))
            continue
        for k in FIELDS:
            if got[b].get(k) != want[b].get(k):
                bad.append("batch %s %s: %r, expected %r" % (b, k, got[b].get(k), want[b].get(k)))
    if bad:
        problems.append("%s: %d differences, e.g. %s" % (label, len(bad), "; ".join(bad[:limit])))
    return len(bad)


def explain(sql, workers, analyze=False):
    opts = "ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF" if analyze else "COSTS OFF"
    return psql("SET max_parallel_workers_per_gather = %d; EXPLAIN (%s) %s;"
                % (workers, opts, sql))


def timed_path_workers(sql):
    """Workers launched when the query runs as the timed runs run it (through
    bench_report's EXECUTE), from auto_explain's plan sent to the client."""
    p = subprocess.run([bench.PSQL, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-f", "-"],
                       input="LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0; "
                       "SET auto_explain.log_analyze = on; SET auto_explain.log_timing = off; "
                       "SET auto_explain.log_nested_statements = on; "
                       "SET auto_explain.log_level = notice; "
                       "SET max_parallel_workers_per_gather = 2; "
                       "SELECT ms FROM bench_report(%s);" % dollar(sql),
                       capture_output=True, text=True)
    m = re.findall(r"Workers Launched: (\d+)", p.stderr)
    return int(m[0]) if m else 0


def load(n, sections, path, problems, label):
    sec = sections[n]
    t = "t_" + n
    psql(sec["setup"])
    stmts = [s.replace("{{DATA}}", lit(path)) for s in bench.statements(sec["load"])]
    out = psql("SELECT bench_exec(ARRAY[%s]::text[]);" % ", ".join(dollar(s) for s in stmts))
    if "after" in sec:
        psql(sec["after"])
    psql("CHECKPOINT;")
    psql("VACUUM ANALYZE %s;" % t)
    cnt, size = psql("SELECT count(*), pg_total_relation_size('%s') FROM %s;" % (t, t))[0].split("\t")
    ms = sum(float(x) for x in out[0].strip("{}").split(","))
    log("  (%s) %s rows loaded in %.0f ms, %.0f MB" % (n, cnt, ms, int(size) / 2 ** 20))
    return int(cnt)


def timed_rounds(args, runs, rounds, reps):
    """runs: [(key, workers, sql)].  Each round: one warm-up of each, then
    reps x (each once), the order rotated from round to round.  Returns
    {key: [ms]}, {key: set(results)}, and per repetition {key: ms}."""
    res = {k: [] for k, _, _ in runs}
    results = {k: set() for k, _, _ in runs}
    per_rep = []
    for rnd in range(rounds):
        order = runs[rnd % len(runs):] + runs[:rnd % len(runs)]
        log("round %d/%d: %s" % (rnd + 1, rounds, " ".join(k for k, _, _ in order)))
        seq = list(order) + [r for _ in range(reps) for r in order]
        calls = "\n".join("SET max_parallel_workers_per_gather = %d; "
                          "SELECT * FROM bench_report(%s);" % (w, dollar(q)) for _, w, q in seq)
        got = [l.split("\t", 1) for l in psql(calls)]
        for i, ((k, _, _), (ms, result)) in enumerate(zip(seq, got)):
            results[k].add(result)
            if i >= len(order):
                res[k].append(float(ms))
        for r in range(reps):
            per_rep.append({k: float(got[len(order) * (r + 1) + j][0])
                            for j, (k, _, _) in enumerate(order)})
        log("  " + ", ".join("%s %.1f ms" % (k, median(res[k][-reps:])) for k, _, _ in runs))
    return res, results, per_rep


def fms(x):
    return "%.0f ms" % x if x >= 100 else "%.1f ms" % x


def spread(xs):
    return "%s / %s / %s" % (fms(min(xs)), fms(median(xs)), fms(max(xs)))


def plan_shape(plan):
    """The plan's node names, outermost first, e.g. HashAggregate <- Seq Scan."""
    nodes = []
    for l in plan:
        m = re.match(r"\s*(?:->\s*)?([A-Z][A-Za-z ]+?)(?: on | using |$)", l)
        if m and not l.strip().startswith(("Group Key", "Workers", "Sort Key", "Filter",
                                           "Batches", "Memory", "Planned", "Heap", "Output")):
            nodes.append(m.group(1).strip())
    return " ← ".join(nodes)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="the records of the serial comparison")
    ap.add_argument("--big-data", help="the records of the parallel comparison (2,000,000)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--big-rounds", type=int, default=3)
    ap.add_argument("--big-reps", type=int, default=5)
    ap.add_argument("--no-big-b", action="store_true",
                    help="skip the plain-columns reference of the parallel comparison")
    ap.add_argument("--out", default=os.path.join(HERE, "results.md"))
    args = ap.parse_args()

    psql("DROP DATABASE IF EXISTS %s;" % DB)
    psql("CREATE DATABASE %s;" % DB)
    os.environ["PGDATABASE"] = DB
    sections = {n: parse_contender(n) for n in CONTENDERS}
    psql(bench.HELPERS + HELPERS)
    for n in CONTENDERS:
        if "once" in sections[n]:
            psql(sections[n]["once"])
    settings = bench.server_settings()
    parallel_settings = ", ".join("%s=%s" % tuple(r.split("\t")) for r in psql(
        "SELECT name, current_setting(name) FROM pg_settings WHERE name IN "
        "('parallel_setup_cost', 'parallel_tuple_cost', 'min_parallel_table_scan_size', "
        "'max_parallel_workers', 'max_worker_processes') ORDER BY name;"))
    problems = []
    queries = {n: query(sections, n) for n in CONTENDERS}

    # ------------------------------------------------------------ serial
    log("expected per-batch results from %s" % args.data)
    want = expected_batches(args.data)
    rows = sum(b["total"] for b in want.values())
    log("loading the contenders (%d rows, %d batches)" % (rows, len(want)))
    for n in CONTENDERS:
        if load(n, sections, args.data, problems, "serial") != rows:
            problems.append("(%s): wrong row count after the load" % n)
    plans = {n: explain(queries[n], 0) for n in CONTENDERS}
    for n in CONTENDERS:
        if "Aggregate" not in plans[n][0]:
            problems.append("(%s): unexpected serial plan: %s" % (n, plans[n][0]))
    log("consistency check: every contender against the others and Python")
    got = {n: fetch_batches(queries[n]) for n in CONTENDERS}
    diffs = {}
    for n in CONTENDERS:
        diffs[n] = compare("(%s) against the Python reference" % n, got[n], want, problems)
    for n in "abc":
        diffs["d~" + n] = compare("(d) against (%s)" % n, got["d"], got[n], problems)
    log("  differences: " + ", ".join("%s %d" % kv for kv in diffs.items()))
    runs = [(n, 0, queries[n]) for n in CONTENDERS]
    res, results, per_rep = timed_rounds(args, runs, args.rounds, args.reps)
    for n in CONTENDERS:
        if len(results[n]) != 1 or not next(iter(results[n])).startswith("%d:" % len(want)):
            problems.append("(%s): the timed query returned %s (expected %d groups, the same "
                            "every time)" % (n, sorted(results[n]), len(want)))

    # ------------------------------------------------------------ parallel
    big = None
    if args.big_data:
        big = {"names": ["d"] + ([] if args.no_big_b else ["b"])}
        log("expected per-batch results from %s" % args.big_data)
        bwant = expected_batches(args.big_data)
        big["rows"] = sum(b["total"] for b in bwant.values())
        big["batches"] = len(bwant)
        for n in CONTENDERS:
            if n not in big["names"]:
                psql("DROP TABLE t_%s;" % n)
        log("loading %d rows into %s" % (big["rows"], ", ".join(big["names"])))
        for n in big["names"]:
            if load(n, sections, args.big_data, problems, "parallel") != big["rows"]:
                problems.append("(%s) 2M: wrong row count after the load" % n)
        big["size"] = {n: int(psql("SELECT pg_relation_size('t_%s');" % n)[0])
                       for n in big["names"]}
        big["plans"] = {}
        for n in big["names"]:
            p0, p2 = explain(queries[n], 0), explain(queries[n], 2)
            pa = explain(queries[n], 2, analyze=True)
            big["plans"][n] = (p0, p2, pa)
            text = "\n".join(p2)
            if not ("Partial" in text and "Finalize" in text and "Gather" in text):
                problems.append("(%s) 2M: no parallel plan with 2 workers:\n%s" % (n, text))
            if "Workers Launched: 2" not in "\n".join(pa):
                problems.append("(%s) 2M: EXPLAIN ANALYZE did not launch 2 workers" % n)
            big.setdefault("timed_workers", {})[n] = timed_path_workers(queries[n])
            if big["timed_workers"][n] != 2:
                problems.append("(%s) 2M: the timed path launched %d workers, not 2"
                                % (n, big["timed_workers"][n]))
        log("consistency check on the big table, serial and parallel")
        big["diffs"] = {}
        for n in big["names"]:
            big["diffs"][n] = tuple(
                compare("(%s) 2M, %d workers, against Python" % (n, w),
                        fetch_batches(queries[n], w), bwant, problems) for w in (0, 2))
        log("  differences: %s" % big["diffs"])
        bruns = [(n + "/" + str(w), w, queries[n]) for n in big["names"] for w in (0, 2)]
        big["res"], bres, big["per_rep"] = timed_rounds(args, bruns, args.big_rounds,
                                                        args.big_reps)
        for n in big["names"]:
            rs = bres[n + "/0"] | bres[n + "/2"]
            if len(rs) != 1 or not next(iter(rs)).startswith("%d:" % big["batches"]):
                problems.append("(%s) 2M: the timed query returned %s, serial and parallel "
                                "(expected %d groups, the same every time)"
                                % (n, sorted(rs), big["batches"]))
        psql("DROP TABLE IF EXISTS t_a, t_b, t_c, t_d;")

    problems = list(dict.fromkeys(problems))
    text = report(args, res, per_rep, plans, diffs, big, problems, settings,
                  parallel_settings, rows, len(want))
    return bench.finish(args.out, "report", text, problems)


def report(args, res, per_rep, plans, diffs, big, problems, settings, parallel_settings,
           rows, batches):
    L = ["## Per-batch report", ""]
    L.append("`SELECT batch_id(r), comm_batch_summary(r) FROM t GROUP BY 1` against the "
             "equivalent `GROUP BY batch_id` with `count(*) FILTER` per status (the queries "
             "are the `@q report` sections of `bench/contenders/*.sql`).")
    L.append("")
    L.append("- %d rows (seed %d, %s) in %d batches, the load contenders' tables (unique index "
             "on (batch_id, reference_id), VACUUM ANALYZE after the load); %d round(s), the "
             "contenders interleaved repetition by repetition (order rotated each round), "
             "%d timed runs each per round after one warm-up; medians over all rounds."
             % (rows, args.seed, os.path.basename(args.data), batches, args.rounds, args.reps))
    L.append("- Server settings: `%s`; serial runs with max_parallel_workers_per_gather=0, "
             "JIT off." % settings)
    L.append("- Timed in the server around `EXECUTE`, reading every column of every group "
             "(`SELECT count(*), md5(string_agg(x::text ...)) FROM (<query>) x`).")
    L.append("")
    L.append("### Serial, %d rows" % rows)
    L.append("")
    L.append("| | (a) | (b) | (c) | (d) | d/a | d/b | d/c | target | pass/fail |")
    L.append("|---|---|---|---|---|---|---|---|---|---|")
    med = {n: median(res[n]) for n in CONTENDERS}
    ok = [med["d"] / med[o] <= lim for o, lim in TARGETS]
    verdict = "PASS" if all(ok) else "FAIL (" + ", ".join(
        "d/%s %.3f > %.2f" % (o, med["d"] / med[o], lim)
        for (o, lim), k in zip(TARGETS, ok) if not k) + ")"
    L.append("| per-batch report | %s | %s | d/b ≤ 1.00; d/a, d/c ≤ 0.50 (≥ 2× faster) | %s |"
             % (" | ".join(fms(med[n]) for n in CONTENDERS),
                " | ".join("%.2f" % (med["d"] / med[o]) for o in "abc"), verdict))
    L.append("| per row | %s | | | | | |" % " | ".join(
        "%.0f ns" % (med[n] * 1e6 / rows) for n in CONTENDERS))
    L.append("")
    L.append("Min / median / max over %d runs: %s." % (args.rounds * args.reps, "; ".join(
        "(%s) %s" % (n, spread(res[n])) for n in CONTENDERS)))
    L.append("Paired ratios (median over the repetitions of d's time / the other's in the "
             "same repetition): %s." % ", ".join(
                 "d/%s %.2f" % (o, median([r["d"] / r[o] for r in per_rep])) for o in "abc"))
    L.append("")
    L.append("Plans (EXPLAIN, COSTS OFF): %s." % "; ".join(
        "(%s) %s" % (n, plan_shape(plans[n])) for n in CONTENDERS))
    L.append("")
    L.append("Consistency (first, untimed): every contender's per-batch rows against a "
             "reference computed by Python from the file (absent or null status counted as "
             "PENDING, absent attempt_count as 0, instants compared as instants), and (d) "
             "against each of (a), (b), (c), field by field: %s"
             % ", ".join("%s %d" % ("(%s) vs Python" % k if len(k) == 1 else
                                    "(d) vs (%s)" % k[2:], v) for k, v in diffs.items())
             + (" differences; the timed queries returned the same %d groups every time."
                % batches if not any(diffs.values()) else " differences (see PROBLEMS)."))
    L.append("")
    if big:
        bres = big["res"]
        L.append("### Parallel, %d rows" % big["rows"])
        L.append("")
        L.append("- %d rows (%s, %d batches; heap %s), VACUUM ANALYZE; the same query with "
                 "max_parallel_workers_per_gather=0 and =2 (set per query), interleaved, %d "
                 "round(s) of %d timed runs each after one warm-up."
                 % (big["rows"], os.path.basename(args.big_data), big["batches"],
                    ", ".join("(%s) %.0f MB" % (n, big["size"][n] / 2 ** 20)
                              for n in big["names"]), args.big_rounds, args.big_reps))
        L.append("- Parallel settings at their defaults: `%s`.  2 cores: with 2 workers the "
                 "leader runs the plan too, so 3 processes share 2 cores." % parallel_settings)
        L.append("")
        L.append("| query | 0 workers | 2 workers | speedup | target | pass/fail |")
        L.append("|---|---|---|---|---|---|")
        for n in big["names"]:
            m0, m2 = median(bres[n + "/0"]), median(bres[n + "/2"])
            sp = m0 / m2
            if n == "d":
                tg, v = "≥ %.1f" % SPEEDUP, "PASS" if sp >= SPEEDUP else \
                    "FAIL (%.2f < %.1f)" % (sp, SPEEDUP)
            else:
                tg, v = "none (reference)", "–"
            L.append("| %s | %s | %s | %.2f × | %s | %s |"
                     % (TITLES[n], fms(m0), fms(m2), sp, tg, v))
        L.append("")
        L.append("Min / median / max over %d runs: %s.  Paired speedup (median over the "
                 "repetitions of the 0-worker time / the 2-worker time): %s."
                 % (args.big_rounds * args.big_reps, "; ".join(
                     "(%s) %d workers %s" % (k.split("/")[0], int(k.split("/")[1]), spread(v))
                     for k, v in bres.items()), ", ".join(
                     "(%s) %.2f" % (n, median([r[n + "/0"] / r[n + "/2"] for r in big["per_rep"]]))
                     for n in big["names"])))
        if "b" in big["names"]:
            L.append("(d) against (b) on this table: %.2f with no workers, %.2f with 2."
                     % (median(bres["d/0"]) / median(bres["b/0"]),
                        median(bres["d/2"]) / median(bres["b/2"])))
        L.append("")
        L.append("Consistency: the per-batch rows with no workers and with 2 workers, against "
                 "Python's reference from the file: %s differences.  Workers launched by the "
                 "timed path (bench_report's EXECUTE, seen by auto_explain): %s."
                 % (", ".join("(%s) %d / %d" % (n, a, b) for n, (a, b) in big["diffs"].items()),
                    ", ".join("(%s) %d" % kv for kv in big["timed_workers"].items())))
        L.append("")
        for n in big["names"]:
            p0, p2, pa = big["plans"][n]
            L.append("Plan of %s with 2 workers (EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF)); "
                     "with none: %s." % (TITLES[n], plan_shape(p0)))
            L.append("")
            L.append("```")
            L.extend(pa)
            L.append("```")
            L.append("")
    if problems:
        L.append("### PROBLEMS")
        L.append("")
        for p in problems:
            L.append("- " + p.replace("\n", "\n  "))
        L.append("")
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SqlError as e:
        print("report.py: SQL failed:\n%s" % e, file=sys.stderr)
        sys.exit(1)
