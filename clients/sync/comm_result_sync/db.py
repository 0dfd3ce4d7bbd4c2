"""The database side: the tables, the checked load of one response, the
sync log.

Every response goes through comm_result's checked load (the README's
recipe): the body goes to the server as text, in pieces as it arrives
or whole (see _Load), is read there by comm_results_checked, the valid
records are merged into the results table with comm_result_merge and the
invalid elements wait in the rejects table.  One transaction per batch,
under an advisory lock of that batch, holds the load and its line in the
sync log: a batch is either as it was or fully loaded and logged.
"""

import contextlib
import os
import select
import socket
import struct
import time

import psycopg
from psycopg import postgres, sql
from psycopg.adapt import Dumper
from psycopg.pq import Format

from .body import Cutter, Worker

# Releases before this one have no comm_results_checked.
MIN_VERSION = (1, 3)

COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
COPY_TRAILER = struct.pack("!h", -1)

REJECTS_COLUMNS = {"batch_id": "text", "ordinal": "integer", "errors": "jsonb",
                   "element": "text", "received_at": "timestamp with time zone"}
LOG_COLUMNS = {
    "id": "bigint", "run_id": "text", "host": "text", "batch_id": "text",
    "batch_status": "text", "batch_last_updated_at": "timestamp with time zone",
    "started_at": "timestamp with time zone", "ended_at": "timestamp with time zone",
    "http_status": "integer", "bytes": "bigint", "records": "integer", "loaded": "integer",
    "rejected": "integer", "unchanged": "integer", "error": "text"}


class ConfigError(Exception):
    """Something a rerun will not fix: exit status 2."""


class LoadError(Exception):
    """One batch could not be loaded; the others go on."""


class DatabaseLost(Exception):
    """The connection to the database broke: the run cannot go on."""


# The body goes to the server in rows of at most ROW bytes: small enough to
# be stored inline in the temporary table's pages (STORAGE PLAIN: no TOAST
# to write and read back), cut before a UTF-8 sequence, since the server
# checks each row's text on its own.
ROW = 8000


def utf8_rows(data):
    """Cut data into rows of at most ROW bytes, each ending on a UTF-8
    character boundary.  Returns (rows, rest): rest, shorter than ROW, waits
    for the next data."""
    rows = []
    i, n = 0, len(data)
    while n - i >= ROW:
        end = i + ROW
        # data[end] opens the next row: back off while it is a continuation
        # byte (at most three; invalid UTF-8 is the server's to refuse).
        k = 0
        while k < 3 and end < n and (data[end] & 0xC0) == 0x80:
            end -= 1
            k += 1
        rows.append(data[i:end])
        i = end
    return rows, data[i:]


class _Piece:
    """A piece of the body, sent to the server as text in binary format: the
    bytes as they are, checked by the server as UTF-8 (a NUL byte too)."""
    __slots__ = ("data",)

    def __init__(self, data):
        self.data = data


class _PieceDumper(Dumper):
    format = Format.BINARY
    oid = postgres.types["text"].oid

    def dump(self, obj):
        return obj.data


