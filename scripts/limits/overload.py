"""scripts/limits.sh --overload: what too much traffic does to the site, measured in one mode.

The capacity first: wrk with 64 connections for 10 s on each flooded path. Then each flood (2,000 and 10,000
connections, on /posts and on /, 30 s each) from 127.0.0.1, while a visitor from 127.0.0.2 loads the home page every
0.5 s on its own connection and a sampler on the flood's address times single requests beside wrk (wrk counts every
answer by status and spots nginx's built-in pages, but cannot time one kind of answer apart from another). After each
flood: how long until the flooded path answers normally again, and which app instances the AppHost ended or restarted
(their process ids, before and after). All traffic goes to 127.0.0.0/8; every loop is bounded in time.
"""
import http.client
import os
import resource
import ssl
import subprocess
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

import wrk
from site_http import HOST, SITE
from stack import CLK_TCK, machine_busy_ticks
from waiting import wait_until

FLOOD_SCRIPT = Path(__file__).resolve().parent / "flood.lua"
VISITOR, FLOODER = "127.0.0.2", "127.0.0.1"
BUILTIN = b"<center>nginx</center>"  # what every page nginx makes itself says; the site's own pages do not
CAPACITY_CONNECTIONS, CAPACITY_SECONDS = 64, 10
VISITOR_INTERVAL, VISITOR_TIMEOUT = 0.5, 3.0
SAMPLERS = 4  # the sampler's connections, each asking again as soon as it has its answer


def log(message):
    print(f"[overload] {message}", flush=True)


class Asker:
    """One HTTPS connection from a chosen loopback address to the site, made again whenever it breaks."""

    def __init__(self, source, timeout):
        parts = urllib.parse.urlsplit(SITE)
        self.host, self.port, self.source, self.timeout = parts.hostname, parts.port or 443, source, timeout
        self.context = ssl.create_default_context()
        self.connection = None

    def ask(self, path):
        """(status or None, seconds, built-in page?); None: no answer within the time-out, or the connection failed."""
        started = time.monotonic()
        try:
            if self.connection is None:
                self.connection = http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout,
                                                              source_address=(self.source, 0), context=self.context)
            self.connection.request("GET", path, headers={"Host": HOST})
            answer = self.connection.getresponse()
            body = answer.read()
            if answer.getheader("Connection", "").lower() == "close":
                self.close()
            return answer.status, time.monotonic() - started, BUILTIN in body, answer.getheader("Retry-After")
        except (OSError, http.client.HTTPException):
            self.close()
            return None, time.monotonic() - started, False, None

    def close(self):
        if self.connection:
            self.connection.close()
        self.connection = None


class Loop(threading.Thread):
    """Asks `path` from `source` every `interval` s (0: again at once) until stopped; keeps every answer."""

    def __init__(self, source, path, interval, timeout):
        super().__init__(daemon=True)
        self.asker, self.path, self.interval = Asker(source, timeout), path, interval
        self.answers = []  # (status, seconds, built-in, Retry-After)
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            began = time.monotonic()
            self.answers.append(self.asker.ask(self.path))
            self.stopping.wait(max(0.0, self.interval - (time.monotonic() - began)))
        self.asker.close()

    def stop(self):
        self.stopping.set()
        self.join(timeout=VISITOR_TIMEOUT + 5)


def p99(values):
    ordered = sorted(values)
    return round(1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]) if ordered else None


