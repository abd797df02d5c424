// What the SSO and `aws login` providers share about the services they call (the SSO portal,
// SSO OIDC, the sign-in service): where each endpoint comes from, and how a JSON error answer
// becomes a typed Error.
#pragma once

#include <bedrock_lite/credentials.h>

#include <string>
#include <string_view>

namespace bedrock_lite::credentials::detail {

// An endpoint and where it came from, for --debug.
struct ServiceEndpoint {
  std::string url;  // no trailing '/'
  std::string source;
};

// The configured endpoint of a service, in the SDKs' order (as converse resolves Bedrock's):
// AWS_ENDPOINT_URL_<env_suffix>, AWS_ENDPOINT_URL, the profile's `services` section
// `<service_key> = endpoint_url`, the profile's `endpoint_url` — all skipped when
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS / ignore_configured_endpoint_urls is true — else
// `default_url`.
ServiceEndpoint service_endpoint(const Environment& environment, const SharedConfig& config,
                                 const std::string& profile, std::string_view env_suffix,
                                 std::string_view service_key, std::string default_url);

// "amazonaws.com", or "amazonaws.com.cn" for the China regions.
std::string dns_suffix(std::string_view region);

// A restJson1 error answer as an Error of kind Service: the type from X-Amzn-ErrorType or the
// body's `__type` (namespace and ':' suffix cut) or OAuth's `error`; the message from
// `message` / `Message` / `error_description` (one line, at most 200 characters); the status,
// the request id; retryable for 429 and 5xx. `what` names the call and endpoint.
Error service_error(const http::Response& response, const std::string& what);

// Sends `request` to a token service with the token services' timeouts and a bounded answer.
// The answer when its status is 200; otherwise the transport's error or service_error(), each
// message starting with `what`.
Result<http::Response> call_token_service(http::Transport& transport, http::Request request,
                                          const std::string& what);

}  // namespace bedrock_lite::credentials::detail
