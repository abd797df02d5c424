#!/usr/bin/env bash
# Consumers are tested (STYLE.md §6): install a build tree to a temporary prefix, build every
# project under examples/ against that prefix only (CMake package or pkg-config), and run each
# against a recorded exchange (--replay), checking what it prints. No AWS account, no network.
#
# Usage: scripts/check-examples.sh [BUILD_DIR]     (default: build/release, built beforehand)
# Environment: KEEP=1 keeps the temporary directory; CMAKE_GENERATOR is honoured.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build_dir=${1:-build/release}
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  echo "check-examples: $build_dir is not a configured build tree (cmake --preset release && cmake --build --preset release)" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/bedrock-lite-examples.XXXXXX")
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$work"' EXIT; fi
prefix=$work/prefix
cmake --install "$build_dir" --prefix "$prefix" >/dev/null
echo "check-examples: installed $build_dir to $prefix"

# A consumer of an instrumented build (asan-ubsan) needs the same runtime at link time.
flags_of() { sed -n "s/^$1:[A-Z]*=//p" "$build_dir/CMakeCache.txt"; }
cxx_flags=$(flags_of CMAKE_CXX_FLAGS)
c_flags=$(flags_of CMAKE_C_FLAGS)
exe_linker_flags=$(flags_of CMAKE_EXE_LINKER_FLAGS)

# A shared libbedrock_lite in a prefix the dynamic loader does not search: say where it is, as
# any user of a private prefix would.
export LD_LIBRARY_PATH="$(dirname "$(find "$prefix" -name 'libbedrock_lite.*' | head -n1)")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

fixtures=$root/fixtures/recorded/bedrock-recorded
failures=0
# run NAME EXPECTED COMMAND...: runs the example, checks its stdout contains EXPECTED.
run() {
  local name=$1 expected=$2
  shift 2
  local out
  if ! out=$("$@" 2>"$work/$name.err"); then
    echo "FAIL $name: exit status non-zero; stderr:" >&2
    cat "$work/$name.err" >&2
    failures=$((failures + 1))
    return
  fi
  if ! grep -qF -- "$expected" <<<"$out"; then
    echo "FAIL $name: stdout lacks '$expected'; it was:" >&2
    echo "$out" >&2
    failures=$((failures + 1))
    return
  fi
  echo "ok   $name"
}

# CMake package consumers: example folder, executable, fixture folder, expected stdout.
cmake_examples=(
  "converse|converse-example|test_bedrock_model/00|Hello! How can I assist you today?"
  "converse-stream|converse-stream-example|test_bedrock_model_stream/00|The capital of France is Paris."
  "count-tokens|count-tokens-example|test_bedrock_inference_profile_count_tokens/00|11"
  "c-api|c-api-example|test_bedrock_model_stream/00|{\"contentBlockDelta\":"
  "epoll-loop|epoll-loop-example|test_bedrock_model_stream/00|call 2: The capital of France is Paris."
  "libuv-loop|libuv-loop-example|test_bedrock_model_stream/00|call 2: The capital of France is Paris."
)
for entry in "${cmake_examples[@]}"; do
  IFS='|' read -r example executable fixture expected <<<"$entry"
  binary=$work/build/$example
  if ! cmake -S "examples/$example" -B "$binary" -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="$cxx_flags" -DCMAKE_C_FLAGS="$c_flags" \
      -DCMAKE_EXE_LINKER_FLAGS="$exe_linker_flags" >"$work/$example.configure.log" 2>&1 ||
     ! cmake --build "$binary" >"$work/$example.build.log" 2>&1; then
    echo "FAIL $example: configure or build against the installed package failed:" >&2
    cat "$work/$example.configure.log" "$work/$example.build.log" 2>/dev/null | tail -n 30 >&2
    failures=$((failures + 1))
    continue
  fi
  run "$example" "$expected" "$binary/$executable" --replay "$fixtures/$fixture"
done

# pkg-config consumer: the installed bedrock_lite.pc, found through PKG_CONFIG_PATH only.
pc_dir=$(dirname "$(find "$prefix" -name bedrock_lite.pc | head -n1)")
mkdir -p "$work/build/pkg-config"
if PKG_CONFIG_PATH="$pc_dir" make -s -C examples/pkg-config BUILD_DIR="$work/build/pkg-config" \
    CXXFLAGS="-O2 $cxx_flags" LDFLAGS="$exe_linker_flags" >"$work/pkg-config.build.log" 2>&1; then
  run pkg-config '"stopReason":"end_turn"' "$work/build/pkg-config/pkg-config-example" \
    --replay "$fixtures/test_bedrock_model/00"
