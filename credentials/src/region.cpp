// Region resolution and the Bedrock bearer-token decision.
#include <bedrock_lite/credentials.h>

namespace bedrock_lite::credentials {

Result<ResolvedRegion> resolve_region(const std::optional<std::string>& cli_region,
                                      const Environment& environment,
                                      const SharedConfig& shared_config,
                                      const std::optional<std::string>& override_profile) {
  if (cli_region && !cli_region->empty()) return ResolvedRegion{*cli_region, "--region"};
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (auto value = environment.get_non_empty(name)) return ResolvedRegion{*value, name};
  }
  const std::string profile = selected_profile(environment, override_profile);
  if (const ProfileProperty* region = shared_config.get(profile, "region")) {
    if (!region->value.empty()) {
      return ResolvedRegion{region->value, "profile " + profile + " (" + region->where() + ")"};
    }
  }
  return make_error(ErrorKind::NoRegion,
                    "no region: looked at --region, AWS_REGION, AWS_DEFAULT_REGION and 'region' "
                    "of profile '" +
                        profile + "' in " + shared_config.describe_files());
}

std::optional<Secret> bearer_token(const Environment& environment) {
  // botocore derives the name from the signing name: AWS_BEARER_TOKEN_ + upper("bedrock").
  auto token = environment.get_non_empty("AWS_BEARER_TOKEN_BEDROCK");
  if (!token) return std::nullopt;
  // AWS_AUTH_SCHEME_PREFERENCE: the first scheme named that we know decides.
  if (auto preference = environment.get_non_empty("AWS_AUTH_SCHEME_PREFERENCE")) {
    std::string_view list = *preference;
    while (!list.empty()) {
      auto comma = list.find(',');
      std::string_view item = list.substr(0, comma);
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
      if (item == "httpBearerAuth" || item == "smithy.api#httpBearerAuth") break;
      if (item == "sigv4" || item == "aws.auth#sigv4") return std::nullopt;
    }
  }
  return Secret(std::move(*token));
}

}  // namespace bedrock_lite::credentials
