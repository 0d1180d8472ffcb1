#!/usr/bin/env bash
# Runs one front door (the AppHost's AddNginxInstances, every mode's nginx in run mode): this folder's nginx image in the
# host's network namespace, so nginx sees each client's own address, and several doors can listen on the site's one
# address (reuseport) while the kernel spreads connections over them.
# Aspire runs it as an executable (its containers always join a network of Aspire's own); the container's output is
# this program's. Stopping this program stops nginx gracefully (the image's STOPSIGNAL, SIGQUIT): it finishes the
# requests it has, and the connections still queued on its listener move to another door (net.ipv4.tcp_migrate_req).
#
#   front-door.sh CONTAINER IMAGE [docker run options: the AppHost's bind mounts]
#
# The environment whose names begin with OTEL_ or NGINX_ (what nginx.conf's `env` lines and the templates read) is
# passed in by name, so no value appears in a command line.
set -euo pipefail
container=$1 image=$2
shift 2

environment=()
for name in $(compgen -e); do
  case "$name" in OTEL_* | NGINX_*) environment+=(-e "$name") ;; esac
done

echo "[front-door] $container from $image, with ${environment[*]}"

# A container of this name left by an AppHost that ended without stopping it would hold the address and answer stale.
docker rm --force "$container" >/dev/null 2>&1 || true

stopping=
stop() {
  stopping=yes
  # Waits while nginx finishes its requests; --rm then removes the container, and `docker run` below returns.
  docker stop --time 30 "$container" >/dev/null 2>&1 || true
}
trap stop TERM INT

# --sig-proxy=false: a signal to this program stops nginx through `docker stop` above, not by being passed on as it is.
docker run --rm --name "$container" --network host --sig-proxy=false "${environment[@]}" "$@" "$image" &
run=$!
status=0
wait "$run" || status=$?
if [ -n "$stopping" ]; then
  status=0
  wait "$run" 2>/dev/null || true
fi
exit "$status"