def raise_file_limit(needed):
    """wrk needs a descriptor per connection: raises this process's soft limit (its children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = needed + 1024
    if hard != resource.RLIM_INFINITY and hard < want:
        raise SystemExit(f"wrk needs {want} file descriptors for {needed} connections; the hard limit is {hard} (ulimit -Hn)")
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def flood(url, connections, seconds):
    """wrk on `url`: its summary, and every answer counted by status and by whether nginx made the page itself."""
    threads = 2
    command = ["wrk", "--latency", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
               "-H", f"Host: {HOST}", "-s", str(FLOOD_SCRIPT), url]
    # What wrk itself and the whole machine spent meanwhile: the load generator shares the stack's cores.
    children, busy, started = resource.getrusage(resource.RUSAGE_CHILDREN), machine_busy_ticks(), time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    elapsed = time.monotonic() - started
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_cores = (used.ru_utime + used.ru_stime - children.ru_utime - children.ru_stime) / elapsed
    machine_cores = (machine_busy_ticks() - busy) / CLK_TCK / elapsed
    figures = wrk.parse(done.stdout)
    statuses = Counter()
    builtin = 0
    for line in done.stdout.splitlines():
        word, *values = line.split()
        if word == "flood-status":
            statuses[int(values[0])] += int(values[1])
        elif word == "flood-builtin":
            builtin = int(values[0])
    good = sum(count for status, count in statuses.items() if 200 <= status < 400)
    figures.update(statuses={str(k): v for k, v in sorted(statuses.items())}, builtin_pages=builtin,
                   goodput=round(good / seconds), seconds=seconds, connections=connections,
                   wrk_cores=round(wrk_cores, 2), machine_busy_cores=round(machine_cores, 2), machine_cores=os.cpu_count())
    if done.returncode != 0 or not figures["requests"]:
        # What wrk said when it failed or made no request at all (10,000 TLS handshakes on two busy cores).
        figures["wrk_error"] = f"exit {done.returncode}: " + (done.stdout.strip()[-300:] + " " + done.stderr.strip()[-300:]).strip()
    return figures


def instance_pids(cli, names):
    """App instance -> its process id (None while it has none), as the AppHost reports it."""
    resources = cli.resources()
    return {name: resources.get(name, {}).get("properties", {}).get("executable.pid") for name in names}


def first_normal_answer(path, limit=60.0):
    """Seconds until `path` answers 200 or 3xx from the flood's address, on a new connection each time."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        asker = Asker(FLOODER, 2.0)
        status = asker.ask(path)[0]
        asker.close()
        if status is not None and 200 <= status < 400:
            return round(time.monotonic() - started, 2)
        time.sleep(0.05)
    return None


def summarise(loop_answers):
    statuses = Counter("no answer" if s is None else str(s) for s, *_ in loop_answers)
    return {"answers": len(loop_answers), "statuses": dict(statuses),
            "ok": sum(1 for s, *_ in loop_answers if s == 200),
            "slowest_ms": round(1000 * max((t for _, t, *_ in loop_answers), default=0)),
            "builtin_pages": sum(1 for _, _, b, _ in loop_answers if b)}


def one_flood(cli, names, path, connections, seconds, capacity):
    before = instance_pids(cli, names)
    visitor = Loop(VISITOR, "/", VISITOR_INTERVAL, VISITOR_TIMEOUT)
    samplers = [Loop(FLOODER, path, 0, 10.0) for _ in range(SAMPLERS)]
    log(f"  {connections:,} connections on {path} for {seconds} s")
    visitor.start()
    for sampler in samplers:
        sampler.start()
    try:
        figures = flood(SITE + path, connections, seconds)
    finally:
        for sampler in samplers:
            sampler.stop()
    recovered = first_normal_answer(path)
    visitor.stop()
    sampled = [a for sampler in samplers for a in sampler.answers]
    admitted = [a for a in sampled if a[0] is not None and 200 <= a[0] < 400]
    shed = [a for a in sampled if a[0] is None or not 200 <= a[0] < 400]
    wait_until(lambda: all(pid for pid in instance_pids(cli, names).values()), 60, interval=1)
    for name in names:
        try:
            cli.wait(name, "healthy", timeout=60)
        except RuntimeError as error:
            log(f"  {name}: {error}")
    after = instance_pids(cli, names)
    result = {
        "path": path, "connections": connections, "wrk": figures,
        "goodput_of_capacity_percent": round(100 * figures["goodput"] / capacity) if capacity else None,
        "visitor": summarise(visitor.answers),
        "sampled": {"answers": len(sampled), "admitted": len(admitted), "admitted_p99_ms": p99([a[1] for a in admitted]),
                    "shed_statuses": dict(Counter("no answer" if a[0] is None else str(a[0]) for a in shed)),
                    "shed_with_retry_after": sum(1 for a in shed if a[3]), "shed_p99_ms": p99([a[1] for a in shed]),
                    "builtin_pages": sum(1 for a in sampled if a[2])},
        "instances_restarted": sorted(name for name in names if before.get(name) != after.get(name)),
        "recovered_s": recovered,
    }
    v = result["visitor"]
    log(f"    visitor {v['ok']}/{v['answers']} answered 200 (slowest {v['slowest_ms']} ms); goodput {figures['goodput']:,} req/s "
        f"({result['goodput_of_capacity_percent']} % of capacity); restarted: {', '.join(result['instances_restarted']) or 'none'}; "
        f"built-in pages {figures['builtin_pages']}; normal again after {recovered} s")
    return result


