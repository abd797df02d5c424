// Debian's libcpp-httplib is built with these; see fake_bedrock.cpp.
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT 1
#endif
#ifndef CPPHTTPLIB_ZLIB_SUPPORT
#define CPPHTTPLIB_ZLIB_SUPPORT 1
#endif
#ifndef CPPHTTPLIB_BROTLI_SUPPORT
#define CPPHTTPLIB_BROTLI_SUPPORT 1
#endif

#include "support/fake_sts.h"

#include "support/fixtures.h"
#include "support/loopback_server.h"
#include "support/sigv4_check.h"

#include <ctime>
#include <deque>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>

namespace bedrock_lite::test {
namespace {

std::string form_decode(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i] == '+' ? ' ' : text[i];
    }
  }
  return out;
}

std::map<std::string, std::string> parse_form(const std::string& body) {
  std::map<std::string, std::string> form;
  std::size_t start = 0;
  while (start <= body.size()) {
    auto end = body.find('&', start);
    if (end == std::string::npos) end = body.size();
    const std::string pair = body.substr(start, end - start);
    const auto eq = pair.find('=');
    if (!pair.empty()) {
      form[form_decode(pair.substr(0, eq))] =
          eq == std::string::npos ? "" : form_decode(pair.substr(eq + 1));
    }
    start = end + 1;
  }
  return form;
}

// Replaces the text of the first <tag>...</tag> in a fixture answer.
std::string with_member(std::string xml, const std::string& tag, const std::string& value) {
  const std::string open = "<" + tag + ">", close = "</" + tag + ">";
  const auto start = xml.find(open);
  const auto end = xml.find(close, start);
  if (start == std::string::npos || end == std::string::npos) return xml;
  return xml.replace(start + open.size(), end - start - open.size(), value);
}

