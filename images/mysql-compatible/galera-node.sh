# A Galera node's start, sourced by docker-entrypoint.sh when GALERA_CLUSTER_ADDRESS is set:
#   GALERA_CLUSTER_ADDRESS  gcomm://db-1,db-2,db-3: every node's address, the same list on every node
#   GALERA_NODE_ADDRESS     this node's entry in that list (default: the container's host name)
#   GALERA_NODE_NAME        its name in the cluster's status (default: GALERA_NODE_ADDRESS)
#   GALERA_CLUSTER_NAME     the cluster's name, the same on every node (default: foobar)
#   GALERA_STATE_PORT       where each node tells its peers its state, galera-state's line (default: 4570)
#
# Each node serves its state, then decides, asking its peers every two seconds until one rule applies:
#   1. a peer is in a primary component:      join it (IST, or SST by mariadb-backup)
#   2. empty data directory:                  the first listed node, once every peer answers with no data
#                                             either, initialises (MYSQL_* once, for the whole cluster) and
#                                             bootstraps a new cluster; the others wait for rule 1
#   3. this node was killed (gvwstate.dat):   start; Galera's pc.recovery forms the last primary view again
#                                             once all its members are back
#   4. this node left last (safe_to_bootstrap: 1 after a graceful stop): bootstrap the cluster again
#   5. every peer answers, none is up, none has gvwstate.dat or safe_to_bootstrap: 1 (a stop of all at
#      once can leave no node marked): the node with the highest seqno (then the first listed) bootstraps
# Otherwise it waits, saying what it saw.

galera_state_port=${GALERA_STATE_PORT:-4570}
galera_nodes=()
galera_self=${GALERA_NODE_ADDRESS:-$(hostname)}
galera_peers=()
declare -A galera_peer_state=()