def measure(cli, names, seconds, floods, paths):
    """The capacity on each path, then every flood; the figures."""
    raise_file_limit(max(floods))
    capacity = {}
    for path in paths:
        flood(SITE + path, CAPACITY_CONNECTIONS, 5)  # warm-up: the JIT's tiers and the pools, not measured
        figures = flood(SITE + path, CAPACITY_CONNECTIONS, CAPACITY_SECONDS)
        capacity[path] = figures
        log(f"capacity of {path} at {CAPACITY_CONNECTIONS} connections: {figures['goodput']:,} req/s 2xx/3xx, p99 {figures['p99_ms']} ms")
    results = []
    for path in paths:
        for connections in floods:
            results.append(one_flood(cli, names, path, connections, seconds, capacity[path]["goodput"]))
            time.sleep(3)  # the flood's sockets closed on both sides before the next one opens more
    return {"capacity": capacity, "floods": results}


def counts(mapping):
    return ", ".join(f"{k} ×{v:,}" for k, v in mapping.items()) or "—"


def print_table(results):
    mode = results["mode"]
    limits = "" if results.get("client_limits", True) else ", nginx's per-client limits lifted"
    print(f"\n## {mode}: overload{limits} ({results['flood_seconds']} s floods from {FLOODER}; a visitor from {VISITOR} loads / every "
          f"{VISITOR_INTERVAL} s, {VISITOR_TIMEOUT:.0f} s time-out)")
    for path, c in results["overload"]["capacity"].items():
        print(f"- capacity of {path}, {CAPACITY_CONNECTIONS} connections, {CAPACITY_SECONDS} s: {c['goodput']:,} req/s "
              f"answered 2xx/3xx, p99 {c['p99_ms']} ms, statuses {counts(c['statuses'])}")
    header = ["flood", "visitor: 200 / loads", "visitor: answers", "visitor slowest ms", "goodput req/s (of capacity)",
              "flood's answers (wrk)", "socket errors", "admitted p99 ms (sampled)", "shed got (sampled)", "shed p99 ms",
              "shed with Retry-After", "nginx built-in pages", "instances restarted", "normal again after s",
              "wrk's CPU of the machine's busy cores"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for f in results["overload"]["floods"]:
        w, v, s = f["wrk"], f["visitor"], f["sampled"]
        sockets = {k: n for k, n in w["errors_by_kind"].items() if k != "non-2xx/3xx answers"}
        row = [f"{f['connections']:,} on {f['path']}", f"{v['ok']} / {v['answers']}", counts(v["statuses"]), f"{v['slowest_ms']:,}",
               f"{w['goodput']:,} ({f['goodput_of_capacity_percent']} %)", counts(w["statuses"]), counts(sockets),
               s["admitted_p99_ms"] if s["admitted_p99_ms"] is not None else "—", counts(s["shed_statuses"]),
               s["shed_p99_ms"] if s["shed_p99_ms"] is not None else "—", f"{s['shed_with_retry_after']} / {sum(s['shed_statuses'].values())}",
               w["builtin_pages"] + v["builtin_pages"] + s["builtin_pages"], ", ".join(f["instances_restarted"]) or "0",
               f["recovered_s"] if f["recovered_s"] is not None else "not within 60",
               f"{w['wrk_cores']} of {w['machine_busy_cores']} (of {w['machine_cores']})" if "wrk_cores" in w else "—"]
        print("| " + " | ".join(str(cell) for cell in row) + " |")
