#!/usr/bin/env bash
# The shared library exports only our own symbols (STYLE.md §6: hidden visibility by default,
# BEDROCK_LITE_API marks what is exported), and no object of the library runs a global
# constructor at load time (no hidden work or state before main).
#
# Usage: scripts/check-exports.sh [BUILD_DIR]
#   BUILD_DIR holds libbedrock_lite.so (a -DBUILD_SHARED_LIBS=ON build). Without it, the script
#   configures and builds one in build/check-exports (library only, Release).
#
# Allowed dynamic symbols (nm -D --defined-only, demangled with c++filt):
#   - bedrock_lite::...                      our C++ API
#   - bedrock_lite_...                       the C API (bedrock_lite.h)
#   - typeinfo / typeinfo name / vtable / VTT / guard variable / thunks for bedrock_lite::...
# Anything else (a std:: template instantiation, a helper missing `static` or an anonymous
# namespace, a third-party symbol linked in) is reported.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${1:-}
if [ -z "$build_dir" ]; then
  build_dir=build/check-exports
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
    -DBEDROCK_LITE_TESTS=OFF -DBEDROCK_LITE_CLI=OFF -DBEDROCK_LITE_BENCH=OFF >/dev/null
  cmake --build "$build_dir" --target bedrock_lite >/dev/null
fi
library=$(find "$build_dir" -maxdepth 1 -name 'libbedrock_lite.so.*.*' -type f | head -n1)
if [ -z "$library" ]; then
  echo "check-exports: no libbedrock_lite.so.X.Y in $build_dir (configure with -DBUILD_SHARED_LIBS=ON)" >&2
  exit 2
fi

status=0
# Symbol versions (name@@BEDROCK_LITE_0, cmake/bedrock_lite.map) are stripped, and the version
# nodes themselves (absolute symbols BEDROCK_LITE_*) are not exports of code.
exported=$(nm -D --defined-only "$library" | awk '$2 != "A" { $1 = ""; $2 = ""; sub(/^  /, ""); sub(/@.*/, ""); print }' | c++filt)
ours='^(bedrock_lite_[A-Za-z0-9_]+|bedrock_lite::.*|(typeinfo|typeinfo name|vtable|VTT|guard variable|construction vtable|non-virtual thunk to|virtual thunk to|covariant return thunk to)( for)? bedrock_lite::.*)$'
leaked=$(grep -Ev "$ours" <<<"$exported" || true)
count=$(wc -l <<<"$exported")
if [ -n "$leaked" ]; then
  echo "check-exports: $library exports symbols outside bedrock_lite:: and bedrock_lite_*:" >&2
  sed 's/^/  /' <<<"$leaked" >&2
  status=1
else
  echo "check-exports: $library exports $count symbols, all bedrock_lite:: or bedrock_lite_*"
fi
if ! grep -q '^bedrock_lite_converse$' <<<"$exported"; then
  echo "check-exports: the C API (bedrock_lite_converse) is not exported" >&2
  status=1
fi

# Global constructors: GCC names a translation unit's static-initialisation function
# _GLOBAL__sub_I_<file>; any object holding one does work before main in every program that
# links it. Checked in the objects the library is built from (static and shared alike); the
# one process-wide initialisation the library needs (curl_global_init) runs lazily, once, on the
# first libcurl transport, never at load time.
objects=""
for module in sigv4 eventstream http credentials converse; do
  objects+=" $(find "$build_dir/$module" -path "*/CMakeFiles/bedrock_lite_$module.dir/*" -name '*.o' 2>/dev/null)"
done
ctors=""
for object in $objects; do
  # Captured, not piped into grep -q: under pipefail nm's SIGPIPE would hide a match.
  symbols=$(nm "$object" 2>/dev/null)
  if grep -q '_GLOBAL__sub_I' <<<"$symbols"; then ctors+="  $object"$'\n'; fi
done
if [ -n "$ctors" ]; then
  echo "check-exports: library objects with global constructors (work before main):" >&2
  printf '%s' "$ctors" >&2
  status=1
else
  echo "check-exports: no global constructors in $(wc -w <<<"$objects") library objects"
fi
exit $status
