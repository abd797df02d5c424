// The client's attempt loop over a scripted transport: signing each attempt, retries, refresh,
// bearer tokens, refusals before sending, size caps, stream exceptions, one client on many
// threads. Endpoint rules and config resolution are in converse_test_config.cpp; retry backoff,
// the retry quota and clock skew against the fake Bedrock in converse_test_retry.cpp.
#include <bedrock_lite/converse.h>
#include <bedrock_lite/eventstream.h>

#include "support/thread_failures.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <deque>
#include <mutex>
#include <thread>

using namespace bedrock_lite;
using namespace bedrock_lite::converse;
using std::chrono::milliseconds;

namespace {

// ---- a scripted transport ----------------------------------------------------------------------

struct Scripted {
  int status = 200;
  http::Headers headers;
  std::vector<std::string> chunks;
  std::optional<Error> error;  // a transport error instead of a response (after the chunks)
};

// Answers each send() with the next scripted reply and records the requests. Thread-safe.
class ScriptedTransport final : public http::Transport {
 public:
  void push(Scripted reply) {
    std::lock_guard<std::mutex> lock(mutex_);
    replies_.push_back(std::move(reply));
  }
  void set_default(Scripted reply) {
    std::lock_guard<std::mutex> lock(mutex_);
    default_ = std::move(reply);
  }
  std::vector<http::Request> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }
  Result<http::ResponseHead> send(const http::Request& request, http::BodySink& sink) override {
    Scripted reply;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      requests_.push_back(request);
      if (!replies_.empty()) {
        reply = std::move(replies_.front());
        replies_.pop_front();
      } else if (default_) {
        reply = *default_;
      } else {
        return make_error(ErrorKind::Network, "scripted transport: no reply left");
      }
    }
    http::ResponseHead head{reply.status, reply.headers};
    if (!reply.error || !reply.chunks.empty()) {
      if (!sink.on_head(head)) return make_error(ErrorKind::Cancelled, "cancelled");
      for (const auto& chunk : reply.chunks) {
        if (!sink.on_body(chunk)) return make_error(ErrorKind::Cancelled, "cancelled");
      }
    }
    if (reply.error) return *reply.error;
    return head;
  }

 private:
  mutable std::mutex mutex_;
  std::deque<Scripted> replies_;
  std::optional<Scripted> default_;
  std::vector<http::Request> requests_;
};

// Hands out AKID1 until refreshed, then AKID2. Thread-safe.
class CountingProvider final : public credentials::CredentialsProvider {
 public:
  Result<credentials::Credentials> resolve() override {
    resolves++;
    return current();
  }
  Result<credentials::Credentials> refresh() override {
    refreshes++;
    generation = 2;
    return current();
  }
  std::atomic<int> resolves{0};
  std::atomic<int> refreshes{0};
  std::atomic<int> generation{1};

 private:
  credentials::Credentials current() const {
    credentials::Credentials c;
    c.access_key_id = generation == 1 ? "AKID1" : "AKID2";
    c.secret_access_key = Secret("secret-" + std::to_string(generation.load()));
    c.session_token = Secret("token-" + std::to_string(generation.load()));
    c.source = "test";
    return c;
  }
};

const char* kConverseBody =
    R"({"output":{"message":{"role":"assistant","content":[{"text":"Hi"}]}},"stopReason":"end_turn",)"
    R"("usage":{"inputTokens":1,"outputTokens":2,"totalTokens":3},"metrics":{"latencyMs":5}})";

Scripted ok_reply() {
  return Scripted{200, {{"x-amzn-RequestId", "ok-id"}}, {kConverseBody}, std::nullopt};
}

Scripted error_reply(int status, const std::string& type, const std::string& id = "err-id") {
  return Scripted{
      status,
      {{"x-amzn-ErrorType", type + ":http://internal.amazon.com/coral/com.amazon.bedrock/"},
       {"x-amzn-RequestId", id}},
      {R"({"message":"scripted )" + type + R"("})"},
      std::nullopt};
}

