// Web identity: STS AssumeRoleWithWebIdentity with the token file of EKS (IRSA), OIDC CI jobs
// and the like (docs/configuration.md "Web identity"). Unsigned: the token is the credential.
#include <bedrock_lite/credentials.h>

#include "file_reading.h"
#include "provider_internals.h"
#include "sts_client.h"

namespace bedrock_lite::credentials {
namespace {

// A web identity token is a JWT of a few KiB at most.
constexpr std::size_t kMaxTokenFileBytes = std::size_t{64} << 10;

// One setting and where it was read, for messages and --debug.
struct Found {
  std::string value;
  std::string source;
};

struct WebIdentitySettings {
  Found token_file;
  Found role_arn;
  std::optional<Found> session_name;
};

class WebIdentityProvider final : public CredentialsProvider {
 public:
  WebIdentityProvider(ProviderContext context, std::shared_ptr<detail::LazySharedConfig> shared,
                      std::optional<std::string> profile_only)
      : context_(std::move(context)),
        shared_(std::move(shared)),
        profile_only_(std::move(profile_only)),
        caller_(detail::make_sts_caller(context_)) {}

  Result<Credentials> resolve() override {
    auto loaded = shared_->get();
    if (!loaded) return std::move(loaded).error();
    const SharedConfig& config = **loaded;
    auto settings = read_settings(config);
    if (!settings) return std::move(settings).error();
    // The session's region and endpoint, also for the source of a role chain (botocore builds
    // every STS client of a chain from the one session).
    auto endpoint =
        resolve_sts_endpoint(context_.environment, config, context_.profile, context_.region);
    if (!endpoint) return std::move(endpoint).error();
    auto token = read_token(settings->token_file);
    if (!token) return std::move(token).error();

    detail::StsCall call;
    call.action = "AssumeRoleWithWebIdentity";
    const std::string session_name =
        settings->session_name ? settings->session_name->value : default_session_name();
    call.parameters = {{"RoleArn", settings->role_arn.value},
                       {"RoleSessionName", session_name},
                       {"WebIdentityToken", token->reveal()}};
    call.description = "role " + settings->role_arn.value + " from " + settings->role_arn.source +
                       ", token file " + settings->token_file.value + " from " +
                       settings->token_file.source + ", endpoint from " + endpoint->source;
    auto credentials = detail::call_sts(caller_, *endpoint, call);
    if (!credentials) return credentials;
    credentials->source = "web-identity";
    return credentials;
  }

 private:
  std::string default_session_name() const {
    // botocore: botocore-session-<epoch seconds>; ours names us.
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(context_.clock().time_since_epoch());
    return "bedrock-lite-" + std::to_string(seconds.count());
  }

  // A key: the environment variable first (unless disabled), then the profile.
  std::optional<Found> lookup(const ProfileSection* section, std::string_view variable,
                              std::string_view key) const {
    if (env_enabled()) {
      if (auto value = context_.environment.get_non_empty(variable)) {
        return Found{*value, std::string(variable)};
      }
    }
    if (section != nullptr) {
      if (const ProfileProperty* property = section->find(key)) {
        if (!property->value.empty()) {
          return Found{property->value,
                       "profile " + section->name + " (" + property->where() + ")"};
        }
      }
    }
    return std::nullopt;
  }

  // botocore's rule: an explicitly chosen profile (--profile) disables the variables.
  bool env_enabled() const {
    return !profile_only_ && !(context_.profile && !context_.profile->empty());
  }

  Result<WebIdentitySettings> read_settings(const SharedConfig& config) const {
    const std::string name =
        profile_only_ ? *profile_only_ : selected_profile(context_.environment, context_.profile);
    const ProfileSection* section = config.profile(name);
    auto token_file = lookup(section, "AWS_WEB_IDENTITY_TOKEN_FILE", "web_identity_token_file");
    if (!token_file) {
      return make_error(
          ErrorKind::NoCredentials,
          std::string(env_enabled() ? "AWS_WEB_IDENTITY_TOKEN_FILE is not set and " : "") +
              "profile '" + name + "' has no web_identity_token_file");
    }
    auto role_arn = lookup(section, "AWS_ROLE_ARN", "role_arn");
    if (!role_arn) {
      return make_error(ErrorKind::Config,
                        "web identity token file set by " + token_file->source +
                            " but no role ARN: set AWS_ROLE_ARN or role_arn in profile '" + name +
                            "'");
    }
    return WebIdentitySettings{*token_file, *role_arn,
                               lookup(section, "AWS_ROLE_SESSION_NAME", "role_session_name")};
  }

  // Read at every fetch: the kubelet rotates the projected token.
  Result<Secret> read_token(const Found& file) const {
    const std::string path = context_.environment.expand_home(file.value);
    auto read = detail::read_bounded_file(path, kMaxTokenFileBytes);
    if (!read) {
      Error error = std::move(read).error();
      error.message = "web identity token file (from " + file.source + "): " + error.message;
      return error;
    }
    if (!*read) {
      return make_error(ErrorKind::Config, "web identity token file '" + path + "' (from " +
                                               file.source + ") does not exist");
    }
    std::string token = std::move(**read);
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ' ||
                              token.back() == '\t')) {
      token.pop_back();
    }
    if (token.empty()) {
      return make_error(ErrorKind::Config, "web identity token file '" + path + "' (from " +
                                               file.source + ") is empty");
    }
    return Secret(std::move(token));
  }

  const ProviderContext context_;
  std::shared_ptr<detail::LazySharedConfig> shared_;
  const std::optional<std::string> profile_only_;
  const detail::StsCaller caller_;
};

}  // namespace

namespace detail {
std::shared_ptr<CredentialsProvider> make_web_identity_provider(
    ProviderContext context, std::shared_ptr<LazySharedConfig> shared_config,
    std::optional<std::string> profile_only) {
  return std::make_shared<WebIdentityProvider>(std::move(context), std::move(shared_config),
                                               std::move(profile_only));
}
}  // namespace detail

std::shared_ptr<CredentialsProvider> make_web_identity_provider(ProviderContext context) {
  auto shared =
      std::make_shared<detail::LazySharedConfig>(context.environment, context.shared_config);
  return detail::make_web_identity_provider(std::move(context), std::move(shared), std::nullopt);
}

}  // namespace bedrock_lite::credentials
