"""scripts/db.sh's checks without a server or Docker: its command line, backup names, the folder, manifests and the
refusals of a bad backup or time. Run: python3 -m unittest discover -s scripts/db (FooBar.Tests' BackupScriptTests does)."""
import contextlib
import hashlib
import io
import json
import os
import tempfile
import unittest
from datetime import datetime, timedelta, timezone
from pathlib import Path

import backups
import db
from backups import Refusal

LOG = """[00] 2026-12-07 12:00:00 Using server version 10.11.19-MariaDB-0+deb12u1-log
[00] 2026-12-07 12:00:02 MySQL binlog position: filename 'mysql-bin.000003', position '4242', GTID of the last change '0-1-17'
[00] 2026-12-07 12:00:02 completed OK!
"""


def utc(text):
    return backups.parse_time(text)


class Folder:
    """A backup folder in a temporary directory, with backups written as db.sh writes them."""

    def __init__(self):
        self._temp = tempfile.TemporaryDirectory()
        self.path = Path(self._temp.name)

    def add(self, consistent_at, data=b"backup bytes", history="h1", **changes):
        facts = backups.parse_backup_log(LOG.replace("2026-12-07 12:00:02", consistent_at))
        name = backups.backup_name(utc(facts["consistent_at"]), facts["server"], facts["version"])
        folder = self.path / name
        folder.mkdir()
        (folder / backups.DATA).write_bytes(data)
        tables = [{"schema": "foobardb", "table": "posts", "rows": 3, "checksum": "123"}]
        facts = backups.manifest(facts, len(data), hashlib.sha256(data).hexdigest(), tables, history, "mysql", 1.0)
        facts.update(changes)
        backups.write_manifest(folder, facts)
        return name

    def close(self):
        self._temp.cleanup()


class CommandLineTests(unittest.TestCase):
    def parse(self, *argv):
        return db.parser().parse_args(list(argv))

    def refused(self, *argv):
        with contextlib.redirect_stderr(io.StringIO()) as errors, self.assertRaises(SystemExit) as exited:
            self.parse(*argv)
        self.assertEqual(2, exited.exception.code)
        return errors.getvalue()

    def test_restore_takes_a_time_or_a_backup(self):
        self.assertEqual("2026-12-07 12:03:15", self.parse("restore", "--to", "2026-12-07 12:03:15").to)
        self.assertEqual("NAME", self.parse("restore", "--backup", "NAME").backup)

    def test_restore_refuses_neither_and_both(self):
        self.assertIn("one of the arguments --to --backup is required", self.refused("restore"))
        self.assertIn("not allowed with argument", self.refused("restore", "--to", "2026-12-07 12:03:15", "--backup", "N"))

    def test_verify_needs_a_name_and_an_unknown_command_is_refused(self):
        self.assertIn("required: name", self.refused("verify"))
        self.assertIn("invalid choice", self.refused("backpu"))

    def test_backup_prunes_only_when_told_how_many_to_keep(self):
        self.assertIsNone(self.parse("backup").keep)
        args = self.parse("backup", "--keep", "5", "--max-age", "2.5")
        self.assertEqual((5, 2.5), (args.keep, args.max_age))

    def test_folder_and_container_are_options_of_every_command(self):
        args = self.parse("list", "--folder", "/tmp/b", "--container", "mysql-abc")
        self.assertEqual((Path("/tmp/b"), "mysql-abc"), (args.folder, args.container))

    def test_a_refusal_exits_1_and_says_why(self):
        with tempfile.TemporaryDirectory() as folder, contextlib.redirect_stderr(io.StringIO()) as errors:
            self.assertEqual(1, db.main(["verify", "nothing-here", "--folder", folder]))
        self.assertIn("refused: no backup named nothing-here", errors.getvalue())


