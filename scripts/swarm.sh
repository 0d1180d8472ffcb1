#!/usr/bin/env bash
# FooBar on Docker Swarm: the stack the AppHost writes from its model (publish), built on this machine and deployed to
# a swarm here. The production profile, N web tasks behind nginx, MySQL with its volume, a standalone dashboard.
#
#   scripts/swarm.sh up [--stack NAME] [--web-instances N] [--port P] [--https-port P] [--dashboard-port P] [--nodes N]
#                         makes a swarm on this machine where there is none (--nodes N: and N-1 simulated workers),
#                         builds the images, deploys, waits until every task is healthy, prints the URLs
#   scripts/swarm.sh update [--stack NAME]   builds the app again and rolls it out, one task at a time
#   scripts/swarm.sh status [--stack NAME]   services, their health (Degraded: one short of tasks), tasks, URLs
#   scripts/swarm.sh drain NODE | activate NODE   moves tasks off a node for maintenance, and lets it take them again
#   scripts/swarm.sh kill NODE | revive NODE       a simulated worker's power cut (its container killed), and its return:
#                         revive waits until it is back in the swarm and every service runs all its tasks again
#   scripts/swarm.sh down [--stack NAME]     removes the stack, its secrets and volumes; and the swarm if up made it
#
# --ha (with --nodes 3 or more): the high-availability stack, a front door and a DNS server on every node, a Galera node
# on each of nodes 1-3, and the site's one address floating between the nodes (keepalived), which up prints.
# Defaults: stack foobar; the web instances and the published ports are the model's (FooBar.AppHost: 3 web instances, site
# ports 443 for HTTPS and 8080 for HTTP, a 301 to HTTPS, DNS port 8053, dashboard port 18888); the certificate is setup's (/etc/foobar/tls/www.foobar.com.pem), made a secret of the stack. Images are tagged with
# the commit (and a hash of uncommitted changes), so a deploy names exactly what it runs.
set -euo pipefail
export PATH="/usr/local/bin:$PATH"
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Workers as Docker-in-Docker containers and a registry that carries the images to them (--nodes N).
source "$repo/scripts/swarm/nodes.sh"

log() { printf '[swarm] %s\n' "$*"; }
fail() { printf '[swarm] %s\n' "$*" >&2; exit 1; }

command=${1:-}
[ $# -gt 0 ] && shift
stack=foobar instances= port= https_port= dns_port= dashboard_port= nodes=1 node= ha=
while [ $# -gt 0 ]; do
  case "$1" in
    --stack) stack=$2; shift 2 ;;
    --web-instances) instances=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --https-port) https_port=$2; shift 2 ;;
    --dns-port) dns_port=$2; shift 2 ;;
    --dashboard-port) dashboard_port=$2; shift 2 ;;
    --nodes) nodes=$2; shift 2 ;;
    --ha) ha=1; shift ;;
    -*) fail "unknown option $1" ;;
    *) node=$1; shift ;;
  esac
done
[[ "$stack" =~ ^[a-z0-9][a-z0-9-]*$ ]] || fail "a stack's name is lower-case letters, digits and dashes: $stack"
# Galera's three nodes each have a swarm node of their own (MySqlClusterBuilderExtensions: node i on node i).
[ -z "$ha" ] || [ "$nodes" -ge 3 ] || fail "--ha needs --nodes 3 or more: the database cluster has a node on each of nodes 1-3"

out="$repo/out/swarm/$stack"
# A stack that up deployed with --ha has a floating address: the other commands find it by its service.
if [ "$command" != up ] && docker service inspect "${stack}_floating-address" >/dev/null 2>&1; then ha=1; fi
# The ports the running stack publishes, as the model wrote them or up was given (the container ports are the model's too:
# nginx 80 and 443, DNS 53, the dashboard 18888): every command but up reads them back, and up once it has deployed.
published() {
  docker service inspect -f "{{range .Spec.EndpointSpec.Ports}}{{if eq .TargetPort $2}}{{.PublishedPort}} {{end}}{{end}}" \
    "${stack}_$1" 2>/dev/null | awk '{ print $1 }' || true
}
read_ports() {
  port=$(published nginx 80) https_port=$(published nginx 443) dns_port=$(published dns 53) dashboard_port=$(published dashboard 18888)
}
if [ "$command" != up ] && docker service inspect "${stack}_nginx" >/dev/null 2>&1; then read_ports; fi
# The node label that says this script made the swarm, so `down` leaves only a swarm it made.
made_label=foobar.swarm-made-by-script
# Long enough for a first start on a slow machine (MySQL initialises its data, the app migrates it).
healthy_timeout=300

