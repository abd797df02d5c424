// Container credentials (docs/wire-protocol.md §5.5): ECS task roles, EKS Pod Identity, any local
// HTTP helper.
#include <bedrock_lite/credentials.h>

#include "credentials_json.h"
#include "file_reading.h"
#include "provider_internals.h"

#include <bedrock_lite/internal/text.h>

#include <cctype>
#include <thread>

namespace bedrock_lite::credentials {
namespace {

// The host part of an absolute URL, lower-cased, IPv6 brackets kept ("[::1]").
std::string url_host(const std::string& url, std::string& scheme) {
  auto colon = url.find("://");
  if (colon == std::string::npos) return {};
  scheme = internal::lower(url.substr(0, colon));
  std::string rest = url.substr(colon + 3);
  auto end = rest.find_first_of("/?#");
  std::string authority = rest.substr(0, end);
  auto at = authority.rfind('@');
  if (at != std::string::npos) authority = authority.substr(at + 1);
  std::string host;
  if (!authority.empty() && authority[0] == '[') {
    host = authority.substr(0, authority.find(']') + 1);
  } else {
    host = authority.substr(0, authority.find(':'));
  }
  return internal::lower(host);
}

bool is_loopback_v4(const std::string& host) {
  // 127.0.0.0/8 written as a dotted quad.
  if (host.rfind("127.", 0) != 0) return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.')
      ++dots;
    else if (!std::isdigit(static_cast<unsigned char>(c)))
      return false;
  }
  return dots == 3;
}

// botocore ContainerMetadataFetcher: https anywhere; plain http only to loopback or the ECS /
// EKS Pod Identity link-local hosts, so a stray variable cannot send the token elsewhere.
bool full_uri_allowed(const std::string& url, std::string& host) {
  std::string scheme;
  host = url_host(url, scheme);
  if (host.empty()) return false;
  if (scheme == "https") return true;
  if (scheme != "http") return false;
  return is_loopback_v4(host) || host == "localhost" || host == "[::1]" ||
         host == "169.254.170.2" || host == "169.254.170.23" || host == "[fd00:ec2::23]";
}

class ContainerProvider final : public CredentialsProvider {
 public:
  explicit ContainerProvider(ProviderContext context) : context_(std::move(context)) {}

  Result<Credentials> resolve() override {
    const Environment& env = context_.environment;
    std::string url;
    if (auto relative = env.get_non_empty("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
      url = context_.metadata.container_relative_base + ((*relative)[0] == '/' ? "" : "/") +
            *relative;
    } else if (auto full = env.get_non_empty("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
      std::string host;
      if (!full_uri_allowed(*full, host)) {
        return make_error(ErrorKind::Config,
                          "AWS_CONTAINER_CREDENTIALS_FULL_URI host '" + host +
                              "' is not allowed: use https, a loopback address, 169.254.170.2, "
                              "169.254.170.23 or fd00:ec2::23");
      }
      url = *full;
    } else {
      return make_error(ErrorKind::NoCredentials,
                        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and "
                        "AWS_CONTAINER_CREDENTIALS_FULL_URI are not set");
    }
    if (!context_.transport) {
      return make_error(ErrorKind::Config, "container endpoint " + url +
                                               " is configured but no HTTP transport was given");
    }

    http::Request request;
    request.method = "GET";
    request.url = url;
    request.headers.push_back({"Accept", "application/json"});
    request.use_proxy = false;  // link-local / loopback: never through a proxy
    request.timeouts.connect = context_.metadata.container_timeout;
    request.timeouts.stall = context_.metadata.container_timeout;
    request.timeouts.total = context_.metadata.container_timeout;

    const int attempts = std::max(1, context_.metadata.container_attempts);
    Error last = make_error(ErrorKind::Network, "container endpoint " + url + ": not tried");
    for (int attempt = 1; attempt <= attempts; ++attempt) {
      // The token file is re-read for every fetch: EKS Pod Identity rotates it.
      auto token = authorization_token();
      if (!token) return std::move(token).error();
      request.headers.resize(1);
      if (!token->empty()) request.headers.push_back({"Authorization", *token});

      auto response = detail::fetch_small(*context_.transport, request);
      if (response && response->status == 200) {
        detail::CredentialsDocument shape;
        return detail::parse_credentials_document(response->body, "container endpoint " + url,
                                                  shape, "container");
      }
      bool retry = false;
      if (!response) {
        last = std::move(response).error();
        last.message = "container endpoint " + url + ": " + last.message;
        retry = last.kind == ErrorKind::Network || last.kind == ErrorKind::Timeout;
      } else {
        last = make_error(ErrorKind::Network, "container endpoint " + url + " answered HTTP " +
                                                  std::to_string(response->status));
        last.http_status = response->status;
        retry = response->status >= 500 || response->status == 429;
      }
      if (!retry || attempt == attempts) break;
      detail::log(context_.log, LogLevel::Debug,
                  "credentials: " + last.message + "; retrying (attempt " +
                      std::to_string(attempt + 1) + " of " + std::to_string(attempts) + ")");
      if (context_.sleeper) {
        context_.sleeper(context_.metadata.container_retry_delay);
      } else {
        std::this_thread::sleep_for(context_.metadata.container_retry_delay);
      }
    }
    return last;
  }

 private:
  // The Authorization value: the token file wins over the variable (docs/wire-protocol.md §5.2).
  Result<std::string> authorization_token() const {
    const Environment& env = context_.environment;
    std::string token;
    std::string origin;
    if (auto file = env.get_non_empty("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
      auto contents = detail::read_bounded_file(*file, 16 * 1024);
      if (!contents) return std::move(contents).error();
      if (!contents->has_value()) {
        return make_error(ErrorKind::Config,
                          "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + *file + " does not exist");
      }
      token = std::move(**contents);
      // A trailing newline (echo > file) is not part of the token.
      while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
      origin = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + *file;
    } else if (auto value = env.get_non_empty("AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
      token = *value;
      origin = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
    }
    // A CR or LF would let the value inject headers.
    if (token.find_first_of("\r\n") != std::string::npos) {
      return make_error(ErrorKind::Config, origin + " contains a CR or LF character");
    }
    return token;
  }

  const ProviderContext context_;
};

}  // namespace

std::shared_ptr<CredentialsProvider> make_container_provider(ProviderContext context) {
  return std::make_shared<ContainerProvider>(std::move(context));
}

}  // namespace bedrock_lite::credentials
