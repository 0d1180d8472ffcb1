#!/usr/bin/env bash
# Backups of the running stack's MySQL, and restores from them (docs/backups.md):
#
#   scripts/db.sh backup [--keep N [--max-age DAYS]]  an online backup (mariadb-backup) into the backup folder; then
#                                                     the backups older than DAYS (7) beyond the newest N removed
#   scripts/db.sh list                                the backups, oldest first, one a line, its name first
#   scripts/db.sh restore --to "2026-12-07 12:03:15"  every write before that second (UTC) back, none after
#   scripts/db.sh restore --backup NAME               one backup as it is
#   scripts/db.sh verify NAME                         a backup restored into a throwaway server and checked
#
# Options: --folder DIR (FooBar__Backups__Folder; default ~/.local/share/foobar/backups), --container NAME (default:
# the running AppHost's MySQL). A refusal (exit 1) leaves the live database as it was.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exec python3 "$repo/scripts/db/db.py" "$@"
