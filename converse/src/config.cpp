// The one place a client's configuration is resolved from the environment and the shared files.
// resolve_config() runs named steps in order (profile and user agent, transport, region, endpoint,
// retries, timeouts, auth); each records where its values came from for --debug.
#include <bedrock_lite/converse.h>
#include <bedrock_lite/internal/text.h>
#include <bedrock_lite/replay.h>

#include <charconv>
#include <utility>

namespace bedrock_lite::converse {
namespace {

// A setting read from the first place that has it.
struct Found {
  std::string value;
  std::string source;
};

// The replay's stand-in region when none is configured: replayed answers do not depend on it.
constexpr const char* kReplayRegion = "us-east-1";

// The state the steps share: the inputs, the shared files, and the Config being built.
class Resolution {
 public:
  Resolution(const credentials::Environment& environment, const ConfigOverrides& overrides)
      : environment_(environment), overrides_(overrides) {}

  Result<Config> run() {
    for (auto step : {&Resolution::profile_step, &Resolution::transport_step,
                      &Resolution::region_step, &Resolution::endpoint_step, &Resolution::retry_step,
                      &Resolution::timeout_step, &Resolution::auth_step}) {
      auto done = (this->*step)();
      if (!done) return std::move(done).error();
    }
    return std::move(config_);
  }

 private:
  void origin(std::string setting, std::string value, std::string source) {
    config_.origins.push_back({std::move(setting), std::move(value), std::move(source)});
  }

  // Env variable, then the profile's key.
  std::optional<Found> lookup(std::string_view variable, std::string_view key) const {
    if (auto value = environment_.get_non_empty(variable)) {
      return Found{*value, std::string(variable)};
    }
    if (const auto* property = shared_->get(profile_, key)) {
      return Found{property->value, "profile " + profile_ + " (" + property->where() + ")"};
    }
    return std::nullopt;
  }

  bool profile_is_true(std::string_view key) const {
    const auto* property = shared_->get(profile_, key);
    return property != nullptr && internal::iequals(property->value, "true");
  }

  Result<void> profile_step();
  Result<void> region_step();
  std::string configured_endpoint(EndpointParams& params) const;
  Result<void> endpoint_step();
  Result<void> retry_step();
  Result<void> timeout_step();
  Result<void> transport_step();
  std::shared_ptr<http::Transport> live_transport();
  Result<void> auth_step();

