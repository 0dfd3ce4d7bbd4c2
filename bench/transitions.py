#!/usr/bin/env python3
"""Benchmark driver, second part: the lifecycle workload.

Moves 10% of the rows of a table of pending requests PENDING -> INITIATED
through a BEFORE UPDATE guard trigger, and upserts snapshots of every
request into a populated table, for comm_result (comm_result_guard,
comm_result_transition, comm_result_merge) against PL/pgSQL triggers doing
the same checks on typed columns and on jsonb.

Normally started by bench/run.sh (PART=all or PART=transitions), which
starts the throwaway cluster and generates the two data files with
gen.py --as pending / --as snapshot.  Works in its own database, so it can
share the cluster with the load part.  Every measurement is taken inside the
server with clock_timestamp() around EXECUTE; the statement's own
transaction also reads the HOT and WAL counters.

Contenders are described in bench/transitions/*.sql.
"""

import argparse
import json
import os
import sys

import bench
from bench import SqlError, dollar, lit, log, median, parse_contender, psql

HERE = os.path.dirname(os.path.abspath(__file__))
CONTENDERS = ["p", "p0", "j", "j0", "dx", "dg"]
D_NAMES = ["dx", "dg"]
TITLES = {
    "p": "(P) typed columns + CHECKs, PL/pgSQL trigger",
    "p0": "(P0) typed columns, no CHECKs, PL/pgSQL trigger [info]",
    "j": "(J) jsonb + CHECKs, PL/pgSQL trigger",
    "j0": "(J0) jsonb, no CHECKs, PL/pgSQL trigger [info]",
    "dx": "(D-expr) comm_result, expression-index key",
    "dg": "(D-gen) comm_result, stored generated key columns",
}
SHORT = {"p": "P", "p0": "P0", "j": "J", "j0": "J0", "dx": "D-expr", "dg": "D-gen"}
# The targets for the transition: D at most this times the other.
TARGETS = [("p", 0.70), ("j", 0.35)]
# Ratios of (D-gen) to (D-expr) closer to 1 than this count as a tie.
TIE = 0.05
# For information: the contenders without CHECK constraints.
INFO_RATIOS = ["p0", "j0"]
DB = "bench_transitions"
COPY_OPTS = "WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"
STATUSES = ["PENDING", "DUPLICATE", "INITIATED", "CONNECTED", "COMPLETED", "FAILED",
            "CANCELED", "INVALID", "SKIPPED"]

HELPERS = r"""
CREATE EXTENSION IF NOT EXISTS pg_prewarm;

-- This backend's time on a CPU and waiting for one (ns), from Linux's
-- /proc/self/schedstat; NULL where that cannot be read.
CREATE FUNCTION bench_sched() RETURNS bigint[]
LANGUAGE plpgsql AS $$
BEGIN
    RETURN string_to_array(split_part(pg_read_file('/proc/self/schedstat'), E'\n', 1), ' ')::bigint[];
EXCEPTION WHEN OTHERS THEN
    RETURN NULL;
END
$$;

-- Run one data-changing statement and report, from inside its transaction:
-- the time, the backend's CPU time and run-queue wait, the rows it
-- reported, and how the table's update/HOT/insert counters of this
-- transaction, the WAL position and the heap and index sizes moved.
CREATE FUNCTION bench_dml(stmt text, rel regclass,
    OUT ms float8, OUT nrows bigint, OUT upd bigint, OUT hot bigint, OUT ins bigint,
    OUT wal bigint, OUT heap_growth bigint, OUT index_growth bigint,
    OUT cpu_ms float8, OUT wait_ms float8)
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    s0 bigint[];
    s1 bigint[];
    l0 pg_lsn;
    h0 bigint := pg_relation_size(rel);
    i0 bigint := pg_indexes_size(rel);
    u0 bigint := pg_stat_get_xact_tuples_updated(rel);
    o0 bigint := pg_stat_get_xact_tuples_hot_updated(rel);
    n0 bigint := pg_stat_get_xact_tuples_inserted(rel);
BEGIN
    l0 := pg_current_wal_insert_lsn();
    s0 := bench_sched();
    t0 := clock_timestamp();
    EXECUTE stmt;
    GET DIAGNOSTICS nrows = ROW_COUNT;
    ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
    s1 := bench_sched();
    cpu_ms := (s1[1] - s0[1]) / 1e6;
    wait_ms := (s1[2] - s0[2]) / 1e6;
    wal := pg_current_wal_insert_lsn() - l0;
    upd := pg_stat_get_xact_tuples_updated(rel) - u0;
    hot := pg_stat_get_xact_tuples_hot_updated(rel) - o0;
    ins := pg_stat_get_xact_tuples_inserted(rel) - n0;
    heap_growth := pg_relation_size(rel) - h0;
    index_growth := pg_indexes_size(rel) - i0;
END
$$;
"""

