"""The steady recording load for the scripts (limits, the Swarm runs): FooBar.Load run as a program beside the
script's own work, stopped with SIGTERM, every request read back from the CSV it writes. The load itself (its
readers and writer, its pacing, when a request is sent again, what counts as success, which posts were
acknowledged) is FooBar.Load's, the same the tests use; this only starts it and reads what it recorded.
"""
import csv
import json
import signal
import subprocess
import time
from collections import namedtuple

from site_http import HOST, SITE
from stack import REPO, log

PROJECT = REPO / "FooBar.Load"
PROGRAM = PROJECT / "bin" / "Release" / "net10.0" / "FooBar.Load.dll"

# t: seconds since start() on this script's clock; kind: "GET /fortunes"; status: the answer's, or what came instead.
Record = namedtuple("Record", "t kind status ms retried succeeded post post_id")


def build():
    """Builds FooBar.Load, before anything is measured (quick when nothing changed)."""
    started = time.monotonic()
    subprocess.run(["dotnet", "build", str(PROJECT), "-c", "Release", "-v", "quiet", "-nologo", "-clp:ErrorsOnly"],
                   check=True, timeout=600, stdout=subprocess.DEVNULL)
    log("load", f"FooBar.Load built in {time.monotonic() - started:.0f} s")


class SteadyLoad:
    """`rate` visits a second through nginx (one in 40 a post) from `connections` kept-alive connections (one of
    them the writer's); the posts' titles are "{post_marker} #{n}". Bounded by `max_seconds`."""

    def __init__(self, rate, connections, post_marker, max_seconds, records_csv):
        self.rate, self.connections, self.post_marker = rate, connections, post_marker
        self.max_seconds, self.records_csv = max_seconds, records_csv
        self.records, self.posts, self.skipped = [], [], 0
        self._process = self._t0 = None

    def now(self):
        """Seconds since start(): the clock every record and every mark of a phase uses."""
        return time.time() - self._t0

    def start(self):
        """Starts the visitors; build() first, once."""
        self._t0 = time.time()
        self._process = subprocess.Popen(
            ["dotnet", str(PROGRAM), "--site", SITE, "--host", HOST, "--rate", str(self.rate),
             "--readers", str(self.connections - 1), "--max-seconds", str(self.max_seconds),
             "--post-marker", self.post_marker, "--records", str(self.records_csv)],
            stdout=subprocess.PIPE, text=True)

    def stop(self):
        """Stops the visitors (a request under way is finished and recorded) and reads every request back."""
        if not self._process or self._process.returncode is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        summary, _ = self._process.communicate(timeout=90)
        if self._process.returncode != 0:
            raise RuntimeError(f"FooBar.Load exited with {self._process.returncode}")
        self.skipped = json.loads(summary.strip().splitlines()[-1])["skipped"]
        with open(self.records_csv, newline="") as file:
            self.records = [Record(round(float(row["started_s"]) - self._t0, 4), f"{row['method']} {row['path']}",
                                   int(row["status"]) if row["status"].isdigit() else row["status"], float(row["ms"]),
                                   int(row["retries"]), row["succeeded"] == "1", int(row["post"]) if row["post"] else None,
                                   row["post_id"] or None)
                            for row in csv.DictReader(file)]
        self.posts = posts(self.records)


def posts(records):
    """Each post the writer began: {"n", "outcome": acknowledged | failed | no form, "id", "status"}."""
    by_number = {}
    for record in records:
        if record.post is not None:
            by_number.setdefault(record.post, []).append(record)
    begun = []
    for n, (form, *sent) in sorted(by_number.items()):
        answer = sent[-1] if sent else form
        outcome = "no form" if not sent else "acknowledged" if answer.post_id else "failed"
        begun.append({"n": n, "outcome": outcome, "id": answer.post_id, "status": answer.status})
    return begun
