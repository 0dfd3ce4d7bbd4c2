"""Tests of comm_result_psycopg against a live server.

Connects with the usual PG* environment variables (test.sh sets them); the
database must have the comm_result extension.  The tests create and drop a
few more databases of their own.  Run:

    /usr/bin/python3 -m unittest -v test_comm_result_psycopg
    /usr/bin/python3 test_comm_result_psycopg.py [--summary FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import re
import sys
import time
import unittest
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Dict, List
from zoneinfo import ZoneInfo

import psycopg
from psycopg import errors as e
from psycopg.adapt import Dumper, Loader, PyFormat
from psycopg.pq import Format

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import comm_result_psycopg as crp  # noqa: E402
from comm_result_psycopg import CommResult, CommStatus  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RESULTS_JSONL = os.path.join(REPO, "examples", "results.jsonl")
README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "README.md")
UTC = timezone.utc

# SDK-shaped records, as JSON lines the API would return.
RECORD_LINES = [
    # every field, an e-mail target, conversation_id explicitly null
    '{"batch_id":"20250117.9","reference_id":"12345","target":"user@email.com",'
    '"request_variables":{"first_name":"Ana"},"request_status":"INITIATED",'
    '"call_manager_sid":"LMc4b16a9df2ce33d84b3d30581fe6598c",'
    '"created_at":"2024-01-01T00:00:00Z","sent_at":"2024-01-02T00:00:00Z",'
    '"attempt_count":1,"session_id":1,"conversation_id":null}',
    # only the required fields: everything else absent
    '{"batch_id":"20250118.2","reference_id":"APT-0118-0002","target":"5550100","request_variables":{}}',
    # every nullable field null, a tel: phone target
    '{"batch_id":"20250118.1","reference_id":"30049","target":"tel:+15550100199",'
    '"request_variables":{"first_name":"Miko\\u0142aj"},"request_status":"PENDING",'
    '"call_manager_sid":null,"created_at":"2025-01-18T09:15:05.012-05:00","sent_at":null,'
    '"attempt_count":0,"session_id":null,"conversation_id":null}',
    # unicode everywhere: IDN e-mail, emoji outside the BMP, escapes, controls
    '{"batch_id":"lote-ç-😀","reference_id":"réf 0001","target":"用户@例子.广告",'
    '"request_variables":{"名字":"张伟","emoji":"👋🏽","text":"tab\\there\\nnew line \\"q\\" back\\\\slash \\u007f \\u2028 é"},'
    '"request_status":"COMPLETED","call_manager_sid":"LMüñí","created_at":"2025-01-17T08:30:04.372Z",'
    '"sent_at":"2025-01-17T08:59:38+01:00","attempt_count":1,"session_id":48151,"conversation_id":481511}',
    # microsecond timestamps with offsets, extreme integers, a formatted phone
    '{"batch_id":"20250117.10","reference_id":"10085","target":"+1 (555) 010-0199",'
    '"request_variables":{},"request_status":"FAILED","created_at":"2025-01-17T08:30:04.123456+05:30",'
    '"sent_at":"1999-12-31T23:59:59.999999-00:30","attempt_count":2147483647,'
    '"session_id":9223372036854775807,"conversation_id":0}',
    # nested variables: objects, arrays, booleans, null, exact decimals, big ints
    '{"batch_id":"20250117.9","reference_id":"10003","target":"\\"quoted local\\"@example.com",'
    '"request_variables":{"appointment":{"date":"2025-01-30","slots":[{"h":9,"m":30},{"h":11,"m":15}],'
    '"confirmed":true,"notes":null},"price":1.50,"tiny":-0.000001,"big":123456789012345678901234567890,'
    '"exp":1e5,"list":[],"empty":{}},"request_status":"CANCELED","sent_at":"2025-01-17T08:59:38.5Z"}',
]
# Parsed as an SDK would, but keeping exact decimals ("1.50") as Decimal.
RECORDS = [json.loads(line, parse_float=Decimal) for line in RECORD_LINES]
NULLABLE = ("call_manager_sid", "sent_at", "session_id", "conversation_id")

# Today's shape (SDKs 1.0.x): records of GET .../batches/{batch_id}/results,
# without batch_id (it is in the URL), in the API's key order.
TODAY_BATCH = "20260801.3"
TODAY_API_LINES = [
    # every field, the sid under today's name
    '{"reference_id":"A-1","target":"+15125551234","request_variables":{"first_name":"Ana"},'
    '"channel_manager_sid":"CA9f0e","created_at":"2026-08-01T10:00:00Z",'
    '"sent_at":"2026-08-01T10:00:01.250+02:00","attempt_count":1,"session_id":9001,'
    '"conversation_id":9002,"request_status":"COMPLETED","channel_manager_status":"DELIVERED",'
    '"insights_status":"COMPLETED","insights":{"rating":"Good","summary":"Booked \\u00e9 \\ud83d\\ude00",'
    '"score":4.5,"exact":1.50,"calls":3},"line_type":"mobile",'
    '"enrichment":{"line_type":"mobile","carrier_name":"Verizon","mcc":"310","mnc":"012",'
    '"error_code":null,"ported":false,"history":[{"at":"2025","n":1.0}]}}',
    # every nullable field null, as the SDKs write it
    '{"reference_id":"A-2","target":"+15125551235","request_variables":{},'
    '"channel_manager_sid":null,"created_at":"2026-08-01T10:00:00Z","sent_at":null,'
    '"attempt_count":0,"session_id":null,"conversation_id":null,"request_status":"PENDING",'
    '"channel_manager_status":null,"insights_status":null,"insights":null,"line_type":null,'
    '"enrichment":null}',
    # only some of today's fields; a status outside the documented 41; an
    # e-mail target from an older batch; the empty objects the SDKs show
    '{"reference_id":"A-3","target":"ana@example.com","request_variables":{"k":"v"},'
    '"attempt_count":2,"request_status":"FAILED","channel_manager_status":"SOMETHING_NEW",'
    '"insights":{},"enrichment":{}}',
    # today's fields with the April sid spelling
    '{"reference_id":"A-4","target":"5550100","request_variables":{},'
    '"call_manager_sid":"LM1","line_type":"voip"}',
]
TODAY_API_RECORDS = [json.loads(line, parse_float=Decimal) for line in TODAY_API_LINES]
# The same records as whole values: batch_id first, as the type's input takes them.
TODAY_RECORDS = [dict({"batch_id": TODAY_BATCH}, **rec) for rec in TODAY_API_RECORDS]
TODAY_LINES = ['{"batch_id":"%s",' % TODAY_BATCH + line[1:] for line in TODAY_API_LINES]
# sha256 of comm_result_send() of each of RECORD_LINES on comm_result 1.1
# (recorded from that release): the April binary form must not change.
V11_SEND_SHA256 = [
    "4823b07d4770e3081bd614e4cc9d1ea702557e86f700b1ea0c6669f8d42c720f",
    "3aff093f396583bc37a8941e987beab24697348a6d28f1f7adbb08b20ab9873b",
    "5f030ec3d1f1626eca06d6e6a3a18f1e55c6ee11c74c2b19473ed9e8b865ed32",
    "130a4d3840c46668c1ad5a7b5b57167dcb38c79573c944aeeace6314e301b7a3",
    "ba04eb551fe69009b81c81c30b95a425db701ec9408ee1afefb08b6eba1eac2d",
    "1246c285d04ebb97b0374bbba2d3126fce842b8c319ecb6206db14176277922e",
]
NEW_NULLABLE = ("channel_manager_sid", "channel_manager_status", "insights_status",
                "insights", "line_type", "enrichment")


def connect(dbname: str | None = None, **kwargs: Any) -> "psycopg.Connection[Any]":
    if dbname is not None:
        kwargs["dbname"] = dbname
    return psycopg.connect(autocommit=True, **kwargs)


def retry_file_errors(conn: "psycopg.Connection[Any]", sql: str) -> None:
    """The extension may be being reinstalled next door: retry a missing file."""
    for attempt in range(30):
        try:
            conn.execute(sql)
            return
        except (e.UndefinedFile, e.InternalError_) as ex:
            if attempt == 29 or "could not" not in str(ex):
                raise
            time.sleep(2)


class FreshDatabase:
    """A database for one test, dropped afterwards."""

    def __init__(self, name: str, *setup: str):
        self.name, self.setup = name, setup

    def __enter__(self) -> str:
        with connect("postgres") as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {self.name}")
            admin.execute(f"CREATE DATABASE {self.name}")
        with connect(self.name) as conn:
            for sql in self.setup:
                retry_file_errors(conn, sql)
        return self.name

    def __exit__(self, *exc: Any) -> None:
        with connect("postgres") as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


def canonical(value: Dict[str, Any]) -> Dict[str, Any]:
    """A loaded dict as the server's canonical JSON reads, computed without the
    module (isoformat, not its formatter), to compare with json.loads(r::text)."""
    out = dict(value)
    for field in ("created_at", "sent_at"):
        if isinstance(out.get(field), datetime):
            self_utc = out[field].astimezone(UTC)
            text = self_utc.replace(tzinfo=None).isoformat()
            out[field] = text + "Z"
    return out


def server_canonical(conn: "psycopg.Connection[Any]", line: str) -> str:
    return conn.execute("SELECT %s::text::comm_result::text", [line]).fetchone()[0]


class Base(unittest.TestCase):
    conn: "psycopg.Connection[Any]"

    def setUp(self) -> None:
        self.conn = connect()
        self.types = crp.register(self.conn)

    def tearDown(self) -> None:
        self.conn.close()

    def cursor(self, binary: bool) -> "psycopg.Cursor[Any]":
        return self.conn.cursor(binary=binary)

    def assertSqlstate(self, exc_class: type, sqlstate: str, fn: Any, *args: Any, **kwargs: Any) -> BaseException:
        with self.assertRaises(exc_class) as cm:
            fn(*args, **kwargs)
        self.assertIsInstance(cm.exception, psycopg.Error)
        self.assertEqual(cm.exception.sqlstate, sqlstate, str(cm.exception))
        return cm.exception


def valid_jsonl_lines(conn: "psycopg.Connection[Any]") -> List[str]:
    with open(RESULTS_JSONL, encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f if line.strip()]
    ok = conn.execute("SELECT array_agg(comm_result_is_valid(l) ORDER BY n) "
                      "FROM unnest(%s::text[]) WITH ORDINALITY AS u(l, n)", [lines]).fetchone()[0]
    return [line for line, good in zip(lines, ok) if good]


class TestRoundTrip(Base):
    def check_loaded(self, rec: Dict[str, Any], got: Dict[str, Any], canon_text: str) -> None:
        # The same keys, in the same order, as the canonical text output.
        canon = json.loads(canon_text, parse_float=Decimal)
        self.assertEqual(list(got), list(canon))
        self.assertEqual(canonical(got), canon)
        # Absent stays absent, null stays present as None.
        for field in NULLABLE:
            if field not in rec:
                self.assertNotIn(field, got)
            elif rec[field] is None:
                self.assertIn(field, got)
                self.assertIsNone(got[field])
        self.assertIs(type(got["attempt_count"]), int)
        self.assertIs(type(got["request_variables"]), dict)
        for field in ("created_at", "sent_at"):
            if got.get(field) is not None:
                self.assertIsInstance(got[field], datetime)
                self.assertEqual(got[field].utcoffset(), timedelta(0))
        # And the module writes it back exactly as the server does.
        self.assertEqual(crp.dump_text(got), canon_text)

    def test_records_all_format_pairs(self) -> None:
        for line, rec in zip(RECORD_LINES, RECORDS):
            canon_text = server_canonical(self.conn, line)
            for fin in "tb":
                for out_binary in (False, True):
                    with self.subTest(ref=rec["reference_id"], dump=fin, load_binary=out_binary):
                        cur = self.cursor(out_binary)
                        got, same = cur.execute(
                            f"SELECT %{fin}, %{fin} = %s::text::comm_result",
                            [CommResult(rec), CommResult(rec), line]).fetchone()
                        self.assertTrue(same)
                        self.check_loaded(rec, got, canon_text)
                        # A loaded value dumps back to the same value, both ways.
                        again = cur.execute("SELECT %t = %s::text::comm_result AND %b = %s::text::comm_result",
                                            [CommResult(got), line, CommResult(got), line]).fetchone()[0]
                        self.assertTrue(again)

    def test_results_jsonl_text_and_binary(self) -> None:
        lines = valid_jsonl_lines(self.conn)
        self.assertGreater(len(lines), 300)
        text_rows = self.cursor(False).execute(
            "SELECT l::comm_result, l::comm_result::text FROM unnest(%s::text[]) l", [lines]).fetchall()
        bin_rows = self.cursor(True).execute(
            "SELECT l::comm_result, comm_result_send(l::comm_result) FROM unnest(%s::text[]) l",
            [lines]).fetchall()
        self.assertEqual(len(text_rows), len(lines))
        for line, (t, canon_text), (b, wire) in zip(lines, text_rows, bin_rows):
            self.assertEqual(t, b)
            self.assertEqual(list(t), list(b))
            self.check_loaded(json.loads(line), b, canon_text)
            # The binary dumper writes exactly what the server's send writes.
            self.assertEqual(crp.dump_binary(b), wire)

    def test_microseconds_and_rounding(self) -> None:
        rec = dict(RECORDS[1], created_at="2025-01-17T08:30:04.1234565Z",
                   sent_at="2025-01-17T08:30:04.000001+02:00")
        for fin in "tb":
            for out_binary in (False, True):
                with self.subTest(dump=fin, load_binary=out_binary):
                    got = self.cursor(out_binary).execute(f"SELECT %{fin}", [CommResult(rec)]).fetchone()[0]
                    self.assertEqual(got["created_at"], datetime(2025, 1, 17, 8, 30, 4, 123457, UTC))
                    self.assertEqual(got["sent_at"], datetime(2025, 1, 17, 6, 30, 4, 1, UTC))

    def test_client_timestamp_parsing_matches_server(self) -> None:
        # The binary dumper parses RFC 3339 strings itself: it must agree with
        # the server's text input to the microsecond.
        stamps = ["2024-02-29T23:59:60.9999995-00:30", "2000-01-01t00:00:00z",
                  "9999-12-31T23:59:59.999999Z", "1999-12-31T23:59:59.5+23:59",
                  "2025-06-30T12:00:00.000000001Z", "2025-06-30T12:00:00.0000005Z",
                  "0001-01-01T00:00:00Z", "1969-07-20T20:17:40.123-04:00",
                  "2016-12-31T23:59:60Z", "0000-03-01T00:00:00+00:00"]
        for stamp in stamps:
            with self.subTest(stamp=stamp):
                rec = dict(RECORDS[1], created_at=stamp)
                same, server_us = self.conn.execute(
                    "SELECT created_at(%b) = created_at(%t), "
                    "(extract(epoch FROM created_at(%t) - '2000-01-01 00:00:00+00') * 1000000)::numeric",
                    [CommResult(rec)] * 3).fetchone()
                self.assertTrue(same)
                self.assertEqual(crp.parse_timestamp(stamp), int(server_us))

    def test_datetime_objects_dump_exactly(self) -> None:
        when = datetime(2025, 1, 17, 5, 30, 4, 654321, ZoneInfo("America/Sao_Paulo"))
        rec = dict(RECORDS[1], created_at=when, sent_at=when + timedelta(microseconds=1))
        for fin in "tb":
            with self.subTest(dump=fin):
                created, sent = self.conn.execute(
                    f"SELECT created_at(%{fin}), sent_at(%{fin})", [CommResult(rec)] * 2).fetchone()
                self.assertEqual(created, when)
                self.assertEqual(sent - created, timedelta(microseconds=1))
                got = self.conn.execute(f"SELECT %{fin}", [CommResult(rec)]).fetchone()[0]
                self.assertEqual(got["created_at"], datetime(2025, 1, 17, 8, 30, 4, 654321, UTC))

    def test_exact_numbers_in_variables(self) -> None:
        rec = RECORDS[5]
        for out_binary in (False, True):
            with self.subTest(load_binary=out_binary):
                v = self.cursor(out_binary).execute("SELECT %b", [CommResult(rec)]).fetchone()[0]["request_variables"]
                self.assertEqual(str(v["price"]), "1.50")
                self.assertEqual(v["tiny"], Decimal("-0.000001"))
                self.assertEqual(v["big"], 123456789012345678901234567890)
                self.assertEqual(v["exp"], 100000)
                self.assertEqual(v["appointment"]["slots"][1], {"h": 11, "m": 15})
                self.assertIs(v["appointment"]["confirmed"], True)
                self.assertIsNone(v["appointment"]["notes"])
        # A float, as json.loads gives by default, goes out as repr() writes it.
        rec = dict(RECORDS[1], request_variables={"f": 1.25, "g": 1e-7})
        v = self.conn.execute("SELECT %b", [CommResult(rec)]).fetchone()[0]["request_variables"]
        self.assertEqual(v, {"f": Decimal("1.25"), "g": Decimal("1E-7")})

    def test_arrays(self) -> None:
        for out_binary in (False, True):
            with self.subTest(load_binary=out_binary):
                rs, ss = self.cursor(out_binary).execute(
                    "SELECT ARRAY[%s::text::comm_result, %s::text::comm_result], "
                    "ARRAY['FAILED', 'PENDING']::comm_status[]", RECORD_LINES[:2]).fetchone()
                self.assertEqual([r["reference_id"] for r in rs], ["12345", "APT-0118-0002"])
                self.assertEqual(rs[0]["created_at"], datetime(2024, 1, 1, tzinfo=UTC))
                self.assertEqual(ss, ["FAILED", "PENDING"])
        # Lists of wrapped values dump as arrays.
        for fin in "tb":
            with self.subTest(dump=fin):
                typ, n, st = self.conn.execute(
                    f"SELECT pg_typeof(%{fin})::text, cardinality(%{fin}), pg_typeof(%{fin})::text",
                    [[CommResult(RECORDS[0]), CommResult(RECORDS[3])]] * 2
                    + [[CommStatus("FAILED")]]).fetchone()
                self.assertEqual((typ, n, st), ("comm_result[]", 2, "comm_status[]"))

    def test_client_side_binding(self) -> None:
        # ClientCursor puts literals in the SQL; they carry a schema-qualified cast.
        cur = psycopg.ClientCursor(self.conn)
        sql = cur.mogrify("SELECT %s, %s", [CommResult(RECORDS[0]), CommStatus("FAILED")])
        self.assertIn("'::public.comm_result", sql)
        got, status = cur.execute("SELECT %s, %s", [CommResult(RECORDS[0]), CommStatus("FAILED")]).fetchone()
        self.assertEqual(got["reference_id"], "12345")
        self.assertEqual(status, "FAILED")


class TestClientEncoding(unittest.TestCase):
    def test_latin1_client(self) -> None:
        with connect(client_encoding="LATIN1") as conn:
            crp.register(conn)
            rec = {"batch_id": "Zoë", "reference_id": "r", "target": "zoë@exämple.de",
                   "request_variables": {"n": "Chloé 😀 用户"}}
            for fin in "tb":
                with self.subTest(dump=fin):
                    # Strings go over in LATIN1; JSON text escapes what LATIN1 lacks.
                    same = conn.execute(f"SELECT %{fin} = %s::text::comm_result",
                                        [CommResult(rec), json.dumps(rec)]).fetchone()[0]
                    self.assertTrue(same)
            latin = dict(rec, request_variables={"n": "Chloé"})
            for out_binary in (False, True):
                with self.subTest(load_binary=out_binary):
                    got = conn.cursor(binary=out_binary).execute("SELECT %b", [CommResult(latin)]).fetchone()[0]
                    self.assertEqual(got, dict(latin, attempt_count=0))
            # A string field LATIN1 cannot hold: text escapes it, binary cannot.
            cjk = dict(latin, batch_id="用户")
            self.assertTrue(conn.execute("SELECT batch_id(%t) = U&'\\7528\\6237'",
                                         [CommResult(cjk)]).fetchone()[0])
            with self.assertRaises(e.UntranslatableCharacter) as cm:
                conn.execute("SELECT %b", [CommResult(cjk)])
            self.assertEqual(cm.exception.sqlstate, "22P05")


class TestCommStatus(Base):
    def test_load_and_dump(self) -> None:
        for name in crp.STATUSES:
            for out_binary in (False, True):
                for fin in "tb":
                    with self.subTest(status=name, load_binary=out_binary, dump=fin):
                        got, typ = self.cursor(out_binary).execute(
                            f"SELECT %{fin}, pg_typeof(%{fin})::text", [CommStatus(name)] * 2).fetchone()
                        self.assertIs(type(got), str)
                        self.assertEqual(got, name)
                        self.assertEqual(typ, "comm_status")

    def test_order_and_functions(self) -> None:
        self.assertTrue(self.conn.execute("SELECT %s < %s", [CommStatus("PENDING"), CommStatus("COMPLETED")]).fetchone()[0])
        self.assertEqual(self.conn.execute("SELECT comm_status_next(%b)", [CommStatus("INITIATED")]).fetchone()[0],
                         ["CONNECTED", "COMPLETED", "FAILED", "CANCELED", "CALL_COMPLETED", "SENT"])
        # comm_status sorts by code: 1.3's statuses after the nine of 1.0.
        self.assertEqual(self.conn.execute(
            "SELECT array_agg(s ORDER BY s) FROM unnest(%s::comm_status[]) s",
            [[CommStatus(s) for s in crp.STATUSES]]).fetchone()[0],
            list(crp.STATUSES))

    def test_status_codes_are_the_servers(self) -> None:
        # The codes of 1.0 never change; 1.3 appends three.
        self.assertEqual(crp.STATUSES, ("PENDING", "DUPLICATE", "INITIATED", "CONNECTED", "COMPLETED",
                                        "FAILED", "CANCELED", "INVALID", "SKIPPED",
                                        "CALL_COMPLETED", "SENT", "UNSUBSCRIBED"))
        server = [s for (s,) in self.conn.execute("SELECT status::text FROM comm_statuses()")]
        self.assertEqual(sorted(server), sorted(crp.STATUSES))
        # The status byte comm_result_send writes is the index in STATUSES.
        codes = dict(self.conn.execute(
            "SELECT s::text, get_byte(comm_result_send(comm_result('b', 'r', '+15125550001', '{}', s)), 3) "
            "FROM comm_statuses() c(s)").fetchall())
        self.assertEqual(codes, {name: code for code, name in enumerate(crp.STATUSES)})

    def test_new_statuses_round_trip(self) -> None:
        # CALL_COMPLETED (9), SENT (10) and UNSUBSCRIBED (11), in April values
        # (binary version 1) and today's (version 2), every pair of formats.
        for code, name in ((9, "CALL_COMPLETED"), (10, "SENT"), (11, "UNSUBSCRIBED")):
            for rec, version in ((dict(RECORDS[0], request_status=name), 1),
                                 (dict(TODAY_RECORDS[0], request_status=name), 2)):
                line = crp.dump_text(rec)
                canon_text, wire = self.conn.execute(
                    "SELECT x::text, comm_result_send(x) FROM (SELECT %s::text::comm_result x) s", [line]).fetchone()
                self.assertEqual((wire[0], wire[3]), (version, code))
                self.assertEqual(crp.dump_binary(crp.load_binary(wire)), wire)
                self.assertEqual(crp.load_binary(wire)["request_status"], name)
                for fin in "tb":
                    for out_binary in (False, True):
                        with self.subTest(status=name, version=version, dump=fin, load_binary=out_binary):
                            got, status, same = self.cursor(out_binary).execute(
                                f"SELECT x, request_status(x), x = %s::text::comm_result FROM (SELECT %{fin} x) s",
                                [line, CommResult(rec)]).fetchone()
                            self.assertTrue(same)
                            self.assertEqual((got["request_status"], status), (name, name))
                            self.assertEqual(crp.dump_binary(got), wire)
                            self.assertEqual(crp.dump_text(got), canon_text)
        # The loader refuses a code past the table, as the server's receive does.
        wire = crp.dump_binary(dict(RECORDS[1], request_status="UNSUBSCRIBED"))
        with self.assertRaises(e.InvalidBinaryRepresentation) as cm:
            crp.load_binary(wire[:3] + bytes([12]) + wire[4:])
        self.assertIn("status code 12 is out of range", str(cm.exception))

    def test_plain_str_stays_text(self) -> None:
        # Only the wrapper is comm_status; a plain str keeps psycopg's default.
        cur = self.conn.cursor()
        self.assertEqual(cur.adapters.get_dumper(CommStatus, PyFormat.AUTO).oid, self.types.comm_status.oid)
        self.assertNotEqual(cur.adapters.get_dumper(str, PyFormat.AUTO).oid, self.types.comm_status.oid)
        self.assertEqual(cur.execute("SELECT %s = 'FAILED'::comm_status", ["FAILED"]).fetchone()[0], True)


class TestEmptyStrings(Base):
    """1.3: an optional string may be empty or blank, and is kept as given:
    "" is a value, distinct from null and from absent."""

    FIELDS = ("call_manager_sid", "channel_manager_sid", "channel_manager_status", "insights_status", "line_type")
    STRINGS = ("", " ", "\u00a0\u200b", "\t", " x ")

    def check(self, rec: Dict[str, Any]) -> None:
        """rec goes in and comes back as itself, in every pair of formats, and
        the binary dumper writes exactly the server's bytes."""
        expected = dict({"attempt_count": 0}, **rec)
        canon_text, wire = self.conn.execute(
            "SELECT x::text, comm_result_send(x) FROM (SELECT %t x) s", [CommResult(rec)]).fetchone()
        self.assertEqual(crp.dump_binary(crp.load_binary(wire)), wire)
        self.assertEqual(crp.load_binary(wire), expected)
        self.assertEqual(crp.load_text(canon_text), expected)
        for fin in "tb":
            for out_binary in (False, True):
                with self.subTest(dump=fin, load_binary=out_binary):
                    got, same = self.cursor(out_binary).execute(
                        f"SELECT x, x = %s::text::comm_result FROM (SELECT %{fin} x) s",
                        [canon_text, CommResult(rec)]).fetchone()
                    self.assertTrue(same)
                    self.assertEqual(got, expected)
                    self.assertEqual(crp.dump_binary(got), wire)
                    self.assertEqual(crp.dump_text(got), canon_text)

    def test_optional_string_fields(self) -> None:
        for field in self.FIELDS:
            for text in self.STRINGS:
                with self.subTest(field=field, value=text):
                    rec = dict(RECORDS[1], **{field: text})
                    self.check(rec)
                    self.assertEqual(crp.dump_binary(rec), self.conn.execute(
                        "SELECT comm_result_send(%t)", [CommResult(rec)]).fetchone()[0])
                    got = self.conn.execute(f"SELECT {field}(%b), {field}(%b) IS NULL",
                                            [CommResult(rec)] * 2).fetchone()
                    self.assertEqual(got, (text, False))
                    # Present and "" is neither null nor absent.
                    null, absent = self.conn.execute(
                        "SELECT %b = %b, %b = %b",
                        [CommResult(rec), CommResult(RECORDS[1], **{field: None}),
                         CommResult(rec), CommResult(RECORDS[1])]).fetchone()
                    self.assertEqual((null, absent), (False, False))

    def test_strings_inside_objects(self) -> None:
        rec = dict(TODAY_RECORDS[2], request_variables={"first_name": "", "last_name": " "},
                   insights={"rating": "", "summary": "  "}, enrichment={"carrier_name": "", "mcc": "\t"},
                   line_type="", channel_manager_sid="", insights_status="")
        self.check(rec)
        self.assertEqual(self.conn.execute("SELECT request_variable(%b, 'first_name')",
                                           [CommResult(rec)]).fetchone()[0], "")

    def test_the_key_still_may_not_be_blank(self) -> None:
        for change in ({"batch_id": ""}, {"reference_id": ""}, {"batch_id": "\u00a0"}):
            for fin in "tb":
                with self.subTest(change=change, dump=fin):
                    ex = self.assertSqlstate(e.InvalidParameterValue, "22023", self.conn.execute,
                                             f"SELECT %{fin}", [CommResult(RECORDS[1], **change)])
                    self.assertIn("must not be blank", ex.diag.message_primary)


