"""comm-result-sync's throughput on one large batch (bench/sync.sh runs it).

Against a local fake of the API (clients/sync/test/fakeapi.py, its own
process) serving one batch of N records, at loopback speed and at the
rates given (a network slower than loopback), and the database in the PG*
environment (with comm_result), each round measures, in this order:

  checked    comm_results_checked alone over the body, already in the
             server (SELECT count(*); the body stored as a column value, so
             this includes reading it back)
  recipe     the README's recipe into an empty table: checked, the merge
             upsert, the rejects (the body already in the server)
  and at each speed:
  transfer   the body fetched over HTTP and thrown away (http.client, 256 kB
             reads, as the tool reads it), and its split: "wait", the time to
             the answer's first line (the fake API builds the body: 49 MB
             of JSON take it about half a second), and the download after it
  sync       comm-result-sync --batch into an empty table, the whole process
             (start, connect, fetch, the body loaded piece by piece as it
             arrives, the sync log), and its own split: "to the last byte"
             (from the request to the body's last byte) and "after it" (the
             last pieces, the log's row, the commit); its peak memory (RSS)
  resync     the same again: every record unchanged ("recipe again" is the
             recipe's)

CPU seconds are read from /proc (the backend's, and the tool's own): the
machine is shared, and they move less than the wall clock when others run.

It prints the median of each, records per second, and how sync compares
with the issue's bar (transfer + checked) and with transfer + recipe.
"""

import argparse
import signal
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import psycopg

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TOOL = os.path.join(ROOT, "clients", "sync", "comm-result-sync")
FAKE = os.path.join(ROOT, "clients", "sync", "test", "fakeapi.py")
BATCH = "20260808.1"
KEY = "bench-key-0123456789"

RECIPE = """
WITH checked AS MATERIALIZED (SELECT * FROM comm_results_checked((SELECT b FROM bench_body), %(b)s)),
rejected AS (
    INSERT INTO {t}_rejects (batch_id, ordinal, errors, element)
    SELECT %(b)s, ordinal, errors, element FROM checked WHERE result IS NULL ON CONFLICT DO NOTHING RETURNING 1),
latest AS (
    SELECT comm_result_latest(result) AS r FROM checked WHERE result IS NOT NULL
    GROUP BY batch_id(result), reference_id(result)),
loaded AS (
    INSERT INTO {t} AS t (r) SELECT r FROM latest
    ON CONFLICT ((batch_id(r)), (reference_id(r))) DO UPDATE SET r = comm_result_merge(t.r, excluded.r)
    WHERE comm_result_merge(t.r, excluded.r) <> t.r RETURNING 1)
SELECT (SELECT count(*) FROM latest), (SELECT count(*) FROM loaded), (SELECT count(*) FROM rejected)
"""


def fresh_tables(db, t):
    db.execute(f"DROP TABLE IF EXISTS {t}, {t}_rejects, {t}_sync_log")
    db.execute(f"CREATE TABLE {t} (r comm_result NOT NULL)")
    db.execute(f"CREATE UNIQUE INDEX ON {t} ((batch_id(r)), (reference_id(r)))")
    db.execute(f"CREATE TABLE {t}_rejects (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
               f"batch_id text NOT NULL, ordinal integer NOT NULL, errors jsonb NOT NULL, "
               f"element text NOT NULL, received_at timestamptz NOT NULL DEFAULT now())")
    db.execute(f"CREATE UNIQUE INDEX ON {t}_rejects (batch_id, md5(element))")


def fetch(port):
    """Seconds to the answer's first line, seconds in all, bytes."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    t0 = time.perf_counter()
    conn.request("GET", f"/api/v1/outbound/batches/{BATCH}/results", headers={"Syllable-API-Key": KEY})
    resp = conn.getresponse()
    wait = time.perf_counter() - t0
    buf = bytearray(256 << 10)
    size = 0
    while True:
        n = resp.readinto(buf)
        if not n:
            break
        size += n
    secs = time.perf_counter() - t0
    conn.close()
    return wait, secs, size


TICK = os.sysconf("SC_CLK_TCK")


def cpu(pid):
    """User and system CPU seconds of a process so far, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return None


