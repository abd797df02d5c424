// A fake of the AWS sign-in service's CreateOAuth2Token (POST /v1/token) on 127.0.0.1, for
// `aws login` refreshes: it checks each request's DPoP proof (support/dpop_check.h: signature
// against the cached key's public half, htm, htu, iat, a fresh jti) and its JSON tokenInput,
// then answers from a queue (a status and a body per call, as the login provider test cases'
// mockApiCalls say); with the queue empty it answers 500.
//
// Header-only: httplib code is compiled only in test executables (see loopback_server.h).
#pragma once

#include "support/dpop_check.h"
#include "support/loopback_server.h"

#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace bedrock_lite::test {

class FakeSignin {
 public:
  struct Answer {
    int status = 200;
    std::string body;
  };
  struct Seen {
    std::string body;
    std::string dpop_problem;  // empty when the proof was valid
  };

  FakeSignin()
      : server_([this](httplib::Server& s) {
          s.Post("/v1/token",
                 [this](const httplib::Request& req, httplib::Response& res) { token(req, res); });
        }) {}

  std::string url() const { return server_.url(); }
  // What the proofs must match; the htu is this server's /v1/token.
  void expect(std::string private_key_pem, std::int64_t iat, std::int64_t iat_tolerance = 0) {
    std::lock_guard<std::mutex> l(mutex_);
    expected_.private_key_pem = std::move(private_key_pem);
    expected_.iat = iat;
    expected_.iat_tolerance = iat_tolerance;
    expected_.url = url() + "/v1/token";
  }
  void push(Answer answer) {
    std::lock_guard<std::mutex> l(mutex_);
    answers_.push_back(std::move(answer));
  }
  std::vector<Seen> seen() {
    std::lock_guard<std::mutex> l(mutex_);
    return seen_;
  }

 private:
  void token(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> l(mutex_);
    Seen seen{req.body, {}};
    std::string jti;
    seen.dpop_problem = req.has_header("DPoP")
                            ? dpop_problem(req.get_header_value("DPoP"), expected_, &jti)
                            : "no DPoP header";
    if (seen.dpop_problem.empty() && !jtis_.insert(jti).second) seen.dpop_problem = "jti reused";
    if (req.has_header("Authorization")) seen.dpop_problem += " (and an Authorization header)";
    seen_.push_back(seen);
    if (!seen.dpop_problem.empty()) {
      res.status = 400;
      res.set_header("X-Amzn-ErrorType", "ValidationException");
      res.set_content(R"({"error":"INVALID_REQUEST","message":"bad DPoP proof"})",
                      "application/json");
      return;
    }
    if (answers_.empty()) {
      res.status = 500;
      res.set_content(R"({"error":"no_mock"})", "application/json");
      return;
    }
    Answer answer = answers_.front();
    answers_.pop_front();
    res.status = answer.status;
    if (answer.status == 401 || answer.status == 403) {
      res.set_header("X-Amzn-ErrorType", "AccessDeniedException");
    }
    res.set_content(answer.body, "application/json");
  }

  std::mutex mutex_;
  DpopExpectation expected_;
  std::deque<Answer> answers_;
  std::vector<Seen> seen_;
  std::set<std::string> jtis_;
  LoopbackServer server_;  // last
};

}  // namespace bedrock_lite::test
