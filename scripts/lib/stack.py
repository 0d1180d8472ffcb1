"""One FooBar stack on this machine, for the scripts that measure it (bench, limits).

A stack is known by its AppHost's pid: scripts/run.sh execs the AppHost, so the process it starts in a session
of its own is the AppHost. From that pid come the stack's processes (the AppHost's session, the DCP processes
that watch it, what they started) and its containers, grouped for CPU and memory figures. Other stacks on the
machine, such as a test run's, are left out.
"""
import os
import re
import signal
import subprocess
import time
from pathlib import Path

from site_http import get, resolve_site
from waiting import wait_until

REPO = Path(__file__).resolve().parents[2]
CLK_TCK = os.sysconf("SC_CLK_TCK")


# nginx's per-client limits (FooBar:Nginx:Client*) for runs that load the site from one address on purpose (bench,
# limits' scale steps): far above what they send, so they measure the stack, not the limits. Connections: nginx's
# limit_conn takes at most 65535 (100000 stopped the door at its start).
UNLIMITED_CLIENT = {"FooBar__Nginx__ClientConnections": "65535", "FooBar__Nginx__ClientRate": "1000000",
                    "FooBar__Nginx__ClientBurst": "1000000"}


def log(prefix, message):
    print(f"[{prefix}] {message}", flush=True)


def run(*args, check=True):
    return subprocess.run(args, check=check, capture_output=True, text=True).stdout


def machine():
    """What the figures were measured on."""
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    return {"cores": os.cpu_count(), "cpu": cpu,
            "memory_gb": round(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30)}


def commit():
    return run("git", "-C", str(REPO), "rev-parse", "--short", "HEAD", check=False).strip()