struct Harness {
  std::shared_ptr<ScriptedTransport> transport = std::make_shared<ScriptedTransport>();
  std::shared_ptr<CountingProvider> provider = std::make_shared<CountingProvider>();
  std::vector<milliseconds> sleeps;
  std::mutex sleeps_mutex;
  std::chrono::system_clock::time_point now =
      std::chrono::system_clock::time_point(std::chrono::seconds(1767225600));  // 2026-01-01

  Config config(int max_attempts = 3) {
    Config c;
    c.region = "us-east-1";
    c.credentials = provider;
    c.transport = transport;
    c.retry.max_attempts = max_attempts;
    c.retry.jitter = [] { return 0.5; };
    c.retry.sleeper = [this](milliseconds d) {
      std::lock_guard<std::mutex> lock(sleeps_mutex);
      sleeps.push_back(d);
    };
    c.clock = [this] { return now; };
    return c;
  }
};

ConverseRequest hello_request(std::string model_id = "anthropic.claude-3-haiku-20240307-v1:0") {
  auto parsed =
      parse_converse_request(R"({"messages":[{"role":"user","content":[{"text":"Hello"}]}]})");
  REQUIRE(parsed.ok());
  ConverseRequest request = std::move(parsed).value();
  request.model_id = std::move(model_id);
  return request;
}

const std::string* header(const http::Request& request, const char* name) {
  return http::find_header(request.headers, name);
}

}  // namespace

TEST_CASE("client: each attempt is signed anew and transient errors are retried",
          "[converse][client]") {
  Harness h;
  h.transport->push(error_reply(500, "InternalServerException"));
  h.transport->push(error_reply(429, "ThrottlingException"));
  h.transport->push(ok_reply());
  auto client = Client::create(h.config());
  REQUIRE(client.ok());
  auto response = client->converse(hello_request());
  REQUIRE(response.ok());
  CHECK(response->stop_reason == "end_turn");
  const auto requests = h.transport->requests();
  REQUIRE(requests.size() == 3);
  for (const auto& request : requests) {
    CHECK(request.url ==
          "https://bedrock-runtime.us-east-1.amazonaws.com/model/"
          "anthropic.claude-3-haiku-20240307-v1%3A0/converse");
    REQUIRE(header(request, "Authorization") != nullptr);
    CHECK_THAT(*header(request, "Authorization"),
               Catch::StartsWith(
                   "AWS4-HMAC-SHA256 Credential=AKID1/20260101/us-east-1/bedrock/aws4_request, "
                   "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature="));
    CHECK(*header(request, "Host") == "bedrock-runtime.us-east-1.amazonaws.com");
    CHECK(*header(request, "X-Amz-Security-Token") == "token-1");
    CHECK(*header(request, "Content-Type") == "application/json");
    CHECK(request.body == R"({"messages":[{"role":"user","content":[{"text":"Hello"}]}]})");
  }
  CHECK(h.provider->resolves == 3);
  REQUIRE(h.sleeps.size() == 2);
  CHECK(h.sleeps[0] == milliseconds(50));   // transient base 100 ms * 0.5
  CHECK(h.sleeps[1] == milliseconds(500));  // throttling base 500 ms * 2 * 0.5
}

TEST_CASE("client: a non-retryable error is returned at once with its request id",
          "[converse][client]") {
  Harness h;
  h.transport->push(error_reply(400, "ValidationException", "req-400"));
  auto client = Client::create(h.config());
  REQUIRE(client.ok());
  auto response = client->converse(hello_request());
  REQUIRE_FALSE(response.ok());
  const Error& error = response.error();
  CHECK(error.kind == ErrorKind::Service);
  CHECK(error.aws_type == "ValidationException");
  CHECK(error.http_status == 400);
  CHECK(error.request_id == "req-400");
  CHECK(error.message == "scripted ValidationException");
  CHECK_FALSE(error.retryable);
  CHECK(h.transport->requests().size() == 1);
  CHECK(h.sleeps.empty());
}

