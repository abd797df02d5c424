// The libcurl transport against real loopback servers, header lookup and redaction.
#include <bedrock_lite/core.h>
#include <bedrock_lite/http.h>

#include "http_test_support.h"
#include "support/environment.h"
#include "support/loopback_server.h"
#include "support/thread_failures.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using bedrock_lite::ErrorKind;
using bedrock_lite::test::LoopbackServer;
namespace http = bedrock_lite::http;
using namespace bedrock_lite::http_test;

namespace {

// A port on 127.0.0.1 that refuses connections: bound, never listening.
struct RefusingPort {
  int fd = -1;
  int port = 0;
  RefusingPort() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    socklen_t length = sizeof address;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port = ntohs(address.sin_port);
  }
  ~RefusingPort() { ::close(fd); }
};

}  // namespace

TEST_CASE("curl transport: status, headers and body, request sent exactly as given") {
  std::mutex mutex;
  httplib::Headers seen_headers;
  std::string seen_body, seen_method, seen_target;
  LoopbackServer server([&](httplib::Server& s) {
    // httplib routes on the decoded path; `target` is the raw one.
    s.Post("/model/m:0/converse", [&](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex);
      seen_target = req.target;
      seen_headers = req.headers;
      seen_body = req.body;
      seen_method = req.method;
      res.status = 201;
      res.set_header("X-Amzn-RequestId", "req-1");
      res.set_content("hello, world", "application/json");
    });
  });
  auto transport = http::make_curl_transport();
  http::Request request;
  request.method = "POST";
  // %3A must reach the server as sent, not normalised to ':'.
  request.url = server.url() + "/model/m%3A0/converse";
  request.headers = {{"Content-Type", "application/json"}, {"X-Amz-Date", "20250101T000000Z"}};
  request.body = std::string("{\"a\":\"\0\xff\"}", 10);
  CollectSink sink;
  auto head = transport->send(request, sink);
  REQUIRE(head.ok());
  CHECK(head->status == 201);
  CHECK(sink.heads == 1);
  CHECK_FALSE(sink.body_before_head);
  CHECK(sink.head.status == 201);
  REQUIRE(http::find_header(head->headers, "x-amzn-requestid") != nullptr);
  CHECK(*http::find_header(head->headers, "x-amzn-requestid") == "req-1");
  CHECK(sink.body() == "hello, world");

  std::lock_guard<std::mutex> lock(mutex);
  CHECK(seen_method == "POST");
  CHECK(seen_target == "/model/m%3A0/converse");
  CHECK(seen_body == request.body);
  CHECK(seen_headers.count("Content-Length") == 1);
  CHECK(seen_headers.find("Content-Length")->second == "10");
  CHECK(seen_headers.count("Expect") == 0);
  CHECK(seen_headers.count("Accept") == 0);
  CHECK(seen_headers.count("Content-Type") == 1);
  CHECK(seen_headers.find("Content-Type")->second == "application/json");
  CHECK(seen_headers.find("X-Amz-Date")->second == "20250101T000000Z");
}

TEST_CASE("curl transport: methods and empty bodies") {
  std::mutex mutex;
  std::vector<std::string> seen;
  LoopbackServer server([&](httplib::Server& s) {
    auto record = [&](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex);
      seen.push_back(req.method + " " + req.get_header_value("Content-Length") + " " + req.body);
      res.set_content("ok", "text/plain");
    };
    s.Get("/x", record);
    s.Put("/x", record);
    s.Delete("/x", record);
  });
  auto transport = http::make_curl_transport();
  for (const char* method : {"GET", "PUT", "DELETE"}) {
    auto request = get(server.url() + "/x");
    request.method = method;
    auto response = http::fetch(*transport, request);
    REQUIRE(response.ok());
    CHECK(response->body == "ok");
  }
  auto put = get(server.url() + "/x");
  put.method = "PUT";
  put.body = "data";
  REQUIRE(http::fetch(*transport, put).ok());
  std::lock_guard<std::mutex> lock(mutex);
  CHECK(seen == std::vector<std::string>{"GET  ", "PUT 0 ", "DELETE  ", "PUT 4 data"});
}

TEST_CASE("curl transport: an interim 100 Continue head is skipped") {
  LoopbackServer server([&](httplib::Server& s) {
    s.Post("/upload", [&](const httplib::Request& req, httplib::Response& res) {
      res.set_content("got " + std::to_string(req.body.size()), "text/plain");
    });
  });
  auto transport = http::make_curl_transport();
  http::Request request;
  request.method = "POST";
  request.url = server.url() + "/upload";
  request.headers = {{"Expect", "100-continue"}};
  request.body = std::string(3000, 'x');
  CollectSink sink;
  auto head = transport->send(request, sink);
  REQUIRE(head.ok());
  CHECK(sink.heads == 1);
  CHECK(head->status == 200);
  CHECK(sink.body() == "got 3000");
}

