#!/usr/bin/env bash
# Runs the FooBar stack under Aspire (nginx, web, MySQL and the dashboard); sets the machine up first.
# Extra arguments go to the AppHost. Stop with Ctrl+C: Aspire removes the containers it started.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

"$repo/scripts/setup.sh"
source "$repo/scripts/environment.sh"

echo "[run] starting the AppHost: the dashboard's login link follows; the site is http://127.0.0.1:8080 (Host: www.foobar.com)"
exec dotnet run --project "$repo/FooBar.AppHost" "$@"
