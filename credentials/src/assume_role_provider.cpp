// Assume role: a profile's role_arn with source_profile (chains of any length) or
// credential_source, through STS AssumeRole signed with the source credentials
// (docs/configuration.md "Assume role"). The rules follow botocore's AssumeRoleProvider.
#include <bedrock_lite/credentials.h>

#include <bedrock_lite/internal/text.h>

#include "provider_internals.h"
#include "sts_client.h"

#include <algorithm>
#include <charconv>
#include <mutex>

namespace bedrock_lite::credentials {
namespace {

// A chain this long is a configuration mistake, not a real set-up (and bounds the recursion).
constexpr std::size_t kMaxHops = 32;

// The value of a key, or "" when absent.
std::string value_of(const ProfileSection& section, std::string_view key) {
  const ProfileProperty* property = section.find(key);
  return property == nullptr ? std::string() : property->value;
}

bool has_static_keys(const ProfileSection& section) {
  return section.find("aws_access_key_id") != nullptr &&
         section.find("aws_secret_access_key") != nullptr;
}

// botocore's _has_assume_role_config_vars: role_arn, and not a web identity profile.
bool is_role_profile(const ProfileSection& section) {
  return section.find("role_arn") != nullptr && section.find("web_identity_token_file") == nullptr;
}

std::string where(const ProfileSection& section, std::string_view key) {
  const ProfileProperty* property = section.find(key);
  return property == nullptr ? "profile '" + section.name + "'"
                             : property->where() + ": profile '" + section.name + "'";
}

// What one hop sends: the role and the AssumeRole options of its profile.
struct RoleHop {
  std::string profile;
  std::string role_arn;
  std::string session_name;  // empty: bedrock-lite-<epoch seconds>
  std::string external_id;
  std::optional<int> duration_seconds;
  std::string mfa_serial;
};

Result<RoleHop> read_hop(const ProfileSection& section) {
  RoleHop hop;
  hop.profile = section.name;
  hop.role_arn = value_of(section, "role_arn");
  if (hop.role_arn.empty()) {
    return make_error(ErrorKind::Config, where(section, "role_arn") + " has an empty role_arn");
  }
  hop.session_name = value_of(section, "role_session_name");
  hop.external_id = value_of(section, "external_id");
  hop.mfa_serial = value_of(section, "mfa_serial");
  if (const ProfileProperty* duration = section.find("duration_seconds")) {
    int seconds = 0;
    const char* end = duration->value.data() + duration->value.size();
    auto [ptr, ec] = std::from_chars(duration->value.data(), end, seconds);
    // STS accepts 900 s up to the role's maximum session duration (at most 12 hours).
    if (ec != std::errc() || ptr != end || seconds < 900 || seconds > 43200) {
      return make_error(ErrorKind::Config, where(section, "duration_seconds") +
                                               ": duration_seconds must be a whole number from "
                                               "900 to 43200, not '" +
                                               duration->value + "'");
    }
    hop.duration_seconds = seconds;
  }
  return hop;
}

// One AssumeRole hop: the source's credentials (cached by their own caching provider) sign the
// call. Thread-safe.
class AssumeRoleHop final : public CredentialsProvider {
 public:
  AssumeRoleHop(RoleHop hop, std::shared_ptr<CredentialsProvider> source, std::string source_name,
                detail::StsCaller caller, StsEndpoint endpoint, MfaCodeCallback mfa_code)
      : hop_(std::move(hop)),
        source_(std::move(source)),
        source_name_(std::move(source_name)),
        caller_(std::move(caller)),
        endpoint_(std::move(endpoint)),
        mfa_code_(std::move(mfa_code)) {}

  Result<Credentials> resolve() override {
    auto source = source_->resolve();
    if (!source) {
      Error error = std::move(source).error();
      // The role is configured, so a source without credentials ends the chain here rather than
      // letting it fall through to another identity.
      if (error.kind == ErrorKind::NoCredentials) error.kind = ErrorKind::Config;
      error.message = "assume-role profile '" + hop_.profile + "': " + source_name_ +
                      " gave no credentials: " + error.message;
      return error;
    }
    detail::StsCall call;
    call.action = "AssumeRole";
    call.signing_credentials = &*source;
    call.description = "profile " + hop_.profile + ", role " + hop_.role_arn + ", signed with " +
                       source_name_ + " (source " + source->source + "), endpoint from " +
                       endpoint_.source;
    call.parameters = {{"RoleArn", hop_.role_arn},
                       {"RoleSessionName",
                        hop_.session_name.empty() ? default_session_name() : hop_.session_name}};
    if (hop_.duration_seconds) {
      call.parameters.emplace_back("DurationSeconds", std::to_string(*hop_.duration_seconds));
    }
    if (!hop_.external_id.empty()) call.parameters.emplace_back("ExternalId", hop_.external_id);
    if (!hop_.mfa_serial.empty()) {
      auto code = mfa_token_code();
      if (!code) return std::move(code).error();
      call.parameters.emplace_back("SerialNumber", hop_.mfa_serial);
      call.parameters.emplace_back("TokenCode", *code);
    }
    auto credentials = detail::call_sts(caller_, endpoint_, call);
    if (!credentials) return credentials;
    credentials->source = "assume-role:" + hop_.profile;
    return credentials;
  }

