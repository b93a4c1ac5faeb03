#!/usr/bin/env bash
# The whole suite N times in a row with one core kept busy, to show it holds on a loaded machine
# (CI runners and shared development machines are both). A CPU hog (one busy shell loop, at
# the same priority as the tests) runs for the whole time and is stopped on exit, however
# the script ends. Each run's summary line and wall time are printed, then the totals; each
# run's full output is kept in a fresh directory under $TMPDIR for reading failures.
#
#   bash scripts/test-under-load.sh [runs=3] [-- filters for bun test]
set -uo pipefail
cd "$(dirname "$0")/.."

runs=${1:-3}
shift || true
[ "${1:-}" = "--" ] && shift

bash scripts/setup.sh --quiet --clients || exit 1

# The hog: a shell busy loop, so it needs nothing installed. Its PID is ours alone to stop.
( while :; do :; done ) &
hog=$!
trap 'kill "$hog" 2>/dev/null; wait "$hog" 2>/dev/null' EXIT
echo "load: CPU hog running as PID $hog on $(nproc) cores"

logs=$(mktemp -d "${TMPDIR:-/tmp}/sluice-under-load.XXXXXX")
summary="$logs/summary"
failed_runs=0
for run in $(seq 1 "$runs"); do
  start=$(date +%s)
  SLUICE_TEST_SUMMARY="$summary" node_modules/.bin/bun scripts/test.ts "$@" >"$logs/run-$run.log" 2>&1
  status=$?
  elapsed=$(($(date +%s) - start))
  line=$(cat "$summary" 2>/dev/null || echo "no summary")
  echo "load: run $run/$runs: $line in ${elapsed}s (log: $logs/run-$run.log)"
  [ "$status" -eq 0 ] || failed_runs=$((failed_runs + 1))
  rm -f "$summary"
done
echo "load: $((runs - failed_runs)) of $runs runs passed"
[ "$failed_runs" -eq 0 ]
