"""The bench's LEMP peer: the stack a FooBar user would pick instead (nginx + PHP-FPM + MySQL), serving the same
Fortunes page from the same rows, started beside a running stack and removed after it.

Its database is a container of its own from the stack's MySQL image, seeded with the migration that creates FooBar's
`fortune` table and rows: the same server, configuration and data, with its own CPU in the figures and no login to
FooBar's database. nginx and PHP-FPM share one container (lemp/Dockerfile, built by scripts/setup.sh --bench), as
FooBar's nginx and app share one machine, over a Unix socket; it serves HTTPS with the site's certificate and TLS settings, on loopback, as FooBar's site does.
"""
import os
import secrets
import subprocess

from site_http import tls_mounts, wait_for_200
from stack import REPO, run

IMAGE = "foobar/bench-lemp:latest"
NETWORK = "foobar-bench-lemp"
WEB = "foobar-bench-lemp-web"
DATABASE = "foobar-bench-lemp-mysql"
PORT = 18091
URL = f"https://127.0.0.1:{PORT}"
# Container name prefix -> the group its CPU is counted in.
GROUPS = {WEB: "lemp nginx+php", DATABASE: "lemp mysql"}
# TechEmpower's PHP entry runs a static pool far larger than the cores; at least one worker per client connection (the
# bench's 64) so that none waits on a worker that nginx's kept-alive connections hold.
PHP_FPM_WORKERS = 64
FORTUNE_ROWS = REPO / "FooBar.Web/Data/Migrations/0002_create_fortune.sql"


def start(mysql_image):
    """Starts the peer's database and web containers on a network of their own; returns once /fortunes answers 200."""
    stop()
    password = secrets.token_urlsafe(18)  # this run's only; passed by name so it appears in no command line
    login = {"MYSQL_ROOT_PASSWORD": password, "MYSQL_PASSWORD": password, "DB_PASSWORD": password}
    environment = {**os.environ, **login}
    run("docker", "network", "create", NETWORK)
    subprocess.run(["docker", "run", "-d", "--rm", "--name", DATABASE, "--network", NETWORK,
                    "-e", "MYSQL_ROOT_PASSWORD", "-e", "MYSQL_DATABASE=foobardb", "-e", "MYSQL_USER=lemp", "-e", "MYSQL_PASSWORD",
                    "-v", f"{FORTUNE_ROWS}:/docker-entrypoint-initdb.d/{FORTUNE_ROWS.name}:ro", mysql_image],
                   check=True, capture_output=True, env=environment)
    subprocess.run(["docker", "run", "-d", "--rm", "--name", WEB, "--network", NETWORK, "-p", f"127.0.0.1:{PORT}:443", *tls_mounts(REPO),
                    "-e", f"PHP_FPM_WORKERS={PHP_FPM_WORKERS}", "-e", f"DB_HOST={DATABASE}", "-e", "DB_NAME=foobardb",
                    "-e", "DB_USER=lemp", "-e", "DB_PASSWORD", IMAGE],
                   check=True, capture_output=True, env=environment)
    # The database initialises first (its entry point runs the migration): PHP answers 500 until it listens.
    if not wait_for_200(f"{URL}/fortunes", 60):
        logs = subprocess.run(["docker", "logs", "--tail", "20", WEB], capture_output=True, text=True)
        raise SystemExit(f"the LEMP peer did not answer within 60 s:\n{logs.stdout}{logs.stderr}")
    return URL


def stop():
    """Removes the peer's containers (their anonymous volumes with them: --rm) and network, if there."""
    subprocess.run(["docker", "rm", "-f", "-v", WEB, DATABASE], capture_output=True)
    subprocess.run(["docker", "network", "rm", NETWORK], capture_output=True)
