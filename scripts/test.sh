#!/usr/bin/env bash
# Runs FooBar's tests, which start the real stack; sets the machine up first.
#   scripts/test.sh           every test (the default)
#   scripts/test.sh --fast    only the Docker-free tests (trait Speed=Fast: model, publisher, Lua exporter), in seconds
#                             and without setup; the Lua exporter's test needs luajit (setup.sh --tests installs it)
# Extra arguments go to `dotnet test` (e.g. --filter, or --no-build). Ends with the line "N passed, N failed".
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

selection=()
if [ "${1:-}" = --fast ]; then
  shift
  selection=(--filter "Speed=Fast")
else
  "$repo/scripts/setup.sh" --tests
fi
source "$repo/scripts/environment.sh"

results=$(mktemp -d)
status=0
dotnet test "$repo/FooBar.sln" --logger "trx;LogFileName=results.trx" --logger "console;verbosity=normal" \
  --results-directory "$results" "${selection[@]}" "$@" || status=$?
# Build servers would outlive the run otherwise.
dotnet build-server shutdown >/dev/null 2>&1 || true
# The test host is killed once its tests end, before it removes its run folders (RunFolder: foobar-<pid>-…).
for folder in "${TMPDIR:-/tmp}"/foobar-[0-9]*-*; do
  pid=${folder##*/foobar-}; pid=${pid%%-*}
  [ -d "/proc/$pid" ] || rm -rf "$folder"
done

counters=$(grep -o '<Counters [^>]*>' "$results/results.trx" 2>/dev/null || true)
count() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
if [ -z "$counters" ]; then
  echo "[test] the test run did not complete (dotnet test exited with $status)"
  echo "0 passed, 0 failed"
  exit $((status == 0 ? 1 : status))
fi
echo "$(count passed) passed, $(count failed) failed"
exit "$status"
