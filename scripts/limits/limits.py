#!/usr/bin/env python3
"""FooBar's known limits, measured in one run: single points of failure, maintenance, scale.

Starts the stack (one app instance, or --web-instances N, or --ha: two front doors, three app instances and, once the
AppHost has them, three MySQL nodes), sends a steady mixed load through nginx (FooBar.Load, the tests' load too) and,
while it runs, stops each part for a while and starts it again, then deploys a new build of the app, reloads nginx
with a changed configuration and restarts nginx and MySQL, all through the Aspire CLI as a person would through the
dashboard. Then it steps up the clients on /fortunes with wrk. It prints one table per part and writes the figures
as JSON, and every request of the steady load as CSV, to TestResults/limits/. scripts/limits.sh sets the machine up
and builds first. All traffic goes to 127.0.0.1; every loop is bounded in time.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
import wrk  # noqa: E402  (scripts/lib: what bench and limits share)
from aspire_cli import AspireCli, HealthWatch  # noqa: E402
from site_http import SITE, get  # noqa: E402
from stack import CLK_TCK, REPO, UNLIMITED_CLIENT, Stack, commit, containers, cpu_by_group, machine, machine_busy_ticks, memory_by_group, processes, run  # noqa: E402
from stack import log as stack_log  # noqa: E402
import overload  # noqa: E402  (scripts/limits/overload.py: --overload)
import steady_load  # noqa: E402
from steady_load import SteadyLoad  # noqa: E402
from waiting import wait_until  # noqa: E402

TEMPLATE = REPO / "nginx/templates/default.conf.template"
RECIPE_REVISION = REPO / "nginx/limits-revision.txt"  # a file no layer copies: a changed recipe, a new image tag
RENDERED = "/etc/nginx/conf.d/default.conf"  # where nginx's entrypoint renders the template (nginx/docker-entrypoint.sh)
PROBES = ("/", "/fortunes", "/css/site.css")
STEPS = (1, 4, 16, 64, 256)
# Seconds: (the real run, --quick for development).
TIMING = {
    "baseline": (10, 3),  # the steady load alone, before anything is stopped
    "stopped": (10, 3),   # how long a part stays stopped
    "settle": (5, 2),     # after everything answers again, before the next phase
    "step": (8, 3),       # each scale step
}


def log(message):
    stack_log("limits", message)


def topology(resources):
    """(front doors, app instances, MySQL cluster nodes) as the running AppHost describes them: its model owns the
    counts and names (nginx-1 ..., web or web-1 ..., mysql-1 ...), so none are repeated here."""
    def numbered(prefix):
        return sorted((r for r in resources if re.fullmatch(rf"{prefix}-\d+", r)), key=lambda r: int(r.rsplit("-", 1)[1]))
    return numbered("nginx"), numbered("web") or [r for r in ("web",) if r in resources], numbered("mysql")


def mode_of(doors, names):
    return f"ha-{len(names)}" if doors else "single" if len(names) == 1 else f"redundant-{len(names)}"


def stack_args(args):
    """scripts/run.sh's arguments: only what was asked for, the AppHost's defaults otherwise."""
    return (["--production"] if args.profile == "production" else []) + (["--ha"] if args.ha else []) \
        + (["--web-instances", str(args.web_instances)] if args.web_instances else [])


def door_container(stack, door):
    """A front door's running container, as the stack's own front-door.sh named it (NginxFrontDoorResource.ContainerName)."""
    running = stack.door_containers()
    if door not in running:
        raise RuntimeError(f"{door} has no container running (the stack's doors: {running})")
    return running[door]


def container_id(name):
    return run("docker", "inspect", "--format", "{{.Id}}", name, check=False).strip()


def stack_container(stack, resource):
    """The running container of one of the stack's container resources (DCP names it <resource>-<suffix>)."""
    members = stack.members(processes())
    for name, creator in containers().values():
        if creator in members and re.fullmatch(rf"{re.escape(resource)}-[a-z0-9]+", name):
            return name
    raise RuntimeError(f"the stack has no {resource} container running")

# ---- the new build -------------------------------------------------------------------------------

def stage_build(configuration, folder, revision):
    """Builds FooBar.Web into `folder` as a new assembly (its SourceRevisionId changed), before the stack starts,
    so that building costs the measured window nothing."""
    started = time.monotonic()
    log(f"building the new version of FooBar.Web ({configuration}, SourceRevisionId={revision}) into {folder.relative_to(REPO)}")
    subprocess.run(["dotnet", "build", str(REPO / "FooBar.Web"), "-c", configuration, f"-p:SourceRevisionId={revision}",
                    "-o", str(folder), "-v", "quiet", "-nologo", "-clp:ErrorsOnly"], check=True, timeout=600,
                   stdout=subprocess.DEVNULL)
    log(f"built in {time.monotonic() - started:.0f} s")


