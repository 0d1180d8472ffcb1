#!/usr/bin/env bash
# The figures of docs/backups.md: a throwaway server of the stack's MySQL image with the app's tables and N posts
# (default 100,000, bodies of ~300 characters), then the time and size of a physical backup (db.sh backup), of a
# logical one (mariadb-dump --single-transaction, for comparison), of db.sh verify and of db.sh restore --backup.
#
#   scripts/db/measure.sh [POSTS]      removes its container and backup folder on exit
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
posts=${1:-100000}
image=${MEASURE_IMAGE:-$(jq -r '.ContainerImages.mysql' "$repo/FooBar.AppHost/appsettings.json")}
container=foobar-backup-measure-$$
folder=$(mktemp -d /tmp/foobar-backup-measure.XXXXXX)
MYSQL_ROOT_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
export MYSQL_ROOT_PASSWORD

cleanup() { docker rm -f -v "$container" >/dev/null 2>&1 || true; rm -rf "$folder"; }
trap cleanup EXIT
say() { echo "[measure] $*"; }
sql() { docker exec -i "$container" sh -c 'MYSQL_PWD="$MYSQL_ROOT_PASSWORD" exec mariadb -uroot -N -B foobardb'; }

say "a server of $image with $posts posts"
docker run -d --name "$container" -e MYSQL_ROOT_PASSWORD -e MYSQL_ROOT_HOST=localhost -e MYSQL_DATABASE=foobardb "$image" >/dev/null
# The first start's temporary server has a socket of its own: the default one answers once the real server runs.
until echo 'SELECT 1' | sql >/dev/null 2>&1; do sleep 1; done
cat "$repo"/FooBar.Web/Data/Migrations/*.sql | sql
start=$SECONDS
sql <<SQL
INSERT INTO posts (author, title, body)
SELECT CONCAT('author ', seq % 97), CONCAT('Post number ', seq), REPEAT(CONCAT('Words of post ', seq, '. '), 15)
FROM seq_1_to_$posts;
SQL
say "  written in $((SECONDS - start)) s"

start=$SECONDS
"$repo/scripts/db.sh" backup --folder "$folder" --container "$container" >"$folder/backup.out"
physical_seconds=$((SECONDS - start))
name=$("$repo/scripts/db.sh" list --folder "$folder" | tail -1 | cut -d' ' -f1)
physical_bytes=$(jq .size "$folder/$name/manifest.json")
stream_seconds=$(sed -n 's/.*streamed .* in \([0-9.]*\) s;.*/\1/p' "$folder/backup.out")

start=$SECONDS
docker exec "$container" sh -c 'MYSQL_PWD="$MYSQL_ROOT_PASSWORD" exec mariadb-dump -uroot --single-transaction --all-databases' >"$folder/dump.sql"
dump_seconds=$((SECONDS - start))
dump_bytes=$(stat -c %s "$folder/dump.sql")
start=$SECONDS
sql <"$folder/dump.sql"
load_seconds=$((SECONDS - start))

start=$SECONDS
"$repo/scripts/db.sh" verify "$name" --folder "$folder" --container "$container" >/dev/null
verify_seconds=$((SECONDS - start))
start=$SECONDS
"$repo/scripts/db.sh" restore --backup "$name" --folder "$folder" --container "$container" >"$folder/restore.out"
restore_seconds=$((SECONDS - start))
down_seconds=$(sed -n 's/.*, \([0-9.]*\) s after it stopped.*/\1/p' "$folder/restore.out")
[ "$(echo 'SELECT COUNT(*) FROM posts' | sql)" = "$((posts + 1))" ] || { say "the restored server lacks posts"; exit 1; }

mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
say "on $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), $(date -u +%F), $posts posts:"
say "  mariadb-backup (db.sh backup):            $(mib "$physical_bytes"), streamed in $stream_seconds s, with its proof restore $physical_seconds s"
say "  mariadb-dump --single-transaction:        $(mib "$dump_bytes") in $dump_seconds s; loading it back took $load_seconds s"
say "  db.sh verify:                             $verify_seconds s"
say "  db.sh restore --backup:                   server down for $down_seconds s; $restore_seconds s with the new backup after it"