# The images' tag: the commit, and a hash of what is not committed yet.
image_tag() {
  local tag; tag=$(git -C "$repo" rev-parse --short=12 HEAD)
  if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
    tag+="-dirty-$(git -C "$repo" diff HEAD | sha256sum | cut -c1-8)"
  fi
  echo "$tag"
}

swarm_state() { docker info --format '{{.Swarm.LocalNodeState}}'; }

# Simulated workers run here: the images go through the registry, under the name every node pulls.
has_workers() { docker ps -q --filter "label=$nodes_label" --filter name=foobar-node- | grep -q .; }
# Otherwise the local name, which is also the stack file's default (SwarmEnvironmentResource.ImageRepository).
image_prefix() { if has_workers; then echo "$nodes_image_prefix"; else echo foobar; fi; }

# A swarm on loopback for one node; with --nodes N, one that the workers reach (nodes_up) and the workers.
ensure_swarm() {
  local was; was=$(swarm_state)
  if [ "$nodes" -gt 1 ]; then
    nodes_up "$nodes" || fail "the simulated nodes did not come up"
  elif [ "$was" = active ]; then
    log "using the swarm this engine is in"; return
  else
    # Loopback only: the swarm's control port is not opened to other machines.
    docker swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377 >/dev/null
    log "made a single-node swarm on 127.0.0.1"
  fi
  if [ "$was" = inactive ]; then
    docker node update --label-add "$made_label=true" "$(docker info --format "{{.Swarm.NodeID}}")" >/dev/null
    log "down leaves this swarm again: up made it"
  fi
  # The manager is node 1, as the workers are 2..N: what is pinned to a node, and web's spread, read the label.
  docker node update --label-add foobar.node=1 "$(docker info --format "{{.Swarm.NodeID}}")" >/dev/null
}

# Where visitors reach the stack, as the AppHost writes it into foobar.com's A records: one floating address (--ha), the
# nodes' addresses on their network (--nodes N), or loopback (one node).
site_addresses() {
  if [ -n "$ha" ]; then nodes_floating_address | cut -d/ -f1
  elif has_workers; then nodes_addresses | paste -sd,
  else echo 127.0.0.1
  fi
}
# The site by its name, at the first of those addresses (curl --resolve): the certificate is for the name.
site_url() { echo "https://www.foobar.com:$https_port"; }
site_resolve() { echo "www.foobar.com:$https_port:$(site_addresses | cut -d, -f1)"; }

# The stack network's subnet (SwarmEnvironmentResource.SubnetVariable): the one it has, or a /24 of 10.250.0.0/16 that
# no network of the engine uses, so that stacks side by side each get their own. The app trusts forwarded headers from it.
stack_subnet() {
  local used i
  if docker network inspect "${stack}_swarm" >/dev/null 2>&1; then
    docker network inspect --format '{{range .IPAM.Config}}{{.Subnet}}{{end}}' "${stack}_swarm"; return
  fi
  used=$(docker network ls -q | xargs -r docker network inspect --format '{{range .IPAM.Config}}{{.Subnet}} {{end}}')
  for i in $(seq 0 255); do
    if ! grep -qw "10\.250\.$i\.0/24" <<<"$used"; then echo "10.250.$i.0/24"; return; fi
  done
  fail "no free /24 left in 10.250.0.0/16 for the stack's network"
}

# Writes the stack and the images' recipes from the AppHost's model, and publishes the app into its recipe.
publish() {
  local started=$SECONDS
  local options=(--FooBar:Profile=Production "--Swarm:SiteAddresses=$(site_addresses)")
  [ -z "$instances" ] || options+=("--FooBar:WebInstances=$instances")
  if [ -n "$ha" ]; then options+=(--FooBar:HighAvailability=true "--Swarm:FloatingAddress=$(nodes_floating_address)"); fi
  local described="$instances web instances"
  [ -n "$instances" ] || described="the model's number of web instances"
  log "publishing the stack from the AppHost ($described, production profile${ha:+, high availability}) to ${out#"$repo"/}"
  rm -rf "$out"
  mkdir -p "$out"
  dotnet run --project "$repo/FooBar.AppHost" -v quiet -- --operation publish --step publish --output-path "$out" \
    "${options[@]}" >"$out.log" 2>&1 \
    || { tail -30 "$out.log"; fail "publishing failed (log: $out.log)"; }
  log "published in $((SECONDS - started)) s"
}