def install(staging, target):
    """Puts every file of the new build that differs into the app's folder, each by rename: a running instance keeps
    the file it mapped (FooBar.Web.dll is mapped shared, so writing it in place would change it under the running
    app), and what starts next maps the new one."""
    replaced = []
    for source in sorted(staging.rglob("*")):
        destination = target / source.relative_to(staging)
        if source.is_file() and destination.is_file() and source.read_bytes() != destination.read_bytes():
            temporary = destination.with_name(destination.name + ".limits-new")
            shutil.copy2(source, temporary)
            os.replace(temporary, destination)
            replaced.append(str(source.relative_to(staging)))
    return replaced


def instances_running(stack, dll):
    """(web processes that mapped this very FooBar.Web.dll, all web processes)."""
    inode, pids, new = str(dll.stat().st_ino), stack.pids("web"), 0
    for pid in pids:
        try:
            maps = Path(f"/proc/{pid}/maps").read_text().splitlines()
        except OSError:
            continue
        new += any(line.endswith("/" + dll.name) and line.split()[4] == inode for line in maps)
    return new, len(pids)


# ---- phases under the steady load ----------------------------------------------------------------

class Phase:
    """Something done to the stack under the steady load, with the moments it went through on the load's clock."""

    def __init__(self, load, part, name, action, since):
        self.load, self.part, self.name = load, part, name
        self.action, self.since = action, since  # the marks failures and recovery are counted from
        self.marks = {}
        self.notes = []
        self.health = []  # what the dashboard said of the groups meanwhile (HealthWatch's changes)
        self.mark("begin")

    def mark(self, name):
        self.marks[name] = round(self.load.now(), 3)