TEST_CASE("client: retries stop at max attempts", "[converse][client]") {
  Harness h;
  h.transport->set_default(error_reply(503, "ServiceUnavailableException"));
  auto client = Client::create(h.config(2));
  REQUIRE(client.ok());
  auto response = client->converse(hello_request());
  REQUIRE_FALSE(response.ok());
  CHECK(response.error().aws_type == "ServiceUnavailableException");
  CHECK(h.transport->requests().size() == 2);
  CHECK(h.sleeps.size() == 1);
}

TEST_CASE("client: the call timeout caps all attempts and their backoff", "[converse][client]") {
  Harness h;
  h.transport->set_default(error_reply(503, "ServiceUnavailableException"));
  Config config = h.config(5);
  config.call_timeout = milliseconds(1000);
  // Each backoff moves the injected clock on, as a real sleep would.
  config.retry.sleeper = [&h](milliseconds d) {
    std::lock_guard<std::mutex> lock(h.sleeps_mutex);
    h.sleeps.push_back(d);
    h.now += d;
  };
  config.retry.jitter = [] { return 0.99; };
  auto client = Client::create(config);
  REQUIRE(client.ok());
  auto response = client->converse(hello_request());
  REQUIRE_FALSE(response.ok());
  // Backoffs of 99, 198 and 396 ms fit in the second; the next (792 ms) would end past it, so the
  // fourth attempt's error is returned instead of a fifth attempt.
  CHECK(response.error().aws_type == "ServiceUnavailableException");
  const auto requests = h.transport->requests();
  REQUIRE(requests.size() == 4);
  CHECK(h.sleeps ==
        std::vector<milliseconds>{milliseconds(99), milliseconds(198), milliseconds(396)});
  // Every attempt's own deadline is cut to what is left of the call.
  REQUIRE(requests[0].timeouts.total.has_value());
  CHECK(*requests[0].timeouts.total == milliseconds(1000));
  CHECK(*requests[3].timeouts.total == milliseconds(1000 - 99 - 198 - 396));

  SECTION("no time left before an attempt is a Timeout error") {
    Config spent = h.config(3);
    spent.call_timeout = milliseconds(0);
    auto late = Client::create(spent);
    REQUIRE(late.ok());
    auto result = late->converse(hello_request());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Timeout);
    CHECK(result.error().message == "Converse: the call timeout of 0 ms passed before attempt 1");
  }
}

TEST_CASE("client: an expired token forces one credentials refresh", "[converse][client]") {
  Harness h;
  h.transport->push(error_reply(403, "ExpiredTokenException"));
  h.transport->push(ok_reply());
  auto client = Client::create(h.config());
  REQUIRE(client.ok());
  REQUIRE(client->converse(hello_request()).ok());
  const auto requests = h.transport->requests();
  REQUIRE(requests.size() == 2);
  CHECK_THAT(*header(requests[0], "Authorization"), Catch::Contains("Credential=AKID1/"));
  CHECK_THAT(*header(requests[1], "Authorization"), Catch::Contains("Credential=AKID2/"));
  CHECK(h.provider->refreshes == 1);
  CHECK(h.sleeps.empty());

  // Twice in a row: refreshed once, then the error is returned.
  h.transport->push(error_reply(403, "ExpiredTokenException"));
  h.transport->push(error_reply(403, "ExpiredTokenException"));
  auto again = client->converse(hello_request());
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().aws_type == "ExpiredTokenException");
  CHECK(h.provider->refreshes == 2);
}

TEST_CASE("client: a clock-skew error corrects the offset and retries once", "[converse][client]") {
  Harness h;
  Scripted skewed = error_reply(403, "InvalidSignatureException");
  skewed.headers.push_back({"Date", "Thu, 01 Jan 2026 01:00:00 GMT"});  // an hour ahead of h.now
  h.transport->push(skewed);
  h.transport->push(ok_reply());
  auto client = Client::create(h.config());
  REQUIRE(client.ok());
  REQUIRE(client->converse(hello_request()).ok());
  const auto requests = h.transport->requests();
  REQUIRE(requests.size() == 2);
  CHECK(*header(requests[0], "X-Amz-Date") == "20260101T000000Z");
  CHECK(*header(requests[1], "X-Amz-Date") == "20260101T010000Z");
  CHECK(h.sleeps.empty());

  // A signature error without any skew is not retried.
  h.transport->push(error_reply(403, "InvalidSignatureException"));
  auto bad = client->converse(hello_request());
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().aws_type == "InvalidSignatureException");
  CHECK(h.transport->requests().size() == 3);
}

