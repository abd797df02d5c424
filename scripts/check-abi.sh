#!/usr/bin/env bash
# The C ABI of the shared library stays compatible (docs/c-api.md, "ABI"):
#  1. the C functions declared in bedrock_lite.h, the names listed in cmake/bedrock_lite.map and
#     the C symbols libbedrock_lite.so exports are the same set, each versioned
#     BEDROCK_LITE_<SOVERSION>;
#  2. the C ABI (functions, the config struct, enums, as DWARF describes them) compared with the
#     baseline abi/bedrock_lite.abi by abidiff (Debian's abigail-tools): any difference fails,
#     an incompatible one with the instruction to bump the SONAME;
#  3. every change of the baseline in git history was compatible, or came with a new SONAME.
#
# The types come from DWARF, which a Release build lacks: converse/src/c_api.cpp (where every C
# function is defined) is compiled once more with -g, exactly as the build compiled it, and linked
# with the build's other objects into a probe library that exports the C API only, under the
# library's SONAME. abidw reads that, limited to the public headers.
#
# Usage: scripts/check-abi.sh BUILD_DIR [--update]
#   BUILD_DIR: a -DBUILD_SHARED_LIBS=ON build (CI: build/noexcept). --update rewrites the baseline
#   (commit it with the SONAME change when the change is incompatible).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build_dir=${1:?usage: scripts/check-abi.sh BUILD_DIR [--update]}
update=${2:-}
baseline=abi/bedrock_lite.abi
header=converse/include/bedrock_lite.h
map=cmake/bedrock_lite.map

library=$(find "$build_dir" -maxdepth 1 -name 'libbedrock_lite.so.*.*' -type f | head -n1)
if [ -z "$library" ]; then
  echo "check-abi: no libbedrock_lite.so.X.Y in $build_dir (configure with -DBUILD_SHARED_LIBS=ON)" >&2
  exit 2
