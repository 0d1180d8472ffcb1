#!/usr/bin/env python3
"""FooBar's benchmark: drives the stack with wrk and prints one table per profile.

Every figure is measured in the same run as its yardsticks, and the ratios to them are what compare across machines:
the same nginx image serving the same file with telemetry and access log off, on loopback in the host's network
namespace; the stack's own nginx with tracing and access log off; and a LEMP peer (lemp_peer.py) serving the same
Fortunes page, in interleaved rounds. scripts/bench.sh sets the machine up and builds first.
"""
import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
import wrk as wrk_tool  # noqa: E402  (scripts/lib: what bench and limits share)
from site_http import APP, HOST, SITE, form_token, get, tls_mounts, wait_for_200  # noqa: E402
from stack import REPO, UNLIMITED_CLIENT, Stack, commit, machine, memory_by_group, run  # noqa: E402
import lemp_peer  # noqa: E402

BASELINE_PORT = 18089
BASELINE_TLS_URL = "https://127.0.0.1:18090/css/site.css"
BASELINE_NAME = "foobar-bench-baseline"
UNTRACED_PORT = 18092
UNTRACED_NAME = "foobar-bench-nginx-untraced"
# The bench's own containers (name prefix) and the group their CPU is counted in.
BENCH_CONTAINERS = {BASELINE_NAME: "baseline", UNTRACED_NAME: "nginx untraced", **lemp_peer.GROUPS}
ROUNDS = 3


def log(message):
    print(f"[bench] {message}", flush=True)


# Every request on a connection of its own: the TLS handshake in each, as a visitor's first request pays it.
NEW_CONNECTIONS = ("Connection: close",)


def wrk(stack, url, args, env=None, headers=()):
    script = REPO / "scripts/bench/post.lua" if env else None
    return wrk_tool.run(stack, url, args.threads, args.connections, args.duration, script, env, BENCH_CONTAINERS, headers)


# ---- the baseline nginx --------------------------------------------------------------------------

def nginx_image(stack):
    """The image Aspire built from nginx/Dockerfile for the stack's nginx."""
    return run("docker", "inspect", "-f", "{{.Config.Image}}", stack.container("nginx")).strip()


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
        "-v", f"{REPO / 'FooBar.Web/wwwroot'}:/usr/share/nginx/html:ro", *tls_mounts(REPO),
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


# ---- the same nginx untraced -----------------------------------------------------------------------

def start_untraced_nginx(stack, image, network):
    """A copy of the stack's nginx (same image, site, upstream and network) with no tracing and no access log
    (untraced-telemetry.conf, NGINX_ACCESS_LOG=off), published on loopback as the site is. Returns its URL."""
    source = stack.container("nginx")
    mounts = json.loads(run("docker", "inspect", "-f", "{{json .Mounts}}", source))
    binds = [arg for m in mounts if m["Type"] == "bind"
             for arg in ("-v", f"{m['Source']}:{m['Destination']}" + ("" if m["RW"] else ":ro"))]
    # Only the site's settings: the exporter's (OTEL_*, with the dashboard's key) are not needed untraced.
    # Its own addresses, not the site's: in the host's network (as the stack's nginx is) its own loopback ports; and no
    # status page, whose port is the door's and whose counters are part of what is measured traced.
    own = ("NGINX_ACCESS_LOG=", "NGINX_LISTEN=", "NGINX_TLS_LISTEN=", "NGINX_HTTPS_PORT=", "NGINX_STATUS_LISTEN=")
    settings = [arg for line in json.loads(run("docker", "inspect", "-f", "{{json .Config.Env}}", source))
                if line.startswith("NGINX_") and not line.startswith(own) for arg in ("-e", line)]
    addresses = (["-e", f"NGINX_LISTEN=127.0.0.1:{UNTRACED_PORT + 1}", "-e", f"NGINX_TLS_LISTEN=127.0.0.1:{UNTRACED_PORT}"]
                 if network == "host" else ["-p", f"127.0.0.1:{UNTRACED_PORT}:443", "-e", "NGINX_TLS_LISTEN=443"])
    stop_untraced_nginx()
    run("docker", "run", "-d", "--rm", "--name", UNTRACED_NAME, "--network", network,
        *addresses, *binds, *settings, "-e", "NGINX_ACCESS_LOG=off",
        "-v", f"{REPO / 'scripts/bench/untraced-telemetry.conf'}:/etc/nginx/telemetry.conf:ro", image)
    url = f"https://127.0.0.1:{UNTRACED_PORT}"
    if not wait_for_200(f"{url}/fortunes", 10):
        raise SystemExit(f"the untraced nginx {UNTRACED_NAME} did not answer")
    return url