class TestCopy(Base):
    def setUp(self) -> None:
        super().setUp()
        self.lines = valid_jsonl_lines(self.conn)
        self.conn.execute("CREATE TEMP TABLE src (id int PRIMARY KEY, line text)")
        self.conn.execute("CREATE TEMP TABLE t (id int PRIMARY KEY, r comm_result, s comm_status)")
        with self.conn.cursor() as cur:
            cur.executemany("INSERT INTO src VALUES (%s, %s)", list(enumerate(self.lines + RECORD_LINES + TODAY_LINES)))
        self.expected = self.conn.execute("SELECT id, line::comm_result, request_status(line::comm_result) "
                                          "FROM src ORDER BY id").fetchall()

    def matching_rows(self) -> int:
        return self.conn.execute(
            "SELECT count(*) FROM t JOIN src USING (id) WHERE t.r = src.line::comm_result "
            "AND t.s IS NOT DISTINCT FROM request_status(t.r)").fetchone()[0]

    def test_copy_from_stdin(self) -> None:
        for fmt in ("TEXT", "BINARY"):
            with self.subTest(format=fmt):
                self.conn.execute("TRUNCATE t")
                with self.conn.cursor() as cur:
                    with cur.copy(f"COPY t (id, r, s) FROM STDIN (FORMAT {fmt})") as copy:
                        copy.set_types(["int4", "comm_result", "comm_status"])
                        for i, line in enumerate(self.lines + RECORD_LINES + TODAY_LINES):
                            rec = json.loads(line, parse_float=Decimal)
                            status = rec.get("request_status")
                            if fmt == "TEXT":
                                # psycopg 3.1's text COPY picks dumpers by Python
                                # type, not by set_types(): wrap.
                                rec = CommResult(rec)
                                status = status and CommStatus(status)
                            copy.write_row((i, rec, status))
                self.assertEqual(self.matching_rows(), len(self.expected))

    def test_copy_to_stdout(self) -> None:
        self.conn.execute("INSERT INTO t SELECT id, line::comm_result, request_status(line::comm_result) FROM src")
        for fmt in ("TEXT", "BINARY"):
            with self.subTest(format=fmt):
                with self.conn.cursor() as cur:
                    with cur.copy(f"COPY (SELECT id, r, s FROM t ORDER BY id) TO STDOUT (FORMAT {fmt})") as copy:
                        copy.set_types(["int4", "comm_result", "comm_status"])
                        rows = list(copy.rows())
                self.assertEqual(len(rows), len(self.expected))
                self.assertEqual(rows, self.expected)
                self.assertTrue(all(type(r[1]) is dict for r in rows))

    def test_copy_error_surfaces(self) -> None:
        bad = dict(RECORDS[0], reference_id="   ")
        for fmt in ("TEXT", "BINARY"):
            with self.subTest(format=fmt):
                with self.assertRaises(e.InvalidParameterValue) as cm:
                    with self.conn.cursor() as cur:
                        with cur.copy(f"COPY t (id, r) FROM STDIN (FORMAT {fmt})") as copy:
                            copy.set_types(["int4", "comm_result"])
                            copy.write_row((1, CommResult(RECORDS[0])))
                            copy.write_row((2, CommResult(bad)))
                self.assertEqual(cm.exception.sqlstate, "22023")
                self.assertIn("reference_id", cm.exception.diag.message_primary)
                self.assertEqual(self.conn.execute("SELECT count(*) FROM t").fetchone()[0], 0)


