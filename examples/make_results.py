#!/usr/bin/env python3
"""Generate examples/results.jsonl, a sample "outbound batch results" file.

The file holds four batches of CommunicationRequestResult objects, one JSON
object per line, the way a client would save the pages the outbound batch
results API returns.  Most lines are valid; a dozen carry one realistic
defect each (see BAD below), so the demo has something to reject.

The output is byte-stable: the generator is seeded and uses nothing but the
Python standard library.  Run it again after changing it, and commit both
this script and results.jsonl:

    python3 examples/make_results.py            # writes examples/results.jsonl
    python3 examples/make_results.py -o -       # writes to stdout
"""

import argparse
import datetime as dt
import json
import os
import random
import sys

SEED = 20250117

UTC = dt.timezone.utc
LISBON = dt.timezone(dt.timedelta(0))
MADRID = dt.timezone(dt.timedelta(hours=1))
NEW_YORK = dt.timezone(dt.timedelta(hours=-5))
SAO_PAULO = dt.timezone(dt.timedelta(hours=-3))

FIRST_NAMES = [
    "Ana", "João", "María", "Lucía", "Mateo", "Sofia", "Noah", "Emma", "Liam",
    "Olivia", "Priya", "Arjun", "Wei", "Li", "Yuki", "Kenji", "Fatima",
    "Omar", "Kwame", "Amara", "Olivier", "Amélie", "Siobhán", "Seán", "Zoë",
    "Lars", "Ingrid", "Mikołaj", "Agnieszka", "Dmitri", "Chloé", "Rafael",
    "Beatriz", "Tomás", "Inês", "Hugo", "Marta", "Carlos", "Grace", "Samuel",
]
LAST_NAMES = [
    "silva", "santos", "garcia", "fernandez", "lopez", "martin", "smith",
    "johnson", "brown", "nguyen", "kim", "tanaka", "sato", "patel", "sharma",
    "okafor", "mensah", "dubois", "moreau", "murphy", "kelly", "larsen",
    "nowak", "kowalski", "ivanov", "costa", "pereira", "rossi", "bianchi",
    "schmidt", "weber", "oconnor", "haddad", "cohen", "walker", "young",
]
DOMAINS = [
    "gmail.com", "gmail.com", "gmail.com", "outlook.com", "hotmail.com",
    "yahoo.com", "icloud.com", "proton.me", "web.de", "sapo.pt",
    "example.org", "mail.example.co.uk", "clinica-sol.pt",
]
# Internationalised addresses (RFC 6531): non-ASCII local parts and domains.
UNICODE_EMAILS = [
    "josé.garcía@exämple.es",
    "françois.lefèvre@courriel.exämple.fr",
    "zoë.müller@exämple.de",
    "søren.ørsted@eksempel.dk",
]

ASCII_FOLD = str.maketrans({
    "ã": "a", "á": "a", "à": "a", "â": "a", "é": "e", "è": "e", "ê": "e",
    "ë": "e", "í": "i", "ó": "o", "ô": "o", "õ": "o", "ö": "o", "ú": "u",
    "ü": "u", "ç": "c", "ñ": "n", "ł": "l", "ß": "ss",
})

CLINICS = [
    "Clínica Sol - Lisboa", "Clínica Sol - Porto", "Centro Médico Norte",
    "Hospital da Luz", 'Dental "Sorriso" Cascais', "St. Mary's Walk-in",
]
DOCTORS = ["Dr. Almeida", "Dra. Costa", "Dr. Ribeiro", "Dra. Nunes", "Dr. Smith"]
LANGUAGES = ["pt-PT", "pt-PT", "pt-PT", "en-GB", "es-ES", "fr-FR"]


def sid(rng):
    """A call manager SID: "LM" and 32 lowercase hex digits."""
    return "LM" + "".join(rng.choice("0123456789abcdef") for _ in range(32))


