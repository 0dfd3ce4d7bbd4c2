#!/usr/bin/env python3
"""Seeded generator of realistic CommunicationRequestResult records.

Writes one compact JSON object per line (UTF-8).  The output depends only on
--seed and --rows, and the output for N rows is a prefix of the output for
any M > N rows with the same seed (the last batch is simply cut short), so
a small data set is always the head of a big one.

Every record is valid under the comm_result rules:
  batch_id, reference_id   non-blank strings; reference_id unique per batch
  target                   phone (optional "tel:", optional "+", 7-15
                           digits, separators space - . ( )) or e-mail
  request_variables        a JSON object (2-8 variables here)
  request_status           one of the nine statuses, null or absent
  call_manager_sid         "LM" + 32 hex, null or absent
  created_at               RFC3339 with zone, or absent
  sent_at                  RFC3339 with zone, null or absent
  attempt_count            0..2147483647 or absent
  session_id, conversation_id   0..9223372036854775807, null or absent

--as pending writes every record as a fresh request, as it is before
anything has been sent: the same batch_id, reference_id, target,
request_variables and created_at, request_status "PENDING", attempt_count
0, sent_at null, no call_manager_sid, session_id or conversation_id.
--as snapshot writes the records as they are, except that a record whose
status implies a dial (INITIATED, CONNECTED, COMPLETED) but whose
attempt_count is absent or 0 gets attempt_count 1, so that every snapshot is
reachable from its pending request under the lifecycle rule (each move to
INITIATED adds one attempt; FAILED and CANCELED with 0 attempts are
reachable directly from PENDING).  Both variants draw exactly the same
random numbers, so line i of each describes the same request.

--as today writes the same records in today's API shape (SDKs 1.0.x), one
batch per line: the batch id, a 0x02 byte, then the JSON array the endpoint
GET /api/v1/outbound/batches/{batch_id}/results returns for it.  The
records carry no batch_id, call_manager_sid is spelled channel_manager_sid,
every key is written in the SDKs' order (absent optional fields as null,
attempt_count always), and the five new fields are drawn from a second
generator seeded per record (so the April fields stay line for line those
of the other variants): channel_manager_status from the documented values,
consistent with the request status; line_type mobile/landline/voip (null
for e-mail targets); insights (string and number values) and
insights_status on completed calls; enrichment, a phone lookup object of a
few keys, for phone targets.

Usage: gen.py [--seed N] [--rows N] [--as pending|snapshot|today] [--stats] OUTPUT
("-" for stdout)
"""

import argparse
import datetime as dt
import json
import random
import sys
import unicodedata

KEYS = ["batch_id", "reference_id", "target", "request_variables",
        "request_status", "call_manager_sid", "created_at", "sent_at",
        "attempt_count", "session_id", "conversation_id"]

# A realistic status mix: most requests completed, a tail of the rest.
STATUS_MIX = [
    ("COMPLETED", 600), ("FAILED", 110), ("INITIATED", 80), ("PENDING", 70),
    ("CANCELED", 50), ("CONNECTED", 35), ("DUPLICATE", 20), ("INVALID", 15),
    ("SKIPPED", 15), (None, 5),  # None: status null or absent
]
STATUSES = [s for s, _ in STATUS_MIX]
STATUS_WEIGHTS = [w for _, w in STATUS_MIX]

FIRST = ["Ana", "John", "María", "José", "Zoë", "Łukasz", "Søren", "Chloé",
         "Mohammed", "Wei", "Priya", "Jürgen", "Olga", "Fatima", "Liam",
         "Noah", "Emma", "Sofía", "Hiroshi", "Ngozi", "Ébène", "Björn",
         "Aoife", "Dmitri", "İlker", "李", "さくら", "Олег"]
LAST = ["Smith", "García", "Müller", "O'Brien", "Nguyen", "Kowalski",
        "Johansson", "Silva", "Rossi", "Dubois", "Patel", "Kim", "Novák",
        "Øvergård", "Çelik", "Williams", "Brown", "Jones", "Hernández",
        "王", "Иванов", "D'Angelo", "van der Berg"]
CLINICS = ["St. Mary's \"North\" Clinic", "Downtown Dental", "Clínica São José",
           "Lakeside Pediatrics", "Dr. Nguyen & Partners", "Praxis Dr. Groß",
           "Eastside Vet\tCare", "Centre médical Étoile"]
EMAIL_DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.com",
                 "example.com", "clinic.org", "mail.example.co.uk",
                 "correo.es", "beispiel.de", "icloud.com", "proton.me"]