galera_configure() {
  local list=${GALERA_CLUSTER_ADDRESS#gcomm://}
  list=${list%%\?*}
  IFS=, read -ra galera_nodes <<<"$list"
  local node found=
  for node in "${galera_nodes[@]}"; do
    if [ "${node%%:*}" = "$galera_self" ]; then found=1; else galera_peers+=("${node%%:*}"); fi
  done
  [ -n "$found" ] || fail "GALERA_NODE_ADDRESS ($galera_self) is not in GALERA_CLUSTER_ADDRESS ($GALERA_CLUSTER_ADDRESS)"
  cp /etc/mysql/galera.cnf /etc/mysql/mariadb.conf.d/91-galera.cnf
  cat >/etc/mysql/mariadb.conf.d/92-galera-node.cnf <<CNF
[mysqld]
wsrep_cluster_address = $GALERA_CLUSTER_ADDRESS
wsrep_cluster_name    = ${GALERA_CLUSTER_NAME:-foobar}
wsrep_node_address    = $galera_self
wsrep_node_name       = ${GALERA_NODE_NAME:-$galera_self}
CNF
  # The first start's temporary server (initialise) runs without the provider.
  init_server_options=(--wsrep-provider=none)
  # The donor's state-transfer login: the mysql OS user over the socket, by unix_socket, no password.
  init_cluster_sql="CREATE USER 'mysql'@'localhost' IDENTIFIED VIA unix_socket;
GRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR ON *.* TO 'mysql'@'localhost';"
}

galera_local() { /usr/local/bin/galera-state; }

# field NAME LINE: a value from a galera-state line.
field() { local pair; for pair in $2; do [ "${pair%%=*}" = "$1" ] && { echo "${pair#*=}"; return; }; done; return 0; }

# A killed node's grastate.dat says seqno -1: its position is recovered from InnoDB, so that it rejoins by IST
# rather than a whole SST, and rule 5 compares real positions.
galera_recover_position() {
  local grastate=$datadir/grastate.dat log=/run/mysqld/recover.log
  rm -f /run/mysqld/recovered-seqno
  galera_start_position=
  [ -f "$grastate" ] && [ "$(awk '$1 == "seqno:" { print $2 }' "$grastate")" = -1 ] || return 0
  say "recovering this node's position from InnoDB (grastate.dat says seqno -1)"
  mariadbd --user=mysql --wsrep-recover --log-error="$log" >/dev/null 2>&1 || true
  galera_start_position=$(sed -n 's/.*WSREP: Recovered position: \([0-9a-f-]*:-\?[0-9]\+\)$/\1/p' "$log" | tail -1)
  [ -n "$galera_start_position" ] || { say "no position recovered; the node will need a full SST"; return 0; }
  echo "${galera_start_position##*:}" >/run/mysqld/recovered-seqno
  say "recovered position: $galera_start_position"
}

galera_serve_state() {
  runuser -u mysql -- socat -T5 "TCP-LISTEN:$galera_state_port,fork,reuseaddr" EXEC:/usr/local/bin/galera-state &
}

galera_ask_peers() {
  local peer
  for peer in "${galera_peers[@]}"; do
    galera_peer_state[$peer]=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2" && cat <&3' _ "$peer" "$galera_state_port" 2>/dev/null || true)
  done
}

# Prints join, new, recover or bootstrap when a rule applies, nothing otherwise.
galera_decide() {
  local me peer node state seqno all_answer=1 any_data= any_up= any_marked= best_seqno best_node=
  me=$(galera_local)
  for peer in "${galera_peers[@]}"; do
    state=${galera_peer_state[$peer]}
    [ "$(field cluster_status "$state")" = Primary ] && { echo join; return; }
    [ -n "$state" ] || { all_answer=; continue; }
    [ "$(field data "$state")" = yes ] && any_data=1
    [ "$(field server "$state")" = up ] && any_up=1
    { [ "$(field gvwstate "$state")" = yes ] || [ "$(field safe_to_bootstrap "$state")" = 1 ]; } && any_marked=1
  done
  if [ "$(field data "$me")" = no ]; then
    [ -n "$all_answer" ] && [ -z "$any_data" ] && [ "${galera_nodes[0]%%:*}" = "$galera_self" ] && echo new
    return 0
  fi
  [ "$(field gvwstate "$me")" = yes ] && { echo recover; return; }
  [ "$(field safe_to_bootstrap "$me")" = 1 ] && { echo bootstrap; return; }
  [ -n "$all_answer" ] && [ -z "$any_up" ] && [ -z "$any_marked" ] || return 0
  # Rule 5: the highest seqno among the nodes with data, the first listed on a tie.
  best_seqno=-2
  for node in "${galera_nodes[@]}"; do
    node=${node%%:*}
    if [ "$node" = "$galera_self" ]; then state=$me; else state=${galera_peer_state[$node]}; fi
    [ "$(field data "$state")" = yes ] || continue
    seqno=$(field seqno "$state")
    if [ "${seqno:--1}" -gt "$best_seqno" ]; then best_seqno=$seqno; best_node=$node; fi
  done
  [ "$best_node" = "$galera_self" ] && echo bootstrap
  return 0
}

# galera_start ARGS...: serves the state, waits for a rule, then runs the server as that rule says.
galera_start() {
  galera_configure
  galera_recover_position
  galera_serve_state
  say "galera node $galera_self of ${galera_nodes[*]}; this node: $(galera_local)"
  local decision waited=0 peer
  while true; do
    galera_ask_peers
    decision=$(galera_decide)
    [ -n "$decision" ] && break
    if (( waited % 10 == 0 )); then
      for peer in "${galera_peers[@]}"; do say "  waiting; $peer: ${galera_peer_state[$peer]:-no answer}"; done
    fi
    sleep 2; waited=$((waited + 2))
  done
  case $decision in
    join)      say "a peer is in the primary component: joining it" ;;
    recover)   say "this node was killed (gvwstate.dat): starting, pc.recovery forms the last primary view again" ;;
    new)       say "no node has data: initialising and bootstrapping a new cluster"
               initialise
               set -- --wsrep-new-cluster "$@" ;;
    bootstrap) say "no peer is up and this node holds the latest state: bootstrapping the cluster"
               sed -i 's/^safe_to_bootstrap: .*/safe_to_bootstrap: 1/' "$datadir/grastate.dat"
               set -- --wsrep-new-cluster "$@" ;;
  esac
  [ -n "$galera_start_position" ] && [ "$decision" != new ] && set -- "--wsrep-start-position=$galera_start_position" "$@"
  exec mariadbd --user=mysql "$@"
}