TEST_CASE("curl transport: a chunked body is delivered piece by piece as it arrives") {
  // The server sends the next chunk only after the client has seen the previous one, so the
  // sink must receive each piece on its own, before the transfer ends.
  std::mutex mutex;
  std::condition_variable cv;
  int delivered = 0;
  struct SignallingSink : CollectSink {
    std::mutex* mutex;
    std::condition_variable* cv;
    int* delivered;
    bool on_body(std::string_view chunk) override {
      CollectSink::on_body(chunk);
      {
        std::lock_guard<std::mutex> lock(*mutex);
        ++*delivered;
      }
      cv->notify_all();
      return true;
    }
  };
  constexpr int kChunks = 5;
  bool in_lockstep = true;
  LoopbackServer server([&](httplib::Server& s) {
    s.Get("/stream", [&](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider(
          "application/vnd.amazon.eventstream", [&](size_t, httplib::DataSink& out) {
            for (int i = 0; i < kChunks; ++i) {
              std::string piece = "chunk" + std::to_string(i) + ";";
              out.write(piece.data(), piece.size());
              std::unique_lock<std::mutex> lock(mutex);
              if (!cv.wait_for(lock, 10s, [&] { return delivered > i; })) {
                in_lockstep = false;
              }
            }
            out.done();
            return true;
          });
    });
  });
  auto transport = http::make_curl_transport();
  SignallingSink sink;
  sink.mutex = &mutex;
  sink.cv = &cv;
  sink.delivered = &delivered;
  auto head = transport->send(get(server.url() + "/stream"), sink);
  REQUIRE(head.ok());
  CHECK(in_lockstep);
  CHECK(sink.heads == 1);
  CHECK(sink.chunks.size() == kChunks);
  CHECK(sink.body() == "chunk0;chunk1;chunk2;chunk3;chunk4;");
  REQUIRE(http::find_header(head->headers, "Transfer-Encoding") != nullptr);
}

TEST_CASE("curl transport: sequential requests reuse one keep-alive connection") {
  std::mutex mutex;
  std::set<int> client_ports;
  LoopbackServer server([&](httplib::Server& s) {
    s.Get("/ping", [&](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex);
      client_ports.insert(req.remote_port);
      res.set_content("pong", "text/plain");
    });
  });
  auto transport = http::make_curl_transport();
  for (int i = 0; i < 10; ++i) {
    auto response = http::fetch(*transport, get(server.url() + "/ping"));
    REQUIRE(response.ok());
    CHECK(response->body == "pong");
  }
  std::lock_guard<std::mutex> lock(mutex);
  CHECK(client_ports.size() == 1);
}

TEST_CASE("curl transport: stall timeout") {
  SECTION("headers then silence") {
    std::atomic<LoopbackServer*> self{nullptr};  // read on the server's threads
    LoopbackServer server([&](httplib::Server& s) {
      s.Get("/hang", [&](const httplib::Request&, httplib::Response& res) {
        res.set_chunked_content_provider("text/plain", [&](size_t, httplib::DataSink& out) {
          out.write("x", 1);  // one byte, then nothing
          self.load()->wait_until_stopping();
          return false;
        });
      });
    });
    self = &server;
    auto transport = http::make_curl_transport();
    auto request = get(server.url() + "/hang");
    request.timeouts.stall = 300ms;
    CollectSink sink;
    auto head = transport->send(request, sink);
    REQUIRE_FALSE(head.ok());
    CHECK(head.error().kind == ErrorKind::Timeout);
    CHECK_FALSE(head.error().retryable);  // part of the response was delivered
    CHECK(head.error().message == "GET 127.0.0.1:" + std::to_string(server.port()) +
                                      ": no byte received for 300 ms (stall timeout)");
    CHECK(sink.heads == 1);
    CHECK(sink.body() == "x");
  }
  SECTION("status and headers, then not a single body byte") {
    std::atomic<LoopbackServer*> self{nullptr};  // read on the server's threads
    LoopbackServer server([&](httplib::Server& s) {
      s.Get("/hang", [&](const httplib::Request&, httplib::Response& res) {
        res.set_chunked_content_provider("application/vnd.amazon.eventstream",
                                         [&](size_t, httplib::DataSink&) {
                                           self.load()->wait_until_stopping();
                                           return false;
                                         });
      });
    });
    self = &server;
    auto transport = http::make_curl_transport();
    auto request = get(server.url() + "/hang");
    request.timeouts.stall = 250ms;
    CollectSink sink;
    auto head = transport->send(request, sink);
    REQUIRE_FALSE(head.ok());
    CHECK(head.error().kind == ErrorKind::Timeout);
    CHECK(head.error().message.find("no byte received for 250 ms (stall timeout)") !=
          std::string::npos);
    CHECK_FALSE(head.error().retryable);  // the head arrived
    CHECK(sink.heads == 1);
    CHECK(sink.head.status == 200);
    CHECK(sink.chunks.empty());
  }
  SECTION("no response at all is retryable") {
    std::atomic<LoopbackServer*> self{nullptr};  // read on the server's threads
    LoopbackServer server([&](httplib::Server& s) {
      s.Get("/hang", [&](const httplib::Request&, httplib::Response&) {
        self.load()->wait_until_stopping();
      });
    });
    self = &server;
    auto transport = http::make_curl_transport();
    auto request = get(server.url() + "/hang");
    request.timeouts.stall = 200ms;
    CollectSink sink;
    auto head = transport->send(request, sink);
    REQUIRE_FALSE(head.ok());
    CHECK(head.error().kind == ErrorKind::Timeout);
    CHECK(head.error().retryable);
    CHECK(sink.heads == 0);
  }
}

