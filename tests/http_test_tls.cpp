// The libcurl transport over TLS (a self-signed loopback certificate as the CA bundle), through
// proxies, on a connection closed mid-body, and refusing what it must not send.
#include <bedrock_lite/core.h>
#include <bedrock_lite/http.h>

#include "http_test_support.h"
#include "support/environment.h"
#include "support/loopback_certificate.h"
#include "support/loopback_server.h"

#include <catch2/catch.hpp>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using bedrock_lite::ErrorKind;
using bedrock_lite::test::kTestCertificate;
using bedrock_lite::test::kTestPrivateKey;
using bedrock_lite::test::LoopbackServer;
namespace http = bedrock_lite::http;
using namespace bedrock_lite::http_test;

namespace {

// A scoped TLS loopback server answering GET /hello.
struct TlsServer {
  bedrock_lite::test::TempDir dir;
  std::string certificate_path = dir.write("cert.pem", kTestCertificate).string();
  std::string key_path = dir.write("key.pem", kTestPrivateKey).string();
  httplib::SSLServer server{certificate_path.c_str(), key_path.c_str()};
  int port = 0;
  std::thread thread;

  TlsServer() {
    REQUIRE(server.is_valid());
    server.Get("/hello", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("hello over tls", "text/plain");
    });
    // A slow answer, for calls that must run side by side.
    server.Get("/slow", [](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      res.set_content("slow over tls", "text/plain");
    });
    // stop() is a no-op until the server runs; httplib makes its task queue once it does.
    server.new_task_queue = [this] {
      {
        std::lock_guard<std::mutex> lock(mutex);
        started = true;
      }
      cv.notify_all();
      return new httplib::ThreadPool(4);
    };
    port = server.bind_to_any_port("127.0.0.1");
    REQUIRE(port > 0);
    thread = std::thread([this] { server.listen_after_bind(); });
  }
  ~TlsServer() {
    {
      std::unique_lock<std::mutex> lock(mutex);
      cv.wait(lock, [this] { return started; });
    }
    server.stop();
    thread.join();
  }
  std::mutex mutex;
  std::condition_variable cv;
  bool started = false;
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port); }
};

// Sets an environment variable for one scope and restores it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }

 private:
  std::string name_;
  std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("curl transport: TLS is verified against the CA bundle") {
  TlsServer tls;
  SECTION("trusted through ca_bundle") {
    auto transport =
        http::make_curl_transport(http::CurlOptions{tls.certificate_path, {}, {}, 16, {}});
    auto response = http::fetch(*transport, get(tls.url() + "/hello"));
    REQUIRE(response.ok());
    CHECK(response->body == "hello over tls");
  }
  SECTION("an untrusted certificate is a Network error") {
    auto transport = http::make_curl_transport();
    auto response = http::fetch(*transport, get(tls.url() + "/hello"));
    REQUIRE_FALSE(response.ok());
    CHECK(response.error().kind == ErrorKind::Network);
    CHECK(response.error().message.rfind("GET 127.0.0.1:" + std::to_string(tls.port) + ": ", 0) ==
          0);
  }
  SECTION("an unreadable CA bundle is a Config error") {
    auto transport =
        http::make_curl_transport(http::CurlOptions{"/nonexistent/ca.pem", {}, {}, 16, {}});
    auto response = http::fetch(*transport, get(tls.url() + "/hello"));
    REQUIRE_FALSE(response.ok());
    CHECK(response.error().kind == ErrorKind::Config);
    CHECK_FALSE(response.error().retryable);
    CHECK(response.error().message == "GET 127.0.0.1:" + std::to_string(tls.port) +
                                          ": CA bundle /nonexistent/ca.pem (AWS_CA_BUNDLE or "
                                          "ca_bundle) is not a readable file");
  }
  SECTION("trusted through SSL_CERT_FILE from the environment lookup") {
    http::CurlOptions options;
    options.environment = [&](std::string_view name) -> std::optional<std::string> {
      if (name == "SSL_CERT_FILE") return tls.certificate_path;
      return std::nullopt;
    };
    auto transport = http::make_curl_transport(options);
    auto response = http::fetch(*transport, get(tls.url() + "/hello"));
    REQUIRE(response.ok());
    CHECK(response->body == "hello over tls");
  }
  SECTION("trusted through SSL_CERT_DIR, a hashed directory") {
    // The name OpenSSL looks the issuer up by: <subject hash>.0 (what c_rehash makes).
    BIO* bio = BIO_new_mem_buf(kTestCertificate, -1);
    X509* certificate = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    REQUIRE(certificate != nullptr);
    char name[16];
    std::snprintf(name, sizeof name, "%08lx.0", X509_subject_name_hash(certificate));
    X509_free(certificate);
    BIO_free(bio);
    bedrock_lite::test::TempDir hashed;
    hashed.write(name, kTestCertificate);
    http::CurlOptions options;
    options.environment = [&](std::string_view variable) -> std::optional<std::string> {
      if (variable == "SSL_CERT_DIR") return "/nonexistent:" + hashed.path().string();
      return std::nullopt;
    };
    auto transport = http::make_curl_transport(options);
    auto response = http::fetch(*transport, get(tls.url() + "/hello"));
    REQUIRE(response.ok());
    CHECK(response->body == "hello over tls");
  }
}

