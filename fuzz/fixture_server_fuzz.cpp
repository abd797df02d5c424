// Fuzz target: the fixture server's HTTP/1.1 request reading (request line, headers,
// Content-Length and chunked bodies, Expect, keep-alive, pipelining) over a real loopback socket.
//
// Input: the bytes a client sends on one connection, after which it half-closes. One server,
// started once per process on a temporary one-interaction fixture set, serves every input.
// Seeds: fixtures/regressions/fixture_server (valid, chunked, pipelined and malformed requests).
//
// Properties: never crashes or hangs (the connection always ends once the client stops
// sending); everything the server sends is a sequence of "HTTP/1.1 " responses; and after every
// input the server still answers a valid request with the recorded body.
#include <fixture_server.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

namespace http = bedrock_lite::http;
namespace replay = bedrock_lite::replay;
namespace fs = std::filesystem;

namespace {

constexpr const char* kBody = R"({"messages":[{"role":"user","content":[{"text":"hi"}]}]})";
constexpr const char* kAnswer =
    R"({"output":{"message":{"role":"assistant","content":[{"text":"hello"}]}},"stopReason":"end_turn"})";

[[noreturn]] void die(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "fixture_server_fuzz: %s %s\n", what, detail.c_str());
  std::abort();
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) die("cannot write", path.string());
}

replay::FixtureServer& server() {
  static const std::unique_ptr<replay::FixtureServer> instance = [] {
    std::string pattern = (fs::temp_directory_path() / "fixture_server_fuzz.XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) die("mkdtemp failed");
    const fs::path folder = fs::path(pattern) / "a";
    fs::create_directories(folder);
    write_file(
        folder / "request.json",
        std::string(R"({"method":"POST","uri":"/model/m%3A0/converse","headers":{},"body":)") +
            kBody + "}");
    write_file(folder / "response.json",
               R"({"status":200,"reason":"OK","headers":{"content-type":"application/json"}})");
    write_file(folder / "response.body", kAnswer);
    replay::FixtureServerOptions options;
    options.max_header_bytes = 4096;
    options.max_body_bytes = 1 << 16;
    // Only a safety net: every input ends with a half-close, which ends the connection at once.
    options.idle_timeout = std::chrono::seconds(5);
    auto started = replay::FixtureServer::start(pattern, options);
    if (!started.ok()) die("cannot start the server:", started.error().message);
    return std::move(started).value();
  }();
  return *instance;
}

// Sends `bytes`, half-closes, and returns everything the server sent until it closed.
std::string exchange(const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket failed");
  timeval limit{30, 0};  // a hang shows up as a failure, not as a stuck fuzzer
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  // Two connections an input at thousands of inputs a second leave tens of thousands of
  // TIME_WAIT sockets: from one source address the 4-tuples run out and a reused one is reset
  // (an empty answer that is no server fault). Rotating the source over 127.0.0.2-254 gives each
  // address its own ephemeral ports.
  static unsigned next_source = 0;
  sockaddr_in source{};
  source.sin_family = AF_INET;
  source.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1 + (next_source++ % 253));
  // Without IP_BIND_ADDRESS_NO_PORT, bind() would reserve a port from the one global pool and
  // run out faster; with it the port is picked at connect() for the whole 4-tuple.
  const int one = 1;
  ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof source) != 0) {
    die("bind failed:", std::strerror(errno));
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(server().port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    die("connect failed:", std::strerror(errno));
  }
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may close early after a malformed head
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string received;
  char chunk[16384];
  for (;;) {
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) die("server did not close the connection");
      break;  // reset after an early close: fine
    }
    received.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return received;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::string received = exchange(input);
  if (!received.empty() && received.rfind("HTTP/1.1 ", 0) != 0) {
    die("reply does not start with a status line:", received.substr(0, 40));
  }
  const std::string body = kBody;
  const std::string valid =
      "POST /model/m:0/converse HTTP/1.1\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n" + body;
  auto answered = [](const std::string& answer) {
    const std::string tail = kAnswer;
    return answer.rfind("HTTP/1.1 200 OK\r\n", 0) == 0 && answer.size() >= tail.size() &&
           answer.compare(answer.size() - tail.size(), std::string::npos, tail) == 0;
  };
  // Under load a fresh loopback connection is now and then reset before the server reads it (an
  // empty answer; seen in CI, never reproduced from the saved input alone). The property is
  // that the server keeps serving, so a miss is retried after waits that add up to past the
  // server's idle timeout, when every connection an input left behind has been closed.
  std::string answer = exchange(valid);
  for (const int wait_ms : {50, 500, 2000, 3000}) {
    if (answered(answer)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    answer = exchange(valid);
  }
  if (!answered(answer))
    die("a valid request after the input was not answered:", answer.substr(0, 60));
  return 0;
}
