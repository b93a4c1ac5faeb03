#!/usr/bin/env bash
# Builds bench/e2e/loadgen, the librdkafka load generator of the end-to-end benchmark.
# It needs Debian's librdkafka-dev (pkg-config rdkafka). Does nothing when the binary is newer
# than its sources, so run.ts and the smoke test can call it every time.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/loadgen"
sources=("$here/loadgen.c" "$here/latency.c" "$here/wakeup.c")
headers=("$here/loadgen.h" "$here/hist.h")

if ! pkg-config --exists rdkafka; then
  echo "build.sh: librdkafka-dev is missing (pkg-config rdkafka); install it with: apt-get install librdkafka-dev" >&2
  exit 3
fi
if [[ -x "$out" ]]; then
  stale=0
  for f in "${sources[@]}" "${headers[@]}" "$here/build.sh"; do
    [[ "$f" -nt "$out" ]] && stale=1
  done
  [[ $stale == 0 ]] && exit 0
fi
# shellcheck disable=SC2046
cc -O2 -g -Wall -Wextra -std=gnu11 -pthread $(pkg-config --cflags rdkafka) \
  -o "$out.tmp" "${sources[@]}" $(pkg-config --libs rdkafka)
mv "$out.tmp" "$out"
