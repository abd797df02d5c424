// The world the metadata-credentials tests run in: a temp HOME, a fixed clock that tests move, a
// log that records every line, and a curl transport to the fake servers on 127.0.0.1.
#pragma once

#include <bedrock_lite/credentials.h>

#include "support/environment.h"
#include "support/fake_imds.h"
#include "support/sts_world.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace bedrock_lite::credentials_test {

namespace creds = bedrock_lite::credentials;
using bedrock_lite::LogLevel;
using bedrock_lite::test::FakeImds;
using bedrock_lite::test::TempDir;

// The one fixed "now" of the credentials tests (the STS tests' too).
using bedrock_lite::test::sts_world::kNow;

struct Log {
  std::mutex mutex;
  std::vector<std::string> lines;
  bedrock_lite::LogHook hook() {
    return [this](LogLevel level, std::string_view message) {
      std::lock_guard<std::mutex> lock(mutex);
      const char* names[] = {"debug", "info", "warn", "error"};
      lines.push_back(std::string(names[static_cast<int>(level)]) + ": " + std::string(message));
    };
  }
  bool contains(const std::string& text) {
    std::lock_guard<std::mutex> lock(mutex);
    for (const auto& line : lines) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  }
  std::string all() {
    std::lock_guard<std::mutex> lock(mutex);
    std::string out;
    for (const auto& line : lines) out += line + "\n";
    return out;
  }
};

// A context over a temp HOME with a fixed clock (movable through `clock_offset`). Its own curl
// transport: declared after the fake servers, it is destroyed (closing its keep-alive
// connections) before them, so their shutdown does not wait out httplib's keep-alive timeout.
struct World {
  std::shared_ptr<bedrock_lite::http::Transport> transport =
      bedrock_lite::http::make_curl_transport();
  TempDir home;
  std::shared_ptr<std::atomic<std::int64_t>> clock_offset =
      std::make_shared<std::atomic<std::int64_t>>(0);
  std::map<std::string, std::string> vars;
  Log log;

  creds::ProviderContext context() {
    auto v = vars;
    v["HOME"] = home.path().string();
    v.emplace("PATH", "/usr/bin:/bin");
    creds::ProviderContext c;
    c.environment = creds::Environment(v);
    c.transport = transport;
    auto offset = clock_offset;
    c.clock = [offset] { return kNow + std::chrono::seconds(offset->load()); };
    c.jitter = [] { return 0.5; };
    c.sleeper = [](std::chrono::milliseconds) {};
    c.log = log.hook();
    return c;
  }
  void advance(std::chrono::seconds by) { *clock_offset += by.count(); }
  creds::TimePoint now() const { return kNow + std::chrono::seconds(clock_offset->load()); }
};

// A 127.0.0.1 port with nothing listening: bound, then closed.
inline int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

inline const char* kContainerBody =
    R"({"AccessKeyId":"ASIACONTAINER","SecretAccessKey":"container-secret","Token":"container-token",)"
    R"("Expiration":"2026-04-01T14:00:00Z","AccountId":"210987654321","RoleArn":"arn:aws:iam::210987654321:role/r"})";

inline creds::ProviderContext imds_context(World& world, FakeImds& imds) {
  auto context = world.context();
  context.metadata.imds_endpoint = imds.url();
  return context;
}

}  // namespace bedrock_lite::credentials_test
