# Sourced by scripts/swarm.sh: a swarm of several nodes on one machine. The host's engine is the manager
# (node 1); nodes 2..N are Docker engines in containers (images/swarm-node) on a bridge network of their
# own, and a registry container (images/swarm-registry) carries the stack's images to them.
#
#   nodes_up COUNT         build the images; start the network, the registry and workers 2..COUNT (removing
#                          any above COUNT); init the swarm where workers reach it; join and label the workers
#   nodes_swarm_init       the manager's part alone: a swarm advertised on the nodes network's gateway
#   registry_push IMAGE... push local images as $nodes_image_prefix/NAME:TAG, the name every node pulls
#   node_drain NODE        move NODE's tasks elsewhere; returns when every service runs all its replicas again
#   node_activate NODE     let the scheduler place tasks on NODE again
#   node_kill NODE         a worker's power cut: its container killed, its engine and every task on it at once
#   node_revive NODE       start a killed worker again; returns once it is back in the swarm, every service runs all
#                          its tasks again and its database node is synced with the cluster
#   nodes_addresses        every node's address on the nodes network, the manager's first
#   nodes_floating_address an address of the nodes network that no node has, for the site (--ha), with its prefix
#   nodes_check            one probe task per node, fetched from the manager over an overlay network (dnsrr)
#   nodes_down             remove workers, registry, their volumes and network, and the swarm advertised on it
#   swarm_leave            leave the swarm, and remove the bridge it made (docker_gwbridge)
#
# Everything created carries the label foobar.swarm-nodes=1, so that nodes_down finds it after a crash too.
# Workers are labelled foobar.node=N in the swarm (the manager is node 1 and keeps its own labels).

nodes_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
nodes_label=foobar.swarm-nodes=1
nodes_network=foobar-swarm-nodes
nodes_registry=foobar-swarm-registry
nodes_node_image=foobar/swarm-node:bookworm
nodes_registry_image=foobar/swarm-registry:bookworm
# Every engine pulls from loopback over plain HTTP without configuration; each worker forwards its
# 127.0.0.1:5000 to the registry container, so one image name works on every node.
nodes_image_prefix=127.0.0.1:5000/foobar
# Docker-in-Docker without --privileged, which this engine cannot grant (it lacks CAP_SYS_RESOURCE, so runc
# fails to apply "all" capabilities): every other capability, no seccomp or AppArmor profile, /proc unmasked.
# The node's entrypoint makes /sys and its own cgroups writable.
nodes_worker_options=(--cap-add ALL --cap-drop SYS_RESOURCE
  --security-opt seccomp=unconfined --security-opt apparmor=unconfined --security-opt systempaths=unconfined)

nodes_log() { printf '[nodes] %s\n' "$*"; }

# nodes_step NAME COMMAND...: runs COMMAND and says how long it took.
nodes_step() {
  local name=$1 started=$SECONDS
  shift
  "$@" || { nodes_log "$name failed"; return 1; }
  nodes_log "$name: $((SECONDS - started)) s"
}

# nodes_wait SECONDS COMMAND...: polls COMMAND twice a second until it succeeds; fails after SECONDS.
nodes_wait() {
  local deadline=$((SECONDS + $1))
  while ((SECONDS < deadline)); do
    "${@:2}" && return
    sleep 0.5
  done
  return 1
}

