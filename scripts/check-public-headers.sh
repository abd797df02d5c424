#!/usr/bin/env bash
# Fails when a public header includes anything but the standard library and our own headers
# (STYLE.md: never curl, OpenSSL, zlib or RapidJSON in the public API).
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for header in */include/bedrock_lite/*.h */include/*.h; do
  [ -f "$header" ] || continue
  while IFS= read -r line; do
    target=$(sed -E 's/^#[[:space:]]*include[[:space:]]*[<"]([^>"]+)[>"].*/\1/' <<<"$line")
    case "$target" in
      bedrock_lite/internal/*) echo "$header: includes <$target>, a private header that is not installed"; status=1 ;;
      bedrock_lite/*|bedrock_lite.h) ;;
      stddef.h|stdint.h|stdbool.h) ;;  # C standard headers, for the C API (bedrock_lite.h)
      */*|*.h|*.hpp) echo "$header: includes <$target>, which is not ours or the standard library's"; status=1 ;;
    esac
  done < <(grep -E '^#[[:space:]]*include' "$header")
done
[ $status -eq 0 ] && echo "public headers include only the standard library and bedrock_lite/"
exit $status
