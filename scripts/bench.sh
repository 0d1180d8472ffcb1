#!/usr/bin/env bash
# FooBar's benchmark: sets the machine up, builds both profiles, then starts the stack in each profile,
# drives it with wrk and prints a table of req/s, latency, errors and CPU per process group, with ratios
# to a bare nginx, to the same nginx untraced and to a LEMP peer (nginx + PHP-FPM + MySQL serving the same
# Fortunes page, scripts/bench/lemp/), all measured in the same run. Figures go to TestResults/bench/*.json as well.
#
#   scripts/bench.sh                         both profiles (about 5 minutes)
#   scripts/bench.sh --profile production    one profile
#   scripts/bench.sh --no-start --profile development   the stack already running (scripts/run.sh)
#   scripts/bench.sh --help                  every option
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

case " $* " in
  *" --help "* | *" -h "*) exec python3 "$repo/scripts/bench/bench.py" --help ;;
esac
"$repo/scripts/setup.sh" --bench
if [[ " $* " != *" --no-start "* ]]; then
  "$repo/scripts/run.sh" --build-only
  "$repo/scripts/run.sh" --build-only --production
fi
source "$repo/scripts/environment.sh"
exec python3 "$repo/scripts/bench/bench.py" "$@"
