#!/usr/bin/env bash
# `bedrock-lite sign` over the official SigV4 test suite (fixtures/vectors/sigv4/botocore-aws4,
# the AWS Signature Version 4 Test Suite as botocore ships it): for every case, the canonical
# request, the string to sign and the Authorization header printed by the CLI must equal the
# suite's .creq, .sts and .authz files byte for byte. tests/sigv4_test.cpp checks the library the
# same way (and more); this runs the CLI binary itself, e.g. a cross-built one under qemu-user.
#
# Usage: scripts/check-sign-vectors.sh CLI [EMULATOR]
set -euo pipefail
cd "$(dirname "$0")/.."
cli=$1
emulator=${2:-}
suite=fixtures/vectors/sigv4/botocore-aws4
# The suite's credentials and time (fixtures/vectors/sigv4/README.md, "Common parameters").
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_BEARER_TOKEN_BEDROCK

passed=0 failed=0
while IFS= read -r req; do
  case_dir=$(dirname "$req")
  base=${req%.req}
  token=()
  # The one case whose token the signer adds (the others carry theirs in the .req already).
  [ "$(basename "$base")" = get-vanilla-with-session-token ] &&
    token=(AWS_SESSION_TOKEN=6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267)
  for step in creq sts authz; do
    [ -f "$base.$step" ] || continue
    got=$(env "${token[@]}" $emulator "$cli" sign --service service --region us-east-1 \
      --time 20150830T123600Z --print "$step" <"$req") || got="(exit $?)"
    if [ "$got" = "$(cat "$base.$step")" ]; then
      passed=$((passed + 1))
    else
      failed=$((failed + 1))
      echo "check-sign-vectors: ${case_dir#"$suite"/} $step differs:"
      diff <(printf '%s\n' "$got") "$base.$step" | head -n 8 || true
    fi
  done
done < <(find "$suite" -name '*.req' | sort)
echo "check-sign-vectors: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