# The statements are driven by the unique key, one request at a time, as an
# application moves single requests: a nested loop over tr_keys probing the
# key index.  Hash and merge joins would scan the whole table instead, and
# Memoize is useless on unique keys, so they are off for every contender.
PLAN_SETTINGS = "SET enable_hashjoin = off; SET enable_mergejoin = off; SET enable_memoize = off;\n"


def sub(text, args, ff, keys="tr_keys"):
    return (text.replace("{{PENDING}}", lit(args.pending))
            .replace("{{SNAPSHOTS}}", lit(args.snapshots))
            .replace("{{FF}}", str(int(ff)))
            .replace("{{KEYS}}", keys))


def one(sql):
    return psql(sql)[0]


# ------------------------------------------------------------ expected data

def rank(status):
    return {None: 0, "PENDING": 0, "INITIATED": 1, "CONNECTED": 2}.get(status, 3)


def expected_statuses(pending, snapshots):
    """The statuses after the upsert, from the files: the snapshot's where it
    is further along by (attempt_count, rank), else the pending request's;
    and how many rows end with a sent_at (the earliest of the two: write
    once)."""
    counts = {}
    sent = 0
    with open(pending, encoding="utf-8") as fp, open(snapshots, encoding="utf-8") as fs:
        for lp, ls in zip(fp, fs):
            p, s = json.loads(lp), json.loads(ls)
            assert (p["batch_id"], p["reference_id"]) == (s["batch_id"], s["reference_id"])
            pp = (p.get("attempt_count") or 0, rank(p.get("request_status")))
            sp = (s.get("attempt_count") or 0, rank(s.get("request_status")))
            st = s.get("request_status") if sp > pp else p.get("request_status")
            st = st or "PENDING"
            counts[st] = counts.get(st, 0) + 1
            sent += p.get("sent_at") is not None or s.get("sent_at") is not None
    return "%s; sent_at %d" % (", ".join("%s %d" % (k, counts[k]) for k in sorted(counts)), sent)


# ------------------------------------------------------------ same checks?

EQ_SQL = r"""
CREATE TEMP TABLE eq_cases (id int PRIMARY KEY, what text, old jsonb, new jsonb);
COPY eq_cases FROM STDIN WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
%s
\.
CREATE TEMP TABLE eq_p (LIKE tr_snap_p);
CREATE TRIGGER eq_p_guard BEFORE UPDATE ON eq_p FOR EACH ROW EXECUTE FUNCTION tr_p_guard();
CREATE TEMP TABLE eq_j (r jsonb NOT NULL);
CREATE TRIGGER eq_j_guard BEFORE UPDATE ON eq_j FOR EACH ROW EXECUTE FUNCTION tr_j_guard();
CREATE TEMP TABLE eq_d (r comm_result NOT NULL);
CREATE TRIGGER eq_d_guard BEFORE UPDATE ON eq_d FOR EACH ROW EXECUTE FUNCTION comm_result_guard();

-- 'ok' when the update is accepted, else its SQLSTATE; nothing is kept.
CREATE FUNCTION pg_temp.eq_try(ins text, upd text, o jsonb, n jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    stage text := 'insert';
BEGIN
    BEGIN
        EXECUTE ins USING o;
        stage := 'update';
        EXECUTE upd USING n;
        RAISE EXCEPTION USING ERRCODE = 'ZZ001';
    EXCEPTION WHEN OTHERS THEN
        IF SQLSTATE = 'ZZ001' THEN
            RETURN 'ok';
        ELSIF stage = 'insert' THEN
            RETURN 'bad case: ' || SQLERRM;
        END IF;
        RETURN SQLSTATE;
    END;
END
$$;

SELECT id, what,
       pg_temp.eq_try('INSERT INTO eq_p SELECT * FROM jsonb_populate_record(NULL::eq_p, $1)',
                      'UPDATE eq_p SET (batch_id, reference_id, target, request_variables,
                           request_status, call_manager_sid, created_at, sent_at, attempt_count,
                           session_id, conversation_id)
                         = (SELECT * FROM jsonb_populate_record(NULL::eq_p, $1))', old, new),
       pg_temp.eq_try('INSERT INTO eq_j VALUES ($1)', 'UPDATE eq_j SET r = $1', old, new),
       pg_temp.eq_try('INSERT INTO eq_d VALUES ($1::text::comm_result)',
                      'UPDATE eq_d SET r = $1::text::comm_result', old, new)
  FROM eq_cases ORDER BY id;
"""


