#!/usr/bin/env bash
# Builds the Rust addon with @napi-rs/cli (plain cargo when the CLI is not installed yet) and
# installs it at native/sluice.node, where src/native.ts loads it. Quiet on success, prints the
# build log on failure; a no-op build takes about a second. The installed file is replaced by
# rename, never rewritten in place, so a running broker that has it mapped is not disturbed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
installed="$here/sluice.node"
napi="$root/node_modules/.bin/napi"
# The crate has no dependencies; never let cargo reach for the network.
export CARGO_NET_OFFLINE=true

if ! command -v cargo >/dev/null 2>&1; then
  echo "sluice: building the native addon needs Rust (cargo); see https://rustup.rs" >&2
  exit 1
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
fail() {
  cat "$log" >&2
  echo "sluice: native addon build failed (see above)" >&2
  exit 1
}

if [ -x "$napi" ] && command -v node >/dev/null 2>&1; then
  out="$here/target/napi-out"
  rm -rf "$out"
  mkdir -p "$out"
  # @napi-rs/cli 2.x: it reads the binary name from package.json's "napi" field and writes
  # <name>.node into the destination directory; it generates no JS or .d.ts for us.
  (cd "$here" && "$napi" build --release --config ../package.json --cargo-cwd . \
    --dts target/napi.d.ts "$out") >"$log" 2>&1 || fail
  built="$(ls -t "$out"/*.node 2>/dev/null | head -n 1)"
else
  cargo build --release --manifest-path "$here/Cargo.toml" >"$log" 2>&1 || fail
  built="$here/target/release/libsluice.so"
fi
[ -n "$built" ] && [ -f "$built" ] || { echo "sluice: the build produced no .node file" >&2; fail; }

if ! cmp -s "$built" "$installed"; then
  cp "$built" "$installed.tmp.$$"
  mv -f "$installed.tmp.$$" "$installed"
fi
