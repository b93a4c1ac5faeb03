#!/usr/bin/env bash
# Builds the single executable: Bun, src/ with JavaScriptCore bytecode, and the native addon
# (native/sluice.node) embedded (scripts/compiled-entry.ts), so it runs alone from any folder.
# ESM with code splitting: a start loads the broker's chunks and not the client commands' nor
# etcd3's (~100 gRPC modules, only cluster mode imports them), and ESM bytecode (which Bun allows
# only in executables) is read lazily; both measured in bench/RESULTS.md ("Start-up, step by
# step"). scripts/release.sh ships it; scripts/setup.sh builds one into dist/ for bin/sluice.
# The log cleaner's worker is a second entry point, embedded beside the first
# (src/storage/cleaner-thread.ts finds it there).
# Usage: scripts/executable.sh OUTFILE
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in '' | -h | --help)
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
  ;;
esac
node_modules/.bin/bun build --compile --bytecode --format=esm --splitting \
  scripts/compiled-entry.ts src/storage/cleaner-worker.ts --outfile "$1" >/dev/null
