"""comm-result-sync's command line: options, the key, which batches to sync,
what a person (or a monitor, with --json) sees, exit statuses."""

import argparse
import datetime
import json
import os
import signal
import sys
import time
import uuid

import psycopg

from . import __version__
from .api import FINISHED, Api, ApiError, KeyRejected
from .db import ConfigError, DatabaseLost, LoadError, Store, connect

DEFAULT_URL = "https://api.syllable.cloud"

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2

DESCRIPTION = """\
Keep a PostgreSQL table in step with the outbound batch results API.

Lists the API's batches and loads the results of every batch that is not
finished (PENDING, ACTIVE, PAUSED), and of every finished one that changed
since its last successful sync, through comm_result's checked load: valid
records are merged into the results table, invalid ones wait in
TABLE_rejects. Each batch loads in one transaction; TABLE_sync_log records
every attempt."""

EPILOG = """\
The API key is read from the environment (SYLLABLE_API_KEY) or from a file
(--api-key-file), never from the command line. The database comes from
libpq's settings (PGHOST, PGDATABASE, PGSERVICE, ~/.pgpass, ...) or --dsn.

exit status: 0 every batch synced, 1 some failed (or the database or API
could not be reached), 2 a configuration error (options, the key refused by
the API, the database's extension or tables), 130 interrupted."""


class Stop(KeyboardInterrupt):
    """SIGINT or SIGTERM: roll the batch in flight back, then stop.  A
    KeyboardInterrupt, so that psycopg cancels the query in flight."""

    def __init__(self, signum):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def parse_args(argv):
    p = argparse.ArgumentParser(prog="comm-result-sync", description=DESCRIPTION, epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="one pass, then exit (the default)")
    mode.add_argument("--watch", type=positive, metavar="SECONDS",
                      help="a pass every SECONDS, until stopped (SIGINT or SIGTERM)")
    mode.add_argument("--init", action="store_true", help="create the tables, then exit")
    mode.add_argument("--replay-rejects", action="store_true",
                      help="move the rejects that now load into the results table, then exit")
    p.add_argument("--api-url", default=DEFAULT_URL, help=f"the API's base URL (default {DEFAULT_URL})")
    p.add_argument("--api-key-file", metavar="FILE",
                   help="read the API key from FILE (default: the environment's SYLLABLE_API_KEY)")
    p.add_argument("--dsn", default="", help="a libpq connection string or URI (default: libpq's "
                   "environment, PGHOST, PGDATABASE, PGSERVICE, ...)")
    p.add_argument("--table", default="results",
                   help="the results table, [schema.]name (default results); TABLE_rejects and "
                   "TABLE_sync_log go beside it")
    p.add_argument("--batch", action="append", metavar="ID", default=[],
                   help="sync this batch (repeatable) instead of listing the batches")
    p.add_argument("--since", type=timestamp, metavar="TIMESTAMP",
                   help="backfill: also sync finished batches last updated at or after TIMESTAMP "
                   "(RFC 3339 or a date) that were never synced")
    p.add_argument("--dry-run", action="store_true",
                   help="fetch and validate, report what would load, write nothing")
    p.add_argument("--json", action="store_true",
                   help="one JSON object per batch and one for the summary, on standard output")
    p.add_argument("--quiet", action="store_true", help="only failures and the summary")
    p.add_argument("--no-progress", action="store_true", help="no progress line on a terminal")
    t = p.add_argument_group("network and limits")
    t.add_argument("--connect-timeout", type=positive, default=10.0, metavar="SECONDS",
                   help="connecting to the API, and to the database (default 10)")
    t.add_argument("--read-timeout", type=positive, default=60.0, metavar="SECONDS",
                   help="waiting for any data from the API (default 60)")
    t.add_argument("--max-time", type=positive, default=900.0, metavar="SECONDS",
                   help="one request, whole (default 900)")
    t.add_argument("--retries", type=count, default=5, metavar="N",
                   help="further attempts after a connection error, a timeout, a cut-off body, "
                   "429 or 5xx (default 5)")
    t.add_argument("--backoff", type=positive, default=1.0, metavar="SECONDS",
                   help="the first retry's delay, doubled each time, with jitter (default 1)")
    t.add_argument("--max-retry-after", type=positive, default=300.0, metavar="SECONDS",
                   help="the longest Retry-After honoured; longer fails the batch (default 300)")
    t.add_argument("--max-body", type=positive, default=900.0, metavar="MB",
                   help="the largest results body, in MB (default 900; PostgreSQL's text "
                   "values stop at 1 GB)")
    t.add_argument("--lock-timeout", type=positive, default=600.0, metavar="SECONDS",
                   help="waiting for another sync of the same batch (default 600)")
    p.add_argument("--version", action="version", version=f"comm-result-sync {__version__}")
    return p.parse_args(argv)


