#!/bin/bash
# Entry point honouring the official mysql image's contract on Debian's MariaDB:
# on an empty data directory it creates the system tables, sets the root password,
# creates MYSQL_DATABASE and MYSQL_USER, and runs /docker-entrypoint-initdb.d/*
# (.sh, .sql, .sql.gz) once; then it runs the server in the foreground.
# With GALERA_CLUSTER_ADDRESS set it runs a node of a Galera cluster instead (galera-node.sh says how).
set -euo pipefail

datadir=/var/lib/mysql
init_socket=/run/mysqld/init.sock
# What a cluster node adds to the first start: options of its temporary server, statements of its initialisation.
init_server_options=()
init_cluster_sql=

say() { echo "[entrypoint] $*"; }
fail() { echo "[entrypoint] error: $*" >&2; exit 1; }

# VAR or VAR_FILE (the contents of a file, for Docker secrets), never both.
file_env() {
  local var=$1 file_var="${1}_FILE" default=${2:-}
  [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ] && fail "both $var and $file_var are set"
  if [ -n "${!file_var:-}" ]; then export "$var"="$(<"${!file_var}")"; else export "$var"="${!var:-$default}"; fi
  unset "$file_var"
}

# A value inside single quotes in SQL.
sql_quote() { local s=${1//\\/\\\\}; printf "'%s'" "${s//\'/\\\'}"; }

client() { mariadb --protocol=socket --socket="$init_socket" -uroot "$@"; }

initialise() {
  file_env MYSQL_ROOT_PASSWORD
  file_env MYSQL_DATABASE
  file_env MYSQL_USER
  file_env MYSQL_PASSWORD
  file_env MYSQL_ROOT_HOST '%'
  if [ -z "$MYSQL_ROOT_PASSWORD" ] && [ -z "${MYSQL_ALLOW_EMPTY_PASSWORD:-}" ] && [ -z "${MYSQL_RANDOM_ROOT_PASSWORD:-}" ]; then
    fail "the database is uninitialised and no password option is set: set MYSQL_ROOT_PASSWORD, MYSQL_ALLOW_EMPTY_PASSWORD or MYSQL_RANDOM_ROOT_PASSWORD"
  fi
  [ "${MYSQL_USER:-}" = root ] && fail "MYSQL_USER=root is not allowed: root is configured by MYSQL_ROOT_PASSWORD"
  if [ -n "${MYSQL_RANDOM_ROOT_PASSWORD:-}" ]; then
    MYSQL_ROOT_PASSWORD=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
    say "generated root password: $MYSQL_ROOT_PASSWORD"
  fi

  say "initialising $datadir"
  mariadb-install-db --user=mysql --datadir="$datadir" --auth-root-authentication-method=normal \
    --skip-test-db --skip-name-resolve >/dev/null

  mariadbd --user=mysql --skip-networking --socket="$init_socket" "${init_server_options[@]}" &
  local pid=$!
  for _ in $(seq 30); do
    mariadb-admin --socket="$init_socket" -uroot ping >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || fail "the server stopped during initialisation"
    sleep 1
  done

  local root_pw; root_pw=$(sql_quote "$MYSQL_ROOT_PASSWORD")
  {
    echo "SET @@SESSION.SQL_LOG_BIN=0;"
    echo "DELETE FROM mysql.user WHERE User = '';"
    echo "DROP USER IF EXISTS 'root'@'$(hostname)', 'root'@'127.0.0.1', 'root'@'::1';"
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY $root_pw;"
    if [ "$MYSQL_ROOT_HOST" != localhost ]; then
      echo "CREATE USER 'root'@$(sql_quote "$MYSQL_ROOT_HOST") IDENTIFIED BY $root_pw;"
      echo "GRANT ALL ON *.* TO 'root'@$(sql_quote "$MYSQL_ROOT_HOST") WITH GRANT OPTION;"
    fi
    [ -n "$MYSQL_DATABASE" ] && echo "CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\`;"
    if [ -n "$MYSQL_USER" ] && [ -n "$MYSQL_PASSWORD" ]; then
      echo "CREATE USER $(sql_quote "$MYSQL_USER")@'%' IDENTIFIED BY $(sql_quote "$MYSQL_PASSWORD");"
      [ -n "$MYSQL_DATABASE" ] && echo "GRANT ALL ON \`$MYSQL_DATABASE\`.* TO $(sql_quote "$MYSQL_USER")@'%';"
    fi
    [ -n "$init_cluster_sql" ] && echo "$init_cluster_sql"
    echo "FLUSH PRIVILEGES;"
  } | client

  local db_args=(); [ -n "$MYSQL_DATABASE" ] && db_args=("$MYSQL_DATABASE")
  export MYSQL_PWD=$MYSQL_ROOT_PASSWORD
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh)     say "running $f"; if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
      *.sql)    say "running $f"; client "${db_args[@]}" <"$f" ;;
      *.sql.gz) say "running $f"; gunzip -c "$f" | client "${db_args[@]}" ;;
      *)        [ -e "$f" ] && say "ignoring $f" ;;
    esac
  done
  mariadb-admin --socket="$init_socket" -uroot shutdown
  unset MYSQL_PWD
  wait "$pid"
  say "initialisation complete"
}

# Like the official image: options alone mean "the server with these options".
[ "${1:0:1}" = - ] && set -- mysqld "$@"
if [ "$1" = mysqld ] || [ "$1" = mariadbd ]; then
  shift
  if [ -n "${GALERA_CLUSTER_ADDRESS:-}" ]; then
    . /usr/local/lib/galera-node.sh
    galera_start "$@"
  fi
  [ -d "$datadir/mysql" ] || initialise
  exec mariadbd --user=mysql "$@"
fi
exec "$@"
