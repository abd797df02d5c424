#!/usr/bin/env bash
# The cross-built aarch64 static CLI and leaf tests under qemu-user (docs/static-build.md,
# "aarch64"), after `scripts/build-static.sh aarch64 --tests`:
#   1. the replayed streamed conversation prints the recorded answer;
#   2. `eventstream decode` of every official vector (aws-sdk-go positive and negative,
#      smithy-rs) and of every recorded event-stream response body prints exactly what the x86-64 static CLI
#      prints (which tests/cli_test_eventstream.cpp checks against the official decoded files),
#      errors included, and all_headers decodes to the official values;
#   3. `sign` over the official SigV4 suite (scripts/check-sign-vectors.sh);
#   4. ctest runs the leaf test executables (sigv4_test, eventstream_test) through qemu
#      (CMAKE_CROSSCOMPILING_EMULATOR, the `static-aarch64` test preset).
#
# Usage: scripts/test-static-aarch64.sh [X86_64_STATIC_CLI]
#   default build/static-x86_64/cli/bedrock-lite (scripts/build-static.sh x86_64)
set -euo pipefail
cd "$(dirname "$0")/.."
arm=build/static-aarch64/cli/bedrock-lite
host=${1:-build/static-x86_64/cli/bedrock-lite}
qemu=$(command -v qemu-aarch64-static || command -v qemu-aarch64) ||
  { echo "test-static-aarch64: qemu-user-static is not installed" >&2; exit 1; }
file "$arm" | grep -q "ARM aarch64.*statically linked" || { file "$arm"; exit 1; }
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent

# 1. The replayed conversation.
answer=$("$qemu" "$arm" converse-stream --replay \
  fixtures/recorded/arize-openinference/TestConverseStream.test_invoke_text_message \
  --region us-east-1 --model-id anthropic.claude-3-haiku-20240307-v1:0 --prompt "What is sum of 1 to 10?")
grep -q "the sum of the numbers from 1 to 10 is 55" <<<"$answer" ||
  { echo "test-static-aarch64: the replayed conversation printed: $answer" >&2; exit 1; }
echo "test-static-aarch64: replayed streamed conversation: ok"

# 2. eventstream decode, byte for byte the same as on x86-64 (stdout, stderr and exit status).
decode() {  # decode RUNNER... FILE -> "status\nstdout\nstderr"
  local out err status=0
  out=$("${@:1:$#-1}" eventstream decode "${!#}" 2>/tmp/bl-decode.err) || status=$?
  err=$(cat /tmp/bl-decode.err)
  printf '%s\n%s\n%s' "$status" "$out" "$err"
}
count=0
while IFS= read -r vector; do
  arm_result=$(decode "$qemu" "$arm" "$vector")
  host_result=$(decode "$host" "$vector")
  if [ "$arm_result" != "$host_result" ]; then
    echo "test-static-aarch64: eventstream decode $vector differs from x86-64:" >&2
    diff <(printf '%s\n' "$host_result") <(printf '%s\n' "$arm_result") | head -n 10 >&2
    exit 1
  fi
  count=$((count + 1))
done < <({ find fixtures/vectors/eventstream/aws-sdk-go/encoded fixtures/vectors/eventstream/smithy-rs \
             -type f ! -name 'LICENSE*' ! -name 'NOTICE*'
           find fixtures/recorded -name response.eventstream.jsonl |
             sed 's|response.eventstream.jsonl$|response.body|'; } | sort)
rm -f /tmp/bl-decode.err
all_headers=$("$qemu" "$arm" eventstream decode fixtures/vectors/eventstream/aws-sdk-go/encoded/positive/all_headers)
for expected in '"total_length":204' '"prelude_crc":263087306' '"message_crc":2879779084' \
                '"payload":"eydmb28nOidiYXInfQ=="' '"value":"AQIDBAUGBwgJCgsMDQ4PEA=="'; do
  grep -qF "$expected" <<<"$all_headers" ||
    { echo "test-static-aarch64: all_headers lacks $expected: $all_headers" >&2; exit 1; }
done
echo "test-static-aarch64: eventstream decode of $count vectors and recorded bodies: same as x86-64"

# 3. sign over the SigV4 suite.
scripts/check-sign-vectors.sh "$arm" "$qemu"

# 4. The leaf test executables under qemu.
ctest --preset static-aarch64
