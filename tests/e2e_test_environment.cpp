// Client::from_environment(): the one-line client reads this process's environment exactly as
// resolve_config() does, and its calls reach (and are verified by) the loopback fake Bedrock.
#include <bedrock_lite/converse.h>

#include "support/environment.h"
#include "support/fake_bedrock.h"

#include <catch2/catch.hpp>

#include <stdlib.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

using namespace bedrock_lite;
using bedrock_lite::test::FakeBedrock;
using bedrock_lite::test::TempDir;

namespace {

// Sets (or, with nullptr, unsets) variables for one test and restores them afterwards.
class ScopedEnvironment {
 public:
  explicit ScopedEnvironment(std::vector<std::pair<std::string, const char*>> values) {
    for (const auto& [name, value] : values) {
      const char* old = ::getenv(name.c_str());
      saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
      if (value) {
        ::setenv(name.c_str(), value, 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }
  ~ScopedEnvironment() {
    for (const auto& [name, old] : saved_) {
      if (old) {
        ::setenv(name.c_str(), old->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

}  // namespace

TEST_CASE("from_environment: region, endpoint and keys from the environment make a verified call") {
  FakeBedrock bedrock;
  TempDir home;
  const std::string url = bedrock.url();
  const std::string missing = (home.path() / "missing").string();
  ScopedEnvironment environment(
      {{"AWS_REGION", "us-east-1"},
       {"AWS_DEFAULT_REGION", nullptr},
       {"AWS_ENDPOINT_URL", url.c_str()},
       {"AWS_ENDPOINT_URL_BEDROCK_RUNTIME", nullptr},
       {"AWS_ACCESS_KEY_ID", "AKIDFAKEBEDROCK"},
       {"AWS_SECRET_ACCESS_KEY", "fake/secret+key/for-the-loopback-server"},
       {"AWS_SESSION_TOKEN", nullptr},
       {"AWS_PROFILE", nullptr},
       {"AWS_BEARER_TOKEN_BEDROCK", nullptr},
       {"AWS_MAX_ATTEMPTS", "1"},
       {"AWS_CONFIG_FILE", missing.c_str()},
       {"AWS_SHARED_CREDENTIALS_FILE", missing.c_str()},
       {"AWS_EC2_METADATA_DISABLED", "true"},
       {"HOME", home.path().c_str()}});
  auto client = converse::Client::from_environment();
  REQUIRE(client.ok());
  CHECK(client->config().region == "us-east-1");
  CHECK(client->config().endpoint == url);
  CHECK(client->config().retry.max_attempts == 1);

  auto answer = client->converse(converse::prompt_request("us.amazon.nova-micro-v1:0", "Hello!"));
  REQUIRE(answer.ok());
  CHECK(converse::response_text(*answer) ==
        "Hello! How can I assist you today? Whether you have questions, need information, or just "
        "want to chat, I'm here to help.");
  REQUIRE(bedrock.request_count() == 1);
  const auto seen = bedrock.requests().front();
  CHECK(seen.signature_valid);
  CHECK(seen.access_key_id == "AKIDFAKEBEDROCK");
  CHECK(seen.body == R"({"messages":[{"role":"user","content":[{"text":"Hello!"}]}]})");

  // Overrides win over the environment, as for resolve_config().
  converse::ConfigOverrides overrides;
  overrides.region = "eu-west-3";
  auto overridden = converse::Client::from_environment(overrides);
  REQUIRE(overridden.ok());
  CHECK(overridden->config().region == "eu-west-3");
}

TEST_CASE("from_environment: no region anywhere is NoRegion, as resolve_config() says") {
  TempDir home;
  const std::string missing = (home.path() / "missing").string();
  ScopedEnvironment environment({{"AWS_REGION", nullptr},
                                 {"AWS_DEFAULT_REGION", nullptr},
                                 {"AWS_PROFILE", nullptr},
                                 {"AWS_CONFIG_FILE", missing.c_str()},
                                 {"AWS_SHARED_CREDENTIALS_FILE", missing.c_str()},
                                 {"AWS_EC2_METADATA_DISABLED", "true"},
                                 {"HOME", home.path().c_str()}});
  auto client = converse::Client::from_environment();
  REQUIRE_FALSE(client.ok());
  CHECK(client.error().kind == ErrorKind::NoRegion);
  auto resolved = converse::resolve_config(credentials::Environment::from_process());
  REQUIRE_FALSE(resolved.ok());
  CHECK(client.error().message == resolved.error().message);
}

TEST_CASE("response_text joins the text blocks, and prompt_request is one user text block") {
  auto response = converse::parse_converse_response(
      R"({"output":{"message":{"role":"assistant","content":[{"text":"a"},{"toolUse":{"toolUseId":"t","name":"n","input":{}}},{"text":"b"}]}},"stopReason":"end_turn"})");
  REQUIRE(response.ok());
  CHECK(converse::response_text(*response) == "a\nb");
  CHECK(converse::response_text(converse::ConverseResponse{}).empty());
  auto json = converse::to_json(converse::prompt_request("m", "hi \"there\""));
  REQUIRE(json.ok());
  CHECK(*json == R"({"messages":[{"role":"user","content":[{"text":"hi \"there\""}]}]})");
}