def eq_cases():
    """(what, old, new): every status pair with attempt_count changes of
    -1..+2, and changes of each guarded field."""
    base = {"batch_id": "b1", "reference_id": "r1", "target": "+15125551234",
            "request_variables": {"x": 1}, "created_at": "2025-01-17T10:00:00Z"}

    def rec(**kw):
        r = dict(base)
        for k, v in kw.items():
            if v is ...:
                r.pop(k, None)
            else:
                r[k] = v
        return r

    cases = []
    for f in STATUSES + [None]:
        for t in STATUSES + [None]:
            for a0, a1 in ((1, 0), (0, 0), (1, 1), (0, 1), (1, 2), (1, 3)):
                cases.append(("%s/%d -> %s/%d" % (f, a0, t, a1),
                              rec(request_status=f, attempt_count=a0),
                              rec(request_status=t, attempt_count=a1)))
    sent = "2025-01-17T10:05:00Z"
    fields = [
        ("batch_id changes", rec(), rec(batch_id="b2")),
        ("reference_id changes", rec(), rec(reference_id="r2")),
        ("target changes", rec(), rec(target="+15125551235")),
        ("target rewritten", rec(), rec(target="+1 512 555 1234")),
        ("created_at changes", rec(), rec(created_at="2025-01-17T10:00:01Z")),
        ("created_at removed", rec(), rec(created_at=...)),
        ("created_at set", rec(created_at=...), rec()),
        ("created_at same instant", rec(), rec(created_at="2025-01-17T11:00:00+01:00")),
        ("sent_at set from null", rec(sent_at=None), rec(sent_at=sent)),
        ("sent_at set from absent", rec(), rec(sent_at=sent)),
        ("sent_at changes", rec(sent_at=sent), rec(sent_at="2025-01-17T10:05:01Z")),
        ("sent_at to null", rec(sent_at=sent), rec(sent_at=None)),
        ("sent_at removed", rec(sent_at=sent), rec()),
        ("sent_at same instant", rec(sent_at=sent), rec(sent_at="2025-01-17T04:05:00-06:00")),
        ("variables change", rec(), rec(request_variables={"x": 2})),
        ("sid, session, conversation set", rec(),
         rec(call_manager_sid="LM" + "0" * 32, session_id=7, conversation_id=8)),
        ("attempt_count 2 -> 1 (FAILED)", rec(request_status="FAILED", attempt_count=2),
         rec(request_status="FAILED", attempt_count=1)),
    ]
    return cases + fields


def equivalence_check():
    """The three guard implementations must accept and reject the same
    updates (rejections: SQLSTATE 23514 everywhere)."""
    cases = eq_cases()
    rows = "\n".join("%d\x02%s\x02%s\x02%s" % (i, w, json.dumps(o), json.dumps(n))
                     for i, (w, o, n) in enumerate(cases))
    out = [l.split("\t") for l in psql(EQ_SQL % rows)]
    problems = []
    accepted = 0
    for _, what, p, j, d in out:
        verdicts = {"P": p, "J": j, "D": d}
        if any(v.startswith("bad case") for v in verdicts.values()):
            problems.append("equivalence check, case %s: %s" % (what, verdicts))
            continue
        if len({v == "ok" for v in verdicts.values()}) != 1:
            problems.append("the guards disagree on %s: P %s, J %s, comm_result_guard %s"
                            % (what, p, j, d))
        elif any(v not in ("ok", "23514") for v in verdicts.values()):
            problems.append("unexpected SQLSTATE on %s: P %s, J %s, comm_result_guard %s"
                            % (what, p, j, d))
        accepted += d == "ok"
    return len(out), accepted, problems


# ------------------------------------------------------------ the rounds

def prepare(n, sec, args, ff, problems, label):
    """Create and fill t_<n> (untimed), VACUUM ANALYZE it, load it and its
    index into shared buffers, and CHECKPOINT, so that every contender
    starts from the same state: all pages all-visible, in memory, clean."""
    table = "t_" + n
    psql(sub(sec["setup"], args, ff))
    psql(sub(sec["load"], args, ff))
    # With synchronous_commit=off the load's commit record may not be
    # flushed yet; then VACUUM cannot set hint bits and leaves pages not
    # all-visible.  A CHECKPOINT flushes the WAL first.
    psql("CHECKPOINT;")
    psql("VACUUM ANALYZE %s;" % table)
    cnt, pages, allvis = one(
        "SELECT (SELECT count(*) FROM {0}), relpages, relallvisible FROM pg_class "
        "WHERE oid = '{0}'::regclass;".format(table)).split("\t")
    if pages != allvis:
        problems.append("(%s) %s: only %s of %s pages all-visible after VACUUM"
                        % (SHORT[n], label, allvis, pages))
    if int(cnt) != args.rows:
        problems.append("(%s) %s: %s rows loaded, expected %d" % (SHORT[n], label, cnt, args.rows))
    # COPY and VACUUM go through small ring buffers and leave most pages
    # out of shared buffers, INSERT ... SELECT does not: prewarm them all.
    psql("SELECT pg_prewarm('{0}'), pg_prewarm(indexrelid) FROM pg_index "
         "WHERE indrelid = '{0}'::regclass; CHECKPOINT;".format(table))
    return int(pages)


