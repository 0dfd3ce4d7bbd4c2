"""A response body on its way from the API to the server, without being
held whole: cut into pieces of whole elements that the server can load
while the rest is still arriving, or into COPY rows when it cannot be cut.

Nothing here parses JSON.  The cutter only guesses where one top-level
element ends and the next begins (a "}", a comma, a "{", with JSON's
whitespace between); the server checks every guess, since a piece cut
anywhere else is not a complete JSON array and fails to load (see
comm_result_sync.db).
"""

import queue
import re
import threading

# A piece of about this many bytes is loaded at a time (bench/sync.sh: 1 MB
# pieces keep the server busy while the download goes on, and leave about
# 1/50 of a 49 MB body to load after its last byte).
PIECE = 1 << 20
# No gap between elements within this many bytes (one huge element, a body
# that is not an array of objects): the rest of the body goes whole.
MAX_SEGMENT = 8 << 20
# Segments between the download and the server: about PIPELINE pieces.
PIPELINE = 4

GAP = re.compile(rb"\}[ \t\n\r]*,[ \t\n\r]*\{")


class Cutter:
    """Cuts a body arriving in chunks into segments, each an exact slice of
    the body, in order:
      ("cut", data, close)   ends just before an element's "{"; data[:close]
                             ends with the "}" of the element before it
      ("raw", data, None)    not cut at a gap (the cutter gave up, or was
                             told to with whole)
      ("last", data, None)   the rest, when the body has ended"""

    def __init__(self, piece=PIECE, max_segment=MAX_SEGMENT):
        self.piece = piece
        self.max_segment = max_segment
        self.buf = bytearray()
        self.scan = 0           # where the next search for a gap starts
        self.whole = False      # no more cutting: segments go on raw

    def feed(self, data):
        """The segments that data completes."""
        if self.whole:
            # Passed on as it comes, after what was held back.
            if self.buf:
                data = bytes(self.buf) + data
                self.buf.clear()
            return [("raw", data, None)] if data else []
        self.buf += data
        out = []
        while len(self.buf) >= self.piece:
            m = GAP.search(self.buf, max(self.piece, self.scan))
            if m is not None:
                end = m.end() - 1
                out.append(("cut", bytes(self.buf[:end]), m.start() + 1))
                del self.buf[:end]
                self.scan = 0
                continue
            if len(self.buf) > self.max_segment:
                self.whole = True
                out.append(("raw", bytes(self.buf), None))
                self.buf.clear()
                break
            # A gap found later begins at a "}": at the last one, or after.
            last = self.buf.rfind(b"}", max(self.piece, self.scan))
            self.scan = last if last >= 0 else len(self.buf)
            break
        return out

    def finish(self):
        data = bytes(self.buf)
        self.buf.clear()
        return ("last", data, None)


class Worker:
    """Runs handle(item) for each item put, in a thread of its own, fed
    through a bounded queue: the thread talks to the server while the
    caller's thread reads from the API.  On leaving, waits until every
    item is handled; when the caller's thread leaves with an exception,
    calls cancel() to cut short what the thread is doing, stops it and
    waits for it.  The thread's own error is raised in the caller's thread
    at the next put() or on leaving."""

    def __init__(self, handle, cancel, abort):
        self.handle, self.cancel, self.abort = handle, cancel, abort
        self.q = queue.Queue(PIPELINE)
        self.error = None
        self.stop = False
        self.busy = False
        # Set by the thread as its very last act.  Thread.join() and
        # is_alive() cannot say it: after a Ctrl-C interrupts a join,
        # Python 3.11's is_alive() may answer False while the thread runs.
        self.ended = threading.Event()
        self.thread = threading.Thread(target=self._run, name="comm-result-sync-load", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def _run(self):
        try:
            while True:
                item = self.q.get()
                if item is None or self.stop:
                    break
                self.busy = True
                self.handle(item)
                self.busy = False
        except BaseException as e:      # handed to the caller's thread
            self.error = e
        finally:
            self.busy = False
            try:
                if self.error is not None or self.stop:
                    self.abort(self.error)
            finally:
                self.ended.set()

    def put(self, item):
        while True:
            if self.error is not None:
                raise self.error
            try:
                self.q.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def __exit__(self, exc_type, exc, tb):
        # Until the thread has stopped, the connection is its own: a Ctrl-C
        # that lands while this waits (for the last pieces to load) stops
        # the thread first, then goes on as if it had come a moment before.
        interrupted = None
        while True:
            try:
                if (exc_type is not None or interrupted is not None) and not self.stop:
                    self.stop = True
                    if self.busy:
                        self.cancel()
                self._end()
                break
            except BaseException as e:
                interrupted = interrupted or e
        if interrupted is not None and exc_type is None:
            raise interrupted
        if exc_type is None and self.error is not None:
            raise self.error
        return False

    def _end(self):
        """Tell the thread to end, and wait until it has."""
        while True:
            try:
                self.q.put(None, timeout=0.5)
                break
            except queue.Full:
                if self.ended.is_set():
                    break
                if self.stop:
                    # Make room: the thread drops what is left.
                    try:
                        self.q.get_nowait()
                    except queue.Empty:
                        pass
        while not self.ended.wait(0.5):     # with a timeout: Ctrl-C gets in
            pass
