// IAM Identity Center (SSO) credentials, as botocore's SSOProvider and SSOTokenProvider
// (botocore/credentials.py, botocore/tokens.py) and the JS v3 credential-provider-sso and
// token-providers resolve them: the profile names an account and a role, the AWS CLI's
// `aws sso login` left an access token in ~/.aws/sso/cache, the SSO portal's GetRoleCredentials
// trades it for role credentials. A token about to expire is refreshed through SSO OIDC's
// CreateToken and written back for the AWS CLI to share — something aws-c-auth does not do.
#include "profile_sources.h"
#include "provider_internals.h"
#include "token_cache.h"
#include "token_crypto.h"
#include "token_services.h"

#include <cctype>
#include <cstdint>

namespace bedrock_lite::credentials::detail {
namespace {

// What a profile says about SSO, after merging the [sso-session] section.
struct SsoSettings {
  std::string profile;
  std::string session;  // empty for the legacy form
  std::string start_url;
  std::string region;
  std::string account_id;
  std::string role_name;

  // The cache file is named after the session name, or the start URL in the legacy form.
  const std::string& cache_key() const { return session.empty() ? start_url : session; }
  std::string source() const { return "sso:" + (session.empty() ? profile : session); }
  std::string login_hint() const {
    return "run `aws sso login " +
           (session.empty() ? "--profile " + profile : "--sso-session " + session) + "`";
  }
};

Error config_error(const std::string& message) {
  return make_error(ErrorKind::Config, message);
}

// One of sso_start_url / sso_region: from the session section, the profile, or both when they
// agree (botocore refuses a profile and session that disagree).
Result<std::string> merged_value(const ProfileSection& section, const ProfileSection* session,
                                 const std::string& profile, const char* key) {
  const ProfileProperty* own = section.find(key);
  const ProfileProperty* shared = session == nullptr ? nullptr : session->find(key);
  if (own != nullptr && shared != nullptr && own->value != shared->value) {
    return config_error(own->where() + ": profile '" + profile + "' sets " + key + " = " +
                        own->value + ", but [sso-session " + session->name + "] (" +
                        shared->where() + ") sets " + shared->value + "; they must agree");
  }
  if (shared != nullptr) return shared->value;
  if (own != nullptr) return own->value;
  return std::string();
}

Result<SsoSettings> sso_settings(const SharedConfig& config, const std::string& profile,
                                 const ProfileSection& section) {
  SsoSettings settings;
  settings.profile = profile;
  const ProfileSection* session = nullptr;
  if (const ProfileProperty* name = section.find("sso_session")) {
    settings.session = name->value;
    session = config.sso_session(name->value);
    if (session == nullptr) {
      return config_error(name->where() + ": profile '" + profile + "' names sso_session '" +
                          name->value + "', but there is no [sso-session " + name->value +
                          "] section in " + config.describe_files());
    }
  }
  auto start_url = merged_value(section, session, profile, "sso_start_url");
  if (!start_url) return std::move(start_url).error();
  auto region = merged_value(section, session, profile, "sso_region");
  if (!region) return std::move(region).error();
  settings.start_url = *start_url;
  settings.region = *region;
  if (const ProfileProperty* account = section.find("sso_account_id")) {
    settings.account_id = account->value;
  }
  if (const ProfileProperty* role = section.find("sso_role_name")) {
    settings.role_name = role->value;
  }
  std::string missing;
  const std::pair<const char*, const std::string*> required[] = {
      {"sso_start_url", &settings.start_url},
      {"sso_region", &settings.region},
      {"sso_account_id", &settings.account_id},
      {"sso_role_name", &settings.role_name}};
  for (const auto& [key, value] : required) {
    if (value->empty()) missing += (missing.empty() ? "" : ", ") + std::string(key);
  }
  if (!missing.empty()) {
    return config_error(
        "profile '" + profile + "' is configured for SSO but is missing " + missing +
        (session != nullptr ? " (profile or [sso-session " + session->name + "])" : ""));
  }
  return settings;
}

std::string percent_encode(std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0x0F];
    }
  }
  return out;
}

// Everything one resolve() needs: the world and the settings.
struct SsoCall {
  const ProviderContext& context;
  const SharedConfig& config;
  const SsoSettings& settings;
};

