"""Maintenance on a swarm of several nodes, under a steady visitor load: drains the worker that runs the most web
tasks (Swarm moves them to the other nodes), lets it take tasks again, then rolls out a new build of the app across
the nodes (scripts/swarm.sh update). Every request is recorded; prints what visitors saw in each phase and writes
the figures as JSON, every request as CSV beside them.

    scripts/swarm.sh up --nodes 3 --https-port P
    FOOBAR_SITE=https://127.0.0.1:P python3 scripts/swarm/drain.py [--stack foobar] [--output FILE]
"""
import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

repo = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(repo / "scripts" / "lib"))
import steady_load  # noqa: E402
from site_http import SITE  # noqa: E402
from stack import machine, run  # noqa: E402
from steady_load import SteadyLoad  # noqa: E402

SETTLE_S = 15  # steady load before the first phase and after each


def swarm(*arguments):
    """Runs scripts/swarm.sh; returns (seconds taken, its output)."""
    started = time.monotonic()
    done = subprocess.run([str(repo / "scripts" / "swarm.sh"), *arguments], capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        sys.exit(f"scripts/swarm.sh {' '.join(arguments)} failed:\n{done.stdout}{done.stderr}")
    return round(time.monotonic() - started, 1), done.stdout


def web_tasks_by_node(stack):
    names = run("docker", "service", "ps", f"{stack}_web", "--filter", "desired-state=running", "--format", "{{.Node}}").split()
    return dict(Counter(names))


def maintenance(load, stack, node, marks, timings, placements):
    """The maintenance phases, each followed by steady load: `node` drained, let take tasks again, and a new build of
    the app rolled out across the nodes; marks each phase's start on the load's clock, ends with the mark "end"."""
    for name, arguments in (("drain", ("drain", node)), ("activate", ("activate", node)), ("update", ("update", "--stack", stack))):
        marks[name] = load.now()
        timings[f"{name}_s"], _ = swarm(*arguments)
        if name != "activate":
            placements[f"after_{name}"] = web_tasks_by_node(stack)
        time.sleep(SETTLE_S)
    marks["end"] = load.now()


def phase_summary(load, name, start, end):
    records = [r for r in load.records if start <= r.t < end]
    failed = [r for r in records if not r.succeeded]
    return {"phase": name, "from_s": round(start, 1), "to_s": round(end, 1), "requests": len(records),
            "failed": len(failed), "failed_by_status": dict(Counter(str(r.status) for r in failed))}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", default="foobar")
    parser.add_argument("--rate", type=float, default=30, help="requests a second through nginx (default 30)")
    parser.add_argument("--output", type=Path, default=repo / "TestResults" / "swarm" / "drain.json")
    args = parser.parse_args()

    before = web_tasks_by_node(args.stack)
    workers = {node: count for node, count in before.items() if node.startswith("foobar-node-")}
    if not workers:
        sys.exit(f"no web task runs on a simulated worker ({before}): deploy with scripts/swarm.sh up --nodes 3")
    node = max(workers, key=workers.get)
    print(f"[drain] web tasks by node: {before}; draining {node} under {args.rate:g} requests/s through {SITE}")

    steady_load.build()
    load = SteadyLoad(rate=args.rate, connections=8, post_marker=f"drain {int(time.time())}", max_seconds=600,
                      records_csv=args.output.with_suffix(".requests.csv"))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    load.start()
    marks, timings, placements = {"start": 0.0}, {}, {"before": before}
    try:
        time.sleep(SETTLE_S)
        maintenance(load, args.stack, node, marks, timings, placements)
    finally:
        load.stop()

    names = list(marks)
    phases = [phase_summary(load, name, marks[name], marks[following]) for name, following in zip(names, names[1:])]
    posts = Counter(p["outcome"] for p in load.posts)
    result = {"machine": machine(), "node": node, "rate": args.rate, "timings_s": timings, "web_tasks_by_node": placements,
              "phases": phases, "posts": dict(posts), "skipped": load.skipped}
    args.output.write_text(json.dumps(result, indent=1) + "\n")

    print(f"{'phase':<10} {'seconds':>8} {'requests':>9} {'failed':>7}  by status")
    for phase in phases:
        print(f"{phase['phase']:<10} {phase['to_s'] - phase['from_s']:>8.1f} {phase['requests']:>9} {phase['failed']:>7}  {phase['failed_by_status'] or ''}")
    print(f"[drain] {timings}; web tasks by node: {placements}; posts: {dict(posts)}; skipped: {load.skipped}")
    print(f"[drain] figures in {args.output}, every request in {load.records_csv}")


if __name__ == "__main__":
    main()
