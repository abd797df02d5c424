#!/usr/bin/env bash
# Fails when library or CLI code calls RapidJSON's Parse anywhere but the one guarded JSON layer,
# bedrock_lite/internal/json.h and core/internal/json.cpp (size bound, nesting bound, numbers
# converted from the source text, then the parse).
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"
guard=core/internal/bedrock_lite/internal/json.h
guard_source=core/internal/json.cpp
[ -f "$guard" ] || { echo "check-json-parse: $guard is missing" >&2; exit 1; }
grep -q 'Parse<' "$guard" || { echo "check-json-parse: $guard no longer parses" >&2; exit 1; }
hits=$(grep -rnE '\.(Parse|ParseInsitu|ParseStream)[[:space:]]*[<(]|GenericReader|rapidjson::Reader' \
         --include='*.cpp' --include='*.h' core sigv4 eventstream http credentials replay converse cli |
       grep -v -e "^$guard:" -e "^$guard_source:" || true)
if [ -n "$hits" ]; then
  echo "RapidJSON parse outside $guard (use internal::parse_json):"
  echo "$hits"
  exit 1
fi
echo "every JSON parse in library and CLI code goes through $guard"
