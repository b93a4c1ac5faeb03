#!/usr/bin/env bash
# Builds the addon of an earlier commit (default 11333b3, the last with the hand-written
# Node-API binding) into bench/native/target/before.node, for bench/native/port.bench.ts.
# Quiet on success; prints the build log on failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rev="${1:-11333b3}"
work="$(mktemp -d)"
log="$work/build.log"
trap 'rm -rf "$work"' EXIT
git -C "$root" archive "$rev" native | tar -x -C "$work"
if ! cargo build --release --locked --manifest-path "$work/native/Cargo.toml" >"$log" 2>&1; then
  cat "$log" >&2
  echo "bench: building the addon of $rev failed (see above)" >&2
  exit 1
fi
mkdir -p "$here/target"
cp "$work/native/target/release/libsluice.so" "$here/target/before.node.tmp"
mv -f "$here/target/before.node.tmp" "$here/target/before.node"
