// The secret sweep's shared pieces (cli_test_secrets_support.h).
#include "cli_test_secrets_support.h"

#include <bedrock_lite/sigv4.h>

#include "support/fixtures.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <chrono>
#include <cstdlib>
#include <ctime>

namespace bedrock_lite::secrets_sweep {
namespace {

std::string hex(const unsigned char* data, std::size_t size) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < size; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 0x0F];
  }
  return out;
}

std::string hmac(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
  return std::string(reinterpret_cast<const char*>(out), length);
}

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
      const std::string k_date = hmac("AWS4" + kSecretKey, date);
      const std::string k_region = hmac(k_date, region);
      const std::string k_service = hmac(k_region, service);
      const std::string k_signing = hmac(k_service, "aws4_request");
      const auto library = sigv4::derive_signing_key(kSecretKey, date, region, service);
      REQUIRE(hex(library.data(), library.size()) ==
              hex(reinterpret_cast<const unsigned char*>(k_signing.data()), k_signing.size()));
      for (const std::string* key : {&k_date, &k_region, &k_service, &k_signing}) {
        out.push_back(hex(reinterpret_cast<const unsigned char*>(key->data()), key->size()));
      }
    }
  }
  // The fixed date `sign --time` uses below.
  const std::string k_signing = hmac(
      hmac(hmac(hmac("AWS4" + kSecretKey, "20150830"), "us-east-1"), "service"), "aws4_request");
  out.push_back(hex(reinterpret_cast<const unsigned char*>(k_signing.data()), k_signing.size()));
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
