"""A whole machine lost under load, on the high-availability swarm (issue 19): the worker that holds the site's floating
address (and so a front door, a web task and a database node) is killed, as a power cut would; the site runs on two
nodes; the worker is revived and rejoins; then another worker is drained and let back, and a new build of the app is
rolled out across the nodes. A steady load of reads and posts goes to the floating address throughout, every request
recorded; at the end every acknowledged post is looked for in the database, once. Prints a table and writes the
figures as JSON, every request as CSV beside them.

    scripts/swarm.sh up --nodes 3 --ha --https-port P         (prints the site's floating address)
    FOOBAR_SITE=https://<floating address>:P python3 scripts/swarm/node_loss.py [--stack foobar] [--output FILE]
"""
import argparse
import ipaddress
import json
import sys
import time
from collections import Counter
from pathlib import Path

repo = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(repo / "scripts" / "lib"))
import steady_load  # noqa: E402
from drain import SETTLE_S, maintenance, phase_summary, swarm, web_tasks_by_node  # noqa: E402
from site_http import SITE, get  # noqa: E402
from stack import machine, run  # noqa: E402
from steady_load import SteadyLoad  # noqa: E402
from waiting import wait_until  # noqa: E402

KILLED_S = 30     # the kill phase: the address moves, Swarm declares the node down and moves its web task
TWO_NODES_S = 20  # the site on the two nodes left
FAILOVER_TARGET_S = 3
NODES_NETWORK = "foobar-swarm-nodes"  # scripts/swarm/nodes.sh


def floating_address():
    host = SITE.split("//", 1)[1].split(":", 1)[0]
    ipaddress.ip_address(host)  # the address itself, not a name: the run says which node holds it
    return host


def holder(address):
    """The node that holds the floating address now: this host (the manager) or the worker whose MAC the host's
    neighbour table has for it."""
    if run("ip", "-o", "addr", "show", "to", address).strip():
        return "manager"
    # A request makes the host ask who has the address now, if its neighbour entry is stale or gone.
    get(f"{SITE}/nginx/health", timeout=1.0)
    neighbour = run("ip", "neigh", "show", address).split()
    mac = neighbour[neighbour.index("lladdr") + 1] if "lladdr" in neighbour else None
    for name in run("docker", "ps", "--filter", "name=foobar-node-", "--format", "{{.Names}}").split():
        if mac and run("docker", "inspect", "-f", "{{(index .NetworkSettings.Networks \"" + NODES_NETWORK + "\").MacAddress}}", name).strip() == mac:
            return name
    return None


def stored_posts(stack, marker):
    """title -> how many rows, for the posts titled "{marker} #n", read on the manager's database node."""
    container = run("docker", "ps", "-q", "--filter", f"label=com.docker.swarm.service.name={stack}_mysql-1").split()[0]
    script = ('MYSQL_PWD=$(cat "$MYSQL_ROOT_PASSWORD_FILE") && export MYSQL_PWD && '
              'exec mariadb --protocol=socket --user=root --batch --skip-column-names --database="$MYSQL_DATABASE" -e "$1"')
    hex_marker = marker.encode().hex().upper()
    rows = run("docker", "exec", container, "sh", "-c", script, "query",
               f"SELECT id, title FROM posts WHERE HEX(title) LIKE '{hex_marker}%' ORDER BY id")
    return [tuple(line.split("\t", 1)) for line in rows.splitlines() if line.strip()]