class FolderTests(unittest.TestCase):
    def test_the_default_is_the_configured_folder_else_the_users_data_folder(self):
        self.assertEqual(Path("/srv/b"), backups.default_folder({"FooBar__Backups__Folder": "/srv/b", "HOME": "/root"}))
        self.assertEqual(Path("/d/foobar/backups"), backups.default_folder({"XDG_DATA_HOME": "/d", "HOME": "/root"}))
        self.assertEqual(Path("/home/u/.local/share/foobar/backups"), backups.default_folder({"HOME": "/home/u"}))

    def test_a_folder_that_cannot_be_written_is_refused(self):
        with tempfile.TemporaryDirectory() as temp:
            blocker = Path(temp, "a-file")
            blocker.write_text("")
            with self.assertRaisesRegex(Refusal, "not writable"):
                backups.writable_folder(blocker / "backups")
            self.assertEqual(Path(temp, "new"), backups.writable_folder(Path(temp, "new")))
            self.assertEqual([], [p.name for p in Path(temp, "new").iterdir()])


class TimeAndNameTests(unittest.TestCase):
    def test_times_are_utc_seconds_and_anything_else_is_refused(self):
        self.assertEqual(datetime(2026, 12, 7, 12, 3, 15, tzinfo=timezone.utc), utc("2026-12-07 12:03:15"))
        for text in ("2026-12-07", "12:03:15", "2026-12-07T12:03:15", "2026-13-07 12:03:15", "yesterday"):
            with self.assertRaisesRegex(Refusal, "YYYY-MM-DD HH:MM:SS", msg=text):
                utc(text)

    def test_the_backup_log_gives_version_position_and_time(self):
        facts = backups.parse_backup_log(LOG)
        self.assertEqual(("MariaDB", "10.11.19", "2026-12-07 12:00:02"), (facts["server"], facts["version"], facts["consistent_at"]))
        self.assertEqual({"file": "mysql-bin.000003", "position": 4242, "gtid": "0-1-17"}, facts["binlog"])
        self.assertEqual("2026-12-07T12-00-02Z-mariadb-10.11.19", backups.backup_name(utc("2026-12-07 12:00:02"), "MariaDB", "10.11.19"))

    def test_a_log_without_a_binlog_position_is_refused(self):
        with self.assertRaisesRegex(Refusal, "binary log on"):
            backups.parse_backup_log(LOG.splitlines()[0])

    def test_inventory_lines_become_tables(self):
        self.assertEqual([{"schema": "foobardb", "table": "posts", "rows": 7, "checksum": "99"}],
                         backups.parse_inventory("foobardb\tposts\t7\t99\n\n"))


class ManifestTests(unittest.TestCase):
    def setUp(self):
        self.folder = Folder()
        self.name = self.folder.add("2026-12-07 12:00:02")
        self.backup = self.folder.path / self.name

    def tearDown(self):
        self.folder.close()

    def test_a_complete_backup_passes(self):
        facts = backups.read_manifest(self.backup)
        backups.check_data(self.backup, facts)
        self.assertEqual("h1", facts["history"])

    def test_a_truncated_backup_is_refused(self):
        data = self.backup / backups.DATA
        data.write_bytes(data.read_bytes()[:-3])
        with self.assertRaisesRegex(Refusal, "truncated"):
            backups.check_data(self.backup, backups.read_manifest(self.backup))

    def test_a_corrupted_backup_is_refused(self):
        data = self.backup / backups.DATA
        data.write_bytes(b"X" + data.read_bytes()[1:])
        with self.assertRaisesRegex(Refusal, "corrupted"):
            backups.check_data(self.backup, backups.read_manifest(self.backup))

    def test_a_missing_or_foreign_manifest_is_refused(self):
        (self.backup / backups.MANIFEST).write_text(json.dumps({"format": "xtrabackup"}))
        with self.assertRaisesRegex(Refusal, "not a foobar-backup/1 manifest"):
            backups.read_manifest(self.backup)
        (self.backup / backups.MANIFEST).write_text("{ half")
        with self.assertRaisesRegex(Refusal, "unreadable"):
            backups.read_manifest(self.backup)
        (self.backup / backups.MANIFEST).unlink()
        with self.assertRaisesRegex(Refusal, "not a backup that scripts/db.sh made"):
            backups.read_manifest(self.backup)
        with self.assertRaisesRegex(Refusal, "no backup named unknown"):
            backups.read_manifest(self.folder.path / "unknown")

    def test_a_backup_of_another_server_version_is_refused(self):
        facts = backups.read_manifest(self.backup)
        backups.check_compatible(facts, "MariaDB", "10.11.20", self.name)
        with self.assertRaisesRegex(Refusal, "backup of MariaDB 10.11.19; the live server is MariaDB 11.4.2"):
            backups.check_compatible(facts, "MariaDB", "11.4.2", self.name)
        with self.assertRaisesRegex(Refusal, "live server is MySQL"):
            backups.check_compatible(facts, "MySQL", "10.11.19", self.name)

    def test_a_partial_backup_is_not_listed(self):
        (self.folder.path / ".partial-123").mkdir()
        (self.folder.path / "replaced-2026-12-07T12-30-00Z").mkdir()
        self.assertEqual([self.name], [name for name, _ in backups.backups(self.folder.path)])


