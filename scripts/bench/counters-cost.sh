#!/usr/bin/env bash
# What nginx's Lua counters (nginx/lua/metrics.lua) cost per request: the repository's Lua in the newest front-door image
# built here (scripts/run.sh or a test builds it), its record() timed in a loop (counters-cost.conf), three rounds.
#
#   scripts/bench/counters-cost.sh
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
image=$(docker images foobar/nginx-front-door --format '{{.Repository}}:{{.Tag}}' | head -1)
[ -n "$image" ] || { echo "no foobar/nginx-front-door image: start the stack once (scripts/run.sh)" >&2; exit 1; }
name=foobar-counters-cost
docker rm --force "$name" >/dev/null 2>&1 || true
docker run --detach --rm --name "$name" --network host \
  --volume "$repo/scripts/bench/counters-cost.conf:/etc/nginx/nginx.conf:ro" --volume "$repo/nginx/lua:/etc/nginx/lua:ro" \
  --entrypoint nginx "$image" -g 'daemon off;' >/dev/null
trap 'docker stop --time 2 "$name" >/dev/null 2>&1 || true' EXIT
# Until nginx listens; the first answer is a round of its own.
for _ in $(seq 50); do curl --fail --silent --max-time 120 http://127.0.0.1:18999/ && break; sleep 0.2; done
for _ in 1 2; do curl --fail --silent --max-time 120 http://127.0.0.1:18999/; done