class Limits:
    def __init__(self, args, stack, cli, load, timing, names, doors=(), health=None):
        self.args, self.stack, self.cli, self.load, self.timing = args, stack, cli, load, timing
        self.health = health
        self.names = names  # the app's instances
        self.doors = list(doors)  # high availability's front doors (nginx-1, nginx-2); none otherwise
        self.new_images = set()  # the upgraded doors' image tags, removed once the stack has stopped
        self.phases = []

    def settle(self, phase):
        """Until the pages and the static file answer 200 again (60 s at most), then `settle` seconds more, so that
        the phase's window holds the stragglers."""
        wait_until(lambda: all(get(SITE + path, timeout=2)[0] == 200 for path in PROBES), 60)
        phase.mark("answering")
        time.sleep(self.timing["settle"])
        phase.mark("end")

    def attempt(self, phase, steps, recover):
        """Runs the phase's steps; on a failure, records it, brings the parts back with `recover` and settles."""
        try:
            steps()
        except Exception as error:  # noqa: BLE001  (the run goes on, the phase says what went wrong)
            phase.notes.append(f"failed: {error}")
            log(f"  {phase.name}: {error}")
            try:
                recover()
            except Exception as again:  # noqa: BLE001
                phase.notes.append(f"recovering failed: {again}")
        self.settle(phase)
        if self.health:
            phase.health = self.health.between(phase.marks["begin"], phase.marks["end"])
        self.phases.append(phase)
        log(f"  {phase.name}: done in {phase.marks['end'] - phase.marks['begin']:.0f} s")

    def wait_healthy(self, resources):
        for resource in resources:
            self.cli.wait(resource, "healthy")

    def baseline(self):
        phase = Phase(self.load, "baseline", "the steady load alone", "begin", "begin")
        time.sleep(self.timing["baseline"])
        phase.mark("end")
        self.phases.append(phase)

    def outage(self, resource):
        """A single point of failure: the resource stopped for `stopped` seconds, then started again."""
        phase = Phase(self.load, "spof", resource, "stop", "start")
        log(f"  {resource}: stop, {self.timing['stopped']} s, start")

        def steps():
            phase.mark("stop")
            self.cli.command(resource, "stop")
            phase.mark("stopped")
            time.sleep(self.timing["stopped"])
            phase.mark("start")
            self.cli.command(resource, "start")
            phase.mark("started")
            self.cli.wait(resource, "healthy")
            phase.mark("healthy")

        def recover():
            self.cli.command(resource, "start")
            self.cli.wait(resource, "healthy")

        self.attempt(phase, steps, recover)

    def deploy(self, staging, app_folder):
        """A new build: installed beside the running app, then the app restarted (single: its restart command;
        redundant: nginx's rolling-restart, one instance at a time)."""
        phase = Phase(self.load, "maintenance", "new build deployed", "restart", "restart")
        nginx = self.doors[0] if self.doors else "nginx"
        how = "web restart" if len(self.names) == 1 else f"{nginx} rolling-restart"
        log(f"  new build deployed ({how})")

        def steps():
            replaced = install(staging, app_folder)
            phase.notes.append(f"replaced {', '.join(replaced) or 'nothing (the build was the same)'}")
            phase.mark("restart")
            if len(self.names) == 1:
                self.cli.command("web", "restart")
            else:
                self.cli.command(nginx, "rolling-restart", timeout=600)
            phase.mark("restarted")
            self.wait_healthy(self.names)
            phase.mark("healthy")
            new, total = instances_running(self.stack, app_folder / "FooBar.Web.dll")
            phase.notes.append(f"{new} of {total} instance(s) run the new FooBar.Web.dll")
            if new != total:
                raise RuntimeError(f"only {new} of {total} instance(s) run the new build")

        self.attempt(phase, steps, lambda: self.wait_healthy(self.names))

    def reload(self, run_id):
        """nginx reloaded with a changed configuration: a comment naming this run appended to the site's template
        (bind-mounted into the container), rendered and loaded by reload-config (on each front door in turn with
        high availability), then the template restored. nginx starts new workers and retires the old ones on any
        reload, whatever changed."""
        which = "each front door" if self.doors else "nginx"
        phase = Phase(self.load, "maintenance", f"{which} reloaded, changed configuration", "reload", "reload")
        log(f"  {which} reload-config, changed configuration")
        original = TEMPLATE.read_bytes()
        marker = f"# changed by scripts/limits.sh, run {run_id}"
        targets = [(door, door_container(self.stack, door)) for door in self.doors or ["nginx"]]

        def steps():
            TEMPLATE.write_bytes(original + f"\n{marker}\n".encode())
            try:
                phase.mark("reload")
                for resource, _ in targets:
                    self.cli.command(resource, "reload-config")
                phase.mark("reloaded")
            finally:
                TEMPLATE.write_bytes(original)
            for resource, container in targets:
                loaded = run("docker", "exec", container, "grep", "-c", marker, RENDERED,
                             check=False).strip()
                phase.notes.append(f"{resource}'s rendered configuration has the change: {'yes' if loaded == '1' else 'NO'}")

        self.attempt(phase, steps, lambda: TEMPLATE.write_bytes(original))

    def upgrade_doors(self, run_id):
        """The front doors upgraded to a new image one at a time: a file added to nginx's recipe (a new image tag,
        built from the layer cache), then nginx-1's rolling-restart-doors, which restarts each door once the others
        are healthy; the file is removed again (the doors' next start goes back to the recipe's own tag)."""
        phase = Phase(self.load, "maintenance", "front doors upgraded one at a time (new image)", "restart", "restart")
        log("  front doors upgraded, rolling-restart-doors")
        before = {door: run("docker", "inspect", "--format", "{{.Config.Image}}", door_container(self.stack, door), check=False).strip()
                  for door in self.doors}

        def steps():
            RECIPE_REVISION.write_text(f"scripts/limits.sh, run {run_id}\n")
            try:
                phase.mark("restart")
                self.cli.command(self.doors[0], "rolling-restart-doors", timeout=600)
                phase.mark("restarted")
                self.wait_healthy(self.doors)
                phase.mark("healthy")
            finally:
                RECIPE_REVISION.unlink(missing_ok=True)
            after = {door: run("docker", "inspect", "--format", "{{.Config.Image}}", door_container(self.stack, door), check=False).strip()
                     for door in self.doors}
            self.new_images |= set(after.values()) - set(before.values()) - {""}
            upgraded = [door for door in self.doors if after[door] != before[door]]
            phase.notes.append(f"{len(upgraded)} of {len(self.doors)} doors run the new image ({', '.join(sorted(set(after.values())))})")
            if len(upgraded) != len(self.doors):
                raise RuntimeError(f"only {len(upgraded)} of {len(self.doors)} doors run the new image")

        self.attempt(phase, steps, lambda: (RECIPE_REVISION.unlink(missing_ok=True), self.wait_healthy(self.doors)))

    def killed(self, resource, container_of, start=False):
        """SIGKILL to a resource's container (docker kill), as a crash or a power cut: a front door is started again by
        the AppHost's supervision; a MySQL node (start=True) by the start command, as a person would."""
        phase = Phase(self.load, "spof", f"{resource} SIGKILLed", "stop", "start")
        log(f"  {resource}: docker kill" + (", start" if start else ", started again by the AppHost"))

        def steps():
            container = container_of(resource)
            old = container_id(container)
            phase.mark("stop")
            run("docker", "kill", container)
            phase.mark("stopped")
            if start:
                self.cli.wait(resource, "down", timeout=60)
                phase.mark("start")
                self.cli.command(resource, "start")
            else:
                phase.mark("start")  # supervision's: counted from the kill
            # The new container keeps the name (DCP's, or the door's own).
            wait_until(lambda: container_id(container) not in ("", old), 120)
            phase.mark("started")
            self.cli.wait(resource, "healthy")
            phase.mark("healthy")
            phase.notes.append(f"a new container, healthy {phase.marks['healthy'] - phase.marks['stop']:.1f} s after the kill")

        def recover():
            self.cli.command(resource, "start")
            self.cli.wait(resource, "healthy")

        self.attempt(phase, steps, recover)

    def hung(self, resource):
        """An app instance that stops answering (SIGSTOP), until its liveness probe ends it and supervision starts it again."""
        phase = Phase(self.load, "spof", f"{resource} hung (SIGSTOP)", "stop", "start")
        log(f"  {resource}: SIGSTOP, until its liveness probe ends it")
        pid = int(self.cli.resources()[resource]["properties"]["executable.pid"])
        before = set()

        def gone():
            try:
                return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] == "Z"
            except OSError:
                return True

        def steps():
            before.update(self.stack.pids("web"))
            phase.mark("stop")
            os.kill(pid, signal.SIGSTOP)
            phase.mark("stopped")
            if not wait_until(gone, 60):
                raise RuntimeError(f"the liveness probe did not end {resource} (pid {pid}) within 60 s")
            phase.mark("start")  # the probe ended it: supervision starts it again, a process that was not there before
            wait_until(lambda: set(self.stack.pids("web")) - before, 120)
            phase.mark("started")
            self.cli.wait(resource, "healthy")
            phase.mark("healthy")
            phase.notes.append(f"ended by its liveness probe {phase.marks['start'] - phase.marks['stop']:.1f} s after SIGSTOP, "
                               f"healthy again {phase.marks['healthy'] - phase.marks['stop']:.1f} s after it")

        def recover():
            if not gone():
                os.kill(pid, signal.SIGCONT)
            self.cli.wait(resource, "healthy")

        self.attempt(phase, steps, recover)

    def restart(self, resource, name):
        self.restart_in_turn([resource], name)

    def restart_in_turn(self, resources, name):
        """Each resource restarted, the next only once the one before is healthy again: a rolling reconfiguration or
        upgrade (MySQL's nodes), or a single resource's restart."""
        phase = Phase(self.load, "maintenance", name, "restart", "restart")
        log(f"  {name}")

        def steps():
            phase.mark("restart")
            for resource in resources:
                self.cli.command(resource, "restart")
                self.wait_healthy([resource])
            phase.mark("restarted")
            self.wait_healthy([*resources, *self.names])
            phase.mark("healthy")

        self.attempt(phase, steps, lambda: self.wait_healthy([*resources, *self.names]))