class TestExecutemany(Base):
    def test_executemany_both_formats(self) -> None:
        lines = valid_jsonl_lines(self.conn) + RECORD_LINES + TODAY_LINES
        self.conn.execute("CREATE TEMP TABLE t (id int, r comm_result)")
        for fin in "tb":
            with self.subTest(dump=fin):
                self.conn.execute("TRUNCATE t")
                with self.conn.cursor() as cur:
                    cur.executemany(f"INSERT INTO t VALUES (%s, %{fin})",
                                    [(i, CommResult(json.loads(line, parse_float=Decimal)))
                                     for i, line in enumerate(lines)])
                same = self.conn.execute(
                    "SELECT count(*) FROM t JOIN unnest(%s::text[]) WITH ORDINALITY u(line, n) "
                    "ON t.id = u.n - 1 WHERE t.r = u.line::comm_result", [lines]).fetchone()[0]
                self.assertEqual(same, len(lines))

    def test_executemany_returning(self) -> None:
        with self.conn.cursor(binary=True) as cur:
            cur.executemany("SELECT comm_result_transition(%b, 'INITIATED', %s)",
                            [(CommResult(RECORDS[1]), datetime(2025, 1, 17, 9, 0, 0, 7, UTC))] * 2,
                            returning=True)
            got = []
            while True:
                got.append(cur.fetchone())
                if not cur.nextset():
                    break
        self.assertEqual(len(got), 2)
        for (r,) in got:
            self.assertEqual(r["request_status"], "INITIATED")
            self.assertEqual(r["attempt_count"], 1)
            self.assertEqual(r["sent_at"], datetime(2025, 1, 17, 9, 0, 0, 7, UTC))