def longest_silence(load, start, end):
    """The longest stretch in [start, end) with no successful answer: how long visitors saw the site gone."""
    answers = sorted(r.t + r.ms / 1000 for r in load.records if r.succeeded and start <= r.t + r.ms / 1000 < end)
    edges = [start, *answers, end]
    return round(max(b - a for a, b in zip(edges, edges[1:])), 2)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", default="foobar")
    parser.add_argument("--rate", type=float, default=30, help="requests a second to the floating address (default 30)")
    parser.add_argument("--output", type=Path, default=repo / "TestResults" / "swarm" / "node-loss.json")
    args = parser.parse_args()

    address = floating_address()
    workers = sorted(run("docker", "ps", "--filter", "name=foobar-node-", "--format", "{{.Names}}").split())
    if len(workers) < 2:
        sys.exit("this needs two simulated workers or more: scripts/swarm.sh up --nodes 3 --ha")
    held = holder(address)
    if held == "manager":
        # The manager is this machine, which the run cannot kill: its keepalived is stopped, giving the address up (Swarm
        # starts it again, and with nopreempt it does not take the address back), so a worker holds it before the load.
        keepalived = run("docker", "ps", "-q", "--filter", f"label=com.docker.swarm.service.name={args.stack}_floating-address").split()
        run("docker", "stop", *keepalived)
        if not wait_until(lambda: holder(address) in workers, 30, interval=0.2):
            sys.exit(f"{address} did not move to a worker within 30 s")
        print(f"[node-loss] {address} moved from the manager to {holder(address)}")
        held = holder(address)
    victim = held if held in workers else workers[-1]
    other = next(w for w in workers if w != victim)
    print(f"[node-loss] {address} is held by {held}; killing {victim}, then draining {other}, under {args.rate:g} requests/s")

    steady_load.build()
    marker = f"node loss {int(time.time())}"
    load = SteadyLoad(rate=args.rate, connections=8, post_marker=marker, max_seconds=900,
                      records_csv=args.output.with_suffix(".requests.csv"))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    load.start()
    marks, timings, placements, holders = {"steady": 0.0}, {}, {"before": web_tasks_by_node(args.stack)}, {"before": held}
    try:
        time.sleep(SETTLE_S)
        marks["killed"] = load.now()
        timings["kill_s"], _ = swarm("kill", victim)
        # The address has a new holder once the host's neighbour entry (or the host itself) says so.
        moved = wait_until(lambda: holder(address) not in (victim, None), 30, interval=0.1)
        timings["address_moved_s"] = round(load.now() - marks["killed"], 2) if moved else None
        holders["after_kill"] = holder(address)
        time.sleep(max(0.0, marks["killed"] + KILLED_S - load.now()))
        marks["two nodes"] = load.now()
        placements["two_nodes"] = web_tasks_by_node(args.stack)
        time.sleep(TWO_NODES_S)
        marks["revived"] = load.now()
        timings["revive_s"], _ = swarm("revive", victim)
        holders["after_revive"] = holder(address)
        time.sleep(SETTLE_S)
        maintenance(load, args.stack, other, marks, timings, placements)
    finally:
        load.stop()

    names = list(marks)
    phases = []
    for name, following in zip(names, names[1:]):
        phase = phase_summary(load, name, marks[name], marks[following])
        phase["longest_silence_s"] = longest_silence(load, marks[name], marks[following])
        phases.append(phase)
    kill = marks["killed"]
    failed_after_kill = [r for r in load.records if not r.succeeded and r.t + r.ms / 1000 >= kill and r.t < marks["two nodes"]]
    # In flight: sent before the kill; within the failover: sent in the target's seconds after it; later: neither.
    kill_failures = {"in_flight": sum(r.t < kill for r in failed_after_kill),
                     "within_failover": sum(kill <= r.t < kill + FAILOVER_TARGET_S for r in failed_after_kill),
                     "later": sum(r.t >= kill + FAILOVER_TARGET_S for r in failed_after_kill)}

    acknowledged = {p["id"] for p in load.posts if p["outcome"] == "acknowledged"}
    rows = stored_posts(args.stack, marker)
    stored_ids = {post_id for post_id, _ in rows}
    titles = Counter(title for _, title in rows)
    posts = {"outcomes": dict(Counter(p["outcome"] for p in load.posts)),
             "acknowledged_lost": sorted(acknowledged - stored_ids), "stored_twice": sorted(t for t, n in titles.items() if n > 1),
             "stored": len(rows)}
    result = {"machine": machine(), "address": address, "killed": victim, "drained": other, "rate": args.rate,
              "timings_s": timings, "address_holder": holders, "web_tasks_by_node": placements, "phases": phases,
              "kill_failures": kill_failures, "posts": posts, "skipped": load.skipped}
    args.output.write_text(json.dumps(result, indent=1) + "\n")

    print(f"{'phase':<10} {'seconds':>8} {'requests':>9} {'failed':>7} {'silence s':>10}  by status")
    for phase in phases:
        print(f"{phase['phase']:<10} {phase['to_s'] - phase['from_s']:>8.1f} {phase['requests']:>9} {phase['failed']:>7}"
              f" {phase['longest_silence_s']:>10.2f}  {phase['failed_by_status'] or ''}")
    print(f"[node-loss] {timings}; address held by {holders}; kill's failures {kill_failures}")
    print(f"[node-loss] posts: {posts['outcomes']}, {posts['stored']} stored, acknowledged but lost: {posts['acknowledged_lost']},"
          f" stored twice: {posts['stored_twice']}; skipped: {load.skipped}")
    print(f"[node-loss] web tasks by node: {placements}")
    print(f"[node-loss] figures in {args.output}, every request in {load.records_csv}")


if __name__ == "__main__":
    main()
