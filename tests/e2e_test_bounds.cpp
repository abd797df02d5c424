// Resource bounds wherever a peer controls a size (docs/reliability.md, "Bounds"): each bound is
// met by an input exactly at it (accepted) and one just over it (refused with a one-line error
// that names the bound), never by a crash or an unbounded allocation.
#include <bedrock_lite/converse.h>
#include <bedrock_lite/replay.h>

#include "e2e_test_support.h"
#include "support/environment.h"
#include "support/fake_bedrock.h"
#include "support/fixtures.h"
#include "support/loopback_server.h"

#include <catch2/catch.hpp>

#include <map>
#include <string>

using namespace bedrock_lite;
using namespace bedrock_lite::converse;

namespace {

// `depth` nested arrays: depth 1 is "[]".
std::string nested(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

// A Converse response whose `trace` document is `depth` arrays deep: the whole body is then
// depth + 1 levels (the top-level object).
std::string response_with_trace(std::size_t depth) {
  return R"({"output":{"message":{"role":"assistant","content":[{"text":"x"}]}},"stopReason":"end_turn","trace":)" +
         nested(depth) + "}";
}

// Answers every request with one fixed reply.
class FixedTransport final : public http::Transport {
 public:
  explicit FixedTransport(std::string body, int status = 200)
      : body_(std::move(body)), status_(status) {}
  Result<http::ResponseHead> send(const http::Request&, http::BodySink& sink) override {
    http::ResponseHead head;
    head.status = status_;
    head.headers.push_back({"x-amzn-RequestId", "bounds-1"});
    if (!sink.on_head(head)) return make_error(ErrorKind::Cancelled, "cancelled");
    if (!body_.empty() && !sink.on_body(body_))
      return make_error(ErrorKind::Cancelled, "cancelled");
    return head;
  }

 private:
  std::string body_;
  int status_;
};

}  // namespace

TEST_CASE("bounds: JSON nesting is limited to 128 levels in every model parser", "[e2e][bounds]") {
  // At the limit: 128 levels in all (the object plus 127 arrays).
  auto at = parse_converse_response(response_with_trace(127));
  REQUIRE(at.ok());
  CHECK(at->trace->size() == 254);
  auto over = parse_converse_response(response_with_trace(128));
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().kind == ErrorKind::Protocol);
  CHECK(over.error().message ==
        "Converse response body: /: JSON nested deeper than 128 levels at offset " +
            std::to_string(response_with_trace(128).find("\"trace\":") + 8 + 127));

  // A request body (a user's file) is a Usage error.
  const std::string request_prefix = R"({"messages":[],"additionalModelRequestFields":)";
  CHECK(parse_converse_request(request_prefix + nested(127) + "}").ok());
  auto request = parse_converse_request(request_prefix + nested(128) + "}");
  REQUIRE_FALSE(request.ok());
  CHECK(request.error().kind == ErrorKind::Usage);
  CHECK_THAT(request.error().message, Catch::Contains("nested deeper than 128 levels"));

  // A stream event: the event names itself and its index.
  const std::string stop_prefix = R"({"stopReason":"end_turn","additionalModelResponseFields":)";
  CHECK(parse_stream_event("messageStop", stop_prefix + nested(127) + "}", 4).ok());
  auto event = parse_stream_event("messageStop", stop_prefix + nested(128) + "}", 4);
  REQUIRE_FALSE(event.ok());
  CHECK_THAT(
      event.error().message,
      Catch::StartsWith("malformed messageStop event (message 4): /: JSON nested deeper than 128"));

  // Tool input assembled from deltas is parsed at contentBlockStop.
  for (std::size_t depth : {std::size_t{128}, std::size_t{129}}) {
    StreamAccumulator accumulator;
    std::string escaped;
    for (char c : nested(depth)) escaped += c;
    const std::vector<std::pair<const char*, std::string>> events = {
        {"messageStart", R"({"role":"assistant"})"},
        {"contentBlockStart",
         R"({"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"t","name":"n"}}})"},
        {"contentBlockDelta",
         R"({"contentBlockIndex":0,"delta":{"toolUse":{"input":")" + escaped + R"("}}})"},
    };
    for (const auto& [type, payload] : events) {
      auto parsed = parse_stream_event(type, payload);
      REQUIRE(parsed.ok());
      REQUIRE(accumulator.add(*parsed).ok());
    }
    auto stop = parse_stream_event("contentBlockStop", R"({"contentBlockIndex":0})");
    REQUIRE(stop.ok());
    auto added = accumulator.add(*stop);
    INFO("depth " << depth);
    CHECK(added.ok() == (depth == 128));
    if (!added.ok()) {
      CHECK_THAT(added.error().message,
                 Catch::EndsWith("toolUse input of block 0 (toolUseId t) is not valid JSON: JSON "
                                 "nested deeper than 128 levels at offset 128"));
    }
  }
}