UNICODE_LOCALS = ["maría.lópez", "zoë", "jürgen.groß", "søren", "chloé.d",
                  "josé", "łukasz.k", "ébène"]
NOTES = ["Please bring your insurance card.",
         "Call back after 5pm\nif no answer",
         "Patient prefers \"Ana\" not \"Anna\"",
         "Path: C:\\Users\\front-desk\\notes.txt",
         "Confirmed 👍", "Llamar en español — gracias",
         "Tab\tseparated\tvalue", "Line 1\r\nLine 2", "😀 ünïcödé ✓",
         "", " "]
LANGS = ["en", "es", "pt-BR", "fr", "de", "en-US", "zh-Hans"]
OFFSETS = [0, 0, 0, -300, -360, -420, -480, 60, 120, 330, 540, -180]
AREA = ["512", "737", "210", "415", "212", "305", "617", "206", "303", "555"]


def rr(rng, a, b=None):
    """Like rr(rng, a, b) but cheaper (uses one rng.random() call)."""
    if b is None:
        a, b = 0, a
    return a + int(rng.random() * (b - a))


def ri(rng, a, b):
    """Like ri(rng, a, b)."""
    return a + int(rng.random() * (b - a + 1))


def pick(rng, seq):
    return seq[int(rng.random() * len(seq))]


def phone(rng):
    a = pick(rng, AREA)
    b = "%03d" % rr(rng, 200, 1000)
    c = "%04d" % rr(rng, 0, 10000)
    k = rr(rng, 100)
    if k < 25:
        return "+1" + a + b + c
    if k < 40:
        return "%s-%s-%s" % (a, b, c)
    if k < 50:
        return "+1 (%s) %s-%s" % (a, b, c)
    if k < 58:
        return "tel:+1" + a + b + c
    if k < 65:
        return "(%s) %s-%s" % (a, b, c)
    if k < 71:
        return "%s.%s.%s" % (a, b, c)
    if k < 76:
        return b + c                      # 7-digit local number
    if k < 80:
        return "%s-%s" % (b, c)
    if k < 84:
        return "tel:%s-%s-%s" % (a, b, c)
    if k < 88:
        return "+44 20 %04d %04d" % (rr(rng, 10000), rr(rng, 10000))
    if k < 91:
        return "+351 912 %03d %03d" % (rr(rng, 1000), rr(rng, 1000))
    if k < 94:
        return "+55 11 9%04d-%04d" % (rr(rng, 10000), rr(rng, 10000))
    if k < 97:
        return "+49 30 %d" % rr(rng, 1000000, 100000000)
    return "1 %s %s %s" % (a, b, c)


FOLD = str.maketrans({"ł": "l", "ø": "o", "ß": "ss", "ı": "i", "æ": "ae"})


def ascii_fold(s):
    """'chloé' -> 'chloe', 'łukasz' -> 'ukasz' (only what NFKD can fold)."""
    s = s.translate(FOLD)
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()


def email(rng):
    k = rr(rng, 100)
    dom = pick(rng, EMAIL_DOMAINS)
    if k < 10:
        local = pick(rng, UNICODE_LOCALS)
    else:
        f = ascii_fold(pick(rng, FIRST[:21]).lower()) or "user"
        l = ascii_fold(pick(rng, LAST[:19]).lower().replace("'", "").replace(" ", "")) or "x"
        if k < 50:
            local = "%s.%s" % (f, l)
        elif k < 70:
            local = "%s%s%d" % (f[0], l, rr(rng, 100))
        elif k < 80:
            local = "%s+reminders" % f
        elif k < 90:
            local = "%s_%s%d" % (f, l, rr(rng, 1970, 2006))
        else:
            local = "user%d" % rr(rng, 10 ** 6)
    if k % 17 == 0:
        local = local.upper() if local.isascii() else local
    return local + "@" + dom


