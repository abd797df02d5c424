#include "token_services.h"

#include "profile_sources.h"
#include "provider_internals.h"
#include "token_cache.h"

#include <bedrock_lite/internal/text.h>

namespace bedrock_lite::credentials::detail {
namespace {

// The most of an SSO or sign-in service's error type or message an error quotes.
constexpr std::size_t kMaxQuotedBytes = 200;

bool is_true_text(const std::string& value) {
  return internal::iequals(value, "true");
}

std::string without_trailing_slash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// "com.amazonaws.switchboard.portal#UnauthorizedException:http://..." -> "UnauthorizedException"
std::string bare_type(std::string type) {
  if (auto colon = type.find(':'); colon != std::string::npos) type.resize(colon);
  if (auto hash = type.rfind('#'); hash != std::string::npos) type = type.substr(hash + 1);
  return type;
}

}  // namespace

std::string dns_suffix(std::string_view region) {
  return region.rfind("cn-", 0) == 0 ? "amazonaws.com.cn" : "amazonaws.com";
}

ServiceEndpoint service_endpoint(const Environment& environment, const SharedConfig& config,
                                 const std::string& profile, std::string_view env_suffix,
                                 std::string_view service_key, std::string default_url) {
  const ProfileProperty* ignore = config.get(profile, "ignore_configured_endpoint_urls");
  if (!environment.is_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") &&
      !(ignore != nullptr && is_true_text(ignore->value))) {
    const std::string service_variable = "AWS_ENDPOINT_URL_" + std::string(env_suffix);
    if (auto value = environment.get_non_empty(service_variable)) {
      return {without_trailing_slash(*value), service_variable};
    }
    if (auto value = environment.get_non_empty("AWS_ENDPOINT_URL")) {
      return {without_trailing_slash(*value), "AWS_ENDPOINT_URL"};
    }
    if (auto value = config.service_get(profile, service_key, "endpoint_url")) {
      return {without_trailing_slash(*value),
              "profile " + profile + " services " + std::string(service_key) + " endpoint_url"};
    }
    if (const ProfileProperty* value = config.get(profile, "endpoint_url")) {
      return {without_trailing_slash(value->value),
              "profile " + profile + " endpoint_url (" + value->where() + ")"};
    }
  }
  return {std::move(default_url), "default"};
}

Error service_error(const http::Response& response, const std::string& what) {
  std::string type;
  if (const std::string* header = http::find_header(response.headers, "x-amzn-errortype")) {
    type = bare_type(*header);
  }
  std::string message;
  auto document = parse_json_object(response.body, what, ErrorKind::Protocol);
  if (document) {
    if (type.empty()) type = bare_type(string_member(*document, "__type").value_or(""));
    if (type.empty()) type = string_member(*document, "error").value_or("");
    for (const char* name : {"message", "Message", "error_description"}) {
      if (auto text = string_member(*document, name)) {
        message = *text;
        break;
      }
    }
  }
  Error error;
  error.kind = ErrorKind::Service;
  error.aws_type = internal::one_line(type, kMaxQuotedBytes);
  error.http_status = response.status;
  error.message = what + " answered HTTP " + std::to_string(response.status) +
                  (message.empty() ? "" : ": " + internal::one_line(message, kMaxQuotedBytes));
  if (const std::string* id = http::find_header(response.headers, "x-amzn-requestid")) {
    error.request_id = *id;
  }
  error.retryable = response.status == 429 || response.status >= 500;
  return error;
}

Result<http::Response> call_token_service(http::Transport& transport, http::Request request,
                                          const std::string& what) {
  request.timeouts = token_service_timeouts();
  auto response = fetch_small(transport, request, kMaxTokenDocumentBytes);
  if (!response) {
    Error error = std::move(response).error();
    error.message = what + ": " + error.message;
    return error;
  }
  if (response->status != 200) return service_error(*response, what);
  return response;
}

}  // namespace bedrock_lite::credentials::detail