TEST_CASE("bounds: an error body nested too deep is reported as a snippet, not parsed",
          "[e2e][bounds]") {
  const std::string at = R"({"message":"deep","x":)" + nested(127) + "}";
  const Error parsed = http_error(400, {}, at);
  CHECK(parsed.message == "deep");
  const std::string over = R"({"message":"deep","x":)" + nested(128) + "}";
  const Error snippet = http_error(400, {}, over);
  CHECK_THAT(snippet.message,
             Catch::StartsWith("HTTP 400 with a non-JSON body: {\"message\":\"deep\""));
  CHECK(snippet.message.size() < 260);
  const Error exception = stream_exception_error("throttlingException", over);
  CHECK_THAT(exception.message, Catch::StartsWith("exception payload is not JSON: "));
}

TEST_CASE("bounds: an error type is one line of at most 200 bytes", "[e2e][bounds]") {
  const Error broken = http_error(400, {}, R"({"code":"Bad\nCode","message":"m"})");
  CHECK(broken.aws_type == "Bad Code");
  const Error huge =
      http_error(400, {}, R"({"code":")" + std::string(5000, 'A') + R"(","message":"m"})");
  CHECK(huge.aws_type.size() == 200 + 3);  // 200 bytes, then "..."
}

TEST_CASE("bounds: fixture files nested deeper than 128 levels are a Config error",
          "[e2e][bounds]") {
  test::TempDir dir;
  dir.write("ok/request.json", R"({"method":"POST","uri":"/m","body":)" + nested(127) + "}");
  dir.write("ok/response.json", R"({"status":200})");
  dir.write("ok/response.body", "{}");
  auto ok = replay::load_interaction((dir.path() / "ok").string());
  REQUIRE(ok.ok());
  CHECK(ok->request_body == nested(127));
  dir.write("deep/request.json", R"({"method":"POST","uri":"/m","body":)" + nested(128) + "}");
  dir.write("deep/response.json", R"({"status":200})");
  dir.write("deep/response.body", "{}");
  auto deep = replay::load_interaction((dir.path() / "deep").string());
  REQUIRE_FALSE(deep.ok());
  CHECK(deep.error().kind == ErrorKind::Config);
  CHECK(deep.error().message == (dir.path() / "deep/request.json").string() +
                                    ": JSON nested deeper than 128 levels at offset 162");
}

