#!/usr/bin/env bash
# Installs every build, test and benchmark dependency from Debian's packages (bookworm), and the
# toolchains of the FFI examples (python3, golang-go, cargo and rustc) and abigail-tools (abidiff,
# the C ABI check).
# Run as root, or as a user with sudo. Nothing is downloaded from anywhere else.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ninja-build
  libcurl4-openssl-dev libssl-dev zlib1g-dev rapidjson-dev libexpat1-dev
  catch2 libcpp-httplib-dev libbenchmark-dev
  clang libclang-rt-14-dev clang-format clang-tidy curl
  file time
  # the fully static CLI (docs/static-build.md): c-ares and nghttp2 for libcurl, and the
  # empty-root test's DNS server, certificate tool and system-call tracer
  libc-ares-dev libnghttp2-dev dnsmasq-base openssl strace
  # the C API from other languages (examples/python, go, rust) and the ABI check
  python3 golang-go cargo rustc abigail-tools
  # the event-driven client (docs/async.md): the libuv example's loop, and nghttpx, the HTTP/2
  # server the multiplexing test puts in front of the fake Bedrock
  libuv1-dev nghttp2-proxy
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