ABSENT = object()      # a change that removes the key
# (record change, SQLSTATE through text input, SQLSTATE through binary input)
BAD_VALUES = [
    ("missing target", {"target": None}, "22P02", "22P02"),
    ("unknown key", {"status": "COMPLETED"}, "22P02", "22P02"),
    ("blank batch_id", {"batch_id": " \u00a0"}, "22023", "22023"),
    ("bad phone", {"target": "555-12"}, "22023", "22023"),
    ("e-mail without dot", {"target": "ana@localhost"}, "22023", "22023"),
    ("unknown status", {"request_status": "DELIVERED"}, "22P02", "22P02"),
    ("no zone", {"created_at": "2024-01-01T00:00:00"}, "22007", "22007"),
    ("not RFC 3339", {"sent_at": "2024-01-01 00:00:00Z"}, "22007", "22007"),
    ("Feb 29", {"created_at": "2023-02-29T00:00:00Z"}, "22008", "22008"),
    ("year 10000", {"created_at": "9999-12-31T23:59:59-01:00"}, "22008", "22008"),
    ("negative attempts", {"attempt_count": -1}, "22003", "22003"),
    ("session_id too big", {"session_id": 2**63}, "22003", "22003"),
    ("attempts as string", {"attempt_count": "1"}, "22P02", "22P02"),
    ("fractional attempts", {"attempt_count": 1.5}, "22P02", "22P02"),
    ("variables not an object", {"request_variables": ["a"]}, "22P02", "22P02"),
    ("empty batch_id", {"batch_id": ""}, "22023", "22023"),
    ("blank reference_id", {"reference_id": "\t "}, "22023", "22023"),
    ("NUL in a variable", {"request_variables": {"a": "x\u0000y"}}, "22P05", "22P05"),
    ("NUL in batch_id", {"batch_id": "a\u0000b"}, "22P05", "22P03"),
    ("naive datetime", {"created_at": datetime(2024, 1, 1)}, "22007", "22007"),
    # today's fields
    ("both sid spellings", {"channel_manager_sid": "CA1"}, "22P02", "22P02"),
    ("channel_manager_sid a number", {"call_manager_sid": ABSENT, "channel_manager_sid": 5}, "22P02", "22P02"),
    ("channel_manager_status a number", {"channel_manager_status": 5}, "22P02", "22P02"),
    ("insights_status an object", {"insights_status": {}}, "22P02", "22P02"),
    ("insights not an object", {"insights": ["a"]}, "22P02", "22P02"),
    ("insights a string", {"insights": "{}"}, "22P02", "22P02"),
    ("a boolean in insights", {"insights": {"ok": True}}, "22P02", "22P02"),
    ("a null in insights", {"insights": {"score": None}}, "22P02", "22P02"),
    ("nested insights", {"insights": {"a": {"b": 1}}}, "22P02", "22P02"),
    ("an array in insights", {"insights": {"a": [1]}}, "22P02", "22P02"),
    ("line_type a boolean", {"line_type": False}, "22P02", "22P02"),
    ("enrichment an array", {"enrichment": [{}]}, "22P02", "22P02"),
    ("enrichment a number", {"enrichment": 1}, "22P02", "22P02"),
    ("NUL in line_type", {"line_type": "a\u0000"}, "22P05", "22P03"),
    ("NUL in enrichment", {"enrichment": {"a": "\u0000"}}, "22P05", "22P05"),
]


class TestErrors(Base):
    def test_bad_values_both_formats(self) -> None:
        for label, change, text_state, binary_state in BAD_VALUES:
            rec = dict(RECORDS[0], **change)
            rec = {k: v for k, v in rec.items() if not (k == "target" and v is None) and v is not ABSENT}
            for fin, state in (("t", text_state), ("b", binary_state)):
                with self.subTest(label, dump=fin):
                    with self.assertRaises(psycopg.DataError) as cm:
                        self.conn.execute(f"SELECT %{fin}", [CommResult(rec)])
                    self.assertEqual(cm.exception.sqlstate, state, str(cm.exception))
                    self.assertIs(type(cm.exception), e.lookup(state))
            self.assertEqual(self.conn.execute("SELECT 1").fetchone()[0], 1)

    def test_results_jsonl_bad_lines_same_sqlstate(self) -> None:
        # Every rejected line of the example file fails with the same SQLSTATE
        # whether sent as JSON text or as a dict through the binary dumper.
        with open(RESULTS_JSONL, encoding="utf-8") as f:
            lines = [line.rstrip("\n") for line in f if line.strip()]
        good = set(valid_jsonl_lines(self.conn))
        bad = [line for line in lines if line not in good]
        self.assertGreaterEqual(len(bad), 10)
        compared = 0
        for line in bad:
            with self.subTest(line=line[:60]):
                with self.assertRaises(psycopg.DataError) as text_cm:
                    self.conn.execute("SELECT %s::text::comm_result", [line])
                try:
                    pairs = json.loads(line, object_pairs_hook=list)
                except ValueError:
                    continue                # truncated JSON: no dict to dump
                if len({k for k, _ in pairs}) != len(pairs):
                    continue                # duplicate keys: a dict keeps one
                with self.assertRaises(psycopg.DataError) as bin_cm:
                    self.conn.execute("SELECT %b", [CommResult(json.loads(line))])
                self.assertEqual(bin_cm.exception.sqlstate, text_cm.exception.sqlstate)
                compared += 1
        self.assertGreaterEqual(compared, 8)

    def test_server_message_names_the_field(self) -> None:
        ex = self.assertSqlstate(e.InvalidParameterValue, "22023", self.conn.execute,
                                 "SELECT %t", [CommResult(RECORDS[0], target="555-12")])
        self.assertIn('"target"', ex.diag.message_primary)
        self.assertIn("555-12", ex.diag.message_detail)

    def test_invalid_transition(self) -> None:
        done = CommResult(RECORDS[1], request_status="COMPLETED")
        for fin in "tb":
            with self.subTest(dump=fin):
                ex = self.assertSqlstate(e.InvalidParameterValue, "22023", self.conn.execute,
                                         f"SELECT comm_result_transition(%{fin}, %{fin})",
                                         [done, CommStatus("FAILED")])
                self.assertIn("invalid status transition from COMPLETED to FAILED", str(ex))
                self.assertIn("COMPLETED is terminal", ex.diag.message_hint)

    def test_guard_rejects_update(self) -> None:
        self.conn.execute("CREATE TEMP TABLE g (r comm_result)")
        self.conn.execute("CREATE TRIGGER g_guard BEFORE UPDATE ON g FOR EACH ROW "
                          "EXECUTE FUNCTION comm_result_guard()")
        self.conn.execute("INSERT INTO g VALUES (%b)", [CommResult(RECORDS[0])])
        moved = CommResult(RECORDS[0], target="other@example.com")
        self.assertSqlstate(e.CheckViolation, "23514", self.conn.execute, "UPDATE g SET r = %b", [moved])

    def test_bad_comm_status(self) -> None:
        self.assertSqlstate(e.InvalidTextRepresentation, "22P02", self.conn.execute,
                            "SELECT %t", [CommStatus("DONE")])
        self.assertSqlstate(e.InvalidBinaryRepresentation, "22P03", self.conn.execute,
                            "SELECT %b", [CommStatus("done")])

    def test_bad_binary_values(self) -> None:
        class Raw(bytes):
            pass

        class RawDumper(Dumper):
            format = Format.BINARY
            oid = self.types.comm_result.oid

            def dump(self, obj: bytes) -> bytes:
                return bytes(obj)

        self.conn.adapters.register_dumper(Raw, RawDumper)
        good = crp.dump_binary(RECORDS[0])
        self.assertEqual(self.conn.execute("SELECT %b::text = %s::text::comm_result::text",
                                           [Raw(good), RECORD_LINES[0]]).fetchone()[0], True)
        cases = [
            ("version 3", b"\x03" + good[1:], "22P03", "format version 3 is not supported"),
            ("version 0", b"\x00" + good[1:], "22P03", "format version 0 is not supported"),
            ("trailing byte", good + b"\x00", "22P03", "follow the end"),
            ("truncated", good[:-1], "22P03", "runs past the end"),
            ("unknown flag", good[:1] + b"\x08" + good[2:], "22P03", "unknown bits"),
            ("status code 12", good[:3] + b"\x0c" + good[4:], "22023", "Status code 12 is not between 0 and 11"),
            ("empty", b"", "22P03", "empty"),
        ]
        for label, data, state, text in cases:
            with self.subTest(label):
                ex = self.assertSqlstate(e.lookup(state), state, self.conn.execute, "SELECT %b", [Raw(data)])
                self.assertIn(text, str(ex) + (ex.diag.message_detail or ""))

    def test_client_rejects_unknown_binary_version(self) -> None:
        wire = self.conn.execute("SELECT comm_result_send(%s::text::comm_result)", [RECORD_LINES[3]]).fetchone()[0]
        self.assertEqual(crp.load_binary(wire)["target"], "用户@例子.广告")
        for data, text in ((b"\x03" + wire[1:], "version 3 is not supported"),
                           (wire[:-1], "runs past the end"), (wire + b"!", "follow the end"),
                           (b"", "empty"), (wire[:20], "fixed-size")):
            with self.subTest(text):
                with self.assertRaises(e.InvalidBinaryRepresentation) as cm:
                    crp.load_binary(data)
                self.assertIn(text, str(cm.exception))

        # The same through psycopg, as if the server sent a version 3 value.
        class Version3Loader(Loader):
            format = Format.BINARY

            def load(self, data: Any) -> Dict[str, Any]:
                return crp.load_binary(data)

        cur = self.conn.cursor(binary=True)
        cur.adapters.register_loader("bytea", Version3Loader)
        self.assertEqual(cur.execute("SELECT comm_result_send(%s::text::comm_result)",
                                     [RECORD_LINES[0]]).fetchone()[0]["reference_id"], "12345")
        with self.assertRaises(e.InvalidBinaryRepresentation) as cm:
            cur.execute("SELECT overlay(comm_result_send(%s::text::comm_result) PLACING '\\x03'::bytea FROM 1)",
                        [RECORD_LINES[0]]).fetchone()
        self.assertIn("version 3", str(cm.exception))

    def test_year_zero_cannot_load(self) -> None:
        rec = dict(RECORDS[1], created_at="0000-06-01T00:00:00Z")
        self.assertEqual(self.conn.execute("SELECT %b::text", [CommResult(rec)]).fetchone()[0],
                         server_canonical(self.conn, json.dumps(rec)))
        for out_binary in (False, True):
            with self.subTest(load_binary=out_binary):
                with self.assertRaises(e.DatetimeFieldOverflow) as cm:
                    self.cursor(out_binary).execute("SELECT %b", [CommResult(rec)]).fetchone()
                self.assertIn("created_at", str(cm.exception))


