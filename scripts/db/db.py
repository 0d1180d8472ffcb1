"""scripts/db.sh: backups of the running stack's MySQL, restores to a backup or to a second, and proofs by restoring.

The server is the running AppHost's MySQL container (or, with --ha, one of its Galera nodes), or the container
--container names. Root's password never leaves that container: every client runs in it and reads its environment.
The steps that need the server's tools on a copy run in a throwaway container of the same image (in-container.sh).
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
import backups  # noqa: E402  (scripts/db/backups.py: names, manifests, refusals)
from backups import Refusal  # noqa: E402

IN_CONTAINER = Path(__file__).resolve().parent / "in-container.sh"
# The live data's history: a name made once, kept in the data (so backups and every Galera node hold it) and made anew
# by each restore, after which the binary log no longer continues the older backups.
HISTORY = """CREATE DATABASE IF NOT EXISTS foobar_backups;
CREATE TABLE IF NOT EXISTS foobar_backups.history (id CHAR(36) NOT NULL PRIMARY KEY);
INSERT INTO foobar_backups.history SELECT UUID() FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM foobar_backups.history);
SELECT id FROM foobar_backups.history;"""
# Runs a client in the server's container as root, with the password from the container's own environment.
AS_ROOT = ["sh", "-c", 'MYSQL_PWD="$MYSQL_ROOT_PASSWORD" exec "$@"', "as-root"]
started = time.monotonic()


def say(message):
    print(f"[db] {time.monotonic() - started:6.1f} s  {message}", flush=True)


def docker(*args, stdin=None, check=True):
    done = subprocess.run(["docker", *args], input=stdin, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise Refusal(f"docker {args[0]} failed: {(done.stderr or done.stdout).strip()}")
    return done


def sql(container, statement):
    return docker("exec", "-i", container, *AS_ROOT, "mariadb", "-uroot", "-N", "-B", stdin=statement).stdout


def inspect(container):
    done = docker("inspect", container, check=False)
    if done.returncode != 0:
        raise Refusal(f"there is no container named {container}")
    facts = json.loads(done.stdout)[0]
    env = dict(item.split("=", 1) for item in facts["Config"]["Env"] or [])
    return {"name": facts["Name"].lstrip("/"), "image": facts["Config"]["Image"], "running": facts["State"]["Running"],
            "node": env.get("GALERA_NODE_ADDRESS"), "cluster": env.get("GALERA_CLUSTER_ADDRESS"),
            "networks": set(facts["NetworkSettings"]["Networks"] or {}), "is_server": "MYSQL_ROOT_PASSWORD" in env}


def cluster_of(server):
    """Every node of `server`'s Galera cluster, in its address's order: the containers, running or not, with its cluster
    address on one of its networks (another stack's cluster has the same address on a network of its own)."""
    order = server["cluster"].removeprefix("gcomm://").split("?")[0].split(",")
    nodes = [inspect(container) for container in docker("ps", "-aq").stdout.split()]
    nodes = [node for node in nodes if node["cluster"] == server["cluster"] and node["networks"] & server["networks"]]
    return sorted(nodes, key=lambda node: order.index(node["node"]) if node["node"] in order else len(order))


def synced(node):
    return node["running"] and docker("exec", node["name"], "node-ready", check=False).returncode == 0


def stack_servers():
    """The running AppHost's MySQL containers (one, or a cluster's nodes in order), found as scripts/lib/stack.py finds
    the stack's other parts: the containers DCP made for the AppHost's processes."""
    from stack import Stack, containers, processes
    stack = Stack.running()
    members = stack.members(processes())
    found = [inspect(name) for name, creator in containers().values() if creator in members]
    servers = sorted((server for server in found if server["is_server"]), key=lambda server: server["node"] or "")
    if not servers:
        raise Refusal("the running stack has no MySQL container")
    return servers


def server_to_use(option):
    """The container to back up or restore and, on a cluster, its peers: --container's, the single server, or a synced
    node (the last one, which the app, given every node in order, writes to least)."""
    chosen = inspect(option) if option else stack_servers()[0]
    if not chosen["is_server"]:
        raise Refusal(f"{chosen['name']} is not a MySQL server container (no MYSQL_ROOT_PASSWORD in its environment)")
    if not chosen["cluster"]:
        return chosen, []
    nodes = cluster_of(chosen)
    for node in [chosen] if option else reversed(nodes):
        if synced(node):
            return node, [peer for peer in nodes if peer["name"] != node["name"]]
    raise Refusal(f"{chosen['name'] if option else 'no node of the cluster'} is not synced: backups and restores start from a synced node")


def version_of(container):
    text = sql(container, "SELECT VERSION()").strip()
    return ("MariaDB" if "mariadb" in text.lower() else "MySQL"), text.split("-")[0]


def history_of(container, make=True):
    """The live data's history; without `make`, read only (a refusal changes nothing): none before a first backup."""
    if make:
        return sql(container, HISTORY).strip()
    done = docker("exec", "-i", container, *AS_ROOT, "mariadb", "-uroot", "-N", "-B", check=False,
                  stdin="SELECT id FROM foobar_backups.history")
    return done.stdout.strip() if done.returncode == 0 else ""


def in_container(image, step, mounts, arguments=()):
    """Runs in-container.sh's `step` in a throwaway container of `image`; its output, or a Refusal with its errors."""
    volumes = [part for source, target in mounts for part in ("--volumes-from", source) if target is None] + \
              [part for source, target in mounts if target for part in ("-v", f"{source}:{target}")]
    # A tenth of the CPU weight of the stack's containers: a proof restore never slows the live site's queries.
    done = subprocess.run(["docker", "run", "--rm", "-i", "--cpu-shares", "100", *volumes, "--entrypoint", "bash", image, "-s", step, *arguments],
                          stdin=open(IN_CONTAINER), capture_output=True, text=True)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if "[Warning]" not in line and "[Note]" not in line]
        raise Refusal(f"{step} failed in a throwaway container: {' / '.join(lines[-4:])}")
    return done.stdout