class _Load:
    """One body, loaded as it arrives (Worker runs handle() in its thread).

    A first load (no row of the batch in the table) goes piece by piece:
    each segment the cutter made is checked and inserted at once, in a
    savepoint of its own.  A piece that the server does not read as a JSON
    array (the cutter guessed a gap inside a string or a nested object, or
    the body is broken) is rolled back and, with everything after it, goes
    to the temporary table and is loaded at the end, whole: as the body
    would have been without pieces, so a broken body still fails as a
    whole.  A request that comes twice across pieces rolls its piece back
    and turns the rest into upserts.  A batch the table has rows of goes
    whole from the start (its stored rows are read once)."""

    def __init__(self, store, batch_id, first):
        self.store, self.conn, self.batch_id = store, store.conn, batch_id
        self.mode = "insert" if first else "rest"
        self.recount = False            # valid and loaded: from the table at the end
        self.size = 0                   # bytes received
        self.fetched = None             # when the last one was
        self.done = 0                   # bytes loaded in pieces
        self.pieces = 0
        self.n = [0, 0, 0, 0, 0]        # records, rejected, valid, loaded, new rejects
        self.copy = None                # the rest's COPY, once begun
        self.row = 0
        self.carry = b""

    def handle(self, segment):
        kind, data, close = segment
        if self.mode != "rest":
            if kind != "raw" and self._piece(data, close, kind == "last"):
                self.done += len(data)
                return
            self.mode = "rest"
        if self.copy is None:
            self._begin_rest()
        self._copy(data)
        if kind == "last":
            self._end_rest()

    # --- pieces ---------------------------------------------------------------------------

    def _piece(self, data, close, last):
        """Load one piece; False when the server does not read it as a JSON
        array (nothing of it loaded)."""
        if self.pieces == 0 and not data.lstrip(b" \t\n\r").startswith(b"["):
            return False        # not an array: the whole body's error, at the end
        text = data if last else data[:close] + b"]"
        if self.pieces:
            text = b"[" + text
        while True:
            args = {"piece": _Piece(text), "batch": self.batch_id, "offset": self.n[0]}
            try:
                with self.conn.transaction():
                    row = self.conn.execute(
                        self.store.insert_sql if self.mode == "insert" else self.store.merge_sql,
                        args, prepare=True).fetchone()
            except psycopg.errors.InvalidTextRepresentation:
                return False
            except psycopg.errors.UniqueViolation:
                if self.mode != "insert":
                    raise
                self.mode = "merge"
                self.recount = True
                continue
            self.n = [a + b for a, b in zip(self.n, row)]
            self.pieces += 1
            return True

    # --- the rest, whole ----------------------------------------------------------------

    def _begin_rest(self):
        if self.pieces:
            self.recount = True
        self.conn.execute("TRUNCATE pg_temp.comm_result_sync_body")
        self.stack = contextlib.ExitStack()
        self.copy = self.stack.enter_context(self.conn.cursor().copy(
            "COPY pg_temp.comm_result_sync_body (n, chunk) FROM STDIN (FORMAT binary)"))
        self._send(COPY_HEADER)
        if self.pieces:
            self._copy(b"[")        # the pieces' elements are loaded; the rest is an array too

    def _copy(self, data, last=False):
        """The data in rows of at most ROW bytes (binary COPY: no escaping);
        what is left waits for the next data, or is the last row."""
        rows, self.carry = utf8_rows(self.carry + data if self.carry else data)
        if last and self.carry:
            rows.append(self.carry)
            self.carry = b""
        out = []
        for r in rows:
            out.append(struct.pack("!hiii", 2, 4, self.row, len(r)))
            out.append(r)
            self.row += 1
        if out:
            self._send(b"".join(out))

    def _send(self, data):
        self.copy.write(data)
        self.store.drain()

    def _end_rest(self):
        self._copy(b"", last=True)
        self._send(COPY_TRAILER)
        self.copy = None
        self.stack.close()
        if self.size == 0:
            raise LoadError("the response body is empty")
        row = self.conn.execute(self.store.merge_rest_sql,
                                {"batch": self.batch_id, "offset": self.n[0]}).fetchone()
        self.n = [a + b for a, b in zip(self.n, row)]

    def abort(self, error):
        """Called in the thread when it stops early: end an unfinished COPY
        (with CopyFail, which the server answers with an error)."""
        if self.copy is not None:
            self.copy = None
            error = error or _Stopped()
            try:
                self.stack.__exit__(type(error), error, None)
            except psycopg.Error:
                pass

    # --- the result -----------------------------------------------------------------------

    def where(self):
        """Where a whole rest began, for its error's positions."""
        if self.pieces and self.mode == "rest":
            return (f"in the body after its first {self.n[0]} elements ({self.done} bytes, loaded "
                    f"in pieces; the positions that follow count in the rest, opened with a \"[\"): ")
        return ""

    def counts(self):
        records, rejected, valid, loaded, new_rejects = self.n
        if self.recount:
            # A first load: every valid request is a row of the batch now.
            valid = loaded = self.conn.execute(self.store.count_sql, {"batch": self.batch_id}).fetchone()[0]
        return dict(bytes=self.size, records=records, rejected=rejected, valid=valid, loaded=loaded,
                    new_rejects=new_rejects, pieces=self.pieces, fetched=self.fetched)