class ChoosingTests(unittest.TestCase):
    now = utc("2026-12-07 13:00:00")

    def setUp(self):
        self.folder = Folder()
        self.first = self.folder.add("2026-12-07 12:00:02")
        self.second = self.folder.add("2026-12-07 12:30:00")

    def tearDown(self):
        self.folder.close()

    def choose(self, target, history="h1"):
        return backups.choose_for_time(backups.backups(self.folder.path), utc(target), self.now, history)[0]

    def test_the_latest_backup_wholly_before_the_time_is_chosen(self):
        self.assertEqual(self.first, self.choose("2026-12-07 12:30:00"))
        self.assertEqual(self.second, self.choose("2026-12-07 12:30:01"))
        self.assertEqual(self.second, self.choose("2026-12-07 13:00:00"))

    def test_a_time_in_the_future_is_refused(self):
        with self.assertRaisesRegex(Refusal, "in the future"):
            self.choose("2026-12-07 13:00:01")

    def test_a_time_before_the_oldest_backup_is_refused(self):
        for target in ("2026-12-07 12:00:02", "2026-01-01 00:00:00"):
            with self.assertRaisesRegex(Refusal, "before the oldest backup"):
                self.choose(target)

    def test_backups_of_a_replaced_history_are_not_replayed_onto(self):
        with self.assertRaisesRegex(Refusal, "since the last restore"):
            self.choose("2026-12-07 12:45:00", history="h2")
        after_restore = self.folder.add("2026-12-07 12:40:00", history="h2")
        self.assertEqual(after_restore, self.choose("2026-12-07 12:45:00", history="h2"))

    def test_no_backup_at_all_is_refused(self):
        with self.assertRaisesRegex(Refusal, "no backup to restore from"):
            backups.choose_for_time([], utc("2026-12-07 12:45:00"), self.now, "h1")


class PruningTests(unittest.TestCase):
    def setUp(self):
        self.folder = Folder()
        self.names = [self.folder.add(f"2026-12-0{day} 12:00:00") for day in (1, 2, 3, 4)]

    def tearDown(self):
        self.folder.close()

    def prune(self, keep, days):
        return backups.to_prune(backups.backups(self.folder.path), keep, timedelta(days=days), utc("2026-12-05 12:00:00"))

    def test_backups_past_the_age_go_but_the_newest_few_stay(self):
        self.assertEqual(self.names[:2], self.prune(keep=1, days=2))
        self.assertEqual(self.names[:1], self.prune(keep=3, days=1))
        self.assertEqual([], self.prune(keep=1, days=30))

    def test_the_newest_backup_always_stays(self):
        self.assertEqual(self.names[:3], self.prune(keep=1, days=0))
        with self.assertRaisesRegex(Refusal, "at least the newest"):
            self.prune(keep=0, days=1)


if __name__ == "__main__":
    unittest.main()
