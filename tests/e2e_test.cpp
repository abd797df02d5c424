// The client over the real libcurl transport against the loopback fake Bedrock, which verifies
// every request's SigV4 signature. Its injected faults are exercised in e2e_test_faults.cpp.
#include <bedrock_lite/converse.h>

#include "e2e_test_support.h"
#include "support/fake_bedrock.h"
#include "support/fixtures.h"
#include "support/json.h"
#include "support/thread_failures.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <sstream>
#include <thread>

using namespace bedrock_lite;
using namespace bedrock_lite::converse;
using bedrock_lite::test::FakeBedrock;
using bedrock_lite::test::Fault;
using std::chrono::milliseconds;
using namespace bedrock_lite::e2e_test;

TEST_CASE("e2e: Converse returns the recorded response, signed correctly", "[e2e]") {
  FakeBedrock server;
  Sleeps sleeps;
  auto client = Client::create(make_config(server, sleeps));
  REQUIRE(client.ok());
  auto request = request_from_fixture("test_bedrock_model/00", "us.amazon.nova-micro-v1:0");
  auto response = client->converse(request);
  REQUIRE(response.ok());
  const std::string recorded_body =
      test::read_file(recorded("test_bedrock_model/00") / "response.body");
  CHECK(test::json_difference(to_json(*response).value(), recorded_body).empty());
  const auto seen = server.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].target == "/model/us.amazon.nova-micro-v1%3A0/converse");
  CHECK(seen[0].model_id == "us.amazon.nova-micro-v1:0");
  CHECK(test::json_difference(seen[0].body, to_json(request).value()).empty());
  check_all_signed(server);
}

TEST_CASE("e2e: an ARN model id with ':' and '/' is encoded once and signed", "[e2e]") {
  FakeBedrock server;
  Sleeps sleeps;
  auto client = Client::create(make_config(server, sleeps));
  REQUIRE(client.ok());
  const std::string arn =
      "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123def456";
  auto response = client->converse(request_from_fixture("test_bedrock_model/00", arn));
  REQUIRE(response.ok());
  const auto seen = server.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].target ==
        "/model/"
        "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%"
        "2Fabc123def456/converse");
  CHECK(seen[0].model_id == arn);
  check_all_signed(server);
}

TEST_CASE("e2e: a wrong signature is refused by the fake server", "[e2e]") {
  FakeBedrock server;
  Sleeps sleeps;
  Config config = make_config(server, sleeps);
  credentials::Credentials wrong;
  wrong.access_key_id = kAccessKey;
  wrong.secret_access_key = Secret("not-the-secret");
  config.credentials = credentials::make_static_provider(wrong);
  auto client = Client::create(config);
  REQUIRE(client.ok());
  auto response = client->converse(stream_request());
  REQUIRE_FALSE(response.ok());
  CHECK(response.error().aws_type == "InvalidSignatureException");
  CHECK(response.error().http_status == 403);
  CHECK(response.error().request_id == "fake-request-1");
  CHECK(server.request_count() == 1);
  CHECK_FALSE(server.requests()[0].signature_valid);
}

TEST_CASE("e2e: ConverseStream delivers the recorded events and accumulates them", "[e2e]") {
  const auto expected = recorded_events("test_bedrock_model_stream/00");
  REQUIRE(expected.size() >= 10);
  for (Fault fault : {Fault::None, Fault::OneByteChunks}) {
    SECTION(fault == Fault::None ? "as recorded" : "one byte per chunk") {
      FakeBedrock server;
      server.push_fault(fault);
      Sleeps sleeps;
      auto client = Client::create(make_config(server, sleeps));
      REQUIRE(client.ok());
      Collected collected;
      auto response = client->converse_stream(stream_request(), collected.handler());
      REQUIRE(response.ok());
      check_events_equal(collected.events, expected, expected.size());
      CHECK(all_text(*response) == collected.text);
      CHECK_FALSE(collected.text.empty());
      REQUIRE(response->usage);
      REQUIRE(collected.usage);
      CHECK(response->usage->input_tokens == collected.usage->input_tokens);
      CHECK(response->usage->output_tokens == collected.usage->output_tokens);
      CHECK(response->stop_reason == "end_turn");
      CHECK(server.request_count() == 1);
      CHECK(server.requests()[0].target == "/model/us.amazon.nova-micro-v1%3A0/converse-stream");
      check_all_signed(server);
    }
  }
}

