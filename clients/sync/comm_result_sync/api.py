"""The outbound batch results API, over http.client.

Two calls, named and shaped as in the official SDKs (1.0.x):
  GET /api/v1/outbound/batches                  a page of batches
  GET /api/v1/outbound/batches/{batch_id}/results  every result of a batch
Every request carries the key in the Syllable-API-Key header.

The results body is never held whole: Api.results() hands it on chunk by
chunk (comm_result_sync.db streams it into the server), so memory stays
bounded by the chunk size whatever the size of a batch.  The batch list is
small and is parsed here, with a cap on its size.
"""

import email.utils
import http.client
import json
import random
import socket
import ssl
import time
import urllib.parse
import zlib

from . import __version__

LIST_PATH = "/api/v1/outbound/batches"
PAGE_LIMIT = 100            # batches per page of the list
MAX_PAGES = 10000           # a list that never ends is an error, not a loop
MAX_LIST_BYTES = 64 << 20   # one page of the list
CHUNK = 256 << 10           # bytes read from the socket at a time
FINISHED = frozenset({"FAILED", "CANCELED", "EXPIRED"})


class ApiError(Exception):
    """A request that failed for good (after its retries); the run goes on
    with the other batches.  http_status is the last status seen, if any."""

    def __init__(self, message, http_status=None):
        super().__init__(message)
        self.http_status = http_status


class KeyRejected(ApiError):
    """401 or 403: every other request would fail the same way, so the run
    stops at once."""


class Retryable(Exception):
    """One attempt failed in a way that another attempt may not: a
    connection error, a timeout, a cut-off body, 429 or a 5xx."""

    def __init__(self, message, http_status=None, retry_after=None):
        super().__init__(message)
        self.http_status = http_status
        self.retry_after = retry_after


def quote_segment(value):
    """A batch id as one path segment: every byte outside the unreserved
    set percent-escaped ("/" too), and the dots of a "." or ".." segment
    (or of any id containing "..") as well, so that no client, proxy or
    server can take the id for a step up the path."""
    seg = urllib.parse.quote(value, safe="")
    if ".." in seg or seg == ".":
        seg = seg.replace(".", "%2E")
    return seg


