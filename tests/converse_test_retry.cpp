// Retries and clock-skew correction through the public seams only: a Client over the libcurl
// transport against the loopback fake Bedrock, with an injected jitter source, a sleeper that
// records instead of sleeping, and fixed clocks on both sides. What the sleeper records is the
// backoff (docs/wire-protocol.md §6); what the server saw is which attempts were made and the
// X-Amz-Date each was signed with (§4.12).
#include <bedrock_lite/converse.h>

#include "support/fake_bedrock.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <deque>
#include <limits>
#include <mutex>
#include <string>
#include <vector>

using namespace bedrock_lite;
using namespace bedrock_lite::converse;
using bedrock_lite::test::FakeBedrock;
using bedrock_lite::test::FakeBedrockOptions;
using bedrock_lite::test::Fault;
using std::chrono::milliseconds;

namespace {

using TimePoint = std::chrono::system_clock::time_point;

// 2026-01-01T00:00:00Z: the client's clock in every test here.
const TimePoint kClientNow = TimePoint(std::chrono::seconds(1767225600));

// The fake Bedrock with a fixed clock (kClientNow + `server_ahead` unless the options say
// otherwise), and a client config pointed at it whose jitter, sleeps and log are recorded.
// Thread-safe where the client calls in (jitter, sleeper, log).
struct World {
  explicit World(std::chrono::seconds server_ahead = std::chrono::seconds(0),
                 FakeBedrockOptions options = {})
      : server(with_clock(std::move(options), server_ahead)) {}

  FakeBedrock server;
  std::mutex mutex;
  std::deque<double> jitters;  // handed out in order; 0.5 once used up
  std::vector<milliseconds> sleeps;
  std::vector<std::string> log;

  Config config(int max_attempts = 3) {
    credentials::Credentials c;
    c.access_key_id = "AKIDFAKEBEDROCK";
    c.secret_access_key = Secret("fake/secret+key/for-the-loopback-server");
    c.source = "test";
    Config config;
    config.region = "us-east-1";
    config.endpoint = server.url();
    config.credentials = credentials::make_static_provider(c);
    config.transport = http::make_curl_transport();
    config.clock = [] { return kClientNow; };
    config.retry.max_attempts = max_attempts;
    config.retry.jitter = [this] {
      std::lock_guard<std::mutex> lock(mutex);
      if (jitters.empty()) return 0.5;
      const double next = jitters.front();
      jitters.pop_front();
      return next;
    };
    config.retry.sleeper = [this](milliseconds d) {
      std::lock_guard<std::mutex> lock(mutex);
      sleeps.push_back(d);
    };
    config.log = [this](LogLevel level, std::string_view line) {
      std::lock_guard<std::mutex> lock(mutex);
      log.push_back((level == LogLevel::Warn ? "warn: " : "") + std::string(line));
    };
    return config;
  }

  Client client(Config config) {
    auto made = Client::create(std::move(config));
    REQUIRE(made.ok());
    return std::move(made).value();
  }
  Client client(int max_attempts = 3) { return client(config(max_attempts)); }

  void push(std::initializer_list<Fault> faults) {
    for (Fault f : faults) server.push_fault(f);
  }
  std::vector<milliseconds> take_sleeps() {
    std::lock_guard<std::mutex> lock(mutex);
    auto out = std::move(sleeps);
    sleeps.clear();
    return out;
  }
  // How many log lines contain `text`; all_log() gives them all, for INFO.
  int count_log(const std::string& text) {
    std::lock_guard<std::mutex> lock(mutex);
    int n = 0;
    for (const auto& line : log) n += line.find(text) != std::string::npos ? 1 : 0;
    return n;
  }
  std::string all_log() {
    std::lock_guard<std::mutex> lock(mutex);
    std::string out;
    for (const auto& line : log) out += line + "\n";
    return out;
  }
  // The X-Amz-Date of every request the server saw, in order.
  std::vector<std::string> signed_at() const {
    std::vector<std::string> out;
    for (const auto& seen : server.requests()) out.push_back(seen.headers.at("x-amz-date"));
    return out;
  }

