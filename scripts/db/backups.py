"""What scripts/db.sh knows about backups without a server: their names, the backup folder, manifests and the checks
that refuse a bad backup or a bad time before anything is touched. db.py does the work; test_backups.py checks this.

A backup is a folder NAME/ in the backup folder holding data.xb (mariadb-backup's xbstream) and manifest.json. It is
written as .partial-* and renamed to NAME only once complete, so a folder without a leading dot is a finished backup.
"""
import hashlib
import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path

MANIFEST = "manifest.json"
DATA = "data.xb"
FORMAT = "foobar-backup/1"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# 2026-12-07T12-03-15Z-mariadb-10.11.19: sorts by time, says what restores it.
NAME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ-[a-z]+-\d+\.\d+\.\d+$")
# mariadb-backup's line for the binary-log position its backup matches, and the time it was reached.
POSITION = re.compile(r"^\[\d+\] (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) MySQL binlog position: filename '([^']+)', "
                      r"position '(\d+)'(?:, GTID of the last change '([^']*)')?", re.M)
VERSION = re.compile(r"Using server version (\d+\.\d+\.\d+)-(MariaDB|MySQL)", re.I)


class Refusal(Exception):
    """A request that db.sh turns down before it changes anything; its message says why and what to do instead."""


def default_folder(environ=os.environ):
    """FooBar:Backups:Folder (as the environment's FooBar__Backups__Folder), else the user's data folder."""
    configured = environ.get("FooBar__Backups__Folder")
    if configured:
        return Path(configured)
    data_home = environ.get("XDG_DATA_HOME") or str(Path(environ.get("HOME", "~")).expanduser() / ".local/share")
    return Path(data_home) / "foobar/backups"


def writable_folder(folder):
    """The folder, made if missing, once a file could be written in it; a Refusal otherwise."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise Refusal(f"the backup folder {folder} is not writable ({error.strerror}): "
                      "give another with --folder or FooBar__Backups__Folder") from None
    return folder


def parse_time(text):
    """'YYYY-MM-DD HH:MM:SS' (UTC) as a datetime; a Refusal for anything else."""
    try:
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        raise Refusal(f"'{text}' is not a time as YYYY-MM-DD HH:MM:SS (UTC), such as '2026-12-07 12:03:15'") from None


def format_time(moment):
    return moment.astimezone(timezone.utc).strftime(TIME_FORMAT)


def backup_name(consistent_at, server, version):
    return f"{consistent_at.astimezone(timezone.utc):%Y-%m-%dT%H-%M-%SZ}-{server.lower()}-{version}"


def parse_backup_log(log):
    """What mariadb-backup's log says of the backup: the server's version, and the binary-log position (with the
    time it was reached, UTC) that the backup matches; a Refusal when either is missing."""
    version, position = VERSION.search(log), POSITION.search(log)
    if not version or not position:
        last = " / ".join(log.strip().splitlines()[-2:])
        raise Refusal("mariadb-backup did not say which server version and binary-log position the backup matches "
                      f"(is the binary log on? images/mysql-compatible/server.cnf); its log ends: {last}")
    return {"server": version.group(2), "version": version.group(1),
            "consistent_at": format_time(datetime.strptime(position.group(1), TIME_FORMAT).replace(tzinfo=timezone.utc)),
            "binlog": {"file": position.group(2), "position": int(position.group(3)), "gtid": position.group(4) or ""}}


def parse_inventory(text):
    """in-container.sh's inventory lines as [{schema, table, rows, checksum}]."""
    tables = []
    for line in text.splitlines():
        if line.strip():
            schema, table, rows, checksum = line.split("\t")
            tables.append({"schema": schema, "table": table, "rows": int(rows), "checksum": checksum})
    return tables


def manifest(log_facts, size, sha256, tables, history, source, seconds):
    return {"format": FORMAT, **log_facts, "size": size, "sha256": sha256, "history": history, "source": source,
            "seconds": round(seconds, 1), "tables": tables}


def write_manifest(folder, facts):
    path = Path(folder) / MANIFEST
    with open(path, "w") as out:
        json.dump(facts, out, indent=2)
        out.write("\n")
        out.flush()
        os.fsync(out.fileno())


