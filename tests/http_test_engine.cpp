// The engine under send(): a call must end as soon as its outcome is known, whatever turn of the
// loop produced it, and a pooled engine's idle time must not count against its next call.
// These are the fault soak's hang (tests/e2e_test_soak.cpp with BEDROCK_LITE_SOAK_SEED=3304352296
// crawled at a second per call) taken apart into the cases that caused it.
#include <bedrock_lite/core.h>
#include <bedrock_lite/http.h>

#include "http_test_support.h"
#include "support/loopback_server.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

using namespace std::chrono_literals;
using bedrock_lite::ErrorKind;
using bedrock_lite::test::LoopbackServer;
namespace http = bedrock_lite::http;
using namespace bedrock_lite::http_test;
using Clock = std::chrono::steady_clock;

namespace {

// A server answering GET /hello at once, on kept-alive connections.
LoopbackServer hello_server(std::atomic<int>& served) {
  return LoopbackServer([&served](httplib::Server& s) {
    s.Get("/hello", [&served](const httplib::Request&, httplib::Response& res) {
      ++served;
      res.set_content("hi", "text/plain");
    });
  });
}

}  // namespace

TEST_CASE("engine: poll() does not wait once what was due has run") {
  auto engine = http::Engine::create();
  REQUIRE(engine.ok());
  bool ran = false;
  (*engine)->add_timer(0ms, [&ran] { ran = true; });
  const auto started = Clock::now();
  (*engine)->poll(5s);
  const auto took = Clock::now() - started;
  CHECK(ran);
  // The timer was the only thing to do: poll() returns with it, not after the 5 s timeout.
  CHECK(took < 1s);
}

TEST_CASE("engine: poll() does not wait once posted work has run") {
  auto engine = http::Engine::create();
  REQUIRE(engine.ok());
  bool ran = false;
  (*engine)->post([&ran] { ran = true; });
  const auto started = Clock::now();
  (*engine)->poll(5s);
  CHECK(ran);
  CHECK(Clock::now() - started < 1s);
}

TEST_CASE("curl transport: a request refused before any I/O returns at once") {
  auto transport = http::make_curl_transport();
  http::Request request = get("http://127.0.0.1:9/hello");
  request.headers.push_back({"X-Bad", "one\r\nX-Injected: two"});
  CollectSink sink;
  const auto started = Clock::now();
  auto result = transport->send(request, sink);
  const auto took = Clock::now() - started;
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == ErrorKind::Usage);
  // The error completes on the engine's first turn; send() used to poll on for a whole second.
  CHECK(took < 500ms);
}

TEST_CASE("curl transport: calls on a kept-alive connection return as soon as they end") {
  std::atomic<int> served{0};
  LoopbackServer server = hello_server(served);
  auto transport = http::make_curl_transport();
  // The same pooled engine and connection each time: on loopback the whole exchange often fits
  // in libcurl's first timeout action of the call, before the engine waits for any socket.
  int slow = 0;
  for (int i = 0; i < 40; ++i) {
    CollectSink sink;
    const auto started = Clock::now();
    auto result = transport->send(get(server.url() + "/hello"), sink);
    const auto took = Clock::now() - started;
    REQUIRE(result.ok());
    CHECK(sink.body() == "hi");
    if (took >= 900ms) ++slow;
  }
  CHECK(served.load() == 40);
  CHECK(slow == 0);
}

TEST_CASE(
    "curl transport: an engine idle longer than the stall limit starts the next call afresh") {
  std::atomic<int> served{0};
  LoopbackServer server = hello_server(served);
  auto transport = http::make_curl_transport();
  http::Request request = get(server.url() + "/hello");
  request.timeouts.stall = 200ms;
  {
    CollectSink sink;
    REQUIRE(transport->send(request, sink).ok());
  }
  // The pooled engine's clock reading is from the first call's last turn.
  std::this_thread::sleep_for(400ms);
  CollectSink sink;
  auto result = transport->send(request, sink);
  INFO((result.ok() ? std::string("ok") : result.error().to_string()));
  REQUIRE(result.ok());
  CHECK(sink.body() == "hi");
  CHECK(served.load() == 2);
}