def positive(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not v > 0 or v != v or v == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return v


def count(text):
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if v < 0 or v > 100:
        raise argparse.ArgumentTypeError(f"{text!r} is not from 0 to 100")
    return v


def parse_time(text):
    """An RFC 3339 timestamp (Z or an offset), or None."""
    if not isinstance(text, str) or not text:
        return None
    try:
        t = datetime.datetime.fromisoformat(text.strip().replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo is not None else None


def timestamp(text):
    t = parse_time(text)
    if t is None:
        try:
            t = datetime.datetime.combine(datetime.date.fromisoformat(text), datetime.time(),
                                          datetime.timezone.utc)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is neither an RFC 3339 timestamp with a zone nor a date") from None
    return t


def read_key(args, err):
    """The API key, from --api-key-file or SYLLABLE_API_KEY; never echoed,
    not even in part."""
    if args.api_key_file:
        try:
            st = os.stat(args.api_key_file)
            with open(args.api_key_file, "rb") as f:
                raw = f.read(4097)
        except OSError as e:
            raise ConfigError(f"cannot read --api-key-file {args.api_key_file}: {e.strerror}") from None
        if st.st_mode & 0o077:
            err(f"warning: {args.api_key_file} can be read by other users (chmod 600 it)")
        where = f"--api-key-file {args.api_key_file}"
        try:
            key = raw.decode("ascii").strip()
        except UnicodeDecodeError:
            key = None
    else:
        key = os.environ.get("SYLLABLE_API_KEY")
        where = "SYLLABLE_API_KEY"
        if key is None:
            raise ConfigError("no API key: set SYLLABLE_API_KEY or give --api-key-file "
                              "(never on the command line)")
        key = key.strip()
    if not key:
        raise ConfigError(f"the API key in {where} is empty")
    if len(key) < 8:
        # Every output line is searched for the key to take it out: a key
        # this short would be found in ordinary words.
        raise ConfigError(f"the API key in {where} is shorter than 8 characters")
    if key is None or len(key) > 4096 or any(not 0x21 <= ord(c) <= 0x7E for c in key):
        # The key goes into a header: say what is wrong, never what it is.
        raise ConfigError(f"the API key in {where} is not one line of printable ASCII without spaces")
    return key


class Output:
    """Lines for a person (stdout), or JSON objects (--json); errors on
    stderr; a progress line on a terminal.  Every text passes through
    redact(), which takes the key out wherever it may have come from (a
    server that echoes it in an error page, for one)."""

    def __init__(self, args, key=None):
        self.json = args.json
        self.quiet = args.quiet
        self.key = key
        self.tty = sys.stderr.isatty() and not args.no_progress and not args.json
        self.progress_shown = False
        self.last_progress = 0.0

    def redact(self, text):
        text = str(text)
        if self.key:
            text = text.replace(self.key, "[API key]")
        return text

    def _clear(self):
        if self.progress_shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self.progress_shown = False

    def out(self, line):
        self._clear()
        print(self.redact(line), flush=True)

    def err(self, line):
        self._clear()
        print(self.redact(line), file=sys.stderr, flush=True)

    def emit(self, obj):
        print(self.redact(json.dumps(obj, default=str, ensure_ascii=False)), flush=True)

    def progress(self, text, force=False):
        if not self.tty:
            return
        now = time.monotonic()
        if not force and now - self.last_progress < 0.2:
            return
        self.last_progress = now
        sys.stderr.write("\r\033[K" + self.redact(text)[:max(20, _columns() - 1)])
        sys.stderr.flush()
        self.progress_shown = True

    def done(self):
        self._clear()


def _columns():
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns or 80
    except OSError:
        return 80


def human_bytes(n):
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000.0
    return f"{n} B"


def choose(batches, last, horizon, since):
    """Which listed batches to sync, and why: every unfinished one; a
    finished one whose status or last_updated_at changed since its last
    successful sync (so it gets one last sync when it ends); a finished one
    never synced when it was last updated since the first sync of this
    table (or --since)."""
    chosen, skipped = [], []
    for b in batches:
        bid, status = b["batch_id"], b.get("status")
        updated = parse_time(b.get("last_updated_at")) or parse_time(b.get("created_at"))
        prev = last.get(bid)
        if status not in FINISHED:
            chosen.append((b, "open"))
        elif prev is None:
            limit = since if since is not None else horizon
            if updated is None or updated >= limit:
                chosen.append((b, "new"))
            else:
                skipped.append(b)
        else:
            prev_status, prev_updated, _ = prev
            if status != prev_status or (updated is not None and (prev_updated is None or updated > prev_updated)):
                chosen.append((b, "ended" if status != prev_status else "changed"))
            else:
                skipped.append(b)
    return chosen, skipped


class Run:
    """One pass over the batches."""

    def __init__(self, args, out, store, api):
        self.args, self.out, self.store, self.api = args, out, store, api
        self.run_id = str(uuid.uuid4())
        self.totals = dict(synced=0, failed=0, skipped=0, records=0, loaded=0, rejected=0,
                           new_rejects=0, unchanged=0, bytes=0)

    def batches(self):
        if self.args.batch:
            return [({"batch_id": b}, "given") for b in dict.fromkeys(self.args.batch)], []
        self.out.progress("listing batches", force=True)
        listed = self.api.list_batches(
            on_page=lambda page, total: self.out.progress(
                f"listing batches: page {page + 1}" + (f" of {total}" if total else "")))
        horizon = self.store.first_sync() or self.started_db
        return choose(listed, self.store.last_synced(), horizon, self.args.since)

    def sync(self):
        start = time.monotonic()
        self.started_db = self.store.now()
        chosen, skipped = self.batches()
        self.totals["skipped"] = len(skipped)
        for i, (b, why) in enumerate(chosen):
            self.one(b, why, i, len(chosen))
        self.out.done()
        self.summary(time.monotonic() - start)
        return EXIT_OK if self.totals["failed"] == 0 else EXIT_FAILED

    def one(self, b, why, i, n):
        bid = b["batch_id"]
        status = b.get("status") if isinstance(b.get("status"), str) else None
        log = dict(run_id=self.run_id, host=self.store.host, batch_status=status,
                   batch_last_updated_at=parse_time(b.get("last_updated_at")))
        t0 = time.monotonic()
        label = f"[{i + 1}/{n}] {bid}"

        def fetch(consume):
            def counted(chunks):
                got = 0
                for data in chunks:
                    got += len(data)
                    self.out.progress(f"{label}: {human_bytes(got)} received")
                    yield data
            self.out.progress(f"{label}: fetching", force=True)
            http_status, _stream, counts = self.api.results(bid, lambda chunks: consume(counted(chunks)))
            self.out.progress(f"{label}: loading the last of {human_bytes(counts['bytes'])}", force=True)
            fetch.http_status = http_status
            return http_status, counts

        started = None
        try:
            started = self.store.now()
            counts = self.store.sync_batch(bid, fetch, dry_run=self.args.dry_run, log=log)
        except (ApiError, LoadError) as e:
            self.failed(bid, status, log, started, str(e), getattr(e, "http_status", None), t0)
            if isinstance(e, KeyRejected):
                raise
            return
        except DatabaseLost as e:
            self.failed(bid, status, log, started, f"lost the database: {e}", None, t0, write=False)
            raise
        secs = time.monotonic() - t0
        for k in ("records", "loaded", "rejected", "new_rejects", "unchanged", "bytes"):
            self.totals[k] += counts[k]
        self.totals["synced"] += 1
        if self.args.json:
            self.out.emit(dict(event="batch", batch_id=bid, batch_status=status, reason=why, ok=True,
                               http_status=counts["http_status"], bytes=counts["bytes"],
                               records=counts["records"], loaded=counts["loaded"],
                               rejected=counts["rejected"], new_rejects=counts["new_rejects"],
                               unchanged=counts["unchanged"], seconds=round(secs, 3),
                               fetch_seconds=round(counts["fetch_seconds"], 3),
                               load_seconds=round(counts["load_seconds"], 3),
                               pieces=counts["pieces"], dry_run=self.args.dry_run))
        elif not self.args.quiet:
            self.out.out(f"{bid}{_status_note(status)}: {counts['records']} records, "
                         f"{counts['loaded']} loaded, {counts['rejected']} rejected"
                         f"{_new_note(counts)}, {counts['unchanged']} unchanged, "
                         f"{human_bytes(counts['bytes'])} in {secs:.2f} s"
                         f"{' (dry run: nothing written)' if self.args.dry_run else ''}")

    def failed(self, bid, status, log, started, error, http_status, t0, write=True):
        secs = time.monotonic() - t0
        error = self.out.redact(error)
        self.totals["failed"] += 1
        if write and not self.args.dry_run and started is not None:
            try:
                self.store.log_failure(bid, log, started, error, http_status)
            except psycopg.Error:
                pass
        if self.args.json:
            self.out.emit(dict(event="batch", batch_id=bid, batch_status=status, ok=False,
                               http_status=http_status, error=error, seconds=round(secs, 3)))
        else:
            self.out.out(f"{bid}{_status_note(status)}: FAILED: {error} ({secs:.2f} s)")

    def summary(self, secs):
        t = self.totals
        if self.args.json:
            self.out.emit(dict(event="summary", run_id=self.run_id, seconds=round(secs, 3),
                               dry_run=self.args.dry_run, **t))
            return
        self.out.out(
            f"comm-result-sync: {t['synced']} batches synced, {t['failed']} failed, "
            f"{t['skipped']} finished and unchanged; {t['records']} records: {t['loaded']} loaded, "
            f"{t['rejected']} rejected ({t['new_rejects']} new), {t['unchanged']} unchanged; "
            f"{human_bytes(t['bytes'])} in {secs:.1f} s"
            f"{' (dry run: nothing written)' if self.args.dry_run else ''}")


def _status_note(status):
    return f" ({status})" if status else ""


def _new_note(counts):
    if counts["rejected"] and counts["new_rejects"] != counts["rejected"]:
        return f" ({counts['new_rejects']} new)"
    return ""


def _first_line(e):
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def replay(out, store, args):
    moved = loaded = kept = 0
    for bid in store.reject_batches():
        m, l, k = store.replay(bid)
        moved, loaded, kept = moved + m, loaded + l, kept + k
        if args.json:
            out.emit(dict(event="replay", batch_id=bid, moved=m, loaded=l, kept=k))
        elif not args.quiet:
            out.out(f"{bid}: {m} rejects now load ({l} rows loaded), {k} still rejected")
    if args.json:
        out.emit(dict(event="summary", moved=moved, loaded=loaded, kept=kept))
    else:
        out.out(f"comm-result-sync: {moved} rejects replayed ({loaded} rows loaded), {kept} still rejected")
    return EXIT_OK


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    for a in argv:
        if a == "--api-key" or a.startswith("--api-key="):
            print("comm-result-sync: the API key is never taken from the command line (it would show "
                  "in ps and in shell histories): set SYLLABLE_API_KEY or give --api-key-file",
                  file=sys.stderr)
            return EXIT_CONFIG
    args = parse_args(argv)
    out = Output(args)

    def on_signal(signum, _frame):
        raise Stop(signum)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        return _main(args, out)
    except Stop as e:
        out.done()
        out.err(f"comm-result-sync: stopped by {e}; the batch in flight was rolled back")
        # Die of the signal itself, so that a service manager sees a
        # clean stop, and a shell sees the interrupt.
        signal.signal(e.signum, signal.SIG_DFL)
        os.kill(os.getpid(), e.signum)
        return 128 + e.signum


def _main(args, out):
    try:
        key = None
        if not (args.init or args.replay_rejects):
            key = read_key(args, out.err)
            out.key = key
        api = None
        if key is not None:
            try:
                api = Api(args.api_url, key, connect_timeout=args.connect_timeout,
                          read_timeout=args.read_timeout, max_time=args.max_time,
                          retries=args.retries, backoff=args.backoff,
                          max_retry_after=args.max_retry_after, max_body=int(args.max_body * 1e6),
                          on_retry=lambda label, why, delay, n: out.err(
                              f"{label}: {why}; retry {n} of {args.retries} in {delay:.1f} s"))
            except ValueError as e:
                raise ConfigError(str(e)) from None
        if args.watch:
            return watch(args, out, api)
        return once(args, out, api)
    except ConfigError as e:
        out.err(f"comm-result-sync: {e}")
        return EXIT_CONFIG
    except KeyRejected as e:
        out.err(f"comm-result-sync: {e}; the run stopped")
        return EXIT_CONFIG


def open_store(args):
    try:
        conn = connect(args.dsn, args.connect_timeout)
    except psycopg.Error as e:
        raise DatabaseDown(f"cannot connect to the database: {_first_line(e)}") from None
    try:
        if args.dry_run:
            # One transaction for the whole dry run, rolled back at the end:
            # not even the tables are created.
            conn.autocommit = False
        store = Store(conn, args.table, lock_timeout=args.lock_timeout)
    except psycopg.Error as e:
        conn.close()
        raise DatabaseDown(f"the database failed: {_first_line(e)}") from None
    except BaseException:
        conn.close()
        raise
    return conn, store


class DatabaseDown(Exception):
    pass


def once(args, out, api):
    try:
        conn, store = open_store(args)
    except DatabaseDown as e:
        out.err(f"comm-result-sync: {e}")
        return EXIT_FAILED
    try:
        if args.init:
            out.out(f"comm-result-sync: {store.schema}.{store.table}, {store.table}_rejects and "
                    f"{store.table}_sync_log are ready (comm_result {store.ext_version} "
                    f"in schema {store.ext_schema})")
            return EXIT_OK
        if args.replay_rejects:
            return replay(out, store, args)
        return Run(args, out, store, api).sync()
    except ApiError as e:
        if isinstance(e, KeyRejected):
            raise
        out.err(f"comm-result-sync: {e}")
        return EXIT_FAILED
    except DatabaseLost as e:
        out.err(f"comm-result-sync: lost the database ({_first_line(e)}); the run stopped")
        return EXIT_FAILED
    except psycopg.Error as e:
        out.err(f"comm-result-sync: the database failed: {_first_line(e)}")
        return EXIT_FAILED
    finally:
        if args.dry_run and not conn.closed:
            conn.rollback()
        conn.close()
        if api:
            api.close()


def watch(args, out, api):
    """A pass every --watch seconds, counted from the start of the last;
    a failed pass (the API or the database down) is reported and the next
    one tries again."""
    while True:
        start = time.monotonic()
        once(args, out, api)
        time.sleep(max(0.0, args.watch - (time.monotonic() - start)))
