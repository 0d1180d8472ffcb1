#!/usr/bin/env bash
# FooBar's known limits, measured: starts the stack, sends a steady mixed load through nginx and meanwhile stops and
# restarts each part (single points of failure), deploys a new build and reloads and restarts nginx and MySQL
# (maintenance), then steps up the load on /fortunes (scale). Prints one table per part; figures go to
# TestResults/limits/*.json, every request of the steady load to a CSV beside them.
#
#   scripts/limits.sh                       single-server mode, production profile (about 4 minutes)
#   scripts/limits.sh --web-instances 3     redundant mode: web-1 ... web-3 behind nginx (about 5 minutes)
#   scripts/limits.sh --ha                  high availability: each front door, app instance and MySQL node stopped,
#                                           killed or hung, the doors upgraded one at a time
#   scripts/limits.sh --overload [--ha | --web-instances 3]
#                                           too much traffic instead: the capacity at 64 connections, then floods of
#                                           2,000 and 10,000 connections on /posts and / (30 s each) beside a visitor
#                                           from 127.0.0.2 (about 5 minutes a mode; scripts/limits/overload.py)
#   scripts/limits.sh --help                every option
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

case " $* " in
  *" --help "* | *" -h "*) exec python3 "$repo/scripts/limits/limits.py" --help ;;
esac
"$repo/scripts/setup.sh" --limits
if [[ " $* " == *" --profile development "* || " $* " == *" --profile=development "* ]]; then
  "$repo/scripts/run.sh" --build-only
else
  "$repo/scripts/run.sh" --build-only --production
fi
source "$repo/scripts/environment.sh"
exec python3 "$repo/scripts/limits/limits.py" "$@"