  const credentials::Environment& environment_;
  const ConfigOverrides& overrides_;
  std::shared_ptr<const credentials::SharedConfig> shared_;
  std::string profile_;
  // Set by transport_step: every call is answered from recordings, so no region, identity or
  // bearer token of the caller's is needed.
  bool replays_only_ = false;
  Config config_;
};

Result<void> Resolution::profile_step() {
  auto loaded = credentials::SharedConfig::load(environment_);
  if (!loaded) return std::move(loaded).error();
  shared_ = std::make_shared<const credentials::SharedConfig>(std::move(loaded).value());
  profile_ = credentials::selected_profile(environment_, overrides_.profile);
  origin("profile", profile_,
         overrides_.profile
             ? "--profile"
             : (environment_.get_non_empty("AWS_PROFILE") ? "AWS_PROFILE" : "default"));
  // User agent: an application id from the environment or the profile.
  if (auto app = lookup("AWS_SDK_UA_APP_ID", "sdk_ua_app_id")) {
    config_.user_agent += " app/" + app->value;
  }
  config_.log = overrides_.log;
  return {};
}

Result<void> Resolution::region_step() {
  auto region =
      credentials::resolve_region(overrides_.region, environment_, *shared_, overrides_.profile);
  if (!region && replays_only_ && region.error().kind == ErrorKind::NoRegion) {
    region = credentials::ResolvedRegion{kReplayRegion, "replay default (no region configured)"};
  }
  if (!region) return std::move(region).error();
  config_.region = region->name;
  origin("region", region->name, region->source);
  return {};
}

// The endpoint URL configured for this service, if any (overrides first), and where from.
std::string Resolution::configured_endpoint(EndpointParams& params) const {
  if (overrides_.endpoint_url) {
    params.endpoint_url = overrides_.endpoint_url;
    return "--endpoint-url";
  }
  if (environment_.is_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") ||
      profile_is_true("ignore_configured_endpoint_urls")) {
    return {};
  }
  if (auto value = environment_.get_non_empty("AWS_ENDPOINT_URL_BEDROCK_RUNTIME")) {
    params.endpoint_url = *value;
    return "AWS_ENDPOINT_URL_BEDROCK_RUNTIME";
  }
  if (auto general = environment_.get_non_empty("AWS_ENDPOINT_URL")) {
    params.endpoint_url = *general;
    return "AWS_ENDPOINT_URL";
  }
  if (auto service = shared_->service_get(profile_, "bedrock_runtime", "endpoint_url")) {
    params.endpoint_url = *service;
    return "profile " + profile_ + " services bedrock_runtime endpoint_url";
  }
  if (const auto* property = shared_->get(profile_, "endpoint_url")) {
    params.endpoint_url = property->value;
    return "profile " + profile_ + " (" + property->where() + ")";
  }
  return {};
}

// Explicit override, then configured endpoints, then the rules.
Result<void> Resolution::endpoint_step() {
  EndpointParams params;
  params.region = config_.region;
  const std::string endpoint_source = configured_endpoint(params);
  if (auto fips = lookup("AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint")) {
    params.use_fips = internal::iequals(fips->value, "true");
    origin("use_fips_endpoint", fips->value, fips->source);
  }
  if (auto dual = lookup("AWS_USE_DUALSTACK_ENDPOINT", "use_dualstack_endpoint")) {
    params.use_dual_stack = internal::iequals(dual->value, "true");
    origin("use_dualstack_endpoint", dual->value, dual->source);
  }
  auto endpoint = resolve_endpoint(params);
  if (!endpoint) {
    Error error = std::move(endpoint).error();
    if (!endpoint_source.empty()) error.message += " (endpoint from " + endpoint_source + ")";
    return error;
  }
  config_.endpoint = *endpoint;
  origin("endpoint", config_.endpoint,
         endpoint_source.empty() ? "endpoint rules" : endpoint_source);
  return {};
}

Result<void> Resolution::retry_step() {
  if (overrides_.max_attempts) {
    config_.retry.max_attempts = *overrides_.max_attempts;
    origin("max_attempts", std::to_string(*overrides_.max_attempts), "--max-attempts");
  } else if (auto attempts = lookup("AWS_MAX_ATTEMPTS", "max_attempts")) {
    int value = 0;
    const auto* end = attempts->value.data() + attempts->value.size();
    auto [ptr, ec] = std::from_chars(attempts->value.data(), end, value);
    if (ec != std::errc() || ptr != end || value < 1) {
      return make_error(ErrorKind::Config, attempts->source +
                                               ": max attempts must be a whole number "
                                               "of at least 1, not '" +
                                               attempts->value + "'");
    }
    config_.retry.max_attempts = value;
    origin("max_attempts", attempts->value, attempts->source);
  }
  if (config_.retry.max_attempts < 1) {
    return make_error(ErrorKind::Config, "max attempts must be at least 1");
  }
  if (auto mode = lookup("AWS_RETRY_MODE", "retry_mode")) {
    // We implement standard mode; legacy and adaptive callers get standard (the AWS default
    // for new SDKs), said in --debug rather than refused.
    if (mode->value != "standard" && mode->value != "legacy" && mode->value != "adaptive") {
      return make_error(ErrorKind::Config, mode->source +
                                               ": retry mode must be standard, legacy or "
                                               "adaptive, not '" +
                                               mode->value + "'");
    }
    origin("retry_mode", "standard (asked: " + mode->value + ")", mode->source);
  }
  return {};
}

Result<void> Resolution::timeout_step() {
  if (overrides_.connect_timeout) config_.timeouts.connect = *overrides_.connect_timeout;
  if (overrides_.read_timeout) config_.timeouts.stall = *overrides_.read_timeout;
  if (overrides_.total_timeout) config_.timeouts.total = *overrides_.total_timeout;
  if (overrides_.call_timeout) config_.call_timeout = *overrides_.call_timeout;
  origin("connect_timeout", std::to_string(config_.timeouts.connect.count()) + " ms",
         overrides_.connect_timeout ? "--connect-timeout" : "default");
  origin("read_timeout",
         std::to_string(config_.timeouts.stall.count()) + " ms (stall, per attempt)",
         overrides_.read_timeout ? "--read-timeout" : "default");
  return {};
}

// The caller's transport, or libcurl with the CA trust the environment and profile name.
std::shared_ptr<http::Transport> Resolution::live_transport() {
  if (overrides_.transport) return overrides_.transport;
  http::CurlOptions curl;
  // SSL_CERT_FILE / SSL_CERT_DIR when no bundle is named (http::find_ca_trust).
  curl.environment = environment_.lookup();
  if (auto bundle = credentials::resolve_ca_bundle(environment_, *shared_, overrides_.profile)) {
    curl.ca_bundle = bundle->path;
    origin("ca_bundle", bundle->path, bundle->source);
  }
  return http::make_curl_transport(std::move(curl));
}

// replay_dir: the record/replay transport over that folder, by record_mode (a mode that may
// record forwards to the live transport). Otherwise the live transport, wrapped in a recording
// for record_dir (with replay_dir, a replay sends nothing anywhere, so there is nothing to record).
Result<void> Resolution::transport_step() {
  const auto mode = overrides_.record_mode.value_or(replay::RecordMode::None);
  if (!overrides_.replay_dir) {
    if (overrides_.record_mode) {
      return make_error(ErrorKind::Config, std::string("record_mode ") + replay::to_string(mode) +
                                               " is set without replay_dir, the folder it uses");
    }
    config_.transport = live_transport();
    if (overrides_.record_dir) {
      config_.transport =
          std::make_shared<replay::RecordingTransport>(config_.transport, *overrides_.record_dir);
      origin("transport", "recording to " + *overrides_.record_dir, "record");
    }
    return {};
  }
  if (mode == replay::RecordMode::None && overrides_.transport) {
    return make_error(ErrorKind::Config, "give a transport or a replay_dir, not both");
  }
  auto opened = replay::RecordReplayTransport::open(
      *overrides_.replay_dir, mode, mode == replay::RecordMode::None ? nullptr : live_transport());
  if (!opened) return std::move(opened).error();
  config_.recordings = std::move(opened).value();
  config_.transport = config_.recordings;
  replays_only_ = config_.recordings->replays_only();
  origin("transport",
         mode == replay::RecordMode::None
             ? "replay of " + *overrides_.replay_dir
             : std::string("record mode ") + replay::to_string(mode) + " over " +
                   *overrides_.replay_dir + (replays_only_ ? " (replaying)" : ""),
         "replay");
  return {};
}

// A Bedrock API key, else SigV4 credentials. A replay checks no signature: a fixed, non-secret
// placeholder identity signs, so no real credentials are needed nor looked up.
Result<void> Resolution::auth_step() {
  if (replays_only_) {
    origin("auth", "sigv4", "replay");
  } else {
    config_.bearer_token = credentials::bearer_token(environment_);
    origin("auth", config_.bearer_token ? "bearer token" : "sigv4",
           config_.bearer_token ? "AWS_BEARER_TOKEN_BEDROCK" : "default");
  }
  if (overrides_.credentials) {
    config_.credentials = overrides_.credentials;
    origin("credentials", "given", "caller");
    return {};
  }
  if (replays_only_) {
    credentials::Credentials placeholder;
    placeholder.access_key_id = "AKIDREPLAY";
    placeholder.secret_access_key = Secret("replay");
    placeholder.source = "replay";
    config_.credentials = credentials::make_static_provider(std::move(placeholder));
    origin("credentials", "placeholder identity AKIDREPLAY", "replay");
    return {};
  }
  credentials::ProviderContext context;
  context.environment = environment_;
  context.shared_config = shared_;
  context.profile = overrides_.profile;
  context.region = overrides_.region;  // STS calls use the client's --region too
  context.mfa_code = overrides_.mfa_code;
  context.log = overrides_.log;
  auto chain = credentials::make_prepared_default_chain(std::move(context));
  if (!chain) return std::move(chain).error();
  config_.credentials = std::move(chain).value();
  origin("credentials", "default chain", "default");
  return {};
}

}  // namespace

Result<Config> resolve_config(const credentials::Environment& environment,
                              const ConfigOverrides& overrides) {
  return Resolution(environment, overrides).run();
}

}  // namespace bedrock_lite::converse