TEST_CASE("e2e: every recorded stream replays through the client", "[e2e]") {
  std::size_t streams = 0;
  for (const auto& folder : test::folders_with(test::fixture_path("recorded/bedrock-recorded"),
                                               "response.events.jsonl")) {
    const std::string name =
        folder.parent_path().filename().string() + "/" + folder.filename().string();
    SECTION(name) {
      FakeBedrock server;
      server.answer("converse-stream", folder);
      Sleeps sleeps;
      auto client = Client::create(make_config(server, sleeps));
      REQUIRE(client.ok());
      Collected collected;
      auto response = client->converse_stream(stream_request(), collected.handler());
      INFO(name << ": " << (response.ok() ? "" : response.error().to_string()));
      REQUIRE(response.ok());
      const auto expected = recorded_events(name);
      check_events_equal(collected.events, expected, expected.size());
    }
    ++streams;
  }
  CHECK(streams >= 10);
}

TEST_CASE("e2e: CountTokens returns inputTokens", "[e2e]") {
  FakeBedrock server;
  Sleeps sleeps;
  auto client = Client::create(make_config(server, sleeps));
  REQUIRE(client.ok());
  auto request = count_tokens_request(
      request_from_fixture("test_bedrock_model/00", "anthropic.claude-sonnet-4-20250514-v1:0"));
  auto response = client->count_tokens(request);
  REQUIRE(response.ok());
  CHECK(response->input_tokens == 11);
  const auto seen = server.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].target == "/model/anthropic.claude-sonnet-4-20250514-v1%3A0/count-tokens");
  CHECK(seen[0].body.rfind(R"({"input":{"converse":)", 0) == 0);
  check_all_signed(server);
}

TEST_CASE("e2e: a bearer token is sent instead of a signature", "[e2e]") {
  test::FakeBedrockOptions options;
  options.bearer_token = "bedrock-api-key-e2e";
  FakeBedrock server(options);
  Sleeps sleeps;
  Config config = make_config(server, sleeps);
  config.bearer_token = Secret("bedrock-api-key-e2e");
  config.credentials.reset();
  auto client = Client::create(config);
  REQUIRE(client.ok());
  REQUIRE(client->converse(stream_request()).ok());
  const auto seen = server.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].bearer);
  CHECK(seen[0].signature_valid);
  CHECK(seen[0].headers.count("x-amz-date") == 0);
}

TEST_CASE("e2e: a handler that stops cancels the stream", "[e2e]") {
  FakeBedrock server;
  Sleeps sleeps;
  auto client = Client::create(make_config(server, sleeps));
  REQUIRE(client.ok());
  int seen = 0;
  auto response = client->converse_stream(stream_request(), [&](const StreamEvent&) {
    return ++seen == 2 ? StreamControl::Stop : StreamControl::Continue;
  });
  REQUIRE_FALSE(response.ok());
  CHECK(response.error().kind == ErrorKind::Cancelled);
  CHECK(seen == 2);
  CHECK(server.request_count() == 1);
}

