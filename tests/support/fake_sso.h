// A fake of the IAM Identity Center services on 127.0.0.1: the SSO portal's GetRoleCredentials
// (GET /federation/credentials, unsigned, the token in x-amz-sso_bearer_token, answer
// roleCredentials with the expiration in epoch milliseconds) and SSO OIDC's CreateToken
// (POST /token, JSON, grantType refresh_token). Both answer as the real services do, errors
// included (restJson1: X-Amzn-ErrorType and a JSON body); a refresh makes the portal accept the
// new token and refuse the old one.
//
// Header-only: httplib code is compiled only in test executables (see loopback_server.h).
#pragma once

#include "support/json.h"
#include "support/loopback_server.h"

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace bedrock_lite::test {

class FakeSso {
 public:
  // Knobs and observations; change or read them under lock().
  struct State {
    // Portal
    std::string accepted_token = "sso-access-token-1";
    std::string account_id = "123456789012";
    std::string role_name = "BedrockUser";
    std::string access_key_id = "ASIASSOROLE1";
    std::string secret_access_key = "sso/role+secret/0001";
    std::string session_token = "sso-role-session-token-0001";
    std::int64_t expiration_ms = 0;
    int portal_status = 200;  // 401, 403, 429...: the matching restJson1 error
    std::string portal_body;  // when non-empty, the 200 answer's body instead of the real shape
    // OIDC
    std::string client_id = "sso-client-id";
    std::string client_secret = "sso-client-secret";
    std::string refresh_token = "sso-refresh-token-1";
    std::string new_access_token = "sso-access-token-2";
    std::string new_refresh_token = "sso-refresh-token-2";
    int expires_in = 28800;
    int oidc_status = 200;  // 400: InvalidGrantException
    // Observed
    int portal_calls = 0;
    int oidc_calls = 0;
    std::vector<std::string> portal_targets;  // path?query as sent
    bool signed_request_seen = false;         // an Authorization header reached either service
    std::string problem;                      // the first malformed request, described
  };

  FakeSso()
      : server_([this](httplib::Server& s) {
          s.Get("/federation/credentials",
                [this](const httplib::Request& req, httplib::Response& res) { portal(req, res); });
          s.Post("/token",
                 [this](const httplib::Request& req, httplib::Response& res) { oidc(req, res); });
        }) {}

  std::string url() const { return server_.url(); }
  std::unique_lock<std::mutex> lock() { return std::unique_lock<std::mutex>(mutex_); }
  State& state() { return state_; }

 private:
  static void error(httplib::Response& res, int status, const std::string& type,
                    const std::string& message) {
    res.status = status;
    res.set_header("X-Amzn-ErrorType", type + ":http://internal.amazon.com/coral/");
    res.set_header("x-amzn-RequestId", "fake-sso-request-" + std::to_string(status));
    res.set_content(R"({"message":")" + message + "\"}", "application/json");
  }

  void portal(const httplib::Request& req, httplib::Response& res) {
    auto l = lock();
    ++state_.portal_calls;
    std::string target = req.path + "?";
    for (const auto& [name, value] : req.params) target += name + "=" + value + "&";
    state_.portal_targets.push_back(target);
    if (req.has_header("Authorization")) state_.signed_request_seen = true;
    if (req.get_param_value("account_id") != state_.account_id ||
        req.get_param_value("role_name") != state_.role_name) {
      return error(res, 403, "ForbiddenException", "No access");
    }
    if (req.get_header_value("x-amz-sso_bearer_token") != state_.accepted_token) {
      return error(res, 401, "UnauthorizedException", "Session token not found or invalid");
    }
    switch (state_.portal_status) {
      case 200:
        break;
      case 401:
        return error(res, 401, "UnauthorizedException", "Session token not found or invalid");
      case 403:
        return error(res, 403, "ForbiddenException", "No access");
      case 429:
        return error(res, 429, "TooManyRequestsException", "Rate exceeded");
      default:
        return error(res, state_.portal_status, "InternalServerException", "Internal failure");
    }
    if (!state_.portal_body.empty()) return res.set_content(state_.portal_body, "application/json");
    res.set_content(R"({"roleCredentials":{"accessKeyId":")" + state_.access_key_id +
                        R"(","secretAccessKey":")" + state_.secret_access_key +
                        R"(","sessionToken":")" + state_.session_token + R"(","expiration":)" +
                        std::to_string(state_.expiration_ms) + "}}",
                    "application/json");
  }

  void oidc(const httplib::Request& req, httplib::Response& res) {
    auto l = lock();
    ++state_.oidc_calls;
    if (req.has_header("Authorization")) state_.signed_request_seen = true;
    auto body = parse_json(req.body);
    auto field = [&](const char* name) -> std::string {
      if (body.HasParseError() || !body.IsObject()) return "<no JSON>";
      auto it = body.FindMember(name);
      return it != body.MemberEnd() && it->value.IsString() ? it->value.GetString() : "<absent>";
    };
    if (field("grantType") != "refresh_token" || field("clientId") != state_.client_id ||
        field("clientSecret") != state_.client_secret) {
      if (state_.problem.empty()) state_.problem = "CreateToken body: " + req.body;
      return error(res, 400, "InvalidClientException", "Invalid client");
    }
    if (state_.oidc_status != 200 || field("refreshToken") != state_.refresh_token) {
      res.status = 400;
      res.set_header("X-Amzn-ErrorType", "InvalidGrantException");
      res.set_content(R"({"error":"invalid_grant","error_description":"Invalid refresh token"})",
                      "application/json");
      return;
    }
    state_.accepted_token = state_.new_access_token;
    state_.refresh_token = state_.new_refresh_token;
    res.set_content(R"({"accessToken":")" + state_.new_access_token + R"(","expiresIn":)" +
                        std::to_string(state_.expires_in) + R"(,"refreshToken":")" +
                        state_.new_refresh_token + R"(","tokenType":"Bearer"})",
                    "application/json");
  }

  std::mutex mutex_;
  State state_;
  LoopbackServer server_;  // last: handlers use the members above
};

}  // namespace bedrock_lite::test
