#!/usr/bin/env bash
# One command per architecture for the fully static CLI (docs/static-build.md):
#
#   scripts/build-static.sh x86_64|aarch64 [--tests]
#
# installs what the architecture needs from Debian (for aarch64: the arm64 architecture in dpkg,
# g++-aarch64-linux-gnu, the arm64 -dev packages and qemu-user-static), builds the minimal static
# libcurl into build/static-deps-<arch> (skipped when built from the same sources,
# scripts/build-static-curl.sh), then the `static-<arch>` preset, leaving
# build/static-<arch>/cli/bedrock-lite. With --tests (aarch64 only) it also builds the leaf test
# executables, which ctest runs under qemu-user (`ctest --preset static-aarch64`).
# Needs root (or sudo) for apt.
set -euo pipefail
cd "$(dirname "$0")/.."

arch=${1:-}
tests=${2:-}
case "$arch" in
  x86_64) debarch=amd64 ;;
  aarch64) debarch=arm64 ;;
  *) echo "usage: scripts/build-static.sh x86_64|aarch64 [--tests]" >&2; exit 2 ;;
esac
[ -z "$tests" ] || [ "$tests" = "--tests" ] || { echo "build-static: unknown option '$tests'" >&2; exit 2; }

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "build-static: need root or sudo for apt" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive

packages=(libc-ares-dev:$debarch libssl-dev:$debarch zlib1g-dev:$debarch libexpat1-dev:$debarch)
if [ "$arch" != "$(uname -m)" ]; then
  packages+=(g++-aarch64-linux-gnu qemu-user-static "libc6-dev:$debarch")
  # The tests link cpp-httplib's configuration (tests/CMakeLists.txt finds it through pkg-config).
  [ -z "$tests" ] || packages+=("libcpp-httplib-dev:$debarch")
  if ! dpkg --print-foreign-architectures | grep -qx "$debarch"; then
    $sudo dpkg --add-architecture "$debarch"
    $sudo apt-get update -qq
  fi
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

scripts/build-static-curl.sh "build/static-deps-$arch" "$arch"
cmake --preset "static-$arch" -DBEDROCK_LITE_WERROR=ON >/dev/null
targets=(bedrock-lite)
[ -z "$tests" ] || targets+=(sigv4_test eventstream_test)
cmake --build --preset "static-$arch" --target "${targets[@]}"

cli=build/static-$arch/cli/bedrock-lite
file "$cli" | grep -q "statically linked" || { file "$cli"; exit 1; }
strip_tool=strip
[ "$arch" = "$(uname -m)" ] || strip_tool=aarch64-linux-gnu-strip
"$strip_tool" -o "$cli.stripped" "$cli"
size=$(stat -c %s "$cli.stripped")
echo "build-static: $cli ($(file -b "$cli" | cut -d, -f1-2)), stripped $size bytes"
# The limit of issue 14: 6 MiB stripped.
[ "$size" -le $((6 * 1024 * 1024)) ] || { echo "build-static: over 6 MiB stripped" >&2; exit 1; }
