// The Bedrock bearer-token decision: AWS_BEARER_TOKEN_BEDROCK, unless AWS_AUTH_SCHEME_PREFERENCE
// prefers SigV4.
#include <bedrock_lite/credentials.h>

#include <bedrock_lite/internal/text.h>

namespace bedrock_lite::credentials {

std::optional<Secret> bearer_token(const Environment& environment) {
  // botocore derives the name from the signing name: AWS_BEARER_TOKEN_ + upper("bedrock").
  auto token = environment.get_non_empty("AWS_BEARER_TOKEN_BEDROCK");
  if (!token) return std::nullopt;
  // AWS_AUTH_SCHEME_PREFERENCE: the first scheme named that we know decides.
  if (auto preference = environment.get_non_empty("AWS_AUTH_SCHEME_PREFERENCE")) {
    std::string_view list = *preference;
    while (!list.empty()) {
      auto comma = list.find(',');
      const std::string_view item = internal::trim(list.substr(0, comma));
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
      if (item == "httpBearerAuth" || item == "smithy.api#httpBearerAuth") break;
      if (item == "sigv4" || item == "aws.auth#sigv4") return std::nullopt;
    }
  }
  return Secret(std::move(*token));
}

}  // namespace bedrock_lite::credentials