std::string iso8601(std::chrono::system_clock::time_point time) {
  const std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

// Read on the server's threads, so without Catch's assertions (read_file's): a missing fixture
// gives an empty answer, which every test then notices.
std::string sts_fixture(const std::string& relative) {
  std::ifstream in(fixture_path("sts/" + relative), std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

// A queued answer (status, body, stall, headers); outside the anonymous namespace because State,
// which holds them, is not in it.
struct ScriptedStsAnswer {
  int status = 0;
  std::string body;
  std::chrono::milliseconds stall{0};
  FakeSts::Headers headers;
};

struct FakeSts::State {
  FakeStsOptions options;
  mutable std::mutex mutex;
  std::map<std::string, std::string> keys;    // accepted signing keys, issued ones included
  std::map<std::string, std::string> tokens;  // issued key id -> its session token
  std::deque<ScriptedStsAnswer> script;
  std::vector<StsRequest> seen;
  std::unique_ptr<LoopbackServer> server;

  void handle(const httplib::Request& req, httplib::Response& res) {
    StsRequest seen_request;
    seen_request.form = parse_form(req.body);
    seen_request.body = req.body;
    seen_request.action = seen_request.form["Action"];
    seen_request.signed_request = req.has_header("Authorization");
    seen_request.security_token = req.get_header_value("X-Amz-Security-Token");
    std::optional<ScriptedStsAnswer> scripted;
    std::map<std::string, std::string> accepted;
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (!script.empty()) {
        scripted = script.front();
        script.pop_front();
      }
      accepted = keys;
    }
    if (scripted && scripted->stall.count() > 0) {
      server->wait_until_stopping_for(scripted->stall);
      scripted = ScriptedStsAnswer{500, sts_fixture("errors/throttling.xml"), {}, {}};
    }
    if (scripted) {
      res.status = scripted->status;
      for (const auto& [name, value] : scripted->headers) res.set_header(name, value);
      res.set_content(scripted->body, "text/xml");
    } else {
      answer(req, accepted, seen_request, res);
    }
    seen_request.status = res.status;
    std::lock_guard<std::mutex> lock(mutex);
    seen.push_back(std::move(seen_request));
  }

  void refuse(httplib::Response& res, int status, const std::string& code,
              const std::string& message, StsRequest& seen_request) {
    seen_request.why = message;
    std::string xml = sts_fixture("errors/access-denied.xml");
    xml = with_member(with_member(xml, "Code", code), "Message", message);
    res.status = status;
    res.set_content(xml, "text/xml");
  }

  void answer(const httplib::Request& req, const std::map<std::string, std::string>& accepted,
              StsRequest& seen_request, httplib::Response& res) {
    const auto& form = seen_request.form;
    if (req.method != "POST" || req.path != "/" || form.count("Version") == 0 ||
        form.at("Version") != "2011-06-15") {
      return refuse(res, 400, "InvalidAction", "not a POST / of an STS 2011-06-15 form",
                    seen_request);
    }
    if (seen_request.action == "AssumeRoleWithWebIdentity") {
      if (seen_request.signed_request) {
        return refuse(res, 400, "InvalidRequest", "AssumeRoleWithWebIdentity must not be signed",
                      seen_request);
      }
      if (form.count("WebIdentityToken") == 0 || form.at("WebIdentityToken").empty()) {
        return refuse(res, 400, "InvalidIdentityToken", "no WebIdentityToken", seen_request);
      }
    } else if (seen_request.action == "AssumeRole") {
      ReceivedRequest received{req.method, req.target, req.body, [&req](const std::string& name) {
                                 std::vector<std::string> values;
                                 const auto count = req.get_header_value_count(name);
                                 for (std::size_t i = 0; i < count; ++i)
                                   values.push_back(req.get_header_value(name, i));
                                 return values;
                               }};
      const auto check = check_sigv4(received, accepted, options.region, "sts");
      seen_request.signer = check.access_key_id;
      seen_request.signature_valid = check.valid;
      if (!check.valid) {
        return refuse(res, 403, "SignatureDoesNotMatch", check.why, seen_request);
      }
      std::lock_guard<std::mutex> lock(mutex);
      const auto token = tokens.find(check.access_key_id);
      if (token != tokens.end() && token->second != seen_request.security_token) {
        return refuse(res, 403, "InvalidClientTokenId",
                      "the security token included in the request is invalid", seen_request);
      }
    } else {
      return refuse(res, 400, "InvalidAction", "unknown action", seen_request);
    }
    const std::string role_arn = form.count("RoleArn") ? form.at("RoleArn") : "";
    const auto role = options.roles.find(role_arn);
    if (role == options.roles.end()) {
      return refuse(res, 403, "AccessDenied", "not authorized to assume " + role_arn, seen_request);
    }
    {
      std::lock_guard<std::mutex> lock(mutex);
      keys[role->second.access_key_id] = role->second.secret_access_key;
      tokens[role->second.access_key_id] = role->second.session_token;
    }
    const bool web = seen_request.action == "AssumeRoleWithWebIdentity";
    std::string xml =
        sts_fixture(web ? "answers/assume-role-with-web-identity.xml" : "answers/assume-role.xml");
    const std::string session = form.count("RoleSessionName") ? form.at("RoleSessionName") : "";
    const std::string account = role_arn.size() > 25 ? role_arn.substr(13, 12) : "123456789012";
    xml = with_member(xml, "AccessKeyId", role->second.access_key_id);
    xml = with_member(xml, "SecretAccessKey", role->second.secret_access_key);
    xml = with_member(xml, "SessionToken", role->second.session_token);
    xml = with_member(xml, "Expiration", iso8601(options.clock() + options.lifetime));
    xml = with_member(xml, "Arn",
                      "arn:aws:sts::" + account + ":assumed-role/" +
                          role_arn.substr(role_arn.rfind('/') + 1) + "/" + session);
    res.status = 200;
    res.set_content(xml, "text/xml");
  }
};

FakeSts::FakeSts(FakeStsOptions options) : state_(std::make_unique<State>()) {
  state_->options = std::move(options);
  state_->keys = state_->options.keys;
  State* state = state_.get();
  state_->server = std::make_unique<LoopbackServer>([state](httplib::Server& server) {
    server.Post(".*", [state](const httplib::Request& req, httplib::Response& res) {
      state->handle(req, res);
    });
    server.Get(".*", [state](const httplib::Request& req, httplib::Response& res) {
      state->handle(req, res);
    });
  });
}

FakeSts::~FakeSts() {
  state_->server.reset();
}

std::string FakeSts::url() const {
  return state_->server->url();
}

void FakeSts::push_error(int status, const std::string& file, Headers headers) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->script.push_back({status, sts_fixture("errors/" + file), {}, std::move(headers)});
}

void FakeSts::push_raw(int status, std::string body, Headers headers) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->script.push_back({status, std::move(body), {}, std::move(headers)});
}

void FakeSts::push_stall(std::chrono::milliseconds pause) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->script.push_back({0, {}, pause, {}});
}

std::vector<StsRequest> FakeSts::requests() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->seen;
}

}  // namespace bedrock_lite::test