else
  echo "FAIL pkg-config: make against bedrock_lite.pc failed:" >&2
  tail -n 30 "$work/pkg-config.build.log" >&2
  failures=$((failures + 1))
fi

# FFI consumers of the C API (docs/c-api.md): Python (ctypes), Go (cgo) and Rust (extern "C"),
# each against the installed tree only, with Debian's python3, golang-go and cargo/rustc. A
# sanitizer build's library needs its runtime preloaded into python3 and go: those builds skip.
ffi_root=$root/fixtures/recorded
libdir=$(PKG_CONFIG_PATH="$pc_dir" pkg-config --variable=libdir bedrock_lite)
if [[ "$cxx_flags" == *-fsanitize* ]]; then
  echo "skip ffi: $build_dir is a sanitizer build"
else
  mkdir -p "$work/build/ffi"
  if [ -e "$libdir/libbedrock_lite.so" ]; then
    shared=$libdir/libbedrock_lite.so
    go_ldflags="$(PKG_CONFIG_PATH="$pc_dir" pkg-config --libs bedrock_lite) -Wl,-rpath,$libdir"
  else
    # A static install: ctypes loads shared objects only, so the archive (position-independent
    # objects) becomes one, exporting what the shared library would; Go and Rust link the archive
    # with the C++ runtime.
    shared=$work/build/ffi/libbedrock_lite.so
    c++ -shared -o "$shared" -Wl,--whole-archive "$libdir/libbedrock_lite.a" -Wl,--no-whole-archive \
      -Wl,--version-script="$root/cmake/bedrock_lite.map" \
      $(PKG_CONFIG_PATH="$pc_dir" pkg-config --libs-only-l bedrock_lite | sed 's/-lbedrock_lite//')
    go_ldflags="$(PKG_CONFIG_PATH="$pc_dir" pkg-config --libs bedrock_lite) -lstdc++"
  fi
  run python 'python: ok' env BEDROCK_LITE_LIBRARY="$shared" PYTHONDONTWRITEBYTECODE=1 \
    /usr/bin/python3 examples/python/example.py "$ffi_root"

  if (cd examples/go && CGO_ENABLED=1 GOPROXY=off GOFLAGS=-mod=mod \
        CGO_CFLAGS="$(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags bedrock_lite)" \
        CGO_LDFLAGS="$go_ldflags" go build -o "$work/build/ffi/bedrock-lite-go" .) \
      >"$work/go.build.log" 2>&1; then
    run go 'go: ok' "$work/build/ffi/bedrock-lite-go" "$ffi_root"
  else
    echo "FAIL go: go build against the installed tree failed:" >&2
    tail -n 30 "$work/go.build.log" >&2
    failures=$((failures + 1))
  fi

  # Debian's cargo and rustc by path: a rustup toolchain earlier on PATH is not what CI installs.
  cargo=(env PKG_CONFIG_PATH="$pc_dir" CARGO_HOME="$work/cargo-home" RUSTC=/usr/bin/rustc
         CARGO_TARGET_DIR="$work/build/rust" BEDROCK_LITE_FIXTURES="$ffi_root" /usr/bin/cargo)
  if (cd examples/rust && "${cargo[@]}" build --offline --quiet && "${cargo[@]}" test --offline --quiet) \
      >"$work/rust.log" 2>&1; then
    echo "ok   rust-tests"
    run rust 'rust: ok' "$work/build/rust/debug/bedrock-lite-rust" "$ffi_root"
  else
    echo "FAIL rust: cargo build or cargo test against the installed tree failed:" >&2
    tail -n 40 "$work/rust.log" >&2
    failures=$((failures + 1))
  fi
fi

# The installed CLI runs too.
if [ -x "$prefix/bin/bedrock-lite" ]; then
  run cli "Hello! How can I assist you today?" "$prefix/bin/bedrock-lite" converse \
    --replay "$fixtures/test_bedrock_model/00" --model-id us.amazon.nova-micro-v1:0 \
    --request-file <(printf '%s' '{"messages":[{"role":"user","content":[{"text":"Hello!"}]}],"system":[{"text":"You are a chatbot."}],"inferenceConfig":{}}')
fi

if [ "$failures" -ne 0 ]; then
  echo "check-examples: $failures example(s) failed (build logs in $work with KEEP=1)" >&2
  exit 1
fi
echo "check-examples: every example built against the installed tree and ran"
