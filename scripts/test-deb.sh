#!/usr/bin/env bash
# Installs the .deb that `scripts/package-release.sh --deb BUILD_DIR` made with dpkg -i, runs the
# replayed streamed conversation with the installed /usr/bin/bedrock-lite, builds
# examples/converse against the installed package (find_package from /usr, no hint) and runs
# it on a recorded exchange, then removes the package again (dpkg -r), pass or fail.
# Root only (dpkg); exit 77 (skipped) otherwise.
#
# Usage: scripts/test-deb.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "test-deb: SKIPPED: dpkg -i needs root"; exit 77; }
debs=(build/release-artefacts/*.deb)
[ -f "${debs[0]}" ] || { echo "test-deb: no .deb in build/release-artefacts" >&2; exit 1; }
if dpkg-query -W -f='${Status}' bedrock-lite 2>/dev/null | grep -q "install ok installed"; then
  echo "test-deb: bedrock-lite is already installed on this machine; not touching it" >&2
  exit 1
fi
work=$(mktemp -d)
cleanup() { dpkg -r bedrock-lite >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
dpkg -i "${debs[0]}" >/dev/null
echo "test-deb: installed $(dpkg-query -W -f='${Package} ${Version} (Depends: ${Depends})' bedrock-lite)"
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent

answer=$(/usr/bin/bedrock-lite converse-stream --replay \
  fixtures/recorded/arize-openinference/TestConverseStream.test_invoke_text_message \
  --region us-east-1 --model-id anthropic.claude-3-haiku-20240307-v1:0 --prompt "What is sum of 1 to 10?")
grep -q "the sum of the numbers from 1 to 10 is 55" <<<"$answer" ||
  { echo "test-deb: the installed CLI printed: $answer" >&2; exit 1; }
echo "test-deb: /usr/bin/bedrock-lite replayed the streamed conversation"

cmake -S examples/converse -B "$work/consumer" -DCMAKE_BUILD_TYPE=Release >"$work/log" 2>&1 &&
  cmake --build "$work/consumer" >>"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
grep -q "/usr/lib/cmake/bedrock_lite" "$work/consumer/CMakeCache.txt" ||
  { echo "test-deb: the consumer did not use the installed package" >&2; exit 1; }
answer=$("$work/consumer/converse-example" --replay fixtures/recorded/bedrock-recorded/test_bedrock_model/00)
grep -q "Hello! How can I assist you today?" <<<"$answer" ||
  { echo "test-deb: the consumer printed: $answer" >&2; exit 1; }
echo "test-deb: examples/converse built against the installed package and answered"
