// The C API and the client over real libcurl against the loopback fake Bedrock: numbers hard for
// doubles reach the service and come back to the caller byte for byte (docs/json.md, issue 17);
// a request that cannot be written is a Usage error and nothing is sent.
#include <bedrock_lite.h>
#include <bedrock_lite/converse.h>

#include "support/environment.h"
#include "support/fake_bedrock.h"
#include "support/hard_numbers.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <string>

using bedrock_lite::test::FakeBedrock;
using bedrock_lite::test::hard_numbers;
namespace cv = bedrock_lite::converse;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The C API resolves its configuration from the process environment: the fake server's
// credentials, a temporary HOME, no instance metadata.
struct CApiEnvironment {
  bedrock_lite::test::TempDir home;
  bedrock_lite::test::ScopedProcessEnvironment scoped{
      bedrock_lite::test::fake_bedrock_process_environment(home)};
};

std::string stream_event(const std::string& type, const std::string& payload) {
  return FakeBedrock::encode_message(
      {{":event-type", type}, {":content-type", "application/json"}, {":message-type", "event"}},
      payload);
}

int collect(const char* event_type, const char* payload, void* user_data) {
  auto* seen = static_cast<std::string*>(user_data);
  *seen += std::string(event_type) + " " + payload + "\n";
  return 0;
}

}  // namespace

TEST_CASE("e2e numbers: the C API passes each hard number through byte for byte", "[e2e]") {
  CApiEnvironment environment;
  FakeBedrock server;
  const std::string url = server.url();
  bedrock_lite_config config;
  bedrock_lite_config_init(&config);
  config.endpoint_url = url.c_str();
  config.max_attempts = 1;
  bedrock_lite_client* client = nullptr;
  bedrock_lite_error* error = nullptr;
  REQUIRE(bedrock_lite_client_create(&config, &client, &error) == BEDROCK_LITE_OK);

  for (const auto& n : hard_numbers()) {
    DYNAMIC_SECTION(n.text << " (" << n.why << ")") {
      const std::string request = R"({"messages":[{"role":"user","content":[{"text":"hi"}]}],)"
                                  R"("additionalModelRequestFields":{"r":)" +
                                  n.text + "}}";
      server.clear_requests();
      server.answer_with(
          "converse",
          R"({"output":{"message":{"role":"assistant","content":[{"toolUse":{"toolUseId":"t",)"
          R"("name":"f","input":{"x":)" +
              n.text +
              R"(}}}]}},"stopReason":"tool_use",)"
              R"("usage":{"inputTokens":1,"outputTokens":2,"totalTokens":3},"metrics":{"latencyMs":4},)"
              R"("additionalModelResponseFields":[)" +
              n.text + "]}",
          "application/json");
      char* response = nullptr;
      REQUIRE(bedrock_lite_converse(client, "m", request.c_str(), &response, &error) ==
              BEDROCK_LITE_OK);
      const std::string converse_json = response;
      bedrock_lite_string_free(response);
      CHECK(contains(converse_json, R"("input":{"x":)" + n.text + "}"));
      CHECK(contains(converse_json, R"("additionalModelResponseFields":[)" + n.text + "]"));

      server.answer_with(
          "converse-stream",
          stream_event("messageStart", R"({"role":"assistant"})") +
              stream_event("contentBlockStart", R"({"contentBlockIndex":0,"start":{"toolUse":)"
                                                R"({"toolUseId":"t","name":"f"}}})") +
              stream_event("contentBlockDelta",
                           R"({"contentBlockIndex":0,"delta":{"toolUse":{"input":"{\"x\":)" +
                               n.text + R"(}"}}})") +
              stream_event("contentBlockStop", R"({"contentBlockIndex":0})") +
              stream_event("messageStop", R"({"stopReason":"tool_use","p":)" + n.text + "}") +
              stream_event("metadata", R"({"usage":{"inputTokens":1,"outputTokens":2,)"
                                       R"("totalTokens":3},"metrics":{"latencyMs":4}})"),
          "application/vnd.amazon.eventstream");
      std::string events;
      REQUIRE(bedrock_lite_converse_stream(client, "m", request.c_str(), collect, &events,
                                           &response, &error) == BEDROCK_LITE_OK);
      const std::string stream_json = response;
      bedrock_lite_string_free(response);
      CHECK(contains(events, R"(messageStop {"stopReason":"tool_use","p":)" + n.text + "}"));
      CHECK(contains(stream_json, R"("input":{"x":)" + n.text + "}"));

      server.answer_with("count-tokens", R"({"inputTokens":5,"future":)" + n.text + "}",
                         "application/json");
      long long tokens = 0;
      REQUIRE(bedrock_lite_count_tokens(client, "m", request.c_str(), &response, &tokens, &error) ==
              BEDROCK_LITE_OK);
      CHECK(std::string(response) == R"({"inputTokens":5,"future":)" + n.text + "}");
      CHECK(tokens == 5);
      bedrock_lite_string_free(response);

      const auto seen = server.requests();
      REQUIRE(seen.size() == 3);
      for (const auto& sent : seen) {
        INFO(sent.operation);
        CHECK(contains(sent.body, R"("additionalModelRequestFields":{"r":)" + n.text + "}"));
      }
    }
  }
  bedrock_lite_client_destroy(client);
}

TEST_CASE("e2e numbers: a request that cannot be written is a Usage error and is not sent",
          "[e2e]") {
  FakeBedrock server;
  cv::Config config;
  config.region = "us-east-1";
  config.endpoint = server.url();
  bedrock_lite::credentials::Credentials credentials;
  credentials.access_key_id = "AKIDFAKEBEDROCK";
  credentials.secret_access_key = bedrock_lite::Secret("fake/secret+key/for-the-loopback-server");
  config.credentials = bedrock_lite::credentials::make_static_provider(credentials);
  config.transport = bedrock_lite::http::make_curl_transport();
  auto client = cv::Client::create(config);
  REQUIRE(client.ok());
  auto request =
      cv::parse_converse_request(R"({"messages":[{"role":"user","content":[{"text":"hi"}]}]})");
  REQUIRE(request.ok());
  request->model_id = "m";
  request->inference_config.emplace().temperature = std::nan("");
  auto response = client->converse(*request);
  REQUIRE_FALSE(response.ok());
  CHECK(response.error().kind == bedrock_lite::ErrorKind::Usage);
  CHECK(response.error().message ==
        "Converse request body cannot be written: /inferenceConfig/temperature: not a finite "
        "number (nan)");
  request->inference_config.reset();
  request->additional_model_request_fields = "{\"r\":";
  auto stream = client->converse_stream(*request, {});
  REQUIRE_FALSE(stream.ok());
  CHECK(stream.error().kind == bedrock_lite::ErrorKind::Usage);
  CHECK(contains(stream.error().message, "/additionalModelRequestFields: not one JSON value"));
  auto count = client->count_tokens(cv::count_tokens_request(*request));
  REQUIRE_FALSE(count.ok());
  CHECK(contains(count.error().message,
                 "CountTokens request body cannot be written: "
                 "/input/converse/additionalModelRequestFields"));
  CHECK(server.request_count() == 0);
}