def inventory(image, backup, work):
    """The backup restored into a throwaway server: its tables, row counts and checksums."""
    return backups.parse_inventory(in_container(image, "inventory", [(backup, "/backup:ro"), (work, "/work")]))


def backup(args):
    folder = backups.writable_folder(args.folder)
    server, _ = server_to_use(args.container)
    clustered = bool(server["cluster"])
    name_of = server["name"]
    history = history_of(name_of)
    partial = folder / f".partial-{os.getpid()}"
    work = folder / f".work-{os.getpid()}"
    partial.mkdir()
    try:
        say(f"backing up {name_of} with mariadb-backup into {folder}")
        clock = time.monotonic()
        if clustered:
            # Desynced, the node's own queue may grow while the backup holds its locks; its peers never wait for it.
            sql(name_of, "SET GLOBAL wsrep_desync = ON")
        try:
            size, sha256, log = stream_backup(name_of, partial, clustered)
        finally:
            if clustered:
                sql(name_of, "SET GLOBAL wsrep_desync = OFF")
        facts = backups.parse_backup_log(log)
        say(f"streamed {size / 2**20:.1f} MiB in {time.monotonic() - clock:.1f} s; it matches "
            f"{facts['binlog']['file']}:{facts['binlog']['position']}, reached at {facts['consistent_at']} UTC")
        work.mkdir()
        tables = inventory(server["image"], partial, work)
        say(f"restored it into a throwaway server: {len(tables)} tables, {sum(t['rows'] for t in tables)} rows")
        seconds = time.monotonic() - clock
        consistent_at = backups.parse_time(facts["consistent_at"])
        name = backups.backup_name(consistent_at, facts["server"], facts["version"])
        backups.write_manifest(partial, backups.manifest(facts, size, sha256, tables, history, server["node"] or name_of, seconds))
        if (folder / name).exists():
            raise Refusal(f"a backup named {name} exists already")
        partial.rename(folder / name)
        say(f"backup {name}: {size / 2**20:.1f} MiB in {seconds:.1f} s")
        if getattr(args, "keep", None):
            prune(folder, args.keep, args.max_age)
        return name
    finally:
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


def prune(folder, keep, max_age_days):
    """Removes the backups older than `max_age_days` beyond the newest `keep`."""
    for name in backups.to_prune(backups.backups(folder), keep, timedelta(days=max_age_days), datetime.now(timezone.utc)):
        shutil.rmtree(folder / name)
        say(f"pruned {name}: older than {max_age_days:g} days, beyond the newest {keep}")