TEST_CASE(
    "curl transport: proxies from the environment or options, bypassed with use_proxy=false") {
  LoopbackServer target([&](httplib::Server& s) {
    s.Get("/where", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("direct", "text/plain");
    });
  });
  std::mutex mutex;
  std::vector<std::string> proxied;  // request targets the proxy saw (absolute form)
  LoopbackServer proxy([&](httplib::Server& s) {
    s.Get(".*", [&](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex);
      proxied.push_back(req.target);
      res.set_content("via proxy", "text/plain");
    });
  });
  ScopedEnv no_proxy_lower("no_proxy", nullptr), no_proxy_upper("NO_PROXY", nullptr);
  const std::string url = target.url() + "/where";
  auto through = [&](http::Transport& transport, bool use_proxy) {
    auto request = get(url);
    request.use_proxy = use_proxy;
    auto response = http::fetch(transport, request);
    REQUIRE(response.ok());
    return response->body;
  };
  SECTION("environment (libcurl reads http_proxy itself)") {
    ScopedEnv http_proxy("http_proxy", proxy.url().c_str());
    auto transport = http::make_curl_transport();
    CHECK(through(*transport, true) == "via proxy");
    CHECK(through(*transport, false) == "direct");
  }
  SECTION("explicit option") {
    ScopedEnv http_proxy("http_proxy", nullptr);
    http::CurlOptions options;
    options.proxy = proxy.url();
    auto transport = http::make_curl_transport(options);
    CHECK(through(*transport, true) == "via proxy");
    CHECK(through(*transport, false) == "direct");
    options.no_proxy = "127.0.0.1";
    auto excluded = http::make_curl_transport(options);
    CHECK(through(*excluded, true) == "direct");
  }
  std::lock_guard<std::mutex> lock(mutex);
  for (const auto& seen : proxied) CHECK(seen == url);
}

TEST_CASE("curl transport: a connection closed mid-body is a Network error, not retryable") {
  LoopbackServer server([&](httplib::Server& s) {
    s.Get("/cut", [&](const httplib::Request&, httplib::Response& res) {
      res.set_content_provider(100, "application/octet-stream",
                               [](size_t offset, size_t, httplib::DataSink& out) {
                                 if (offset > 0) return false;  // close after 10 of 100 bytes
                                 out.write("0123456789", 10);
                                 return true;
                               });
    });
  });
  auto transport = http::make_curl_transport();
  CollectSink sink;
  auto head = transport->send(get(server.url() + "/cut"), sink);
  REQUIRE_FALSE(head.ok());
  CHECK(head.error().kind == ErrorKind::Network);
  CHECK_FALSE(head.error().retryable);
  CHECK(sink.body() == "0123456789");
}

TEST_CASE(
    "curl transport: header values with line breaks, malformed methods and non-HTTP URLs are "
    "refused") {
  auto transport = http::make_curl_transport();
  auto request = get("http://127.0.0.1:1/x");
  request.headers = {{"X-Test", "a\r\nInjected: yes"}};
  CollectSink sink;
  auto head = transport->send(request, sink);
  REQUIRE_FALSE(head.ok());
  CHECK(head.error().kind == ErrorKind::Usage);
  CHECK(head.error().message == "GET 127.0.0.1:1: invalid header name or value for \"X-Test\"");
  request.headers.clear();
  request.method = "GET /evil HTTP/1.1\r\nX:";
  auto bad_method = transport->send(request, sink);
  REQUIRE_FALSE(bad_method.ok());
  CHECK(bad_method.error().kind == ErrorKind::Usage);
  CHECK(bad_method.error().message == "invalid HTTP method for 127.0.0.1:1");
  // Only http and https: a configured endpoint cannot read local files.
  auto file = transport->send(get("file:///etc/hostname"), sink);
  REQUIRE_FALSE(file.ok());
  CHECK(file.error().kind == ErrorKind::Usage);
  CHECK(sink.chunks.empty());
}

TEST_CASE("curl transport: concurrent HTTPS calls to a server without HTTP/2 run side by side") {
  // The engine caps connections per host while every call may multiplex over HTTP/2; httplib
  // speaks HTTP/1.1 only, and the first HTTP/1.1 answer must lift that cap for the calls queued
  // behind it, or they would run one connection at a time.
  TlsServer tls;
  auto transport =
      http::make_curl_transport(http::CurlOptions{tls.certificate_path, {}, {}, 16, {}});
  auto engine = http::Engine::create();
  REQUIRE(engine.ok());
  constexpr int kCalls = 4;  // the server's thread pool: one connection each at a time
  std::vector<CollectSink> sinks(kCalls);
  const http::Request request = get(tls.url() + "/slow");  // alive until the calls end
  int ok = 0;
  const auto started = std::chrono::steady_clock::now();
  for (auto& sink : sinks) {
    (*engine)->start(*transport, request, sink,
                     [&ok](bedrock_lite::Result<http::ResponseHead> result) {
                       INFO((result.ok() ? std::string("ok") : result.error().to_string()));
                       CHECK(result.ok());
                       ok += result.ok() ? 1 : 0;
                     });
  }
  (*engine)->run();
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(ok == kCalls);
  for (const auto& sink : sinks) CHECK(sink.body() == "slow over tls");
  // 300 ms each: side by side about 0.3 s (the first answer lifts the cap, the rest follow);
  // one at a time would be 1.2 s.
  CHECK(took < std::chrono::milliseconds(1000));
}