TEST_CASE("bounds: credential documents: 64 KiB and 32 levels", "[e2e][bounds]") {
  auto resolve = [](std::string body) {
    credentials::ProviderContext context;
    context.environment = credentials::Environment(std::map<std::string, std::string>{
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1/credentials"}});
    context.transport = std::make_shared<FixedTransport>(std::move(body));
    context.sleeper = [](std::chrono::milliseconds) {};
    context.metadata.container_attempts = 1;
    return credentials::make_container_provider(context)->resolve();
  };
  const std::string document =
      R"({"AccessKeyId":"AKID","SecretAccessKey":"s","Token":"t","Expiration":"2099-01-01T00:00:00Z","X":)";
  // Size: padding up to exactly 64 KiB is read; one byte more is refused before parsing.
  const std::size_t limit = std::size_t{64} << 10;
  const std::string small = document + "1}";
  const std::string at_limit = small + std::string(limit - small.size(), ' ');
  REQUIRE(at_limit.size() == limit);
  CHECK(resolve(at_limit).ok());
  auto too_big = resolve(at_limit + " ");
  REQUIRE_FALSE(too_big.ok());
  CHECK(too_big.error().message ==
        "container endpoint http://127.0.0.1/credentials: response body larger than 65536 bytes");
  // Depth: 32 levels in all pass, 33 do not.
  CHECK(resolve(document + nested(31) + "}").ok());
  auto deep = resolve(document + nested(32) + "}");
  REQUIRE_FALSE(deep.ok());
  CHECK(deep.error().kind == ErrorKind::Protocol);
  CHECK_THAT(deep.error().message, Catch::Contains("nested deeper than 32 levels"));
}

TEST_CASE("bounds: non-streaming response size cap (Config::max_response_bytes), over libcurl",
          "[e2e][bounds]") {
  test::FakeBedrock server;
  const std::string body = test::read_file(
      test::fixture_path("recorded/bedrock-recorded/test_bedrock_model/00/response.body"));
  for (std::size_t cap : {body.size(), body.size() - 1}) {
    Config config;
    config.region = "us-east-1";
    config.endpoint = server.url();
    config.credentials = e2e_test::fake_credentials();
    config.transport = http::make_curl_transport();
    config.max_response_bytes = cap;
    auto client = Client::create(config);
    REQUIRE(client.ok());
    ConverseRequest request;
    request.model_id = "m";
    ContentBlock text;
    text.text = "hi";
    request.messages = {{"user", {text}, {}}};
    auto response = client->converse(request);
    INFO("cap " << cap << " body " << body.size());
    CHECK(response.ok() == (cap == body.size()));
    if (!response.ok()) {
      CHECK(response.error().kind == ErrorKind::Protocol);
      CHECK_THAT(response.error().message,
                 Catch::Contains("exceeds " + std::to_string(cap) + " bytes"));
    }
  }
}

TEST_CASE("bounds: http::fetch caps the body it buffers", "[e2e][bounds]") {
  FixedTransport transport(std::string(1000, 'x'));
  http::Request request;
  request.method = "GET";
  request.url = "http://127.0.0.1/x";
  CHECK(http::fetch(transport, request, 1000).ok());
  auto over = http::fetch(transport, request, 999);
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().kind == ErrorKind::Protocol);
}

TEST_CASE("bounds: response headers are capped by libcurl, not accumulated without end",
          "[e2e][bounds]") {
  // libcurl (7.88) refuses a response head over 300 KiB in total (CURLE_TOO_LARGE /
  // "Too large response headers"); the transport stores each header it is given, so the number
  // of headers is bounded by that. 100 KiB of headers pass, 400 KiB do not.
  for (std::size_t count : {std::size_t{2000}, std::size_t{8000}}) {
    test::LoopbackServer server([count](httplib::Server& s) {
      s.Get("/many", [count](const httplib::Request&, httplib::Response& res) {
        for (std::size_t i = 0; i < count; ++i) {
          res.set_header("x-h" + std::to_string(i), std::string(40, 'v'));
        }
        res.set_content("ok", "text/plain");
      });
    });
    auto transport = http::make_curl_transport();
    http::Request request;
    request.method = "GET";
    request.url = server.url() + "/many";
    auto response = http::fetch(*transport, request);
    INFO(count << " headers: " << (response.ok() ? "ok" : response.error().to_string()));
    if (count == 2000) {
      REQUIRE(response.ok());
      CHECK(response->headers.size() >= 2000);
    } else {
      REQUIRE_FALSE(response.ok());
      CHECK(response.error().kind != ErrorKind::Cancelled);
    }
  }
}

TEST_CASE("bounds: shared config files are read up to 1 MiB", "[e2e][bounds]") {
  test::TempDir home;
  const std::string head = "[default]\nregion = us-east-1\n";
  const std::size_t limit = credentials::SharedConfig::kMaxFileBytes;
  home.write(".aws/config", head + std::string(limit - head.size() - 1, '#') + "\n");
  credentials::Environment env(std::map<std::string, std::string>{{"HOME", home.path().string()}});
  auto at = credentials::SharedConfig::load(env);
  REQUIRE(at.ok());
  CHECK(at->get("default", "region")->value == "us-east-1");
  home.write(".aws/config", head + std::string(limit - head.size(), '#') + "\n");
  auto over = credentials::SharedConfig::load(env);
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().kind == ErrorKind::Config);
  CHECK_THAT(over.error().message, Catch::EndsWith("larger than 1048576 bytes"));
}