def stream_backup(container, folder, clustered):
    """mariadb-backup's stream from the server's container into data.xb in `folder`, hashed as it is written, and its
    log into backup.log there (a file, not a pipe, that no long log can fill while the stream waits)."""
    digest, size = hashlib.sha256(), 0
    # At the lowest CPU priority inside the server's container: the server's own queries go first.
    command = [*AS_ROOT, "nice", "-n", "19", "mariadb-backup", "--backup", "--stream=xbstream", "--user=root", "--target-dir=/tmp"]
    if clustered:
        command.append("--galera-info")
    with open(folder / backups.DATA, "wb") as out, open(folder / "backup.log", "w+") as log_file:
        process = subprocess.Popen(["docker", "exec", container, *command], stdout=subprocess.PIPE, stderr=log_file)
        for chunk in iter(lambda: process.stdout.read(1 << 20), b""):
            out.write(chunk)
            digest.update(chunk)
            size += len(chunk)
        process.wait()
        out.flush()
        os.fsync(out.fileno())
        log_file.seek(0)
        log = log_file.read()
    if process.returncode != 0 or "completed OK!" not in log:
        raise Refusal(f"mariadb-backup failed: {' / '.join(log.strip().splitlines()[-3:])}")
    return size, digest.hexdigest(), log


def list_backups(args):
    for name, facts in backups.backups(args.folder):
        if facts is None:
            print(f"{name}  (no readable manifest: not restorable)")
            continue
        rows = sum(table["rows"] for table in facts["tables"])
        print(f"{name}  {facts['consistent_at']} UTC  {facts['size'] / 2**20:.1f} MiB  {len(facts['tables'])} tables "
              f"{rows} rows  {facts['binlog']['file']}:{facts['binlog']['position']}  from {facts['source']}")


def checked(folder, name):
    """The backup's folder and manifest, once its data has the manifest's size and checksum."""
    path = Path(folder) / name
    facts = backups.read_manifest(path)
    backups.check_data(path, facts)
    return path, facts


