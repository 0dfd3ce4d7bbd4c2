"""psycopg 3 adapters for the comm_result PostgreSQL extension.

    import psycopg, comm_result_psycopg as crp
    conn = psycopg.connect()
    crp.register(conn)        # looks the types up in the extension's schema
    conn.execute("INSERT INTO results (r) VALUES (%s)", [crp.CommResult(record)])

comm_result values load as plain dicts shaped like the API's JSON (the keys
of the canonical text output; absent fields absent, JSON nulls None; the
sid under the name the value was given, call_manager_sid or
channel_manager_sid), created_at and sent_at as aware UTC datetimes,
request_variables, insights and enrichment as dicts whose non-integer
numbers are Decimal (so "1.50" comes back as written).  comm_status values
load as str.  Text and binary formats (versions 1 and 2) are both handled.

Dumping: wrap a dict in CommResult (plain dicts stay json/jsonb unless
register(..., dump_dicts=True)) and a status in CommStatus.  A problem the
client finds itself (only the binary dumper has to look inside a value)
raises the psycopg.errors class of the SQLSTATE the server would give the
same problem in text input, so handlers need not care about the format.
"""

from __future__ import annotations

import codecs
import json
import math
import re
import struct
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Dict, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

import psycopg
from psycopg import errors as e
from psycopg import sql
from psycopg.abc import AdaptContext, Buffer
from psycopg.adapt import Dumper, Loader
from psycopg.pq import Format
from psycopg.types import TypeInfo

__all__ = [
    "CommResult", "CommStatus", "CommResultTypes", "ExtensionNotInstalled",
    "FIELDS", "SID_KEYS", "STATUSES", "register", "fetch_types",
    "load_text", "load_binary", "dump_text", "dump_binary", "parse_timestamp",
    "LoadCounts", "ReplayCounts", "load_response", "ensure_tables", "replay_rejects",
]

# The April 2025 fields, then today's (release 1.2), in canonical order.
FIELDS = ("batch_id", "reference_id", "target", "request_variables",
          "request_status", "call_manager_sid", "created_at", "sent_at",
          "attempt_count", "session_id", "conversation_id",
          "channel_manager_status", "insights_status", "insights", "line_type",
          "enrichment")
# One field, two keys: the April name and today's; a value remembers which.
SID_KEYS = ("call_manager_sid", "channel_manager_sid")
_KEYS = FIELDS + SID_KEYS[1:]
_REQUIRED = FIELDS[:4]
# The code of a status is its index: what the status byte of the binary
# format carries (src/comm_status.h).  Codes are permanent: a new status is
# appended, never inserted.  0 to 8 since 1.0; CALL_COMPLETED, SENT and
# UNSUBSCRIBED, which the API sent for a while, since 1.3.  comm_status sorts
# by code, on the server.
STATUSES = ("PENDING", "DUPLICATE", "INITIATED", "CONNECTED", "COMPLETED",
            "FAILED", "CANCELED", "INVALID", "SKIPPED",
            "CALL_COMPLETED", "SENT", "UNSUBSCRIBED")
_STATUS_CODE = {name: code for code, name in enumerate(STATUSES)}

# Binary format (README "Binary format", src/cr_binary.c): version 1 for a
# value of April fields with the April sid key, version 2 for the others.
_WIRE_VERSIONS = (1, 2)
_F_STATUS, _F_CREATED = 0x0001, 0x0004
_F_SENT, _F_SENT_NULL = 0x0008, 0x0010
_F_SID, _F_SID_NULL = 0x0020, 0x0040
_F_SESSION, _F_SESSION_NULL = 0x0080, 0x0100
_F_CONV, _F_CONV_NULL = 0x0200, 0x0400
_F_KNOWN = 0x07FF & ~0x0002        # 0x0002 exists only in the stored form
# version, flags, status, attempt_count, created_at, sent_at, session, conv
_FIXED = struct.Struct("!BHBiqqqq")
# Version 2 adds flags2 after them.
_FIXED2 = struct.Struct("!BHBiqqqqH")
_G_CHANNEL_SID = 0x0001            # the sid is spelled channel_manager_sid
# Today's nullable fields, in wire (and canonical) order: key, JSON kind,
# flags2 bit when present, bit when null.
_NEW_FIELDS = (("channel_manager_status", str, 0x0002, 0x0004),
               ("insights_status", str, 0x0008, 0x0010),
               ("insights", Mapping, 0x0020, 0x0040),
               ("line_type", str, 0x0080, 0x0100),
               ("enrichment", Mapping, 0x0200, 0x0400))