# ---- what the records say ------------------------------------------------------------------------

def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else None


def analyse(records, phase):
    """A phase's figures from the requests that started in its window."""
    begin, end = phase.marks["begin"], phase.marks["end"]
    window = [r for r in records if begin <= r.t < end]
    failed = [r for r in window if not r.succeeded]
    figures = {
        "part": phase.part, "name": phase.name, "marks_s": phase.marks, "notes": phase.notes,
        "requests": len(window), "failed": len(failed),
        "failed_by_status": dict(Counter(str(r.status) for r in failed).most_common()),
        "failed_by_kind": dict(Counter(r.kind for r in failed).most_common()),
        "sent_again": sum(r.retried for r in window),
        "p50_ms": percentile([r.ms for r in window], 0.5), "p99_ms": percentile([r.ms for r in window], 0.99),
        "longest_wait_ms": max((r.ms for r in window), default=None),
        "first_failure_s": None, "disruption_s": 0.0, "answered_again_s": None,
        # Each change of a group's health in the dashboard, in seconds from the action (the stop, the restart ...).
        "dashboard": [{"after_s": round(t - phase.marks.get(phase.action, begin), 1), "resource": name, "health": status,
                       "reasons": why} for t, name, status, why in phase.health],
        # How long the stop, or the maintenance action until all was healthy (or reloaded), took.
        "stop_took_s": round(phase.marks["stopped"] - phase.marks["stop"], 2) if "stopped" in phase.marks else None,
        "action_took_s": round(max(phase.marks.get("healthy", 0), phase.marks.get("reloaded", 0)) - phase.marks[phase.action], 2)
        if phase.action in phase.marks and ({"healthy", "reloaded"} & set(phase.marks)) else None,
    }
    if failed:
        first, last = min(r.t for r in failed), max(r.t for r in failed)
        later = [r.t for r in window if r.t > last]
        again = min(later) if later else end
        # Measured from the action (the stop, the restart ...): when visitors first saw it, how long they did.
        figures["first_failure_s"] = round(first - phase.marks.get(phase.action, begin), 2)
        figures["disruption_s"] = round(again - first, 2)
        # From the start command (or the action): seconds until every request answered again.
        figures["answered_again_s"] = round(again - phase.marks.get(phase.since, begin), 2) if later else None
    return figures