def stop_untraced_nginx():
    subprocess.run(["docker", "rm", "-f", UNTRACED_NAME], capture_output=True)


# ---- FooBar against the LEMP peer, in rounds -------------------------------------------------------

def same_page(url, peer_url):
    """Both answer /fortunes with the same text, else the comparison would be of different work."""
    ours, theirs = get(f"{url}/fortunes"), get(f"{peer_url}/fortunes")
    if ours[0] != 200 or theirs[0] != 200 or ours[1] != theirs[1]:
        raise SystemExit(f"/fortunes differs: FooBar {ours[0]}, {len(ours[1])} characters; "
                         f"the LEMP peer {theirs[0]}, {len(theirs[1])} characters")
    return len(ours[1].encode())


def rounds(stack, contenders, args):
    """Each contender's /fortunes `ROUNDS` times, interleaved (the order reversed every other round, so that drift in
    the machine's other load falls on each alike); per contender its runs and their medians."""
    runs = {name: [] for name in contenders}
    for number in range(ROUNDS):
        order = list(contenders) if number % 2 == 0 else list(reversed(contenders))
        for name in order:
            runs[name].append(wrk(stack, f"{contenders[name]}/fortunes", args))
            log(f"round {number + 1}: {name}: {runs[name][-1]['requests_per_second']:,.0f} req/s, p99 {runs[name][-1]['p99_ms']} ms")
    return {name: {"runs": done, "errors": sum(r["errors"] for r in done),
                   **{key: statistics.median(r[key] for r in done) for key in ("requests_per_second", "p50_ms", "p99_ms")},
                   "cpu_ms_per_request": {group: round(statistics.median(r["cpu_ms_per_request"].get(group, 0) for r in done), 4)
                                          for group in done[0]["cpu_ms_per_request"]}}
            for name, done in runs.items()}


# ---- nginx's span counters -----------------------------------------------------------------------

def exporter_counts(stack):
    """nginx's span counters: the newest `otel: spans ...` line of each worker, summed (nginx/lua/otel.lua)."""
    output = subprocess.run(["docker", "logs", stack.container("nginx")], capture_output=True, text=True)
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


def ratio(scenarios, name, yardstick):
    """`name`'s req/s over `yardstick`'s, from the same run."""
    return round(scenarios[name]["requests_per_second"] / (scenarios[yardstick]["requests_per_second"] or float("nan")), 3)


# ---- one profile ---------------------------------------------------------------------------------