// SSO OIDC CreateToken with the refresh token; on success the cache document is updated in
// place (accessToken, expiresAt, refreshToken) and its new access token returned.
Result<Secret> create_token(const SsoCall& call, rapidjson::Document& cache, TimePoint now) {
  const auto endpoint = service_endpoint(
      call.context.environment, call.config, call.settings.profile, "SSO_OIDC", "sso_oidc",
      "https://oidc." + call.settings.region + "." + dns_suffix(call.settings.region));
  const std::string what = "SSO OIDC CreateToken at " + endpoint.url;
  log(call.context.log, LogLevel::Debug,
      "credentials: " + call.settings.source() + ": refreshing the SSO token through " +
          endpoint.url + " (endpoint from " + endpoint.source + ")");
  rapidjson::Document body(rapidjson::kObjectType);
  set_string_member(body, body, "clientId", string_member(cache, "clientId").value_or(""));
  set_string_member(body, body, "clientSecret", string_member(cache, "clientSecret").value_or(""));
  set_string_member(body, body, "grantType", "refresh_token");
  set_string_member(body, body, "refreshToken", string_member(cache, "refreshToken").value_or(""));
  http::Request request;
  request.method = "POST";
  request.url = endpoint.url + "/token";
  request.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  auto text = render_json_object(body, what, ErrorKind::Config);
  if (!text) return std::move(text).error();
  request.body = std::move(text).value();
  auto response = call_token_service(*call.context.transport, std::move(request), what);
  if (!response) return std::move(response).error();
  auto answer = parse_json_object(response->body, what, ErrorKind::Protocol);
  if (!answer) return std::move(answer).error();
  auto token = string_member(*answer, "accessToken");
  auto expires_in = answer->FindMember("expiresIn");
  if (!token || token->empty() || expires_in == answer->MemberEnd() ||
      !expires_in->value.IsInt64() || expires_in->value.GetInt64() <= 0) {
    return make_error(ErrorKind::Protocol,
                      what + ": answer lacks accessToken or a positive expiresIn");
  }
  const auto expires_at = now + std::chrono::seconds(expires_in->value.GetInt64());
  set_string_member(cache, cache, "accessToken", *token);
  set_string_member(cache, cache, "expiresAt", format_iso8601(expires_at));
  if (auto refresh = string_member(*answer, "refreshToken")) {
    set_string_member(cache, cache, "refreshToken", *refresh);
  }
  return Secret(std::move(*token));
}

// The refresh condition of botocore's SSOTokenProvider: the registration (client id and secret)
// is still valid and a refresh token is there.
bool can_refresh(const rapidjson::Document& cache, TimePoint now) {
  const auto registration =
      parse_cache_time(string_member(cache, "registrationExpiresAt").value_or(""));
  return string_member(cache, "clientId") && string_member(cache, "clientSecret") &&
         string_member(cache, "refreshToken") && registration && now < *registration;
}

// The access token from the cache, refreshed first when it is within the refresh window.
Result<Secret> sso_token(const SsoCall& call) {
  const auto home = call.context.environment.home();
  if (!home) {
    return make_error(
        ErrorKind::NoCredentials,
        "no home directory (HOME) to find the SSO token cache in; " + call.settings.login_hint());
  }
  const std::string path =
      *home + "/.aws/sso/cache/" + sha1_hex(call.settings.cache_key()) + ".json";
  log(call.context.log, LogLevel::Debug,
      "credentials: " + call.settings.source() + ": SSO token cache " + path);
  auto loaded = read_json_cache(path);
  if (!loaded) return std::move(loaded).error();
  if (!loaded->has_value()) {
    return make_error(ErrorKind::NoCredentials, "no SSO token in " + path + " for " +
                                                    call.settings.source() + "; " +
                                                    call.settings.login_hint());
  }
  rapidjson::Document& cache = **loaded;
  auto token = string_member(cache, "accessToken");
  const auto expires_at = parse_cache_time(string_member(cache, "expiresAt").value_or(""));
  if (!token || token->empty() || !expires_at) {
    return make_error(ErrorKind::NoCredentials, path + ": no accessToken with a valid expiresAt; " +
                                                    call.settings.login_hint());
  }
  const TimePoint now = call.context.clock();
  if (now < *expires_at - kTokenRefreshWindow) return Secret(std::move(*token));
  const std::string expired_at = format_iso8601(*expires_at);
  std::string refresh_failure;
  if (can_refresh(cache, now)) {
    auto refreshed = create_token(call, cache, now);
    if (refreshed) {
      if (auto written = write_json_cache(path, cache); !written) {
        log(call.context.log, LogLevel::Warn,
            "credentials: " + call.settings.source() +
                ": the refreshed SSO token is used but could not be saved: " +
                written.error().message);
      }
      return refreshed;
    }
    refresh_failure = refreshed.error().to_string();
    if (now < *expires_at) {
      log(call.context.log, LogLevel::Warn,
          "credentials: " + call.settings.source() + ": SSO token refresh failed (" +
              refresh_failure + "); using the current token until " + expired_at);
    }
  }
  if (now < *expires_at) return Secret(std::move(*token));
  return make_error(
      ErrorKind::NoCredentials,
      "the SSO token for " + call.settings.source() + " (" + path + ") expired at " + expired_at +
          (refresh_failure.empty() ? "" : " and could not be refreshed (" + refresh_failure + ")") +
          "; " + call.settings.login_hint());
}