class TestTodayShape(Base):
    """Today's API shape (1.2): the new fields, both sid spellings, binary v2."""

    def server(self, line: str) -> Any:
        """The server's canonical text and binary form of a JSON text."""
        return self.conn.execute("SELECT x::text, comm_result_send(x) FROM (SELECT %s::text::comm_result x) s",
                                 [line]).fetchone()

    def check_loaded(self, rec: Dict[str, Any], got: Dict[str, Any], canon_text: str, wire: bytes) -> None:
        canon = json.loads(canon_text, parse_float=Decimal)
        self.assertEqual(list(got), list(canon))
        self.assertEqual(canonical(got), canon)
        for field in NULLABLE + NEW_NULLABLE:
            if field not in rec:
                self.assertNotIn(field, got)
            elif rec[field] is None:
                self.assertIn(field, got)
                self.assertIsNone(got[field])
        for field in ("insights", "enrichment"):
            if rec.get(field) is not None:
                self.assertIs(type(got[field]), dict)
        # The module writes it back exactly as the server does, in both formats.
        self.assertEqual(crp.dump_text(got), canon_text)
        self.assertEqual(crp.dump_binary(got), wire)

    def test_records_all_format_pairs(self) -> None:
        for line, rec in zip(TODAY_LINES, TODAY_RECORDS):
            canon_text, wire = self.server(line)
            # Each has one of today's fields or today's sid name: version 2.
            self.assertEqual(wire[0], 2)
            for fin in "tb":
                for out_binary in (False, True):
                    with self.subTest(ref=rec["reference_id"], dump=fin, load_binary=out_binary):
                        cur = self.cursor(out_binary)
                        got, same = cur.execute(f"SELECT %{fin}, %{fin} = %s::text::comm_result",
                                                [CommResult(rec), CommResult(rec), line]).fetchone()
                        self.assertTrue(same)
                        self.check_loaded(rec, got, canon_text, wire)
                        again = cur.execute("SELECT %t = %s::text::comm_result AND %b = %s::text::comm_result",
                                            [CommResult(got), line, CommResult(got), line]).fetchone()[0]
                        self.assertTrue(again)

    def test_canonical_order_of_spec_example(self) -> None:
        # The one-line example of the 1.2 spec: keys in canonical order, the
        # sid under its name in the April position, today's fields last.
        line = ('{"batch_id":"b1","reference_id":"r1","target":"+15125551234","request_variables":{"first_name":"Ana"},'
                '"request_status":"COMPLETED","channel_manager_sid":"CA123","created_at":"2026-08-01T10:00:00Z",'
                '"sent_at":null,"attempt_count":1,"session_id":null,"conversation_id":null,'
                '"channel_manager_status":"DELIVERED","insights_status":"COMPLETED",'
                '"insights":{"score":4.5,"rating":"Good"},"line_type":"mobile","enrichment":{"mcc":"310"}}')
        canon_text, wire = self.server(line)
        self.assertEqual(canon_text, line)
        for out_binary in (False, True):
            with self.subTest(load_binary=out_binary):
                got = self.cursor(out_binary).execute("SELECT %s::text::comm_result", [line]).fetchone()[0]
                self.assertEqual(list(got), ["batch_id", "reference_id", "target", "request_variables",
                                             "request_status", "channel_manager_sid", "created_at", "sent_at",
                                             "attempt_count", "session_id", "conversation_id",
                                             "channel_manager_status", "insights_status", "insights",
                                             "line_type", "enrichment"])
                self.assertEqual(got["insights"], {"score": Decimal("4.5"), "rating": "Good"})
                self.assertEqual(crp.dump_text(got), line)
                self.assertEqual(crp.dump_binary(got), wire)

    def test_sid_spelling_is_remembered(self) -> None:
        april = RECORDS[0]
        today = {("channel_manager_sid" if k == "call_manager_sid" else k): v for k, v in april.items()}
        for value in (april["call_manager_sid"], None):
            for rec, key, other, version in ((dict(april, call_manager_sid=value), "call_manager_sid",
                                              "channel_manager_sid", 1),
                                             (dict(today, channel_manager_sid=value), "channel_manager_sid",
                                              "call_manager_sid", 2)):
                with self.subTest(key=key, value=value):
                    text, wire, sid, alias = self.conn.execute(
                        "SELECT x::text, comm_result_send(x), call_manager_sid(x), channel_manager_sid(x) "
                        "FROM (SELECT %s::comm_result x) s", [CommResult(rec)]).fetchone()
                    self.assertEqual((sid, alias), (value, value))
                    self.assertIn(f'"{key}":', text)
                    self.assertNotIn(f'"{other}"', text)
                    # Version 1 for the April spelling of an April value, 2 for today's.
                    self.assertEqual(wire[0], version)
                    self.assertEqual(crp.dump_binary(rec), wire)
                    for fin in "tb":
                        for out_binary in (False, True):
                            got = self.cursor(out_binary).execute(f"SELECT %{fin}", [CommResult(rec)]).fetchone()[0]
                            self.assertEqual(canonical(got), rec)
                            self.assertEqual(list(got), list(rec))
                            self.assertNotIn(other, got)

    def test_both_sid_spellings_refused(self) -> None:
        rec = dict(RECORDS[0], channel_manager_sid="CA1")
        with self.assertRaises(psycopg.DataError) as text_cm:
            self.conn.execute("SELECT %t", [CommResult(rec)])
        self.assertIn('"call_manager_sid" is given under both of its names', str(text_cm.exception))
        self.assertIn("channel_manager_sid", text_cm.exception.diag.message_detail)
        with self.assertRaises(psycopg.DataError) as bin_cm:
            crp.dump_binary(rec)
        self.assertEqual(bin_cm.exception.sqlstate, text_cm.exception.sqlstate)
        self.assertIn("channel_manager_sid", str(bin_cm.exception))
        self.assertIn("call_manager_sid", str(bin_cm.exception))

    def test_null_and_absent_for_each_new_field(self) -> None:
        values = {"channel_manager_sid": "CA1", "channel_manager_status": "SENT",
                  "insights_status": "PENDING", "insights": {"score": Decimal("4.5"), "rating": "Good"},
                  "line_type": "landline", "enrichment": {"mcc": "310", "deep": {"a": [1, None, True]}}}
        for field, value in values.items():
            for state in ("absent", "null", "value"):
                rec = dict(RECORDS[1])
                if state != "absent":
                    rec[field] = None if state == "null" else value
                for fin in "tb":
                    with self.subTest(field=field, state=state, dump=fin):
                        text, wire, got_field = self.conn.execute(
                            f"SELECT x::text, comm_result_send(x), {field}(x) FROM (SELECT %{fin} x) s",
                            [CommResult(rec)]).fetchone()
                        # The accessor: SQL NULL for absent and null alike.
                        self.assertEqual(got_field, value if state == "value" else None)
                        self.assertEqual(f'"{field}":null' in text, state == "null")
                        self.assertEqual(f'"{field}":' in text, state != "absent")
                        self.assertEqual(wire[0], 1 if state == "absent" else 2)
                        self.assertEqual(crp.dump_binary(rec), wire)
                        for out_binary in (False, True):
                            got = self.cursor(out_binary).execute(f"SELECT %{fin}", [CommResult(rec)]).fetchone()[0]
                            self.assertEqual(got, dict(rec, attempt_count=0))
                            if state == "absent":
                                self.assertNotIn(field, got)
                            else:
                                self.assertIn(field, got)
                        # A null and an absent field are different values.
                        if state == "null":
                            self.assertFalse(self.conn.execute(f"SELECT %{fin} = %{fin}",
                                                               [CommResult(rec), CommResult(RECORDS[1])]).fetchone()[0])

    def test_numbers_in_insights_and_enrichment(self) -> None:
        rec = TODAY_RECORDS[0]
        for fin in "tb":
            for out_binary in (False, True):
                with self.subTest(dump=fin, load_binary=out_binary):
                    got = self.cursor(out_binary).execute(f"SELECT %{fin}", [CommResult(rec)]).fetchone()[0]
                    self.assertEqual(str(got["insights"]["exact"]), "1.50")
                    self.assertEqual(got["insights"]["score"], Decimal("4.5"))
                    self.assertIs(type(got["insights"]["score"]), Decimal)
                    self.assertIs(type(got["insights"]["calls"]), int)
                    self.assertEqual(got["insights"]["summary"], "Booked é 😀")
                    self.assertEqual(str(got["enrichment"]["history"][0]["n"]), "1.0")
                    self.assertIs(got["enrichment"]["ported"], False)
                    self.assertIsNone(got["enrichment"]["error_code"])
        # Floats, as json.loads gives by default, go out as repr() writes them.
        rec = dict(TODAY_RECORDS[2], insights={"score": 4.25, "tiny": 1e-7})
        got = self.conn.execute("SELECT %b", [CommResult(rec)]).fetchone()[0]
        self.assertEqual(got["insights"], {"score": Decimal("4.25"), "tiny": Decimal("1E-7")})

    def test_april_values_keep_binary_version_1(self) -> None:
        # What the 1.1 server sent for RECORD_LINES (sha256 of comm_result_send,
        # recorded on 1.1): April values keep their binary form byte for byte.
        for line, digest in zip(RECORD_LINES, V11_SEND_SHA256):
            with self.subTest(line=line[:50]):
                _, wire = self.server(line)
                self.assertEqual(hashlib.sha256(wire).hexdigest(), digest)
                self.assertEqual(wire[0], 1)
                self.assertEqual(crp.dump_binary(crp.load_binary(wire)), wire)
                got = self.cursor(True).execute("SELECT %s::text::comm_result", [line]).fetchone()[0]
                self.assertEqual(crp.dump_binary(got), wire)
        lines = valid_jsonl_lines(self.conn)
        versions = self.conn.execute(
            "SELECT array_agg(DISTINCT get_byte(comm_result_send(l::comm_result), 0)) FROM unnest(%s::text[]) l",
            [lines]).fetchone()[0]
        self.assertEqual(versions, [1])

    def test_comm_results_with_batch_id(self) -> None:
        # A response of the endpoint as it is: no batch_id in the records.
        response = "[" + ",".join(TODAY_API_LINES) + "]"
        expected = [self.conn.execute("SELECT %s::text::comm_result", [line]).fetchone()[0] for line in TODAY_LINES]
        for out_binary in (False, True):
            with self.subTest(load_binary=out_binary):
                cur = self.cursor(out_binary)
                got = [r for (r,) in cur.execute("SELECT r FROM comm_results(%s::jsonb, %s) r",
                                                 [response, TODAY_BATCH])]
                self.assertEqual(len(got), len(TODAY_API_LINES))
                for rec, g, e_ in zip(TODAY_RECORDS, got, expected):
                    self.assertEqual(g["batch_id"], TODAY_BATCH)
                    self.assertEqual(g, e_)
                    self.assertEqual(list(g), list(e_))
                    # Every field as the API wrote it (timestamps aside: datetimes now).
                    self.assertEqual({k: g[k] for k in rec if k not in ("created_at", "sent_at")},
                                     {k: v for k, v in rec.items() if k not in ("created_at", "sent_at")})
                one = cur.execute("SELECT comm_result_from_jsonb(%s::jsonb, %s)",
                                  [TODAY_API_LINES[0], TODAY_BATCH]).fetchone()[0]
                self.assertEqual(one, expected[0])
        # Each loaded value goes back in, both formats, as the same value.
        for fin in "tb":
            with self.subTest(dump=fin):
                same = self.conn.execute(
                    f"SELECT bool_and(r = %{fin}) FROM comm_results(%s::jsonb, %s) WITH ORDINALITY AS u(r, n) "
                    "WHERE n = 1", [CommResult(expected[0]), response, TODAY_BATCH]).fetchone()[0]
                self.assertTrue(same)

    def test_binary_v2_errors(self) -> None:
        wire = self.server(TODAY_LINES[0])[1]
        self.assertEqual(crp.load_binary(wire)["channel_manager_sid"], "CA9f0e")
        fixed = 1 + 2 + 1 + 4 + 32     # flags2 follows
        flags2 = int.from_bytes(wire[fixed:fixed + 2], "big")
        cases = [
            ("version 3", b"\x03" + wire[1:], "versions 1 and 2"),
            ("unknown flags2 bit", wire[:fixed] + (flags2 | 0x0800).to_bytes(2, "big") + wire[fixed + 2:],
             "unknown bits"),
            ("present and null", wire[:fixed] + (flags2 | 0x0004).to_bytes(2, "big") + wire[fixed + 2:],
             "both present and null"),
            ("a string its flag does not announce", wire[:fixed] + (flags2 & ~0x0080).to_bytes(2, "big")
             + wire[fixed + 2:], "line_type disagrees"),
            ("truncated", wire[:-1], "runs past the end"),
            ("trailing byte", wire + b"}", "follow the end"),
            ("inside flags2", wire[:fixed + 1], "fixed-size"),
            ("version 2 without a flags2 bit", wire[:fixed] + b"\0\0" + wire[fixed + 2:], "no flags2 bit"),
            ("a version 1 body under version 2", b"\x02" + self.server(RECORD_LINES[0])[1][1:], ""),
        ]
        for label, data, text in cases:
            with self.subTest(label):
                with self.assertRaises(e.InvalidBinaryRepresentation) as cm:
                    crp.load_binary(data)
                self.assertIn(text, str(cm.exception))
        # The channel spelling without a sid.
        rec = dict(TODAY_RECORDS[2])
        data = bytearray(crp.dump_binary(rec))
        data[fixed + 1] |= 0x01
        with self.assertRaises(e.InvalidBinaryRepresentation) as cm:
            crp.load_binary(bytes(data))
        self.assertIn("does not have", str(cm.exception))

    def test_server_receives_both_versions(self) -> None:
        class Raw(bytes):
            pass

        class RawDumper(Dumper):
            format = Format.BINARY
            oid = self.types.comm_result.oid

            def dump(self, obj: bytes) -> bytes:
                return bytes(obj)

        self.conn.adapters.register_dumper(Raw, RawDumper)
        for line in (RECORD_LINES[0], TODAY_LINES[0], TODAY_LINES[1]):
            with self.subTest(line=line[:50]):
                data = crp.dump_binary(json.loads(line, parse_float=Decimal))
                self.assertTrue(self.conn.execute("SELECT %b = %s::text::comm_result",
                                                  [Raw(data), line]).fetchone()[0])
        # A version 1 body labelled version 2 is refused.
        v1 = crp.dump_binary(RECORDS[0])
        self.assertSqlstate(e.InvalidBinaryRepresentation, "22P03", self.conn.execute, "SELECT %b",
                            [Raw(b"\x02" + v1[1:])])