def bench_profile(profile, args):
    figures = {"profile": profile}
    if args.no_start:
        log(f"{profile}: using the stack already running")
        stack = Stack.running()
    else:
        log(f"{profile}: starting the stack (cold start: images present, build done)")
        # When each part first answered: where a cold start's seconds go.
        milestones = {"dashboard answers": ("http://127.0.0.1:15080/", (200, 302, 401)),
                      "web /health is 200": (f"{APP}/health", (200,))}
        stack = Stack.start(["--production"] if profile == "production" else [],
                            Path(os.environ["BENCH_OUT"]) / f"stack-{profile}.log", f"{SITE}/", milestones,
                            env=UNLIMITED_CLIENT)
        figures["cold_start_timeline_s"] = stack.timeline
        figures["cold_start_s"] = stack.timeline["site / is 200"]
        log(f"{profile}: cold start: " + ", ".join(f"{k} after {v} s" for k, v in stack.timeline.items()))
    try:
        # The app is warm before anything is measured: every page once, then a short burst.
        for path in ("/", "/fortunes", "/posts", "/css/site.css"):
            get(SITE + path)
        subprocess.run(["wrk", "-t1", "-c8", "-d3s", "-H", f"Host: {HOST}", f"{SITE}/fortunes"], capture_output=True)
        time.sleep(args.settle)
        idle = stack.snapshot()
        figures["idle_rss_mb"] = memory_by_group(idle, 2)
        figures["idle_rss_total_mb"] = sum(figures["idle_rss_mb"].values())
        # RSS counts a shared page (the dcp binary, the .NET runtime) once per process; PSS splits it.
        figures["idle_pss_total_mb"] = sum(memory_by_group(idle, 3).values())

        # With idle memory read, each measured dynamic path under full load until tiered JIT is done: after the short
        # burst the app still spent about twice the CPU per request, and the first scenario (fortunes via site) read
        # 0.50 of direct.
        for _ in range(3):
            for url in (f"{SITE}/fortunes", f"{SITE}/", f"{APP}/fortunes"):
                subprocess.run(["wrk", f"-t{args.threads}", f"-c{args.connections}", "-d4s", "-H", f"Host: {HOST}", url],
                               capture_output=True)

        image = nginx_image(stack)
        network = run("docker", "inspect", "-f", "{{range $name, $_ := .NetworkSettings.Networks}}{{$name}}{{end}}",
                      stack.container("nginx")).strip()
        # FooBar through its front door, the same nginx untraced, and the LEMP peer: the same page, interleaved.
        try:
            peer = lemp_peer.start(run("docker", "inspect", "-f", "{{.Config.Image}}", stack.container("mysql")).strip())
            figures["fortunes_bytes"] = same_page(SITE, peer)
            contenders = {"FooBar": SITE, "FooBar, nginx untraced": start_untraced_nginx(stack, image, network),
                          "LEMP peer": peer}
            figures["rounds"] = rounds(stack, contenders, args)
        finally:
            stop_untraced_nginx()
            lemp_peer.stop()

        scenarios = {}
        try:
            scenarios["baseline nginx static"] = wrk(stack, start_baseline(image), args)
            # The site speaks HTTPS only: its static files against the same nginx with the same TLS settings.
            scenarios["baseline nginx static, HTTPS"] = wrk(stack, BASELINE_TLS_URL, args)
            scenarios["baseline nginx static, HTTPS, new connections"] = wrk(stack, BASELINE_TLS_URL, args, headers=NEW_CONNECTIONS)
            # What a container network costs: the stack's, or Docker's default bridge where nginx is in the host's network.
            scenarios["bare nginx static on the stack's network"] = wrk(stack, start_baseline(image, "bridge" if network == "host" else network), args)
        finally:
            stop_baseline()
        scenarios["static via site"] = wrk(stack, f"{SITE}/css/site.css", args)
        scenarios["static via site, new connections"] = wrk(stack, f"{SITE}/css/site.css", args, headers=NEW_CONNECTIONS)
        scenarios["fortunes via site"] = wrk(stack, f"{SITE}/fortunes", args)
        scenarios["home via site"] = wrk(stack, f"{SITE}/", args)
        scenarios["fortunes straight to app"] = wrk(stack, f"{APP}/fortunes", args)
        cookie, token = form_token()
        body = urllib.parse.urlencode({"Input.Author": "bench", "Input.Title": "A post from the benchmark",
                                       "Input.Body": "Written through the form by scripts/bench.sh.",
                                       "__RequestVerificationToken": token})
        write_args = argparse.Namespace(**{**vars(args), "connections": 4, "threads": 1})
        scenarios["post via site"] = wrk(stack, f"{SITE}/posts/new", write_args,
                                         env={"BENCH_COOKIE": cookie, "BENCH_BODY": body, "BENCH_DELAY_MS": "40"})
        figures["scenarios"] = scenarios
        # After the load: what the dashboard holds is bounded by its telemetry limits (launchSettings.json).
        figures["rss_after_load_mb"] = memory_by_group(stack.snapshot(), 2)
        time.sleep(12)  # the exporter reports its counters every 10 s
        figures["nginx_spans"] = exporter_counts(stack)

        base = scenarios["baseline nginx static"]["requests_per_second"] or float("nan")
        fortunes = scenarios["fortunes via site"]
        figures["ratios"] = {
            "fortunes via site / baseline static": round(fortunes["requests_per_second"] / base, 3),
            "fortunes via site / fortunes straight to app": round(
                fortunes["requests_per_second"] / (scenarios["fortunes straight to app"]["requests_per_second"] or float("nan")), 3),
            "static via site / baseline static, HTTPS": ratio(scenarios, "static via site", "baseline nginx static, HTTPS"),
            "static via site / baseline static, HTTPS, new connections": ratio(
                scenarios, "static via site, new connections", "baseline nginx static, HTTPS, new connections"),
            "bare nginx on the stack's network / baseline static": round(
                scenarios["bare nginx static on the stack's network"]["requests_per_second"] / base, 3),
            "fortunes p99 / p50 via site": round(fortunes["p99_ms"] / (fortunes["p50_ms"] or float("nan")), 2),
        }
        ours, untraced, peer = (figures["rounds"][name] for name in ("FooBar", "FooBar, nginx untraced", "LEMP peer"))
        figures["ratios"].update({
            "fortunes req/s: FooBar / LEMP peer": round(ours["requests_per_second"] / (peer["requests_per_second"] or float("nan")), 3),
            "fortunes p99: FooBar / LEMP peer": round(ours["p99_ms"] / (peer["p99_ms"] or float("nan")), 3),
            "nginx CPU per request: traced / untraced": round(
                ours["cpu_ms_per_request"].get("nginx", 0) / (untraced["cpu_ms_per_request"].get("nginx untraced") or float("nan")), 3),
        })
    finally:
        if stack.process:
            log(f"{profile}: stopping the stack")
            stack.stop()
    return figures