def check_posts(load):
    """Every post the site acknowledged (its redirect to /posts/{id}) read back at that address, and the listing
    searched for this run's posts, to find any stored without an acknowledgement or stored twice."""
    acknowledged = [p for p in load.posts if p["outcome"] == "acknowledged"]
    read_back = 0
    for post in acknowledged:
        status, page, _ = get(f"{SITE}/posts/{post['id']}", timeout=5)
        read_back += status == 200 and f">{load.post_marker} #{post['n']}<" in page
    pattern = re.compile(rf'<a href="/posts/(\d+)">{re.escape(load.post_marker)} #(\d+)</a>')
    stored = {}  # post n -> the ids it was stored under
    for number in range(1, len(load.posts) // 20 + 5):
        status, page, _ = get(f"{SITE}/posts?page={number}", timeout=5)
        found = pattern.findall(page) if status == 200 else []
        for post_id, n in found:
            stored.setdefault(int(n), set()).add(post_id)
        if not found and (stored or number > 3):
            break  # newest first: past this run's posts
    return {
        "attempted": len(load.posts),
        "form_not_loaded": sum(p["outcome"] == "no form" for p in load.posts),
        "acknowledged": len(acknowledged),
        "failed": sum(p["outcome"] == "failed" for p in load.posts),
        "failed_by_status": dict(Counter(str(p["status"]) for p in load.posts if p["outcome"] == "failed")),
        "stored": len(stored),
        "acknowledged_and_read_back": read_back,
        "acknowledged_but_missing": len(acknowledged) - read_back,
        "stored_without_acknowledgement": len(set(stored) - {p["n"] for p in acknowledged}),
        "stored_twice": sum(len(ids) > 1 for ids in stored.values()),
    }


# ---- scale ---------------------------------------------------------------------------------------

def scale(stack, seconds, doors=()):
    """wrk on /fortunes (it reads MySQL) at 1, 4 ... 256 connections: each a client that sends its next request
    as soon as it has the answer. The front doors' containers (run by their script, not by DCP) count as nginx."""
    doors = {door_container(stack, door): "nginx" for door in doors} or None
    url = f"{SITE}/fortunes"
    # With no load at all: what the idle stack uses, and what else on the machine does (another stack, a build).
    busy, before, started = machine_busy_ticks(), stack.snapshot(doors), time.monotonic()
    time.sleep(3)
    elapsed = time.monotonic() - started
    idle_stack = sum(cpu_by_group(before, stack.snapshot(doors), elapsed).values())
    idle_others = max(0, round(100 * (machine_busy_ticks() - busy) / CLK_TCK / elapsed) - idle_stack)
    wrk.run(stack, url, 2, 8, 2, extra_containers=doors)  # warm
    steps = []
    for clients in STEPS:
        busy, started = machine_busy_ticks(), time.monotonic()
        figures = wrk.run(stack, url, 2, clients, seconds, extra_containers=doors)
        figures["machine_cpu_percent"] = round(100 * (machine_busy_ticks() - busy) / CLK_TCK / (time.monotonic() - started))
        figures["clients"] = clients
        steps.append(figures)
        log(f"  {clients} clients: {figures['requests_per_second']:,.0f} req/s, p99 {figures['p99_ms']} ms, "
            f"{figures['errors']} errors")
    return {"url": url, "seconds_per_step": seconds, "idle_cpu_percent": {"stack": idle_stack, "others": idle_others},
            "steps": steps, "knee": knee(steps)}


def knee(steps):
    """The first step that no later one beats by 20 % or more (each step has 4 times the clients), and what was
    busiest there."""
    at = next(s for i, s in enumerate(steps)
              if all(later["requests_per_second"] < 1.2 * s["requests_per_second"] for later in steps[i + 1:]))
    if at is steps[-1]:
        return {"clients": None, "says": f"req/s still grew by 20 % or more up to {at['clients']} clients"}
    groups = {g: v for g, v in at["cpu_percent"].items() if g != "load (wrk)"}
    busiest = max(groups, key=groups.get)
    cores = os.cpu_count()
    machine_full = at["machine_cpu_percent"] >= 90 * cores
    return {
        "clients": at["clients"], "requests_per_second": at["requests_per_second"],
        "busiest_group": busiest, "busiest_cpu_percent": groups[busiest],
        "machine_cpu_percent": at["machine_cpu_percent"], "cores": cores,
        "says": (f"req/s stops growing after {at['clients']} clients ({at['requests_per_second']:,.0f} req/s): "
                 + (f"the machine's {cores} cores are {at['machine_cpu_percent'] / cores:.0f} % busy, "
                    if machine_full else f"the machine is {at['machine_cpu_percent'] / cores:.0f} % busy, ")
                 + f"the busiest group is {busiest} at {groups[busiest]} % of a core"),
    }


# ---- tables --------------------------------------------------------------------------------------

def counts(mapping):
    return ", ".join(f"{k} ×{v}" for k, v in mapping.items()) or "—"


def dashboard_said(phase):
    """The groups' health changes in a phase, in one cell: "web Degraded +0.4 s, Healthy +9.1 s"."""
    said = {}
    for change in phase.get("dashboard", []):
        said.setdefault(change["resource"], []).append(f"{change['health']} {change['after_s']:+.1f} s")
    return "; ".join(f"{name} {', '.join(changes)}" for name, changes in said.items()) or "-"


def seconds_or_dash(value):
    return "—" if value is None else f"{value:.1f}"


def table(header, rows):
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |")


def print_tables(results):
    mode = results["mode"]
    phases = results["phases"]
    if "idle_rss_mb" in results:
        print(f"\n## {mode}: idle memory (RSS) {results['idle_rss_total_mb']:,} MB: "
              + ", ".join(f"{group} {mb}" for group, mb in results["idle_rss_mb"].items()))
    print(f"\n## {mode}: single points of failure (each stopped {results['timing_s']['stopped']} s, then started"
          + ("; or killed, or hung" if mode.startswith("ha") else "") + ")")
    table(["stopped", "requests", "failed", "what visitors got", "failed by kind", "longest wait ms", "disrupted s",
           "all answer again, s after start", "stop took s", "the dashboard said"],
          [[p["name"], p["requests"], p["failed"], counts(p["failed_by_status"]), counts(p["failed_by_kind"]),
            f"{p['longest_wait_ms']:,.0f}", seconds_or_dash(p["disruption_s"]), seconds_or_dash(p["answered_again_s"]),
            seconds_or_dash(p["stop_took_s"]), dashboard_said(p)]
           for p in phases if p["part"] == "spof"])
    print(f"\n## {mode}: maintenance")
    table(["action", "requests", "failed", "what visitors got", "longest wait ms", "disrupted s", "action took s",
           "the dashboard said"],
          [[p["name"], p["requests"], p["failed"], counts(p["failed_by_status"]), f"{p['longest_wait_ms']:,.0f}",
            seconds_or_dash(p["disruption_s"]), seconds_or_dash(p["action_took_s"]), dashboard_said(p)]
           for p in phases if p["part"] == "maintenance"])
    for p in phases:
        for note in p["notes"]:
            print(f"- {p['name']}: {note}")
        for change in p.get("dashboard", []):
            if change["reasons"]:
                print(f"- {p['name']}: the dashboard said {change['resource']} {change['health']} "
                      f"{change['after_s']:+.1f} s: {change['reasons']}")
    posts = results.get("posts")
    if posts:
        print(f"- posts: {posts['attempted']} begun; the form did not load for {posts['form_not_loaded']}; "
              f"{posts['acknowledged'] + posts['failed']} sent: {posts['acknowledged']} acknowledged "
              f"({posts['acknowledged_and_read_back']} of them read back), {posts['failed']} not "
              f"({counts(posts['failed_by_status'])}); {posts['stored']} stored, "
              f"{posts['stored_without_acknowledgement']} of them without an acknowledgement, {posts['stored_twice']} twice")
    steady = results.get("steady")
    if steady:
        base = next(p for p in phases if p["part"] == "baseline")
        print(f"- steady load: {steady['rate']} req/s from {steady['workers']} connections, {steady['requests']} requests "
              f"({steady['skipped']} skipped behind schedule, {steady['sent_again']} sent again on a new connection); "
              f"alone: p50 {base['p50_ms']} ms, p99 {base['p99_ms']} ms, {base['failed']} failed")
    scaled = results.get("scale")
    if scaled:
        print(f"\n## {mode}: scale, {scaled['url']} ({scaled['seconds_per_step']} s per step)")
        groups = sorted({g for s in scaled["steps"] for g in s["cpu_percent"]})
        table(["clients", "req/s", "p50 ms", "p99 ms", "errors"] + [f"{g} %cpu" for g in groups] + ["machine %cpu"],
              [[s["clients"], f"{s['requests_per_second']:,.0f}", f"{s['p50_ms']:.2f}", f"{s['p99_ms']:.2f}",
                f"{s['errors']} ({counts(s.get('errors_by_kind', {}))})" if s["errors"] else "0"]
               + [s["cpu_percent"].get(g, "") for g in groups] + [s["machine_cpu_percent"]] for s in scaled["steps"]])
        print(f"- knee: {scaled['knee']['says']}")
        idle = scaled["idle_cpu_percent"]
        print(f"- without load: the stack used {idle['stack']} % cpu (100 = one core), the rest of the machine {idle['others']} %"
              + (": something else was busy, so these figures are low" if idle["others"] > 20 else ""))


# ---- the run -------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--web-instances", type=int, default=None, metavar="N",
                        help="app instances: 1 (single-server) or N >= 2 (redundant mode, web-1 ... web-N); "
                             "the AppHost's default for the mode unless given")
    parser.add_argument("--ha", action="store_true",
                        help="high availability (scripts/run.sh --ha): front doors nginx-1 and nginx-2, web-1 ... web-N and, "
                             "where the AppHost has them, MySQL nodes mysql-1 ... mysql-3")
    parser.add_argument("--profile", choices=["production", "development"], default="production",
                        help="the stack's profile (scripts/run.sh); production by default, as a site runs")
    parser.add_argument("--parts", default="spof,maintenance,scale",
                        help="which parts to run, comma-separated (default: all three)")
    parser.add_argument("--rate", type=int, default=60, help="requests per second of the steady load (default 60)")
    parser.add_argument("--overload", action="store_true",
                        help="instead of the parts: the capacity at 64 connections, then floods of --floods connections on "
                             "each of --flood-paths from 127.0.0.1 while a visitor from 127.0.0.2 loads the home page "
                             "(scripts/limits/overload.py)")
    parser.add_argument("--floods", default="2000,10000", help="--overload: the floods' connections (default 2000,10000)")
    parser.add_argument("--flood-paths", default="/posts,/", help="--overload: the flooded paths (default /posts,/)")
    parser.add_argument("--flood-seconds", type=int, default=30, help="--overload: each flood's length (default 30 s)")
    parser.add_argument("--no-client-limits", action="store_true",
                        help="--overload: nginx's per-client limits lifted, so that the one flooding address is served as "
                             "many visitors would be (what admission control alone sheds)")
    parser.add_argument("--quick", action="store_true", help="short phases, for developing this script; not for figures")
    parser.add_argument("--out", default=str(REPO / "TestResults/limits"), help="folder for the figures")
    parser.add_argument("--print", metavar="JSON", help="print the tables of an earlier run's figures, and stop")
    args = parser.parse_args()
    if args.print:
        printed = json.loads(Path(args.print).read_text())
        (overload.print_table if "overload" in printed else print_tables)(printed)
        return
    parts = set(args.parts.split(","))
    if not parts <= {"spof", "maintenance", "scale"} or (args.web_instances is not None and args.web_instances < (2 if args.ha else 1)):
        parser.error("--parts takes spof, maintenance and scale; --web-instances is 1 or more (2 or more with --ha)")
    timing = {k: v[1] if args.quick else v[0] for k, v in TIMING.items()}

    began = time.monotonic()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    run_id = f"{stamp}-{os.getpid()}"
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    configuration = "Release" if args.profile == "production" else "Debug"
    results = {"machine": machine(), "commit": commit(),
               "profile": args.profile, "quick": args.quick, "run_id": run_id, "timing_s": timing,
               "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "phases": []}

    if args.overload:
        run_overload(args, out, stamp, results, began)
        return

    staging = out / f"build-{run_id}"
    if "maintenance" in parts:
        stage_build(configuration, staging, f"limits-{run_id}")
    if parts & {"spof", "maintenance"}:
        steady_load.build()

    run_args = stack_args(args)
    log(f"starting the stack (scripts/run.sh {' '.join(run_args)})")
    # Its steady load and scale steps come from one address: nginx's per-client limits are not what it measures.
    stack = Stack.start(run_args, out / f"stack-{run_id}.log", f"{SITE}/", env=UNLIMITED_CLIENT)
    log(f"the site answered after {stack.timeline['site / is 200']} s")
    results["site_dns"] = stack.site_dns
    cli = load = limits = health = None
    try:
        cli = AspireCli(stack.pid)
        resources = cli.resources()
        # High availability: the front doors, and the MySQL cluster once the AppHost has one (else its one server).
        doors, names, cluster = topology(resources)
        mode = mode_of(doors, names)
        results["mode"], results["web_instances"] = mode, len(names)
        nginx = doors or ["nginx"]
        databases = cluster or ["mysql"]
        missing = (["web"] if not names else []) + (["nginx"] if not doors and "nginx" not in resources else []) \
            + (["two front doors (nginx-1, nginx-2)"] if args.ha and len(doors) < 2 else [])
        commands = set(resources.get(nginx[0], {}).get("commands", {}))
        needed = {"reload-config"} | ({"rolling-restart"} if len(names) > 1 else set()) | ({"rolling-restart-doors"} if doors else set())
        if missing or not needed <= commands:
            raise SystemExit(f"this AppHost has resources {sorted(resources)} and {nginx[0]} commands {sorted(commands)}: "
                             f"{mode} mode needs {', '.join(missing + sorted(needed - commands))} as well")
        if args.ha and not cluster:
            log(f"note: this AppHost has no MySQL cluster (mysql-1 ...): its rows are skipped, and mysql is measured as the single server it is")
        results["front_doors"], results["mysql_nodes"] = doors, cluster
        app_folder = Path(resources[names[0]]["properties"]["executable.path"]).parent
        for name in (*databases, *names, *nginx):
            cli.wait(name, "healthy")
        for path in PROBES * 3:
            get(SITE + path)
        # What the idle stack holds, before any load: the cost of each mode, side by side.
        time.sleep(timing["settle"])
        results["idle_rss_mb"] = memory_by_group(stack.snapshot({door_container(stack, door): "nginx" for door in doors} or None), 2)
        results["idle_rss_total_mb"] = sum(results["idle_rss_mb"].values())

        if parts & {"spof", "maintenance"}:
            load = SteadyLoad(args.rate, connections=max(8, args.rate // 3), post_marker=f"limits {run_id}", max_seconds=1200,
                              records_csv=out / f"limits-{mode}-{stamp}-requests.csv")
            log(f"steady load: {args.rate} req/s through nginx")
            load.start()
            # The groups (web's instances, the front doors, the cluster) or, in the single mode, the parts themselves.
            health = HealthWatch(cli, [name for name in ("web", "nginx", "mysql") if name in resources], load.now)
            limits = Limits(args, stack, cli, load, timing, names, doors, health)
            try:
                limits.baseline()
                if "spof" in parts and not args.ha:
                    log("single points of failure")
                    for resource in ("nginx", *names, "mysql"):
                        limits.outage(resource)
                elif "spof" in parts:
                    log("single points of failure, high availability: each part stopped, killed or hung")
                    for door in doors:
                        limits.outage(door)
                    for door in doors:
                        limits.killed(door, lambda resource: door_container(stack, resource))
                    for name in names:
                        limits.outage(name)
                    for name in names:
                        limits.hung(name)
                    for resource in databases:
                        limits.outage(resource)
                    for node in cluster:
                        limits.killed(node, lambda resource: stack_container(stack, resource), start=True)
                if "maintenance" in parts:
                    log("maintenance")
                    limits.deploy(staging, app_folder)
                    limits.reload(run_id)
                    if doors:
                        limits.upgrade_doors(run_id)
                    else:
                        limits.restart("nginx", "nginx restarted")
                    if cluster:
                        limits.restart_in_turn(cluster, "MySQL nodes restarted one at a time (a rolling reconfiguration)")
                    else:
                        limits.restart("mysql", "MySQL restarted")
            finally:
                load.stop()
            results["phases"] = [analyse(load.records, phase) for phase in limits.phases]
            results["steady"] = {"rate": args.rate, "workers": load.connections, "requests": len(load.records),
                                 "skipped": load.skipped, "sent_again": sum(r.retried for r in load.records),
                                 "requests_csv": f"limits-{mode}-{stamp}-requests.csv"}
            log("reading back the posts")
            results["posts"] = check_posts(load)

        if "scale" in parts:
            log("scale: wrk on /fortunes, " + ", ".join(map(str, STEPS)) + " clients")
            results["scale"] = scale(stack, timing["step"], doors)
    finally:
        if health:
            health.close()
        if load:
            load.stop()
        if cli:
            cli.close()
        log("stopping the stack")
        stack.stop()
        shutil.rmtree(staging, ignore_errors=True)
        for image in limits.new_images if limits else ():
            run("docker", "image", "rm", image, check=False)

    results["duration_s"] = round(time.monotonic() - began)
    path = out / f"limits-{mode}-{stamp}.json"
    path.write_text(json.dumps(results, indent=2))
    print_tables(results)
    m = results["machine"]
    print(f"\nmachine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GiB; commit {results['commit']}; "
          f"{args.profile} profile; {'QUICK (development) timings; ' if args.quick else ''}run took {results['duration_s']} s")
    print(f"figures: {path}")


def run_overload(args, out, stamp, results, began):
    """--overload: the stack started in the mode asked for, the capacity measured, then flooded; one table."""
    floods = [int(n) for n in args.floods.split(",")]
    paths = args.flood_paths.split(",")
    run_args = stack_args(args)
    log(f"starting the stack (scripts/run.sh {' '.join(run_args)})")
    # Without the per-client limits the one flooding address is served as many visitors would be: what is left to
    # shed is the app's admission control and nginx's own sizing.
    results["client_limits"] = not args.no_client_limits
    stack = Stack.start(run_args, out / f"stack-{results['run_id']}.log", f"{SITE}/",
                        env=UNLIMITED_CLIENT if args.no_client_limits else None)
    cli = None
    try:
        cli = AspireCli(stack.pid)
        doors, names, _ = topology(cli.resources())
        results["mode"], results["web_instances"] = mode_of(doors, names), len(names)
        for name in names:
            cli.wait(name, "healthy")
        for path in PROBES * 3:
            get(SITE + path)
        results["flood_seconds"] = args.flood_seconds
        results["overload"] = overload.measure(cli, names, args.flood_seconds, floods, paths)
    finally:
        if cli:
            cli.close()
        log("stopping the stack")
        stack.stop()
    results["duration_s"] = round(time.monotonic() - began)
    path = out / f"overload-{results['mode']}{'' if results['client_limits'] else '-no-client-limits'}-{stamp}.json"
    path.write_text(json.dumps(results, indent=2))
    overload.print_table(results)
    m = results["machine"]
    print(f"\nmachine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GiB; commit {results['commit']}; {args.profile} profile; "
          f"{os.getloadavg()[0]:.1f} load average at the end (other work on the machine counts); run took {results['duration_s']} s")
    print(f"figures: {path}")


if __name__ == "__main__":
    main()
