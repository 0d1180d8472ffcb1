#!/bin/bash
# The steps of scripts/db.sh that need the server's own tools, run in a throwaway container of the live server's image
# (db.py starts it) with the backup in /backup/data.xb and a scratch folder in /work:
#   in-container.sh inventory   prepares the backup, starts it on a socket of its own, prints each table's
#                               schema, name, rows and CHECKSUM TABLE, one a line, tab-separated
#   in-container.sh restore [STOP_DATETIME FILE POSITION]
#                               prepares the backup, replays /var/lib/mysql's binary log from FILE:POSITION up to
#                               STOP_DATETIME (UTC; omitted: no replay), then puts it in place of /var/lib/mysql (the
#                               live server's volume, stopped), keeping the replaced binary log in /keep
#   in-container.sh empty       empties /var/lib/mysql (a Galera node's, stopped, that then joins by state transfer)
set -euo pipefail

data=/work/data
socket=/work/mysqld.sock
live=/var/lib/mysql
# Whatever the server's own databases are: the rest is what a backup is proven on.
system_schemas="'mysql', 'information_schema', 'performance_schema', 'sys'"

say() { echo "[db] $*" >&2; }
fail() { echo "[db] error: $*" >&2; exit 1; }
client() { mariadb --socket="$socket" -uroot -N -B "$@"; }

prepare() {
  mkdir -p "$data"
  mbstream -x -C "$data" </backup/data.xb || fail "the backup's stream does not unpack"
  mariadb-backup --prepare --target-dir="$data" >/work/prepare.log 2>&1 || { tail -5 /work/prepare.log >&2; fail "mariadb-backup --prepare failed"; }
}

# The prepared backup on a socket only; no grant tables, so that no password is needed, and no binary log of its own.
start_server() {
  mariadbd --user=root --datadir="$data" --socket="$socket" --skip-networking --skip-grant-tables --skip-log-bin \
    --wsrep-on=OFF --log-error=/work/server.log &
  server=$!
  for _ in $(seq 240); do
    mariadb-admin --socket="$socket" ping >/dev/null 2>&1 && return 0
    kill -0 "$server" 2>/dev/null || { tail -5 /work/server.log >&2; fail "the restored server did not start"; }
    sleep 0.25
  done
  fail "the restored server did not answer within 60 s"
}

# SIGTERM: a clean shutdown that needs no login (after a replay the grant tables are on).
stop_server() { kill -TERM "$server"; wait "$server"; }

inventory() {
  local schema table rows checksum
  client -e "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'
             AND table_schema NOT IN ($system_schemas) ORDER BY 1, 2" |
  while IFS=$'\t' read -r schema table; do
    rows=$(client -e "SELECT COUNT(*) FROM \`$schema\`.\`$table\`")
    checksum=$(client -e "CHECKSUM TABLE \`$schema\`.\`$table\`" | cut -f2)
    printf '%s\t%s\t%s\t%s\n' "$schema" "$table" "$rows" "$checksum"
  done
}

# Replays the live server's binary log, from the backup's position, up to (not including) the stop second.
replay() {
  local stop=$1 first=$2 position=$3 files=() file started=
  while read -r file; do
    file=$(basename "$file")
    [ "$file" = "$first" ] && started=1
    [ -n "$started" ] && files+=("$live/$file")
  done <"$live/mysql-bin.index"
  [ -n "$started" ] || fail "the binary log no longer holds $first (purged?): restore --backup instead"
  say "replaying ${#files[@]} binary log file(s) from $first:$position up to $stop"
  # --no-defaults: the [client] group's character set is an option mariadb-binlog lacks. FLUSH PRIVILEGES loads the grant tables, so that replayed account statements (CREATE USER, GRANT) run; this session keeps its rights.
  { echo "FLUSH PRIVILEGES;"; mariadb-binlog --no-defaults --start-position="$position" --stop-datetime="$stop" "${files[@]}"; } | client
}

# The restored data in place of the live server's, which keeps its volume; the replaced history's binary log beside the backups.
swap_in() {
  local galera=
  [ -f "$live/grastate.dat" ] && galera=1
  cp -a "$live"/mysql-bin.* /keep/ 2>/dev/null || true
  find "$live" -mindepth 1 -delete
  rm -f "$data"/xtrabackup_* "$data"/backup-my.cnf "$data"/mysqld.sock
  cp -a "$data"/. "$live"/
  # A Galera node's restored data bootstraps a new cluster (galera-node.sh's rule 4); its emptied peers join it by SST.
  if [ -n "$galera" ]; then
    printf '# GALERA saved state\nversion: 2.1\nuuid:    00000000-0000-0000-0000-000000000000\nseqno:   -1\nsafe_to_bootstrap: 1\n' >"$live/grastate.dat"
  fi
  chown -R mysql:mysql "$live"
}

case ${1:-} in
  inventory)
    prepare
    start_server
    inventory
    stop_server ;;
  restore)
    prepare
    if [ $# -eq 4 ]; then
      start_server
      replay "$2" "$3" "$4"
      stop_server
    fi
    swap_in ;;
  empty)
    find "$live" -mindepth 1 -delete ;;
  *) fail "usage: in-container.sh inventory | restore [STOP_DATETIME FILE POSITION] | empty" ;;
esac
