// HTTP/2 through a real server on loopback: Debian's nghttpx (package nghttp2-proxy) terminates
// TLS with a test certificate that serves as its own CA and forwards to the fake Bedrock. Many
// calls on one engine share few connections (nghttpx's access log names each request's client
// port and ALPN protocol), stream events still arrive as the server sends them, and
// CurlOptions::Version::Http1_1 forces one HTTP/1.1 connection per concurrent call.
#include <bedrock_lite/converse.h>

#include "e2e_test_support.h"
#include "support/environment.h"
#include "support/fake_bedrock.h"
#include "support/loopback_certificate.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <thread>

extern char** environ;

using namespace bedrock_lite;
using namespace bedrock_lite::converse;
using namespace bedrock_lite::e2e_test;
using bedrock_lite::test::FakeBedrock;
using bedrock_lite::test::Fault;
using bedrock_lite::test::kTestCertificate;
using bedrock_lite::test::kTestPrivateKey;
using std::chrono::milliseconds;

namespace {

constexpr const char* kNghttpx = "/usr/sbin/nghttpx";

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t size = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  close(fd);
  return ntohs(address.sin_port);
}

bool accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return ok;
}

// nghttpx in front of `backend_url`'s port, TLS with the test certificate, for this scope.
class Nghttpx {
 public:
  Nghttpx(const test::TempDir& dir, int backend_port) : port_(free_port()) {
    const auto key = dir.write("key.pem", kTestPrivateKey).string();
    certificate_ = dir.write("cert.pem", kTestCertificate).string();
    log_ = (dir.path() / "access.log").string();
    std::vector<std::string> args = {
        kNghttpx,
        "--conf=/dev/null",  // never the machine's /etc/nghttpx/nghttpx.conf
        "--frontend=127.0.0.1," + std::to_string(port_),
        "--backend=127.0.0.1," + std::to_string(backend_port) + ";;proto=http/1.1",
        "--workers=1",
        "--no-ocsp",
        "--accesslog-file=" + log_,
        "--accesslog-format=$remote_port $alpn $status",
        "--errorlog-file=" + (dir.path() / "error.log").string(),
        key,
        certificate_};
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    REQUIRE(access(kNghttpx, X_OK) == 0);  // scripts/install-deps.sh installs nghttp2-proxy
    // Its start-up notice goes to stderr before the error log is open: keep the test output clean.
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    const int spawned = posix_spawn(&pid_, kNghttpx, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE(spawned == 0);
    for (int i = 0; i < 100 && !accepts(port_); ++i) {
      std::this_thread::sleep_for(milliseconds(50));
    }
    REQUIRE(accepts(port_));
  }
  ~Nghttpx() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  Nghttpx(const Nghttpx&) = delete;
  Nghttpx& operator=(const Nghttpx&) = delete;

  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  const std::string& certificate() const { return certificate_; }
  // Each access-log line: the client's port, the ALPN protocol, the status; once `count` lines
  // are there (or 10 s passed). nghttpx writes a request's line when it lets the request go,
  // which over HTTP/1.1 is after the last byte of the answer went out: the client can finish its
  // call, and the test read the log, before the line is written (a line missing once in 60 runs
  // on the loaded CI machine).
  std::vector<std::string> log_lines(std::size_t count) const {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      std::ifstream in(log_);
      std::vector<std::string> lines;
      for (std::string line; std::getline(in, line);) lines.push_back(line);
      if (lines.size() >= count || std::chrono::steady_clock::now() >= give_up) return lines;
      std::this_thread::sleep_for(milliseconds(10));
    }
  }

 private:
  int port_;
  pid_t pid_ = -1;
  std::string certificate_;
  std::string log_;
};

struct Run {
  std::vector<std::vector<std::chrono::steady_clock::time_point>> arrivals;
  int ok = 0;
};

Run run_streams(const Config& config, int calls) {
  auto engine = http::Engine::create();
  REQUIRE(engine.ok());
  auto client = AsyncClient::create(config, **engine);
  REQUIRE(client.ok());
  Run run;
  run.arrivals.resize(static_cast<std::size_t>(calls));
  const auto request = stream_request();
  for (int i = 0; i < calls; ++i) {
    auto& arrivals = run.arrivals[static_cast<std::size_t>(i)];
    client->converse_stream(
        request,
        [&arrivals](const StreamEvent&) {
          arrivals.push_back(std::chrono::steady_clock::now());
          return StreamControl::Continue;
        },
        [&run](Result<ConverseResponse> result) {
          INFO((result.ok() ? "" : result.error().to_string()));
          CHECK(result.ok());
          run.ok += result.ok() ? 1 : 0;
        });
  }
  (*engine)->run();
  return run;
}

