#!/usr/bin/env bash
# Bundles src/ into one CommonJS file with JavaScriptCore bytecode beside it (sluice-bundle.js
# and .jsc), so a start neither resolves nor transpiles ~200 modules, and writes the entry
# cli.js: plain JavaScript that says in one line that Sluice needs Bun when Node runs it (a
# bytecode bundle is a function wrapper that Node would load and silently never call).
# With --executable, also the single executable (scripts/executable.sh) as <outdir>/sluice, which
# bin/sluice prefers while it is fresh: it starts in ~2/3 of the bundle's CPU time.
# Usage: scripts/bundle.sh [--executable] [outdir]   (default: dist, which bin/sluice runs)
set -euo pipefail
cd "$(dirname "$0")/.."
executable=0
outdir=dist
for arg in "$@"; do
  case "$arg" in
    --executable) executable=1 ;;
    -h | --help)
      sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) outdir=$arg ;;
  esac
done
rm -rf "$outdir"
# etcd3 (gRPC, ~100 modules) stays outside: only cluster mode loads it, from node_modules, and
# leaving it out halves what every start loads (bundle 2.0 -> 0.75 MB, bytecode 2.9 -> 1.3 MB;
# `--version` 14 -> 7 ms of CPU). The single executable (scripts/executable.sh) bundles it.
# The compression codecs' packages (snappy, lz4-napi) stay outside too: each finds its native
# binding among its optional dependencies, which npm installs for the platform it runs on (arm64,
# musl), where a bundled copy would carry this machine's linux-x64 binding.
node_modules/.bin/bun build src/cli.ts --target=bun --format=cjs --bytecode --outdir "$outdir" \
  --entry-naming=sluice-bundle.js --external etcd3 --external snappy --external lz4-napi >/dev/null
# The log cleaner's threads run their own entry (src/storage/cleaner-thread.ts looks for it beside
# the bundle's entry): a second, smaller bundle, loaded only when a compacted log is cleaned.
node_modules/.bin/bun build src/storage/cleaner-worker.ts --target=bun --format=cjs --bytecode \
  --outdir "$outdir" --entry-naming=sluice-cleaner-worker.js --external snappy \
  --external lz4-napi >/dev/null
cat >"$outdir/cli.js" <<'JS'
// The entry of Sluice's start-up bundle (written by scripts/bundle.sh).
if (typeof Bun === 'undefined') {
  console.error('sluice: needs Bun (https://bun.sh), not Node: run bin/sluice or npx sluice, which use the Bun that npm installs with Sluice')
  process.exit(1)
}
// The addon that ships with this bundle (src/native.ts prefers it to the one it was built beside).
globalThis.sluiceBundleAddon = require('node:path').join(__dirname, '../native/sluice.node')
require('./sluice-bundle.js').main(process.argv.slice(2)).then((outcome) => {
  if (outcome !== 'running') process.exit(outcome)
})
JS
if [ "$executable" = 1 ]; then
  bash scripts/executable.sh "$outdir/sluice"
fi
