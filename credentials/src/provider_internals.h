// What the providers share privately: the lazily loaded shared files, the logging shorthand and
// the bounded HTTP GET used by the container and IMDS providers.
#pragma once

#include <bedrock_lite/credentials.h>

#include <mutex>

namespace bedrock_lite::credentials::detail {

// The shared config/credentials files, read on first use (providers do no I/O when built) and
// then kept. Thread-safe.
class LazySharedConfig {
 public:
  LazySharedConfig(Environment environment, std::shared_ptr<const SharedConfig> preloaded)
      : environment_(std::move(environment)), config_(std::move(preloaded)) {}

  Result<std::shared_ptr<const SharedConfig>> get();

 private:
  std::mutex mutex_;
  Environment environment_;
  std::shared_ptr<const SharedConfig> config_;
  std::optional<Error> error_;
};

inline void log(const LogHook& hook, LogLevel level, const std::string& message) {
  if (hook) hook(level, message);
}

// The providers, built over one LazySharedConfig (make_default_chain shares it between them).
std::shared_ptr<CredentialsProvider> make_profile_provider(
    ProviderContext context, std::shared_ptr<LazySharedConfig> shared_config);
std::shared_ptr<CredentialsProvider> make_imds_provider(
    ProviderContext context, std::shared_ptr<LazySharedConfig> shared_config);
// `profile_only`: read only that profile's keys, never the environment (the source of a role
// chain, botocore's disable_env_vars); nullopt: the default chain's rule.
std::shared_ptr<CredentialsProvider> make_web_identity_provider(
    ProviderContext context, std::shared_ptr<LazySharedConfig> shared_config,
    std::optional<std::string> profile_only);
std::shared_ptr<CredentialsProvider> make_assume_role_provider(
    ProviderContext context, std::shared_ptr<LazySharedConfig> shared_config);

// Sends `request` and buffers the body, which may be at most `max_body_bytes` (a metadata
// document is small; a larger answer is a Protocol error naming `request.url`).
Result<http::Response> fetch_small(http::Transport& transport, const http::Request& request,
                                   std::size_t max_body_bytes = std::size_t{64} << 10);

}  // namespace bedrock_lite::credentials::detail
