// `aws login` console credentials (AWS CLI >= 2.32), as botocore's login provider and the Rust
// SDK's LoginCredentialsProvider resolve them: `aws login` leaves credentials, a refresh token
// and a P-256 key in ~/.aws/login/cache/<sha256 of the session>.json; the credentials are used
// until 5 minutes before they expire, then the sign-in service's CreateOAuth2Token
// (POST /v1/token, with a DPoP proof signed by that key) gives new ones, which are written back
// for the AWS CLI to share. The cases in fixtures/login-provider/ drive the tests.
#include "profile_sources.h"
#include "provider_internals.h"
#include "token_cache.h"
#include "token_crypto.h"

#include <bedrock_lite/internal/text.h>
#include "token_services.h"

namespace bedrock_lite::credentials::detail {
namespace {

std::string trimmed(const std::string& text) {
  return std::string(internal::trim(text, internal::kBlanksAndLineEnds));
}

struct LoginCall {
  const ProviderContext& context;
  const SharedConfig& config;
  std::string profile;
  std::string session;
  std::string path;  // the cache file

  std::string source() const { return "login:" + profile; }
  std::string login_hint() const { return "run `aws login --profile " + profile + "`"; }
};

// The cache file's members this provider needs; the document keeps every member for write-back.
struct LoginCache {
  Credentials credentials;
  std::string client_id;
  Secret refresh_token;
  Secret dpop_key;
};

Result<LoginCache> read_login_cache(const LoginCall& call, const rapidjson::Document& cache) {
  auto missing = [&](const std::string& member) {
    return make_error(ErrorKind::Config, call.path + ": the `aws login` cache has no " + member +
                                             "; " + call.login_hint());
  };
  auto access = cache.FindMember("accessToken");
  if (access == cache.MemberEnd() || !access->value.IsObject()) return missing("accessToken");
  LoginCache out;
  const char* names[] = {"accessKeyId", "secretAccessKey", "sessionToken", "accountId",
                         "expiresAt"};
  std::string values[5];
  for (int i = 0; i < 5; ++i) {
    auto value = string_member(access->value, names[i]);
    if (!value || value->empty()) return missing(std::string("accessToken.") + names[i]);
    values[i] = std::move(*value);
  }
  const auto expires_at = parse_cache_time(values[4]);
  if (!expires_at) return missing("valid accessToken.expiresAt");
  auto client_id = string_member(cache, "clientId");
  auto refresh_token = string_member(cache, "refreshToken");
  auto dpop_key = string_member(cache, "dpopKey");
  if (!client_id || client_id->empty()) return missing("clientId");
  if (!refresh_token || refresh_token->empty()) return missing("refreshToken");
  if (!dpop_key || dpop_key->empty()) return missing("dpopKey");
  out.credentials.access_key_id = std::move(values[0]);
  out.credentials.secret_access_key = Secret(std::move(values[1]));
  out.credentials.session_token = Secret(std::move(values[2]));
  out.credentials.account_id = std::move(values[3]);
  out.credentials.expiration = *expires_at;
  out.credentials.source = call.source();
  out.client_id = std::move(*client_id);
  out.refresh_token = Secret(std::move(*refresh_token));
  out.dpop_key = Secret(std::move(*dpop_key));
  return out;
}

// What the sign-in service's OAuth2 error codes mean to the user (the Rust SDK's wording).
std::string refresh_advice(const Error& error, const LoginCall& call) {
  if (error.aws_type == "AccessDeniedException" || error.http_status == 401 ||
      error.http_status == 403) {
    return "; the console session can no longer be refreshed (expired, password changed or "
           "missing signin:CreateOAuth2Token permission); " +
           call.login_hint();
  }
  return {};
}

Result<std::string> signin_url(const LoginCall& call) {
  auto region = resolve_region(std::nullopt, call.context.environment, call.config, call.profile);
  if (!region) {
    Error error = std::move(region).error();
    error.message = "refreshing `aws login` credentials needs a region: " + error.message;
    return error;
  }
  const std::string suffix =
      region->name.rfind("cn-", 0) == 0 ? ".signin.amazonaws.cn" : ".signin.aws.amazon.com";
  const auto endpoint = service_endpoint(call.context.environment, call.config, call.profile,
                                         "SIGNIN", "signin", "https://" + region->name + suffix);
  log(call.context.log, LogLevel::Debug,
      "credentials: " + call.source() + ": refreshing through the sign-in service at " +
          endpoint.url + " (endpoint from " + endpoint.source + ", region " + region->name +
          " from " + region->source + ")");
  return endpoint.url + "/v1/token";
}

// The new accessToken of a CreateOAuth2Token answer, written into `cache` (accountId kept,
// expiresAt = now + expiresIn, refreshToken replaced).
Result<Credentials> apply_token_output(const LoginCall& call, const std::string& body,
                                       const std::string& what, rapidjson::Document& cache,
                                       TimePoint now, const std::string& account_id) {
  auto answer = parse_json_object(body, what, ErrorKind::Protocol);
  if (!answer) return std::move(answer).error();
  auto access = answer->FindMember("accessToken");
  auto expires_in = answer->FindMember("expiresIn");
  if (access == answer->MemberEnd() || !access->value.IsObject() ||
      expires_in == answer->MemberEnd() || !expires_in->value.IsInt64() ||
      expires_in->value.GetInt64() <= 0) {
    return make_error(ErrorKind::Protocol,
                      what + ": answer lacks an accessToken object or a positive expiresIn");
  }
  auto id = string_member(access->value, "accessKeyId");
  auto secret = string_member(access->value, "secretAccessKey");
  auto token = string_member(access->value, "sessionToken");
  if (!id || id->empty() || !secret || secret->empty() || !token || token->empty()) {
    return make_error(ErrorKind::Protocol, what +
                                               ": accessToken lacks accessKeyId, "
                                               "secretAccessKey or sessionToken");
  }
  const TimePoint expires_at = now + std::chrono::seconds(expires_in->value.GetInt64());
  rapidjson::Value& cached = cache["accessToken"];
  set_string_member(cache, cached, "accessKeyId", *id);
  set_string_member(cache, cached, "secretAccessKey", *secret);
  set_string_member(cache, cached, "sessionToken", *token);
  set_string_member(cache, cached, "expiresAt", format_iso8601(expires_at));
  if (auto refresh = string_member(*answer, "refreshToken"); refresh && !refresh->empty()) {
    set_string_member(cache, cache, "refreshToken", *refresh);
  }
  Credentials credentials;
  credentials.access_key_id = std::move(*id);
  credentials.secret_access_key = Secret(std::move(*secret));
  credentials.session_token = Secret(std::move(*token));
  credentials.expiration = expires_at;
  credentials.account_id = account_id;
  credentials.source = call.source();
  return credentials;
}

// CreateOAuth2Token with the refresh token and a DPoP proof; updates `cache` on success.
Result<Credentials> refresh(const LoginCall& call, const LoginCache& held,
                            rapidjson::Document& cache, TimePoint now) {
  if (!call.context.transport) {
    return make_error(
        ErrorKind::Config,
        "profile '" + call.profile + "' uses login_session but no HTTP transport was given");
  }
  auto url = signin_url(call);
  if (!url) return std::move(url).error();
  const std::string what = "sign-in CreateOAuth2Token at " + *url;
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  auto proof = dpop_proof(held.dpop_key, "POST", *url, seconds);
  if (!proof) {
    Error error = std::move(proof).error();
    error.message = call.path + ": " + error.message;
    return error;
  }
  rapidjson::Document body(rapidjson::kObjectType);
  set_string_member(body, body, "clientId", held.client_id);
  set_string_member(body, body, "grantType", "refresh_token");
  set_string_member(body, body, "refreshToken", held.refresh_token.reveal());
  http::Request request;
  request.method = "POST";
  request.url = *url;
  request.headers = {
      {"Content-Type", "application/json"}, {"Accept", "application/json"}, {"DPoP", *proof}};
  auto text = render_json_object(body, what, ErrorKind::Config);
  if (!text) return std::move(text).error();
  request.body = std::move(text).value();
  auto response = call_token_service(*call.context.transport, std::move(request), what);
  if (!response) {
    Error error = std::move(response).error();
    if (error.kind == ErrorKind::Service) error.message += refresh_advice(error, call);
    return error;
  }
  return apply_token_output(call, response->body, what, cache, now, held.credentials.account_id);
}

Result<Credentials> login_credentials(const LoginCall& call) {
  auto loaded = read_json_cache(call.path);
  if (!loaded) return std::move(loaded).error();
  if (!loaded->has_value()) {
    return make_error(ErrorKind::NoCredentials, "no `aws login` session cache at " + call.path +
                                                    " for login_session '" + call.session + "'; " +
                                                    call.login_hint());
  }
  rapidjson::Document& cache = **loaded;
  auto held = read_login_cache(call, cache);
  if (!held) return std::move(held).error();
  const TimePoint now = call.context.clock();
  const TimePoint expires_at = *held->credentials.expiration;
  if (now < expires_at - kTokenRefreshWindow) return held->credentials;
  auto refreshed = refresh(call, *held, cache, now);
  if (!refreshed) {
    if (now < expires_at) {
      log(call.context.log, LogLevel::Warn,
          "credentials: " + call.source() + ": refresh failed (" + refreshed.error().to_string() +
              "); using the cached credentials until " + format_iso8601(expires_at));
      return held->credentials;
    }
    return refreshed;
  }
  if (auto written = write_json_cache(call.path, cache); !written) {
    log(call.context.log, LogLevel::Warn,
        "credentials: " + call.source() +
            ": the refreshed credentials are used but could not be saved: " +
            written.error().message);
  }
  return refreshed;
}

}  // namespace

std::optional<Result<Credentials>> resolve_login(const ProviderContext& context,
                                                 const SharedConfig& config,
                                                 const std::string& profile,
                                                 const ProfileSection& section) {
  const ProfileProperty* property = section.find("login_session");
  if (property == nullptr) return std::nullopt;
  LoginCall call{context, config, profile, trimmed(property->value), {}};
  if (call.session.empty()) {
    return Result<Credentials>(
        make_error(ErrorKind::Config, property->where() + ": login_session is empty"));
  }
  std::string folder;
  if (auto configured = context.environment.get_non_empty("AWS_LOGIN_CACHE_DIRECTORY")) {
    folder = context.environment.expand_home(*configured);
  } else if (auto home = context.environment.home()) {
    folder = *home + "/.aws/login/cache";
  } else {
    return Result<Credentials>(
        make_error(ErrorKind::NoCredentials,
                   "no home directory (HOME) to find the `aws login` cache in; "
                   "set AWS_LOGIN_CACHE_DIRECTORY"));
  }
  while (folder.size() > 1 && folder.back() == '/') folder.pop_back();
  call.path = folder + "/" + sha256_hex(call.session) + ".json";
  log(context.log, LogLevel::Debug,
      "credentials: " + call.source() + ": login_session '" + call.session + "' (" +
          property->where() + "), cache " + call.path);
  return login_credentials(call);
}

}  // namespace bedrock_lite::credentials::detail
