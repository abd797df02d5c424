#!/usr/bin/env bash
# Fuzz smoke (CI): build the `fuzz` preset (clang, libFuzzer + ASan + UBSan), then run every
# *_fuzz target for a short bounded time over its seed corpus. Exits non-zero on any crash, leak,
# timeout or sanitizer report.
#
#   scripts/fuzz-smoke.sh            # FUZZ_SECONDS (default 10) per target: 11 targets, ~2 min
#
# libFuzzer writes the inputs it finds into the FIRST corpus directory, so that is a fresh
# temporary directory: the seed folders under fixtures/ are only read, never written. A crashing
# input is kept (its path is printed); copy it into fixtures/regressions/<target>/ with the fix,
# and the replay test (ctest fuzz_replay:<target>) runs it from then on.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-10}
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}

# Seed folders per target, as fuzz/CMakeLists.txt gives them (CORPUS), plus regressions/<target>.
seeds_for() {
  case "$1" in
    eventstream_decoder) echo "fixtures/vectors/eventstream fixtures/recorded" ;;
    raw_request) echo "fixtures/vectors/sigv4" ;;
    converse_response | converse_request | stream_event | http_error) echo "fixtures/recorded" ;;
    sts_xml) echo "fixtures/sts" ;;
    *) echo "" ;;
  esac
}

# Extra libFuzzer flags per target, each with its reason.
flags_for() {
  case "$1" in
    # The server answers on its own threads, which free a connection's buffers just after the
    # client sees the close; libFuzzer's per-input leak check then counts those as leaked. Leaks
    # are still checked once at exit, after stop() joined every thread.
    # Its two loopback connections an input, at thousands of inputs a second, wear out the
    # machine's TIME_WAIT tuples in a long run: the smoke keeps it short (fuzz/README.md).
    fixture_server) echo "-detect_leaks=0 -max_total_time=4" ;;
    *) echo "" ;;
  esac
}

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-smoke.XXXXXX")
keep_work=0
cleanup() { if [ "$keep_work" = 0 ]; then rm -rf "$work"; fi; }
trap cleanup EXIT

status=0
ran=0
for exe in build/fuzz/fuzz/*_fuzz; do
  [ -x "$exe" ] || continue
  name=$(basename "$exe" _fuzz)
  corpus="$work/$name/corpus"
  artifacts="$work/$name/artifacts/"
  mkdir -p "$corpus" "$artifacts"
  dirs=()
  for dir in $(seeds_for "$name") "fixtures/regressions/$name"; do
    if [ -d "$dir" ]; then dirs+=("$dir"); fi
  done
  log="$work/$name/fuzz.log"
  printf '=== %s: %ss over %s\n' "$name" "$seconds" "${dirs[*]:-(no seeds)}"
  # The temporary corpus comes first: libFuzzer adds new inputs only to the first directory.
  # shellcheck disable=SC2046 # flags_for prints whole flags, split on purpose
  # Per-target flags come last: libFuzzer takes the last value of a repeated flag.
  if "$exe" "$corpus" "${dirs[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="$artifacts" -print_final_stats=1 $(flags_for "$name") >"$log" 2>&1; then
    grep -E '^stat::(number_of_executed_units|new_units_added|peak_rss_mb)' "$log" | tr '\n' ' '
    echo
  else
    status=1
    keep_work=1
    echo "FAILED: $name (log $log; crashing inputs in $artifacts)"
    tail -n 40 "$log"
  fi
  ran=$((ran + 1))
done

if [ "$ran" = 0 ]; then
  echo "no *_fuzz executables in build/fuzz/fuzz" >&2
  exit 1
fi
exit "$status"