def hwm(pid):
    """The process's peak resident set (VmHWM), in bytes, or None.  Read
    from /proc while it runs: ru_maxrss would count the bench's own pages
    that the child shared between fork and exec."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def run_tool(port, table, db):
    """The tool as a process: wall time, peak memory, its CPU time and its
    backend's (polled every 20 ms from /proc; the backend is found by its
    application_name)."""
    env = dict(os.environ, SYLLABLE_API_KEY=KEY)
    t0 = time.perf_counter()
    p = subprocess.Popen([TOOL, "--api-url", f"http://127.0.0.1:{port}", "--table", table,
                          "--batch", BATCH, "--json", "--no-progress"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    peak = tool_cpu = backend = backend_cpu = 0
    while p.poll() is None:
        peak = max(peak, hwm(p.pid) or 0)
        tool_cpu = cpu(p.pid) or tool_cpu
        if not backend:
            row = db.execute("SELECT pid FROM pg_stat_activity WHERE application_name = 'comm-result-sync'"
                             ).fetchone()
            backend = row[0] if row else 0
        if backend:
            backend_cpu = cpu(backend) or backend_cpu
        time.sleep(0.02)
    secs = time.perf_counter() - t0
    out, err = p.stdout.read(), p.stderr.read()
    if p.returncode != 0:
        sys.exit(f"comm-result-sync failed: {out}{err}")
    batch = json.loads(out.splitlines()[0])
    return secs, peak, batch, tool_cpu, backend_cpu


def start_fake(tmp, records, rate):
    """A fake API of its own; returns (process, port)."""
    keyfile = os.path.join(tmp, "key")
    portfile = os.path.join(tmp, f"port.{rate or 0}")
    if not os.path.exists(keyfile):
        with open(keyfile, "w") as f:
            f.write(KEY)
    cmd = [sys.executable, FAKE, "--key-file", keyfile, "--batches", "1", "--records", str(records),
           "--port-file", portfile, "--seconds", "1800"]
    if rate:
        cmd += ["--rate", str(rate)]
    fake = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    for _ in range(600):
        if os.path.exists(portfile) or fake.poll() is not None:
            break
        time.sleep(0.1)
    return fake, int(open(portfile).read())


def table(rows, records):
    print("| part | seconds | records/s | CPU seconds (server backend; client) |")
    print("| --- | ---: | ---: | ---: |")
    for name, secs, cpu_s in rows:
        print(f"| {name} | {secs:.2f} | {records / secs:,.0f} | {cpu_s} |")


def main():
    # Stopped, still stop the fake APIs (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--rates", default="0,50,12.5",
                    help="the API's speeds in MB/s, comma-separated; 0 is loopback's own")
    a = ap.parse_args()
    rates = [float(r) for r in a.rates.split(",")]

    tmp = tempfile.mkdtemp(prefix="cr_sync_bench.")
    fakes = []
    try:
        ports = {}
        for rate in rates:
            fake, ports[rate] = start_fake(tmp, a.records, rate)
            fakes.append(fake)
        db = psycopg.connect(autocommit=True)
        # The body once, for the server-side parts.
        conn = http.client.HTTPConnection("127.0.0.1", ports[rates[0]], timeout=60)
        conn.request("GET", f"/api/v1/outbound/batches/{BATCH}/results", headers={"Syllable-API-Key": KEY})
        body = conn.getresponse().read()
        conn.close()
        db.execute("DROP TABLE IF EXISTS bench_body")
        db.execute("CREATE TABLE bench_body (b text)")
        db.execute("INSERT INTO bench_body VALUES (%s)", [body.decode()])
        records = db.execute("SELECT count(*) FROM comm_results_checked((SELECT b FROM bench_body), %s)",
                             [BATCH]).fetchone()[0]
        size = len(body)
        del body
        load0 = os.getloadavg()
        times, cpus = {}, {}

        def add(d, k, v):
            d.setdefault(k, []).append(v)

        rss = []
        for r in range(a.rounds):
            me = db.info.backend_pid
            c0, t0 = cpu(me), time.perf_counter()
            db.execute("SELECT count(*) FROM comm_results_checked((SELECT b FROM bench_body), %s)", [BATCH])
            add(times, "checked", time.perf_counter() - t0)
            add(cpus, "checked", cpu(me) - c0)
            fresh_tables(db, "bench_recipe")
            db.execute("CHECKPOINT")
            for k in ("recipe", "recipe again"):
                c0, t0 = cpu(me), time.perf_counter()
                db.execute(RECIPE.format(t="bench_recipe"), {"b": BATCH})
                add(times, k, time.perf_counter() - t0)
                add(cpus, k, cpu(me) - c0)
            for rate in rates:
                at = f" @{rate:g} MB/s" if rate else ""
                wait, secs, _ = fetch(ports[rate])
                add(times, "transfer" + at, secs)
                add(times, "transfer: wait" + at, wait)
                db.execute("DROP TABLE IF EXISTS bench_sync, bench_sync_rejects, bench_sync_sync_log")
                db.execute("CHECKPOINT")
                for k in ("sync", "resync"):
                    secs, peak, batch, tcpu, bcpu = run_tool(ports[rate], "bench_sync", db)
                    if k == "sync" and batch["loaded"] + batch["rejected"] == 0:
                        sys.exit(f"the sync loaded nothing: {batch}")
                    add(times, k + at, secs)
                    add(cpus, k + at, f"{bcpu:.2f}; {tcpu:.2f}")
                    if k == "sync":
                        add(times, "sync: to the last byte" + at, batch["fetch_seconds"])
                        add(times, "sync: after it" + at, batch["load_seconds"])
                    rss.append(peak)
            print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()), flush=True)
        med = {k: statistics.median(v) for k, v in times.items()}

        def cpu_of(k):
            v = cpus.get(k)
            if not v:
                return ""
            if isinstance(v[0], str):
                return sorted(v)[len(v) // 2]
            return f"{statistics.median(v):.2f}"

        print()
        print(f"one batch of {records:,} records ({a.records:,} requests), {size / 1e6:.1f} MB; "
              f"median of {a.rounds} rounds")
        table([(k, med[k], cpu_of(k)) for k in times], records)
        print(f"\nload average before: {load0}, after: {os.getloadavg()}")
        for rate in rates:
            at = f" @{rate:g} MB/s" if rate else ""
            sync, tr = med["sync" + at], med["transfer" + at]
            strict, loose = tr + med["checked"], tr + med["recipe"]
            print(f"{'loopback' if not rate else f'{rate:g} MB/s'}: sync {sync:.2f} s; transfer + checked "
                  f"{strict:.2f} s (sync/that {sync / strict:.2f}, {'within' if sync <= strict else 'OVER'}); "
                  f"transfer + recipe {loose:.2f} s (sync/that {sync / loose:.2f}, "
                  f"{'within' if sync <= loose else 'OVER'})")
        print(f"peak RSS of comm-result-sync: {max(rss) / 1e6:.1f} MB (the body: {size / 1e6:.1f} MB)")
        db.execute("DROP TABLE IF EXISTS bench_body, bench_recipe, bench_recipe_rejects, "
                   "bench_sync, bench_sync_rejects, bench_sync_sync_log")
    finally:
        for fake in fakes:
            fake.terminate()
            fake.wait()
        for f in os.listdir(tmp):
            os.remove(os.path.join(tmp, f))
        os.rmdir(tmp)


if __name__ == "__main__":
    main()