def read_manifest(backup):
    """The manifest of the backup folder `backup`; a Refusal when it is missing, unreadable or not db.sh's."""
    backup = Path(backup)
    path = backup / MANIFEST
    if not backup.is_dir():
        raise Refusal(f"no backup named {backup.name} in {backup.parent} (scripts/db.sh list shows them)")
    try:
        facts = json.loads(path.read_text())
    except FileNotFoundError:
        raise Refusal(f"{backup.name} has no {MANIFEST}: not a backup that scripts/db.sh made") from None
    except (OSError, ValueError) as error:
        raise Refusal(f"{backup.name}'s {MANIFEST} is unreadable ({error})") from None
    missing = [key for key in ("format", "server", "version", "consistent_at", "binlog", "size", "sha256", "history", "tables")
               if not isinstance(facts, dict) or key not in facts]
    if missing or facts.get("format") != FORMAT:
        raise Refusal(f"{backup.name}'s {MANIFEST} is not a {FORMAT} manifest"
                      + (f" (missing {', '.join(missing)})" if missing else f" (format {facts.get('format')!r})"))
    return facts


def check_data(backup, facts, hashing=True):
    """A Refusal unless data.xb has the manifest's size and, with `hashing`, its sha256."""
    data = Path(backup) / DATA
    if not data.is_file():
        raise Refusal(f"{Path(backup).name} has no {DATA}")
    size = data.stat().st_size
    if size != facts["size"]:
        raise Refusal(f"{Path(backup).name} is truncated or damaged: {DATA} holds {size} bytes, its manifest says {facts['size']}")
    if hashing and sha256_of(data) != facts["sha256"]:
        raise Refusal(f"{Path(backup).name} is corrupted: {DATA}'s sha256 differs from its manifest's")


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as data:
        for chunk in iter(lambda: data.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_compatible(facts, server, version, name):
    """A physical backup starts only on the server it came from, in its major.minor version."""
    if facts["server"].lower() != server.lower() or facts["version"].split(".")[:2] != version.split(".")[:2]:
        raise Refusal(f"{name} is a backup of {facts['server']} {facts['version']}; the live server is {server} {version}")


def backups(folder):
    """(name, manifest or None) of every finished backup in the folder, oldest first."""
    found = []
    for entry in sorted(Path(folder).iterdir()) if Path(folder).is_dir() else []:
        if entry.is_dir() and NAME.match(entry.name):
            try:
                found.append((entry.name, read_manifest(entry)))
            except Refusal:
                found.append((entry.name, None))
    return sorted(found, key=lambda item: (item[1] or {}).get("consistent_at", ""))


def choose_for_time(found, target, now, history):
    """The latest backup of the live server's history whose every write came before `target` (a backup reached at
    12:03:15.4 holds writes of 12:03:15, so it serves targets from 12:03:16 on); a Refusal for a time in the future,
    before the oldest backup, or with no backup of this history before it."""
    if target > now:
        raise Refusal(f"{format_time(target)} is in the future (now is {format_time(now)} UTC)")
    usable = [(name, facts) for name, facts in found if facts]
    if not usable:
        raise Refusal("there is no backup to restore from: scripts/db.sh backup makes one")
    oldest = usable[0][1]["consistent_at"]
    if format_time(target) <= oldest:
        raise Refusal(f"{format_time(target)} is before the oldest backup ({oldest} UTC): nothing holds the data of then")
    ours = [(name, facts) for name, facts in usable if facts["history"] == history and facts["consistent_at"] < format_time(target)]
    if not ours:
        raise Refusal(f"no backup since the last restore is older than {format_time(target)}: only restore --backup NAME "
                      "can go back past a restore")
    return ours[-1]


def to_prune(found, keep, max_age, now):
    """The backups to remove: those older than `max_age` beyond the newest `keep`, which always stay (at least one)."""
    if keep < 1:
        raise Refusal(f"--keep {keep}: at least the newest backup stays")
    finished = [(name, facts) for name, facts in found if facts]
    old = finished[:-keep]
    return [name for name, facts in old if now - parse_time(facts["consistent_at"]) > max_age]

