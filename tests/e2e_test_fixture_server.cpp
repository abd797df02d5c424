// The Client over real libcurl against the fixture server (serve-fixtures), the way an
// application's own tests use it: endpoint URL pointed at the server, nothing else changed.
#include <bedrock_lite/converse.h>
#include <fixture_server.h>

#include "support/fixtures.h"
#include "support/json.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

namespace bl = bedrock_lite;
namespace cv = bedrock_lite::converse;
namespace http = bedrock_lite::http;
namespace replay = bedrock_lite::replay;
using bedrock_lite::test::fixture_path;
using bedrock_lite::test::json_difference;
using bedrock_lite::test::read_file;

namespace {

std::string recorded_request_body(const std::filesystem::path& folder) {
  rapidjson::Document document;
  const std::string text = read_file(folder / "request.json");
  document.Parse(text.c_str());
  REQUIRE_FALSE(document.HasParseError());
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  document["body"].Accept(writer);
  return buffer.GetString();
}

cv::Client client_for(const replay::FixtureServer& server) {
  bl::credentials::Credentials credentials;
  credentials.access_key_id = "AKIDFIXTURESERVER";
  credentials.secret_access_key = bl::Secret("not-checked-by-the-server");
  cv::Config config;
  config.region = "us-east-1";
  config.endpoint = server.url();
  config.credentials = bl::credentials::make_static_provider(credentials);
  auto client = cv::Client::create(std::move(config));  // the libcurl transport
  REQUIRE(client.ok());
  return std::move(client).value();
}

}  // namespace

TEST_CASE("e2e fixture server: a streamed conversation through the Client over libcurl") {
  const auto folder =
      fixture_path("recorded/arize-openinference/TestConverseStream.test_invoke_tool_message");
  auto server = replay::FixtureServer::start(fixture_path("recorded/arize-openinference").string());
  REQUIRE(server.ok());
  auto client = client_for(**server);

  const auto interaction = bedrock_lite::test::folders_with(folder, "request.json").at(0);
  auto request = cv::parse_converse_request(recorded_request_body(interaction));
  REQUIRE(request.ok());
  rapidjson::Document meta;
  const std::string meta_text = read_file(interaction / "meta.json");
  meta.Parse(meta_text.c_str());
  request->model_id = meta["model_id"].GetString();

  std::vector<std::pair<std::string, std::string>> events;
  auto response = client.converse_stream(*request, [&events](const cv::StreamEvent& event) {
    events.emplace_back(event.event_type, event.payload);
    return cv::StreamControl::Continue;
  });
  INFO((response ? std::string() : response.error().to_string()));
  REQUIRE(response.ok());
  std::istringstream lines(read_file(interaction / "response.events.jsonl"));
  std::string line;
  std::size_t index = 0;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    rapidjson::Document doc;
    doc.Parse(line.c_str());
    REQUIRE(index < events.size());
    CHECK(events[index].first == doc.MemberBegin()->name.GetString());
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    doc.MemberBegin()->value.Accept(writer);
    CHECK(json_difference(events[index].second, buffer.GetString()) == "");
    ++index;
  }
  CHECK(index == events.size());
  CHECK(index > 3);
  REQUIRE(response->usage.has_value());
  CHECK(response->usage->total_tokens.has_value());

  // A request the set does not hold: the server's 404 reaches the caller as a typed error
  // naming the closest fixture, not retried.
  request->inference_config = cv::InferenceConfig{};
  request->inference_config->max_tokens = 7777;
  auto miss = client.converse_stream(
      *request, [](const cv::StreamEvent&) { return cv::StreamControl::Continue; });
  REQUIRE_FALSE(miss.ok());
  CHECK(miss.error().kind == bl::ErrorKind::Service);
  CHECK(miss.error().aws_type == "ReplayMismatchException");
  CHECK(miss.error().http_status == 404);
  CHECK_FALSE(miss.error().retryable);
  CHECK_THAT(miss.error().message, Catch::Contains("closest is "));
  CHECK_THAT(miss.error().message, Catch::Contains("body differs at /inferenceConfig"));
}

TEST_CASE("e2e fixture server: CountTokens through the Client over libcurl") {
  const auto root = fixture_path("recorded/bedrock-recorded");
  int answered = 0;
  for (const auto& folder : bedrock_lite::test::folders_with(root, "request.json")) {
    INFO(folder.string());
    rapidjson::Document meta;
    const std::string meta_text = read_file(folder / "meta.json");
    meta.Parse(meta_text.c_str());
    if (std::string(meta["operation"].GetString()) != "count-tokens") continue;
    // One server per interaction: each answers its own folder, whatever the others hold.
    auto server = replay::FixtureServer::start(folder.string());
    REQUIRE(server.ok());
    auto client = client_for(**server);
    auto request = cv::parse_count_tokens_request(recorded_request_body(folder));
    REQUIRE(request.ok());
    request->model_id = meta["model_id"].GetString();
    auto response = client.count_tokens(*request);
    if (meta["status"].GetInt() == 200) {
      INFO((response ? std::string() : response.error().to_string()));
      REQUIRE(response.ok());
      rapidjson::Document body;
      const std::string body_text = read_file(folder / "response.body");
      body.Parse(body_text.c_str());
      CHECK(response->input_tokens == body["inputTokens"].GetInt64());
    } else {
      REQUIRE_FALSE(response.ok());
      CHECK(response.error().http_status == meta["status"].GetInt());
    }
    ++answered;
  }
  CHECK(answered >= 9);
}
