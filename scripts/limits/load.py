"""The steady visitor load of scripts/limits.sh: page views, static files and posts through the real form, sent
through nginx at a fixed rate, with every request recorded (when it started, what it was, what came back, how long
it took).

Open loop, as visitors are: request i is due at start + i / rate whatever became of the ones before, spread over
worker threads that each keep one connection alive. A worker more than `give_up_s` behind its schedule skips the
request (counted), so an outage cannot turn into a burst. Bounded by `max_seconds` and so by count.
"""
import http.client
import socket
import threading
import time
import urllib.parse
from collections import namedtuple
from pathlib import Path

from site_http import HOST, SITE, parse_form

ADDRESS = urllib.parse.urlsplit(SITE)
# kind -> (method, path, the answer that counts as success)
KINDS = {
    "home": ("GET", "/", 200),             # the front page: reads MySQL
    "fortunes": ("GET", "/fortunes", 200),  # reads MySQL
    "static": ("GET", "/css/site.css", 200),  # nginx serves it itself
    "form": ("GET", "/posts/new", 200),    # the form a post starts from: the app, no MySQL
    "post": ("POST", "/posts/new", 302),   # written to MySQL, then Post/Redirect/Get to /posts/{id}
}
POST_EVERY = 40  # one request in 40 is a visitor writing a post (the form, then the post)
TIMEOUT_S = 20   # above nginx's 10 s proxy read timeout: a visitor's wait is nginx's answer, not ours

Record = namedtuple("Record", "t kind status ms retried")


def outcome(error):
    """A short name for what a visitor saw instead of an answer."""
    if isinstance(error, ConnectionRefusedError):
        return "refused"
    if isinstance(error, (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected)):
        return "reset"
    if isinstance(error, (socket.timeout, TimeoutError)):
        return "timeout"
    return type(error).__name__


class Visitor:
    """One worker's kept-alive connection. Like a browser, it sends a request again, once, on a new connection when
    a kept-alive one turns out to be closed before any answer (the server may close an idle one at any time)."""

    def __init__(self):
        self.connection = None

    def close(self):
        if self.connection:
            self.connection.close()
            self.connection = None

    def exchange(self, method, path, body=None, headers=None):
        """(status, headers, body bytes, sent again?); raises OSError or HTTPException when nothing came back."""
        headers = {"Host": HOST, **(headers or {})}
        for attempt in (0, 1):
            reused = self.connection is not None
            if not reused:
                self.connection = http.client.HTTPConnection(ADDRESS.hostname, ADDRESS.port, timeout=TIMEOUT_S)
            try:
                self.connection.request(method, path, body, headers)
                response = self.connection.getresponse()
                data = response.read()
                if response.will_close:
                    self.close()
                return response.status, response.headers, data, attempt > 0
            except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
                self.close()
                if reused and attempt == 0:
                    continue
                raise
            except (OSError, http.client.HTTPException):
                self.close()
                raise


class SteadyLoad:
    def __init__(self, rate, workers, run_id, max_seconds, give_up_s=2.0):
        self.rate, self.workers, self.run_id = rate, workers, run_id
        self.max_slots = int(rate * max_seconds)
        self.give_up_s = give_up_s
        self.records = []      # list.append is atomic: the workers share it without a lock
        self.posts = []        # {"n", "outcome": acknowledged | failed | no form, "id", "status"}
        self._skipped = [0] * workers
        self._stop = threading.Event()
        self._threads = []
        self._t0 = None

    @property
    def skipped(self):
        """Requests not sent because their worker was more than give_up_s behind: whether the schedule held."""
        return sum(self._skipped)

    def now(self):
        """Seconds since the load started: the clock every record and every mark of a phase uses."""
        return time.monotonic() - self._t0

    def start(self):
        self._t0 = time.monotonic()
        self._threads = [threading.Thread(target=self._work, args=(w,), daemon=True) for w in range(self.workers)]
        for thread in self._threads:
            thread.start()

    def stop(self):
        self._stop.set()
        for thread in self._threads:
            thread.join(TIMEOUT_S * 2 + 5)

    def _record(self, started, kind, status, retried):
        self.records.append(Record(round(started - self._t0, 4), kind, status,
                                   round((time.monotonic() - started) * 1000, 1), retried))

    def _request(self, visitor, kind, body=None, headers=None):
        """Sends one request of that kind and records it; returns (status, or what came instead, headers, body)."""
        method, path, _ = KINDS[kind]
        started = time.monotonic()
        try:
            status, response_headers, data, retried = visitor.exchange(method, path, body, headers)
        except (OSError, http.client.HTTPException) as error:
            self._record(started, kind, outcome(error), False)
            return outcome(error), {}, b""
        self._record(started, kind, status, retried)
        return status, response_headers, data

    def _post(self, visitor, n):
        """A visitor writing post n: the form (for its antiforgery token and cookie), then the post."""
        status, headers, page = self._request(visitor, "form")
        form = parse_form(page.decode(errors="replace"), headers.get("Set-Cookie")) if status == 200 else None
        if not form:
            self.posts.append({"n": n, "outcome": "no form", "status": status})
            return
        cookie, token = form
        body = urllib.parse.urlencode({
            "Input.Author": "limits", "Input.Title": f"limits {self.run_id} post {n}",
            "Input.Body": "Written through the form by scripts/limits.sh while it stops and restarts the stack's parts.",
            "__RequestVerificationToken": token})
        status, headers, _ = self._request(visitor, "post", body, {
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
        location = headers.get("Location", "") if status == 302 else ""
        post_id = location.rsplit("/", 1)[-1] if location.startswith("/posts/") else None
        self.posts.append({"n": n, "outcome": "acknowledged" if post_id else "failed", "id": post_id, "status": status})

    def _work(self, worker):
        visitor = Visitor()
        try:
            for slot in range(worker, self.max_slots, self.workers):
                delay = self._t0 + slot / self.rate - time.monotonic()
                if delay > 0 and self._stop.wait(delay):
                    return
                if self._stop.is_set():
                    return
                if -delay > self.give_up_s:
                    self._skipped[worker] += 1
                    continue
                if slot % POST_EVERY == POST_EVERY - 1:
                    self._post(visitor, slot)
                else:
                    self._request(visitor, ("home", "fortunes", "static")[slot % 3])
        finally:
            visitor.close()

    def write_csv(self, path):
        """Every request: seconds since the start, kind, status (or what came instead), ms, sent again."""
        lines = ["t_s,kind,status,ms,retried"]
        lines += [f"{r.t},{r.kind},{r.status},{r.ms},{int(r.retried)}" for r in sorted(self.records, key=lambda r: r.t)]
        Path(path).write_text("\n".join(lines) + "\n")


def succeeded(record):
    return record.status == KINDS[record.kind][2]
