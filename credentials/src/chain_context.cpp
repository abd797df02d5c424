// How the default chain is assembled on a machine: one place, so the client, `bedrock-lite sign`
// and `bedrock-lite credentials` cannot resolve different identities (they once did: only
// `credentials` gave the metadata transport the CA bundle).
#include <bedrock_lite/credentials.h>
#include <bedrock_lite/http.h>

#include <utility>

namespace bedrock_lite::credentials {

std::optional<ResolvedCaBundle> resolve_ca_bundle(
    const Environment& environment, const SharedConfig& shared_config,
    const std::optional<std::string>& override_profile) {
  if (auto bundle = environment.get_non_empty("AWS_CA_BUNDLE")) {
    return ResolvedCaBundle{environment.expand_home(*bundle), "AWS_CA_BUNDLE"};
  }
  const std::string profile = selected_profile(environment, override_profile);
  if (const auto* property = shared_config.get(profile, "ca_bundle")) {
    return ResolvedCaBundle{environment.expand_home(property->value),
                            "profile " + profile + " (" + property->where() + ")"};
  }
  return std::nullopt;
}

Result<ProviderContext> prepare_provider_context(ProviderContext context) {
  if (!context.shared_config) {
    auto loaded = SharedConfig::load(context.environment);
    if (!loaded) return std::move(loaded).error();
    context.shared_config = std::make_shared<const SharedConfig>(std::move(loaded).value());
  }
  if (!context.transport) {
    http::CurlOptions curl;
    // STS, SSO and sign-in are HTTPS: SSL_CERT_FILE / SSL_CERT_DIR count as for Bedrock.
    curl.environment = context.environment.lookup();
    if (auto bundle =
            resolve_ca_bundle(context.environment, *context.shared_config, context.profile)) {
      curl.ca_bundle = bundle->path;
    }
    context.transport = std::shared_ptr<http::Transport>(http::make_curl_transport(curl));
  }
  return context;
}

Result<std::shared_ptr<CredentialsProvider>> make_prepared_default_chain(ProviderContext context,
                                                                         CachingSettings caching) {
  auto prepared = prepare_provider_context(std::move(context));
  if (!prepared) return std::move(prepared).error();
  return make_default_chain(std::move(prepared).value(), caching);
}

}  // namespace bedrock_lite::credentials
