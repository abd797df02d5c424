// The client against the loopback fake Bedrock's injected faults: throttling and server errors,
// stream faults before and after the first event, hangs, clock skew and expired tokens.
#include <bedrock_lite/converse.h>

#include "e2e_test_support.h"
#include "support/fake_bedrock.h"
#include "support/fixtures.h"
#include "support/json.h"

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

TEST_CASE("e2e: throttling and server errors are retried, each attempt re-signed", "[e2e]") {
  FakeBedrock server;
  server.push_fault(Fault::Status429);
  server.push_fault(Fault::Status500);
  Sleeps sleeps;
  auto client = Client::create(make_config(server, sleeps));
  REQUIRE(client.ok());
  auto response = client->converse(stream_request());
  REQUIRE(response.ok());
  const auto seen = server.requests();
  REQUIRE(seen.size() == 3);
  CHECK(seen[0].status == 429);
  CHECK(seen[1].status == 500);
  CHECK(seen[2].status == 200);
  CHECK(sleeps.values.size() == 2);
  check_all_signed(server);

  SECTION("and give up after max attempts with the last error") {
    server.push_fault(Fault::Status503);
    server.push_fault(Fault::Status503);
    server.push_fault(Fault::Status503);
    auto failed = client->converse(stream_request());
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error().aws_type == "ServiceUnavailableException");
    CHECK(failed.error().http_status == 503);
    CHECK(failed.error().request_id == "fake-request-6");
    CHECK(failed.error().retryable);
    CHECK(server.request_count() == 6);
  }
}

TEST_CASE("e2e: a 400 is not retried", "[e2e]") {
  FakeBedrock server;
  server.push_fault(Fault::Status400);
  Sleeps sleeps;
  auto client = Client::create(make_config(server, sleeps));
  REQUIRE(client.ok());
  Collected collected;
  auto response = client->converse_stream(stream_request(), collected.handler());
  REQUIRE_FALSE(response.ok());
  CHECK(response.error().kind == ErrorKind::Service);
  CHECK(response.error().aws_type == "ValidationException");
  CHECK(response.error().message == "The provided model identifier is invalid.");
  CHECK(response.error().request_id == "fake-request-1");
  CHECK(response.error().to_string() ==
        "ValidationException: The provided model identifier is invalid.");
  CHECK(server.request_count() == 1);
  CHECK(collected.events.empty());
  CHECK(sleeps.values.empty());
}

TEST_CASE("e2e: stream faults after the first event end the call, never retried", "[e2e]") {
  const auto expected = recorded_events("test_bedrock_model_stream/00");
  struct Case {
    const char* name;
    Fault fault;
    ErrorKind kind;
    const char* aws_type;
    const char* message_part;
  };
  const Case cases[] = {
      {"connection reset mid-stream", Fault::ResetMidStream, ErrorKind::Network, "", ""},
      {"stream exception event", Fault::StreamException, ErrorKind::Service,
       "modelStreamErrorException", "The model stream failed (injected)"},
      {"corrupted message CRC", Fault::CorruptCrc, ErrorKind::Protocol, "", "message_crc"},
      {"hang mid-stream past the stall timeout", Fault::HangMidStream, ErrorKind::Timeout, "", ""},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      FakeBedrock server;
      server.push_fault(c.fault);
      Sleeps sleeps;
      Config config = make_config(server, sleeps);
      config.timeouts.stall = milliseconds(300);
      auto client = Client::create(config);
      REQUIRE(client.ok());
      Collected collected;
      auto response = client->converse_stream(stream_request(), collected.handler());
      REQUIRE_FALSE(response.ok());
      const Error& error = response.error();
      INFO(error.to_string());
      CHECK(error.kind == c.kind);
      CHECK(error.aws_type == c.aws_type);
      CHECK_THAT(error.message, Catch::Contains(c.message_part));
      CHECK_FALSE(error.retryable);
      if (c.fault != Fault::ResetMidStream && c.fault != Fault::HangMidStream) {
        CHECK(error.request_id == "fake-request-1");
      }
      // Every event before the fault was delivered, in order, and nothing after it.
      check_events_equal(collected.events, expected, 3);
      CHECK(server.request_count() == 1);
      CHECK(sleeps.values.empty());
    }
  }
}

