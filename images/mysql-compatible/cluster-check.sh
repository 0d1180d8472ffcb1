#!/usr/bin/env bash
# Proves the image's Galera mode on three nodes of its own Docker network: a new cluster, a node killed and
# started again, all stopped gracefully and started in another order, all killed and started again; the
# rows are read back from every node after each. Times each phase; removes everything it made on exit.
#
#   bash images/mysql-compatible/cluster-check.sh    (builds the recipe as foobar/mysql-compatible:cluster-check)
set -euo pipefail
export PATH="/usr/local/bin:$PATH"

recipe=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
image=${CLUSTER_CHECK_IMAGE:-foobar/mysql-compatible:cluster-check}
prefix=foobar-galera-check
network=$prefix
nodes=("$prefix-1" "$prefix-2" "$prefix-3")
synced_within=300
# Longer than Galera's default wait for a primary component (30 s), which the image raises.
late=40
# The root password lives in this process's environment only: docker run and exec take it from there.
MYSQL_ROOT_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
export MYSQL_ROOT_PASSWORD MYSQL_PWD=$MYSQL_ROOT_PASSWORD
started=$SECONDS
phase_started=$SECONDS

log() { printf '[cluster-check] %s\n' "$*"; }
phase() { phase_started=$SECONDS; phase_since=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ); log "$*"; }
phase_done() { log "  done in $((SECONDS - phase_started)) s"; }

cleanup() {
  local status=$?
  if [ "$status" != 0 ]; then
    local logs; logs=$(mktemp -d /tmp/cluster-check.XXXXXX)
    for node in "${nodes[@]}"; do docker logs "$node" >"$logs/$node.log" 2>&1 || true; done
    log "the nodes' logs are in $logs"
  fi
  docker rm -f "${nodes[@]}" >/dev/null 2>&1 || true
  docker volume rm "${nodes[@]}" >/dev/null 2>&1 || true
  docker network rm "$network" >/dev/null 2>&1 || true
  log "removed containers, volumes and network; $( [ "$status" = 0 ] && echo passed || echo FAILED ) in $((SECONDS - started)) s"
}
trap cleanup EXIT

cluster_address="gcomm://$(IFS=,; echo "${nodes[*]}")"
start_node() {
  local node=$1
  if docker container inspect "$node" >/dev/null 2>&1; then docker start "$node" >/dev/null; return; fi
  # MYSQL_* are read only by the node that bootstraps a new cluster; the others receive them by SST.
  docker run -d --name "$node" --hostname "$node" --network "$network" -v "$node:/var/lib/mysql" \
    -e MYSQL_ROOT_PASSWORD -e MYSQL_DATABASE=checks \
    -e GALERA_CLUSTER_ADDRESS="$cluster_address" -e GALERA_NODE_ADDRESS="$node" "$image" >/dev/null
}

sql() { local node=$1; shift; docker exec -i -e MYSQL_PWD "$node" mariadb -uroot -N -B checks "$@"; }

wait_synced() {
  local deadline=$((SECONDS + synced_within)) node pending
  while true; do
    pending=()
    for node in "$@"; do
      [ "$(docker inspect -f '{{.State.Running}}' "$node")" = true ] || { log "$node exited"; return 1; }
      docker exec "$node" node-ready >/dev/null 2>&1 || pending+=("$node")
    done
    [ "${#pending[@]}" = 0 ] && break
    [ "$SECONDS" -lt "$deadline" ] || { log "not synced within $synced_within s: ${pending[*]}"; return 1; }
    sleep 1
  done
  log "  all synced after $((SECONDS - phase_started)) s: $(docker exec "$1" node-ready)"
  show_starts
}

# How each node started in this phase: the entrypoint's decision, and how it received the cluster's state.
show_starts() {
  local node
  for node in "${nodes[@]}"; do
    docker logs --since "$phase_since" "$node" 2>&1 \
      | grep -E '^\[entrypoint\] (a peer|this node was|no node|no peer)|IST|SST|State transfer' | sed "s/^/    $node: /" || true
  done
}

write_rows() { local node=$1 count=$2; for _ in $(seq "$count"); do sql "$node" <<<"INSERT INTO t (note) VALUES ('via $node')"; done; }
expect_rows() {
  local want=$1 node got
  for node in "${nodes[@]}"; do
    got=$(sql "$node" <<<"SELECT COUNT(*) FROM t")
    [ "$got" = "$want" ] || { log "$node has $got rows, expected $want"; return 1; }
  done
  log "  every node has all $want rows"
}

phase "building $image from ${recipe#"$PWD"/}"
docker build -q -t "$image" "$recipe" >/dev/null
phase_done

phase "three nodes on fresh volumes, started together"
docker network create "$network" >/dev/null
for node in "${nodes[@]}"; do start_node "$node"; done
wait_synced "${nodes[@]}"
sql "${nodes[0]}" <<<"CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(100) NOT NULL)"
write_rows "${nodes[0]}" 1
expect_rows 1
phase_done

phase "${nodes[1]} killed, rows written meanwhile, then started again"
docker kill "${nodes[1]}" >/dev/null
write_rows "${nodes[0]}" 5
write_rows "${nodes[2]}" 5
start_node "${nodes[1]}"
wait_synced "${nodes[@]}"
expect_rows 11
phase_done

phase "all stopped gracefully one after another (1, 2, 3), started in the order 2, 1, 3"
for node in "${nodes[@]}"; do docker stop -t 60 "$node" >/dev/null; done
for node in "${nodes[1]}" "${nodes[0]}" "${nodes[2]}"; do start_node "$node"; sleep 3; done
wait_synced "${nodes[@]}"
expect_rows 11
write_rows "${nodes[1]}" 1
expect_rows 12
phase_done

phase "all killed at once; ${nodes[2]} started alone, ${nodes[0]} and ${nodes[1]} $late s later"
docker kill "${nodes[@]}" >/dev/null
start_node "${nodes[2]}"
sleep "$late"
for node in "${nodes[0]}" "${nodes[1]}"; do start_node "$node"; done
wait_synced "${nodes[@]}"
expect_rows 12
write_rows "${nodes[2]}" 1
expect_rows 13
phase_done
