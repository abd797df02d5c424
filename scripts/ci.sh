#!/usr/bin/env bash
# The whole test suite, as CI runs it: install dependencies, check the layout (clang-format), then
# build and test Debug+ASan+UBSan, run the concurrency tests under ThreadSanitizer, build the
# static CLIs (x86-64, and aarch64 under qemu), run a bounded fuzz smoke, build and test the
# -fno-exceptions -fno-rtti shared variant (and check its exports and ABI), run clang-tidy over
# library code, and build the examples and docs samples against the Release tree. The sanitizer,
# noexcept, fuzz, static and Release builds are unity builds (CMakePresets.json's hidden `unity`
# preset): each target's sources compile as a few merged files, which roughly halves their
# compile time; the `debug` preset compiles every file on its own.
# The Release suite runs last, so the output ends with ctest's summary line.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
werror=(-DBEDROCK_LITE_WERROR=ON)

step() { printf '\n=== %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }

# Layout first: it takes about a second, and a misformatted file fails before any build.
step "format: clang-format --dry-run -Werror over every tracked source"
scripts/check-format.sh

step "asan-ubsan: build and test"
cmake --preset asan-ubsan "${werror[@]}" >/dev/null
cmake --build --preset asan-ubsan
ctest --preset asan-ubsan

# Only the executables that hold concurrency tests (the preset's targets; the ctest
# tsan_preset_builds_every_concurrency_test keeps that list complete).
step "tsan: concurrency tests"
cmake --preset tsan "${werror[@]}" >/dev/null
cmake --build --preset tsan
ctest --preset tsan --no-tests=ignore

# The fully static CLI (docs/static-build.md): a minimal libcurl (c-ares, no NSS) from Debian's
# curl source, then the `static-x86_64` preset; the binary must be static, answer a replayed
# streamed conversation, and work in an empty root.
step "static x86_64: minimal libcurl from Debian's source, fully static CLI, replay, empty root"
scripts/build-static.sh x86_64
static_cli=build/static-x86_64/cli/bedrock-lite
if ldd "$static_cli" >/dev/null 2>&1; then echo "static: $static_cli has dynamic dependencies" >&2; exit 1; fi
answer=$("$static_cli" converse-stream --replay \
  fixtures/recorded/arize-openinference/TestConverseStream.test_invoke_text_message \
  --region us-east-1 --model-id anthropic.claude-3-haiku-20240307-v1:0 \
  --prompt "What is sum of 1 to 10?")
grep -q "the sum of the numbers from 1 to 10 is 55" <<<"$answer" ||
  { echo "static: the replayed conversation did not print the recorded answer" >&2; exit 1; }
# In an empty root: names through /etc/hosts and a loopback DNS server (c-ares, no NSS), the CA
# at a non-Debian path, HTTPS to the fake Bedrock (built by the asan-ubsan step), and the error
# without a CA.
# Exit 77 is a skip (not root, no chroot), which the script explains.
ASAN_OPTIONS=detect_leaks=0 scripts/test-static-root.sh "$static_cli" \
  build/asan-ubsan/tests/static_root_server || [ $? -eq 77 ]
scripts/check-sign-vectors.sh "$static_cli"

# The same CLI cross-built for aarch64 (arm64 multiarch packages), run under qemu-user: replay,
# eventstream vectors, the SigV4 suite, and the leaf test executables through ctest.
step "static aarch64: cross-built static CLI and leaf tests under qemu-user"
scripts/build-static.sh aarch64 --tests
scripts/test-static-aarch64.sh "$static_cli"
# Release tarballs of both static builds and SHA256SUMS; each unpacks and its CLI runs (qemu for
# aarch64), and examples/converse builds against the unpacked x86-64 package.
scripts/package-release.sh x86_64 aarch64
scripts/test-release.sh

if [ -x scripts/fuzz-smoke.sh ]; then
  step "fuzz smoke"
  scripts/fuzz-smoke.sh
fi

# Library code with -fno-exceptions -fno-rtti, built as the shared library: the whole suite runs
# against it, and the .so must export only bedrock_lite:: and bedrock_lite_* (and no library
# object may run a global constructor); its C ABI must match abi/bedrock_lite.abi (or come with
# a new SONAME).
step "noexcept (shared library): build, test, exported symbols, C ABI"
cmake --preset noexcept "${werror[@]}" -DBUILD_SHARED_LIBS=ON >/dev/null
cmake --build --preset noexcept
ctest --preset noexcept
scripts/check-exports.sh build/noexcept
scripts/check-abi.sh build/noexcept

# clang-tidy reads the compile commands the `tidy` configure writes: one entry per source (the
# CI builds are unity builds, whose entries are the merged files). Library code only, 2 files at
# a time; it needs no build.
step "tidy: clang-tidy over library code"
cmake --preset tidy "${werror[@]}" >/dev/null
scripts/check-tidy.sh build/tidy

step "release: build, consumers (examples, docs samples) and test"
cmake --preset release "${werror[@]}" >/dev/null
cmake --build --preset release
scripts/check-examples.sh build/release
scripts/check-docs.sh build/release
# The .deb of this dynamic build (Depends from dpkg-shlibdeps), added to SHA256SUMS; installed
# with dpkg -i, its CLI and an examples/ consumer run against /usr, then it is removed again.
scripts/package-release.sh --deb build/release
scripts/test-deb.sh || [ $? -eq 77 ]
ctest --preset release
