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

using bedrock_lite::test::ScopedProcessEnvironment;

TEST_CASE("from_environment: region, endpoint and keys from the environment make a verified call") {
  FakeBedrock bedrock;
  TempDir home;
  const std::string url = bedrock.url();
  auto values = test::fake_bedrock_process_environment(home);
  values.push_back({"AWS_ENDPOINT_URL", url});
  values.push_back({"AWS_MAX_ATTEMPTS", "1"});
  ScopedProcessEnvironment environment(values);
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
  auto values = test::fake_bedrock_process_environment(home);
  values.push_back({"AWS_REGION", std::nullopt});
  ScopedProcessEnvironment environment(values);
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