 private:
  static FakeBedrockOptions with_clock(FakeBedrockOptions options, std::chrono::seconds ahead) {
    if (!options.clock) options.clock = [ahead] { return kClientNow + ahead; };
    return options;
  }
};

ConverseRequest hello_request() {
  auto parsed =
      parse_converse_request(R"({"messages":[{"role":"user","content":[{"text":"Hello"}]}]})");
  REQUIRE(parsed.ok());
  ConverseRequest request = std::move(parsed).value();
  request.model_id = "anthropic.claude-3-haiku-20240307-v1:0";
  return request;
}

std::vector<milliseconds> ms(std::initializer_list<long long> values) {
  std::vector<milliseconds> out;
  for (auto v : values) out.emplace_back(v);
  return out;
}

Result<ConverseResponse> call(const Client& client) {
  return client.converse(hello_request());
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Backoff: delay = jitter * min(base * 2^(retry-1), max_backoff), jitter clamped to [0, 1)

TEST_CASE("retry: backoff is full jitter of an exponential ceiling, per error class",
          "[converse][retry]") {
  SECTION("transient errors (500, 503): base 100 ms, doubling") {
    World w;
    w.push({Fault::Status500, Fault::Status503, Fault::Status500});
    auto response = call(w.client(4));
    INFO(w.all_log());
    REQUIRE(response.ok());
    CHECK(w.server.request_count() == 4);
    CHECK(w.take_sleeps() == ms({50, 100, 200}));
    CHECK(w.count_log("retry 1 of 3 in 50 ms") == 1);
  }
  SECTION("throttling (429 ThrottlingException): base 500 ms, doubling") {
    World w;
    w.push({Fault::Status429, Fault::Status429, Fault::Status429});
    auto response = call(w.client(4));
    INFO(w.all_log());
    REQUIRE(response.ok());
    CHECK(w.take_sleeps() == ms({250, 500, 1000}));
  }
  SECTION("a throttlingException stream exception before any event throttles like a 429") {
    World w;
    w.push({Fault::StreamExceptionFirst});
    Client client = w.client();
    int events = 0;
    auto response = client.converse_stream(hello_request(), [&](const StreamEvent&) {
      ++events;
      return StreamControl::Continue;
    });
    INFO(w.all_log());
    REQUIRE(response.ok());
    CHECK(events > 0);
    CHECK(w.server.request_count() == 2);
    CHECK(w.take_sleeps() == ms({250}));  // camelCase, matched without case
  }
  SECTION("the jitter scales the ceiling; values outside [0, 1) are clamped") {
    World w;
    w.jitters = {0.999, 0.0, 0.5, 7.0, -1.0, std::numeric_limits<double>::quiet_NaN()};
    w.push({Fault::Status500, Fault::Status500, Fault::Status500, Fault::Status500,
            Fault::Status500, Fault::Status500});
    auto response = call(w.client(7));
    INFO(w.all_log());
    REQUIRE(response.ok());
    // ceilings 100, 200, 400, 800, 1600, 3200 ms; 7.0 is just under 1, -1 and NaN are 0.
    CHECK(w.take_sleeps() == ms({99, 0, 200, 799, 0, 0}));
  }
}

TEST_CASE("retry: the backoff ceiling stops at max_backoff, even after very many retries",
          "[converse][retry]") {
  SECTION("the default 20 s cap, transient errors, 65 retries") {
    World w;
    for (int i = 0; i < 65; ++i) w.push({Fault::Status500});
    auto response = call(w.client(66));
    INFO(w.all_log());
    REQUIRE(response.ok());
    CHECK(w.server.request_count() == 66);
    const auto sleeps = w.take_sleeps();
    REQUIRE(sleeps.size() == 65);
    CHECK(std::vector<milliseconds>(sleeps.begin(), sleeps.begin() + 9) ==
          ms({50, 100, 200, 400, 800, 1600, 3200, 6400, 10000}));
    // Retry 65 would be 100 ms * 2^64 unclamped: still the cap.
    for (std::size_t i = 9; i < sleeps.size(); ++i) {
      INFO("retry " << i + 1);
      CHECK(sleeps[i] == milliseconds(10000));
    }
  }
  SECTION("throttling reaches the cap at retry 7") {
    World w;
    for (int i = 0; i < 7; ++i) w.push({Fault::Status429});
    w.jitters = {0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 7.0};
    auto response = call(w.client(8));
    INFO(w.all_log());
    REQUIRE(response.ok());
    CHECK(w.take_sleeps() == ms({250, 500, 1000, 2000, 4000, 8000, 19999}));
  }
  SECTION("a configured cap and bases") {
    World w;
    w.push({Fault::Status500, Fault::Status500, Fault::Status500, Fault::Status429});
    Config config = w.config(5);
    config.retry.base_delay = milliseconds(40);
    config.retry.throttling_base_delay = milliseconds(1000);
    config.retry.max_backoff = milliseconds(300);
    auto response = call(w.client(config));
    INFO(w.all_log());
    REQUIRE(response.ok());
    CHECK(w.take_sleeps() == ms({20, 40, 80, 150}));
  }
}

// ---------------------------------------------------------------------------------------------
// Which errors are retried, and when the attempts run out

TEST_CASE("retry: throttling and transient errors are retried, others are returned at once",
          "[converse][retry]") {
  SECTION("400 ValidationException: one request, no backoff, nothing logged as a retry") {
    World w;
    w.push({Fault::Status400});
    auto response = call(w.client());
    REQUIRE_FALSE(response.ok());
    CHECK(response.error().aws_type == "ValidationException");
    CHECK_FALSE(response.error().retryable);
    CHECK(w.server.request_count() == 1);
    CHECK(w.take_sleeps().empty());
    CHECK(w.count_log("; retry ") == 0);
  }
  SECTION("attempts run out: the last error is returned and the log says why") {
    World w;
    w.push({Fault::Status429, Fault::Status500, Fault::Status503});
    auto response = call(w.client(3));
    REQUIRE_FALSE(response.ok());
    CHECK(response.error().aws_type == "ServiceUnavailableException");
    CHECK(response.error().http_status == 503);
    CHECK(response.error().request_id == "fake-request-3");
    CHECK(w.server.request_count() == 3);
    CHECK(w.take_sleeps() == ms({250, 100}));
    CHECK(w.count_log("not retrying ServiceUnavailableException: max attempts reached") == 1);
  }
  SECTION("max_attempts 1 disables retries") {
    World w;
    w.push({Fault::Status429});
    auto response = call(w.client(1));
    REQUIRE_FALSE(response.ok());
    CHECK(response.error().aws_type == "ThrottlingException");
    CHECK(response.error().retryable);
    CHECK(w.server.request_count() == 1);
    CHECK(w.take_sleeps().empty());
    CHECK(w.count_log("not retrying ThrottlingException: max attempts reached") == 1);
  }
}

// ---------------------------------------------------------------------------------------------
// The client-wide retry quota (docs/wire-protocol.md §6.3)

TEST_CASE("retry quota: retries cost tokens, timeouts more, successes refill, up to capacity",
          "[converse][retry][quota]") {
  SECTION("a timeout costs 10, others 5; an empty quota stops retries until a success refills it") {
    FakeBedrockOptions options;
    options.stall = std::chrono::seconds(3);  // past the client's stall limit below
    World w(std::chrono::seconds(0), options);
    Config config = w.config(3);
    config.retry.quota_capacity = 14;
    config.timeouts.stall = milliseconds(500);
    Client client = w.client(config);
    // Attempts are counted from the log: the server records a stalled request only when it
    // answers, after the client gave up on it.

    // 14 - 10 for the timeout's retry; the success gives the 10 back.
    w.push({Fault::StallBeforeResponse});
    auto first = call(client);
    INFO(w.all_log());
    REQUIRE(first.ok());
    CHECK(w.count_log("Converse attempt ") == 2);
    CHECK(w.take_sleeps().size() == 1);

    // 14 - 10 = 4 left after the timeout's retry: the 500 that follows is not retried.
    w.push({Fault::StallBeforeResponse, Fault::Status500});
    auto second = call(client);
    REQUIRE_FALSE(second.ok());
    CHECK(second.error().aws_type == "InternalServerException");
    CHECK(w.count_log("Converse attempt ") == 4);
    CHECK(w.count_log("not retrying InternalServerException: retry quota exhausted") == 1);

    // Still 4: the quota is the client's, not the call's.
    w.push({Fault::Status500});
    auto third = call(client);
    REQUIRE_FALSE(third.ok());
    CHECK(w.count_log("Converse attempt ") == 5);
    CHECK(w.count_log("retry quota exhausted") == 2);

    // A success without retries adds 1 (5), enough for one more retry.
    REQUIRE(call(client).ok());
    w.push({Fault::Status500});
    auto fifth = call(client);
    REQUIRE(fifth.ok());
    CHECK(w.count_log("Converse attempt ") == 8);
    CHECK(w.count_log("retry quota exhausted") == 2);
    CHECK(w.take_sleeps().size() == 2);
  }
  SECTION("successes never fill the quota past its capacity") {
    World w;
    Config config = w.config(2);
    config.retry.quota_capacity = 10;
    Client client = w.client(config);
    for (int i = 0; i < 5; ++i) REQUIRE(call(client).ok());  // 15 if uncapped
    // Each call: a retried 500 (5 tokens), then a 400 that ends it without a refund.
    for (int i = 0; i < 2; ++i) {
      w.push({Fault::Status500, Fault::Status400});
      auto failed = call(client);
      REQUIRE_FALSE(failed.ok());
      CHECK(failed.error().aws_type == "ValidationException");
    }
    CHECK(w.server.request_count() == 9);
    w.push({Fault::Status500});
    auto refused = call(client);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().aws_type == "InternalServerException");
    CHECK(w.server.request_count() == 10);
    CHECK(w.count_log("not retrying InternalServerException: retry quota exhausted") == 1);
  }
  SECTION("errors that are not retried cost nothing") {
    World w;
    Config config = w.config(3);
    config.retry.quota_capacity = 5;
    Client client = w.client(config);
    for (int i = 0; i < 3; ++i) {
      w.push({Fault::Status400});
      REQUIRE_FALSE(call(client).ok());
    }
    w.push({Fault::Status500});
    auto response = call(client);
    INFO(w.all_log());
    REQUIRE(response.ok());
    CHECK(w.server.request_count() == 5);
    CHECK(w.take_sleeps() == ms({50}));
  }
}

// ---------------------------------------------------------------------------------------------
// Clock skew: the offset comes from the service's Date header (else X-Amz-Date), JS SDK v3 rule

TEST_CASE("clock skew: a signature-expired error is corrected from the server's Date and retried",
          "[converse][skew]") {
  World w(std::chrono::hours(1));  // the server's clock is an hour ahead of the client's
  Client client = w.client();
  auto response = call(client);
  INFO(w.all_log());
  REQUIRE(response.ok());
  // The retry is signed with exactly the server's time: the Date header parsed to the second.
  CHECK(w.signed_at() == std::vector<std::string>{"20260101T000000Z", "20260101T010000Z"});
  CHECK(w.server.requests()[0].status == 403);
  CHECK(w.take_sleeps().empty());  // at once, not a backoff
  CHECK(w.count_log("warn: clock skew: the service's clock is 3600000 ms from ours") == 1);
  CHECK(w.count_log("InvalidSignatureException after a clock-skew correction; retrying once") == 1);

  // The offset stays: the next call is signed right the first time, and an answer whose Date
  // agrees with the corrected time changes nothing.
  REQUIRE(call(client).ok());
  CHECK(w.signed_at().size() == 3);
  CHECK(w.signed_at()[2] == "20260101T010000Z");
  CHECK(w.count_log("clock skew") == 1);
}

TEST_CASE("clock skew: the server's time is read from Date or X-Amz-Date, anything else is ignored",
          "[converse][skew]") {
  SECTION("X-Amz-Date when there is no Date") {
    FakeBedrockOptions options;
    options.date_header = "X-Amz-Date";
    World w(std::chrono::hours(1), options);
    auto response = call(w.client());
    INFO(w.all_log());
    REQUIRE(response.ok());
    CHECK(w.signed_at() == std::vector<std::string>{"20260101T000000Z", "20260101T010000Z"});
  }
  SECTION("no date at all: the skew error is returned, not retried") {
    FakeBedrockOptions options;
    options.date_header = "";
    World w(std::chrono::hours(1), options);
    auto response = call(w.client());
    REQUIRE_FALSE(response.ok());
    CHECK(response.error().aws_type == "InvalidSignatureException");
    CHECK_THAT(response.error().message, Catch::StartsWith("Signature expired"));
    CHECK(w.server.request_count() == 1);
    CHECK(w.count_log("clock skew") == 0);
  }
  // Each is an hour ahead, in a form the client must not accept.
  const char* kUnparseable[] = {
      "Thu, 01 Jan 2026 01:00:00 UTC",  // not GMT
      "Thu, 01 Foo 2026 01:00:00 GMT",  // no such month
      "yesterday",
      "20261301T010000Z",  // month 13
  };
  for (const char* text : kUnparseable) {
    SECTION(std::string("unparseable: ") + text) {
      FakeBedrockOptions options;
      options.date_text = [text](TimePoint) { return std::string(text); };
      options.date_header = std::string(text).size() == 16 ? "X-Amz-Date" : "Date";
      World w(std::chrono::hours(1), options);
      auto response = call(w.client());
      REQUIRE_FALSE(response.ok());
      CHECK(response.error().aws_type == "InvalidSignatureException");
      CHECK(w.server.request_count() == 1);
      CHECK(w.count_log("clock skew") == 0);
    }
  }
}

TEST_CASE("clock skew: under 5 minutes is left alone, only skew errors get the immediate retry",
          "[converse][skew]") {
  SECTION("4 minutes off: accepted by the service, no correction") {
    World w(std::chrono::minutes(4));
    Client client = w.client();
    REQUIRE(call(client).ok());
    REQUIRE(call(client).ok());
    CHECK(w.signed_at() == std::vector<std::string>{"20260101T000000Z", "20260101T000000Z"});
    CHECK(w.count_log("clock skew") == 0);
  }
  SECTION("a skewed Date on a ValidationException corrects the offset but is not retried") {
    FakeBedrockOptions options;
    options.signing_window = std::chrono::hours(2);  // a service that still accepts the request
    World w(std::chrono::hours(1), options);
    Client client = w.client();
    w.push({Fault::Status400});
    auto response = call(client);
    REQUIRE_FALSE(response.ok());
    CHECK(response.error().aws_type == "ValidationException");
    CHECK(w.server.request_count() == 1);
    CHECK(w.count_log("warn: clock skew") == 1);
    REQUIRE(call(client).ok());
    CHECK(w.signed_at() == std::vector<std::string>{"20260101T000000Z", "20260101T010000Z"});
  }
}
