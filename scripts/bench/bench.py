#!/usr/bin/env python3
"""FooBar's benchmark: drives the stack with wrk and prints one table per profile.

Every figure is measured in the same run as a yardstick (the same nginx image serving the same file
with telemetry and access log off, on loopback in the host's network namespace), and the ratios to
it are what compare across machines. scripts/bench.sh sets the machine up and builds first.
"""
import argparse
import html
import json
import os
import re
import resource
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SITE = "http://127.0.0.1:8080"      # nginx's published port (FooBar.AppHost/Program.cs)
APP = "http://127.0.0.1:5193"       # FooBar.Web's endpoint (FooBar.Web/Properties/launchSettings.json)
HOST = "www.foobar.com"
BASELINE_PORT = 18089
BASELINE_NAME = "foobar-bench-baseline"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_SIZE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def log(message):
    print(f"[bench] {message}", flush=True)


def run(*args, check=True):
    return subprocess.run(args, check=check, capture_output=True, text=True).stdout


# ---- processes: who is who, and what they used ---------------------------------------------------

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


def stack_members(table):
    """pid -> group for the benchmarked stack only: its AppHost's session, the DCP processes that watch
    that AppHost, what they started, and the containers DCP monitors for it (other stacks, such as a
    test run's, are left out)."""
    apphosts = [pid for pid, p in table.items() if p[2] and p[2][0].endswith("/FooBar.AppHost")]
    if len(apphosts) != 1:
        raise SystemExit(f"expected one FooBar.AppHost process, found {len(apphosts)}")
    apphost = apphosts[0]
    roots = {pid for pid, p in table.items() if p[1] == table[apphost][1]}
    roots |= {pid for pid, p in table.items() if "--monitor" in p[2] and str(apphost) in p[2]}
    children = {}
    for pid, p in table.items():
        children.setdefault(p[0], []).append(pid)
    members, pending = set(), list(roots)
    while pending:
        pid = pending.pop()
        if pid not in members:
            members.add(pid)
            pending += children.get(pid, [])
    container_ids = {p[2][p[2].index("--containerID") + 1] for pid, p in table.items()
                     if pid in members and "--containerID" in p[2]}
    names = {}
    for line in run("docker", "ps", "--no-trunc", "--format", "{{.ID}} {{.Names}}").split("\n"):
        if line.strip():
            cid, name = line.split(" ", 1)
            names[cid] = name
    groups = {}
    for pid, (_, _, cmdline, cgroup, *_rest) in table.items():
        cid = next((c for c in names if c in cgroup), None)
        if cid and (cid in container_ids or names[cid].startswith(BASELINE_NAME)):
            name = names[cid]
            groups[pid] = "baseline" if name.startswith(BASELINE_NAME) else next(
                (g for g in ("nginx", "mysql", "tunnel") if name.startswith(g)), name)
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


def snapshot():
    """pid -> (group, cpu ticks, rss kB, pss kB) for the stack's processes."""
    table = processes()
    return {pid: (group, table[pid][4], table[pid][5], table[pid][6]) for pid, group in stack_members(table).items()}


def cpu_by_group(before, after, seconds):
    """Percent of one core each group used between two snapshots."""
    usage = {}
    for pid, (group, ticks, *_rest) in after.items():
        previous = before.get(pid)
        usage[group] = usage.get(group, 0) + ticks - (previous[1] if previous else 0)
    return {group: round(100 * ticks / CLK_TCK / seconds) for group, ticks in sorted(usage.items())}


def memory_by_group(snap, column):
    usage = {}
    for pid, values in snap.items():
        usage[values[0]] = usage.get(values[0], 0) + values[column]
    return {group: round(kb / 1024) for group, kb in sorted(usage.items())}


# ---- HTTP ----------------------------------------------------------------------------------------

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def get(url, timeout=2.0):
    request = urllib.request.Request(url, headers={"Host": HOST})
    try:
        with OPENER.open(request, timeout=timeout) as response:
            return response.status, response.read().decode(errors="replace"), response.headers
    except urllib.error.HTTPError as error:
        return error.code, "", error.headers
    except (urllib.error.URLError, OSError):
        return None, "", {}