TEST_CASE("curl transport: a slow but steady body outlasts the stall limit") {
  std::atomic<LoopbackServer*> self{nullptr};  // read on the server's threads
  constexpr int kBytes = 8;                    // 8 x 100 ms: twice the stall limit in total
  LoopbackServer server([&](httplib::Server& s) {
    s.Get("/slow", [&](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/plain", [&](size_t, httplib::DataSink& out) {
        for (int i = 0; i < kBytes; ++i) {
          if (self.load()->wait_until_stopping_for(100ms)) return false;
          out.write("b", 1);
        }
        out.done();
        return true;
      });
    });
  });
  self = &server;
  auto transport = http::make_curl_transport();
  auto request = get(server.url() + "/slow");
  request.timeouts.stall = 400ms;
  CollectSink sink;
  auto head = transport->send(request, sink);
  REQUIRE(head.ok());
  CHECK(sink.body() == std::string(kBytes, 'b'));
}

TEST_CASE("curl transport: total deadline ends a body that never stalls") {
  std::atomic<LoopbackServer*> self{nullptr};  // read on the server's threads
  LoopbackServer server([&](httplib::Server& s) {
    s.Get("/endless", [&](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/plain", [&](size_t, httplib::DataSink& out) {
        while (!self.load()->wait_until_stopping_for(50ms)) {
          if (!out.write("b", 1)) return false;
        }
        return false;
      });
    });
  });
  self = &server;
  auto transport = http::make_curl_transport();
  auto request = get(server.url() + "/endless");
  request.timeouts.stall = 10s;
  request.timeouts.total = 300ms;
  CollectSink sink;
  auto head = transport->send(request, sink);
  REQUIRE_FALSE(head.ok());
  CHECK(head.error().kind == ErrorKind::Timeout);
  CHECK(head.error().message.find("total deadline of 300 ms passed") != std::string::npos);
  CHECK_FALSE(head.error().retryable);
}

TEST_CASE("curl transport: connection refused is a retryable Network error naming the host") {
  RefusingPort refusing;
  auto transport = http::make_curl_transport();
  auto request = get("http://127.0.0.1:" + std::to_string(refusing.port) + "/x");
  request.headers = {{"Authorization", "AWS4-HMAC-SHA256 Credential=SECRETVALUE"}};
  CollectSink sink;
  auto head = transport->send(request, sink);
  REQUIRE_FALSE(head.ok());
  CHECK(head.error().kind == ErrorKind::Network);
  CHECK(head.error().retryable);
  const std::string& message = head.error().message;
  CHECK(message.rfind("GET 127.0.0.1:" + std::to_string(refusing.port) + ": ", 0) == 0);
  CHECK(message.find("connect") != std::string::npos);
  CHECK(message.find("SECRETVALUE") == std::string::npos);
  CHECK(message.find('\n') == std::string::npos);
}

TEST_CASE("curl transport: a sink returning false cancels") {
  LoopbackServer server([&](httplib::Server& s) {
    s.Get("/big", [&](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(1 << 20, 'z'), "application/octet-stream");
    });
  });
  auto transport = http::make_curl_transport();
  SECTION("from on_body") {
    CollectSink sink;
    sink.cancel_after_bytes = 1;
    auto head = transport->send(get(server.url() + "/big"), sink);
    REQUIRE_FALSE(head.ok());
    CHECK(head.error().kind == ErrorKind::Cancelled);
    CHECK_FALSE(head.error().retryable);
    CHECK(sink.chunks.size() == 1);
  }
  SECTION("from on_head") {
    CollectSink sink;
    sink.cancel_on_head = true;
    auto head = transport->send(get(server.url() + "/big"), sink);
    REQUIRE_FALSE(head.ok());
    CHECK(head.error().kind == ErrorKind::Cancelled);
    CHECK(sink.chunks.empty());
  }
  // The transport stays usable after a cancelled call.
  auto again = http::fetch(*transport, get(server.url() + "/big"));
  REQUIRE(again.ok());
  CHECK(again->body.size() == std::size_t{1} << 20);
}