def speed_cells(name, run):
    return [name, f"{run['requests_per_second']:,.0f}", f"{run['p50_ms']:.2f}", f"{run['p99_ms']:.2f}", str(run["errors"])]


def print_markdown(header, rows):
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


def print_table(figures):
    print(f"\n## profile: {figures['profile']}")
    groups = sorted({g for s in figures["scenarios"].values() for g in s["cpu_percent"]})
    print_markdown(["scenario", "req/s", "p50 ms", "p99 ms", "errors"] + [f"{g} %cpu" for g in groups],
                   [speed_cells(name, s) + [str(s["cpu_percent"].get(g, "")) for g in groups]
                    for name, s in figures["scenarios"].items()])
    print(f"\n/fortunes in {ROUNDS} interleaved rounds (medians; the same {figures['fortunes_bytes']} bytes from each):\n")
    groups = sorted({g for r in figures["rounds"].values() for g in r["cpu_ms_per_request"]})
    print_markdown(["contender", "req/s", "p50 ms", "p99 ms", "errors"] + [f"{g} ms cpu/req" for g in groups],
                   [speed_cells(name, r) + [f"{r['cpu_ms_per_request'][g]:.3f}" if r["cpu_ms_per_request"].get(g) else ""
                                            for g in groups]
                    for name, r in figures["rounds"].items()])
    print()
    for name, value in figures["ratios"].items():
        print(f"- {name}: {value}")
    if "cold_start_s" in figures:
        print(f"- cold start: " + ", ".join(f"{k} after {v} s" for k, v in figures["cold_start_timeline_s"].items()))
    print(f"- idle RSS: {figures['idle_rss_total_mb']} MB ({', '.join(f'{g} {mb}' for g, mb in figures['idle_rss_mb'].items())}); "
          f"PSS {figures['idle_pss_total_mb']} MB")
    after = figures["rss_after_load_mb"]
    print(f"- RSS after the load: {sum(after.values())} MB ({', '.join(f'{g} {mb}' for g, mb in after.items())})")
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
    results = {"machine": machine(), "commit": commit(), "wrk": f"-t{args.threads} -c{args.connections} -d{args.duration}s",
               "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "profiles": []}
    for profile in profiles:
        results["profiles"].append(bench_profile(profile, args))
        print_table(results["profiles"][-1])
    path = out / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2))
    m = results["machine"]
    print(f"\nmachine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GiB; commit {results['commit']}; wrk {results['wrk']}")
    print(f"figures: {path}")


if __name__ == "__main__":
    # A SIGTERM ends the run as Ctrl+C does: through the `finally`s that stop the stack and remove the bench's containers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        main()
    finally:
        stop_baseline()
        stop_untraced_nginx()
        lemp_peer.stop()