TEST_CASE("e2e concurrency: one client shared by threads over keep-alive connections",
          "[e2e][concurrency]") {
  FakeBedrock server;
  Sleeps sleeps;
  auto client = Client::create(make_config(server, sleeps));
  REQUIRE(client.ok());
  const auto request = stream_request();
  test::ThreadFailures failures;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (std::size_t i = 0; i < 10; ++i) {
        auto response = client->converse(request);
        if (!response.ok()) failures.add(t, 2 * i, "converse: " + response.error().to_string());
        auto streamed = client->converse_stream(
            request, [](const StreamEvent&) { return StreamControl::Continue; });
        if (!streamed.ok())
          failures.add(t, 2 * i + 1, "converse_stream: " + streamed.error().to_string());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  INFO(failures.report());
  CHECK(failures.count() == 0);
  CHECK(server.request_count() == 80);
  check_all_signed(server);
}

TEST_CASE("e2e: no secret reaches errors or the log hook", "[e2e][secrets]") {
  const std::string secrets[] = {kSecretKey, "session/token+value", "bedrock-api-key-sweep"};
  std::vector<std::string> seen_text;
  std::mutex mutex;
  auto capture = [&](LogLevel, std::string_view message) {
    std::lock_guard<std::mutex> lock(mutex);
    seen_text.emplace_back(message);
  };
  const Fault faults[] = {Fault::None,         Fault::Status400,       Fault::Status429,
                          Fault::ExpiredToken, Fault::StreamException, Fault::CorruptCrc};
  for (bool bearer : {false, true}) {
    for (Fault fault : faults) {
      test::FakeBedrockOptions options;
      options.bearer_token = "bedrock-api-key-sweep";
      options.clock_offset = std::chrono::hours(fault == Fault::None ? 1 : 0);  // skew path too
      FakeBedrock server(options);
      server.push_fault(fault);
      Sleeps sleeps;
      Config config = make_config(server, sleeps);
      config.log = capture;
      if (bearer) config.bearer_token = Secret("bedrock-api-key-sweep");
      auto client = Client::create(config);
      REQUIRE(client.ok());
      auto a = client->converse_stream(stream_request(),
                                       [](const StreamEvent&) { return StreamControl::Continue; });
      auto b = client->converse(stream_request());
      for (const auto* result : {&a, &b}) {
        if (!result->ok())
          seen_text.push_back(result->error().to_string() + " " + result->error().request_id);
      }
    }
  }
  // Wrong credentials too: the refusal must not echo them.
  {
    FakeBedrock server;
    Sleeps sleeps;
    Config config = make_config(server, sleeps);
    config.log = capture;
    credentials::Credentials wrong;
    wrong.access_key_id = kAccessKey;
    wrong.secret_access_key = Secret(kSecretKey + std::string("x"));
    wrong.session_token = Secret("session/token+value");
    config.credentials = credentials::make_static_provider(wrong);
    auto client = Client::create(config);
    REQUIRE(client.ok());
    auto result = client->converse(stream_request());
    REQUIRE_FALSE(result.ok());
    seen_text.push_back(result.error().to_string());
  }
  REQUIRE(seen_text.size() > 20);
  bool saw_authorization = false;
  for (const auto& text : seen_text) {
    if (text.find("Authorization: <redacted>") != std::string::npos) saw_authorization = true;
    for (const auto& secret : secrets) {
      INFO(text);
      CHECK(text.find(secret) == std::string::npos);
    }
  }
  CHECK(saw_authorization);
}

TEST_CASE("e2e: unknown events pass through, an error message ends the stream", "[e2e]") {
  auto event = [](const std::string& type, const std::string& payload) {
    return FakeBedrock::encode_message(
        {{":event-type", type}, {":content-type", "application/json"}, {":message-type", "event"}},
        payload);
  };
  const std::string start = event("messageStart", R"({"role":"assistant","p":"abc"})");
  const std::string unknown = event("futureEvent", R"({"newMember":[1,2,3],"p":"ab"})");
  const std::string delta =
      event("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"Hi"},"p":"a"})");
  const std::string stop = event("contentBlockStop", R"({"contentBlockIndex":0})");
  const std::string message_stop = event("messageStop", R"({"stopReason":"end_turn"})");
  const std::string metadata = event(
      "metadata",
      R"({"usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2},"metrics":{"latencyMs":3}})");

  SECTION("unknown event types reach the handler raw and leave the response alone") {
    FakeBedrock server;
    server.answer_with("converse-stream", start + unknown + delta + stop + message_stop + metadata,
                       "application/vnd.amazon.eventstream");
    Sleeps sleeps;
    auto client = Client::create(make_config(server, sleeps));
    REQUIRE(client.ok());
    Collected collected;
    bool saw_unknown = false;
    auto response = client->converse_stream(stream_request(), [&](const StreamEvent& e) {
      if (std::holds_alternative<UnknownEvent>(e.body)) {
        saw_unknown =
            e.event_type == "futureEvent" && e.payload == R"({"newMember":[1,2,3],"p":"ab"})";
      }
      return collected.handler()(e);
    });
    REQUIRE(response.ok());
    CHECK(saw_unknown);
    CHECK(collected.events.size() == 6);
    CHECK(all_text(*response) == "Hi");
  }
  SECTION("an un-modelled error message becomes a typed error after the earlier events") {
    FakeBedrock server;
    const std::string error = FakeBedrock::encode_message({{":error-code", "InternalFailure"},
                                                           {":error-message", "the fake broke"},
                                                           {":message-type", "error"}},
                                                          "");
    server.answer_with("converse-stream", start + delta + error + message_stop,
                       "application/vnd.amazon.eventstream");
    Sleeps sleeps;
    auto client = Client::create(make_config(server, sleeps));
    REQUIRE(client.ok());
    Collected collected;
    auto response = client->converse_stream(stream_request(), collected.handler());
    REQUIRE_FALSE(response.ok());
    CHECK(response.error().aws_type == "InternalFailure");
    CHECK(response.error().message == "the fake broke");
    CHECK(response.error().request_id == "fake-request-1");
    CHECK(collected.events.size() == 2);
    CHECK(server.request_count() == 1);
  }
  SECTION("a stream cut between messages before messageStop is a Protocol error") {
    FakeBedrock server;
    server.answer_with("converse-stream", start + delta, "application/vnd.amazon.eventstream");
    Sleeps sleeps;
    auto client = Client::create(make_config(server, sleeps));
    REQUIRE(client.ok());
    auto response = client->converse_stream(
        stream_request(), [](const StreamEvent&) { return StreamControl::Continue; });
    REQUIRE_FALSE(response.ok());
    CHECK(response.error().kind == ErrorKind::Protocol);
  }
  SECTION("a stream cut inside a message is truncated") {
    FakeBedrock server;
    server.answer_with("converse-stream", start + delta.substr(0, delta.size() / 2),
                       "application/vnd.amazon.eventstream");
    Sleeps sleeps;
    auto client = Client::create(make_config(server, sleeps));
    REQUIRE(client.ok());
    Collected collected;
    auto response = client->converse_stream(stream_request(), collected.handler());
    REQUIRE_FALSE(response.ok());
    CHECK(response.error().kind == ErrorKind::Protocol);
    CHECK_THAT(response.error().message, Catch::Contains("event stream"));
    CHECK(collected.events.size() == 1);
  }
}

TEST_CASE("e2e: the read timeout is a stall timeout, never a cap on a stream that keeps sending",
          "[e2e]") {
  // 33 messages 50 ms apart: the whole stream takes several times the 600 ms stall limit, while
  // no gap comes near it.
  const auto expected = recorded_events("test_bedrock_model_stream/00");
  FakeBedrock server;
  server.push_fault(Fault::SlowStream);
  Sleeps sleeps;
  Config config = make_config(server, sleeps);
  config.timeouts.stall = milliseconds(600);
  auto client = Client::create(config);
  REQUIRE(client.ok());
  Collected collected;
  auto response = client->converse_stream(stream_request(), collected.handler());
  INFO((response.ok() ? "" : response.error().to_string()));
  REQUIRE(response.ok());
  check_events_equal(collected.events, expected, expected.size());
  CHECK(server.request_count() == 1);
}
