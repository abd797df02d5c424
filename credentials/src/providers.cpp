// The providers that need no network: static, environment, profile (static keys and
// credential_process).
#include <bedrock_lite/credentials.h>

#include "profile_sources.h"
#include "provider_internals.h"

#include <bedrock_lite/internal/text.h>

namespace bedrock_lite::credentials {
namespace detail {

Result<std::shared_ptr<const SharedConfig>> LazySharedConfig::get() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (config_) return config_;
  if (error_) return *error_;
  auto loaded = SharedConfig::load(environment_);
  if (!loaded) {
    error_ = loaded.error();
    return *error_;
  }
  config_ = std::make_shared<const SharedConfig>(std::move(loaded).value());
  return config_;
}

namespace {

// A body sink that keeps at most a bound; beyond it the transfer is cancelled.
class BoundedSink final : public http::BodySink {
 public:
  explicit BoundedSink(std::size_t max_bytes) : max_bytes_(max_bytes) {}
  bool on_head(const http::ResponseHead&) override { return true; }
  bool on_body(std::string_view chunk) override {
    if (body.size() + chunk.size() > max_bytes_) {
      overflow = true;
      return false;
    }
    body.append(chunk);
    return true;
  }
  std::string body;
  bool overflow = false;

 private:
  std::size_t max_bytes_;
};

}  // namespace

Result<http::Response> fetch_small(http::Transport& transport, const http::Request& request,
                                   std::size_t max_body_bytes) {
  BoundedSink sink(max_body_bytes);
  auto head = transport.send(request, sink);
  if (sink.overflow) {
    // Callers name the endpoint in front of the message.
    return make_error(ErrorKind::Protocol,
                      "response body larger than " + std::to_string(max_body_bytes) + " bytes");
  }
  if (!head) return std::move(head).error();
  http::Response response;
  response.status = head->status;
  response.headers = std::move(head->headers);
  response.body = std::move(sink.body);
  return response;
}

}  // namespace detail

namespace {

class StaticProvider final : public CredentialsProvider {
 public:
  explicit StaticProvider(Credentials credentials) : credentials_(std::move(credentials)) {}
  Result<Credentials> resolve() override { return credentials_; }

 private:
  const Credentials credentials_;
};

class EnvironmentProvider final : public CredentialsProvider {
 public:
  explicit EnvironmentProvider(Environment environment) : environment_(std::move(environment)) {}

