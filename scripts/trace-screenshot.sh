#!/usr/bin/env bash
# Regenerates docs/trace.png, the README's picture of a real trace: runs the stack, sends one request
# for the home page through nginx and has headless Chromium photograph its trace in the dashboard.
# Needs the ports scripts/run.sh uses (8080, 8443, 15080, 19080, 20080) free. Usage: scripts/trace-screenshot.sh [OUTPUT.png]
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
output=$(realpath -m "${1:-$repo/docs/trace.png}")
tools=${XDG_CACHE_HOME:-$HOME/.cache}/foobar-trace-screenshot

log() { printf '[trace-screenshot] %s\n' "$*"; }

"$repo/scripts/setup.sh"
source "$repo/scripts/environment.sh"

if [ ! -x /usr/bin/chromium ]; then
  log "installing Debian's chromium"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
if [ ! -d "$tools/node_modules/playwright-core" ]; then
  log "installing playwright-core into $tools"
  npm install --prefix "$tools" --no-save --no-package-lock --no-audit --no-fund playwright-core@1.64.1 >/dev/null
fi
for port in 8080 8443 15080 19080 20080; do
  if ss -Hltn "sport = :$port" | grep -q .; then log "port $port is in use (is the stack running already?)"; exit 1; fi
done

# This run's own dashboard login token and telemetry API key: random, never stored.
token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
api_key=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
apphost_log=$(mktemp)
log "starting the stack (AppHost log: $apphost_log)"
ASPIRE_DASHBOARD_FRONTEND_BROWSERTOKEN=$token AppHost__DashboardApiKey=$api_key \
  dotnet run --project "$repo/FooBar.AppHost" >"$apphost_log" 2>&1 &
apphost=$!
# The AppHost stops gracefully on SIGTERM and removes its containers (a background job ignores SIGINT).
trap 'kill -TERM "$apphost" 2>/dev/null; wait "$apphost" || true' EXIT

site=(curl -sf -o /dev/null --resolve www.foobar.com:8443:127.0.0.1 https://www.foobar.com:8443/)
for _ in $(seq 180); do "${site[@]}" && break; sleep 1; done
"${site[@]}" || { log "the site did not answer within 3 min"; tail -30 "$apphost_log"; exit 1; }

since=$(date +%s%N)
"${site[@]}"
# Beside its node_modules, where an ES module finds its imports.
cp "$repo/scripts/trace-screenshot/shoot.mjs" "$tools/"
trace_id=$(node "$tools/shoot.mjs" http://localhost:15080 "$token" "$api_key" "$since" "$output")
log "trace $trace_id photographed to $output"