def parse_retry_after(value, now=None):
    """Seconds to wait from a Retry-After header: a number of seconds or an
    HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(int(value)))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


def printable(data, limit=120):
    """The start of a body for an error message: one line of printable
    characters, invalid UTF-8 replaced."""
    text = data[:limit * 4].decode("utf-8", "replace")
    text = "".join(c if c.isprintable() else " " for c in text)
    text = " ".join(text.split())
    return text[:limit] + ("..." if len(text) > limit else "")


class Api:
    """A client of one API server.  Options (seconds): connect_timeout,
    read_timeout (one socket read), max_time (one whole request, so that a
    server that drips a byte at a time cannot hold a run), retries (further
    attempts after the first), backoff (first delay; doubled each time, with
    full jitter, at most backoff_max), max_retry_after (a longer Retry-After
    fails the request instead of stalling the run), max_body (bytes of one
    results body, after decompression)."""

    def __init__(self, base_url, key, *, connect_timeout=10.0, read_timeout=60.0,
                 max_time=900.0, retries=5, backoff=1.0, backoff_max=60.0,
                 max_retry_after=300.0, max_body=900 << 20, sleep=time.sleep,
                 on_retry=None):
        url = urllib.parse.urlsplit(base_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"--api-url must be an http or https URL, not {base_url!r}")
        if url.query or url.fragment or url.username or url.password:
            raise ValueError("--api-url takes a scheme, a host, a port and a path, nothing else")
        self.scheme = url.scheme
        self.host = url.hostname
        self.port = url.port
        self.prefix = url.path.rstrip("/")
        self.key = key
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_time = max_time
        self.retries = retries
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.max_retry_after = max_retry_after
        self.max_body = max_body
        self.sleep = sleep
        self.on_retry = on_retry
        self.conn = None

    # --- one connection, kept alive between requests -------------------------

    def _connect(self):
        if self.scheme == "https":
            conn = http.client.HTTPSConnection(self.host, self.port, timeout=self.connect_timeout,
                                               context=ssl.create_default_context())
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=self.connect_timeout)
        conn.connect()
        # The connect timeout was for the handshake; reads get their own.
        conn.sock.settimeout(self.read_timeout)
        return conn

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _url(self, path, query=None):
        url = self.prefix + path
        if query:
            url += "?" + urllib.parse.urlencode(query, doseq=True)
        return url

    def _send(self, path, query):
        """Send one GET and return the response with its headers read."""
        headers = {"Accept": "application/json", "Accept-Encoding": "gzip",
                   "Syllable-API-Key": self.key,
                   "User-Agent": f"comm-result-sync/{__version__}"}
        for reuse in (True, False):
            if self.conn is None:
                self.conn = self._connect()
            try:
                self.conn.request("GET", self._url(path, query), headers=headers)
                return self.conn.getresponse()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A kept-alive connection the server has closed meanwhile:
                # once more on a new one.
                self.close()
                if not reuse:
                    raise
        raise AssertionError("unreachable")

    def _attempt(self, path, query, consume):
        """One request: status check, then consume(chunks) on a 200."""
        deadline = time.monotonic() + self.max_time
        try:
            resp = self._send(path, query)
        except (OSError, http.client.HTTPException) as e:
            self.close()
            raise Retryable(f"cannot reach the API ({describe_os_error(e)})") from None
        status = resp.status
        if status != 200:
            head = b""
            try:
                head = resp.read(4096)
            except (OSError, http.client.HTTPException):
                pass
            self.close()
            if status in (401, 403):
                raise KeyRejected(
                    f"the API refused the key (HTTP {status}): check SYLLABLE_API_KEY or --api-key-file",
                    status)
            what = f"HTTP {status} {resp.reason}".rstrip()
            if head:
                what += f": {printable(head)}"
            if status == 429 or 500 <= status <= 599:
                raise Retryable(what, status, parse_retry_after(resp.getheader("Retry-After")))
            raise ApiError(what, status)
        ctype = (resp.getheader("Content-Type") or "").split(";")[0].strip().lower()
        if ctype and ctype != "application/json" and not ctype.endswith("+json"):
            head = resp.read(4096)
            self.close()
            raise ApiError(f"the API answered with {ctype}, not JSON: {printable(head)}", status)
        encoding = (resp.getheader("Content-Encoding") or "identity").strip().lower()
        if encoding not in ("identity", "gzip"):
            self.close()
            raise ApiError(f"the API answered in an unknown Content-Encoding, {encoding}", status)
        length = resp.getheader("Content-Length")
        try:
            length = int(length) if length is not None else None
        except ValueError:
            self.close()
            raise ApiError(f"the API sent a bad Content-Length, {printable(length.encode())}", status)
        stream = _Body(resp, length, encoding == "gzip", deadline, self.max_body)
        try:
            result = consume(stream)
            stream.finish()
        except (OSError, http.client.HTTPException, zlib.error, _Cut) as e:
            self.close()
            raise Retryable(f"the response was cut off after {stream.raw} bytes ({describe_os_error(e)})",
                            status) from None
        except BaseException:
            self.close()
            raise
        if resp.will_close:
            self.close()
        return status, stream, result

    def request(self, path, query, consume, label):
        """Run one request with retries: connection errors, timeouts, cut-off
        bodies, 429 (after its Retry-After) and 5xx are tried again, up to
        self.retries more times with exponential backoff and full jitter;
        401 and 403 raise KeyRejected, anything else ApiError."""
        attempt = 0
        while True:
            try:
                return self._attempt(path, query, consume)
            except Retryable as e:
                if attempt >= self.retries:
                    raise ApiError(f"{e} (gave up after {attempt + 1} attempts)", e.http_status) from None
                delay = random.uniform(0, min(self.backoff_max, self.backoff * 2 ** attempt))
                if e.retry_after is not None:
                    if e.retry_after > self.max_retry_after:
                        raise ApiError(f"{e}, Retry-After {e.retry_after:.0f} s is longer than "
                                       f"--max-retry-after ({self.max_retry_after:.0f} s)",
                                       e.http_status) from None
                    # Honour the server's wait; a little jitter on top keeps
                    # clients that were told the same from coming back at once.
                    delay = e.retry_after + random.uniform(0, min(1.0, self.backoff))
                attempt += 1
                if self.on_retry:
                    self.on_retry(label, str(e), delay, attempt)
                self.sleep(delay)

    # --- the two calls ---------------------------------------------------------

    def list_batches(self, on_page=None):
        """Every batch, page by page (0-based pages of PAGE_LIMIT, ordered by
        batch_id).  A batch seen twice (the list moved under the pages) is
        kept once.  Returns a list of dicts with at least a string batch_id."""
        seen = {}
        page = 0
        total_pages = None
        while True:
            query = {"page": page, "limit": PAGE_LIMIT, "order_by": "batch_id",
                     "order_by_direction": "asc"}
            try:
                _, _, body = self.request(LIST_PATH, query, _read_json_capped, f"batch list page {page}")
                items, total_pages = parse_list_page(body, page)
            except KeyRejected:
                raise
            except ApiError as e:
                raise ApiError(f"listing the batches, page {page}: {e}", e.http_status) from None
            for item in items:
                seen.setdefault(item["batch_id"], item)
            if on_page:
                on_page(page, total_pages)
            page += 1
            if not items or (total_pages is not None and page >= total_pages):
                break
            if page >= MAX_PAGES:
                raise ApiError(f"the batch list goes on past {MAX_PAGES} pages")
        return list(seen.values())

    def results_path(self, batch_id):
        return f"{LIST_PATH}/{quote_segment(batch_id)}/results"

    def results(self, batch_id, consume):
        """GET one batch's results; consume(stream) is called with the body's
        chunk stream (and again, from the start, after a retry).  Returns
        (http_status, stream, consume's result)."""
        return self.request(self.results_path(batch_id), None, consume, f"batch {batch_id!r}")


class _Cut(Exception):
    """The body ended before its Content-Length."""


class _Body:
    """A response body as chunks of bytes (decompressed when gzip), with the
    overall deadline, the size cap and a check that nothing was cut off."""

    def __init__(self, resp, length, gzip, deadline, max_body):
        self.resp = resp
        self.length = length
        self.zlib = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzip else None
        self.deadline = deadline
        self.max_body = max_body
        self.raw = 0        # bytes received
        self.size = 0       # bytes of the body (decompressed)
        self.done = False

    def __iter__(self):
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        while True:
            if time.monotonic() > self.deadline:
                raise socket.timeout("the whole request took longer than --max-time")
            n = self.resp.readinto(view)
            if not n:
                break
            self.raw += n
            data = bytes(view[:n])
            if self.zlib is not None:
                # Bounded output per call, so that a small compressed body
                # cannot expand into memory past the cap at once.
                data = self.zlib.decompress(data, self.max_body - self.size + 1)
                while data:
                    self._count(data)
                    yield data
                    tail = self.zlib.unconsumed_tail
                    data = self.zlib.decompress(tail, self.max_body - self.size + 1) if tail else b""
                continue
            self._count(data)
            yield data
        if self.length is not None and self.raw < self.length:
            raise _Cut(f"{self.length - self.raw} of {self.length} bytes missing")
        if self.zlib is not None:
            rest = self.zlib.flush()
            if rest:
                self._count(rest)
                yield rest
            if not self.zlib.eof:
                raise _Cut("the gzip stream is incomplete")
        self.done = True

    def _count(self, data):
        self.size += len(data)
        if self.size > self.max_body:
            raise BodyTooLarge(f"the response is larger than --max-body ({self.max_body} bytes)")

    def finish(self):
        if not self.done:
            for _ in self:
                pass


class BodyTooLarge(ApiError):
    pass


def _read_json_capped(stream):
    """A small JSON body (the batch list), at most MAX_LIST_BYTES."""
    stream.max_body = min(stream.max_body, MAX_LIST_BYTES)
    data = b"".join(stream)
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as e:
        what = "nested too deeply" if isinstance(e, RecursionError) else str(e)
        raise ApiError(f"not valid JSON ({what}): {printable(data)}", 200) from None


def parse_list_page(body, page):
    """The items of one page of the list and its total_pages; items that are
    not batches (no string batch_id) are an error naming the page."""
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise ApiError("not a ListResponseCommunicationBatch (an object with an items array)", 200)
    total_pages = body.get("total_pages")
    if not isinstance(total_pages, int) or isinstance(total_pages, bool) or total_pages < 0:
        total_pages = None
    items = []
    for i, item in enumerate(body["items"]):
        if not isinstance(item, dict) or not isinstance(item.get("batch_id"), str) \
                or not item["batch_id"]:
            raise ApiError(f"item {i} is not a batch with a batch_id", 200)
        items.append(item)
    return items, total_pages


def describe_os_error(e):
    if isinstance(e, (socket.timeout, TimeoutError)):
        return "timed out" + (f": {e}" if str(e) and str(e) != "timed out" else "")
    if isinstance(e, http.client.IncompleteRead):
        return f"incomplete read, {len(e.partial)} bytes of a chunk"
    if isinstance(e, socket.gaierror):
        return f"unknown host: {e.strerror or e}"
    if isinstance(e, ConnectionRefusedError):
        return "connection refused"
    text = str(e) or type(e).__name__
    return text