TEST_CASE("client: bearer tokens replace SigV4", "[converse][client]") {
  Harness h;
  h.transport->push(ok_reply());
  Config config = h.config();
  config.bearer_token = Secret("bedrock-api-key-test");
  auto client = Client::create(config);
  REQUIRE(client.ok());
  REQUIRE(client->converse(hello_request()).ok());
  const auto requests = h.transport->requests();
  REQUIRE(requests.size() == 1);
  CHECK(*header(requests[0], "Authorization") == "Bearer bedrock-api-key-test");
  CHECK(header(requests[0], "X-Amz-Date") == nullptr);
  CHECK(h.provider->resolves == 0);
}

TEST_CASE("client: bad configuration and requests are refused before sending",
          "[converse][client]") {
  Harness h;
  Config no_region = h.config();
  no_region.region.clear();
  auto a = Client::create(no_region);
  REQUIRE_FALSE(a.ok());
  CHECK(a.error().kind == ErrorKind::NoRegion);

  Config no_credentials = h.config();
  no_credentials.credentials.reset();
  auto b = Client::create(no_credentials);
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().kind == ErrorKind::NoCredentials);

  Config bad_endpoint = h.config();
  bad_endpoint.endpoint = "example.com";
  auto c = Client::create(bad_endpoint);
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().kind == ErrorKind::Config);

  auto client = Client::create(h.config());
  REQUIRE(client.ok());
  auto no_model = client->converse(hello_request(""));
  REQUIRE_FALSE(no_model.ok());
  CHECK(no_model.error().kind == ErrorKind::Usage);
  CHECK(h.transport->requests().empty());
}

TEST_CASE("client: a response over the size cap is a Protocol error", "[converse][client]") {
  Harness h;
  h.transport->push(ok_reply());
  Config config = h.config();
  config.max_response_bytes = 16;
  auto client = Client::create(config);
  REQUIRE(client.ok());
  auto response = client->converse(hello_request());
  REQUIRE_FALSE(response.ok());
  CHECK(response.error().kind == ErrorKind::Protocol);
  CHECK_THAT(response.error().message, Catch::Contains("exceeds 16 bytes"));
  CHECK(response.error().request_id == "ok-id");
}

