// The injected world of the STS tests (tests/credentials_test_sts_*.cpp): the roles and keys the
// fake STS (support/fake_sts.h) knows, a temporary HOME with its variables, a fixed clock the
// tests move, the log lines, and the fixture tables. Everything goes through the public API.
#pragma once

#include "support/environment.h"
#include "support/fake_sts.h"
#include "support/fixtures.h"

#include <bedrock_lite/credentials.h>
#include <bedrock_lite/http.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bedrock_lite::test::sts_world {

inline const credentials::TimePoint kNow = *credentials::parse_iso8601("2026-04-01T08:00:00Z");
inline const std::string kRoleA = "arn:aws:iam::111111111111:role/first";
inline const std::string kRoleB = "arn:aws:iam::222222222222:role/second";
inline const std::string kRoleC = "arn:aws:iam::333333333333:role/third";
inline const std::string kWebRole = "arn:aws:iam::444444444444:role/web";
inline const std::string kWebToken = "eyJhbGciOiJSUzI1NiJ9.web-identity-token.signature";

// What the fake issues for a role named NAME: ASIANAME, NAME/secret+key, NAME-session-token.
inline FakeStsRole role(const std::string& name) {
  return {"ASIA" + name, name + "/secret+key", name + "-session-token"};
}

// The static key AKIDBASE may sign; kRoleA, kRoleB, kRoleC and kWebRole issue FIRST, SECOND, THIRD
// and WEB; issued credentials expire an hour after kNow.
inline FakeStsOptions sts_options() {
  FakeStsOptions options;
  options.keys = {{"AKIDBASE", "base/secret+key"}};
  for (const auto& [arn, name] : {std::pair<std::string, std::string>{kRoleA, "FIRST"},
                                  {kRoleB, "SECOND"},
                                  {kRoleC, "THIRD"},
                                  {kWebRole, "WEB"}}) {
    options.roles[arn] = role(name);
  }
  options.clock = [] { return kNow; };
  return options;
}

// Every line the providers log, from any thread.
struct StsLog {
  std::mutex mutex;
  std::vector<std::string> lines;
  LogHook hook() {
    return [this](LogLevel, std::string_view message) {
      std::lock_guard<std::mutex> lock(mutex);
      lines.emplace_back(message);
    };
  }
  std::string all() {
    std::lock_guard<std::mutex> lock(mutex);
    std::string out;
    for (const auto& line : lines) out += line + "\n";
    return out;
  }
};

// A temp HOME, variables, and a fixed clock the tests move. The transport is declared after the
// fakes in each test (destroyed first), as in credentials_test_metadata.cpp.
struct StsWorld {
  TempDir home;
  std::map<std::string, std::string> vars;
  std::shared_ptr<std::atomic<std::int64_t>> offset =
      std::make_shared<std::atomic<std::int64_t>>(0);
  StsLog log;

  explicit StsWorld(const FakeSts* sts = nullptr) {
    vars["AWS_EC2_METADATA_DISABLED"] = "true";
    vars["AWS_REGION"] = "us-east-1";
    if (sts != nullptr) vars["AWS_ENDPOINT_URL_STS"] = sts->url();
  }
  void config(const std::string& text) { home.write(".aws/config", text); }
  void credentials(const std::string& text) { home.write(".aws/credentials", text); }
  credentials::ProviderContext context(std::shared_ptr<http::Transport> transport) {
    auto v = vars;
    v["HOME"] = home.path().string();
    credentials::ProviderContext c;
    c.environment = credentials::Environment(v);
    c.transport = std::move(transport);
    auto o = offset;
    c.clock = [o] { return kNow + std::chrono::seconds(o->load()); };
    c.jitter = [] { return 0.5; };
    c.sleeper = [](std::chrono::milliseconds) {};
    c.log = log.hook();
    return c;
  }
};

inline std::shared_ptr<http::Transport> curl() {
  return http::make_curl_transport();
}

inline std::string message_of(const Result<credentials::Credentials>& result) {
  return result ? std::string("ok: ") + result->source : result.error().to_string();
}

// The text of a file under fixtures/.
inline std::string fixture_text(const std::string& relative) {
  return read_file(fixture_path(relative));
}

// Lines of a fixtures expectation file, '#' comments skipped, split on whitespace (the last
// field takes the rest of the line).
inline std::vector<std::vector<std::string>> table(const std::string& relative,
                                                   std::size_t fields) {
  std::istringstream in(fixture_text(relative));
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::vector<std::string> row;
    std::string word;
    while (row.size() + 1 < fields && words >> word) row.push_back(word);
    std::getline(words >> std::ws, word);
    row.push_back(word);
    rows.push_back(row);
  }
  return rows;
}

}  // namespace bedrock_lite::test::sts_world
