// The HTTPS fake Bedrock for scripts/test-static-root.sh: the fake Bedrock of tests/support
// (SigV4 verified, recorded answers) on 127.0.0.1 behind a TLS front on 127.0.0.1 that presents
// the certificate the script made for bedrock-runtime.us-east-1.amazonaws.com.
//
//   static_root_server CERT.pem KEY.pem SECONDS
//
// Prints the TLS port on one line, then serves until stdin is closed or SECONDS pass. At exit it
// prints one line per request the fake saw: "<operation> <status> signature=<valid|invalid>",
// so the script can check that every call reached it with a valid signature.
// The fake's fixture loading reports through Catch2 assertions, which need a running Catch
// session: main() runs the serving as one hidden test case.
#define CATCH_CONFIG_RUNNER
#include <httplib.h>
#include <poll.h>
#include <strings.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "support/fake_bedrock.h"

namespace {

bool iequal(const std::string& a, const char* b) {
  return ::strcasecmp(a.c_str(), b) == 0;
}

// httplib records the peer in pseudo-headers; the client computes framing headers itself.
bool forwarded(const std::string& name) {
  return name != "REMOTE_ADDR" && name != "REMOTE_PORT" && name != "LOCAL_ADDR" &&
         name != "LOCAL_PORT" && !iequal(name, "Content-Length") && !iequal(name, "Content-Type") &&
         !iequal(name, "Connection");
}

// Relays one request to the fake with the client's own headers (Host included, as signed) and
// sends its whole answer back: an event stream arrives in one piece, which the client decodes
// the same way.
void relay(const std::string& upstream_port, const httplib::Request& req, httplib::Response& res) {
  httplib::Client upstream("127.0.0.1", std::atoi(upstream_port.c_str()));
  upstream.set_read_timeout(30, 0);
  httplib::Headers headers;
  for (const auto& [name, value] : req.headers) {
    if (forwarded(name)) headers.emplace(name, value);
  }
  const std::string target = req.target.empty() ? req.path : req.target;
  auto answer = upstream.Post(target, headers, req.body, req.get_header_value("Content-Type"));
  if (!answer) {
    res.status = 502;
    res.set_content("the fake Bedrock did not answer", "text/plain");
    return;
  }
  res.status = answer->status;
  for (const auto& [name, value] : answer->headers) {
    if (forwarded(name) && !iequal(name, "Transfer-Encoding")) {
      res.set_header(name, value);
    }
  }
  res.set_content(answer->body, answer->get_header_value("Content-Type"));
}

}  // namespace

namespace {
char** g_args = nullptr;  // CERT.pem KEY.pem SECONDS, for the test case below
int g_status = 0;
}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: static_root_server CERT.pem KEY.pem SECONDS\n");
    return 2;
  }
  g_args = argv;
  char name[] = "static_root_server";
  char test[] = "serve";
  char out[] = "--out=/dev/stderr";  // stdout carries the port and the report
  char* session_args[] = {name, test, out};
  const int failed = Catch::Session().run(3, session_args);
  return failed != 0 ? 1 : g_status;
}

TEST_CASE("serve", "[.]") {
  char** argv = g_args;
  bedrock_lite::test::FakeBedrock fake;
  const std::string fake_url = fake.url();
  const std::string upstream_port = fake_url.substr(fake_url.rfind(':') + 1);

  httplib::SSLServer front(argv[1], argv[2]);
  if (!front.is_valid()) {
    std::fprintf(stderr, "static_root_server: cannot load %s and %s\n", argv[1], argv[2]);
    g_status = 1;
    return;
  }
  front.Post(".*", [&](const httplib::Request& req, httplib::Response& res) {
    relay(upstream_port, req, res);
  });
  const int port = front.bind_to_any_port("127.0.0.1");
  if (port <= 0) {
    std::fprintf(stderr, "static_root_server: cannot bind 127.0.0.1\n");
    g_status = 1;
    return;
  }
  std::thread serving([&] { front.listen_after_bind(); });
  std::printf("%d\n", port);
  std::fflush(stdout);

  // Bounded: until stdin closes (the script is done) or the time limit passes.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(std::atoi(argv[3]));
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd in{STDIN_FILENO, POLLIN, 0};
    if (::poll(&in, 1, 200) > 0) {
      char byte;
      if (::read(STDIN_FILENO, &byte, 1) <= 0) break;
    }
  }
  while (!front.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  front.stop();
  serving.join();
  for (const auto& seen : fake.requests()) {
    std::printf("%s %d signature=%s\n", seen.operation.c_str(), seen.status,
                seen.signature_valid ? "valid" : "invalid");
  }
}
