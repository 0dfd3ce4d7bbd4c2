"""A local fake of the outbound batch results API, for comm-result-sync's
tests and benchmark.

Serves, on 127.0.0.1 and a free port, the two calls in the SDKs' shapes
(1.0.x): GET /api/v1/outbound/batches (ListResponseCommunicationBatch, paged)
and GET /api/v1/outbound/batches/{batch_id}/results (a JSON array of today's
CommunicationRequestResult records, without batch_id).  Every request must
carry the key in Syllable-API-Key, else 401.

The records are generated: each batch has N requests that move on one step
per tick() (PENDING, INITIATED, then COMPLETED or FAILED with insights and
the phone lookup), with the odd but legal text a real batch carries (empty
optional strings, a channel status no table lists, the sid under its April
name, a repeated reference_id) and, on request, bad elements (a bad target,
a non-object, an element nested 100,000 levels deep).

It misbehaves on request, one fault per request, in order: fault(target,
...) queues faults for "list" or a batch id:
  status=429, retry_after="1"   an error status (with a JSON body)
  status=503, html=True         an HTML error page (with any status)
  delay=S                       wait S seconds before answering
  cut=F, length=True            send a fraction F of the body, then close
                                (with the whole Content-Length, or without
                                one and Connection: close)
  stall=S, cut=F                send F of the body, wait S seconds, send the rest
  echo_key=True                 a 500 whose body repeats the key
  raw=b"..."                    these bytes as the body (status 200)
  gzip=True                     the body gzip-compressed

Run alone (the benchmark and the Debian test do):
  fakeapi.py --key-file F --batches 3 --records 1000 [--port-file P]
prints "listening on PORT" and serves until killed.
"""

import argparse
import datetime
import gzip
import http.server
import json
import socketserver
import threading
import time
import urllib.parse

LIST = "/api/v1/outbound/batches"
T0 = datetime.datetime(2026, 8, 8, 9, 0, 0, tzinfo=datetime.timezone.utc)


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class Batch:
    def __init__(self, batch_id, n, status="ACTIVE", odd=True, seed=0):
        self.batch_id = batch_id
        self.n = n
        self.status = status
        self.odd = odd
        self.step = 0
        self.seed = seed
        self.extra = []          # elements (text) appended to every response
        self.raw = None          # a whole body to serve instead
        self.created = T0
        self.updated = T0
        self.cache = None

    def meta(self):
        return {"batch_id": self.batch_id, "campaign_id": 7, "expires_on": ts(T0 + datetime.timedelta(days=1)),
                "paused": self.status == "PAUSED", "call_rate": 25, "status": self.status,
                "upload_filename": f"{self.batch_id}.csv", "created_at": ts(self.created),
                "last_updated_at": ts(self.updated), "last_updated_by": "ops@example.com",
                "error_message": None}

    def tick(self, status=None):
        """The calls move on one step; the batch's last_updated_at too when
        its status changes."""
        self.step += 1
        self.cache = None
        if status and status != self.status:
            self.status = status
            self.updated = self.updated + datetime.timedelta(hours=1)

    def record(self, i, step):
        """Request i of the batch after `step` ticks (its state is staggered
        by i, so that a response mixes every stage)."""
        s = max(0, min(3, step + (i % 3) - 1))
        phone = i % 4 != 3
        target = f"+1512555{i % 10000:04d}" if phone else f"user{i}@example.com"
        r = {"reference_id": f"R{i:06d}", "target": target,
             "request_variables": {"first_name": f"Name {i}", "clinic": "Centro Médico Norte"},
             "channel_manager_sid": None, "created_at": ts(T0 + datetime.timedelta(seconds=i)),
             "sent_at": None, "attempt_count": 0, "session_id": None, "conversation_id": None,
             "request_status": "PENDING", "channel_manager_status": None, "insights_status": None,
             "insights": None, "line_type": "mobile" if phone else None,
             "enrichment": {"carrier_name": "Acme Wireless", "line_type": "mobile", "mcc": "310",
                            "mnc": "260", "error_code": None} if phone else None}
        if s >= 1:
            r.update(request_status="INITIATED", attempt_count=1, channel_manager_sid=f"CA{i:032x}",
                     sent_at=ts(T0 + datetime.timedelta(minutes=5, seconds=i)), channel_manager_status="QUEUED")
        if s >= 2:
            r.update(request_status="CONNECTED" if phone else "COMPLETED", session_id=1000 + i,
                     channel_manager_status="IN-PROGRESS" if phone else "DELIVERED", insights_status="PENDING")
        if s >= 3:
            done = i % 7 != 0
            r.update(request_status="COMPLETED" if done else "FAILED", conversation_id=5000 + i if done else None,
                     channel_manager_status="COMPLETED" if done else "NO-ANSWER",
                     insights_status="COMPLETED",
                     insights={"rating": "Good", "score": 4.5, "summary": f"call {i} went well"})
        if self.odd:
            if i % 50 == 1:
                r["line_type"] = ""                       # legal since 1.3
            if i % 50 == 2:
                r["channel_manager_status"] = "SOMETHING_NEW"  # a status no table lists
            if i % 50 == 3:
                r["call_manager_sid"] = r.pop("channel_manager_sid")  # the April name
            if i % 50 == 4:
                r["request_variables"] = {}
        return r

    def elements(self):
        """The response's elements as JSON text, cached per step."""
        if self.cache is None:
            els = [json.dumps(self.record(i, self.step), ensure_ascii=False, separators=(",", ":"))
                   for i in range(self.n)]
            if self.odd and self.n >= 10:
                # The same request twice in one response: an older snapshot
                # after the newer one.
                els.insert(5, json.dumps(self.record(5, max(0, self.step - 1)), separators=(",", ":")))
            self.cache = els
        return self.cache + self.extra

    def body(self):
        if self.raw is not None:
            return self.raw
        return ("[" + ",".join(self.elements()) + "]").encode("utf-8")