_G_KNOWN = 0x07FF
_LEN = struct.Struct("!i")
_INT32_MAX, _INT64_MAX = 2**31 - 1, 2**63 - 1

_PG_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)
_USEC = timedelta(microseconds=1)


class CommResult(Dict[str, Any]):
    """A dict that psycopg dumps as comm_result (plain dicts are left alone)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"CommResult({dict.__repr__(self)})"


class CommStatus(str):
    """A str that psycopg dumps as comm_status (a plain str is text's)."""

    __slots__ = ()


class ExtensionNotInstalled(psycopg.ProgrammingError):
    """The database has no comm_result extension (or not in that schema)."""


class CommResultTypes(NamedTuple):
    schema: str
    comm_result: TypeInfo
    comm_status: TypeInfo


# --- timestamps ------------------------------------------------------------

# The server's input rule (src/cr_timestamp.c): RFC 3339, T and Z in either
# case, a fraction of any length, a zone required.
_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d+))?"
    r"(?:[Zz]|([+-])(\d\d):(\d\d))", re.ASCII)
_MDAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days from 2000-01-01; proleptic Gregorian, year 0 included (date() can't)."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 730425


def parse_timestamp(text: str, field: str = "timestamp") -> int:
    """RFC 3339 text -> microseconds since 2000-01-01 UTC, as the server reads it."""
    m = _RFC3339.fullmatch(text)
    if m is None:
        raise e.InvalidDatetimeFormat(
            f'comm_result field "{field}" is not an RFC 3339 timestamp with a zone: {text!r}')
    y, mo, d, h, mi, s = (int(g) for g in m.group(1, 2, 3, 4, 5, 6))
    frac = m.group(7) or ""
    # Round half up at the seventh digit, like the server (not via a float).
    usec = int((frac + "00000")[:6]) + (len(frac) > 6 and frac[6] >= "5")
    offset = 0
    if m.group(8):
        oh, om = int(m.group(9)), int(m.group(10))
        if oh > 23 or om > 59:
            raise e.DatetimeFieldOverflow(
                f'comm_result field "{field}" has a date or time field out of range: {text!r}')
        offset = (oh * 60 + om) * 60 * (-1 if m.group(8) == "-" else 1)
    leap = mo == 2 and y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    if not (1 <= mo <= 12 and 1 <= d <= _MDAYS[mo - 1] + leap
            and h <= 23 and mi <= 59 and s <= 60):
        raise e.DatetimeFieldOverflow(
            f'comm_result field "{field}" has a date or time field out of range: {text!r}')
    secs = _days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset
    return secs * 1_000_000 + usec


def _from_usec(usec: int, field: str) -> datetime:
    try:
        return _PG_EPOCH + usec * _USEC
    except OverflowError:
        # The type allows year 0000; datetime starts at year 1.
        raise e.DatetimeFieldOverflow(
            f'comm_result field "{field}" ({usec} us from 2000-01-01) is outside '
            f"the years datetime can hold") from None


def _to_usec(value: Any, field: str) -> int:
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise e.InvalidDatetimeFormat(
                f'comm_result field "{field}" has no time zone: naive datetime {value}')
        return (value - _PG_EPOCH) // _USEC       # exact integer arithmetic
    if isinstance(value, str):
        return parse_timestamp(value, field)
    raise e.InvalidTextRepresentation(
        f'comm_result field "{field}" must be a timestamp string or datetime, '
        f"not {type(value).__name__}")


def _format_usec(usec: int) -> str:
    """The canonical output form: UTC, Z, six fraction digits unless zero."""
    days, rest = divmod(usec, 86_400_000_000)
    secs, frac = divmod(rest, 1_000_000)
    d = (_PG_EPOCH + timedelta(days=days)).date()
    text = (f"{d.year:04d}-{d.month:02d}-{d.day:02d}T"
            f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}")
    return text + (f".{frac:06d}Z" if frac else "Z")


# --- JSON ------------------------------------------------------------------

def _json(value: Any, ascii_only: bool, where: str) -> str:
    """Compact JSON; unlike json.dumps it writes Decimal exactly ("1.50")."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=ascii_only)
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, (float, Decimal)):
        if not (value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)):
            raise e.InvalidTextRepresentation(f"{where}: {value} is not a JSON number")
        return float.__repr__(value) if isinstance(value, float) else str(value)
    if isinstance(value, Mapping):
        items = []
        for k, v in value.items():
            if not isinstance(k, str):
                raise e.InvalidTextRepresentation(f"{where}: key {k!r} is not a string")
            items.append(json.dumps(k, ensure_ascii=ascii_only) + ":"
                         + _json(v, ascii_only, where))
        return "{" + ",".join(items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_json(v, ascii_only, where) for v in value) + "]"
    raise e.InvalidTextRepresentation(
        f"{where}: a {type(value).__name__} cannot be written as JSON")


# --- load ------------------------------------------------------------------

def load_text(data: Any, encoding: str = "utf-8") -> Dict[str, Any]:
    """The server's text output (bytes or str) -> dict."""
    if not isinstance(data, str):
        data = bytes(data).decode(encoding)
    value = json.loads(data, parse_float=Decimal)
    for field in ("created_at", "sent_at"):
        if isinstance(value.get(field), str):
            value[field] = _from_usec(parse_timestamp(value[field], field), field)
    return value


def _bad_binary(detail: str) -> e.InvalidBinaryRepresentation:
    return e.InvalidBinaryRepresentation(f"invalid binary data for type comm_result: {detail}")


def _json_object(text: str, field: str) -> Dict[str, Any]:
    value = json.loads(text, parse_float=Decimal)
    if not isinstance(value, dict):
        raise _bad_binary(f"{field} is not a JSON object")
    return value


def load_binary(data: Buffer, encoding: str = "utf-8") -> Dict[str, Any]:
    """Binary format v1 or v2 (what comm_result_send returns) -> dict."""
    data = bytes(data)
    if not data:
        raise _bad_binary("the data is empty")
    version = data[0]
    if version not in _WIRE_VERSIONS:
        raise _bad_binary(f"binary format version {version} is not supported; "
                          f"this client reads versions 1 and 2")
    fixed = _FIXED if version == 1 else _FIXED2
    if len(data) < fixed.size:
        raise _bad_binary("the data ends inside the fixed-size fields")
    flags2 = 0
    if version == 1:
        _, flags, status, attempts, created, sent, session, conv = _FIXED.unpack_from(data)
    else:
        _, flags, status, attempts, created, sent, session, conv, flags2 = _FIXED2.unpack_from(data)
    if flags & ~_F_KNOWN:
        raise _bad_binary(f"flags 0x{flags:04x} have unknown bits set")
    if version == 2 and not flags2:
        raise _bad_binary("version 2 data has no flags2 bit set; version 1 carries such a value")
    if flags2 & ~_G_KNOWN:
        raise _bad_binary(f"flags2 0x{flags2:04x} have unknown bits set")
    if flags & _F_STATUS and status >= len(STATUSES):
        raise _bad_binary(f"status code {status} is out of range")
    if any(flags2 & bit and flags2 & null for _, _, bit, null in _NEW_FIELDS):
        raise _bad_binary(f"flags2 0x{flags2:04x} mark a field both present and null")
    if flags2 & _G_CHANNEL_SID and not flags & (_F_SID | _F_SID_NULL):
        raise _bad_binary("flags2 spell a call_manager_sid that the value does not have")
    # The strings; the optional ones (length -1 unless a string) with
    # whether their flag says they are there.
    names = ["batch_id", "reference_id", "target", "call_manager_sid", "request_variables"]
    optional = {"call_manager_sid": bool(flags & _F_SID)}
    if version == 2:
        for key, _, bit, _ in _NEW_FIELDS:
            names.append(key)
            optional[key] = bool(flags2 & bit)
    pos = fixed.size
    strings: list = []
    for name in names:
        if len(data) - pos < 4:
            raise _bad_binary(f"the data ends before the length of {name}")
        (n,) = _LEN.unpack_from(data, pos)
        pos += 4
        if name in optional and (n == -1) == optional[name]:
            raise _bad_binary(f"{name} disagrees with its flag")
        if n == -1 and name in optional:
            strings.append(None)
            continue
        if n < 0 or n > len(data) - pos:
            raise _bad_binary(f"the length of {name}, {n}, runs past the end of the data")
        strings.append(data[pos:pos + n].decode(encoding))
        pos += n
    if pos != len(data):
        raise _bad_binary(f"{len(data) - pos} bytes follow the end of the value")

    # Build the dict in the canonical output's key order.
    r: Dict[str, Any] = {"batch_id": strings[0], "reference_id": strings[1],
                         "target": strings[2],
                         "request_variables": _json_object(strings[4], "request_variables")}
    if flags & _F_STATUS:
        r["request_status"] = STATUSES[status]
    if flags & (_F_SID | _F_SID_NULL):
        r[SID_KEYS[1] if flags2 & _G_CHANNEL_SID else SID_KEYS[0]] = strings[3]
    if flags & _F_CREATED:
        r["created_at"] = _from_usec(created, "created_at")
    if flags & (_F_SENT | _F_SENT_NULL):
        r["sent_at"] = _from_usec(sent, "sent_at") if flags & _F_SENT else None
    r["attempt_count"] = attempts
    if flags & (_F_SESSION | _F_SESSION_NULL):
        r["session_id"] = session if flags & _F_SESSION else None
    if flags & (_F_CONV | _F_CONV_NULL):
        r["conversation_id"] = conv if flags & _F_CONV else None
    for (key, kind, bit, null), text in zip(_NEW_FIELDS, strings[5:]):
        if flags2 & (bit | null):
            r[key] = None if text is None else (
                text if kind is str else _json_object(text, key))
    return r


# --- dump ------------------------------------------------------------------

def dump_text(value: Mapping[str, Any], ascii_only: bool = False) -> str:
    """dict -> JSON text for comm_result input; the server validates it.

    Keys and values go out as given (the server reports unknown keys and bad
    values with its own SQLSTATE); datetimes become canonical UTC text.
    """
    value = {k: _format_usec(_to_usec(v, k))
             if k in ("created_at", "sent_at") and isinstance(v, datetime) else v
             for k, v in value.items()}
    return _json(value, ascii_only, "comm_result")


def _int_field(value: Mapping[str, Any], field: str, maximum: int) -> int:
    v = value[field]
    if not isinstance(v, int) or isinstance(v, bool):
        raise e.InvalidTextRepresentation(f'comm_result field "{field}" must be an integer')
    if not 0 <= v <= maximum:
        raise e.NumericValueOutOfRange(f'comm_result field "{field}" is out of range: {v}')
    return v


def _encode(s: str, encoding: str, what: str) -> bytes:
    try:
        return s.encode(encoding)
    except UnicodeEncodeError as ex:    # a lone surrogate, or not in a legacy encoding
        raise e.UntranslatableCharacter(f"{what} cannot be encoded in {encoding}: {ex}") from None


def _string(s: str, encoding: str, field: str) -> bytes:
    b = _encode(s, encoding, f'comm_result field "{field}"')
    return _LEN.pack(len(b)) + b


def dump_binary(value: Mapping[str, Any], encoding: str = "utf-8") -> bytes:
    """dict -> binary format, as comm_result_recv reads it and as
    comm_result_send writes it: version 1 for a value of April fields with
    the call_manager_sid key, version 2 when it has channel_manager_sid or
    any of today's fields (present or null).

    The wire format has no room for unknown keys, missing required fields or
    values of the wrong type, so those are refused here; every other rule is
    left to the server, which checks the value as for text input.
    """
    for key in value:
        if key not in _KEYS:
            raise e.InvalidTextRepresentation(
                f'unknown comm_result field "{key}" (known: {", ".join(_KEYS)})')
    if SID_KEYS[0] in value and SID_KEYS[1] in value:
        raise e.InvalidTextRepresentation(
            f'comm_result field "{SID_KEYS[0]}" is given under both of its names: the object has '
            f'both "{SID_KEYS[0]}" and "{SID_KEYS[1]}", which are one field')
    for key in _REQUIRED:
        if value.get(key) is None:
            raise e.InvalidTextRepresentation(f'comm_result field "{key}" is missing')
        if not isinstance(value[key], Mapping if key == "request_variables" else str):
            what = "an object" if key == "request_variables" else "a string"
            raise e.InvalidTextRepresentation(f'comm_result field "{key}" must be {what}')

    flags = flags2 = status = attempts = created = sent = session = conv = 0
    # request_status, created_at and attempt_count are not nullable: null is absent.
    if value.get("request_status") is not None:
        if not isinstance(value["request_status"], str) or value["request_status"] not in _STATUS_CODE:
            raise e.InvalidTextRepresentation(
                f'comm_result field "request_status" has an unknown status: '
                f'{value["request_status"]!r}')
        flags |= _F_STATUS
        status = _STATUS_CODE[value["request_status"]]
    if value.get("attempt_count") is not None:
        attempts = _int_field(value, "attempt_count", _INT32_MAX)
    if value.get("created_at") is not None:
        flags |= _F_CREATED
        created = _to_usec(value["created_at"], "created_at")
    # The nullable ones: absent, null and present are three states.
    if "sent_at" in value:
        if value["sent_at"] is None:
            flags |= _F_SENT_NULL
        else:
            flags |= _F_SENT
            sent = _to_usec(value["sent_at"], "sent_at")
    for field, present, null in (("session_id", _F_SESSION, _F_SESSION_NULL),
                                 ("conversation_id", _F_CONV, _F_CONV_NULL)):
        if field in value:
            flags |= null if value[field] is None else present
    if flags & _F_SESSION:
        session = _int_field(value, "session_id", _INT64_MAX)
    if flags & _F_CONV:
        conv = _int_field(value, "conversation_id", _INT64_MAX)
    sid_key = SID_KEYS[1] if SID_KEYS[1] in value else SID_KEYS[0]
    sid = value.get(sid_key)
    if sid_key in value:
        if sid is not None and not isinstance(sid, str):
            raise e.InvalidTextRepresentation(
                f'comm_result field "{sid_key}" must be a string or null')
        flags |= _F_SID_NULL if sid is None else _F_SID
        if sid_key == SID_KEYS[1]:
            flags2 |= _G_CHANNEL_SID

    ascii_only = codecs.lookup(encoding).name != "utf-8"
    tail = []
    for key, kind, bit, null in _NEW_FIELDS:
        v = value.get(key)
        if v is None:
            flags2 |= null if key in value else 0
            tail.append(_LEN.pack(-1))
            continue
        if not isinstance(v, kind):
            what = "a string" if kind is str else "an object"
            raise e.InvalidTextRepresentation(f'comm_result field "{key}" must be {what} or null')
        flags2 |= bit
        text = v if kind is str else _json(v, ascii_only, f'comm_result field "{key}"')
        tail.append(_string(text, encoding, key))

    variables = _json(value["request_variables"], ascii_only,
                      'comm_result field "request_variables"')
    head = (_FIXED.pack(1, flags, status, attempts, created, sent, session, conv) if not flags2
            else _FIXED2.pack(2, flags, status, attempts, created, sent, session, conv, flags2))
    return b"".join((
        head,
        _string(value["batch_id"], encoding, "batch_id"),
        _string(value["reference_id"], encoding, "reference_id"),
        _string(value["target"], encoding, "target"),
        _string(sid, encoding, sid_key) if flags & _F_SID else _LEN.pack(-1),
        _string(variables, encoding, "request_variables"),
        *(tail if flags2 else ()),
    ))


# --- psycopg adapters ------------------------------------------------------

def _encoding(context: Optional[AdaptContext]) -> str:
    conn = context.connection if context else None
    return conn.info.encoding if conn is not None and not conn.closed else "utf-8"


class _CommResultLoader(Loader):
    format = Format.TEXT

    def __init__(self, oid: int, context: Optional[AdaptContext] = None):
        super().__init__(oid, context)
        self._encoding = _encoding(context)

    def load(self, data: Buffer) -> Dict[str, Any]:
        return load_text(data, self._encoding)


class _CommResultBinaryLoader(_CommResultLoader):
    format = Format.BINARY

    def load(self, data: Buffer) -> Dict[str, Any]:
        return load_binary(data, self._encoding)


class _CommStatusLoader(_CommResultLoader):
    # Text and binary are both the name in the client encoding.
    def load(self, data: Buffer) -> str:  # type: ignore[override]
        return bytes(data).decode(self._encoding)


class _CommStatusBinaryLoader(_CommStatusLoader):
    format = Format.BINARY


class _CommResultDumper(Dumper):
    format = Format.TEXT

    def __init__(self, cls: type, context: Optional[AdaptContext] = None):
        super().__init__(cls, context)
        self._encoding = _encoding(context)
        # In another client encoding, \u escapes keep any character sendable.
        self._ascii = codecs.lookup(self._encoding).name != "utf-8"

    def dump(self, obj: Mapping[str, Any]) -> bytes:
        return _encode(dump_text(obj, self._ascii), self._encoding, "comm_result value")


class _CommResultBinaryDumper(_CommResultDumper):
    format = Format.BINARY

    def dump(self, obj: Mapping[str, Any]) -> bytes:
        return dump_binary(obj, self._encoding)


class _CommStatusDumper(_CommResultDumper):
    def dump(self, obj: str) -> bytes:  # type: ignore[override]
        return _encode(obj, self._encoding, "comm_status value")


class _CommStatusBinaryDumper(_CommStatusDumper):
    format = Format.BINARY


# Looked up by name in the extension's own schema, wherever it was created or
# moved to: the search_path may not include it, or may hold a look-alike.
_TYPES_QUERY = """\
SELECT n.nspname::text, t.typname::text, t.oid, t.typarray,
       format('%I.%I', n.nspname, t.typname), t.typdelim::text
FROM pg_catalog.pg_extension x
JOIN pg_catalog.pg_namespace n ON n.oid = x.extnamespace
LEFT JOIN pg_catalog.pg_type t
       ON t.typnamespace = x.extnamespace AND t.typname IN ('comm_result', 'comm_status')
WHERE x.extname = 'comm_result'"""


def fetch_types(conn: "psycopg.Connection[Any]", schema: Optional[str] = None) -> CommResultTypes:
    """Find the extension's schema and its two types' OIDs.

    Raises ExtensionNotInstalled when the database has no comm_result
    extension, or when schema is given and the extension lives elsewhere.
    """
    # A savepoint (or a transaction in autocommit): leave the connection as found.
    with conn.transaction(), conn.cursor(binary=False) as cur:
        rows = cur.execute(_TYPES_QUERY).fetchall()
    if not rows:
        raise ExtensionNotInstalled(
            f'the comm_result extension is not installed in database "{conn.info.dbname}": '
            "run CREATE EXTENSION comm_result first")
    ext_schema = rows[0][0]
    if schema is not None and schema != ext_schema:
        raise ExtensionNotInstalled(
            f'the comm_result extension is not installed in schema "{schema}" '
            f'of database "{conn.info.dbname}" (it is in "{ext_schema}")')
    infos: Dict[str, TypeInfo] = {}
    for _, name, oid, array_oid, regtype, delim in rows:
        if name is not None:
            infos[name] = TypeInfo(name, oid, array_oid, regtype=regtype, delimiter=delim)
    if len(infos) != 2:
        raise psycopg.ProgrammingError(
            f'schema "{ext_schema}" of the comm_result extension lacks its types')
    return CommResultTypes(ext_schema, infos["comm_result"], infos["comm_status"])


def _typed(base: type, oid: int) -> type:
    return type(base.__name__.lstrip("_"), (base,), {"oid": oid})


def register(context: AdaptContext, schema: Optional[str] = None, *,
             dump_dicts: bool = False) -> CommResultTypes:
    """Register comm_result and comm_status on a connection or a cursor.

    schema: optional; when given it must be the extension's schema.
    dump_dicts: also dump every plain dict passed to this context as
    comm_result (off by default, since dicts are json/jsonb elsewhere).
    Returns the types found (also registered for Copy.set_types and arrays).
    """
    conn = context.connection
    if not isinstance(conn, psycopg.Connection):
        raise TypeError("register() needs a psycopg.Connection or one of its cursors")
    types = fetch_types(conn, schema)
    adapters = context.adapters
    for info in (types.comm_result, types.comm_status):
        info.register(context)       # names for set_types(); array adapters
    adapters.register_loader(types.comm_result.oid, _CommResultLoader)
    adapters.register_loader(types.comm_result.oid, _CommResultBinaryLoader)
    adapters.register_loader(types.comm_status.oid, _CommStatusLoader)
    adapters.register_loader(types.comm_status.oid, _CommStatusBinaryLoader)

    dumpers: Tuple[Tuple[Tuple[type, ...], type, type, int], ...] = (
        ((CommResult, dict) if dump_dicts else (CommResult,),
         _CommResultBinaryDumper, _CommResultDumper, types.comm_result.oid),
        ((CommStatus,), _CommStatusBinaryDumper, _CommStatusDumper, types.comm_status.oid),
    )
    for classes, binary, text, oid in dumpers:
        binary, text = _typed(binary, oid), _typed(text, oid)
        for cls in classes:
            # The format registered last serves %s: text, the server's own
            # canonical input path, with its exact error messages.
            adapters.register_dumper(cls, binary)
            adapters.register_dumper(cls, text)
    return types


# --- loading a response: the recipe of examples/load_checked.sql ----------

class LoadCounts(NamedTuple):
    """What load_response did with one response."""
    valid: int          # distinct requests (batch_id, reference_id) among the valid records
    loaded: int         # rows of the results table inserted or changed
    unchanged: int      # valid - loaded: already there, and the merge changed nothing
    rejected: int       # elements that are not valid records
    new_rejects: int    # of those, the ones not yet kept in the rejects table for this batch


class ReplayCounts(NamedTuple):
    """What replay_rejects did."""
    replayed: int       # rejects that load now, moved into the results table
    still_rejected: int  # rejects that still do not load, left as they are


# The statements of examples/load_checked.sql, word for word, with the table
# and index names, the body and the batch id as placeholders (a test compares
# them with the recipe).  The body goes as its UTF-8 bytes, one bytea
# parameter, and the server decodes them (convert_from where the recipe has
# its text parameter): the text arrives as received whatever the
# connection's client_encoding, and bad UTF-8 is the server's 22021.
_DDL = (
    "CREATE TABLE IF NOT EXISTS {results} (r comm_result NOT NULL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS {results_key} ON {results} ((batch_id(r)), (reference_id(r)))",
    """CREATE TABLE IF NOT EXISTS {results_rejects} (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id    text NOT NULL,
    ordinal     integer NOT NULL,
    errors      jsonb NOT NULL,
    element     text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
)""",
    "CREATE UNIQUE INDEX IF NOT EXISTS {results_rejects_once} ON {results_rejects} (batch_id, md5(element))",
)
_LOAD = """WITH checked AS MATERIALIZED (
    SELECT * FROM comm_results_checked({body}, {batch_id})
), kept AS (
    INSERT INTO {results_rejects} (batch_id, ordinal, errors, element)
    SELECT {batch_id}, ordinal, errors, element FROM checked WHERE result IS NULL
    ON CONFLICT DO NOTHING
    RETURNING 1
), latest AS (
    SELECT comm_result_latest(result) AS r FROM checked WHERE result IS NOT NULL
    GROUP BY batch_id(result), reference_id(result)
), loaded AS (
    INSERT INTO {results} AS t (r) SELECT r FROM latest
    ON CONFLICT ((batch_id(r)), (reference_id(r)))
    DO UPDATE SET r = comm_result_merge(t.r, excluded.r)
    WHERE comm_result_merge(t.r, excluded.r) <> t.r
    RETURNING 1
)
SELECT (SELECT count(*) FROM latest) AS valid,
       (SELECT count(*) FROM loaded) AS loaded,
       (SELECT count(*) FROM checked WHERE result IS NULL) AS rejected,
       (SELECT count(*) FROM kept) AS new_rejects"""
_REPLAY = """WITH now_valid AS MATERIALIZED (
    SELECT j.id, c.result
    FROM {results_rejects} j, comm_results_checked('[' || j.element || ']', j.batch_id) c
    WHERE c.result IS NOT NULL
), replayed AS (
    DELETE FROM {results_rejects} WHERE id IN (SELECT id FROM now_valid)
    RETURNING 1
), loaded AS (
    INSERT INTO {results} AS t (r)
    SELECT comm_result_latest(result) FROM now_valid
    GROUP BY batch_id(result), reference_id(result)
    ON CONFLICT ((batch_id(r)), (reference_id(r)))
    DO UPDATE SET r = comm_result_merge(t.r, excluded.r)
    WHERE comm_result_merge(t.r, excluded.r) <> t.r
    RETURNING 1
)
SELECT (SELECT count(*) FROM replayed) AS replayed,
       (SELECT count(*) FROM {results_rejects}) - (SELECT count(*) FROM replayed) AS still_rejected"""
_BODY = "convert_from(%(body)b, 'UTF8')"

TableName = Union[str, Sequence[str]]


def _table(name: TableName, option: str) -> Tuple[Tuple[str, ...], str]:
    """A table name as given -> (its parts, its own name).

    A str is a name, or "schema.name" (one dot at most); a tuple or list of
    one or two str is taken part for part (for a name with a dot in it).
    Each part is quoted as an identifier: taken as written, case, spaces and
    quotes included, never as SQL.
    """
    if isinstance(name, str):
        parts: Tuple[str, ...] = tuple(name.split("."))
    elif isinstance(name, (tuple, list)) and all(isinstance(p, str) for p in name):
        parts = tuple(name)
    else:
        raise TypeError(f"{option} must be a str or a (schema, name) tuple, not {type(name).__name__}")
    if not 1 <= len(parts) <= 2 or not all(parts) or any("\0" in p for p in parts):
        raise ValueError(f"{option} must be a name or a schema and a name, not empty and "
                         f"without zero characters: {name!r}")
    return parts, parts[-1]


def _names(table: TableName, rejects_table: TableName) -> Dict[str, Any]:
    results, base = _table(table, "table")
    rejects, rejects_base = _table(rejects_table, "rejects_table")
    if results == rejects:
        raise ValueError(f"table and rejects_table must be two tables: both are {table!r}")
    return {"results": sql.Identifier(*results), "results_rejects": sql.Identifier(*rejects),
            # In the table's schema, as CREATE INDEX puts them.
            "results_key": sql.Identifier(base + "_key"),
            "results_rejects_once": sql.Identifier(rejects_base + "_once")}


def _connection(conn: Any) -> "psycopg.Connection[Any]":
    if not isinstance(conn, psycopg.Connection):
        raise TypeError(f"a psycopg.Connection is needed, not {type(conn).__name__}")
    return conn


# The statements, composed for the tables given (a test renders them).
def _ddl_statements(table: TableName, rejects_table: TableName) -> Tuple[sql.Composed, ...]:
    names = _names(table, rejects_table)
    return tuple(sql.SQL(ddl).format(**names) for ddl in _DDL)


def _load_statement(table: TableName, rejects_table: TableName) -> sql.Composed:
    return sql.SQL(_LOAD).format(body=sql.SQL(_BODY), batch_id=sql.Placeholder("batch_id"),
                                 **_names(table, rejects_table))


def _replay_statement(table: TableName, rejects_table: TableName) -> sql.Composed:
    return sql.SQL(_REPLAY).format(**_names(table, rejects_table))


def ensure_tables(conn: "psycopg.Connection[Any]", *, table: TableName = "results",
                  rejects_table: TableName = "results_rejects") -> None:
    """Create the recipe's two tables and their unique indexes, if missing.

    The results table has one comm_result column r and a unique index on
    (batch_id(r), reference_id(r)) named <table>_key; the rejects table
    keeps each invalid element once per batch (unique index <rejects>_once).
    Existing tables are left as they are (an index is added if missing).
    All or nothing: in a transaction of its own, or a savepoint of the
    caller's.
    """
    statements = _ddl_statements(table, rejects_table)
    with _connection(conn).transaction():
        for ddl in statements:
            conn.execute(ddl)


def load_response(conn: "psycopg.Connection[Any]", body: Union[str, Buffer], batch_id: str, *,
                  table: TableName = "results",
                  rejects_table: TableName = "results_rejects") -> LoadCounts:
    """Load one response of the results endpoint, losing nothing, in one statement.

    body is the response as received, str or bytes (bytes are UTF-8, JSON's
    encoding); it is sent as it is, in one parameter, and read by the
    server's comm_results_checked: the client never parses it.  batch_id is
    the one of the request's URL.  The valid records are merged into table
    (repeats of one request merged first; a row the merge does not change is
    not rewritten), every other element goes to rejects_table with its
    problems and its exact text, once per batch.

    A body that is not a complete JSON array (cut off, an HTML error page)
    raises psycopg.errors.InvalidTextRepresentation (22P02) and writes
    nothing; bytes that are not UTF-8 raise CharacterNotInRepertoire (22021).
    Runs in a transaction of its own, or a savepoint of the caller's, so an
    error leaves the caller's transaction usable.
    """
    if isinstance(body, str):
        # surrogatepass: a lone surrogate reaches the server, which refuses it.
        data = body.encode("utf-8", "surrogatepass")
    elif isinstance(body, (bytes, bytearray, memoryview)):
        data = bytes(body)
    else:
        raise TypeError(f"body must be str or bytes, not {type(body).__name__}")
    if not isinstance(batch_id, str):
        raise TypeError(f"batch_id must be a str, not {type(batch_id).__name__}")
    query = _load_statement(table, rejects_table)
    with _connection(conn).transaction():
        valid, loaded, rejected, new_rejects = conn.execute(
            query, {"body": data, "batch_id": batch_id}).fetchone()
    return LoadCounts(valid, loaded, valid - loaded, rejected, new_rejects)


def replay_rejects(conn: "psycopg.Connection[Any]", *, table: TableName = "results",
                   rejects_table: TableName = "results_rejects") -> ReplayCounts:
    """Load the rejects that are valid now (after a fix of their text, or an
    update of the extension) into table, and remove them from rejects_table;
    the others stay.  One statement, like load_response."""
    query = _replay_statement(table, rejects_table)
    with _connection(conn).transaction():
        replayed, still = conn.execute(query).fetchone()
    return ReplayCounts(replayed, still)