def timed(n, stmt, table):
    r = one(PLAN_SETTINGS + "SELECT * FROM bench_dml(%s, '%s');"
            % (dollar(stmt.strip().rstrip(";")), table)).split("\t")
    keys = ["ms", "rows", "upd", "hot", "ins", "wal", "heap_growth", "index_growth",
            "cpu", "wait"]
    out = {k: (float(v) if v != "" else float("nan")) if k in ("ms", "cpu", "wait") else int(v)
           for k, v in zip(keys, r)}
    return out


def check_plan(n, sec, args, problems):
    """The update must be a nested loop over tr_keys probing t_<n>'s key."""
    plan = "\n".join(psql(PLAN_SETTINGS + "EXPLAIN (COSTS OFF) %s;"
                          % sub(sec["update"], args, 100).strip().rstrip(";")))
    ok = ("Nested Loop" in plan and "Seq Scan on tr_keys" in plan
          and "Index Scan using t_%s_key" % n in plan)
    if not ok:
        problems.append("(%s) unexpected plan for the update:\n%s" % (SHORT[n], plan))
    return ok


# The two waves of the transition: the first on the freshly loaded table,
# the second, on another tenth of the requests, after the first and a VACUUM
# (the steady state: pages now hold the room the first wave's moved rows
# left).  The second wave only runs at fillfactor 100: at a lower one the
# first wave is HOT already.
WAVES = (("w1", "tr_keys"), ("w2", "tr_keys_2"))


def waves(ff):
    return WAVES if ff == 100 else WAVES[:1]


def run_transitions(args, names, sections, problems):
    res = {ff: {w: {n: [] for n in names} for w, _ in WAVES} for ff in args.fillfactors}
    plans = {}
    for rnd in range(args.rounds):
        order = names[rnd % len(names):] + names[:rnd % len(names)]
        for ff in args.fillfactors:
            log("transition round %d/%d, fillfactor %d: %s"
                % (rnd + 1, args.rounds, ff, " ".join(SHORT[n] for n in order)))
            for n in order:
                sec = sections[n]
                label = "round %d ff %d" % (rnd + 1, ff)
                pages = prepare(n, sec, args, ff, problems, label)
                if n not in plans:
                    plans[n] = check_plan(n, sec, args, problems)
                for i, (w, keys) in enumerate(waves(ff)):
                    if i > 0:
                        # untimed: VACUUM away the previous wave's dead
                        # versions, then the same state as before wave 1
                        psql("CHECKPOINT; VACUUM t_{0}; SELECT pg_prewarm('t_{0}'), "
                             "pg_prewarm(indexrelid) FROM pg_index WHERE indrelid = 't_{0}'::regclass; "
                             "CHECKPOINT;".format(n))
                    r = timed(n, sub(sec["update"], args, ff, keys), "t_" + n)
                    r["pages"] = pages
                    done = int(one(sec["verify_update"].strip().rstrip(";") + ";"))
                    if (r["rows"] != args.keys or r["upd"] != args.keys
                            or done != args.keys * (i + 1)):
                        problems.append("(%s) %s wave %d: the update reported %d rows, counted %d "
                                        "updates, %d rows INITIATED with 1 attempt and sent_at; "
                                        "expected %d and %d"
                                        % (SHORT[n], label, i + 1, r["rows"], r["upd"], done,
                                           args.keys, args.keys * (i + 1)))
                    res[ff][w][n].append(r)
                    log("  (%s) wave %d: %.0f ms, %d of %d updates HOT, %.1f MB WAL, key index +%.1f MB"
                        % (SHORT[n], i + 1, r["ms"], r["hot"], r["upd"], r["wal"] / 2**20,
                           r["index_growth"] / 2**20))
                psql("DROP TABLE t_%s;" % n)
    return res


def upsert_names(names, ff):
    """At fillfactor 100 every upsert contender, at others only comm_result."""
    return names if ff == 100 else [n for n in names if n in D_NAMES]