Result<Credentials> parse_role_credentials(const std::string& body, const std::string& what,
                                           const SsoSettings& settings) {
  auto document = parse_json_object(body, what, ErrorKind::Protocol);
  if (!document) return std::move(document).error();
  auto role = document->FindMember("roleCredentials");
  if (role == document->MemberEnd() || !role->value.IsObject()) {
    return make_error(ErrorKind::Protocol, what + ": answer has no roleCredentials object");
  }
  Credentials credentials;
  auto id = string_member(role->value, "accessKeyId");
  auto secret = string_member(role->value, "secretAccessKey");
  auto token = string_member(role->value, "sessionToken");
  auto expiration = role->value.FindMember("expiration");
  if (!id || id->empty() || !secret || secret->empty() || !token ||
      expiration == role->value.MemberEnd() || !expiration->value.IsInt64()) {
    return make_error(ErrorKind::Protocol,
                      what +
                          ": roleCredentials lacks accessKeyId, secretAccessKey, "
                          "sessionToken or a numeric expiration");
  }
  // GetRoleCredentials gives the expiration in epoch MILLISECONDS. Bound it like parse_iso8601
  // bounds years, so adding refresh windows cannot overflow.
  const std::int64_t millis = expiration->value.GetInt64();
  if (millis <= 0 || millis > std::int64_t{9'000'000'000'000'000} / 1000) {
    return make_error(ErrorKind::Protocol, what + ": roleCredentials expiration out of range");
  }
  credentials.access_key_id = std::move(*id);
  credentials.secret_access_key = Secret(std::move(*secret));
  credentials.session_token = Secret(std::move(*token));
  credentials.expiration = TimePoint(std::chrono::milliseconds(millis));
  credentials.account_id = settings.account_id;
  credentials.source = settings.source();
  return credentials;
}

// The SSO portal's GetRoleCredentials: unsigned, the token in x-amz-sso_bearer_token.
Result<Credentials> get_role_credentials(const SsoCall& call, const Secret& token) {
  const SsoSettings& settings = call.settings;
  const auto endpoint =
      service_endpoint(call.context.environment, call.config, settings.profile, "SSO", "sso",
                       "https://portal.sso." + settings.region + "." + dns_suffix(settings.region));
  const std::string what = "SSO GetRoleCredentials at " + endpoint.url;
  log(call.context.log, LogLevel::Debug,
      "credentials: " + settings.source() + ": GetRoleCredentials for account " +
          settings.account_id + ", role " + settings.role_name + " from " + endpoint.url +
          " (endpoint from " + endpoint.source + ")");
  http::Request request;
  request.method = "GET";
  request.url = endpoint.url +
                "/federation/credentials?role_name=" + percent_encode(settings.role_name) +
                "&account_id=" + percent_encode(settings.account_id);
  request.headers = {{"x-amz-sso_bearer_token", token.reveal()}, {"Accept", "application/json"}};
  auto response = call_token_service(*call.context.transport, std::move(request), what);
  if (!response) {
    Error error = std::move(response).error();
    if (error.kind == ErrorKind::Service && error.http_status == 401) {
      // The portal no longer accepts the token (signed out, revoked): only a new login helps.
      error.message += "; " + settings.login_hint();
    }
    return error;
  }
  return parse_role_credentials(response->body, what, settings);
}

}  // namespace

http::Timeouts token_service_timeouts() {
  http::Timeouts timeouts;
  timeouts.connect = std::chrono::seconds(10);
  timeouts.stall = std::chrono::seconds(30);
  timeouts.total = std::chrono::seconds(60);
  return timeouts;
}

std::optional<TimePoint> parse_cache_time(const std::string& text) {
  std::string normalized = text;
  if (normalized.size() > 3 && normalized.compare(normalized.size() - 3, 3, "UTC") == 0) {
    normalized.replace(normalized.size() - 3, 3, "Z");
  }
  if (auto parsed = parse_iso8601(normalized)) return parsed;
  // Well formed but beyond a TimePoint (parse_iso8601 refuses those): treat as "far future".
  if (normalized.size() >= 4 && normalized.compare(0, 4, "2262") > 0 &&
      parse_iso8601("2000" + normalized.substr(4))) {
    return TimePoint::max() - std::chrono::hours(24 * 366);
  }
  return std::nullopt;
}

std::optional<Result<Credentials>> resolve_sso(const ProviderContext& context,
                                               const SharedConfig& config,
                                               const std::string& profile,
                                               const ProfileSection& section) {
  bool configured = false;
  for (const char* key :
       {"sso_session", "sso_start_url", "sso_region", "sso_account_id", "sso_role_name"}) {
    configured = configured || section.find(key) != nullptr;
  }
  if (!configured) return std::nullopt;
  auto settings = sso_settings(config, profile, section);
  if (!settings) return Result<Credentials>(std::move(settings).error());
  log(context.log, LogLevel::Debug,
      "credentials: " + settings->source() + ": profile '" + profile + "'" +
          (settings->session.empty() ? " (legacy SSO form)"
                                     : " uses sso-session '" + settings->session + "'") +
          ", start URL " + settings->start_url + ", SSO region " + settings->region + ", account " +
          settings->account_id + ", role " + settings->role_name);
  if (!context.transport) {
    return Result<Credentials>(
        config_error("profile '" + profile + "' uses SSO but no HTTP transport was given"));
  }
  const SsoCall call{context, config, *settings};
  auto token = sso_token(call);
  if (!token) return Result<Credentials>(std::move(token).error());
  return get_role_credentials(call, *token);
}

}  // namespace bedrock_lite::credentials::detail
