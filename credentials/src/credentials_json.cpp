#include "credentials_json.h"

#include <bedrock_lite/internal/json.h>
#include <bedrock_lite/internal/text.h>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

namespace bedrock_lite::credentials::detail {
namespace {

Error protocol(const std::string& where, const std::string& what) {
  return make_error(ErrorKind::Protocol, where + ": " + what);
}

// RapidJSON's parser recurses once per nesting level: "[[[[..." filling the 64 KiB a document
// may have would overflow a small thread stack. A credentials document is one flat object;
// 32 levels leaves room for anything an endpoint adds.
constexpr std::size_t kMaxJsonDepth = 32;

}  // namespace

Result<Credentials> parse_credentials_document(std::string_view body, const std::string& where,
                                               const CredentialsDocument& shape,
                                               std::string source) {
  rapidjson::Document document;
  internal::JsonLimits limits;
  limits.max_depth = kMaxJsonDepth;
  if (auto parsed = internal::parse_json(document, body, limits); !parsed) {
    return protocol(where, "response is not JSON (" + parsed.error().message + ")");
  }
  if (!document.IsObject()) return protocol(where, "response is not a JSON object");

  auto string_member = [&](const char* name, bool required,
                           std::string& out) -> std::optional<Error> {
    auto it = document.FindMember(name);
    if (it == document.MemberEnd() || it->value.IsNull()) {
      if (required) return protocol(where, std::string("missing field '") + name + "'");
      return std::nullopt;
    }
    if (!it->value.IsString()) {
      return protocol(where, std::string("field '") + name + "' is not a string");
    }
    out.assign(it->value.GetString(), it->value.GetStringLength());
    if (required && out.empty()) {
      return protocol(where, std::string("field '") + name + "' is empty");
    }
    return std::nullopt;
  };

  if (shape.require_version_1) {
    auto it = document.FindMember("Version");
    if (it == document.MemberEnd()) return protocol(where, "missing field 'Version'");
    if (!it->value.IsInt() || it->value.GetInt() != 1) {
      return protocol(where, "field 'Version' must be 1");
    }
  }
  if (shape.check_code) {
    std::string code;
    if (auto error = string_member("Code", false, code)) return *error;
    if (!code.empty() && code != "Success") {
      std::string message;
      (void)string_member("Message", false, message);
      message = internal::one_line(message, 200);
      return protocol(where, "field 'Code' is '" + internal::one_line(code, 80) +
                                 "', not 'Success'" +
                                 (message.empty() ? "" : " (" + message + ")"));
    }
  }

  Credentials credentials;
  std::string secret, token, expiration;
  if (auto e = string_member("AccessKeyId", true, credentials.access_key_id)) return *e;
  if (auto e = string_member("SecretAccessKey", true, secret)) return *e;
  if (auto e = string_member(shape.session_token_member, shape.session_token_required, token)) {
    return *e;
  }
  if (auto e = string_member("Expiration", shape.expiration_required, expiration)) return *e;
  if (!expiration.empty()) {
    auto parsed = parse_iso8601(expiration);
    if (!parsed) {
      return protocol(where, "field 'Expiration' is not an ISO-8601 timestamp: '" +
                                 internal::one_line(expiration, 40) + "'");
    }
    credentials.expiration = *parsed;
  }
  if (auto e = string_member("AccountId", false, credentials.account_id)) return *e;
  credentials.secret_access_key = Secret(std::move(secret));
  credentials.session_token = Secret(std::move(token));
  credentials.source = std::move(source);
  return credentials;
}

}  // namespace bedrock_lite::credentials::detail