def verify(args):
    path, facts = checked(args.folder, args.name)
    say(f"{args.name}: size and sha256 match its manifest")
    image = args.image or image_for(args.container)
    work = Path(args.folder) / f".work-{os.getpid()}"
    work.mkdir()
    try:
        tables = inventory(image, path, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if tables != facts["tables"]:
        differences = [f"{t['schema']}.{t['table']}" for t in tables if t not in facts["tables"]] + \
                      [f"{t['schema']}.{t['table']} (missing)" for t in facts["tables"] if t not in tables]
        raise Refusal(f"{args.name} restores to other data than its manifest says: {', '.join(differences)}")
    say(f"verified {args.name}: restored into a throwaway server, its {len(tables)} tables' row counts and checksums match")


def image_for(option):
    return server_to_use(option)[0]["image"]


def restore(args):
    server, peers = server_to_use(args.container)
    container = server["name"]
    folder = Path(args.folder)
    live_server, live_version = version_of(container)
    if args.to:
        target = backups.parse_time(args.to)
        name, _ = backups.choose_for_time(backups.backups(folder), target, datetime.now(timezone.utc), history_of(container, make=False))
    else:
        target, name = None, args.backup
    path, facts = checked(folder, name)
    backups.check_compatible(facts, live_server, live_version, name)
    if peers and facts["source"] != server["node"]:
        # Each node's binary log has positions of its own: the backup's is replayed from the node it was taken from.
        nodes = [server, *peers]
        source = next((node for node in nodes if node["node"] == facts["source"]), None)
        if source is None:
            raise Refusal(f"{name} came from {facts['source']}, which is not a node of this cluster")
        server, peers, container = source, [node for node in nodes if node is not source], source["name"]
    replay = []
    if target:
        logs = sql(container, "SHOW BINARY LOGS").split()
        if facts["binlog"]["file"] not in logs:
            raise Refusal(f"the binary log since {name} ({facts['binlog']['file']}) is no longer kept: restore --backup {name} instead")
        replay = [backups.format_time(target), facts["binlog"]["file"], str(facts["binlog"]["position"])]
        say(f"restoring {name} and replaying the binary log up to {args.to} UTC onto it")
    else:
        say(f"restoring {name} as it is")

    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H-%M-%SZ")
    kept = folder / f"replaced-{stamp}"
    work = folder / f".work-{os.getpid()}"
    kept.mkdir()
    work.mkdir()
    clock = time.monotonic()
    # Writes stop cleanly: the server (every node, this one last) shuts down; the site answers its 503 page meanwhile.
    for node in [*peers, server]:
        docker("stop", "--time", "120", node["name"])
    say(f"stopped {', '.join(node['name'] for node in [*peers, server])}: writes refused while the data is replaced")
    try:
        in_container(server["image"], "restore", [(container, None), (path, "/backup:ro"), (work, "/work"), (kept, "/keep")], replay)
    except Refusal:
        shutil.rmtree(kept, ignore_errors=True)
        # Untouched: every node starts again on its own data, as after a stop of all.
        for node in [server, *peers]:
            docker("start", node["name"])
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    # The cluster is rebuilt from the restored node: it bootstraps, and its emptied peers join it by state transfer.
    for peer in peers:
        in_container(peer["image"], "empty", [(peer["name"], None)])
    docker("start", container)
    wait_for_queries(server)
    for peer in peers:
        docker("start", peer["name"])
    for peer in peers:
        wait_for_queries(peer)
    say(f"{container} answers again with the restored data{' and its peers are synced' if peers else ''}, "
        f"{time.monotonic() - clock:.1f} s after it stopped; the replaced binary log is in {kept}")
    # A new history: backups of the replaced one restore as they are, but are no longer replayed onto; one of it now,
    # so that a later restore --to can replay from here.
    sql(container, "UPDATE foobar_backups.history SET id = UUID()")
    backup(argparse.Namespace(folder=folder, container=container))


def wait_for_queries(server, seconds=300):
    """Until the server answers (a node: is synced with its cluster)."""
    container = server["name"]
    ready = ["node-ready"] if server["cluster"] else [*AS_ROOT, "mariadb-admin", "-uroot", "ping"]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if docker("exec", container, *ready, check=False).returncode == 0:
            return
        time.sleep(0.5)
    raise Refusal(f"{container} did not answer within {seconds} s of its start: docker logs {container}")


def parser():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--folder", type=Path, default=backups.default_folder(),
                        help="the backup folder (FooBar__Backups__Folder; default ~/.local/share/foobar/backups)")
    common.add_argument("--container", help="the MySQL container (default: the running stack's)")
    top = argparse.ArgumentParser(prog="scripts/db.sh", description=__doc__.splitlines()[0])
    commands = top.add_subparsers(dest="command", required=True)
    backing_up = commands.add_parser("backup", parents=[common], help="an online backup of the live server")
    backing_up.add_argument("--keep", type=int, metavar="N", help="then remove backups beyond the newest N ...")
    backing_up.add_argument("--max-age", type=float, default=7, metavar="DAYS", help="... that are older than DAYS (default 7)")
    backing_up.set_defaults(run=backup)
    commands.add_parser("list", parents=[common], help="the backups, oldest first, each a line, its name first").set_defaults(run=list_backups)
    restoring = commands.add_parser("restore", parents=[common], help="the live server's data from a backup")
    which = restoring.add_mutually_exclusive_group(required=True)
    which.add_argument("--to", metavar="'YYYY-MM-DD HH:MM:SS'", help="every write before this second (UTC), none after")
    which.add_argument("--backup", metavar="NAME", help="one backup as it is")
    restoring.set_defaults(run=restore)
    verifying = commands.add_parser("verify", parents=[common], help="a backup restored into a throwaway server and checked")
    verifying.add_argument("name")
    verifying.add_argument("--image", help="the server image to restore it with (default: the live server's)")
    verifying.set_defaults(run=verify)
    return top


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except Refusal as refusal:
        print(f"[db] refused: {refusal}", file=sys.stderr)
        return 1
    except OSError as error:
        # A full disk or a folder gone mid-way: no backup is left looking complete (the partial one is removed).
        print(f"[db] failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
