#!/usr/bin/env bash
# Bundles src/ into one CommonJS file with JavaScriptCore bytecode beside it (sluice-bundle.js
# and .jsc), so a start neither resolves nor transpiles ~200 modules, and writes the entry
# cli.js: plain JavaScript that says in one line that Sluice needs Bun when Node runs it (a
# bytecode bundle is a function wrapper that Node would load and silently never call).
# Usage: scripts/bundle.sh [outdir]   (default: dist, which bin/sluice runs while it is fresh)
set -euo pipefail
cd "$(dirname "$0")/.."
outdir="${1:-dist}"
case "$outdir" in -h | --help)
  sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
  ;;
esac
rm -rf "$outdir"
# etcd3 (gRPC, ~100 modules) stays outside: only cluster mode loads it, from node_modules, and
# leaving it out halves what every start loads (bundle 2.0 -> 0.75 MB, bytecode 2.9 -> 1.3 MB;
# `--version` 14 -> 7 ms of CPU). The single executable (scripts/release.sh) bundles it.
node_modules/.bin/bun build src/cli.ts --target=bun --format=cjs --bytecode --outdir "$outdir" \
  --entry-naming=sluice-bundle.js --external etcd3 >/dev/null
# The log cleaner's threads run their own entry (src/storage/cleaner-thread.ts looks for it beside
# the bundle's entry): a second, smaller bundle, loaded only when a compacted log is cleaned.
node_modules/.bin/bun build src/storage/cleaner-worker.ts --target=bun --format=cjs --bytecode \
  --outdir "$outdir" --entry-naming=sluice-cleaner-worker.js >/dev/null
cat >"$outdir/cli.js" <<'JS'
// The entry of Sluice's start-up bundle (written by scripts/bundle.sh).
if (typeof Bun === 'undefined') {
  console.error('sluice: needs Bun (https://bun.sh), not Node: run bin/sluice or npx sluice, which use the Bun that npm installs with Sluice')
  process.exit(1)
}
require('./sluice-bundle.js').main(process.argv.slice(2)).then((outcome) => {
  if (outcome !== 'running') process.exit(outcome)
})
JS