  Result<Credentials> resolve() override {
    auto id = environment_.get_non_empty("AWS_ACCESS_KEY_ID");
    auto secret = environment_.get_non_empty("AWS_SECRET_ACCESS_KEY");
    if (!id && !secret) {
      return make_error(ErrorKind::NoCredentials,
                        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
    }
    if (!secret) {
      return make_error(ErrorKind::Config,
                        "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    }
    if (!id) {
      return make_error(ErrorKind::Config,
                        "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
    }
    Credentials credentials;
    credentials.access_key_id = *id;
    credentials.secret_access_key = Secret(*secret);
    // AWS_SECURITY_TOKEN is botocore's legacy alias.
    auto token = environment_.get_non_empty("AWS_SESSION_TOKEN");
    if (!token) token = environment_.get_non_empty("AWS_SECURITY_TOKEN");
    if (token) credentials.session_token = Secret(*token);
    if (auto expiration = environment_.get_non_empty("AWS_CREDENTIAL_EXPIRATION")) {
      auto parsed = parse_iso8601(*expiration);
      if (!parsed) {
        return make_error(ErrorKind::Config,
                          "AWS_CREDENTIAL_EXPIRATION is not an ISO-8601 "
                          "timestamp: '" +
                              internal::one_line(*expiration, 40) + "'");
      }
      credentials.expiration = *parsed;
    }
    credentials.source = "environment";
    return credentials;
  }

 private:
  const Environment environment_;
};

class ProfileProvider final : public CredentialsProvider {
 public:
  ProfileProvider(ProviderContext context, std::shared_ptr<detail::LazySharedConfig> shared)
      : context_(std::move(context)), shared_(std::move(shared)) {}

  Result<Credentials> resolve() override {
    bool session_based = false;
    return resolve_profile(session_based);
  }

  // A profile configured for IAM Identity Center or `aws login` ends the chain whatever it
  // answers: an expired session is NoCredentials ("run aws sso login"), never a reason to use
  // the container's or the instance's role instead (botocore raises there too).
  Result<Credentials> resolve_for_chain(bool, bool& ends_chain) override {
    bool session_based = false;
    auto result = resolve_profile(session_based);
    ends_chain = session_based || result.ok() || result.error().kind != ErrorKind::NoCredentials;
    return result;
  }

 private:
  Result<Credentials> resolve_profile(bool& session_based) {
    auto loaded = shared_->get();
    if (!loaded) return std::move(loaded).error();
    const SharedConfig& config = **loaded;
    const std::string name = selected_profile(context_.environment, context_.profile);
    const bool explicit_choice = (context_.profile && !context_.profile->empty()) ||
                                 context_.environment.get_non_empty("AWS_PROFILE").has_value();
    const ProfileSection* section = config.profile(name);
    if (section == nullptr) {
      return make_error(explicit_choice ? ErrorKind::Config : ErrorKind::NoCredentials,
                        "profile '" + name + "' not found in " + config.describe_files());
    }
    const std::string credentials_file =
        config.files().size() > 1 ? config.files()[1].path : std::string();
    const ProfileProperty* id = section->find("aws_access_key_id");
    const ProfileProperty* secret = section->find("aws_secret_access_key");
    const ProfileProperty* process = section->find("credential_process");

    // botocore's order: IAM Identity Center, static keys from the credentials file, `aws login`,
    // credential_process, then static keys set only in the config file.
    if (auto sso = detail::resolve_sso(context_, config, name, *section)) {
      session_based = true;
      return std::move(*sso);
    }
    const bool keys_in_credentials_file = (id != nullptr && id->file == credentials_file) ||
                                          (secret != nullptr && secret->file == credentials_file);
    if ((id != nullptr || secret != nullptr) && keys_in_credentials_file) {
      return static_keys(name, *section, id, secret);
    }
    if (auto login = detail::resolve_login(context_, config, name, *section)) {
      session_based = true;
      return std::move(*login);
    }
    if ((id != nullptr || secret != nullptr) && process == nullptr) {
      return static_keys(name, *section, id, secret);
    }
    if (process != nullptr) {
      if (process->value.empty()) {
        return make_error(ErrorKind::Config, process->where() + ": credential_process is empty");
      }
      return run_credential_process(process->value, name, context_.environment, context_.process);
    }
    return make_error(ErrorKind::NoCredentials,
                      "profile '" + name + "' has no aws_access_key_id or credential_process");
  }

  Result<Credentials> static_keys(const std::string& name, const ProfileSection& section,
                                  const ProfileProperty* id, const ProfileProperty* secret) {
    if (id == nullptr || id->value.empty()) {
      return make_error(ErrorKind::Config, secret->where() + ": profile '" + name +
                                               "' has aws_secret_access_key but no "
                                               "aws_access_key_id");
    }
    if (secret == nullptr || secret->value.empty()) {
      return make_error(ErrorKind::Config, id->where() + ": profile '" + name +
                                               "' has aws_access_key_id but no "
                                               "aws_secret_access_key");
    }
    Credentials credentials;
    credentials.access_key_id = id->value;
    credentials.secret_access_key = Secret(secret->value);
    if (const ProfileProperty* token = section.find("aws_session_token")) {
      credentials.session_token = Secret(token->value);
    }
    credentials.source = "profile:" + name;
    return credentials;
  }

  const ProviderContext context_;
  std::shared_ptr<detail::LazySharedConfig> shared_;
};

}  // namespace

namespace detail {
std::shared_ptr<CredentialsProvider> make_profile_provider(
    ProviderContext context, std::shared_ptr<LazySharedConfig> shared_config) {
  return std::make_shared<ProfileProvider>(std::move(context), std::move(shared_config));
}
}  // namespace detail

std::shared_ptr<CredentialsProvider> make_static_provider(Credentials credentials) {
  return std::make_shared<StaticProvider>(std::move(credentials));
}

std::shared_ptr<CredentialsProvider> make_environment_provider(Environment environment) {
  return std::make_shared<EnvironmentProvider>(std::move(environment));
}

std::shared_ptr<CredentialsProvider> make_profile_provider(ProviderContext context) {
  auto shared =
      std::make_shared<detail::LazySharedConfig>(context.environment, context.shared_config);
  return detail::make_profile_provider(std::move(context), std::move(shared));
}

}  // namespace bedrock_lite::credentials