class _Stopped(Exception):
    """The load stopped because the download did."""


def connect(dsn, timeout):
    """A connection from libpq's usual settings (PGHOST, PGDATABASE, a
    service, ...) or --dsn, in UTF-8 and autocommit (transactions are
    explicit)."""
    kwargs = {"autocommit": True, "client_encoding": "UTF8",
              "application_name": "comm-result-sync"}
    if "PGCONNECT_TIMEOUT" not in os.environ and "connect_timeout" not in (dsn or ""):
        kwargs["connect_timeout"] = max(1, int(timeout))
    return psycopg.connect(dsn or "", **kwargs)


class Store:
    """The results table named by --table and the two tables beside it,
    TABLE_rejects and TABLE_sync_log, in the same schema."""

    def __init__(self, conn, table, create=True, lock_timeout=600.0):
        self.conn = conn
        self.lock_timeout = lock_timeout
        self.host = f"{socket.gethostname()}:{os.getpid()}"
        self._find_extension(create)
        self._resolve(table)
        with conn.transaction():
            # One creator at a time: two first runs must not both create.
            conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                         [f"comm-result-sync init {self.schema}.{self.table}"])
            self._results_table(create)
            self._rejects_table(create)
            self._log_table(create)
        # The body's rows.  temp_buffers is left as it is (8 MB by default):
        # the pages of a larger body go to the operating system's cache and
        # are read back once, which costs less than the session's own memory
        # for them, taken fresh from the system by each run (bench/sync.sh:
        # 256 MB of temp_buffers cost the server 0.3 s of CPU more on a
        # 49 MB body).
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS comm_result_sync_body "
                     "(n integer NOT NULL, chunk text NOT NULL) ON COMMIT DELETE ROWS")
        # Rows of at most ROW bytes, stored as they are: no compression, no
        # TOAST (bench/sync.sh: the body in 8 kB rows goes in and comes back
        # out faster than in 256 kB TOASTed ones, or than in one row).
        conn.execute("ALTER TABLE pg_temp.comm_result_sync_body ALTER chunk SET STORAGE PLAIN")
        self._statements()
        self.conn.adapters.register_dumper(_Piece, _PieceDumper)
        # The tests cut small bodies into pieces too.
        sizes = os.environ.get("COMM_RESULT_SYNC_PIECES", "")
        self.piece_sizes = dict(zip(("piece", "max_segment"), map(int, sizes.split(",")))) if sizes else {}

    # --- the extension ---------------------------------------------------------

    def _find_extension(self, create):
        row = self.conn.execute(
            "SELECT n.nspname, e.extversion FROM pg_extension e "
            "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'comm_result'").fetchone()
        if row is None and create:
            try:
                self.conn.execute("CREATE EXTENSION IF NOT EXISTS comm_result")
            except psycopg.Error as e:
                raise ConfigError(f"the database has no comm_result extension and cannot create it: "
                                  f"{e.diag.message_primary or e}") from None
            row = self.conn.execute(
                "SELECT n.nspname, e.extversion FROM pg_extension e "
                "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'comm_result'").fetchone()
        if row is None:
            raise ConfigError("the database has no comm_result extension: CREATE EXTENSION comm_result")
        self.ext_schema, self.ext_version = row
        have = self.conn.execute(
            "SELECT to_regprocedure(format('%%I.comm_results_checked(text, text)', %s::text)) IS NOT NULL",
            [self.ext_schema]).fetchone()[0]
        if not have:
            raise ConfigError(f"comm_result {self.ext_version} in this database has no comm_results_checked: "
                              f"ALTER EXTENSION comm_result UPDATE (to {MIN_VERSION[0]}.{MIN_VERSION[1]} or later)")

    # --- the tables --------------------------------------------------------------

    def _resolve(self, table):
        """The schema and name of --table, as PostgreSQL reads the name, with
        the user's search_path; a table that does not exist yet goes into the
        first schema of that path."""
        try:
            parts = self.conn.execute("SELECT parse_ident(%s)", [table]).fetchone()[0]
        except psycopg.Error:
            raise ConfigError(f"--table {table!r} is not a table name") from None
        if len(parts) == 2:
            schema, name = parts
        elif len(parts) == 1:
            name = parts[0]
            found = self.conn.execute(
                "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.oid = to_regclass(%s)", [sql.Identifier(name).as_string(self.conn)]).fetchone()
            schema = found[0] if found else self.conn.execute("SELECT current_schema()").fetchone()[0]
            if schema is None:
                raise ConfigError("no schema to create the tables in: the search_path names none that exists")
        else:
            raise ConfigError(f"--table {table!r}: give a table or schema.table")
        for suffix in ("_rejects", "_sync_log"):
            if len((name + suffix).encode()) > 63:
                raise ConfigError(f"--table {name!r} is too long for the table {name + suffix!r} beside it")
        self.schema, self.table = schema, name
        # From here on every name is qualified or resolved in the
        # extension's schema: the session's own search_path.
        self.conn.execute("SELECT set_config('search_path', format('%%I, pg_catalog, pg_temp', %s::text), false)",
                          [self.ext_schema])
        self.T = sql.Identifier(schema, name)
        self.J = sql.Identifier(schema, name + "_rejects")
        self.L = sql.Identifier(schema, name + "_sync_log")

    def _oid(self, name):
        return self.conn.execute("SELECT to_regclass(%s)::oid",
                                 [sql.Identifier(self.schema, name).as_string(self.conn)]).fetchone()[0]

    def _columns(self, oid):
        return {r[0]: r[1:] for r in self.conn.execute(
            "SELECT attname, format_type(atttypid, atttypmod), attnotnull, atthasdef, "
            "attgenerated <> '' OR attidentity <> '' FROM pg_attribute "
            "WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped", [oid])}

    def _results_table(self, create):
        oid = self._oid(self.table)
        if oid is None:
            if not create:
                raise ConfigError(f"the table {self.schema}.{self.table} does not exist (run with --init)")
            # The README's recommended table, without the guard trigger: a
            # snapshot the guard refuses would fail its whole batch.
            self.conn.execute(sql.SQL("CREATE TABLE {} (r comm_result NOT NULL)").format(self.T))
            self.conn.execute(sql.SQL("CREATE UNIQUE INDEX {} ON {} ((batch_id(r)), (reference_id(r)))")
                              .format(sql.Identifier(self.table + "_key"), self.T))
            oid = self._oid(self.table)
        kind = self.conn.execute("SELECT relkind FROM pg_class WHERE oid = %s", [oid]).fetchone()[0]
        if kind not in ("r", "p"):
            raise ConfigError(f"{self.schema}.{self.table} is not a table")
        self._check_layout(oid)

    def _check_layout(self, oid):
        """Accept the two layouts of the README's "Which schema": one
        comm_result column with a unique index on (batch_id(r),
        reference_id(r)), or stored generated columns of those two with a
        unique index or primary key on them.  Other columns must fill
        themselves (nullable, a default, generated)."""
        where = f"{self.schema}.{self.table}"
        cols = self._columns(oid)
        value_cols = [c for c, (t, *_rest) in cols.items() if t == "comm_result"]
        if len(value_cols) != 1:
            raise ConfigError(f"{where} has {len(value_cols)} comm_result columns; comm-result-sync "
                              f"knows tables with exactly one (see the README's recipe)")
        col = value_cols[0]
        for c, (_t, notnull, hasdef, generated) in cols.items():
            if c != col and notnull and not hasdef and not generated:
                raise ConfigError(f"{where}.{c} is NOT NULL without a default: comm-result-sync "
                                  f"inserts only the comm_result column {col}")
        # As pg_get_expr prints it (psycopg's Identifier always quotes).
        q = self.conn.execute("SELECT quote_ident(%s)", [col]).fetchone()[0]
        want = f"batch_id({q}), reference_id({q})"
        for keys, exprs in self.conn.execute(
                "SELECT indkey::int2[], pg_get_expr(indexprs, indrelid) FROM pg_index "
                "WHERE indrelid = %s AND indisunique AND indpred IS NULL AND indimmediate "
                "AND indnkeyatts = 2", [oid]):
            if keys == [0, 0] and exprs == want:
                self.col = col
                self.conflict = sql.SQL("((batch_id({c})), (reference_id({c})))").format(c=sql.Identifier(col))
                self.key_batch = sql.SQL("batch_id({})").format(sql.Identifier(col))
                self.key_ref = sql.SQL("reference_id({})").format(sql.Identifier(col))
                return
            if 0 not in keys:
                gen = dict(self.conn.execute(
                    "SELECT a.attnum, pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a "
                    "JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
                    "WHERE a.attrelid = %s AND a.attgenerated = 's' AND a.attnum = ANY(%s)", [oid, keys]))
                if [gen.get(k) for k in keys] == [f"batch_id({q})", f"reference_id({q})"]:
                    names = [r[0] for r in self.conn.execute(
                        "SELECT attname FROM pg_attribute WHERE attrelid = %s AND attnum = ANY(%s) "
                        "ORDER BY array_position(%s, attnum)", [oid, keys, keys])]
                    self.col = col
                    self.conflict = sql.SQL("({}, {})").format(*map(sql.Identifier, names))
                    self.key_batch, self.key_ref = map(sql.Identifier, names)
                    return
        raise ConfigError(f"{where} has no unique key on (batch_id({col}), reference_id({col})), "
                          f"as an expression index or as stored generated columns: comm-result-sync "
                          f"does not know this layout (see the README's recipe)")

    def _check_columns(self, name, want):
        cols = self._columns(self._oid(name))
        for c, t in want.items():
            if c not in cols or cols[c][0] != t:
                raise ConfigError(f"{self.schema}.{name} exists but has no column {c} {t}: "
                                  f"comm-result-sync does not know this layout")
        for c, (_t, notnull, hasdef, generated) in cols.items():
            if c not in want and notnull and not hasdef and not generated:
                raise ConfigError(f"{self.schema}.{name}.{c} is NOT NULL without a default")

    def _rejects_table(self, create):
        name = self.table + "_rejects"
        if self._oid(name) is None:
            if not create:
                raise ConfigError(f"the table {self.schema}.{name} does not exist (run with --init)")
            # examples/load_checked.sql's table: the two load alike.
            self.conn.execute(sql.SQL(
                "CREATE TABLE {} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
                "batch_id text NOT NULL, ordinal integer NOT NULL, errors jsonb NOT NULL, "
                "element text NOT NULL, received_at timestamptz NOT NULL DEFAULT now())").format(self.J))
            # A reject is kept once however often the API sends it again.
            self.conn.execute(sql.SQL("CREATE UNIQUE INDEX {} ON {} (batch_id, md5(element))")
                              .format(sql.Identifier(name + "_once"), self.J))
        self._check_columns(name, REJECTS_COLUMNS)

    def _log_table(self, create):
        name = self.table + "_sync_log"
        if self._oid(name) is None:
            if not create:
                raise ConfigError(f"the table {self.schema}.{name} does not exist (run with --init)")
            self.conn.execute(sql.SQL(
                "CREATE TABLE {} (id bigserial PRIMARY KEY, run_id text NOT NULL, host text NOT NULL, "
                "batch_id text NOT NULL, batch_status text, batch_last_updated_at timestamptz, "
                "started_at timestamptz NOT NULL, ended_at timestamptz NOT NULL, http_status integer, "
                "bytes bigint, records integer, loaded integer, rejected integer, unchanged integer, "
                "error text)").format(self.L))
            self.conn.execute(sql.SQL("CREATE INDEX {} ON {} (batch_id, started_at)")
                              .format(sql.Identifier(name + "_batch"), self.L))
        self._check_columns(name, LOG_COLUMNS)

    # --- statements ----------------------------------------------------------------

    def _statements(self):
        f = dict(T=self.T, J=self.J, c=sql.Identifier(self.col), K=self.conflict,
                 kb=self.key_batch, kr=self.key_ref)
        # The README's recipe (examples/load_checked.sql) over one piece of
        # the body (a parameter) or over the rest of it (streamed into the
        # temporary table), in three forms below.  Ordinals count from the
        # body's first element (%(offset)s elements came before).  A reject
        # the table already holds for this batch is not added again (also
        # in a rejects table made before the recipe had its unique index),
        # so that a second run changes nothing.
        piece = """
WITH checked AS MATERIALIZED (SELECT c.* FROM comm_results_checked(%(piece)b, %(batch)s) c),"""
        rest = """
WITH rows AS (
    SELECT string_agg(chunk, '') AS b, bool_and(n = rn) AS in_order
    FROM (SELECT n, chunk, row_number() OVER () - 1 AS rn FROM pg_temp.comm_result_sync_body) s),
body AS (
    -- A fresh temporary table filled by one COPY is read back in the order
    -- it was written, which the aggregate checks: sorting 8 kB rows would
    -- cost more than the rest.  Were it ever otherwise, sort.
    SELECT coalesce(CASE WHEN in_order THEN b
                    ELSE (SELECT string_agg(chunk, '' ORDER BY n) FROM pg_temp.comm_result_sync_body) END,
                    '') AS b FROM rows),
checked AS MATERIALIZED (SELECT c.* FROM body, comm_results_checked(body.b, %(batch)s) c),"""
        head = """
rejected AS (
    INSERT INTO {J} (batch_id, ordinal, errors, element)
    SELECT DISTINCT ON (md5(c.element)) %(batch)s, c.ordinal + %(offset)s, c.errors, c.element FROM checked c
    WHERE c.result IS NULL AND NOT EXISTS (
        SELECT 1 FROM {J} j WHERE j.batch_id = %(batch)s AND md5(j.element) = md5(c.element))
    ORDER BY md5(c.element), c.ordinal
    ON CONFLICT DO NOTHING
    RETURNING 1),
latest AS (
    SELECT comm_result_latest(result) AS r FROM checked WHERE result IS NOT NULL
    GROUP BY batch_id(result), reference_id(result)),"""
        # records, rejected, valid, loaded, new rejects; checked is read
        # once for the first two.
        tail = """
SELECT k.records, k.rejected, ({valid}), (SELECT count(*) FROM loaded), (SELECT count(*) FROM rejected)
FROM (SELECT count(*) AS records, count(*) FILTER (WHERE result IS NULL) AS rejected FROM checked) k
"""
        # A batch the table has rows of: only what the merge would change
        # goes to the upsert, so that an unchanged row is left alone, not
        # even locked (ON CONFLICT DO UPDATE locks the row it meets, also
        # when its WHERE then says no, which writes every row of the batch
        # again on every sync).  The batch's lock keeps other syncs out
        # between this read and the upsert.  Over the whole body, which is
        # then not cut into pieces: the batch's stored rows are read once.
        upsert = """
loaded AS (
    INSERT INTO {T} ({c}) SELECT r FROM changed
    ON CONFLICT {K} DO UPDATE SET {c} = comm_result_merge({T}.{c}, excluded.{c})
    WHERE comm_result_merge({T}.{c}, excluded.{c}) <> {T}.{c}
    RETURNING 1)"""
        self.merge_rest_sql = sql.SQL(rest + head + """
stored AS (
    SELECT {kr} AS ref, {c} AS v FROM {T} WHERE {kb} = %(batch)s),
changed AS (
    SELECT l.r FROM latest l LEFT JOIN stored s ON s.ref = reference_id(l.r)
    WHERE s.v IS NULL OR comm_result_merge(s.v, l.r) <> s.v),""" + upsert + tail).format(
            valid=sql.SQL("SELECT count(*) FROM latest"), **f)
        # The first load of a batch, piece by piece: every record is new, so
        # a plain INSERT, without the upsert's look-up of each key before it
        # inserts (bench/sync.sh: 0.2 to 0.3 s of the server's CPU on
        # 100,000 records).  A request that an earlier piece had already
        # (or a row of the batch inserted meanwhile by something else than
        # a sync, which the batch's lock keeps out) stops the piece at the
        # unique index: the loader then takes the next form.
        self.insert_sql = sql.SQL(piece + head + """
loaded AS (
    INSERT INTO {T} ({c}) SELECT r FROM latest
    RETURNING 1)""" + tail).format(valid=sql.SQL("SELECT count(*) FROM loaded"), **f)
        # The rest of a first load, piece by piece, once a request came
        # twice: the upsert merges it into the row an earlier piece wrote.
        self.merge_sql = sql.SQL(piece + head + """
changed AS (SELECT r FROM latest),""" + upsert + tail).format(
            valid=sql.SQL("SELECT count(*) FROM latest"), **f)
        self.count_sql = sql.SQL("SELECT count(*) FROM {T} WHERE {kb} = %(batch)s").format(**f)
        # Whether the table has rows of the batch; and, for the pieces that
        # follow in this transaction, one generic plan: a plan made for each
        # piece would hold its megabyte as a constant (bench/sync.sh: about
        # 5 ms of the server's time per piece).
        self.stored_sql = sql.SQL("SELECT EXISTS (SELECT FROM {T} WHERE {kb} = %(batch)s), "
                                  "set_config('plan_cache_mode', 'force_generic_plan', true)").format(**f)
        self.replay_sql = sql.SQL("""
WITH now_valid AS MATERIALIZED (
    SELECT j.id, c.result FROM {J} j, comm_results_checked('[' || j.element || ']', j.batch_id) c
    WHERE j.batch_id = %(batch)s AND c.result IS NOT NULL),
gone AS (DELETE FROM {J} WHERE id IN (SELECT id FROM now_valid) RETURNING id),
latest AS (
    SELECT comm_result_latest(result) AS r FROM now_valid
    GROUP BY batch_id(result), reference_id(result)),
loaded AS (
    INSERT INTO {T} ({c}) SELECT r FROM latest
    ON CONFLICT {K} DO UPDATE SET {c} = comm_result_merge({T}.{c}, excluded.{c})
    WHERE comm_result_merge({T}.{c}, excluded.{c}) <> {T}.{c}
    RETURNING 1)
SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM loaded),
       (SELECT count(*) FROM {J} WHERE batch_id = %(batch)s) - (SELECT count(*) FROM gone)
""").format(**f)
        self.log_sql = sql.SQL(
            "INSERT INTO {} (run_id, host, batch_id, batch_status, batch_last_updated_at, started_at, "
            "ended_at, http_status, bytes, records, loaded, rejected, unchanged, error) "
            "VALUES (%(run_id)s, %(host)s, %(batch_id)s, %(batch_status)s, %(batch_last_updated_at)s, "
            "%(started_at)s, clock_timestamp(), %(http_status)s, %(bytes)s, %(records)s, %(loaded)s, "
            "%(rejected)s, %(unchanged)s, %(error)s)").format(self.L)

    # --- state ------------------------------------------------------------------------

    def last_synced(self):
        """For each batch, its last successful sync: (batch_status,
        batch_last_updated_at, started_at)."""
        return {r[0]: r[1:] for r in self.conn.execute(sql.SQL(
            "SELECT DISTINCT ON (batch_id) batch_id, batch_status, batch_last_updated_at, started_at "
            "FROM {} WHERE error IS NULL ORDER BY batch_id, started_at DESC").format(self.L))}

    def first_sync(self):
        return self.conn.execute(sql.SQL("SELECT min(started_at) FROM {}").format(self.L)).fetchone()[0]

    def now(self):
        return self.conn.execute("SELECT clock_timestamp()").fetchone()[0]

    # --- one batch ----------------------------------------------------------------------

    def _lock(self, batch_id):
        """The batch's advisory lock, held to the end of the transaction: two
        syncs never load one batch at once; the second waits, then fetches
        and loads what is there by then."""
        self.conn.execute("SELECT set_config('lock_timeout', %s, true)", [f"{int(self.lock_timeout * 1000)}ms"])
        try:
            self.conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                              [f"comm-result-sync {self.schema}.{self.table} {batch_id}"])
        except psycopg.errors.LockNotAvailable:
            raise LoadError(f"another sync has held this batch for over --lock-timeout "
                            f"({self.lock_timeout:.0f} s)") from None
        self.conn.execute("SELECT set_config('lock_timeout', '0', true)")

    def drain(self):
        """Wait until libpq has sent what it holds.  In non-blocking mode
        PQputCopyData grows its buffer rather than wait for the server, so
        without this the client would hold whatever part of the body the
        server had not read yet (the whole of it, with a fast download): this
        is what keeps the memory bounded, and slows the download down to the
        server's pace."""
        pg = self.conn.pgconn
        while pg.flush() == 1:
            select.select([], [pg.socket], [], 1.0)

    def load_body(self, batch_id, chunks, first):
        """Load one response body as it arrives, in a savepoint (a retried
        request starts clean).  first: the table has no row of the batch.
        Returns the counts and the byte count; raises LoadError (or the
        download's error) with nothing of this body loaded."""
        load = _Load(self, batch_id, first)
        try:
            with self.conn.transaction():
                cutter = Cutter(**self.piece_sizes)
                with Worker(load.handle, self.conn.cancel, load.abort) as w:
                    for data in chunks:
                        load.size += len(data)
                        # The rest goes whole once the loader takes it so.
                        cutter.whole = cutter.whole or load.mode == "rest"
                        for segment in cutter.feed(data):
                            w.put(segment)
                    load.fetched = time.monotonic()
                    w.put(cutter.finish())
                return load.counts()
        except psycopg.errors.DataError as e:
            # Invalid UTF-8 (or a NUL byte), or a body that is not a JSON array.
            raise LoadError(load.where() + _body_error(e)) from None

    def sync_batch(self, batch_id, fetch, *, dry_run, log):
        """Load one batch in one transaction: lock, fetch (which loads the
        body through load_body as it arrives, afresh after a retry), the log
        line.  fetch(consume) returns (http_status, consume's result).
        Returns the counts; raises LoadError (or the API's errors) with
        nothing changed."""
        try:
            with self.conn.transaction(force_rollback=dry_run):
                self._lock(batch_id)
                started = self.now()
                first = not self.conn.execute(self.stored_sql, {"batch": batch_id}).fetchone()[0]
                t_fetch = time.monotonic()
                http_status, counts = fetch(lambda chunks: self.load_body(batch_id, chunks, first))
                fetched = counts.pop("fetched")
                counts.update(started_at=started, http_status=http_status,
                              unchanged=counts["valid"] - counts["loaded"], fetch_seconds=fetched - t_fetch)
                if not dry_run:
                    self.conn.execute(self.log_sql, dict(log, batch_id=batch_id, error=None, **{
                        k: counts[k] for k in ("started_at", "http_status", "bytes", "records",
                                               "loaded", "rejected", "unchanged")}))
            # What is left after the body's last byte: the last piece (or the
            # whole body, when it was not cut), the log's row, and the
            # commit's wait for the write-ahead log.
            counts["load_seconds"] = time.monotonic() - fetched
        except psycopg.Error as e:
            if self.conn.closed or self.conn.broken:
                raise DatabaseLost(_pg_message(e)) from None
            raise LoadError(f"the database refused the load: {_pg_message(e)}") from None
        return counts

    def log_failure(self, batch_id, log, started_at, error, http_status=None, size=None):
        """A failed batch's line, in its own transaction (the load's was
        rolled back)."""
        with self.conn.transaction():
            self.conn.execute(self.log_sql, dict(
                log, batch_id=batch_id, started_at=started_at, http_status=http_status, bytes=size,
                records=None, loaded=None, rejected=None, unchanged=None, error=error))

    def replay(self, batch_id):
        """Move the batch's rejects that now load into the results table."""
        with self.conn.transaction():
            self._lock(batch_id)
            return self.conn.execute(self.replay_sql, {"batch": batch_id}).fetchone()

    def reject_batches(self):
        return [r[0] for r in self.conn.execute(
            sql.SQL("SELECT DISTINCT batch_id FROM {} ORDER BY 1").format(self.J))]


def _pg_message(e):
    d = e.diag
    text = d.message_primary or str(e).strip()
    if d.sqlstate:
        text = f"{d.sqlstate} {text}"
    if d.message_detail:
        text += f" ({d.message_detail})"
    return text


def _body_error(e):
    """A body the server could not read as text or as a JSON array."""
    d = e.diag
    if d.sqlstate == "22021":
        return f"the response is not valid UTF-8: {d.message_primary}"
    if d.sqlstate == "22P02":
        return f"{d.message_primary}" + (f" ({d.message_detail})" if d.message_detail else "")
    return _pg_message(e)
