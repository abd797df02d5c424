#!/usr/bin/env bash
# Checks what scripts/package-release.sh made: SHA256SUMS verifies; each tarball unpacks to one
# folder holding the static stripped CLI, the static library, headers, CMake package and .pc;
# its CLI (under qemu-user for aarch64) answers a replayed streamed conversation; and the
# examples/converse consumer builds against the unpacked x86-64 package (find_package with
# bedrock_lite_DIR) and answers a replayed exchange.
#
# Usage: scripts/test-release.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
out=$repo/build/release-artefacts
(cd "$out" && sha256sum --check --quiet SHA256SUMS)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent

count=0
for tarball in "$out"/*.tar.gz; do
  name=$(basename "$tarball" .tar.gz)
  arch=${name##*-linux-}
  tar -C "$work" -xzf "$tarball"
  top=$work/$name
  for f in bin/bedrock-lite lib/libbedrock_lite.a include/bedrock_lite/converse.h \
           lib/cmake/bedrock_lite/bedrock_lite-config.cmake lib/pkgconfig/bedrock_lite.pc \
           README.md docs/static-build.md; do
    [ -e "$top/$f" ] || { echo "test-release: $name lacks $f" >&2; exit 1; }
  done
  description=$(file -b "$top/bin/bedrock-lite")
  [[ "$description" == *"statically linked"* && "$description" == *", stripped"* ]] ||
    { echo "test-release: $name: $(file -b "$top/bin/bedrock-lite")" >&2; exit 1; }
  runner=()
  [ "$arch" = "$(uname -m)" ] || runner=("$(command -v qemu-$arch-static)")
  answer=$("${runner[@]}" "$top/bin/bedrock-lite" converse-stream --replay \
    fixtures/recorded/arize-openinference/TestConverseStream.test_invoke_text_message \
    --region us-east-1 --model-id anthropic.claude-3-haiku-20240307-v1:0 --prompt "What is sum of 1 to 10?")
  grep -q "the sum of the numbers from 1 to 10 is 55" <<<"$answer" ||
    { echo "test-release: $name: the replayed conversation printed: $answer" >&2; exit 1; }
  echo "test-release: $name: contents and CLI ok"
  count=$((count + 1))
done
[ "$count" -gt 0 ] || { echo "test-release: no tarball in $out" >&2; exit 1; }

# A consumer against the unpacked native package.
top=$(find "$work" -maxdepth 1 -name "*-linux-$(uname -m)" | head -n 1)
cmake -S examples/converse -B "$work/consumer" -DCMAKE_BUILD_TYPE=Release \
  -Dbedrock_lite_DIR="$top/lib/cmake/bedrock_lite" >"$work/consumer.log" 2>&1 &&
  cmake --build "$work/consumer" >>"$work/consumer.log" 2>&1 ||
  { cat "$work/consumer.log"; exit 1; }
answer=$("$work/consumer/converse-example" --replay fixtures/recorded/bedrock-recorded/test_bedrock_model/00)
grep -q "Hello! How can I assist you today?" <<<"$answer" ||
  { echo "test-release: the consumer printed: $answer" >&2; exit 1; }
echo "test-release: examples/converse built against $(basename "$top") and answered: ${answer:0:60}"
