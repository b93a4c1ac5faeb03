#!/usr/bin/env bash
# Cross-builds the native addon for the Linux platforms other than this machine's, into
# native/prebuilt/sluice.linux-<arch>-<libc>.node, where src/native.ts looks when
# native/sluice.node does not load (and which npm pack ships):
#   linux-arm64-gnu   aarch64, glibc 2.17 or later
#   linux-x64-musl    x86_64, musl (Alpine)
#   linux-arm64-musl  aarch64, musl
# The linker and the C library of each target come from Zig with cargo-zigbuild, both from PyPI
# (pinned, in a venv under native/target/); the Rust standard library of each target from
# `rustup target add`. A target whose toolchain cannot be had is skipped with the reason, and
# the script fails if none was built, or at once if a build is not what its name says
# (scripts/check-addon-elf.ts reads each one's ELF headers: machine, C library, glibc version).
# On 2026-12-07 (napi-rs) the venv took ~3 minutes and 440 MB, and the targets 175-1179 s each
# (LTO, one codegen unit) at load 15-47 beside other builds; calm: not measured.
# Usage: scripts/cross-addons.sh [target...]   (default: all three, by the names above)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
venv="$root/native/target/zig-venv"
out="$root/native/prebuilt"
zig_version=0.17.1
zigbuild_version=0.24.0

declare -A triples=(
  [linux-arm64-gnu]=aarch64-unknown-linux-gnu.2.17
  [linux-x64-musl]=x86_64-unknown-linux-musl
  [linux-arm64-musl]=aarch64-unknown-linux-musl
)
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(linux-arm64-gnu linux-x64-musl linux-arm64-musl)

say() { echo "cross-addons: $*" >&2; }

if [ ! -x "$venv/bin/cargo-zigbuild" ]; then
  say "installing Zig $zig_version and cargo-zigbuild $zigbuild_version from PyPI into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "ziglang==$zig_version" "cargo-zigbuild==$zigbuild_version"
fi
export PATH="$venv/bin:$PATH"
mkdir -p "$out"

built=0
for name in "${names[@]}"; do
  triple=${triples[$name]:-}
  if [ -z "$triple" ]; then
    say "unknown target '$name' (one of: ${!triples[*]})"
    exit 2
  fi
  rust_target=${triple%.2.*} # the glibc version suffix is cargo-zigbuild's, not rustup's
  if ! rustup target list --installed 2>/dev/null | grep -qx "$rust_target"; then
    if ! rustup target add "$rust_target" >&2; then
      say "skipping $name: no Rust standard library for $rust_target (rustup target add failed)"
      continue
    fi
  fi
  # musl targets link statically by default, which rules out a cdylib: link libc dynamically.
  flags=""
  case "$rust_target" in *musl) flags="-C target-feature=-crt-static" ;; esac
  started=$(date +%s)
  log=$(mktemp)
  if ! RUSTFLAGS="$flags" cargo zigbuild --release --locked --target "$triple" \
    --manifest-path native/Cargo.toml >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    say "skipping $name: the build failed (see above)"
    continue
  fi
  rm -f "$log"
  cp "native/target/$rust_target/release/libsluice.so" "$out/sluice.$name.node.tmp"
  # It cannot run here: its ELF headers say whether it is what its name claims (machine, C
  # library, and for glibc the version the triple asks for).
  glibc_max=()
  case "$triple" in *-gnu.*) glibc_max=(--glibc-max "${triple##*-gnu.}") ;; esac
  if ! node_modules/.bin/bun scripts/check-addon-elf.ts "$out/sluice.$name.node.tmp" "$name" "${glibc_max[@]}"; then
    rm -f "$out/sluice.$name.node.tmp"
    say "the build for $name is not a $name library (see above): a toolchain fault, stopping"
    exit 1
  fi
  mv -f "$out/sluice.$name.node.tmp" "$out/sluice.$name.node"
  say "native/prebuilt/sluice.$name.node ($(($(date +%s) - started)) s)"
  built=$((built + 1))
done
[ "$built" -gt 0 ] || {
  say "no target was built"
  exit 1
}