TEST_CASE("client concurrency: one client, many threads", "[converse][client][concurrency]") {
  Harness h;
  h.transport->set_default(ok_reply());
  auto client = Client::create(h.config());
  REQUIRE(client.ok());
  // Catch assertions are not thread-safe: build the request on this thread.
  const ConverseRequest request = hello_request();
  test::ThreadFailures failures;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (std::size_t i = 0; i < 25; ++i) {
        auto response = client->converse(request);
        if (!response.ok()) failures.add(t, i, response.error().to_string());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  INFO(failures.report());
  CHECK(failures.count() == 0);
  CHECK(h.transport->requests().size() == 200);
}

TEST_CASE("client: a malformed 200 body is a Protocol error that keeps the request id",
          "[converse][client]") {
  Harness h;
  h.transport->push(
      Scripted{200, {{"x-amzn-RequestId", "bad-body-id"}}, {"{not json"}, std::nullopt});
  auto client = Client::create(h.config());
  REQUIRE(client.ok());
  auto response = client->converse(hello_request());
  REQUIRE_FALSE(response.ok());
  CHECK(response.error().kind == ErrorKind::Protocol);
  CHECK(response.error().request_id == "bad-body-id");
  CHECK(h.transport->requests().size() == 1);
}

TEST_CASE("client: transport errors before any byte are retried, with the request re-signed",
          "[converse][client]") {
  Harness h;
  h.transport->push(
      Scripted{0, {}, {}, make_error(ErrorKind::Network, "connection refused", true)});
  h.transport->push(ok_reply());
  auto client = Client::create(h.config());
  REQUIRE(client.ok());
  REQUIRE(client->converse(hello_request()).ok());
  CHECK(h.transport->requests().size() == 2);
  CHECK(h.provider->resolves == 2);
  REQUIRE(h.sleeps.size() == 1);
  CHECK(h.sleeps[0] == milliseconds(50));
}

namespace {
std::string stream_message(const char* message_type, const char* name_header, const char* name,
                           const std::string& payload) {
  std::string out;
  const std::vector<eventstream::Header> headers = {
      {name_header, eventstream::HeaderValue::string(name)},
      {":content-type", eventstream::HeaderValue::string("application/json")},
      {":message-type", eventstream::HeaderValue::string(message_type)}};
  REQUIRE(eventstream::encode_message(headers, payload, out));
  return out;
}
}  // namespace

TEST_CASE("client: a retryable stream exception is retried only before the first event",
          "[converse][client]") {
  const std::string start =
      stream_message("event", ":event-type", "messageStart", R"({"role":"assistant"})");
  const std::string throttled = stream_message("exception", ":exception-type",
                                               "throttlingException", R"({"message":"slow down"})");
  const std::string delta = stream_message("event", ":event-type", "contentBlockDelta",
                                           R"({"contentBlockIndex":0,"delta":{"text":"Hi"}})");
  const std::string rest =
      stream_message("event", ":event-type", "contentBlockStop", R"({"contentBlockIndex":0})") +
      stream_message("event", ":event-type", "messageStop", R"({"stopReason":"end_turn"})") +
      stream_message(
          "event", ":event-type", "metadata",
          R"({"usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2},"metrics":{"latencyMs":1}})");
  const http::Headers head = {{"x-amzn-RequestId", "stream-id"},
                              {"Content-Type", "application/vnd.amazon.eventstream"}};
  Harness h;
  auto client = Client::create(h.config());
  REQUIRE(client.ok());

  SECTION("after an event: the exception ends the call, not retried") {
    h.transport->push(Scripted{200, head, {start, throttled}, std::nullopt});
    h.transport->push(Scripted{200, head, {start + delta + rest}, std::nullopt});
    int events = 0;
    auto response = client->converse_stream(hello_request(), [&](const StreamEvent&) {
      ++events;
      return StreamControl::Continue;
    });
    REQUIRE_FALSE(response.ok());
    CHECK(response.error().aws_type == "throttlingException");
    CHECK(response.error().message == "slow down");
    CHECK(response.error().request_id == "stream-id");
    CHECK_FALSE(response.error().retryable);
    CHECK(events == 1);
    CHECK(h.transport->requests().size() == 1);
    CHECK(h.sleeps.empty());
  }
  SECTION("before any event: retried like an HTTP 429, and the retry's events are delivered") {
    h.transport->push(Scripted{200, head, {throttled}, std::nullopt});
    h.transport->push(Scripted{200, head, {start, delta, rest}, std::nullopt});
    std::vector<std::string> types;
    auto response = client->converse_stream(hello_request(), [&](const StreamEvent& event) {
      types.push_back(event.event_type);
      return StreamControl::Continue;
    });
    REQUIRE(response.ok());
    CHECK(types == std::vector<std::string>{"messageStart", "contentBlockDelta", "contentBlockStop",
                                            "messageStop", "metadata"});
    CHECK(h.transport->requests().size() == 2);
    REQUIRE(h.sleeps.size() == 1);
    CHECK(h.sleeps[0] == milliseconds(250));  // throttling base 500 ms * 0.5
    REQUIRE(response->output.message);
    REQUIRE(response->output.message->content.size() == 1);
    CHECK(response->output.message->content[0].text == std::optional<std::string>("Hi"));
  }
}