TEST_CASE("e2e: failures before the first event are retried", "[e2e]") {
  const auto expected = recorded_events("test_bedrock_model_stream/00");
  for (Fault fault : {Fault::StreamExceptionFirst, Fault::HangBeforeResponse, Fault::Status429}) {
    SECTION(std::to_string(static_cast<int>(fault))) {
      FakeBedrock server;
      server.push_fault(fault);
      Sleeps sleeps;
      Config config = make_config(server, sleeps);
      config.timeouts.stall = milliseconds(300);
      auto client = Client::create(config);
      REQUIRE(client.ok());
      Collected collected;
      auto response = client->converse_stream(stream_request(), collected.handler());
      INFO((response.ok() ? "" : response.error().to_string()));
      REQUIRE(response.ok());
      check_events_equal(collected.events, expected, expected.size());
      CHECK(server.request_count() == 2);
      CHECK(sleeps.values.size() == 1);
    }
  }
}

TEST_CASE("e2e: a hang past the read timeout on every attempt is a Timeout error", "[e2e]") {
  FakeBedrock server;
  server.push_fault(Fault::HangBeforeResponse);
  server.push_fault(Fault::HangBeforeResponse);
  Sleeps sleeps;
  Config config = make_config(server, sleeps);
  config.timeouts.stall = milliseconds(200);
  config.retry.max_attempts = 2;
  auto client = Client::create(config);
  REQUIRE(client.ok());
  auto response = client->converse(stream_request());
  REQUIRE_FALSE(response.ok());
  CHECK(response.error().kind == ErrorKind::Timeout);
  CHECK(response.error().display_name() == "Timeout");
  CHECK(server.request_count() == 2);
}

TEST_CASE("e2e: a skewed clock is corrected from the Date header and retried once", "[e2e]") {
  test::FakeBedrockOptions options;
  options.clock_offset = std::chrono::hours(2);
  FakeBedrock server(options);
  Sleeps sleeps;
  auto client = Client::create(make_config(server, sleeps));
  REQUIRE(client.ok());
  auto response = client->converse(stream_request());
  REQUIRE(response.ok());
  const auto seen = server.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].status == 403);
  CHECK(seen[1].status == 200);
  CHECK(sleeps.values.empty());
  // The offset stays: the next call is signed right the first time.
  REQUIRE(client->count_tokens(count_tokens_request(stream_request())).ok());
  CHECK(server.request_count() == 3);
  check_all_signed(server);
}

namespace {
// AKID1 until refreshed, then AKID2.
class RotatingProvider final : public credentials::CredentialsProvider {
 public:
  Result<credentials::Credentials> resolve() override { return current(); }
  Result<credentials::Credentials> refresh() override {
    refreshed = true;
    return current();
  }
  std::atomic<bool> refreshed{false};

 private:
  credentials::Credentials current() const {
    credentials::Credentials c;
    c.access_key_id = refreshed ? "AKID2" : "AKID1";
    c.secret_access_key = Secret(refreshed ? "secret-two" : "secret-one");
    c.session_token = Secret("token");
    return c;
  }
};
}  // namespace

TEST_CASE("e2e: ExpiredTokenException refreshes credentials and retries once", "[e2e]") {
  test::FakeBedrockOptions options;
  options.keys = {{"AKID1", "secret-one"}, {"AKID2", "secret-two"}};
  FakeBedrock server(options);
  server.push_fault(Fault::ExpiredToken);
  Sleeps sleeps;
  Config config = make_config(server, sleeps);
  auto provider = std::make_shared<RotatingProvider>();
  config.credentials = provider;
  auto client = Client::create(config);
  REQUIRE(client.ok());
  Collected collected;
  auto response = client->converse_stream(stream_request(), collected.handler());
  REQUIRE(response.ok());
  CHECK(provider->refreshed);
  const auto seen = server.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].access_key_id == "AKID1");
  CHECK(seen[0].status == 403);
  CHECK(seen[1].access_key_id == "AKID2");
  CHECK(seen[1].status == 200);
  check_all_signed(server);
}