 private:
  std::string default_session_name() const {
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(caller_.clock().time_since_epoch());
    return "bedrock-lite-" + std::to_string(seconds.count());
  }

  // Asked once: a one-time code cannot be reused, and a refresh must never wait on a person.
  Result<std::string> mfa_token_code() {
    std::lock_guard<std::mutex> lock(mfa_mutex_);
    if (mfa_asked_) {
      return make_error(ErrorKind::NoCredentials,
                        "assume-role profile '" + hop_.profile +
                            "': the role's credentials need a new MFA code for " + hop_.mfa_serial +
                            " (a refresh does not prompt): start again to enter a new code");
    }
    if (!mfa_code_) {
      return make_error(ErrorKind::Config, "assume-role profile '" + hop_.profile +
                                               "' has mfa_serial " + hop_.mfa_serial +
                                               " but no MFA code was given (--mfa-code CODE, or "
                                               "run on a terminal to be asked)");
    }
    mfa_asked_ = true;
    auto code = mfa_code_(hop_.mfa_serial);
    if (code && code->empty()) {
      return make_error(ErrorKind::Config, "assume-role profile '" + hop_.profile +
                                               "': empty MFA code for " + hop_.mfa_serial);
    }
    return code;
  }

  const RoleHop hop_;
  const std::shared_ptr<CredentialsProvider> source_;
  const std::string source_name_;
  const detail::StsCaller caller_;
  const StsEndpoint endpoint_;
  const MfaCodeCallback mfa_code_;
  std::mutex mfa_mutex_;
  bool mfa_asked_ = false;
};

// Builds the hops of the selected profile's chain from the shared files, without network I/O.
class ChainBuilder {
 public:
  ChainBuilder(const ProviderContext& context, std::shared_ptr<detail::LazySharedConfig> shared,
               const SharedConfig& config, StsEndpoint endpoint)
      : context_(context),
        shared_(std::move(shared)),
        config_(config),
        endpoint_(std::move(endpoint)),
        caller_(detail::make_sts_caller(context)) {}

  Result<std::shared_ptr<CredentialsProvider>> build(const std::string& top) {
    visited_ = {top};
    return hop(top);
  }

 private:
  Result<std::shared_ptr<CredentialsProvider>> hop(const std::string& name) {
    const ProfileSection& section = *config_.profile(name);
    auto role = read_hop(section);
    if (!role) return std::move(role).error();
    const ProfileProperty* source_profile = section.find("source_profile");
    const ProfileProperty* credential_source = section.find("credential_source");
    if (source_profile != nullptr && credential_source != nullptr) {
      return make_error(ErrorKind::Config, where(section, "credential_source") +
                                               " sets both source_profile and credential_source");
    }
    if (source_profile == nullptr && credential_source == nullptr) {
      return make_error(ErrorKind::Config, where(section, "role_arn") +
                                               " has role_arn but neither source_profile nor "
                                               "credential_source");
    }
    std::shared_ptr<CredentialsProvider> source;
    std::string source_name;
    if (credential_source != nullptr) {
      auto made = from_credential_source(section, *credential_source);
      if (!made) return std::move(made).error();
      source = *made;
      source_name = "credential_source " + credential_source->value;
    } else {
      auto made = from_source_profile(section, source_profile->value);
      if (!made) return std::move(made).error();
      source = *made;
      source_name = "source_profile " + source_profile->value;
    }
    detail::log(context_.log, LogLevel::Debug,
                "credentials: assume-role hop: profile " + name + " assumes " + role->role_arn +
                    " with " + source_name + " at " + endpoint_.url);
    auto cached = make_caching_provider(std::move(source), context_.clock, context_.log);
    return std::shared_ptr<CredentialsProvider>(
        std::make_shared<AssumeRoleHop>(std::move(role).value(), std::move(cached), source_name,
                                        caller_, endpoint_, context_.mfa_code));
  }

  Result<std::shared_ptr<CredentialsProvider>> from_credential_source(
      const ProfileSection& section, const ProfileProperty& property) {
    // botocore compares the names case-insensitively.
    const std::string& kind = property.value;
    if (internal::iequals(kind, "Environment")) {
      return make_environment_provider(context_.environment);
    }
    if (internal::iequals(kind, "Ec2InstanceMetadata")) {
      return detail::make_imds_provider(context_, shared_);
    }
    if (internal::iequals(kind, "EcsContainer")) return make_container_provider(context_);
    return make_error(ErrorKind::Config, where(section, "credential_source") +
                                             ": credential_source must be Environment, "
                                             "Ec2InstanceMetadata or EcsContainer, not '" +
                                             property.value + "'");
  }