nodes_running() { [ "$(docker inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ]; }

# Docker's build cache makes this a second's work when neither recipe nor base image changed.
nodes_build_images() {
  docker build -q -t "$nodes_node_image" "$nodes_repo/images/swarm-node" >/dev/null &&
    docker build -q -t "$nodes_registry_image" "$nodes_repo/images/swarm-registry" >/dev/null
}

nodes_network_up() {
  docker network inspect "$nodes_network" >/dev/null 2>&1 ||
    docker network create --label "$nodes_label" "$nodes_network" >/dev/null
}

# The host's address on the nodes network: where workers reach the manager (2377), gossip (7946) and VXLAN (4789).
nodes_manager_addr() { docker network inspect -f '{{(index .IPAM.Config 0).Gateway}}' "$nodes_network"; }

nodes_swarm_init() {
  local addr state current
  nodes_network_up || return 1
  addr=$(nodes_manager_addr)
  read -r state current <<<"$(docker info -f '{{.Swarm.LocalNodeState}} {{.Swarm.NodeAddr}}')"
  if [ "$state" = inactive ]; then
    # Listening on the gateway alone, not 0.0.0.0: the swarm is reachable from its nodes and nowhere else.
    docker swarm init --advertise-addr "$addr" --listen-addr "$addr:2377" >/dev/null || return 1
    nodes_log "swarm initialised; the manager listens on $addr:2377"
  elif [ "$state" != active ] || [ "$current" != "$addr" ]; then
    nodes_log "this engine's swarm is $state at ${current:-no address}; workers need it at $addr (docker swarm leave --force first)"
    return 1
  fi
}

nodes_registry_answers() { curl -fs -o /dev/null http://127.0.0.1:5000/v2/; }

nodes_registry_up() {
  if ! nodes_running "$nodes_registry"; then
    docker rm -f "$nodes_registry" >/dev/null 2>&1 || true
    docker volume create --label "$nodes_label" "$nodes_registry" >/dev/null
    docker run -d --name "$nodes_registry" --label "$nodes_label" --network "$nodes_network" \
      -p 127.0.0.1:5000:5000 -v "$nodes_registry:/var/lib/docker-registry" "$nodes_registry_image" >/dev/null || return 1
  fi
  nodes_wait 30 nodes_registry_answers || { nodes_log "the registry did not answer on 127.0.0.1:5000 within 30 s"; return 1; }
}

nodes_engine_answers() { docker exec "$1" docker info >/dev/null 2>&1; }
nodes_node_ready() { [ "$(docker node inspect -f '{{.Status.State}}' "$1" 2>/dev/null)" = ready ]; }

# nodes_worker_up N: worker foobar-node-N running, in the swarm, labelled foobar.node=N.
nodes_worker_up() {
  local name=foobar-node-$1 id
  if ! nodes_running "$name"; then
    # A worker is disposable: a stopped one, or its engine's old state, is not worth reviving.
    nodes_worker_rm "$name"
    docker volume create --label "$nodes_label" "$name" >/dev/null
    docker run -d --name "$name" --hostname "$name" --label "$nodes_label" --network "$nodes_network" \
      "${nodes_worker_options[@]}" -v "$name:/var/lib/docker" "$nodes_node_image" >/dev/null || return 1
  fi
  nodes_wait 60 nodes_engine_answers "$name" || { nodes_log "$name: its engine did not answer within 60 s"; docker logs --tail 20 "$name"; return 1; }
  if [ "$(docker exec "$name" docker info -f '{{.Swarm.LocalNodeState}}')" != active ]; then
    docker exec "$name" docker swarm join --token "$(docker swarm join-token -q worker)" "$(nodes_manager_addr):2377" >/dev/null || return 1
  fi
  id=$(docker exec "$name" docker info -f '{{.Swarm.NodeID}}')
  nodes_wait 60 nodes_node_ready "$id" || { nodes_log "$name: not ready in the swarm within 60 s"; return 1; }
  docker node update --label-add "foobar.node=$1" "$id" >/dev/null
}

# nodes_worker_rm NAME: out of the swarm, and its container and volume gone.
nodes_worker_rm() {
  local id
  id=$(docker node ls --filter role=worker --format '{{.ID}} {{.Hostname}}' 2>/dev/null | awk -v n="$1" '$2 == n { print $1 }')
  [ -z "$id" ] || docker node rm --force $id >/dev/null
  docker rm -f "$1" >/dev/null 2>&1 || true
  docker volume rm "$1" >/dev/null 2>&1 || true
}

nodes_workers_up() {
  local count=$1 n name
  for ((n = 2; n <= count; n++)); do
    nodes_worker_up "$n" || return 1
  done
  for name in $(docker ps -a --filter "label=$nodes_label" --filter name=foobar-node- --format '{{.Names}}'); do
    [ "${name#foobar-node-}" -le "$count" ] || { nodes_log "removing $name (beyond $count nodes)"; nodes_worker_rm "$name"; }
  done
}

nodes_up() {
  local count=${1:-}
  [[ "$count" =~ ^[1-9][0-9]*$ ]] || { nodes_log "usage: nodes_up COUNT (nodes in all, the manager included)"; return 1; }
  nodes_step "images" nodes_build_images &&
    nodes_step "network and swarm" nodes_swarm_init &&
    nodes_step "registry" nodes_registry_up &&
    nodes_step "$((count - 1)) worker(s)" nodes_workers_up "$count" &&
    docker node ls --format '  {{.Hostname}} {{.Status}} {{.Availability}} {{.ManagerStatus}}'
}

# registry_push IMAGE...: pushes each local image as $nodes_image_prefix/NAME:TAG (NAME its last path part),
# unless it is named so already; prints the names pushed.
registry_push() {
  local image target
  nodes_registry_answers || { nodes_log "no registry answers on 127.0.0.1:5000 (nodes_up first)"; return 1; }
  for image in "$@"; do
    target=$image
    [ "${image#"$nodes_image_prefix"/}" != "$image" ] || target=$nodes_image_prefix/${image##*/}
    [ "$target" = "$image" ] || docker tag "$image" "$target" || return 1
    docker push -q "$target" >/dev/null || { nodes_log "pushing $target failed"; return 1; }
    echo "$target"
  done
}

# NODE runs no task any more, and every service runs all its replicas but those pinned to NODE (a database node's,
# which waits there for activate).
nodes_settled() {
  local pinned
  pinned=" $(nodes_pinned_to "$1" | paste -sd ' ') "
  ! docker node ps "$1" --format '{{.CurrentState}}' | grep -q '^Running' &&
    ! docker service ls --format '{{.Name}} {{.Replicas}}' | awk -v pinned="$pinned" '
        { split($2, r, "/") } index(pinned, " " $1 " ") == 0 && r[1] != r[2] { found = 1 } END { exit !found }'
}

# The services that may run on NODE only: placed by its number (node.labels.foobar.node == N).
nodes_pinned_to() {
  local number
  number=$(docker node inspect -f '{{index .Spec.Labels "foobar.node"}}' "$1")
  [ -n "$number" ] || return 0
  docker service ls -q | xargs -r docker service inspect -f '{{.Spec.Name}} {{json .Spec.TaskTemplate.Placement}}' |
    awk -v constraint="node.labels.foobar.node == $number" 'index($0, constraint) { print $1 }'
}

node_drain() {
  local started=$SECONDS
  docker node update --availability drain "$1" >/dev/null || return 1
  nodes_wait 180 nodes_settled "$1" || { nodes_log "$1: tasks still running, or services short of replicas, after 180 s"; return 1; }
  nodes_log "$1 drained: its tasks run elsewhere ($((SECONDS - started)) s)"
}

# The scheduler does not move running tasks back; `docker service update --force SERVICE` spreads them again.
node_activate() {
  docker node update --availability active "$1" >/dev/null && nodes_log "$1 active"
}

# A worker's kill and revival keep its volume: its engine, its swarm identity and its tasks' data (a database node's).
nodes_is_worker() { [[ "$1" == foobar-node-* ]] && docker inspect -f '{{index .Config.Labels "foobar.swarm-nodes"}}' "$1" 2>/dev/null | grep -qx 1; }

node_kill() {
  nodes_is_worker "$1" && nodes_running "$1" || { nodes_log "$1 is no running simulated worker"; return 1; }
  docker kill "$1" >/dev/null || return 1
  nodes_log "$1 killed: its engine and every task on it stopped at once"
}

# Every service runs all the tasks it wants (a task with a health check counts once healthy).
nodes_services_complete() {
  ! docker service ls --format '{{.Replicas}}' | awk -F'[/ ]' '$1 != $2 || $2 == 0 { found = 1 } END { exit !found }'
}

node_revive() {
  local started=$SECONDS id
  nodes_is_worker "$1" || { nodes_log "$1 is no simulated worker"; return 1; }
  nodes_running "$1" || docker start "$1" >/dev/null || return 1
  nodes_wait 60 nodes_engine_answers "$1" || { nodes_log "$1: its engine did not answer within 60 s"; return 1; }
  id=$(docker exec "$1" docker info -f '{{.Swarm.NodeID}}')
  nodes_wait 90 nodes_node_ready "$id" || { nodes_log "$1: not ready in the swarm within 90 s"; return 1; }
  nodes_log "$1 back in the swarm ($((SECONDS - started)) s)"
  nodes_wait 300 nodes_services_complete || { nodes_log "services short of tasks 300 s after $1 came back"; docker service ls >&2; return 1; }
  nodes_wait 300 nodes_databases_synced "$1" || { nodes_log "$1: its database node not synced 300 s after it came back"; return 1; }
  nodes_log "$1 revived: every service runs all its tasks again ($((SECONDS - started)) s)"
}

# Every container on NODE with the MySQL-compatible image's node-ready passes it: its database node is synced.
nodes_databases_synced() {
  docker exec "$1" sh -c 'for c in $(docker ps -q); do
    docker exec "$c" sh -c "[ ! -x /usr/local/bin/node-ready ] || node-ready >/dev/null" || exit 1; done'
}

nodes_addresses() {
  local name
  nodes_manager_addr
  for name in $(docker ps --filter "label=$nodes_label" --filter name=foobar-node- --format '{{.Names}}' | sort -V); do
    docker inspect -f "{{(index .NetworkSettings.Networks \"$nodes_network\").IPAddress}}" "$name"
  done
}

# Near the top of the network, far from the addresses Docker hands out from its bottom: 5 below the broadcast address.
nodes_floating_address() {
  python3 -c 'import ipaddress, sys; n = ipaddress.ip_network(sys.argv[1]); print(f"{n.broadcast_address - 5}/{n.prefixlen}")' \
    "$(docker network inspect -f '{{(index .IPAM.Config 0).Subnet}}' "$nodes_network")"
}

nodes_probe_image() { docker build -q -t "$1" "$nodes_repo/images/swarm-probe" >/dev/null && registry_push "$1" >/dev/null; }
nodes_network_rm() { docker network rm "$1" >/dev/null 2>&1; }
nodes_probe_replicas() { [ "$(docker service ls --filter name=foobar-swarm-probe --format '{{.Replicas}}')" = "$1/$1" ]; }

nodes_check() {
  local image=$nodes_image_prefix/swarm-probe:bookworm count answers
  count=$(docker node ls -q | wc -l)
  nodes_step "probe image built and pushed" nodes_probe_image "$image" || return 1
  docker network create -d overlay --attachable --label "$nodes_label" foobar-swarm-probe >/dev/null || return 1
  docker service create -d -q --name foobar-swarm-probe --label "$nodes_label" --mode global \
    --network foobar-swarm-probe --endpoint-mode dnsrr --hostname '{{.Node.Hostname}}' "$image" >/dev/null || return 1
  if nodes_step "probe running on all $count nodes" nodes_wait 120 nodes_probe_replicas "$count"; then
    # Each task answers with its node's name; every node must answer through the overlay network.
    answers=$(docker run --rm --label "$nodes_label" --network foobar-swarm-probe "$image" sh -c \
      'for ip in $(busybox nslookup tasks.foobar-swarm-probe | awk "/^Address: / { print \$2 }"); do
         echo "  $ip $(timeout 5 busybox wget -q -O - "http://$ip:8080/")"; done')
  else
    nodes_log "the probe did not run on all $count nodes within 120 s"
  fi
  docker service rm foobar-swarm-probe >/dev/null
  # The network is in use until the tasks' containers are gone.
  nodes_wait 30 nodes_network_rm foobar-swarm-probe || nodes_log "the network foobar-swarm-probe is still in use"
  printf '%s\n' "${answers:-}"
  [ "$(awk 'NF == 2' <<<"${answers:-}" | wc -l)" = "$count" ] || { nodes_log "not every node answered over the overlay network"; return 1; }
  nodes_log "every node ($count) answers over the overlay network"
}

# Leaves the swarm, and removes the bridge it made for its tasks' outside traffic (docker_gwbridge), which leaving
# keeps. The routing mesh's sandbox lets go of it within seconds, or never when the swarm was left just after it was
# made: then it is disconnected by force.
swarm_gwbridge_gone() { ! docker network inspect docker_gwbridge >/dev/null 2>&1 || docker network rm docker_gwbridge >/dev/null 2>&1; }

swarm_leave() {
  docker swarm leave --force >/dev/null
  nodes_wait 10 swarm_gwbridge_gone && return
  docker network disconnect --force docker_gwbridge gateway_ingress-sbox >/dev/null 2>&1 || true
  docker network rm docker_gwbridge >/dev/null
}

nodes_down() {
  local name addr
  for name in $(docker ps -a --filter "label=$nodes_label" --filter name=foobar-node- --format '{{.Names}}'); do
    nodes_worker_rm "$name"
  done
  # Workers whose containers went with a crash are still listed, as down.
  for name in $(docker node ls --filter role=worker --format '{{.Hostname}}' 2>/dev/null | grep '^foobar-node-'); do
    nodes_worker_rm "$name"
  done
  docker rm -f "$nodes_registry" >/dev/null 2>&1 || true
  addr=$(nodes_manager_addr 2>/dev/null || true)
  # A swarm advertised on the nodes network cannot outlive it; the bridge the swarm made goes with it.
  if [ -n "$addr" ] && [ "$(docker info -f '{{.Swarm.NodeAddr}}')" = "$addr" ]; then
    swarm_leave
    nodes_log "left the swarm advertised at $addr"
  fi
  docker network ls -q --filter "label=$nodes_label" | xargs -r docker network rm >/dev/null
  docker volume ls -q --filter "label=$nodes_label" | xargs -r docker volume rm >/dev/null
  nodes_log "nodes, registry and their network and volumes removed"
}
