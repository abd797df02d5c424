// Region resolution: --region, AWS_REGION, AWS_DEFAULT_REGION, then the profile's `region`.
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

}  // namespace bedrock_lite::credentials
