#!/usr/bin/env bash
# Measures the simulated multi-node swarm on this machine: bringing the nodes up, the overlay check, a
# service spreading over every node, draining a node, and what idle nodes cost. Starts with this engine
# outside any swarm and leaves it so (nodes_down), whatever happens.
#
#   scripts/swarm/measure-nodes.sh [NODES [IMAGE]]
#     NODES  nodes in all, the manager included (default 3)
#     IMAGE  a local image to push and pull on every worker, e.g. the stack's web image: what carrying
#            a new image costs (the spread and drain below use the probe, already on every node)
set -euo pipefail

# Debian's docker.io puts a 20.10 client first otherwise; the one in /usr/local/bin is the project's.
export PATH="/usr/local/bin:$PATH"
source "$(dirname "${BASH_SOURCE[0]}")/nodes.sh"
count=${1:-3}
image=${2:-}

[ "$(docker info -f '{{.Swarm.LocalNodeState}}')" = inactive ] || { nodes_log "this engine is in a swarm already; leave it first"; exit 1; }
trap nodes_down EXIT

spread() { [ "$(docker service ps foobar-swarm-spread --filter desired-state=running --format '{{.Node}} {{.CurrentState}}' | awk '$2 == "Running" { print $1 }' | sort -u | wc -l)" = "$count" ]; }

started=$SECONDS
nodes_up "$count"
nodes_log "nodes_up $count: $((SECONDS - started)) s"

started=$SECONDS
nodes_check
nodes_log "nodes_check (probe image built and pushed, one task per node, fetched over the overlay): $((SECONDS - started)) s"

if [ -n "$image" ]; then
  started=$SECONDS
  image=$(registry_push "$image")
  nodes_log "$image pushed: $((SECONDS - started)) s"
  started=$SECONDS
  for node in $(docker ps --filter "label=$nodes_label" --filter name=foobar-node- --format '{{.Names}}'); do
    docker exec "$node" docker pull -q "$image" >/dev/null &
  done
  wait
  nodes_log "$image pulled by every worker at once: $((SECONDS - started)) s"
fi

started=$SECONDS
docker service create -d -q --name foobar-swarm-spread --label "$nodes_label" --replicas "$count" \
  --endpoint-mode dnsrr "$nodes_image_prefix/swarm-probe:bookworm" >/dev/null
nodes_wait 120 spread || { nodes_log "$count replicas did not run on $count nodes within 120 s"; exit 1; }
nodes_log "$count replicas running on $count nodes: $((SECONDS - started)) s"

node_drain foobar-node-2
docker service ps foobar-swarm-spread --format '  {{.Name}} {{.Node}} {{.DesiredState}} {{.CurrentState}}'
node_activate foobar-node-2
docker service rm foobar-swarm-spread >/dev/null

nodes_log "idle nodes, three samples 5 s apart:"
sleep 10
for _ in 1 2 3; do
  docker stats --no-stream --format '  {{.Name}} cpu {{.CPUPerc}} mem {{.MemUsage}} pids {{.PIDs}}' \
    $(docker ps -q --filter "label=$nodes_label")
  sleep 5
done

started=$SECONDS
trap - EXIT
nodes_down
nodes_log "nodes_down: $((SECONDS - started)) s"