def processes():
    """pid -> (ppid, sid, cmdline, cgroup, cpu ticks, rss kB, pss kB) for every readable process."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        base = f"/proc/{entry}"
        try:
            raw = Path(base, "cmdline").read_bytes().rstrip(b"\0").split(b"\0")
            cmdline = [part.decode(errors="replace") for part in raw if part]
            cgroup = Path(base, "cgroup").read_text()
            stat = Path(base, "stat").read_text()
            rollup = Path(base, "smaps_rollup").read_text() if cmdline else ""
        except OSError:
            continue  # gone meanwhile, or a kernel thread
        fields = stat[stat.rindex(")") + 2:].split()
        memory = dict((k, int(v)) for k, v in re.findall(r"^(Rss|Pss):\s+(\d+) kB", rollup, re.M))
        table[int(entry)] = (int(fields[1]), int(fields[3]), cmdline, cgroup,
                             int(fields[11]) + int(fields[12]), memory.get("Rss", 0), memory.get("Pss", 0))
    return table


# DCP labels each container it creates with the pid of its controllers' process, one of the stack's members.
CREATOR_LABEL = "com.microsoft.developer.usvc-dev.creatorProcessId"


def containers(all_states=False):
    """Full container id -> (name, the pid of the DCP process that created it, or 0)."""
    found = {}
    arguments = ["docker", "ps", "--no-trunc", "--format", '{{.ID}} {{.Label "' + CREATOR_LABEL + '"}} {{.Names}}']
    for line in run(*arguments + (["-a"] if all_states else [])).splitlines():
        if line.strip():
            cid, creator, name = line.split(" ", 2)
            found[cid] = (name, int(creator) if creator.isdigit() else 0)
    return found


def door_names(table, members):
    """nginx's front doors -> their containers: those the stack's own nginx/front-door.sh starts (docker run --name
    foobar-<door>-<the site's port>, NginxFrontDoorResource.ContainerName), not DCP."""
    names = {table[pid][2][table[pid][2].index("--name") + 1] for pid in members
             if table[pid][2][:1] and table[pid][2][0].rsplit("/", 1)[-1] == "docker" and table[pid][2][1:2] == ["run"]
             and "--name" in table[pid][2][:-1]}
    return {name.removeprefix("foobar-").rsplit("-", 1)[0]: name for name in names if name.startswith("foobar-")}


def cpu_seconds_by_group(before, after):
    """CPU seconds each group used between two snapshots."""
    usage = {}
    for pid, (group, ticks, *_rest) in after.items():
        previous = before.get(pid)
        usage[group] = usage.get(group, 0) + ticks - (previous[1] if previous else 0)
    return {group: ticks / CLK_TCK for group, ticks in sorted(usage.items())}


def cpu_by_group(before, after, seconds):
    """Percent of one core each group used between two snapshots."""
    return {group: round(100 * used / seconds) for group, used in cpu_seconds_by_group(before, after).items()}


def memory_by_group(snap, column):
    """MB per group; column 2 is RSS, 3 is PSS."""
    usage = {}
    for values in snap.values():
        usage[values[0]] = usage.get(values[0], 0) + values[column]
    return {group: round(kb / 1024) for group, kb in sorted(usage.items())}


class Stack:
    """A running stack, known by its AppHost's pid; `process` is set when this script started it."""

    def __init__(self, apphost_pid, process=None, log_path=None):
        self.pid = apphost_pid
        self.process = process
        self.log_path = log_path
        self.timeline = {}
        self.site_dns = None  # how the stack's DNS resolved the site's name (site_http.resolve_site)

    @classmethod
    def start(cls, run_args, log_path, ready_url, milestones=None, timeout=180, env=None):
        """Starts scripts/run.sh --no-build (already built) in a session of its own and returns once `ready_url`
        answers 200. `milestones` (name -> (url, statuses)) are timed on the way: `timeline` says after how many
        seconds each first answered, the ready URL as "site / is 200". `env` is added to the AppHost's environment
        (such as FooBar__Nginx__ClientRate)."""
        if get(ready_url, timeout=1.0)[0] is not None:
            raise SystemExit(f"{ready_url} answers already: another stack is running (scripts/run.sh?); stop it first")
        log_file = open(log_path, "w")
        started = time.monotonic()
        process = subprocess.Popen([str(REPO / "scripts/run.sh"), "--no-build", *run_args], stdout=log_file,
                                   stderr=subprocess.STDOUT, start_new_session=True, env={**os.environ, **(env or {})})
        stack = cls(process.pid, process, log_path)
        waiting = {**(milestones or {}), "site / is 200": (ready_url, (200,))}
        while "site / is 200" not in stack.timeline and time.monotonic() - started < timeout:
            if process.poll() is not None:
                break
            for name, (url, statuses) in waiting.items():
                if name not in stack.timeline and get(url, timeout=0.5)[0] in statuses:
                    stack.timeline[name] = round(time.monotonic() - started, 1)
            time.sleep(0.1)
        if "site / is 200" not in stack.timeline:
            stack.stop()
            raise SystemExit(f"the stack did not answer within {timeout} s; see {log_path}")
        stack.site_dns = resolve_site()
        return stack

    @classmethod
    def running(cls):
        """The one stack already running (scripts/run.sh in another terminal); refuses when there is not exactly one."""
        apphosts = [pid for pid, p in processes().items() if p[2] and p[2][0].endswith("/FooBar.AppHost")]
        if len(apphosts) != 1:
            raise SystemExit(f"expected one FooBar.AppHost process, found {len(apphosts)}")
        stack = cls(apphosts[0])
        stack.site_dns = resolve_site()
        return stack

    def members(self, table):
        """The pids of the AppHost's session, the DCP processes that watch this AppHost, and all they started."""
        if self.pid not in table:
            raise SystemExit(f"the AppHost (pid {self.pid}) is not running")
        roots = {pid for pid, p in table.items() if p[1] == table[self.pid][1]}
        roots |= {pid for pid, p in table.items() if "--monitor" in p[2] and str(self.pid) in p[2]}
        children = {}
        for pid, p in table.items():
            children.setdefault(p[0], []).append(pid)
        members, pending = set(), list(roots)
        while pending:
            pid = pending.pop()
            if pid not in members:
                members.add(pid)
                pending += children.get(pid, [])
        return members

    def groups(self, table, extra_containers=None):
        """pid -> group for the stack's processes: nginx (its doors' containers), mysql, tunnel, dns (containers), web, dashboard, aspire (the
        AppHost and DCP), docker-proxy; and, for `extra_containers` (name prefix -> group), containers of others."""
        members = self.members(table)
        found = containers()
        names = {cid: name for cid, (name, _) in found.items()}
        doors = set(door_names(table, members).values())
        ours = {cid for cid, (name, creator) in found.items() if creator in members or name in doors}
        groups = {}
        for pid, (_, _, cmdline, cgroup, *_rest) in table.items():
            cid = next((c for c in names if c in cgroup), None)
            extra = next((g for prefix, g in (extra_containers or {}).items() if cid and names[cid].startswith(prefix)), None)
            if cid and (cid in ours or extra):
                groups[pid] = extra or ("nginx" if names[cid] in doors else
                                        next((g for g in ("nginx", "mysql", "tunnel", "dns") if names[cid].startswith(g)), names[cid]))
            elif pid in members:
                text = " ".join(cmdline)
                if "Aspire.Dashboard" in text:
                    groups[pid] = "dashboard"
                elif cmdline and cmdline[0].endswith("/FooBar.Web"):
                    groups[pid] = "web"
                else:
                    groups[pid] = "aspire"  # the AppHost, DCP (its proxies included), dotnet run wrappers
            elif cmdline and cmdline[0].rsplit("/", 1)[-1] == "docker-proxy":
                groups[pid] = "docker-proxy"
        return groups

    def door_containers(self):
        """nginx's front doors now running (nginx, or nginx-1 ...) -> their containers (foobar-<door>-<port>)."""
        table = processes()
        return door_names(table, self.members(table))

    def snapshot(self, extra_containers=None):
        """pid -> (group, cpu ticks, rss kB, pss kB) for the stack's processes."""
        table = processes()
        return {pid: (group, table[pid][4], table[pid][5], table[pid][6])
                for pid, group in self.groups(table, extra_containers).items()}

    def pids(self, group):
        return sorted(pid for pid, g in self.groups(processes()).items() if g == group)

    def container(self, group):
        """The name of the stack's running container of that group (nginx, mysql)."""
        table = processes()
        cgroups = [table[pid][3] for pid, g in self.groups(table).items() if g == group]
        for cid, (name, _) in containers().items():
            if any(cid in c for c in cgroups):
                return name
        raise SystemExit(f"the stack has no {group} container running")

    def stop(self):
        """SIGTERM to run.sh's process group (Aspire then removes its containers), and waits until they and the
        processes DCP started for the stack are gone."""
        if not self.process:
            return
        try:
            table = processes()
            members = self.members(table)
            ours = {cid for cid, (_, creator) in containers(all_states=True).items() if creator in members}
        except SystemExit:
            members, ours = set(), set()  # no AppHost (it failed to start): nothing of ours to wait for
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        wait_until(lambda: not (ours & set(containers(all_states=True)) or alive(members)), 60, interval=1)
        # DCP's own helpers (its `docker events` listeners) can outlive it when it is stopped with its process group.
        outlived = sorted(alive(members))
        if outlived:
            print(f"ending what outlived the stack by 60 s: {', '.join(f'pid {pid}' for pid in outlived)}", flush=True)
            for pid in outlived:
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        left = sorted(ours & set(containers(all_states=True)))
        if left:
            print(f"warning: still there 60 s after the stack stopped: {', '.join(left)}", flush=True)
        self.process = None


def alive(pids):
    """Those of `pids` still running (a zombie has finished)."""
    running = set()
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if stat[stat.rindex(")") + 2] != "Z":
            running.add(pid)
    return running
