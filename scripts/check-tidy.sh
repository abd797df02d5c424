#!/usr/bin/env bash
# clang-tidy over library code (core, sigv4, eventstream, http, credentials, replay, converse),
# with the checks in .clang-tidy and every finding an error. Needs a configured build directory
# whose compile_commands.json lists the sources (every preset sets CMAKE_EXPORT_COMPILE_COMMANDS).
# The CLI, tests, fuzz targets and benchmarks are not library code and are not checked.
#
# Usage: scripts/check-tidy.sh BUILD_DIR [FILE...]   (default: every library .cpp git tracks)
# CLANG_TIDY picks the binary (default clang-tidy-14, else clang-tidy); JOBS the parallelism (2).
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${1:?usage: scripts/check-tidy.sh BUILD_DIR [FILE...]}
shift
[ -f "$build_dir/compile_commands.json" ] || {
  echo "check-tidy: $build_dir/compile_commands.json is missing (configure with a preset first)" >&2
  exit 1
}
tidy=${CLANG_TIDY:-$(command -v clang-tidy-14 || command -v clang-tidy || true)}
[ -n "$tidy" ] || { echo "check-tidy: clang-tidy is not installed" >&2; exit 1; }

if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(git ls-files -- 'core/src/*.cpp' 'core/internal/*.cpp' 'sigv4/src/*.cpp' \
                         'eventstream/src/*.cpp' 'http/src/*.cpp' 'credentials/src/*.cpp' \
                         'replay/src/*.cpp' 'converse/src/*.cpp')
fi
[ ${#files[@]} -gt 0 ] || { echo "check-tidy: no library sources found" >&2; exit 1; }

# One clang-tidy per file, ${JOBS:-2} at a time; a file's findings print together, only when it
# has any, and any finding fails the run (xargs exits non-zero).
export tidy build_dir
status=0
printf '%s\n' "${files[@]}" | xargs -P "${JOBS:-2}" -I{} bash -c '
  out=$("$tidy" -p "$build_dir" --quiet "$1" 2>&1) && exit 0
  printf "%s\n" "$out" | grep -v "warnings\? generated\.$"
  exit 1' _ {} || status=$?
if [ "$status" -ne 0 ]; then
  echo "check-tidy: clang-tidy reported findings (above)" >&2
  exit 1
fi
echo "check-tidy: ${#files[@]} library sources clean under .clang-tidy"
