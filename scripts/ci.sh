#!/usr/bin/env bash
# The whole test suite, as CI runs it: install dependencies, then build and test Release and
# Debug+ASan+UBSan, run the concurrency tests under ThreadSanitizer and a bounded fuzz smoke.
# The Release suite runs last, so the output ends with ctest's summary line.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
werror=(-DBEDROCK_LITE_WERROR=ON)

step() { printf '\n=== %s\n' "$*"; }

step "asan-ubsan: build and test"
cmake --preset asan-ubsan "${werror[@]}" >/dev/null
cmake --build --preset asan-ubsan
ctest --preset asan-ubsan

step "tsan: concurrency tests"
cmake --preset tsan "${werror[@]}" >/dev/null
cmake --build --preset tsan
ctest --preset tsan --no-tests=ignore

if [ -x scripts/fuzz-smoke.sh ]; then
  step "fuzz smoke"
  scripts/fuzz-smoke.sh
fi

step "release: build and test"
cmake --preset release "${werror[@]}" >/dev/null
cmake --build --preset release
ctest --preset release
