#!/usr/bin/env bash
# Runs FooBar's tests, which start the real stack; sets the machine up first.
#   scripts/test.sh           every test (the default)
#   scripts/test.sh --fast    only the Docker-free tests (trait Speed=Fast: model, publisher, Lua exporter), in seconds
#                             and without setup; the Lua exporter's test needs luajit (setup.sh --tests installs it)
# Extra arguments go to `dotnet test` (e.g. --filter, which --fast narrows, or --no-build). Ends with each class's time,
# slowest first, and "N passed, N failed".
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

fast=
if [ "${1:-}" = --fast ]; then
  fast=1
  shift
fi
# dotnet test takes one --filter: --fast's and the caller's are joined.
filter= arguments=()
while [ $# -gt 0 ]; do
  case "$1" in
    --filter) filter=$2; shift 2 ;;
    *) arguments+=("$1"); shift ;;
  esac
done
if [ -n "$fast" ]; then
  filter="Speed=Fast${filter:+&($filter)}"
else
  "$repo/scripts/setup.sh" --tests
fi
selection=()
[ -z "$filter" ] || selection=(--filter "$filter")
source "$repo/scripts/environment.sh"

# Each test project writes results.trx in its own TestResults/ (in one folder they would overwrite each other, as
# several projects run at once); the last run's are gathered in the working tree's ignored TestResults/test/.
results="$repo/TestResults/test"
test_projects=("$repo"/FooBar.Tests "$repo"/Hosting/*.Tests)
rm -rf "$results" "${test_projects[@]/%//TestResults}"
status=0
dotnet test "$repo/FooBar.sln" --logger "trx;LogFileName=results.trx" --logger "console;verbosity=normal" \
  "${selection[@]}" "${arguments[@]}" || status=$?
mkdir -p "$results"
for project in "${test_projects[@]}"; do
  [ ! -f "$project/TestResults/results.trx" ] || mv "$project/TestResults/results.trx" "$results/$(basename "$project").trx"
done
# Build servers would outlive the run otherwise.
dotnet build-server shutdown >/dev/null 2>&1 || true
# The test host is killed once its tests end, before it removes its run folders (RunFolder: foobar-<pid>-…).
for folder in "${TMPDIR:-/tmp}"/foobar-[0-9]*-*; do
  pid=${folder##*/foobar-}; pid=${pid%%-*}
  [ -d "/proc/$pid" ] || rm -rf "$folder"
done

# The next slow class, seen: each class's time from every .trx in the folder, slowest first.
python3 "$repo/scripts/lib/class_times.py" "$results" || true

counters=$(cat "$results"/*.trx 2>/dev/null | grep -o '<Counters [^>]*>' || true)
# Summed over the projects' files.
count() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters" | awk '{ n += $1 } END { print n + 0 }'; }
if [ -z "$counters" ]; then
  echo "[test] the test run did not complete (dotnet test exited with $status)"
  echo "0 passed, 0 failed"
  exit $((status == 0 ? 1 : status))
fi
echo "$(count passed) passed, $(count failed) failed"
exit "$status"