fi
soname=$(readelf -d "$library" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
soversion=${soname##*.so.}
status=0
fail() { echo "check-abi: $*" >&2; status=1; }

# 1. Header, map and exports agree.
declared=$(grep -o 'bedrock_lite_[a-z_]*(' "$header" | tr -d '(' | grep -v '^bedrock_lite_stream_callback$' | sort -u)
listed=$(sed -n '/^BEDROCK_LITE_[0-9]* {/,/^}/p' "$map" | grep -o 'bedrock_lite_[a-z_]*' | sort -u)
exported=$(nm -D --defined-only "$library" | awk '$3 ~ /^bedrock_lite_/ { print $3 }' | sort -u)
unversioned=$(grep -v "@@BEDROCK_LITE_[0-9]*$" <<<"$exported" || true)
exported_names=$(sed 's/@.*//' <<<"$exported" | sort -u)
[ "$declared" = "$listed" ] || fail "$header and $map list different C functions:
$(diff <(echo "$declared") <(echo "$listed") | grep '^[<>]')"
[ "$declared" = "$exported_names" ] || fail "$library exports other C symbols than $header declares:
$(diff <(echo "$declared") <(echo "$exported_names") | grep '^[<>]')"
[ -z "$unversioned" ] || fail "C symbols without a BEDROCK_LITE_<N> version: $unversioned"
grep -q "^BEDROCK_LITE_${soversion} {" "$map" ||
  fail "$soname: $map has no node BEDROCK_LITE_${soversion} (the SONAME was bumped without the version script)"

# 2. The probe library and its ABI.
work=$(mktemp -d "${TMPDIR:-/tmp}/bedrock-lite-abi.XXXXXX")
trap 'rm -rf "$work"' EXIT
compile=$(python3 - "$build_dir/compile_commands.json" "$work/c_api.o" <<'EOF'
import json, shlex, sys
for entry in json.load(open(sys.argv[1])):
    if entry["file"].endswith("converse/src/c_api.cpp"):
        words = shlex.split(entry["command"])
        out = words.index("-o")
        words[out + 1] = sys.argv[2]
        words = [w for w in words if w not in ("-MD", "-MF") and not w.endswith(".o.d")]
        # ccache as a compiler launcher is fine; -g last wins over any -g0.
        print("cd " + shlex.quote(entry["directory"]) + " && " + shlex.join(words + ["-g"]))
        break
EOF
)
[ -n "$compile" ] || { echo "check-abi: c_api.cpp is not in $build_dir/compile_commands.json" >&2; exit 2; }
bash -c "$compile"
objects=$(find "$build_dir" -path '*CMakeFiles/bedrock_lite_*.dir/*' -name '*.o' \
  | grep -E 'bedrock_lite_(core|sigv4|eventstream|http|credentials|replay|converse|internal)\.dir/' \
  | grep -v '/c_api\.cpp\.o$')
printf '{ global: bedrock_lite_*; local: *; };\n' >"$work/c-only.map"
# shellcheck disable=SC2086
c++ -shared -o "$work/$soname" -Wl,-soname,"$soname" -Wl,--version-script="$work/c-only.map" \
  "$work/c_api.o" $objects -lcurl -lcrypto -lz -pthread
# Only the C header counts: c_api.cpp uses the C++ API too, whose types are not part of the C ABI.
headers=(--header-file "$root/$header" --drop-private-types --exported-interfaces-only --no-show-locs
         --suppressions "$root/abi/c-api.suppr")
abidw --no-corpus-path --no-comp-dir-path "${headers[@]}" "$work/$soname" | sed "s|path='$root/|path='|" >"$work/current.abi"

if [ "$update" = "--update" ]; then
  mkdir -p abi
  cp "$work/current.abi" "$baseline"
  echo "check-abi: wrote $baseline for $soname"
  exit "$status"
fi
if [ ! -f "$baseline" ]; then
  fail "no baseline $baseline (scripts/check-abi.sh $build_dir --update)"
  exit 1
fi
set +e
abidiff --suppressions abi/c-api.suppr "$baseline" "$work/current.abi" >"$work/diff.txt"
rc=$?
set -e
# abidiff sets bit 8 only for changes it can prove break callers (a removed symbol); a changed
# type or signature is bit 4 ("an ABI change"), like an addition. Compatible are only added
# functions: even a member appended to bedrock_lite_config is not (bedrock_lite_config_init()
# writes the whole struct into a caller's shorter one). Anything else in the report breaks.
additions_only() {
  python3 - "$work/diff.txt" <<'PY'
import re, sys
benign = [
    r"(Functions|Variables) changes summary: 0 Removed, 0 Changed( \(\d+ filtered out\))?, \d+ Added .*",
    r"Function symbols changes summary: 0 Removed, \d+ Added .*",
    r"Variable symbols changes summary: 0 Removed, \d+ Added .*",
    r"\d+ Added functions?:",
    r"\[A\] 'function .*",
]
for line in open(sys.argv[1]):
    text = line.strip()
    if text and not any(re.fullmatch(pattern, text) for pattern in benign):
        sys.exit(1)
PY
}

if [ $((rc & 3)) -ne 0 ]; then
  fail "abidiff failed (status $rc):"
  cat "$work/diff.txt" >&2
elif [ "$rc" -ne 0 ] && { [ $((rc & 8)) -ne 0 ] || ! additions_only; }; then
  fail "INCOMPATIBLE change of the C ABI against $baseline. Keep the old ABI, or bump
  BEDROCK_LITE_SOVERSION (CMakeLists.txt) and the map's node, and commit the new baseline
  (scripts/check-abi.sh BUILD_DIR --update) in the same commit:"
  sed 's/^/  /' "$work/diff.txt" >&2
elif [ "$rc" -ne 0 ]; then
  fail "the C ABI changed compatibly (additions only); commit the new baseline with it
  (scripts/check-abi.sh BUILD_DIR --update):"
  sed 's/^/  /' "$work/diff.txt" >&2
fi

# 3. The baseline's history: each change compatible with the one before, or a new SONAME. A
# change that puts back, byte for byte, a baseline from further back (a revert, like the one
# that took the async functions out again before any release had them) is not checked against
# the version it undoes: the state it returns to was itself checked when it was committed.
versions=()
if git rev-parse --git-dir >/dev/null 2>&1; then
  mapfile -t versions < <(git log --format=%H -- "$baseline")
  sums=()
  for version in "${versions[@]}"; do
    sums+=("$(git show "$version:$baseline" 2>/dev/null | sha256sum | cut -d' ' -f1)")
  done
  restores_earlier() {  # restores_earlier I: version I equals one older than its predecessor
    local j
    for ((j = $1 + 2; j < ${#versions[@]}; j++)); do
      [ "${sums[$1]}" = "${sums[$j]}" ] && return 0
    done
    return 1
  }
  for ((i = 0; i + 1 < ${#versions[@]}; i++)); do
    newer=${versions[$i]} older=${versions[$((i + 1))]}
    restores_earlier "$i" && continue
    git show "$older:$baseline" >"$work/older.abi" 2>/dev/null || continue
    git show "$newer:$baseline" >"$work/newer.abi" 2>/dev/null || continue
    soname_of() { sed -n "1s/.*soname='\([^']*\)'.*/\1/p" "$1"; }
    [ "$(soname_of "$work/older.abi")" != "$(soname_of "$work/newer.abi")" ] && continue
    set +e
    abidiff --suppressions abi/c-api.suppr "$work/older.abi" "$work/newer.abi" >"$work/diff.txt"
    rc=$?
    set -e
    if [ "$rc" -ne 0 ] && { [ $((rc & 8)) -ne 0 ] || ! additions_only; }; then
      fail "commit ${newer:0:12} changed $baseline incompatibly without a new SONAME"
    fi
  done
fi

[ "$status" -eq 0 ] && echo "check-abi: $soname: C ABI matches $baseline (${#versions[@]} baseline versions checked)"
exit "$status"
