"""The Aspire CLI (the repository's local tool, .config/dotnet-tools.json), pointed at exactly one AppHost.

Every AppHost serves an "auxiliary backchannel" on a Unix socket, ~/.aspire/cli/bch/<id>.<pid of its process>
(the id starts with a hash of the AppHost project's path), and the CLI's `resource`, `wait` and `describe` look for
AppHosts there. With more than one running (a test run starts the same AppHost project through
DistributedApplicationTestingBuilder, reported with the same project path, and its one process may hold two), the
CLI asks which one, which a script cannot answer, and `--apphost` does not help: it narrows by project path, which
they share, and takes the first socket that connects. So each command here runs with a CLI home of its own whose
socket folder holds only our AppHost's socket, found by pid: it can only ever reach that AppHost, and with no
socket or two for that pid the run refuses.
"""
import json
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from stack import REPO
from waiting import wait_until

SOCKETS = Path.home() / ".aspire/cli/bch"


class AspireCli:
    def __init__(self, apphost_pid, timeout=30):
        """Waits up to `timeout` s for the AppHost's socket; refuses when there is none or more than one."""
        wait_until(lambda: len(list(SOCKETS.glob(f"*.{apphost_pid}"))) == 1, timeout, interval=0.5)
        sockets = sorted(SOCKETS.glob(f"*.{apphost_pid}"))
        if len(sockets) != 1:
            raise SystemExit(f"cannot tell which backchannel is the AppHost's (pid {apphost_pid}): found {len(sockets)} "
                             f"socket(s) named *.{apphost_pid} in {SOCKETS}; refusing to command another AppHost")
        self.socket = sockets[0]
        self.home = Path(tempfile.mkdtemp(prefix="foobar-aspire-cli-"))
        (self.home / ".aspire/cli/bch").mkdir(parents=True)
        (self.home / ".aspire/cli/bch" / self.socket.name).symlink_to(self.socket)
        real_home = str(Path.home())
        self.env = {
            **os.environ,
            "HOME": str(self.home),
            # The dotnet host and NuGet keep finding the local tool where `dotnet tool restore` put it.
            "DOTNET_CLI_HOME": os.environ.get("DOTNET_CLI_HOME", real_home),
            "NUGET_PACKAGES": os.environ.get("NUGET_PACKAGES", os.path.join(real_home, ".nuget/packages")),
            "NO_COLOR": "1",
            "ASPIRE_CLI_TELEMETRY_OPTOUT": "1",
            "DOTNET_CLI_TELEMETRY_OPTOUT": "1",
        }

    def command_line(self, *args):
        return ["dotnet", "tool", "run", "aspire", "--", *args, "--nologo", "--non-interactive"]

    def run(self, *args, timeout=120):
        """(exit code, output) of `aspire ARGS`, run in the repository so that the AppHost counts as in scope."""
        command = self.command_line(*args)
        try:
            done = subprocess.run(command, cwd=REPO, env=self.env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, f"no answer within {timeout} s"
        return done.returncode, (done.stdout + done.stderr).strip()

    def command(self, resource, name, timeout=120):
        """Runs a resource command (stop, start, restart, or a custom one such as reload-config); raises on failure."""
        code, output = self.run("resource", resource, name, timeout=timeout)
        if code != 0:
            raise RuntimeError(f"aspire resource {resource} {name} failed ({code}): {output.splitlines()[-3:]}")

    def wait(self, resource, status="healthy", timeout=120):
        """Waits until the resource is healthy, up or down; raises when it is not within `timeout` s."""
        code, output = self.run("wait", resource, "--status", status, "--timeout", str(timeout), timeout=timeout + 30)
        if code != 0:
            raise RuntimeError(f"aspire wait {resource} --status {status} failed ({code}): {output.splitlines()[-3:]}")

    def resources(self):
        """Display name -> the resource as `aspire describe --format Json` gives it."""
        code, output = self.run("describe", "--format", "Json", timeout=60)
        if code != 0:
            raise RuntimeError(f"aspire describe failed ({code}): {output.splitlines()[-3:]}")
        text = output[output.index("{"):]  # after the CLI's "Scanning ..." line
        described = json.JSONDecoder().raw_decode(text)[0]
        return {r["displayName"]: r for r in described["resources"]}

    def close(self):
        shutil.rmtree(self.home, ignore_errors=True)


class HealthWatch:
    """Every change of some resources' health as the dashboard shows it (Healthy, Degraded, Unhealthy, with the health
    reports' reasons), timed on `clock`: one `aspire describe --follow`, which writes a JSON line per resource update."""

    def __init__(self, cli, names, clock):
        self.names, self.clock = set(names), clock
        self.changes = []  # (time on the clock, resource, status, reasons)
        self._status = {}
        self._process = subprocess.Popen(cli.command_line("describe", "--follow", "--format", "Json"), cwd=REPO,
                                         env=cli.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self._process.stdout:
            try:
                resource = json.loads(line)
            except ValueError:
                continue  # the CLI's own lines ("Scanning ...")
            name = resource.get("displayName") if isinstance(resource, dict) else None
            if name not in self.names:
                continue
            # No health at all while a resource is not running (stopped, or starting again).
            status = resource.get("healthStatus") or "no health"
            if self._status.get(name) != status:
                self._status[name] = status
                self.changes.append((round(self.clock(), 3), name, status, reasons(resource.get("healthReports"))))

    def between(self, begin, end):
        return [change for change in self.changes if begin <= change[0] < end]

    def close(self):
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def reasons(reports):
    """The descriptions of a resource's health reports that are not healthy, in one line."""
    listed = reports.values() if isinstance(reports, dict) else reports or []
    return "; ".join(r.get("description") or r.get("name") or "" for r in listed
                     if isinstance(r, dict) and r.get("status") not in (None, "Healthy") and (r.get("description") or r.get("name")))
