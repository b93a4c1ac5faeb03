#!/usr/bin/env bash
# Builds the napi-rs bindings that bench/native/napi-rs.bench.ts compares with the hand-written
# addon: variants/napi-3.16 and variants/napi-3.12 (one source, variants/src/lib.rs), fetched
# from crates.io at the versions in their Cargo.lock, into bench/native/target/napi-<v>.node.
# Quiet on success; prints the build log on failure. Also builds the hand-written addon of
# before the port (build-before.sh).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/build-before.sh"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
for version in 3.16 3.12; do
  target="$here/target/napi-$version"
  if ! cargo build --release --locked --manifest-path "$here/variants/napi-$version/Cargo.toml" \
    --target-dir "$target" >"$log" 2>&1; then
    cat "$log" >&2
    echo "bench: building the napi-rs $version variants failed (see above)" >&2
    exit 1
  fi
  cp "$target/release/libsluice_napi_rs_variants.so" "$here/target/napi-$version.node.tmp"
  mv -f "$here/target/napi-$version.node.tmp" "$here/target/napi-$version.node"
done
