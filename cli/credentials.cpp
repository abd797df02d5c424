// bedrock-lite credentials: what the standard chain resolves on this machine, and from where
// (docs/cli.md "credentials"). Never prints a secret: only the source, the access key id, whether a
// session token is present, the expiration and the region.
#include "cli.h"

#include <bedrock_lite/credentials.h>

#include <bedrock_lite/internal/text.h>

#include <cstdio>
#include <string>
#include <string_view>

namespace bedrock_lite::cli {
namespace {

using internal::json_string;

void debug_line(const std::string& text) {
  std::fprintf(stderr, "debug: %s\n", text.c_str());
}

}  // namespace

int run_credentials(const GlobalOptions& global, const std::vector<std::string>& args) {
  CommandLine line;
  line.name = "credentials";
  line.summary =
      "Print which credentials and region the standard chain resolves here, as one JSON object "
      "(never a secret; docs/cli.md).";
  if (auto done = parse_command_line(line, args)) return *done;
  const auto environment = credentials::Environment::from_process();
  auto shared = credentials::SharedConfig::load(environment);
  if (!shared) return report_error(shared.error().display_name(), shared.error().message);
  auto shared_config = std::make_shared<const credentials::SharedConfig>(std::move(shared).value());
  if (global.debug) {
    debug_line("shared files: " + shared_config->describe_files());
    for (const auto& warning : shared_config->warnings()) debug_line(warning);
    debug_line("profile: " + credentials::selected_profile(environment, global.profile));
  }

  std::optional<credentials::ResolvedRegion> region;
  auto resolved_region =
      credentials::resolve_region(global.region, environment, *shared_config, global.profile);
  if (resolved_region) {
    region = resolved_region.value();
    if (global.debug) debug_line("region " + region->name + " from " + region->source);
  } else if (global.debug) {
    debug_line(resolved_region.error().message);
  }

  std::string source, access_key_id, expiration = "null";
  bool has_session_token = false;
  if (credentials::bearer_token(environment)) {
    // Bearer auth is what the client would use (docs/wire-protocol.md §5.9): there is no key id to
    // show.
    source = "bearer-token";
    if (global.debug) {
      debug_line("credentials: AWS_BEARER_TOKEN_BEDROCK is set: bearer auth instead of SigV4");
    }
  } else {
    // The chain exactly as the client assembles it (credentials::prepare_provider_context).
    credentials::ProviderContext context;
    context.environment = environment;
    context.shared_config = shared_config;
    context.profile = global.profile;
    context.region = global.region;
    context.mfa_code = mfa_code_callback(global);
    context.log = debug_log_hook(global);
    auto chain = credentials::make_prepared_default_chain(std::move(context));
    if (!chain) return report_error(chain.error().display_name(), chain.error().message);
    auto resolved = (*chain)->resolve();
    if (!resolved) return report_error(resolved.error().display_name(), resolved.error().message);
    source = resolved->source;
    access_key_id = resolved->access_key_id;
    has_session_token = !resolved->session_token.empty();
    if (resolved->expiration) {
      expiration = json_string(credentials::format_iso8601(*resolved->expiration));
    }
  }

  std::printf(
      "{\"source\":%s,\"access_key_id\":%s,\"has_session_token\":%s,\"expiration\":%s,"
      "\"region\":%s}\n",
      json_string(source).c_str(), json_string(access_key_id).c_str(),
      has_session_token ? "true" : "false", expiration.c_str(),
      region ? json_string(region->name).c_str() : "null");
  return kExitOk;
}

}  // namespace bedrock_lite::cli