LOAD_CHECKED_SQL = os.path.join(REPO, "examples", "load_checked.sql")
LOAD_BATCH = "20261201.1"
# A response as the endpoint sends it, element by element (joined with
# white space, as a pretty-printing server might).  What a client-side JSON
# parse would change is in it: a repeated key, an integer spelled 1.0, exact
# decimals.
LOAD_ELEMENTS = [
    # 0: valid; request 1, first snapshot
    '{"reference_id":"1","target":"+15125550001","request_variables":{"fee":1.50},'
    '"request_status":"INITIATED","attempt_count":1,"sent_at":"2026-12-01T10:00:05Z"}',
    # 1: a bad target
    '{"reference_id":"2","target":"555-12","request_variables":{}}',
    # 2: not an object
    '7',
    # 3: request 1 again, a later snapshot (a repeated reference_id)
    '{"reference_id":"1","target":"+15125550001","request_variables":{"fee":1.50},'
    '"request_status":"CALL_COMPLETED","attempt_count":1}',
    # 4: valid, a status of 1.3 and empty strings
    '{"reference_id":"3","target":"ana@example.com","request_variables":{},'
    '"request_status":"SENT","channel_manager_sid":"","line_type":""}',
    # 5: not an object
    '"text"',
    # 6: a repeated key, which a JSON parser would silently resolve
    '{"reference_id":"4","target":"+15125550004","request_variables":{},"line_type":"a","line_type":"b"}',
    # 7: valid
    '{"reference_id":"5","target":"+15125550005","request_variables":{},"request_status":"UNSUBSCRIBED"}',
    # 8: an integer spelled 1.0, which a parser would turn into 1 (or 1.0)
    '{"reference_id":"6","target":"+15125550006","request_variables":{},"attempt_count":1.0}',
    # 9: null
    'null',
]
LOAD_BODY = "[\n  " + ",\n  ".join(LOAD_ELEMENTS) + "\n]"
LOAD_REJECTED = [1, 2, 5, 6, 8, 9]


def recipe_statements() -> Dict[str, Any]:
    """The statements of examples/load_checked.sql, as the client should send
    them for the default tables: names quoted, the body decoded from UTF-8 by
    the server, the batch id as a named parameter."""
    with open(LOAD_CHECKED_SQL, encoding="utf-8") as f:
        recipe = f.read()

    def client_form(statement: str) -> str:
        for name in ("results_rejects_once", "results_rejects", "results_key", "results"):
            statement = re.sub(r"\b%s\b" % name, '"%s"' % name, statement)
        return statement.replace("$1", "convert_from(%(body)b, 'UTF8')").replace("$2", "%(batch_id)s")

    load = recipe.split("PREPARE load_response(text, text) AS\n", 1)[1].split(";\n", 1)[0]
    replay = recipe.split("PREPARE replay_rejects AS\n", 1)[1].split(";\n", 1)[0]
    ddl = re.findall(r"^(CREATE .*?);$", recipe, re.M | re.S)
    return {"load": client_form(load), "replay": client_form(replay), "ddl": [client_form(d) for d in ddl]}


