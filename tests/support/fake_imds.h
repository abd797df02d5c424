// A fake EC2 instance metadata service on 127.0.0.1 that answers as the real one does
// (docs/wire-protocol.md §5.4): PUT /latest/api/token needs the TTL header (400 without), GETs
// without a valid token get 401 unless IMDSv1 is allowed, the extended and legacy credential paths,
// rotating credentials, and knobs for the failures tests need (token endpoint disabled, hangs, bad
// bodies, tokens revoked, role replaced, whole service down).
//
// Header-only: httplib code is compiled only in test executables (see loopback_server.h).
#pragma once

#include "support/loopback_server.h"

#include <bedrock_lite/credentials.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>

namespace bedrock_lite::test {

class FakeImds {
 public:
  enum class TokenMode { Normal, Forbidden403, NotFound404, BadRequest400, Hang };

  // Knobs; change them under lock() or before requests start.
  struct State {
    TokenMode token_mode = TokenMode::Normal;
    bool allow_v1 = false;           // serve GETs that carry no token
    bool extended_available = true;  // the security-credentials-extended path exists
    bool hang_gets = false;          // every GET stalls until the server stops
    bool down = false;               // every request gets 503
    std::string role = "bedrock-role";
    std::chrono::system_clock::time_point expiration{};
    std::string body_override;  // when non-empty, the credentials document is this
    int generation = 1;         // part of the key id: rotation is visible
    int token_ttl_reply = -1;   // TTL header sent back; -1 echoes the request
    // Observed
    int token_puts = 0;
    int gets = 0;
    std::vector<std::string> paths;  // "PUT /latest/api/token", "GET /latest/..."
    std::vector<bool> had_token;     // per GET
  };

  FakeImds()
      : server_([this](httplib::Server& s) {
          s.Put("/latest/api/token", [this](const httplib::Request& req, httplib::Response& res) {
            put_token(req, res);
          });
          s.Get(R"(/latest/meta-data/iam/(security-credentials(?:-extended)?)/(.*))",
                [this](const httplib::Request& req, httplib::Response& res) { get(req, res); });
        }) {}

  std::string url() const { return server_.url(); }
  std::unique_lock<std::mutex> lock() { return std::unique_lock<std::mutex>(mutex_); }
  State& state() { return state_; }  // read/write under lock()
  // Makes every issued token invalid (what an instance stop/start does).
  void revoke_tokens() {
    auto l = lock();
    tokens_.clear();
  }
  static std::string access_key_for(int generation) {
    return "ASIAIMDS" + std::to_string(generation);
  }
  static std::string secret_for(int generation) {
    return "imds-secret-" + std::to_string(generation);
  }

 private:
  void put_token(const httplib::Request& req, httplib::Response& res) {
    TokenMode mode;
    {
      auto l = lock();
      ++state_.token_puts;
      state_.paths.push_back("PUT " + req.path);
      mode = state_.token_mode;
      if (state_.down) {
        res.status = 503;
        return;
      }
    }
    if (mode == TokenMode::Hang) {
      server_.wait_until_stopping();
      res.status = 503;
      return;
    }
    if (mode == TokenMode::Forbidden403 || mode == TokenMode::NotFound404) {
      res.status = mode == TokenMode::Forbidden403 ? 403 : 404;
      return;
    }
    const std::string ttl = req.get_header_value("x-aws-ec2-metadata-token-ttl-seconds");
    int seconds = 0;
    try {
      seconds = ttl.empty() ? 0 : std::stoi(ttl);
    } catch (...) {
      seconds = 0;
    }
    if (mode == TokenMode::BadRequest400 || seconds < 1 || seconds > 21600) {
      res.status = 400;  // the real IMDS: missing or out-of-range TTL
      return;
    }
    auto l = lock();
    const std::string token = "imds-session-token-" + std::to_string(++token_counter_);
    tokens_.insert(token);
    res.set_header("x-aws-ec2-metadata-token-ttl-seconds",
                   std::to_string(state_.token_ttl_reply > 0 ? state_.token_ttl_reply : seconds));
    res.set_content(token, "text/plain");
  }

  void get(const httplib::Request& req, httplib::Response& res) {
    bool hang = false;
    {
      auto l = lock();
      ++state_.gets;
      state_.paths.push_back("GET " + req.path);
      const std::string token = req.get_header_value("x-aws-ec2-metadata-token");
      state_.had_token.push_back(!token.empty());
      hang = state_.hang_gets;
      if (!hang) {
        if (state_.down) {
          res.status = 503;
          return;
        }
        if (token.empty() ? !state_.allow_v1 : tokens_.count(token) == 0) {
          res.status = 401;
          return;
        }
        const bool extended = req.matches[1] == "security-credentials-extended";
        if (extended && !state_.extended_available) {
          res.status = 404;
          return;
        }
        const std::string role = req.matches[2];
        if (role.empty()) {
          res.set_content(state_.role + "\n", "text/plain");
          return;
        }
        if (role != state_.role) {
          res.status = 404;
          return;
        }
        if (!state_.body_override.empty()) {
          res.set_content(state_.body_override, "application/json");
          return;
        }
        std::string body = R"({"Code":"Success","LastUpdated":"2026-01-01T00:00:00Z",)"
                           R"("Type":"AWS-HMAC","AccessKeyId":")" +
                           access_key_for(state_.generation) + R"(","SecretAccessKey":")" +
                           secret_for(state_.generation) + R"(","Token":"imds-token-)" +
                           std::to_string(state_.generation) + R"(","Expiration":")" +
                           credentials::format_iso8601(state_.expiration) + "\"";
        if (extended) body += R"(,"AccountId":"123456789012")";
        body += "}";
        res.set_content(body, "application/json");
        return;
      }
    }
    server_.wait_until_stopping();
    res.status = 503;
  }

  std::mutex mutex_;
  State state_;
  std::set<std::string> tokens_;
  int token_counter_ = 0;
  LoopbackServer server_;  // last: handlers use the members above
};

}  // namespace bedrock_lite::test
