// Helpers shared by the e2e test files: test credentials the fake Bedrock accepts, a client
// config pointed at it with recorded (never slept) backoffs, requests and events from the
// recorded fixtures, and checks over what the server saw.
#pragma once

#include <bedrock_lite/converse.h>

#include "support/fake_bedrock.h"
#include "support/fixtures.h"
#include "support/json.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace bedrock_lite::e2e_test {

using namespace bedrock_lite::converse;
using bedrock_lite::test::FakeBedrock;
using std::chrono::milliseconds;

inline const char* kAccessKey = "AKIDFAKEBEDROCK";
inline const char* kSecretKey = "fake/secret+key/for-the-loopback-server";

inline std::shared_ptr<credentials::CredentialsProvider> fake_credentials(
    std::string session_token = "") {
  credentials::Credentials c;
  c.access_key_id = kAccessKey;
  c.secret_access_key = Secret(kSecretKey);
  c.session_token = Secret(std::move(session_token));
  c.source = "test";
  return credentials::make_static_provider(c);
}

// Records backoff sleeps instead of sleeping; tests stay fast.
struct Sleeps {
  std::mutex mutex;
  std::vector<milliseconds> values;
};

inline Config make_config(const FakeBedrock& server, Sleeps& sleeps) {
  Config config;
  config.region = "us-east-1";
  config.endpoint = server.url();
  config.credentials = fake_credentials("session/token+value");
  config.transport = http::make_curl_transport();
  config.retry.jitter = [] { return 0.0; };
  config.retry.sleeper = [&sleeps](milliseconds d) {
    std::lock_guard<std::mutex> lock(sleeps.mutex);
    sleeps.values.push_back(d);
  };
  config.timeouts.stall = std::chrono::seconds(5);
  return config;
}

inline std::filesystem::path recorded(const std::string& folder) {
  return test::fixture_path("recorded/bedrock-recorded/" + folder);
}

inline ConverseRequest request_from_fixture(const std::string& folder,
                                            const std::string& model_id) {
  rapidjson::Document document;
  const std::string text = test::read_file(recorded(folder) / "request.json");
  document.Parse(text.c_str());
  REQUIRE(!document.HasParseError());
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  document["body"].Accept(writer);
  auto request = parse_converse_request(buffer.GetString());
  REQUIRE(request.ok());
  request->model_id = model_id;
  return std::move(request).value();
}

inline ConverseRequest stream_request() {
  return request_from_fixture("test_bedrock_model_stream/00", "us.amazon.nova-micro-v1:0");
}

// The recorded events of a stream fixture: (name, payload JSON text).
inline std::vector<std::pair<std::string, std::string>> recorded_events(const std::string& folder) {
  std::vector<std::pair<std::string, std::string>> events;
  std::istringstream lines(test::read_file(recorded(folder) / "response.events.jsonl"));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    rapidjson::Document document;
    document.Parse(line.c_str());
    REQUIRE(!document.HasParseError());
    REQUIRE(document.IsObject());
    REQUIRE(document.MemberCount() == 1);
    const auto& member = *document.MemberBegin();
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    member.value.Accept(writer);
    events.emplace_back(member.name.GetString(), buffer.GetString());
  }
  return events;
}

// Collects what a stream handler saw.
struct Collected {
  std::vector<std::pair<std::string, std::string>> events;
  std::string text;
  std::optional<TokenUsage> usage;

  StreamHandler handler() {
    return [this](const StreamEvent& event) {
      events.emplace_back(event.event_type, event.payload);
      if (const auto* delta = std::get_if<ContentBlockDeltaEvent>(&event.body)) {
        if (delta->delta.text) text += *delta->delta.text;
      }
      if (const auto* metadata = std::get_if<MetadataEvent>(&event.body)) usage = metadata->usage;
      return StreamControl::Continue;
    };
  }
};

inline std::string all_text(const ConverseResponse& response) {
  std::string text;
  REQUIRE(response.output.message);
  for (const auto& block : response.output.message->content) {
    if (block.text) text += *block.text;
  }
  return text;
}

inline void check_all_signed(const FakeBedrock& server) {
  for (const auto& seen : server.requests()) {
    INFO(seen.target);
    CHECK(seen.signature_valid);
    CHECK(seen.signed_headers == "content-type;host;x-amz-date;x-amz-security-token");
  }
}

inline void check_events_equal(const std::vector<std::pair<std::string, std::string>>& got,
                               const std::vector<std::pair<std::string, std::string>>& expected,
                               std::size_t count) {
  REQUIRE(got.size() == count);
  REQUIRE(expected.size() >= count);
  for (std::size_t i = 0; i < count; ++i) {
    INFO("event " << i);
    CHECK(got[i].first == expected[i].first);
    CHECK(test::json_difference(got[i].second, expected[i].second).empty());
  }
}

}  // namespace bedrock_lite::e2e_test
