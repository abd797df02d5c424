// The secret sweep's shared pieces (tests/cli_test_secrets*.cpp): the known secret values, the
// check that no output contains one (nor the hex of a signing key derived from the secret key),
// and a way to run the built CLI in a bare environment.
#pragma once

#include "cli_test_support.h"
#include "support/environment.h"
#include "support/fake_bedrock.h"

#include <filesystem>
#include <string>
#include <vector>

namespace bedrock_lite::secrets_sweep {

using cli_test::Run;
using cli_test::run_cli;

inline const std::string kKeyId = "AKIDSECRETSWEEP";
inline const std::string kSecretKey = "sweep/SECRET+key/0123456789abcdefSWEEP";
inline const std::string kSessionToken = "sweep-SESSION-token/IQoJb3JpZ2luX2VjEJr+/==";
inline const std::string kBearer = "sweep-BEDROCK-api-key-ABSKQmVkcm9ja0FQSUtleQ==";
inline const std::string kContainerToken = "sweep-CONTAINER-authorization-token-7f3a";
inline const std::string kWebIdentityToken =
    "eyJhbGciOiJSUzI1NiJ9.sweep-WEB-IDENTITY-jwt.c2lnbmF0dXJl";
inline const std::vector<std::string> kSigV4Env = {
    "AWS_ACCESS_KEY_ID=" + kKeyId, "AWS_SECRET_ACCESS_KEY=" + kSecretKey,
    "AWS_SESSION_TOKEN=" + kSessionToken, "AWS_REGION=us-east-1"};

// Fails the test for every secret or derived signing key found in `text`.
void sweep(const std::string& channel, const std::string& text);

// A fake Bedrock that accepts kKeyId / kSecretKey and kBearer.
test::FakeBedrockOptions sweep_server_options();

// Every regular file below `dir`, concatenated.
std::string all_files_below(const std::filesystem::path& dir);

}  // namespace bedrock_lite::secrets_sweep