def rfc3339(rng, t):
    """Format an aware UTC datetime in a random but valid RFC3339 style."""
    off = pick(rng, OFFSETS)
    k = rr(rng, 100)
    if k < 45:
        off = 0
    lt = t + dt.timedelta(minutes=off)
    s = lt.strftime("%Y-%m-%dT%H:%M:%S")
    f = rr(rng, 100)
    if f < 20:
        s += ".%03d" % (lt.microsecond // 1000)
    elif f < 28:
        s += ".%06d" % lt.microsecond
    elif f < 30:
        s += ".%d" % (lt.microsecond // 100000)
    if off == 0 and k < 45:
        return s + "Z"
    sign = "+" if off >= 0 else "-"
    return s + "%s%02d:%02d" % (sign, abs(off) // 60, abs(off) % 60)


def variables(rng, i):
    n = ri(rng, 2, 8)
    pool = [
        ("first_name", lambda: pick(rng, FIRST)),
        ("last_name", lambda: pick(rng, LAST)),
        ("appointment_time", lambda: "2025-%02d-%02dT%02d:%s:00-06:00" % (
            ri(rng, 1, 12), ri(rng, 1, 28), ri(rng, 7, 18),
            pick(rng, ["00", "15", "30", "45"]))),
        ("clinic_name", lambda: pick(rng, CLINICS)),
        ("amount_due", lambda: round(rng.uniform(5, 2500), 2)),
        ("balance_cents", lambda: rr(rng, 0, 10 ** 7)),
        ("language", lambda: pick(rng, LANGS)),
        ("opt_in", lambda: rng.random() < 0.8),
        ("visit_count", lambda: rr(rng, 0, 60)),
        ("notes", lambda: pick(rng, NOTES)),
        ("callback_number", lambda: phone(rng)),
        ("account_id", lambda: "ACC-%08d" % rr(rng, 10 ** 8)),
        ("discount", lambda: pick(rng, [None, 0.1, 0.15, 1e-3, 12])),
        ("tags", lambda: rng.sample(["vip", "new", "follow-up", "ñandú", "late"],
                                    ri(rng, 0, 3))),
        ("provider", lambda: {"name": "Dr. " + pick(rng, LAST),
                              "npi": rr(rng, 10 ** 9, 10 ** 10)}),
    ]
    chosen = rng.sample(pool, n)
    return {k: f() for k, f in chosen}


def hex32(rng):
    return "%032x" % rng.getrandbits(128)


def maybe(rng, p_absent, p_null, value_fn, rec, key):
    """Set rec[key] to value, null, or leave it absent."""
    x = rng.random()
    if x < p_absent:
        return
    if x < p_absent + p_null:
        rec[key] = None
    else:
        rec[key] = value_fn()


def batches(rng):
    day = dt.datetime(2025, 1, 17, tzinfo=dt.timezone.utc)
    seq = 0
    while True:
        seq += 1
        if seq > ri(rng, 1, 12):
            day += dt.timedelta(days=ri(rng, 1, 3))
            seq = 1
        start = day + dt.timedelta(seconds=rr(rng, 6 * 3600, 20 * 3600),
                                   microseconds=rr(rng, 10 ** 6))
        # batch sizes 500-5000, skewed towards the small end
        size = int(500 + 4500 * rng.random() ** 1.6)
        yield "%s.%d" % (day.strftime("%Y%m%d"), seq), start, size


def ref_ids(rng, size):
    style = rr(rng, 4)
    if style == 0:
        base = rr(rng, 1, 10 ** 6)
        return [str(base + i) for i in range(size)]
    if style == 1:
        base = rr(rng, 0, 10 ** 5)
        return ["%08d" % (base + i) for i in range(size)]
    if style == 2:
        base = rr(rng, 0, 10 ** 4)
        ids = ["APT-2025-%06d" % (base + 3 * i) for i in range(size)]
        rng.shuffle(ids)
        return ids
    seen = set()
    out = []
    while len(out) < size:
        h = "%032x" % rng.getrandbits(128)
        u = "%s-%s-4%s-%s-%s" % (h[:8], h[8:12], h[13:16], h[16:20], h[20:])
        if u not in seen:
            seen.add(u)
            out.append(u)
    return out


def record(rng, batch_id, ref, start, i):
    status = rng.choices(STATUSES, STATUS_WEIGHTS)[0]
    created = start + dt.timedelta(milliseconds=i * ri(rng, 5, 40))
    rec = {"batch_id": batch_id, "reference_id": ref,
           "target": email(rng) if rng.random() < 0.30 else phone(rng),
           "request_variables": variables(rng, i)}
    if status is not None:
        rec["request_status"] = status
    elif rng.random() < 0.5:
        rec["request_status"] = None
    not_sent = status in (None, "PENDING", "DUPLICATE", "INVALID", "SKIPPED")
    sid = lambda: "LM" + hex32(rng)
    if not_sent:
        maybe(rng, 0.6, 0.4, sid, rec, "call_manager_sid")
    else:
        maybe(rng, 0.01, 0.02, sid, rec, "call_manager_sid")
    if rng.random() > 0.01:
        rec["created_at"] = rfc3339(rng, created)
    if not_sent:
        maybe(rng, 0.5, 0.5, None, rec, "sent_at")
    elif status == "CANCELED":
        maybe(rng, 0.2, 0.3, lambda: rfc3339(
            rng, created + dt.timedelta(seconds=ri(rng, 1, 7200))), rec, "sent_at")
    else:
        sent = created + dt.timedelta(seconds=ri(rng, 1, 3600),
                                      microseconds=rr(rng, 10 ** 6))
        maybe(rng, 0.005, 0.01, lambda: rfc3339(rng, sent), rec, "sent_at")
    if rng.random() > 0.02:
        if not_sent:
            rec["attempt_count"] = 0
        elif status == "FAILED":
            rec["attempt_count"] = ri(rng, 1, 5)
        else:
            rec["attempt_count"] = rng.choices([1, 2, 3], [85, 12, 3])[0]
    if not_sent:
        maybe(rng, 0.7, 0.3, None, rec, "session_id")
        maybe(rng, 0.7, 0.3, None, rec, "conversation_id")
    else:
        big = rng.random() < 0.3
        maybe(rng, 0.05, 0.05, lambda: (rr(rng, 10 ** 17, 9 * 10 ** 18)
                                        if big else rr(rng, 1, 10 ** 7)),
              rec, "session_id")
        p_null = 0.05 if status in ("COMPLETED", "CONNECTED") else 0.6
        maybe(rng, 0.1, p_null, lambda: rr(rng, 1, 10 ** 9), rec,
              "conversation_id")
    if rng.random() < 0.15:               # some producers emit keys in any order
        items = list(rec.items())
        rng.shuffle(items)
        rec = dict(items)
    return rec


DIALED = ("INITIATED", "CONNECTED", "COMPLETED")


def as_pending(rec):
    """The same request before anything happened to it."""
    out = {k: rec[k] for k in ("batch_id", "reference_id", "target", "request_variables")}
    out["request_status"] = "PENDING"
    if "created_at" in rec:
        out["created_at"] = rec["created_at"]
    out["sent_at"] = None
    out["attempt_count"] = 0
    return out


def as_snapshot(rec):
    """The record, with at least one attempt when its status implies a dial."""
    if rec.get("request_status") in DIALED and not rec.get("attempt_count"):
        rec["attempt_count"] = 1
    return rec


TODAY_KEYS = ["reference_id", "target", "request_variables", "channel_manager_sid",
              "created_at", "sent_at", "attempt_count", "session_id", "conversation_id",
              "request_status", "channel_manager_status", "insights_status", "insights",
              "line_type", "enrichment"]
# The channel's own status, by request status (voice, SMS and e-mail values
# from the API's list of 41), with weights.
CHANNEL_BY_STATUS = {
    "COMPLETED": [("COMPLETED", 50), ("DELIVERED", 25), ("HUMAN", 8), ("MACHINE", 6),
                  ("OPENED", 4), ("CLICKED", 2), ("SENT", 5)],
    "FAILED": [("NO-ANSWER", 30), ("BUSY", 20), ("UNDELIVERED", 15), ("DELIVERY_FAILED", 10),
               ("FAILED", 10), ("BOUNCED", 5), ("SIP_NOT_FOUND", 3),
               ("SIP_TEMPORARILY_UNAVAILABLE", 3), ("DECLINED", 4)],
    "INITIATED": [("QUEUED", 40), ("SENDING", 20), ("IN-PROGRESS", 30), ("ACCEPTED", 10)],
    "CONNECTED": [("IN-PROGRESS", 80), ("HUMAN", 20)],
    "PENDING": [(None, 70), ("PENDING", 30)],
    "CANCELED": [("CANCELED", 70), (None, 30)],
    "DUPLICATE": [("DUPLICATE", 60), (None, 40)],
    "INVALID": [("INVALID", 50), ("FILTERED_LINE_TYPE", 30), (None, 20)],
    "SKIPPED": [("PRIOR_UNSUBSCRIBED", 40), ("UNSUBSCRIBED", 20), (None, 40)],
    None: [(None, 100)],
}
LINE_TYPES = [("mobile", 70), ("landline", 20), ("voip", 10)]
CARRIERS = ["Verizon Wireless", "T-Mobile USA, Inc.", "AT&T Wireless", "Vodafone UK",
            "MEO", "Claro Brasil", "Telekom Deutschland", "Twilio - SMS/MMS-SVR",
            "Bandwidth.com - CLEC"]
RATINGS = ["Good", "Neutral", "Poor", "Excellent"]
SUMMARIES = ["Patient confirmed the appointment.",
             "Asked to reschedule to next week; agent offered Tuesday 10:00.",
             "Voicemail reached, message left.",
             "Paciente confirmó la cita — gracias.",
             "Caller asked about the balance due and was given the billing number.",
             "No clear answer; the call ended early."]


def wchoice(rng, pairs):
    x = rng.random() * sum(w for _, w in pairs)
    for v, w in pairs:
        x -= w
        if x < 0:
            return v
    return pairs[-1][0]


def as_today(rec, rng):
    """The record as today's endpoint returns it, without its batch_id."""
    status = rec.get("request_status")
    phone_target = "@" not in rec["target"]
    out = {k: None for k in TODAY_KEYS}
    for k in ("reference_id", "target", "request_variables", "created_at", "sent_at",
              "session_id", "conversation_id", "request_status"):
        out[k] = rec.get(k)
    if out["created_at"] is None:
        del out["created_at"]           # not nullable: absent when unknown
    out["channel_manager_sid"] = rec.get("call_manager_sid")
    if out["channel_manager_sid"] is not None:
        out["channel_manager_sid"] = "CA" + out["channel_manager_sid"][2:]
    out["attempt_count"] = rec.get("attempt_count") or 0
    if status is None:
        del out["request_status"]       # not nullable either
    out["channel_manager_status"] = wchoice(rng, CHANNEL_BY_STATUS[status])
    if phone_target:
        out["line_type"] = wchoice(rng, LINE_TYPES) if rng.random() < 0.95 else None
        if rng.random() < 0.9:
            enr = {"line_type": out["line_type"] or "unknown",
                   "carrier_name": pick(rng, CARRIERS)}
            if rng.random() < 0.7:
                enr["mcc"] = pick(rng, ["310", "311", "234", "268", "724", "262"])
                enr["mnc"] = "%03d" % rr(rng, 1000)
            enr["error_code"] = None if rng.random() < 0.97 else 60600
            out["enrichment"] = enr
    if status == "COMPLETED":
        k = rng.random()
        if k < 0.8:
            out["insights_status"] = "COMPLETED"
            ins = {"rating": pick(rng, RATINGS), "score": round(rng.uniform(1, 5), 1)}
            if rng.random() < 0.7:
                ins["summary"] = pick(rng, SUMMARIES)
            if rng.random() < 0.3:
                ins["duration_seconds"] = rr(rng, 8, 600)
            out["insights"] = ins
        elif k < 0.9:
            out["insights_status"] = "PENDING"
    return out


VARIANTS = {"record": None, "pending": as_pending, "snapshot": as_snapshot,
            "today": as_today}


def generate(seed, rows, variant="record"):
    rng = random.Random(seed)
    transform = VARIANTS[variant]
    n = 0
    for batch_id, start, size in batches(rng):
        body = []
        for i, ref in enumerate(ref_ids(rng, size)):
            if n >= rows:
                break
            rec = record(rng, batch_id, ref, start, i)
            if variant == "today":
                rec = transform(rec, random.Random(seed * 1000003 + n))
            elif transform is not None:
                rec = transform(rec)
            ascii_only = rng.random() < 0.05   # a few producers escape non-ASCII
            line = json.dumps(rec, ensure_ascii=ascii_only, separators=(",", ":"))
            n += 1
            if variant == "today":
                body.append(line)
            else:
                yield line
        if body:
            # one endpoint response per line: batch id, 0x02, the array
            yield batch_id + "\x02[" + ",".join(body) + "]"
        if n >= rows:
            return


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--rows", type=int, default=200000)
    ap.add_argument("--as", dest="variant", choices=sorted(VARIANTS), default="record",
                    help="record (default): as generated; pending: every request fresh; "
                         "snapshot: as generated, made reachable from pending; "
                         "today: today's API shape, one batch response per line")
    ap.add_argument("--stats", action="store_true",
                    help="print a summary of the generated data to stderr")
    ap.add_argument("output")
    a = ap.parse_args()
    out = (sys.stdout if a.output == "-"
           else open(a.output, "w", encoding="utf-8", newline="\n"))
    nbytes = 0
    with out:
        buf = []
        for line in generate(a.seed, a.rows, a.variant):
            buf.append(line)
            if len(buf) >= 10000:
                s = "\n".join(buf) + "\n"
                nbytes += len(s.encode("utf-8")) if a.stats else 0
                out.write(s)
                buf = []
        if buf:
            s = "\n".join(buf) + "\n"
            nbytes += len(s.encode("utf-8")) if a.stats else 0
            out.write(s)
    if a.stats:
        print("%d rows, %d bytes (%.0f bytes/row)" % (a.rows, nbytes, nbytes / max(a.rows, 1)),
              file=sys.stderr)


if __name__ == "__main__":
    main()