def wait_for_200(url, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if get(url, timeout=1.0)[0] == 200:
            return True
        time.sleep(0.1)
    return False


def form_token():
    """An antiforgery cookie and token from the real form, so wrk's posts are accepted."""
    status, page, headers = get(f"{SITE}/posts/new")
    if status != 200:
        raise SystemExit(f"GET /posts/new answered {status}")
    token = re.search(r'name="__RequestVerificationToken" type="hidden" value="([^"]+)"', page)
    cookie = headers.get("Set-Cookie", "").split(";", 1)[0]
    if not token or not cookie:
        raise SystemExit("the form has no antiforgery token or cookie")
    return cookie, html.unescape(token.group(1))


# ---- wrk -----------------------------------------------------------------------------------------

def seconds(text):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def wrk(url, args, env=None):
    command = ["wrk", "--latency", "-t", str(args.threads), "-c", str(args.connections),
               "-d", f"{args.duration}s", "-H", f"Host: {HOST}"]
    if env:
        command += ["-s", str(REPO / "scripts/bench/post.lua")]
    before, load_before = snapshot(), resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    output = subprocess.run(command + [url], capture_output=True, text=True, env={**os.environ, **(env or {})},
                            timeout=args.duration + 30).stdout
    elapsed = time.monotonic() - started
    after, load_after = snapshot(), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = cpu_by_group(before, after, elapsed)
    load_seconds = sum(getattr(load_after, f) - getattr(load_before, f) for f in ("ru_utime", "ru_stime"))
    cpu["load (wrk)"] = round(100 * load_seconds / elapsed)

    def find(pattern, default=None):
        match = re.search(pattern, output, re.M)
        return match.group(1) if match else default

    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = int(find(r"Non-2xx or 3xx responses: (\d+)", "0"))
    errors += sum(map(int, socket_errors.groups())) if socket_errors else 0
    return {
        "url": url,
        "requests_per_second": float(find(r"Requests/sec:\s+([\d.]+)", "0")),
        "requests": int(find(r"(\d+) requests in", "0")),
        "p50_ms": round(seconds(find(r"^\s+50%\s+(\S+)$", "0us")) * 1000, 2),
        "p99_ms": round(seconds(find(r"^\s+99%\s+(\S+)$", "0us")) * 1000, 2),
        "errors": errors,
        "cpu_percent": cpu,
    }


# ---- the baseline nginx --------------------------------------------------------------------------

def nginx_container():
    """The benchmarked stack's nginx container (its name)."""
    table = processes()
    groups = stack_members(table)
    cgroups = [table[pid][3] for pid, group in groups.items() if group == "nginx"]
    for line in run("docker", "ps", "--no-trunc", "--format", "{{.ID}} {{.Names}}").split("\n"):
        if line.strip() and any(line.split(" ")[0] in c for c in cgroups):
            return line.split(" ", 1)[1]
    raise SystemExit("the stack has no nginx container running")


def nginx_image():
    """The image Aspire built from nginx/Dockerfile for the stack's nginx."""
    return run("docker", "inspect", "-f", "{{.Config.Image}}", nginx_container()).strip()


def start_baseline(image, network=None):
    """The yardstick: the stack's nginx image with baseline-nginx.conf, on loopback in the host's network
    namespace, or (with `network`) on the stack's container network, to show what that network costs.
    Returns the URL of its static file."""
    config = REPO / "scripts/bench/baseline-nginx.conf"
    name = BASELINE_NAME + ("-bridge" if network else "")
    if network:
        bridged = Path(os.environ["BENCH_OUT"]) / "baseline-nginx-bridge.conf"
        bridged.write_text(config.read_text().replace(f"listen 127.0.0.1:{BASELINE_PORT};", "listen 80;"))
        config = bridged
    subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    run("docker", "run", "-d", "--rm", "--name", name, "--network", network or "host",
        "-v", f"{config}:/etc/nginx/nginx.conf:ro",
        "-v", f"{REPO / 'FooBar.Web/wwwroot'}:/usr/share/nginx/html:ro",
        "--entrypoint", "nginx", image, "-g", "daemon off;")
    address = run("docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name).strip() \
        if network else f"127.0.0.1:{BASELINE_PORT}"
    url = f"http://{address}/css/site.css"
    if not wait_for_200(url, 10):
        raise SystemExit(f"the baseline nginx {name} did not answer")
    return url


def stop_baseline():
    for name in (BASELINE_NAME, BASELINE_NAME + "-bridge"):
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)


# ---- the stack -----------------------------------------------------------------------------------

def start_stack(profile):
    """Starts scripts/run.sh (already built) in a session of its own; returns it and the seconds to the first 200."""
    log_file = open(Path(os.environ.get("BENCH_OUT", "/tmp")) / f"stack-{profile}.log", "w")
    arguments = [str(REPO / "scripts/run.sh"), "--no-build"] + (["--production"] if profile == "production" else [])
    started = time.monotonic()
    stack = subprocess.Popen(arguments, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    # When each part first answered: where a cold start's seconds go.
    milestones = {"dashboard answers": "http://127.0.0.1:15080/", "web /health is 200": f"{APP}/health", "site / is 200": f"{SITE}/"}
    timeline = {}
    while "site / is 200" not in timeline and time.monotonic() - started < 180:
        for name, url in milestones.items():
            if name not in timeline and get(url, timeout=0.5)[0] in ((200,) if name != "dashboard answers" else (200, 302, 401)):
                timeline[name] = round(time.monotonic() - started, 1)
        time.sleep(0.1)
    if "site / is 200" not in timeline:
        stop_stack(stack)
        raise SystemExit(f"the stack did not answer within 180 s; see {log_file.name}")
    return stack, timeline


def stop_stack(stack):
    try:
        table = processes()
        ours = {line for line in run("docker", "ps", "-q", "--no-trunc").split()
                if any(line in table[pid][3] for pid in stack_members(table))}
    except SystemExit:
        ours = set()  # no AppHost (it failed to start): nothing of ours to wait for
    os.killpg(stack.pid, signal.SIGTERM)
    try:
        stack.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(stack.pid, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and ours & set(run("docker", "ps", "-aq", "--no-trunc").split()):
        time.sleep(1)


def exporter_counts():
    """nginx's span counters: the newest `otel: spans ...` line of each worker, summed (nginx/lua/otel.lua)."""
    output = subprocess.run(["docker", "logs", nginx_container()], capture_output=True, text=True)
    latest = {}
    for line in (output.stdout + output.stderr).splitlines():
        match = re.search(r"otel: spans (.*?) \(worker (\d+)", line)
        if match:
            latest[match.group(2)] = dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", match.group(1)))
    if not latest:
        return None
    totals = {}
    for counts in latest.values():
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
    return totals


# ---- one profile ---------------------------------------------------------------------------------

def bench_profile(profile, args):
    figures = {"profile": profile}
    stack = None
    if args.no_start:
        log(f"{profile}: using the stack already running")
    else:
        log(f"{profile}: starting the stack (cold start: images present, build done)")
        stack, figures["cold_start_timeline_s"] = start_stack(profile)
        figures["cold_start_s"] = figures["cold_start_timeline_s"]["site / is 200"]
        log(f"{profile}: cold start: " + ", ".join(f"{k} after {v} s" for k, v in figures["cold_start_timeline_s"].items()))
    try:
        # The app is warm before anything is measured: every page once, then a short burst.
        for path in ("/", "/fortunes", "/posts", "/css/site.css"):
            get(SITE + path)
        subprocess.run(["wrk", "-t1", "-c8", "-d3s", "-H", f"Host: {HOST}", f"{SITE}/fortunes"], capture_output=True)
        time.sleep(args.settle)
        idle = snapshot()
        figures["idle_rss_mb"] = memory_by_group(idle, 2)
        figures["idle_rss_total_mb"] = sum(figures["idle_rss_mb"].values())
        # RSS counts a shared page (the dcp binary, the .NET runtime) once per process; PSS splits it.
        figures["idle_pss_total_mb"] = sum(memory_by_group(idle, 3).values())

        image = nginx_image()
        network = run("docker", "inspect", "-f", "{{range $name, $_ := .NetworkSettings.Networks}}{{$name}}{{end}}",
                      nginx_container()).strip()
        scenarios = {}
        try:
            scenarios["baseline nginx static"] = wrk(start_baseline(image), args)
            scenarios["bare nginx static on the stack's network"] = wrk(start_baseline(image, network), args)
        finally:
            stop_baseline()
        scenarios["static via site"] = wrk(f"{SITE}/css/site.css", args)
        scenarios["fortunes via site"] = wrk(f"{SITE}/fortunes", args)
        scenarios["home via site"] = wrk(f"{SITE}/", args)
        scenarios["fortunes straight to app"] = wrk(f"{APP}/fortunes", args)
        cookie, token = form_token()
        body = urllib.parse.urlencode({"Input.Author": "bench", "Input.Title": "A post from the benchmark",
                                       "Input.Body": "Written through the form by scripts/bench.sh.",
                                       "__RequestVerificationToken": token})
        write_args = argparse.Namespace(**{**vars(args), "connections": 4, "threads": 1})
        scenarios["post via site"] = wrk(f"{SITE}/posts/new", write_args,
                                         env={"BENCH_COOKIE": cookie, "BENCH_BODY": body, "BENCH_DELAY_MS": "40"})
        figures["scenarios"] = scenarios
        time.sleep(12)  # the exporter reports its counters every 10 s
        figures["nginx_spans"] = exporter_counts()

        base = scenarios["baseline nginx static"]["requests_per_second"] or float("nan")
        fortunes = scenarios["fortunes via site"]
        figures["ratios"] = {
            "fortunes via site / baseline static": round(fortunes["requests_per_second"] / base, 3),
            "fortunes via site / fortunes straight to app": round(
                fortunes["requests_per_second"] / (scenarios["fortunes straight to app"]["requests_per_second"] or float("nan")), 3),
            "static via site / baseline static": round(scenarios["static via site"]["requests_per_second"] / base, 3),
            "bare nginx on the stack's network / baseline static": round(
                scenarios["bare nginx static on the stack's network"]["requests_per_second"] / base, 3),
            "fortunes p99 / p50 via site": round(fortunes["p99_ms"] / (fortunes["p50_ms"] or float("nan")), 2),
        }
    finally:
        if stack:
            log(f"{profile}: stopping the stack")
            stop_stack(stack)
    return figures


def print_table(figures):
    print(f"\n## profile: {figures['profile']}")
    groups = sorted({g for s in figures["scenarios"].values() for g in s["cpu_percent"]})
    header = ["scenario", "req/s", "p50 ms", "p99 ms", "errors"] + [f"{g} %cpu" for g in groups]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name, s in figures["scenarios"].items():
        row = [name, f"{s['requests_per_second']:,.0f}", f"{s['p50_ms']:.2f}", f"{s['p99_ms']:.2f}", str(s["errors"])]
        row += [str(s["cpu_percent"].get(g, "")) for g in groups]
        print("| " + " | ".join(row) + " |")
    print()
    for name, value in figures["ratios"].items():
        print(f"- {name}: {value}")
    if "cold_start_s" in figures:
        print(f"- cold start: " + ", ".join(f"{k} after {v} s" for k, v in figures["cold_start_timeline_s"].items()))
    print(f"- idle RSS: {figures['idle_rss_total_mb']} MB ({', '.join(f'{g} {mb}' for g, mb in figures['idle_rss_mb'].items())}); "
          f"PSS {figures['idle_pss_total_mb']} MB")
    spans = figures.get("nginx_spans")
    print(f"- nginx spans: {', '.join(f'{k} {v}' for k, v in spans.items()) if spans else 'no counters reported'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", choices=["development", "production", "both"], default="both")
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--settle", type=int, default=10, help="idle seconds before RSS is read")
    parser.add_argument("--no-start", action="store_true", help="measure the stack already running (one profile)")
    parser.add_argument("--out", default=str(REPO / "TestResults/bench"), help="folder for the JSON figures")
    args = parser.parse_args()
    if args.no_start and args.profile == "both":
        parser.error("--no-start measures one running stack: name its --profile")

    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    os.environ["BENCH_OUT"] = str(out)
    profiles = ["development", "production"] if args.profile == "both" else [args.profile]
    machine = {"cores": os.cpu_count(), "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                                                     if l.startswith("model name")), "?"),
               "memory_gb": round(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30)}
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    results = {"machine": machine, "commit": commit, "wrk": f"-t{args.threads} -c{args.connections} -d{args.duration}s",
               "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "profiles": []}
    for profile in profiles:
        results["profiles"].append(bench_profile(profile, args))
        print_table(results["profiles"][-1])
    path = out / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2))
    print(f"\nmachine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gb']} GiB; commit {commit}; wrk {results['wrk']}")
    print(f"figures: {path}")


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_baseline()
