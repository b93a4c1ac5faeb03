#!/usr/bin/env bash
# Builds what a release ships, into release/ (untracked):
#   sluice-<version>-linux-x64   the single executable: Bun, the bundle with bytecode and the
#                                native addon embedded (scripts/compiled-entry.ts), runs anywhere
#                                on linux-x64 with glibc, from any folder, with nothing installed;
#   sluice-<version>.tgz         the npm package (npm pack): bin/sluice, the start-up bundle, the
#                                prebuilt addon for linux-x64 glibc, Bun as a dependency; with
#                                --cross also the addons for linux arm64 and musl (x64, arm64),
#                                cross-built by scripts/cross-addons.sh into native/prebuilt/.
# Usage: scripts/release.sh [--binary-only] [--cross] [outdir]   (default outdir: release)
set -euo pipefail
cd "$(dirname "$0")/.."
binary_only=0
cross=0
outdir=release
for arg in "$@"; do
  case "$arg" in
    --binary-only) binary_only=1 ;;
    --cross) cross=1 ;;
    -h | --help)
      sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    -*)
      echo "release: unknown option '$arg' (try --help)" >&2
      exit 2
      ;;
    *) outdir=$arg ;;
  esac
done
version=$(node -p "require('./package.json').version")
bash scripts/setup.sh --quiet
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
started=$(date +%s%N)
bash scripts/executable.sh "$outdir/sluice-$version-linux-x64"
echo "release: $outdir/sluice-$version-linux-x64 ($(( ($(date +%s%N) - started) / 1000000 )) ms)" >&2
if [ "$binary_only" = 0 ]; then
  if [ "$cross" = 1 ]; then
    bash scripts/cross-addons.sh
  fi
  npm pack --silent --pack-destination "$outdir" >/dev/null
  echo "release: $outdir/sluice-$version.tgz" >&2
fi