class TestLoadResponse(Base):
    """load_response, ensure_tables and replay_rejects: examples/load_checked.sql from Python."""

    def setUp(self) -> None:
        super().setUp()
        self.drop()
        self.addCleanup(self.drop)

    def drop(self) -> None:
        with connect() as conn:
            conn.execute('DROP TABLE IF EXISTS results, results_rejects, loaded, kept, "ünïcode rejects", '
                         '"Results ""2026""; DROP TABLE results; --"')
            conn.execute("DROP SCHEMA IF EXISTS loads CASCADE")

    def state(self, table: str = "results", rejects: str = "results_rejects") -> Any:
        """What the tables hold: the results' texts by reference_id, and the rejects."""
        results = dict(self.conn.execute(
            f"SELECT reference_id(r), r::text FROM {table} ORDER BY 1").fetchall())
        rejects_rows = self.conn.execute(
            f"SELECT batch_id, ordinal, element, errors FROM {rejects} ORDER BY id").fetchall()
        return results, rejects_rows

    def test_statements_are_the_recipe(self) -> None:
        recipe = recipe_statements()
        self.assertEqual(crp._load_statement("results", "results_rejects").as_string(self.conn), recipe["load"])
        self.assertEqual(crp._replay_statement("results", "results_rejects").as_string(self.conn), recipe["replay"])
        self.assertEqual([d.as_string(self.conn) for d in crp._ddl_statements("results", "results_rejects")],
                         recipe["ddl"])
        self.assertEqual(len(recipe["ddl"]), 4)

    def test_load(self) -> None:
        crp.ensure_tables(self.conn)
        counts = crp.load_response(self.conn, LOAD_BODY, LOAD_BATCH)
        self.assertIsInstance(counts, crp.LoadCounts)
        self.assertEqual(counts, (3, 3, 0, 6, 6))
        self.assertEqual(counts._asdict(), {"valid": 3, "loaded": 3, "unchanged": 0, "rejected": 6, "new_rejects": 6})
        results, rejects = self.state()
        # The repeated request is merged (the later snapshot's status, the
        # earlier one's sent_at); strings, statuses and numbers as sent.
        self.assertEqual(results, {
            "1": '{"batch_id":"20261201.1","reference_id":"1","target":"+15125550001","request_variables":{"fee":1.50},'
                 '"request_status":"CALL_COMPLETED","sent_at":"2026-12-01T10:00:05Z","attempt_count":1}',
            "3": '{"batch_id":"20261201.1","reference_id":"3","target":"ana@example.com","request_variables":{},'
                 '"request_status":"SENT","channel_manager_sid":"","attempt_count":0,"line_type":""}',
            "5": '{"batch_id":"20261201.1","reference_id":"5","target":"+15125550005","request_variables":{},'
                 '"request_status":"UNSUBSCRIBED","attempt_count":0}'})
        # Every other element, with its exact text and its problems.
        self.assertEqual([(b, o, el) for b, o, el, _ in rejects],
                         [(LOAD_BATCH, i, LOAD_ELEMENTS[i]) for i in LOAD_REJECTED])
        problems = {o: [(x["sqlstate"], x["field"]) for x in errs] for _, o, _, errs in rejects}
        self.assertEqual(problems[1], [("22023", "target")])
        self.assertEqual(problems[6], [("22P02", "line_type")])
        self.assertEqual(problems[8], [("22P02", "attempt_count")])
        self.assertEqual({problems[o][0][0] for o in (2, 5, 9)}, {"22P02"})

        # The same response again, as bytes this time: nothing changes.
        again = crp.load_response(self.conn, LOAD_BODY.encode(), LOAD_BATCH)
        self.assertEqual(again, crp.LoadCounts(valid=3, loaded=0, unchanged=3, rejected=6, new_rejects=0))
        self.assertEqual(self.state(), (results, rejects))

        # A later response: request 3 moves on, an old snapshot of request 1
        # changes nothing.
        later = ('[{"reference_id":"3","target":"ana@example.com","request_variables":{},"request_status":"COMPLETED"},'
                 '{"reference_id":"1","target":"+15125550001","request_variables":{"fee":1.50},"request_status":"INITIATED","attempt_count":1}]')
        self.assertEqual(crp.load_response(self.conn, later, LOAD_BATCH), (2, 1, 1, 0, 0))
        now, _ = self.state()
        self.assertEqual(json.loads(now["3"])["request_status"], "COMPLETED")
        self.assertEqual(now["1"], results["1"])

    def test_bad_bodies_write_nothing(self) -> None:
        crp.ensure_tables(self.conn)
        crp.load_response(self.conn, LOAD_BODY, LOAD_BATCH)
        before = self.state()
        # A body cut off in transfer: its first records are new and valid.
        cut = '[{"reference_id":"10","target":"+15125550010","request_variables":{}},{"reference_id":"11","tar'
        html = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
        for label, body in (("cut off", cut), ("cut off, bytes", cut.encode()), ("an HTML page", html),
                            ("empty", ""), ("an object, not an array", LOAD_ELEMENTS[0])):
            for in_transaction in (False, True):
                with self.subTest(label, in_transaction=in_transaction):
                    with connect() as conn:
                        if in_transaction:
                            conn.autocommit = False
                            conn.execute("CREATE TEMP TABLE mine (x int)")
                        ex = self.assertSqlstate(e.InvalidTextRepresentation, "22P02",
                                                 crp.load_response, conn, body, LOAD_BATCH)
                        self.assertIn("not a complete JSON array", ex.diag.message_primary)
                        if in_transaction:
                            # The caller's transaction goes on.
                            conn.execute("INSERT INTO mine VALUES (1)")
                            self.assertEqual(conn.execute("SELECT count(*) FROM mine").fetchone()[0], 1)
                            conn.rollback()
                    self.assertEqual(self.state(), before)
        # Bytes that are not UTF-8, a lone surrogate, a zero byte: 22021.
        for body in (LOAD_BODY.encode()[:-2] + b"\xff]", LOAD_BODY.replace("text", "\ud800"),
                     LOAD_BODY.replace("text", "\0")):
            with self.subTest(body=body[-20:]):
                self.assertSqlstate(e.CharacterNotInRepertoire, "22021", crp.load_response,
                                    self.conn, body, LOAD_BATCH)
                self.assertEqual(self.state(), before)
        # Missing tables: the server's 42P01, nothing written.
        self.assertSqlstate(e.UndefinedTable, "42P01", crp.load_response, self.conn, LOAD_BODY, LOAD_BATCH,
                            table="nowhere")
        self.assertEqual(self.state(), before)

    def test_replay(self) -> None:
        crp.ensure_tables(self.conn)
        crp.load_response(self.conn, LOAD_BODY, LOAD_BATCH)
        self.assertEqual(crp.replay_rejects(self.conn), crp.ReplayCounts(replayed=0, still_rejected=6))
        self.conn.execute("UPDATE results_rejects SET element = replace(element, '555-12', '+15125550002') "
                          "WHERE ordinal = 1")
        counts = crp.replay_rejects(self.conn)
        self.assertIsInstance(counts, crp.ReplayCounts)
        self.assertEqual(counts._asdict(), {"replayed": 1, "still_rejected": 5})
        results, rejects = self.state()
        self.assertEqual(json.loads(results["2"])["target"], "+15125550002")
        self.assertEqual([o for _, o, _, _ in rejects], [2, 5, 6, 8, 9])
        self.assertEqual(crp.replay_rejects(self.conn), (0, 5))
        # The fixed element is not kept again when the batch comes back.
        self.assertEqual(crp.load_response(self.conn, LOAD_BODY, LOAD_BATCH), (3, 0, 3, 6, 1))

    def test_ensure_tables(self) -> None:
        crp.ensure_tables(self.conn)
        crp.ensure_tables(self.conn)      # again: nothing to do
        indexes = self.conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('results', 'results_rejects') "
            "AND schemaname = 'public' ORDER BY 1").fetchall()
        self.assertEqual([i for i, _ in indexes], ["results_key", "results_rejects_once", "results_rejects_pkey"])
        self.assertIn("UNIQUE INDEX results_key ON public.results USING btree (batch_id(r), reference_id(r))",
                      indexes[0][1])
        # A table of one's own keeps its columns; the missing index is added.
        self.drop()
        self.conn.execute("CREATE TABLE results (id serial, r comm_result NOT NULL, note text)")
        crp.ensure_tables(self.conn)
        self.assertEqual(crp.load_response(self.conn, LOAD_BODY, LOAD_BATCH), (3, 3, 0, 6, 6))
        self.assertEqual(self.conn.execute("SELECT array_agg(id ORDER BY id) FROM results").fetchone()[0], [1, 2, 3])
        # All or nothing: a failing statement leaves no table behind.
        self.drop()
        self.conn.execute("CREATE TABLE results (r comm_result NOT NULL)")
        self.conn.execute("INSERT INTO results SELECT r FROM comm_results(%s, 'b') r, generate_series(1, 2)",
                          ['[{"reference_id":"1","target":"+15125550001","request_variables":{}}]'])
        self.assertSqlstate(e.UniqueViolation, "23505", crp.ensure_tables, self.conn)
        self.assertIsNone(self.conn.execute("SELECT to_regclass('results_rejects')").fetchone()[0])

    def test_custom_and_qualified_tables(self) -> None:
        self.conn.execute("CREATE SCHEMA loads")
        odd = 'Results "2026"; DROP TABLE results; --'
        cases = [
            ({"table": "loaded", "rejects_table": "kept"}, "loaded", "kept"),
            ({"table": "loads.results", "rejects_table": "loads.rejects"}, "loads.results", "loads.rejects"),
            ({"table": ("loads", odd), "rejects_table": ("loads", "Rejects.v2")},
             'loads."Results ""2026""; DROP TABLE results; --"', 'loads."Rejects.v2"'),
            ({"table": odd, "rejects_table": ["ünïcode rejects"]},
             '"Results ""2026""; DROP TABLE results; --"', '"ünïcode rejects"'),
        ]
        self.conn.execute("CREATE TABLE results (r int)")      # a table the odd name must not touch
        for names, table_sql, rejects_sql in cases:
            with self.subTest(**{k: str(v) for k, v in names.items()}):
                crp.ensure_tables(self.conn, **names)
                self.assertEqual(crp.load_response(self.conn, LOAD_BODY, LOAD_BATCH, **names), (3, 3, 0, 6, 6))
                self.assertEqual(crp.load_response(self.conn, LOAD_BODY.encode(), LOAD_BATCH, **names),
                                 (3, 0, 3, 6, 0))
                self.assertSqlstate(e.InvalidTextRepresentation, "22P02", crp.load_response,
                                    self.conn, LOAD_BODY[:40], LOAD_BATCH, **names)
                self.conn.execute(f"UPDATE {rejects_sql} SET element = replace(element, '555-12', '+15125550002')")
                self.assertEqual(crp.replay_rejects(self.conn, **names), (1, 5))
                results, rejects = self.state(table_sql, rejects_sql)
                self.assertEqual(sorted(results), ["1", "2", "3", "5"])
                self.assertEqual(len(rejects), 5)
                # Both indexes, named after the tables, in the tables' schema.
                indexes = self.conn.execute(
                    "SELECT count(*) FROM pg_index i WHERE i.indisunique AND i.indrelid IN (%s::regclass, %s::regclass) "
                    "AND i.indexrelid::regclass::text IN (%s, %s)",
                    [table_sql, rejects_sql,
                     table_sql[:-1] + '_key"' if table_sql.endswith('"') else table_sql + "_key",
                     rejects_sql[:-1] + '_once"' if rejects_sql.endswith('"') else rejects_sql + "_once"]).fetchone()[0]
                self.assertEqual(indexes, 2)
        self.assertEqual(self.conn.execute("SELECT count(*) FROM results").fetchone()[0], 0)
        self.assertIsNone(self.conn.execute("SELECT to_regclass('results_rejects')").fetchone()[0])

    def test_bad_arguments(self) -> None:
        cases = [
            (TypeError, (self.conn, None, LOAD_BATCH), {}),
            (TypeError, (self.conn, json.loads(LOAD_BODY), LOAD_BATCH), {}),    # parsed: refused
            (TypeError, (self.conn, LOAD_BODY, None), {}),
            (TypeError, (self.conn, LOAD_BODY, 20261201), {}),
            (TypeError, (self.conn.cursor(), LOAD_BODY, LOAD_BATCH), {}),
            (TypeError, (self.conn, LOAD_BODY, LOAD_BATCH), {"table": 5}),
            (TypeError, (self.conn, LOAD_BODY, LOAD_BATCH), {"table": ("loads", 5)}),
            (ValueError, (self.conn, LOAD_BODY, LOAD_BATCH), {"table": ""}),
            (ValueError, (self.conn, LOAD_BODY, LOAD_BATCH), {"table": "a..b"}),
            (ValueError, (self.conn, LOAD_BODY, LOAD_BATCH), {"table": "db.loads.results"}),
            (ValueError, (self.conn, LOAD_BODY, LOAD_BATCH), {"table": ("a", "b", "c")}),
            (ValueError, (self.conn, LOAD_BODY, LOAD_BATCH), {"rejects_table": "a\0b"}),
            (ValueError, (self.conn, LOAD_BODY, LOAD_BATCH), {"table": "x", "rejects_table": ("x",)}),
        ]
        for exc, args, kwargs in cases:
            with self.subTest(args=[type(a).__name__ for a in args], kwargs=kwargs):
                with self.assertRaises(exc):
                    crp.load_response(*args, **kwargs)
        with self.assertRaises(ValueError):
            crp.ensure_tables(self.conn, rejects_table="results")
        with self.assertRaises(TypeError):
            crp.replay_rejects(self.conn, table=None)
        # Nothing was created or sent.
        self.assertIsNone(self.conn.execute("SELECT to_regclass('results')").fetchone()[0])
        # A blank batch id is the server's to judge: every element is kept as a reject.
        crp.ensure_tables(self.conn)
        self.assertEqual(crp.load_response(self.conn, LOAD_BODY, " "), (0, 0, 0, 10, 10))
        self.assertEqual(self.conn.execute(
            "SELECT count(*) FROM results_rejects WHERE errors @> '[{\"field\": \"batch_id\"}]'").fetchone()[0], 7)