# build_image SERVICE TAG: builds images/SERVICE/ as foobar/SERVICE:TAG, and pushes it to the registry when
# there are workers to pull it.
build_image() {
  local started=$SECONDS
  docker build --quiet --tag "foobar/$1:$2" "$out/images/$1" >/dev/null \
    || fail "building foobar/$1:$2 failed: docker build $out/images/$1"
  if has_workers; then registry_push "foobar/$1:$2" >/dev/null || fail "pushing foobar/$1:$2 failed"; fi
  log "  $(image_prefix)/$1:$2 ready in $((SECONDS - started)) s"
}

build_images() {
  local dir
  log "building the images (tag $1)"
  for dir in "$out"/images/*/; do
    build_image "$(basename "$dir")" "$1"
  done
}

# The stack's secrets (the publish step lists them, SwarmEnvironmentResource.SecretsFileName), each made once: from the
# file the list names after a tab (the site's certificate and key), or with a random value; nothing prints either.
create_secrets() {
  local name file
  while IFS=$'\t' read -r name file <&3; do
    if docker secret inspect "${stack}_$name" >/dev/null 2>&1; then continue; fi
    if [ -n "$file" ]; then
      [ -r "$file" ] || fail "the secret $name is made from $file, which is missing: scripts/setup.sh makes it"
      docker secret create --label "com.docker.stack.namespace=$stack" "${stack}_$name" "$file" >/dev/null
    else
      head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | docker secret create \
        --label "com.docker.stack.namespace=$stack" "${stack}_$name" - >/dev/null
    fi
    log "  made secret ${stack}_$name${file:+ from $file}"
  done 3<"$out/secrets.txt"
}

deploy() {
  # Only the ports up was given: the stack file holds the model's for the rest.
  local ports=()
  [ -z "$port" ] || ports+=("NGINX_PORT=$port")
  [ -z "$https_port" ] || ports+=("NGINX_HTTPS_PORT=$https_port")
  [ -z "$dns_port" ] || ports+=("DNS_PORT=$dns_port")
  [ -z "$dashboard_port" ] || ports+=("DASHBOARD_PORT=$dashboard_port")
  env FOOBAR_STACK="$stack" FOOBAR_IMAGE_TAG="$1" FOOBAR_IMAGE_PREFIX="$(image_prefix)" FOOBAR_SUBNET="$(stack_subnet)" "${ports[@]}" \
    docker stack deploy --prune --resolve-image never --detach=true --compose-file "$out/stack.yaml" "$stack" >/dev/null
  log "deployed stack $stack"
  read_ports
}

services() { docker service ls --filter "label=com.docker.stack.namespace=$stack" --format '{{.Name}} {{.Replicas}}'; }

# Every service has all its tasks running (a task with a health check runs once healthy) and the site answers.
wait_healthy() {
  local started=$SECONDS pending answer resolve
  resolve=$(site_resolve)
  while true; do
    pending=$(services | awk '{ split($2, r, "/"); if (r[1] != r[2] || r[2] == 0) print $1 " " $2 }' | sed "s/^${stack}_//" | paste -sd ' ')
    if [ -z "$pending" ]; then
      answer=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --resolve "$resolve" "$(site_url)/" || true)
      if [ "$answer" = 200 ]; then
        log "healthy in $((SECONDS - started)) s"
        return
      fi
      pending="the site to answer 200 (it answered ${answer/#000/nothing})"
    fi
    if ((SECONDS - started > healthy_timeout)); then
      docker stack ps "$stack" --no-trunc --format '{{.Name}} {{.Node}} {{.CurrentState}} {{.Error}}' | head -20 >&2
      fail "not healthy after $healthy_timeout s; waiting for: $pending"
    fi
    if (((SECONDS - started) % 15 == 0)); then log "  waiting for: $pending"; fi
    sleep 1
  done
}

print_urls() {
  local dashboard token address
  address=$(site_addresses | cut -d, -f1)
  log "site: $(site_url)/ at $address (http://$address:$port redirects there)"
  log "dns: dig @127.0.0.1 -p $dns_port www.foobar.com"
  dashboard=$(docker ps -q --filter "label=com.docker.swarm.service.name=${stack}_dashboard" | head -n 1)
  if [ -n "$dashboard" ] && token=$(docker exec "$dashboard" cat /run/secrets/dashboard-key 2>/dev/null); then
    log "dashboard: http://127.0.0.1:$dashboard_port/login?t=$token"
  fi
}

up() {
  local started=$SECONDS tag
  "$repo/scripts/setup.sh"
  tag=$(image_tag)
  ensure_swarm
  publish
  build_images "$tag"
  create_secrets
  deploy "$tag"
  wait_healthy
  print_urls
  log "up in $((SECONDS - started)) s"
}

# The app only, built from the working tree and rolled out by the service's update settings (start the new task,
# wait until it is healthy, stop an old one; roll back on failure). --force replaces every task even when the image
# is the same, so an update always exercises the rollout.
update() {
  local started=$SECONDS tag
  tag=$(image_tag)
  docker service inspect "${stack}_web" >/dev/null 2>&1 || fail "stack $stack has no web service: run up first"
  publish
  build_image web "$tag"
  log "rolling out $(image_prefix)/web:$tag"
  # Its output is a progress display, and a warning that a local image has no registry digest: shown only on failure.
  local said
  said=$(docker service update --quiet --detach=false --force --image "$(image_prefix)/web:$tag" "${stack}_web" 2>&1) \
    || fail "the rollout failed: $said"
  if [ "$(docker service inspect --format '{{.UpdateStatus.State}}' "${stack}_web")" != completed ]; then
    fail "the rollout did not complete: $(docker service inspect --format '{{.UpdateStatus.State}}: {{.UpdateStatus.Message}}' "${stack}_web")"
  fi
  log "updated in $((SECONDS - started)) s"
}

# The stack's health in the dashboard's words: Degraded, naming each service with fewer tasks running than it should have.
print_health() {
  local short
  short=$(docker stack services "$stack" --format '{{.Name}} {{.Replicas}}' |
    awk '{ split($2, n, "/") } n[1] + 0 < n[2] + 0 { printf "%s%s %d of %d running", sep, $1, n[1], n[2]; sep = "; " }')
  if [ -n "$short" ]; then echo "health: Degraded: $short"; else echo "health: Healthy: every service runs all its tasks"; fi
}

status() {
  docker node ls --format 'table {{.Hostname}}\t{{.Status}}\t{{.Availability}}\t{{.ManagerStatus}}'
  echo
  docker stack services "$stack"
  echo
  print_health
  echo
  docker stack ps "$stack" --filter desired-state=running --format 'table {{.Name}}\t{{.Node}}\t{{.CurrentState}}'
  echo
  print_urls
}

# Nothing of the stack runs any more: its network goes last.
stack_removed() {
  ! docker ps -aq --filter "label=com.docker.stack.namespace=$stack" | grep -q . &&
    ! docker network ls -q --filter "label=com.docker.stack.namespace=$stack" | grep -q .
}

down() {
  local started=$SECONDS
  if docker stack ls --format '{{.Name}}' 2>/dev/null | grep -qx "$stack"; then
    docker stack rm "$stack" >/dev/null
    nodes_wait 120 stack_removed || fail "stack $stack still has containers or networks after 120 s"
  fi
  docker volume ls -q --filter "label=com.docker.stack.namespace=$stack" | xargs -r docker volume rm >/dev/null
  if [ "$(swarm_state)" = active ]; then
    docker secret ls -q --filter "label=com.docker.stack.namespace=$stack" | xargs -r docker secret rm >/dev/null
  fi
  rm -rf "$out" "$out.log"
  log "stack $stack removed in $((SECONDS - started)) s"
  if [ "$(swarm_state)" = active ] && [ -z "$(docker stack ls --format '{{.Name}}')" ] \
    && [ "$(docker node inspect self --format "{{index .Spec.Labels \"$made_label\"}}")" = true ]; then
    # The workers, the registry and their network go too; nodes_down leaves a swarm advertised on that network.
    nodes_down
    if [ "$(swarm_state)" = active ]; then swarm_leave; fi
    log "left the swarm up had made"
  fi
}

case "$command" in
  up) up ;;
  update) update ;;
  status) status ;;
  down) down ;;
  drain) [ -n "$node" ] || fail "drain needs a node: scripts/swarm.sh status lists them"; node_drain "$node" ;;
  activate) [ -n "$node" ] || fail "activate needs a node"; node_activate "$node" ;;
  kill) [ -n "$node" ] || fail "kill needs a simulated worker (foobar-node-N)"; node_kill "$node" ;;
  revive) [ -n "$node" ] || fail "revive needs a simulated worker (foobar-node-N)"; node_revive "$node" ;;
  *) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