def run_upserts(args, names, sections, problems, expected):
    res = {ff: {n: [] for n in upsert_names(names, ff)} for ff in args.upsert_fillfactors}
    for rnd in range(args.rounds):
        for ff in args.upsert_fillfactors:
            un = upsert_names(names, ff)
            order = un[rnd % len(un):] + un[:rnd % len(un)]
            log("upsert round %d/%d, fillfactor %d: %s"
                % (rnd + 1, args.rounds, ff, " ".join(SHORT[n] for n in order)))
            for n in order:
                sec = sections[n]
                label = "upsert round %d ff %d" % (rnd + 1, ff)
                prepare(n, sec, args, ff, problems, label)
                snap = "tr_snap_" + ("d" if n in D_NAMES else n[0])
                psql("SELECT pg_prewarm('%s');" % snap)
                r = timed(n, sub(sec["upsert"], args, ff), "t_" + n)
                got = one(sec["statuses"].strip().rstrip(";") + ";")
                if r["rows"] != args.rows or r["upd"] != args.rows or r["ins"] != 0:
                    problems.append("(%s) %s: %d rows, %d updates, %d inserts; expected %d updates"
                                    % (SHORT[n], label, r["rows"], r["upd"], r["ins"], args.rows))
                if got != expected:
                    problems.append("(%s) %s: statuses after the upsert %s, expected %s"
                                    % (SHORT[n], label, got, expected))
                res[ff][n].append(r)
                log("  (%s) %.0f ms, %d of %d updates HOT, %.1f MB WAL"
                    % (SHORT[n], r["ms"], r["hot"], r["upd"], r["wal"] / 2**20))
                psql("DROP TABLE t_%s;" % n)
    return res


# ------------------------------------------------------------ report

def fms(x):
    return "%.0f ms" % x if x >= 100 else "%.1f ms" % x


def med(rs, key):
    return median([r[key] for r in rs])


def best(rs):
    return min(r["ms"] for r in rs)


def paired(rs_d, rs_o, key="ms"):
    return median([a[key] / b[key] for a, b in zip(rs_d, rs_o)])


def contender_table(L, res, names, nrows):
    L.append("| contender | median | per row | min – max | backend CPU | waiting for a CPU | "
             "HOT updates / updates | WAL | heap growth | key index growth |")
    L.append("|---|---|---|---|---|---|---|---|---|---|")
    for n in names:
        rs = res[n]
        L.append("| %s | %s | %.1f µs | %s – %s | %s | %s | %d / %d | %.1f MB | %.1f MB | %.1f MB |"
                 % (TITLES[n], fms(med(rs, "ms")), med(rs, "ms") * 1000 / nrows,
                    fms(min(r["ms"] for r in rs)), fms(max(r["ms"] for r in rs)),
                    fms(med(rs, "cpu")), fms(med(rs, "wait")),
                    med(rs, "hot"), med(rs, "upd"), med(rs, "wal") / 2**20,
                    med(rs, "heap_growth") / 2**20, med(rs, "index_growth") / 2**20))


def ratio_rows(L, res, names, with_targets):
    ds = [d for d in D_NAMES if d in names]
    L.append("| ratio | %s | target | pass/fail |" % " | ".join("(%s)" % SHORT[d] for d in ds))
    L.append("|---|%s---|---|" % ("---|" * len(ds)))
    verdicts = []
    others = ([(o, lim) for o, lim in TARGETS] if with_targets else
              [(o, None) for o, _ in TARGETS]) + [(o, None) for o in INFO_RATIOS]
    for o, lim in others:
        if o not in names:
            continue
        cells, oks = [], []
        for d in ds:
            r = med(res[d], "ms") / med(res[o], "ms")
            cells.append("%.2f (paired %.2f; best %.2f; CPU %.2f)"
                         % (r, paired(res[d], res[o]), best(res[d]) / best(res[o]),
                            med(res[d], "cpu") / med(res[o], "cpu")))
            oks.append(lim is None or r <= lim)
        if lim is None:
            L.append("| D / (%s) [info] | %s | – | – |" % (SHORT[o], " | ".join(cells)))
            continue
        verdict = ", ".join("%s %s" % (SHORT[d], "PASS" if ok else "FAIL") for d, ok in zip(ds, oks))
        verdicts.append((o, lim, dict(zip(ds, oks))))
        L.append("| D / (%s) | %s | ≤ %.2f | %s |" % (SHORT[o], " | ".join(cells), lim, verdict))
    return verdicts


