// The secret sweep's shared pieces (cli_test_secrets_support.h).
#include "cli_test_secrets_support.h"

#include <bedrock_lite/sigv4.h>

#include "support/fixtures.h"
#include "support/sigv4_check.h"

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <chrono>
#include <cstdlib>
#include <ctime>

namespace bedrock_lite::secrets_sweep {
namespace {

std::string yyyymmdd(std::chrono::system_clock::time_point t) {
  const std::time_t time = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&time, &tm);
  char buffer[16];
  std::strftime(buffer, sizeof buffer, "%Y%m%d", &tm);
  return buffer;
}

// Everything no output may contain: the secrets, in raw and percent-encoded form, and the hex
// of each derived key (our own HMAC chain, checked against the library's kSigning).
std::vector<std::string> forbidden() {
  std::vector<std::string> out = {
      kSecretKey,        kSessionToken,           kBearer,
      kContainerToken,   "sweep%2FSECRET%2Bkey",  "IQoJb3JpZ2luX2VjEJr%2B",
      kWebIdentityToken, "sweep-WEB-IDENTITY-jwt"};
  const auto now = std::chrono::system_clock::now();
  for (int day = -1; day <= 1; ++day) {
    const std::string date = yyyymmdd(now + std::chrono::hours(24 * day));
    for (const auto& [region, service] :
         {std::pair<std::string, std::string>{"us-east-1", "bedrock"},
          {"us-east-1", "service"},
          {"us-east-1", "sts"}}) {
      const std::string k_date = test::hmac_sha256("AWS4" + kSecretKey, date);
      const std::string k_region = test::hmac_sha256(k_date, region);
      const std::string k_service = test::hmac_sha256(k_region, service);
      const std::string k_signing = test::hmac_sha256(k_service, "aws4_request");
      const auto library = sigv4::derive_signing_key(kSecretKey, date, region, service);
      REQUIRE(
          test::hex(library.data(), library.size()) ==
          test::hex(reinterpret_cast<const unsigned char*>(k_signing.data()), k_signing.size()));
      for (const std::string* key : {&k_date, &k_region, &k_service, &k_signing}) {
        out.push_back(test::hex(reinterpret_cast<const unsigned char*>(key->data()), key->size()));
      }
    }
  }
  // The fixed date `sign --time` uses below.
  const std::string k_signing = test::hmac_sha256(
      test::hmac_sha256(
          test::hmac_sha256(test::hmac_sha256("AWS4" + kSecretKey, "20150830"), "us-east-1"),
          "service"),
      "aws4_request");
  out.push_back(
      test::hex(reinterpret_cast<const unsigned char*>(k_signing.data()), k_signing.size()));
  return out;
}

}  // namespace

// Fails the test for every forbidden value found in `text`.
void sweep(const std::string& channel, const std::string& text) {
  static const std::vector<std::string> values = forbidden();
  for (const auto& value : values) {
    INFO(channel << " contains a secret or derived key:\n" << text);
    CHECK(text.find(value) == std::string::npos);
  }
}

test::FakeBedrockOptions sweep_server_options() {
  test::FakeBedrockOptions options;
  options.keys = {{kKeyId, kSecretKey}};
  options.bearer_token = kBearer;
  options.stall = std::chrono::milliseconds(3000);
  return options;
}

std::string all_files_below(const std::filesystem::path& dir) {
  std::string text;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) text += test::read_file(entry.path()) + "\n";
  }
  return text;
}

}  // namespace bedrock_lite::secrets_sweep