TEST_CASE("fetch: buffers the body within the size cap") {
  LoopbackServer server([&](httplib::Server& s) {
    s.Get("/thousand", [&](const httplib::Request&, httplib::Response& res) {
      res.status = 404;
      res.set_content(std::string(1000, 'k'), "text/plain");
    });
  });
  auto transport = http::make_curl_transport();
  auto fits = http::fetch(*transport, get(server.url() + "/thousand"), 1000);
  REQUIRE(fits.ok());
  CHECK(fits->status == 404);  // an HTTP error status is a response, not a transport error
  CHECK(fits->body == std::string(1000, 'k'));
  auto too_big = http::fetch(*transport, get(server.url() + "/thousand"), 999);
  REQUIRE_FALSE(too_big.ok());
  CHECK(too_big.error().kind == ErrorKind::Protocol);
  CHECK(too_big.error().message ==
        "response body from 127.0.0.1:" + std::to_string(server.port()) + " exceeds 999 bytes");
}

TEST_CASE("curl transport concurrency: 8 threads share one transport") {
  LoopbackServer server([&](httplib::Server& s) {
    s.Post("/echo", [&](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.body, "text/plain");
    });
  });
  auto transport = http::make_curl_transport(http::CurlOptions{{}, {}, {}, 16, {}});
  constexpr int kThreads = 8, kCalls = 25;
  bedrock_lite::test::ThreadFailures failures;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        const auto call = static_cast<std::size_t>(i);
        http::Request request;
        request.method = "POST";
        request.url = server.url() + "/echo";
        request.body = "thread " + std::to_string(t) + " call " + std::to_string(i);
        auto response = http::fetch(*transport, request);
        if (!response.ok())
          failures.add(t, call, response.error().to_string());
        else if (response->status != 200)
          failures.add(t, call, "status " + std::to_string(response->status));
        else if (response->body != request.body)
          failures.add(t, call, "echoed \"" + response->body + "\"");
      }
    });
  }
  for (auto& thread : threads) thread.join();
  INFO(failures.report());
  CHECK(failures.count() == 0);
}

TEST_CASE("find_header is case-insensitive and returns the first match") {
  http::Headers headers = {{"Content-Type", "a"}, {"x-amzn-RequestId", "b"}, {"content-type", "c"}};
  REQUIRE(http::find_header(headers, "CONTENT-TYPE") != nullptr);
  CHECK(*http::find_header(headers, "CONTENT-TYPE") == "a");
  CHECK(*http::find_header(headers, "X-Amzn-Requestid") == "b");
  CHECK(http::find_header(headers, "content-typ") == nullptr);
  CHECK(http::find_header({}, "a") == nullptr);
}

TEST_CASE("redact_header_value masks secrets and shows the rest") {
  const std::string mask = bedrock_lite::Secret::kMask;
  struct Case {
    const char* name;
    const char* value;
    bool secret;
  };
  const Case cases[] = {
      {"Authorization",
       "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/bedrock/aws4_request, "
       "SignedHeaders=host, Signature=abc",
       true},
      {"authorization", "Bearer ABSK-key", true},
      {"X-Amz-Security-Token", "FwoGZXIvYXdzE", true},
      {"x-amz-security-token", "token", true},
      {"Cookie", "session=1", true},
      {"Set-Cookie", "session=1; HttpOnly", true},
      {"Proxy-Authorization", "Basic dXNlcjpwYXNz", true},
      {"X-aws-ec2-metadata-token", "AQAEA", true},
      {"X-Custom-Token", "t", true},
      {"X-Forwarded-Auth", "bearer abc", true},
      {"x-amz-sso_bearer_token", "aoaAAAAAGW-sso-access-token", true},
      {"DPoP", "eyJ0eXAiOiJkcG9wK2p3dCJ9.eyJodG0iOiJQT1NUIn0.c2ln", true},
      {"X-Amz-Content-Sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       false},
      {"X-Amz-Date", "20250101T000000Z", false},
      {"Content-Type", "application/json", false},
      {"x-aws-ec2-metadata-token-ttl-seconds", "21600", false},
      {"amz-sdk-invocation-id", "1234", false},
  };
  for (const auto& c : cases) {
    INFO(c.name << ": " << c.value);
    CHECK(http::redact_header_value(c.name, c.value) == (c.secret ? mask : std::string(c.value)));
  }
}
