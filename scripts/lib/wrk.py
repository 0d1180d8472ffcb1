"""wrk, the load generator: one run against one URL, with the CPU each of the stack's process groups used meanwhile."""
import os
import re
import resource
import subprocess
import time

from site_http import HOST
from stack import cpu_seconds_by_group


def seconds(text):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def parse(output):
    """req/s, requests, p50, p99 and errors (non-2xx/3xx answers and socket errors) from `wrk --latency` output."""
    def find(pattern, default=None):
        match = re.search(pattern, output, re.M)
        return match.group(1) if match else default

    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    kinds = {"non-2xx/3xx answers": int(find(r"Non-2xx or 3xx responses: (\d+)", "0"))}
    kinds.update(zip(("connect", "read", "write", "timeout"), map(int, socket_errors.groups())) if socket_errors else {})
    return {
        "requests_per_second": float(find(r"Requests/sec:\s+([\d.]+)", "0")),
        "requests": int(find(r"(\d+) requests in", "0")),
        "p50_ms": round(seconds(find(r"^\s+50%\s+(\S+)$", "0us")) * 1000, 2),
        "p99_ms": round(seconds(find(r"^\s+99%\s+(\S+)$", "0us")) * 1000, 2),
        "errors": sum(kinds.values()),
        "errors_by_kind": {kind: count for kind, count in kinds.items() if count},
    }


def run(stack, url, threads, connections, duration, script=None, env=None, extra_containers=None, headers=()):
    """Drives `url` for `duration` seconds (with `headers` beside Host); the figures, with `cpu_percent` per group
    (100 = one core) and `cpu_ms_per_request`, wrk's own as "load (wrk)"."""
    command = ["wrk", "--latency", "-t", str(min(threads, connections)), "-c", str(connections),
               "-d", f"{duration}s", "-H", f"Host: {HOST}"] + [a for h in headers for a in ("-H", h)] \
        + (["-s", str(script)] if script else []) + [url]
    before, load_before = stack.snapshot(extra_containers), resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    output = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **(env or {})},
                            timeout=duration + 30).stdout
    elapsed = time.monotonic() - started
    after, load_after = stack.snapshot(extra_containers), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds = cpu_seconds_by_group(before, after)
    cpu_seconds["load (wrk)"] = sum(getattr(load_after, f) - getattr(load_before, f) for f in ("ru_utime", "ru_stime"))
    figures = parse(output)
    return {"url": url, **figures, "cpu_percent": {group: round(100 * used / elapsed) for group, used in cpu_seconds.items()},
            # What each group spent on one request, in ms of CPU.
            "cpu_ms_per_request": {group: round(1000 * used / max(figures["requests"], 1), 4) for group, used in cpu_seconds.items()}}