// The fake Bedrock answering `slow_streams` calls with slow streams, behind nghttpx, and a client
// configuration that reaches it through the proxy over TLS.
class Proxied {
 public:
  Proxied(int slow_streams, int worker_threads)
      : server_(options(worker_threads)), proxy_(dir_, port_of(server_)) {
    for (int i = 0; i < slow_streams; ++i) server_.push_fault(Fault::SlowStream);
    config_ = make_config(server_, sleeps_);
    config_.endpoint = proxy_.url();
    curl_.ca_bundle = proxy_.certificate();
    config_.transport = http::make_curl_transport(curl_);
  }

  struct Parts {
    FakeBedrock& server;
    Nghttpx& proxy;
    Config& config;
    http::CurlOptions& curl;
  };
  Parts parts() { return {server_, proxy_, config_, curl_}; }

 private:
  static test::FakeBedrockOptions options(int worker_threads) {
    test::FakeBedrockOptions options;
    options.worker_threads = worker_threads;
    return options;
  }
  static int port_of(const FakeBedrock& server) {
    return std::stoi(server.url().substr(server.url().rfind(':') + 1));
  }

  FakeBedrock server_;
  test::TempDir dir_;
  Nghttpx proxy_;
  Sleeps sleeps_;
  Config config_;
  http::CurlOptions curl_;
};
}  // namespace

TEST_CASE("async: HTTP/2 through nghttpx multiplexes many calls over few connections",
          "[e2e][async][http2]") {
  constexpr int kCalls = 20;
  Proxied world(kCalls + 5, 2 * kCalls);
  auto [server, proxy, config, curl] = world.parts();

  const Run run = run_streams(config, kCalls);
  CHECK(run.ok == kCalls);
  const auto events = recorded_events("test_bedrock_model_stream/00").size();
  for (const auto& arrivals : run.arrivals) {
    REQUIRE(arrivals.size() == events);
    // SlowStream sends an event every 50 ms: they arrive spread over the stream, not at once.
    CHECK(arrivals.back() - arrivals.front() >= milliseconds(25 * (events - 1)));
  }
  // A libcurl built without nghttp2 cannot offer h2: the transport falls back to HTTP/1.1 rather
  // than fail every call (http.h, CurlOptions::http_version), one connection per concurrent call.
  const bool libcurl_http2 = http::curl_runtime_version().find(", HTTP/2)") != std::string::npos;
  std::set<std::string> ports;
  const auto lines = proxy.log_lines(kCalls);
  CHECK(lines.size() == static_cast<std::size_t>(kCalls));
  for (const auto& line : lines) {
    std::istringstream fields(line);
    std::string port, alpn, status;
    fields >> port >> alpn >> status;
    CHECK(alpn == (libcurl_http2 ? "h2" : "http/1.1"));
    CHECK(status == "200");
    ports.insert(port);
  }
  INFO(ports.size() << " connections for " << kCalls << " calls");
  CHECK(ports.size() <= (libcurl_http2 ? 2u : static_cast<std::size_t>(kCalls)));
  check_all_signed(server);

  SECTION("CurlOptions::Version::Http1_1 forces one HTTP/1.1 connection per concurrent call") {
    curl.http_version = http::CurlOptions::Version::Http1_1;
    config.transport = http::make_curl_transport(curl);
    const Run forced = run_streams(config, 5);
    CHECK(forced.ok == 5);
    std::set<std::string> forced_ports;
    const auto all = proxy.log_lines(lines.size() + 5);
    CHECK(all.size() == lines.size() + 5);
    for (std::size_t i = lines.size(); i < all.size(); ++i) {
      std::istringstream fields(all[i]);
      std::string port, alpn;
      fields >> port >> alpn;
      CHECK(alpn == "http/1.1");
      forced_ports.insert(port);
    }
    CHECK(forced_ports.size() == 5);
  }
}

TEST_CASE("async: HTTP/2 beyond one connection's stream limit opens few more connections",
          "[e2e][async][http2]") {
  // nghttpx allows 100 concurrent streams per connection (its default): 150 calls at once need
  // two connections. libcurl 7.88 used to open one connection per call past the first hundred
  // (those calls started before the second connection's ALPN and SETTINGS were known).
  constexpr int kCalls = 150;
  if (http::curl_runtime_version().find(", HTTP/2)") == std::string::npos) {
    SUCCEED("libcurl without HTTP/2: nothing to multiplex");
    return;
  }
  Proxied world(kCalls + 5, kCalls + 10);
  auto [server, proxy, config, curl] = world.parts();

  const Run run = run_streams(config, kCalls);
  CHECK(run.ok == kCalls);
  std::set<std::string> ports;
  const auto lines = proxy.log_lines(kCalls);
  CHECK(lines.size() == static_cast<std::size_t>(kCalls));
  for (const auto& line : lines) {
    std::istringstream fields(line);
    std::string port, alpn;
    fields >> port >> alpn;
    CHECK(alpn == "h2");
    ports.insert(port);
  }
  INFO(ports.size() << " connections for " << kCalls << " calls");
  CHECK(ports.size() <= 4);
}
