#!/usr/bin/env bash
# Runs the FooBar stack under Aspire (nginx, web, MySQL and the dashboard); sets the machine up and builds first.
#
#   scripts/run.sh                  the development profile: Debug build, every request traced
#   scripts/run.sh --production     the production profile: Release build, sampled traces, quieter logs
#   scripts/run.sh --web-instances N   the redundant mode: N instances of the app (web-1 … web-N) behind nginx
#   scripts/run.sh --ha             high availability: two front doors (nginx-1, nginx-2) on the site's one address,
#                                   three app instances (or --web-instances N, at least 2)
#   scripts/run.sh --no-build       start what setup and the last build left (what scripts/bench.sh times)
#   scripts/run.sh --build-only     set up and build, then stop
#
# Other arguments go to the AppHost (e.g. --FooBar:TraceSampleRatio=0.5). Stop with Ctrl+C, or SIGTERM to the
# process group: Aspire removes the containers it started.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

configuration=Debug profile=Development build=yes start=yes ha=no
apphost_args=()
while [ $# -gt 0 ]; do
  argument=$1
  shift
  case "$argument" in
    --production) configuration=Release profile=Production ;;
    --web-instances)
      [ $# -gt 0 ] || { echo "[run] --web-instances needs a number"; exit 2; }
      apphost_args+=("--FooBar:WebInstances=$1")
      shift ;;
    --ha) apphost_args+=("--FooBar:HighAvailability=true") ha=yes ;;
    --no-build) build=no ;;
    --build-only) start=no ;;
    *) apphost_args+=("$argument") ;;
  esac
done

if [ "$build" = yes ]; then
  "$repo/scripts/setup.sh"
fi
source "$repo/scripts/environment.sh"
if [ "$build" = yes ]; then
  started=$SECONDS
  echo "[run] building the AppHost and the app ($configuration)"
  dotnet build "$repo/FooBar.AppHost" -c "$configuration" -v quiet -nologo -clp:ErrorsOnly
  echo "[run] built in $((SECONDS - started)) s"
fi
[ "$start" = yes ] || exit 0

# The AppHost's program itself, not `dotnet run` (which would stay resident as its parent), so the launch
# profile's settings, which `dotnet run` would apply, come from launchSettings.json here.
apphost=$(compgen -G "$repo/FooBar.AppHost/bin/$configuration/*/FooBar.AppHost" | head -n 1 || true)
[ -n "$apphost" ] || { echo "[run] the AppHost has no $configuration build: run without --no-build"; exit 1; }
launch_settings="$repo/FooBar.AppHost/Properties/launchSettings.json"
while IFS= read -r setting; do
  export "${setting?}"
done < <(jq -r '.profiles.http | ("ASPNETCORE_URLS=" + .applicationUrl), (.environmentVariables | to_entries[] | "\(.key)=\(.value)")' "$launch_settings")

# No `dcp monitor-*` watchdog (a 70 MB process per resource) that only cleans up after DCP itself crashes: ~500 MB idle.
export DCP_DISABLE_MONITOR_PROCESS=1

# No container tunnel (a container and a DCP server, 2-4 s of a cold start, ~130 MB): containers reach the dashboard's
# OTLP endpoint on the host's address on Docker's default bridge, which only this machine's containers can reach.
# Only in single mode (high availability is not yet tested without it) and where that address is this machine's own
# (a native engine, not Docker Desktop's VM); else the tunnel as before.
docker_host=$(docker network inspect bridge -f '{{(index .IPAM.Config 0).Gateway}}' 2>/dev/null || true)
if [ "$ha" = no ] && [ -n "$docker_host" ] && ip route get "$docker_host" 2>/dev/null | grep -q '^local '; then
  export ASPIRE_ENABLE_CONTAINER_TUNNEL=false
  export ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL="http://$docker_host:${ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL##*:}"
  apphost_args+=("--AppHost:ContainerHostname=$docker_host")
fi

echo "[run] starting the AppHost ($profile profile): the dashboard's login link follows; the site is https://www.foobar.com:8443 (https://127.0.0.1:8443; http://127.0.0.1:8080 redirects there)"
cd "$repo/FooBar.AppHost"
exec "$apphost" "--FooBar:Profile=$profile" "${apphost_args[@]}"
