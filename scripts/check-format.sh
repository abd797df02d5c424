#!/usr/bin/env bash
# Every tracked C and C++ source and header outside fixtures/ is laid out as .clang-format says
# (STYLE.md §4): clang-format --dry-run -Werror, so a file that would change fails the check.
# Fix with: clang-format -i FILE...
set -euo pipefail
cd "$(dirname "$0")/.."

format=${CLANG_FORMAT:-clang-format}
command -v "$format" >/dev/null || { echo "check-format: $format is not installed" >&2; exit 1; }
mapfile -t files < <(git ls-files -- '*.cpp' '*.h' '*.c' ':!:fixtures/')
[ ${#files[@]} -gt 0 ] || { echo "check-format: no sources found" >&2; exit 1; }
if ! "$format" --dry-run -Werror "${files[@]}"; then
  echo "check-format: the files above differ from .clang-format's layout (clang-format -i FILE)" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files match .clang-format"