class FakeApi:
    def __init__(self, key="fake-key-0123456789abcdef"):
        self.key = key
        self.batches = {}
        self.faults = {}
        self.requests = []
        self.served = {}         # batch id -> the last body served whole
        self.lock = threading.Lock()
        self.server = None
        self.rate = None         # bytes per second of a body, as a network would carry it

    # --- control -------------------------------------------------------------------

    def add(self, batch_id, n=20, **kw):
        b = Batch(batch_id, n, **kw)
        self.batches[batch_id] = b
        return b

    def fault(self, target, **spec):
        with self.lock:
            self.faults.setdefault(target, []).append(spec)

    def clear_faults(self):
        with self.lock:
            self.faults.clear()

    def _next_fault(self, target):
        with self.lock:
            q = self.faults.get(target)
            return q.pop(0) if q else None

    def hits(self, target=None):
        with self.lock:
            return [r for r in self.requests if target is None or r["target"] == target]

    # --- serving ---------------------------------------------------------------------

    def start(self, port=0):
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                try:
                    api.handle(self)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True

            def handle_error(self, request, client_address):
                pass        # a client that hung up mid-answer: the tests' doing

        self.server = Server(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def handle(self, h):
        url = urllib.parse.urlsplit(h.path)
        path, query = url.path, urllib.parse.parse_qs(url.query)
        target = None
        if path == LIST:
            target = "list"
        elif path.startswith(LIST + "/") and path.endswith("/results"):
            seg = path[len(LIST) + 1:-len("/results")]
            if "/" not in seg:
                target = urllib.parse.unquote(seg, errors="surrogateescape")
        with self.lock:
            self.requests.append({"target": target, "raw_path": h.path, "time": time.monotonic(),
                                  "key_ok": h.headers.get("Syllable-API-Key") == self.key})
        if h.headers.get("Syllable-API-Key") != self.key:
            return self.send(h, 401, json.dumps({"detail": "Invalid API key"}).encode())
        if target is None:
            return self.send(h, 404, json.dumps({"detail": "Not Found"}).encode())
        f = self._next_fault(target) or {}
        if f.get("delay"):
            time.sleep(f["delay"])
        if f.get("echo_key"):
            return self.send(h, 500, f"<p>internal error for key {self.key}</p>".encode(), "text/html")
        if f.get("html"):
            page = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>" \
                   b"<h1>Bad Gateway</h1></body></html>"
            return self.send(h, f.get("status", 200), page, "text/html; charset=utf-8")
        if f.get("status"):
            headers = {}
            if "retry_after" in f:
                headers["Retry-After"] = str(f["retry_after"])
            return self.send(h, f["status"], json.dumps({"detail": f"fake {f['status']}"}).encode(),
                             headers=headers)
        if target == "list":
            body = f["raw"] if "raw" in f else self.list_page(query)
        else:
            b = self.batches.get(target)
            if b is None:
                return self.send(h, 404, json.dumps({"detail": "Batch not found"}).encode())
            body = f["raw"] if "raw" in f else b.body()
            if not f.get("cut"):
                with self.lock:
                    self.served[target] = body
        self.send(h, 200, body, fault=f)

    def list_page(self, query):
        page = int(query.get("page", ["0"])[0])
        limit = max(1, min(100, int(query.get("limit", ["25"])[0])))
        ids = sorted(self.batches)
        if query.get("order_by_direction", ["asc"])[0] == "desc":
            ids.reverse()
        items = [self.batches[i].meta() for i in ids[page * limit:(page + 1) * limit]]
        return json.dumps({"items": items, "page": page, "page_size": limit,
                           "total_pages": (len(ids) + limit - 1) // limit, "total_count": len(ids)}).encode()

    def send(self, h, status, body, ctype="application/json", headers=None, fault=None):
        f = fault or {}
        if f.get("gzip"):
            body = gzip.compress(body, 6)
        cut = f.get("cut")
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        if f.get("gzip"):
            h.send_header("Content-Encoding", "gzip")
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        if cut and not f.get("length", True):
            h.send_header("Connection", "close")
            h.close_connection = True
        else:
            h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if cut:
            part = int(len(body) * cut)
            h.wfile.write(body[:part])
            h.wfile.flush()
            if f.get("stall"):
                time.sleep(f["stall"])
                h.wfile.write(body[part:])
                return
            h.close_connection = True
            return
        if not self.rate:
            h.wfile.write(body)
            return
        # At the given rate, in 64 kB steps: a network slower than loopback.
        t0 = time.monotonic()
        for i in range(0, len(body), 64 << 10):
            ahead = t0 + i / self.rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
            h.wfile.write(body[i:i + (64 << 10)])


def main():
    p = argparse.ArgumentParser(description="a fake outbound batch results API on 127.0.0.1")
    p.add_argument("--key-file", required=True)
    p.add_argument("--batches", type=int, default=3)
    p.add_argument("--records", type=int, default=100)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--no-odd", action="store_true", help="only plain records")
    p.add_argument("--seconds", type=float, default=3600, help="stop after this long")
    p.add_argument("--rate", type=float, help="send results bodies at this many MB/s")
    a = p.parse_args()
    with open(a.key_file) as f:
        api = FakeApi(f.read().strip())
    api.rate = a.rate * 1e6 if a.rate else None
    for i in range(a.batches):
        api.add(f"20260808.{i + 1}", a.records, odd=not a.no_odd)
    api.start(a.port)
    for b in api.batches.values():
        b.elements()             # built before the first request, not during it
    if a.port_file:
        with open(a.port_file + ".tmp", "w") as f:
            f.write(str(api.port))
        __import__("os").rename(a.port_file + ".tmp", a.port_file)
    print(f"listening on {api.port}", flush=True)
    time.sleep(a.seconds)       # bounded: a forgotten server stops by itself
    api.stop()


if __name__ == "__main__":
    main()