TEST_CASE("bounds: credential_process stdout is read up to its cap", "[e2e][bounds]") {
  credentials::ProcessSettings settings;
  settings.max_stdout_bytes = 1000;
  const credentials::Environment env(std::map<std::string, std::string>{{"PATH", "/usr/bin:/bin"}});
  // Exactly at the cap: read whole (and then rejected as not JSON); one byte more: refused.
  auto at = credentials::run_credential_process("head -c 1000 /dev/zero", "p", env, settings);
  REQUIRE_FALSE(at.ok());
  CHECK_THAT(at.error().message, Catch::Contains("not JSON"));
  auto over = credentials::run_credential_process("head -c 1001 /dev/zero", "p", env, settings);
  REQUIRE_FALSE(over.ok());
  CHECK_THAT(over.error().message, Catch::Contains("more than 1000 bytes on stdout"));
}

TEST_CASE("bounds: timestamps a time_point cannot hold are refused, not overflowed",
          "[e2e][bounds]") {
  // system_clock counts nanoseconds in 64 bits: ~1678 to ~2262; a year of margin is kept.
  CHECK(credentials::parse_iso8601("2261-01-01T00:00:00Z").has_value());
  CHECK(credentials::parse_iso8601("1700-01-01T00:00:00Z").has_value());
  CHECK_FALSE(credentials::parse_iso8601("2263-01-01T00:00:00Z").has_value());
  CHECK_FALSE(credentials::parse_iso8601("4052-01-01T00:00:00Z").has_value());
  CHECK_FALSE(credentials::parse_iso8601("1600-01-01T00:00:00Z").has_value());
  CHECK_FALSE(credentials::parse_iso8601("9999-12-31T23:59:59+23:59").has_value());
}

TEST_CASE("fuzz regression: a repeated member name is matched by its last occurrence",
          "[e2e][fuzz-regression]") {
  // fixtures/regressions/fixture_loader/repeated_member_name: a recorded body with "system"
  // twice did not match itself (the first occurrence was compared against the first).
  test::TempDir dir;
  dir.write(
      "i/request.json",
      R"({"method":"POST","uri":"/model/m/converse","body":{"system":[{"text":"first"}],"messages":[],"system":[{"text":"second"}]}})");
  dir.write("i/response.json", R"({"status":200})");
  dir.write("i/response.body", "{}");
  auto replay = replay::ReplayTransport::open(dir.path().string());
  REQUIRE(replay.ok());
  const auto& recorded = (*replay)->fixtures().interactions.at(0);
  CHECK((*replay)->match("POST", "/model/m/converse", recorded.request_body).ok());
  // What a JSON reader keeps (the last one) decides.
  CHECK((*replay)
            ->match("POST", "/model/m/converse", R"({"messages":[],"system":[{"text":"second"}]})")
            .ok());
  auto first = (*replay)->match("POST", "/model/m/converse",
                                R"({"messages":[],"system":[{"text":"first"}]})");
  REQUIRE_FALSE(first.ok());
  CHECK_THAT(first.error().message,
             Catch::EndsWith("body differs at /system/0/text (string differs)"));
}

TEST_CASE("fuzz regression: a zero with an exponent or many decimals reads as 0.0",
          "[e2e][fuzz-regression]") {
  // fixtures/regressions/fixture_loader/zero_with_negative_exponent: RapidJSON 1.1's full-precision
  // strtod normalises a zero significand with clz(0) and read "0e-95" as 1.3e36; numbers are now
  // read from their text by the library (docs/json.md).
  for (const char* number : {"0e-95", "0.00000e-300", "-0e-95", "0E+5",
                             "0.0000000000000000000000000", "0e-95666", "1e-400"}) {
    const std::string body =
        std::string(R"({"messages":[],"inferenceConfig":{"temperature":)") + number + "}}";
    auto request = parse_converse_request(body);
    INFO(number);
    REQUIRE(request.ok());
    REQUIRE(request->inference_config);
    CHECK(request->inference_config->temperature == 0.0);
    // A raw document member keeps the number's text exactly (issue 17).
    auto response = parse_converse_response(
        std::string(R"({"output":{},"stopReason":"end_turn","trace":[)") + number + "]}");
    REQUIRE(response.ok());
    CHECK(*response->trace == std::string("[") + number + "]");
  }
  auto kept = parse_converse_response(
      R"({"output":{},"stopReason":"end_turn","trace":[1e-5,"0e-95",0.5,0,-0,100]})");
  REQUIRE(kept.ok());
  CHECK(*kept->trace == R"([1e-5,"0e-95",0.5,0,-0,100])");
}