def report(args, names, tres, ures, problems, settings, eq, expected):
    L = []
    L.append("## Transitions and upserts")
    L.append("")
    L.append("- %d pending requests (`gen.py --as pending`, seed %d).  Transition: move one "
             "request in %d (%d keys: `tr_keys`, every %dth line of the file), PENDING → "
             "INITIATED, through a BEFORE UPDATE row trigger.  Wave 1 runs on the freshly loaded "
             "table; wave 2 moves another %d requests (`tr_keys_2`) after wave 1 and a VACUUM, "
             "when the pages hold the room that wave 1's moved rows left (the steady state of a "
             "table that is updated and vacuumed).  Upsert: merge %d snapshots (`gen.py --as "
             "snapshot`: the same requests further along) into the %d pending rows."
             % (args.rows, args.seed, args.every, args.keys, args.every, args.keys,
                args.rows, args.rows))
    L.append("- %d round%s; in each, every contender (order rotated from round to round) gets a "
             "fresh table, untimed: created, filled, CHECKPOINT, VACUUM ANALYZE, every heap and "
             "index page loaded into shared buffers (`pg_prewarm`), CHECKPOINT.  Then the timed "
             "statement, timed inside the server (`clock_timestamp()`); the same transaction "
             "reads the table's `pg_stat_get_xact_tuples_updated` / `_hot_updated` and the WAL "
             "written, and the backend's time on a CPU and waiting for one "
             "(`/proc/self/schedstat`: when the two times agree and the wait is near 0, the "
             "spread between rounds is not other processes taking the CPU).  Because of the "
             "CHECKPOINT, every page's first change writes a full-page "
             "image to the WAL, as after any checkpoint; that is most of the WAL below.  "
             "Ratios are of the medians over the rounds; \"paired\" is the median of the "
             "per-round ratios, \"best\" the ratio of the fastest rounds (the least disturbed "
             "estimate on a noisy machine), \"CPU\" the ratio of the median CPU times (which "
             "leave out the time other processes held the CPU)."
             % (args.rounds, "" if args.rounds == 1 else "s"))
    L.append("- Every statement walks the unique key: a nested loop over the keys probing the key "
             "index (hash join, merge join and Memoize off; plans checked).  The updates: "
             "(P) `SET request_status = 'INITIATED', attempt_count = attempt_count + 1, "
             "sent_at = coalesce(sent_at, now())`; (J) the same through "
             "`r || jsonb_build_object(...)`; (D) `SET r = comm_result_transition(r, 'INITIATED', "
             "now())`.  (D-expr) keys on `((batch_id(r)), (reference_id(r)))`; (D-gen) on stored "
             "generated columns `batch_id text GENERATED ALWAYS AS (batch_id(r)) STORED` and the "
             "same for reference_id.")
    L.append("- Triggers: `comm_result_guard()` for (D); for (P) and (J) a PL/pgSQL trigger "
             "with the same checks (identity, target and created_at unchanged, sent_at "
             "unchanged once set, attempt_count not decreasing, the new status reachable from "
             "the old with exactly the new attempts).  Equivalence check: the three %s on all "
             "%d test updates (%d accepted)."
             % ("agree" if not any("disagree" in p for p in eq[2]) else "DISAGREE (see PROBLEMS)",
                eq[0], eq[1]))
    L.append("- (P) is the table of load contender (b) and (J) the table of (a), with their "
             "CHECK constraints, which PostgreSQL checks again on every updated row: they keep "
             "the rows as valid as comm_result does (`comm_result_transition` validates the "
             "value it builds).  (P0) and (J0) are the same tables without CHECK constraints, "
             "for information.")
    L.append("- Server settings (same cluster, all contenders): `%s`" % settings)
    L.append("")
    summary = []
    for ff in args.fillfactors:
        default = ff == 100
        L.append("### Transition, fillfactor %d%s"
                 % (ff, " (the default; carries the targets)" if default else
                    " [extra: every page keeps 10% free, room for HOT updates]"))
        L.append("")
        for i, (w, _) in enumerate(waves(ff)):
            L.append("Wave %d: %d of %d rows PENDING → INITIATED%s:"
                     % (i + 1, args.keys, args.rows,
                        ", freshly loaded table" if i == 0 else ", after wave 1 and a VACUUM"))
            L.append("")
            contender_table(L, tres[ff][w], names, args.keys)
            L.append("")
            v = ratio_rows(L, tres[ff][w], names, with_targets=default and i == 0)
            if default and i == 0:
                summary = v
            L.append("")
    for ff in (ures or {}):
        un = [n for n in names if n in ures[ff]]
        L.append("### Upsert: %d snapshots into %d pending rows, fillfactor %d%s"
                 % (args.rows, args.rows, ff, "" if ff == 100 else " [extra, comm_result only]"))
        L.append("")
        if ff == 100:
            L.append("(D) `INSERT INTO t (r) SELECT r FROM tr_snap_d ON CONFLICT <key> DO UPDATE SET "
                     "r = comm_result_merge(t.r, excluded.r)`.  (P) and (J) do what "
                     "comm_result_merge does with these data: the snapshot further along by "
                     "(attempt_count, rank) wins, else the row stays, and sent_at is the earliest "
                     "known (a CASE per column for (P); for (J) a CASE choosing the document, then "
                     "`|| jsonb_build_object('sent_at', ...)`).  The snapshots sit in a staging "
                     "table of each contender's own type (parsing is measured by the load part).  "
                     "Every row conflicts, so every statement updates all %d rows and the guard "
                     "trigger fires on each; the status counts and sent_at counts afterwards are "
                     "checked against the files.  No target; for information." % args.rows)
            L.append("")
        contender_table(L, ures[ff], un, args.rows)
        L.append("")
        if ff == 100:
            ratio_rows(L, ures[ff], un, with_targets=False)
            L.append("")
    L.append("### Which comm_result schema")
    L.append("")
    L.append("(D-gen) vs (D-expr): median times, their ratio (paired; best of the rounds; CPU), "
             "HOT updates:")
    L.append("")
    ratios = []
    for ff in args.fillfactors:
        for i, (w, _) in enumerate(waves(ff)):
            a, b = tres[ff][w]["dx"], tres[ff][w]["dg"]
            ratios.append(med(b, "ms") / med(a, "ms"))
            L.append("- transition wave %d, fillfactor %d: %s vs %s, %.2f (paired %.2f; best %.2f; "
                     "CPU %.2f); HOT %d vs %d"
                     % (i + 1, ff, fms(med(b, "ms")), fms(med(a, "ms")),
                        med(b, "ms") / med(a, "ms"), paired(b, a), best(b) / best(a),
                        med(b, "cpu") / med(a, "cpu"), med(b, "hot"), med(a, "hot")))
    for ff in (ures or {}):
        a, b = ures[ff]["dx"], ures[ff]["dg"]
        ratios.append(med(b, "ms") / med(a, "ms"))
        L.append("- upsert, fillfactor %d: %s vs %s, %.2f (paired %.2f; best %.2f; CPU %.2f); "
                 "HOT %d vs %d"
                 % (ff, fms(med(b, "ms")), fms(med(a, "ms")), med(b, "ms") / med(a, "ms"),
                    paired(b, a), best(b) / best(a), med(b, "cpu") / med(a, "cpu"),
                    med(b, "hot"), med(a, "hot")))
    L.append("")
    gen = sum(r < 1 - TIE for r in ratios)
    expr = sum(r > 1 + TIE for r in ratios)
    if gen > expr:
        faster = "(D-gen), stored generated key columns"
    elif expr > gen:
        faster = "(D-expr), the expression-index key"
    else:
        faster = "neither"
    L.append("**Faster comm_result schema in this run: %s** — (D-gen) faster in %d, (D-expr) in "
             "%d, within ±%d%% (a tie) in %d of the %d "
             "comparisons above." % (faster, gen, expr, round(TIE * 100), len(ratios) - gen - expr,
                                     len(ratios)))
    L.append("")
    if summary:
        L.append("**Targets (transition wave 1, fillfactor 100, ratio of the median times): %s.**"
                 % "; ".join("D ≤ %.2f × (%s): %s" % (lim, SHORT[o], ", ".join(
                     "%s %s" % (SHORT[d], "PASS" if ok else "FAIL") for d, ok in oks.items()))
                     for o, lim, oks in summary))
        L.append("")
    L.append("### Details")
    L.append("")
    L.append("Per-round times in ms (in the order run), HOT updates in brackets:")
    L.append("")
    for ff in args.fillfactors:
        for i, (w, _) in enumerate(waves(ff)):
            for n in names:
                L.append("- transition wave %d, ff %d, (%s): %s" % (i + 1, ff, SHORT[n], ", ".join(
                    "%.0f [%d]" % (r["ms"], r["hot"]) for r in tres[ff][w][n])))
    for ff in (ures or {}):
        for n in ures[ff]:
            L.append("- upsert, ff %d, (%s): %s" % (ff, SHORT[n], ", ".join(
                "%.0f [%d]" % (r["ms"], r["hot"]) for r in ures[ff][n])))
    L.append("")
    L.append("Heap pages after the load (fillfactor %s): %s."
             % (" / ".join(str(f) for f in args.fillfactors), ", ".join(
                 "(%s) %s" % (SHORT[n], " / ".join(str(tres[ff]["w1"][n][0]["pages"])
                                                   for ff in args.fillfactors))
                 for n in names)))
    if ures:
        L.append("")
        L.append("Expected after every upsert (from the files): %s." % expected)
    L.append("")
    if problems:
        L.append("### PROBLEMS")
        L.append("")
        for p in problems:
            L.append("- " + p.replace("\n", "\n  "))
        L.append("")
    return "\n".join(L) + "\n", summary


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pending", required=True)
    ap.add_argument("--snapshots", required=True)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--every", type=int, default=10, help="move every Nth request (10: 10%%)")
    ap.add_argument("--fillfactors", default="100,90",
                    help="comma-separated; 100 (the default fillfactor) carries the targets")
    ap.add_argument("--no-upsert", action="store_true")
    ap.add_argument("--contenders", default=",".join(CONTENDERS))
    ap.add_argument("--upsert-fillfactors", default="100,90",
                    help="comma-separated; at other than 100 only (D-expr) and (D-gen) run")
    ap.add_argument("--upsert-contenders", default="p,j,dx,dg",
                    help="the contenders of the upsert (all: %s)" % ",".join(CONTENDERS))
    ap.add_argument("--out", default=os.path.join(HERE, "results.md"))
    args = ap.parse_args()
    args.fillfactors = [int(x) for x in args.fillfactors.split(",") if x]
    args.upsert_fillfactors = [int(x) for x in args.upsert_fillfactors.split(",") if x]
    if 100 not in args.fillfactors or 100 not in args.upsert_fillfactors:
        ap.error("the fillfactors must include 100 (the default, which carries the targets)")
    names = [n for n in CONTENDERS if n in args.contenders.split(",")]
    for need in ["p", "j", "dx", "dg"]:
        if need not in names:
            ap.error("contenders p, j, dx and dg are required")

    psql("DROP DATABASE IF EXISTS %s;" % DB)
    psql("CREATE DATABASE %s;" % DB)
    os.environ["PGDATABASE"] = DB
    sections = {n: parse_contender(n, "transitions") for n in names}
    psql(bench.HELPERS + HELPERS)
    log("loading the pending requests and the keys to move")
    psql("CREATE TABLE tr_pending (n bigserial PRIMARY KEY, j jsonb NOT NULL); "
         "COPY tr_pending (j) FROM %s %s; "
         "CREATE TABLE tr_keys AS SELECT j->>'batch_id' AS batch_id, j->>'reference_id' AS reference_id "
         "FROM tr_pending WHERE n %% %d = 0 ORDER BY n; "
         "CREATE TABLE tr_keys_2 AS SELECT j->>'batch_id' AS batch_id, j->>'reference_id' AS reference_id "
         "FROM tr_pending WHERE n %% %d = %d ORDER BY n; "
         "VACUUM ANALYZE tr_pending, tr_keys, tr_keys_2;"
         % (lit(args.pending), COPY_OPTS, args.every, args.every, args.every // 2))
    args.rows = int(one("SELECT count(*) FROM tr_pending;"))
    args.keys = int(one("SELECT count(*) FROM tr_keys;"))
    if int(one("SELECT count(*) FROM tr_keys_2;")) != args.keys:
        raise SqlError("tr_keys and tr_keys_2 differ in size; use a row count divisible by --every")
    log("setting up the contenders")
    for n in names:
        if "once" in sections[n]:
            psql(sub(sections[n]["once"], args, 100))
    settings = bench.server_settings()
    problems = []
    log("equivalence check of the three guards")
    eq = equivalence_check()
    problems.extend(eq[2])
    log("  %d updates, %d accepted, %d disagreements" % (eq[0], eq[1], len(eq[2])))
    tres = run_transitions(args, names, sections, problems)
    ures, expected = None, None
    if not args.no_upsert:
        expected = expected_statuses(args.pending, args.snapshots)
        un = [n for n in names if n in args.upsert_contenders.split(",")]
        ures = run_upserts(args, un, sections, problems, expected)
    problems = list(dict.fromkeys(problems))
    # the raw measurements, for a second look (bench/results/ is not tracked)
    raw = os.path.join(HERE, "results")
    os.makedirs(raw, exist_ok=True)
    with open(os.path.join(raw, "transitions.json"), "w", encoding="utf-8") as f:
        json.dump({"args": {k: v for k, v in vars(args).items()}, "transitions": tres,
                   "upserts": ures, "problems": problems}, f, indent=1)
    text, _ = report(args, names, tres, ures, problems, settings, eq, expected)
    return bench.finish(args.out, "transitions", text, problems)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SqlError as e:
        print("transitions.py: SQL failed:\n%s" % e, file=sys.stderr)
        sys.exit(1)