class TestRegister(unittest.TestCase):
    def test_other_schema_with_lookalikes(self) -> None:
        setup = ("CREATE SCHEMA x", "CREATE SCHEMA y",
                 "CREATE EXTENSION comm_result SCHEMA x",
                 # Look-alikes first on the search_path: the lookup must not use it.
                 "CREATE TYPE public.comm_result AS (a int)",
                 "CREATE DOMAIN public.comm_status AS text")
        with FreshDatabase("cr_py_schema", *setup) as db, connect(db) as conn:
            types = crp.register(conn)
            self.assertEqual(types.schema, "x")
            oid = conn.execute("SELECT 'x.comm_result'::regtype::oid").fetchone()[0]
            self.assertEqual(types.comm_result.oid, oid)
            for fin in "tb":
                for out_binary in (False, True):
                    with self.subTest(dump=fin, load_binary=out_binary):
                        got, typ = conn.cursor(binary=out_binary).execute(
                            f"SELECT %{fin}, pg_typeof(%{fin})::text", [CommResult(RECORDS[3])] * 2).fetchone()
                        self.assertEqual(typ, "x.comm_result")
                        self.assertEqual(got["batch_id"], "lote-ç-😀")
                        self.assertEqual(got["created_at"], datetime(2025, 1, 17, 8, 30, 4, 372000, UTC))
            conn.execute("CREATE TABLE t (r x.comm_result, s x.comm_status)")
            with conn.cursor() as cur:
                with cur.copy("COPY t FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types(["comm_result", "comm_status"])
                    copy.write_row((RECORDS[0], "INITIATED"))
            self.assertEqual(conn.execute("SELECT r, s FROM t").fetchone(), (
                conn.execute("SELECT %s::text::x.comm_result", [RECORD_LINES[0]]).fetchone()[0], "INITIATED"))
            self.assertEqual(crp.register(conn, schema="x").schema, "x")
            with self.assertRaises(crp.ExtensionNotInstalled) as cm:
                crp.register(conn, schema="public")
            self.assertIn('(it is in "x")', str(cm.exception))
            # Moved: a new registration follows it.
            conn.execute("ALTER EXTENSION comm_result SET SCHEMA y")
            with connect(db) as conn2:
                types = crp.register(conn2)
                self.assertEqual(types.schema, "y")
                self.assertEqual(conn2.execute("SELECT pg_typeof(%b)::text", [CommResult(RECORDS[0])]).fetchone()[0],
                                 "y.comm_result")

    def test_missing_extension(self) -> None:
        with FreshDatabase("cr_py_noext") as db:
            for autocommit, in_tx in ((True, False), (False, False), (False, True)):
                with self.subTest(autocommit=autocommit, in_transaction=in_tx), connect(db) as conn:
                    conn.autocommit = autocommit
                    if in_tx:
                        conn.execute("SELECT 1")
                    before = conn.info.transaction_status
                    with self.assertRaises(crp.ExtensionNotInstalled) as cm:
                        crp.register(conn)
                    self.assertIsInstance(cm.exception, psycopg.ProgrammingError)
                    self.assertIn("CREATE EXTENSION comm_result", str(cm.exception))
                    self.assertIn("cr_py_noext", str(cm.exception))
                    # The connection is left as it was, and usable.
                    self.assertEqual(conn.info.transaction_status, before)
                    self.assertEqual(conn.execute("SELECT 1").fetchone()[0], 1)

    def test_register_leaves_transaction_state(self) -> None:
        IDLE, INTRANS = psycopg.pq.TransactionStatus.IDLE, psycopg.pq.TransactionStatus.INTRANS
        with connect() as conn:
            conn.autocommit = False
            crp.register(conn)
            self.assertEqual(conn.info.transaction_status, IDLE)
            conn.execute("CREATE TEMP TABLE tx (r comm_result)")
            crp.register(conn)
            self.assertEqual(conn.info.transaction_status, INTRANS)
            conn.rollback()     # the savepoint did not end the caller's transaction
            self.assertEqual(conn.execute("SELECT to_regclass('pg_temp.tx')").fetchone()[0], None)

    def test_unregistered_and_cursor_scope(self) -> None:
        with connect() as conn:
            self.assertIsInstance(conn.execute("SELECT %s::text::comm_result", [RECORD_LINES[0]]).fetchone()[0], str)
            with self.assertRaises(psycopg.ProgrammingError):
                conn.execute("SELECT %s::comm_result", [CommResult(RECORDS[0])])
            cur = conn.cursor()
            crp.register(cur)
            self.assertIsInstance(cur.execute("SELECT %s", [CommResult(RECORDS[0])]).fetchone()[0], dict)
            # Only that cursor.
            self.assertIsInstance(conn.execute("SELECT %s::text::comm_result", [RECORD_LINES[0]]).fetchone()[0], str)

    def test_dicts_are_not_hijacked_unless_asked(self) -> None:
        with connect() as conn:
            crp.register(conn)
            self.assertEqual(conn.execute("SELECT pg_typeof(%s)::text", [CommResult(RECORDS[0])]).fetchone()[0],
                             "comm_result")
            # %s sends text: the server's canonical input path.
            self.assertEqual(conn.adapters.get_dumper(CommResult, PyFormat.AUTO).format, Format.TEXT)
            self.assertEqual(conn.adapters.get_dumper(CommStatus, PyFormat.AUTO).format, Format.TEXT)
            with self.assertRaises(psycopg.ProgrammingError):     # cannot adapt type 'dict'
                conn.execute("SELECT %s", [RECORDS[0]])
        with connect() as conn:
            crp.register(conn, dump_dicts=True)
            for fin in "stb":
                with self.subTest(placeholder=fin):
                    got, typ = conn.execute(f"SELECT %{fin}, pg_typeof(%{fin})::text", [RECORDS[4]] * 2).fetchone()
                    self.assertEqual(typ, "comm_result")
                    self.assertEqual(got["created_at"], datetime(2025, 1, 17, 3, 0, 4, 123456, UTC))

    def test_register_needs_sync_connection(self) -> None:
        with self.assertRaises(TypeError):
            crp.register(psycopg.adapters)   # the global map has no connection


class TestReadme(unittest.TestCase):
    def run_example(self, marker: str) -> None:
        """Run the README's example after the marker; compare with the output shown."""
        with open(README, encoding="utf-8") as f:
            block = f.read().split(f"<!-- {marker} -->\n", 1)[1].split("<!-- /example -->", 1)[0]
        code = block.split("```python\n", 1)[1].split("```\n", 1)[0]
        expected = block.split("```text\n", 1)[1].split("```\n", 1)[0]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, README, "exec"), {"__name__": "readme_example"})
        self.assertEqual(out.getvalue(), expected)

    def test_readme_example(self) -> None:
        self.run_example("example")

    def test_readme_today_example(self) -> None:
        self.run_example("example: today")

    def test_readme_load_example(self) -> None:
        # It makes tables of its own: give it a database of its own.
        with FreshDatabase("cr_py_readme_load", "CREATE EXTENSION comm_result") as db:
            saved = os.environ.get("PGDATABASE")
            os.environ["PGDATABASE"] = db
            try:
                self.run_example("example: load")
            finally:
                if saved is None:
                    del os.environ["PGDATABASE"]
                else:
                    os.environ["PGDATABASE"] = saved


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--summary", help="write 'passed failed' test-case counts here")
    args, rest = parser.parse_known_args()
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    if rest:
        suite = unittest.defaultTestLoader.loadTestsFromNames(rest, sys.modules[__name__])
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    # Count test cases, not subtests: a case with three failing subtests is one.
    failed_ids = {getattr(t, "test_case", t).id() for t, _ in result.failures + result.errors}
    failed_ids |= {t.id() for t in result.unexpectedSuccesses}
    passed = max(result.testsRun - len(failed_ids) - len(result.skipped), 0)
    failed = len(failed_ids) + len(result.skipped)      # nothing here may be skipped
    if args.summary:
        with open(args.summary, "w") as f:
            f.write(f"{passed} {failed}\n")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