def ts(when, tz, millis=False):
    """RFC 3339 text for an aware datetime, shown in the zone tz."""
    local = when.astimezone(tz)
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if millis:
        text += ".%03d" % (local.microsecond // 1000)
    off = local.utcoffset()
    if tz is UTC:
        return text + "Z"
    minutes = int(off.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return text + "%s%02d:%02d" % (sign, abs(minutes) // 60, abs(minutes) % 60)


def phone(rng):
    """A phone number in one of the formats people actually type."""
    kind = rng.choice(["us", "us", "us", "uk", "pt", "pt", "es", "br", "de"])
    if kind == "us":
        area = rng.choice(["415", "212", "617", "305"])
        line = "01%02d" % rng.randrange(100)  # 555-01xx is reserved for fiction
        return rng.choice([
            "+1{a}555{l}", "+1 {a}-555-{l}", "({a}) 555-{l}", "{a}.555.{l}",
            "tel:+1-{a}-555-{l}", "+1 ({a}) 555-{l}", "{a}555{l}",
        ]).format(a=area, l=line)
    if kind == "uk":
        return rng.choice(["+44 20 7946 0{0:03d}", "+447700900{0:03d}",
                           "tel:+44-7700-900{0:03d}"]).format(rng.randrange(1000))
    if kind == "pt":
        n = "9%d%07d" % (rng.choice([1, 2, 3, 6]), rng.randrange(10 ** 7))
        return rng.choice(["+351 {0} {1} {2}", "+351{0}{1}{2}", "{0} {1} {2}",
                           "tel:+351-{0}-{1}-{2}"]).format(n[:3], n[3:6], n[6:])
    if kind == "es":
        n = "6%08d" % rng.randrange(10 ** 8)
        return rng.choice(["+34 {0} {1} {2}", "+34 {0}-{1}-{2}",
                           "0034{0}{1}{2}"]).format(n[:3], n[3:6], n[6:])
    if kind == "br":
        n = "%d" % rng.randrange(10 ** 8)
        n = n.rjust(8, "0")
        return "+55 11 9{0}-{1}".format(n[:4], n[4:])
    n = "%08d" % rng.randrange(10 ** 8)
    return "+49 30 {0}".format(n)


def email(rng, first, last):
    local = first.lower().translate(ASCII_FOLD)
    style = rng.random()
    if style < 0.55:
        local = "%s.%s" % (local, last)
    elif style < 0.75:
        local = "%s%s%d" % (local[0], last, rng.randrange(10, 99))
    elif style < 0.85:
        local = "%s.%s+reminders" % (local, last)
    else:
        local = "%s_%s" % (local, last)
    return "%s@%s" % (local, rng.choice(DOMAINS))


# Per batch: how the campaign looks, and the status mix of its results.
BATCHES = [
    {   # Yesterday morning's appointment reminders, calls and SMS: finished.
        "batch_id": "20250117.9", "size": 120, "ref": "seq", "ref_start": 10001,
        "created": dt.datetime(2025, 1, 17, 8, 30, 0, tzinfo=UTC), "tz": UTC,
        "sent_tz": UTC, "millis": True, "campaign": "appointment",
        "statuses": [("COMPLETED", 76), ("FAILED", 13), ("CANCELED", 3),
                     ("CONNECTED", 1)],
        "email_share": 0.25, "ascii": False, "session_start": 48113,
    },
    {   # Payment reminders sent from Madrid in the afternoon.
        "batch_id": "20250117.10", "size": 100, "ref": "invoice",
        "created": dt.datetime(2025, 1, 17, 13, 0, 0, tzinfo=UTC), "tz": MADRID,
        "sent_tz": UTC, "millis": False, "campaign": "payment",
        "statuses": [("COMPLETED", 66), ("FAILED", 12), ("CONNECTED", 5),
                     ("INITIATED", 5), ("CANCELED", 3)],
        "email_share": 0.35, "ascii": False, "session_start": 51270,
    },
    {   # A satisfaction survey run by the New York office; a different
        # client saved this page, with every non-ASCII character escaped.
        "batch_id": "20250118.1", "size": 90, "ref": "seq", "ref_start": 30001,
        "created": dt.datetime(2025, 1, 18, 14, 15, 0, tzinfo=UTC),
        "tz": NEW_YORK, "sent_tz": NEW_YORK, "millis": True, "campaign": "survey",
        "statuses": [("COMPLETED", 45), ("INITIATED", 14), ("CONNECTED", 10),
                     ("FAILED", 8), ("PENDING", 8), (None, 4), ("CANCELED", 2)],
        "email_share": 0.30, "ascii": True, "session_start": 2147483000,
    },
    {   # A batch still being worked on when the file was saved.
        "batch_id": "20250118.2", "size": 40, "ref": "appointment",
        "created": dt.datetime(2025, 1, 18, 19, 40, 0, tzinfo=UTC), "tz": UTC,
        "sent_tz": SAO_PAULO, "millis": False, "campaign": "appointment",
        "statuses": [("PENDING", 18), (None, 6), ("INITIATED", 11),
                     ("CONNECTED", 3), ("COMPLETED", 2)],
        "email_share": 0.30, "ascii": False, "session_start": 2147490210,
    },
]

# One-off statuses: (batch, position in the batch, status).
SPECIAL = {
    ("20250117.9", 17): "SKIPPED",      # opted out of reminders
    ("20250117.9", 58): "DUPLICATE",    # same target as an earlier request
    ("20250117.9", 91): "INVALID",      # number not reachable for SMS
    ("20250117.10", 40): "SKIPPED",
}

# Bad records: (batch, position in the batch) -> defect.  Each is otherwise a
# normal result, so the only problem is the one named here.
BAD = {
    ("20250117.9", 12): "created_at_without_zone",
    ("20250117.9", 33): "unknown_status",
    ("20250117.9", 77): "blank_reference_id",
    ("20250117.10", 8): "short_phone",
    ("20250117.10", 26): "email_without_tld",
    ("20250117.10", 64): "attempt_count_string",
    ("20250117.10", 85): "duplicate_key",
    ("20250118.1", 5): "missing_target",
    ("20250118.1", 47): "status_instead_of_request_status",
    ("20250118.1", 70): "negative_session_id",
    ("20250118.2", 21): "fractional_attempt_count_and_no_variables",
    ("20250118.2", 39): "truncated_line",
}


def variables(rng, campaign, first, when, lang):
    v = {"first_name": first}
    if campaign == "appointment":
        day = when + dt.timedelta(days=rng.randrange(2, 15))
        v["appointment_date"] = day.strftime("%Y-%m-%d")
        extra = [("appointment_time", "%02d:%02d" % (rng.randrange(8, 19),
                                                     rng.choice([0, 15, 30, 45]))),
                 ("clinic", rng.choice(CLINICS)),
                 ("doctor", rng.choice(DOCTORS)),
                 ("language", lang)]
    elif campaign == "payment":
        v["amount"] = "%d.%02d" % (rng.randrange(15, 900), rng.randrange(100))
        extra = [("currency", "EUR"),
                 ("due_date", (when + dt.timedelta(days=rng.choice([7, 14, 30])))
                  .strftime("%Y-%m-%d")),
                 ("account_last4", "%04d" % rng.randrange(10000)),
                 ("language", lang)]
    else:
        extra = [("visit_date", (when - dt.timedelta(days=rng.randrange(1, 8)))
                  .strftime("%Y-%m-%d")),
                 ("clinic", rng.choice(CLINICS)),
                 ("survey_url", "https://s.example.org/r/%06x" % rng.randrange(16 ** 6)),
                 ("language", lang)]
    # 2 to 6 variables in all.
    for key, value in extra[:rng.randrange(2 - len(v), len(extra) + 1)]:
        v[key] = value
    if rng.random() < 0.04 and "clinic" in v and len(v) < 6:
        v["note"] = "Bring your ID card.\nArrive 10 minutes early."
    return v


def pick_status(rng, weights):
    total = sum(w for _, w in weights)
    x = rng.randrange(total)
    for status, w in weights:
        if x < w:
            return status
        x -= w
    raise AssertionError


def result(rng, batch, i, seen_targets, session):
    """One valid result, as a dict in the API's key order."""
    created = batch["created"] + dt.timedelta(milliseconds=rng.randrange(0, 9000) + 40 * i)
    status = SPECIAL.get((batch["batch_id"], i)) or pick_status(rng, batch["statuses"])

    first = rng.choice(FIRST_NAMES)
    last = rng.choice(LAST_NAMES)
    if status == "DUPLICATE":
        target = seen_targets[rng.randrange(len(seen_targets))]
    elif rng.random() < batch["email_share"]:
        if rng.random() < 0.07:
            target = rng.choice(UNICODE_EMAILS)
            first = target.split(".")[0].capitalize()
        else:
            target = email(rng, first, last)
    else:
        target = phone(rng)
    seen_targets.append(target)

    if batch["ref"] == "seq":
        ref = str(batch["ref_start"] + i)
    elif batch["ref"] == "invoice":
        ref = "INV-2025-%06d" % (4300 + 3 * i)
    else:
        ref = "APT-0118-%04d" % (i + 1)

    lang = rng.choice(LANGUAGES)
    r = {
        "batch_id": batch["batch_id"],
        "reference_id": ref,
        "target": target,
        "request_variables": variables(rng, batch["campaign"], first, created, lang),
    }

    sent = status in ("INITIATED", "CONNECTED", "COMPLETED", "FAILED") or (
        status == "CANCELED" and rng.random() < 0.5)
    if status is not None:
        r["request_status"] = status
    if sent:
        r["call_manager_sid"] = sid(rng)
    elif rng.random() < 0.7:
        r["call_manager_sid"] = None          # otherwise the key is left out
    if rng.random() > 0.02:
        r["created_at"] = ts(created, batch["tz"], batch["millis"])
    if sent:
        sent_at = created + dt.timedelta(seconds=rng.randrange(20, 1800))
        r["sent_at"] = ts(sent_at, batch["sent_tz"], batch["millis"] and rng.random() < 0.5)
    elif rng.random() < 0.8:
        r["sent_at"] = None

    if status == "FAILED":
        attempts = rng.choice([1, 2, 3, 3])
    elif sent:
        attempts = rng.choice([1, 1, 1, 1, 2])
    else:
        attempts = 0
    if rng.random() > 0.03:
        r["attempt_count"] = attempts

    if sent:
        session[0] += rng.randrange(1, 40)
        r["session_id"] = session[0]
    elif rng.random() < 0.8:
        r["session_id"] = None
    if status in ("CONNECTED", "COMPLETED") and rng.random() < 0.85:
        r["conversation_id"] = session[0] * 10 + rng.randrange(10)
    elif rng.random() < 0.9:
        r["conversation_id"] = None
    return r


def dumps(r, ascii_only):
    return json.dumps(r, ensure_ascii=ascii_only, separators=(",", ":"))


def spoil(r, defect, ascii_only):
    """Apply one defect to a valid result; return the line."""
    if defect == "created_at_without_zone":
        r["created_at"] = r["created_at"].replace("Z", "")
    elif defect == "unknown_status":
        r["request_status"] = "DELIVERED"
    elif defect == "blank_reference_id":
        r["reference_id"] = ""
    elif defect == "short_phone":
        r["target"] = "555-12"
    elif defect == "email_without_tld":
        r["target"] = "maria.fernandes@gmail"
    elif defect == "attempt_count_string":
        r["attempt_count"] = "2"
    elif defect == "missing_target":
        del r["target"]
    elif defect == "status_instead_of_request_status":
        r = {("status" if k == "request_status" else k): v for k, v in r.items()}
    elif defect == "negative_session_id":
        r["session_id"] = -1
    elif defect == "fractional_attempt_count_and_no_variables":
        r["attempt_count"] = 1.5
        del r["request_variables"]
    elif defect == "duplicate_key":
        # A client that merged two versions of the record by concatenation.
        line = dumps(r, ascii_only)
        return line[:-1] + ',"request_status":"COMPLETED"}'
    elif defect == "truncated_line":
        # The export was interrupted mid-record.
        return dumps(r, ascii_only)[:131]
    else:
        raise ValueError(defect)
    return dumps(r, ascii_only)


def generate(seed=SEED):
    rng = random.Random(seed)
    lines = []
    for batch in BATCHES:
        seen = []
        session = [batch["session_start"]]
        for i in range(batch["size"]):
            r = result(rng, batch, i, seen, session)
            defect = BAD.get((batch["batch_id"], i))
            if defect == "created_at_without_zone":
                r.setdefault("created_at", ts(batch["created"], UTC))
            if defect == "unknown_status" or defect == "status_instead_of_request_status":
                r.setdefault("request_status", "COMPLETED")
            if defect == "negative_session_id":
                r.setdefault("session_id", None)
            if defect == "attempt_count_string":
                r.setdefault("attempt_count", 2)
            if defect == "duplicate_key":
                r["request_status"] = "INITIATED"
            lines.append(spoil(r, defect, batch["ascii"]) if defect
                         else dumps(r, batch["ascii"]))
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--output",
                    default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                         "results.jsonl"),
                    help="file to write, or - for stdout (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    data = "".join(line + "\n" for line in generate(args.seed)).encode("utf-8")
    if args.output == "-":
        sys.stdout.buffer.write(data)
    else:
        with open(args.output, "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
