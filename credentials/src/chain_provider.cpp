// The chain and the default chain (docs/configuration.md "Credentials: the default chain"): env →
// assume-role → web identity → profile → container → IMDS.
#include <bedrock_lite/credentials.h>

#include "provider_internals.h"

#include <mutex>

namespace bedrock_lite::credentials {
namespace {

class ChainProvider final : public CredentialsProvider {
 public:
  ChainProvider(std::vector<std::pair<std::string, std::shared_ptr<CredentialsProvider>>> providers,
                LogHook log)
      : providers_(std::move(providers)), log_(std::move(log)) {}

  Result<Credentials> resolve() override { return walk(false); }
  Result<Credentials> refresh() override { return walk(true); }

 private:
  Result<Credentials> walk(bool forced) {
    // Once a provider answered, stay with it (botocore does): a refresh asks the same source
    // rather than silently switching to another identity.
    std::optional<std::size_t> winner;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      winner = winner_;
    }
    if (winner) {
      auto& provider = providers_[*winner].second;
      return forced ? provider->refresh() : provider->resolve();
    }
    std::string reasons;
    for (std::size_t i = 0; i < providers_.size(); ++i) {
      const auto& [name, provider] = providers_[i];
      detail::log(log_, LogLevel::Debug, "credentials: trying " + name);
      bool ends_chain = false;
      auto result = provider->resolve_for_chain(forced, ends_chain);
      if (result) {
        detail::log(log_, LogLevel::Debug,
                    "credentials: using " + name + " (source " + result->source + ")");
        std::lock_guard<std::mutex> lock(mutex_);
        winner_ = i;
        return result;
      }
      const Error& error = result.error();
      if (ends_chain) {
        detail::log(log_, LogLevel::Debug,
                    "credentials: " + name + " failed: " + error.to_string());
        return result;
      }
      detail::log(log_, LogLevel::Debug, "credentials: " + name + " skipped: " + error.message);
      if (!reasons.empty()) reasons += "; ";
      reasons += name + ": " + error.message;
    }
    return make_error(ErrorKind::NoCredentials, "no credentials found (" + reasons + ")");
  }

  const std::vector<std::pair<std::string, std::shared_ptr<CredentialsProvider>>> providers_;
  const LogHook log_;
  std::mutex mutex_;
  std::optional<std::size_t> winner_;
};

}  // namespace

std::shared_ptr<CredentialsProvider> make_chain_provider(
    std::vector<std::pair<std::string, std::shared_ptr<CredentialsProvider>>> providers,
    LogHook log) {
  return std::make_shared<ChainProvider>(std::move(providers), std::move(log));
}

std::shared_ptr<CredentialsProvider> make_default_chain(ProviderContext context,
                                                        CachingSettings caching) {
  // One lazily loaded view of the shared files for every provider that reads them.
  auto shared =
      std::make_shared<detail::LazySharedConfig>(context.environment, context.shared_config);
  std::vector<std::pair<std::string, std::shared_ptr<CredentialsProvider>>> providers;
  providers.emplace_back("environment", make_environment_provider(context.environment));
  // botocore's order: the profile's role_arn, then web identity, before the profile's own keys.
  providers.emplace_back("assume-role", detail::make_assume_role_provider(context, shared));
  providers.emplace_back("web-identity",
                         detail::make_web_identity_provider(context, shared, std::nullopt));
  providers.emplace_back("profile", detail::make_profile_provider(context, shared));
  providers.emplace_back("container", make_container_provider(context));
  providers.emplace_back("imds", detail::make_imds_provider(context, shared));
  auto chain = make_chain_provider(std::move(providers), context.log);
  return make_caching_provider(std::move(chain), std::move(context.clock), std::move(context.log),
                               caching);
}

}  // namespace bedrock_lite::credentials
