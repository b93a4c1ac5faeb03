#!/usr/bin/env bash
# Bundles src/ into one CommonJS file with JavaScriptCore bytecode beside it (cli.js and
# cli.js.jsc), so a start neither resolves nor transpiles ~140 modules. Bytecode needs CommonJS,
# which is why src/cli.ts has no top-level await.
# Usage: scripts/bundle.sh [outdir]   (default: dist, which bin/sluice runs while it is fresh)
set -euo pipefail
cd "$(dirname "$0")/.."
outdir="${1:-dist}"
case "$outdir" in -h | --help)
  sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
  ;;
esac
rm -rf "$outdir"
node_modules/.bin/bun build src/cli.ts --target=bun --format=cjs --bytecode --outdir "$outdir" >/dev/null