  Result<std::shared_ptr<CredentialsProvider>> from_source_profile(const ProfileSection& section,
                                                                   const std::string& name) {
    const ProfileSection* source = config_.profile(name);
    if (source == nullptr) {
      return make_error(ErrorKind::Config,
                        where(section, "source_profile") + " names source_profile '" + name +
                            "', which is in neither " + config_.describe_files());
    }
    const auto seen = std::find(visited_.begin(), visited_.end(), name);
    if (seen != visited_.end()) {
      // botocore allows a profile to name itself only to use its own static keys.
      if (name != section.name || !has_static_keys(*source)) {
        std::string cycle;
        for (auto it = seen; it != visited_.end(); ++it) cycle += *it + " -> ";
        return make_error(ErrorKind::Config,
                          "source_profile cycle: " + cycle + name +
                              (name == section.name ? " (a profile may name itself only when it "
                                                      "holds static keys)"
                                                    : ""));
      }
      return profile_credentials(name);
    }
    if (has_static_keys(*source) || !is_role_profile(*source)) return profile_credentials(name);
    if (visited_.size() >= kMaxHops) {
      return make_error(ErrorKind::Config, "role chain from profile '" + visited_.front() +
                                               "' is longer than " + std::to_string(kMaxHops) +
                                               " hops");
    }
    visited_.push_back(name);
    return hop(name);
  }

  // A source profile that is not itself a role: its own providers, never the environment
  // (botocore: web identity, SSO, static keys, credential_process of that profile).
  std::shared_ptr<CredentialsProvider> profile_credentials(const std::string& name) {
    ProviderContext scoped = context_;
    scoped.profile = name;
    std::vector<std::pair<std::string, std::shared_ptr<CredentialsProvider>>> providers;
    providers.emplace_back("web-identity of profile " + name,
                           detail::make_web_identity_provider(context_, shared_, name));
    providers.emplace_back("profile " + name, detail::make_profile_provider(scoped, shared_));
    return make_chain_provider(std::move(providers), context_.log);
  }

  const ProviderContext& context_;
  std::shared_ptr<detail::LazySharedConfig> shared_;
  const SharedConfig& config_;
  const StsEndpoint endpoint_;
  const detail::StsCaller caller_;
  std::vector<std::string> visited_;
};

class AssumeRoleProvider final : public CredentialsProvider {
 public:
  AssumeRoleProvider(ProviderContext context, std::shared_ptr<detail::LazySharedConfig> shared)
      : context_(std::move(context)), shared_(std::move(shared)) {}

  Result<Credentials> resolve() override {
    auto top = chain();
    if (!top) return std::move(top).error();
    return (*top)->resolve();
  }

 private:
  // The hops, built on first use and then kept (so each hop's cache and MFA state live on).
  Result<std::shared_ptr<CredentialsProvider>> chain() {
    auto loaded = shared_->get();
    if (!loaded) return std::move(loaded).error();
    const SharedConfig& config = **loaded;
    const std::string name = selected_profile(context_.environment, context_.profile);
    const ProfileSection* section = config.profile(name);
    if (section == nullptr || !is_role_profile(*section)) {
      return make_error(ErrorKind::NoCredentials, "profile '" + name + "' has no role_arn");
    }
    std::lock_guard<std::mutex> lock(mutex_);
    if (top_) return top_;
    auto endpoint =
        resolve_sts_endpoint(context_.environment, config, context_.profile, context_.region);
    if (!endpoint) return std::move(endpoint).error();
    auto built = ChainBuilder(context_, shared_, config, *endpoint).build(name);
    if (!built) return std::move(built).error();
    top_ = *built;
    return top_;
  }

  const ProviderContext context_;
  std::shared_ptr<detail::LazySharedConfig> shared_;
  std::mutex mutex_;
  std::shared_ptr<CredentialsProvider> top_;
};

}  // namespace

namespace detail {
std::shared_ptr<CredentialsProvider> make_assume_role_provider(
    ProviderContext context, std::shared_ptr<LazySharedConfig> shared_config) {
  return std::make_shared<AssumeRoleProvider>(std::move(context), std::move(shared_config));
}
}  // namespace detail

std::shared_ptr<CredentialsProvider> make_assume_role_provider(ProviderContext context) {
  auto shared =
      std::make_shared<detail::LazySharedConfig>(context.environment, context.shared_config);
  return detail::make_assume_role_provider(std::move(context), std::move(shared));
}

}  // namespace bedrock_lite::credentials
