// The one place a client's configuration is resolved from the environment and the shared files.
#include <bedrock_lite/converse.h>

#include <charconv>
#include <utility>

namespace bedrock_lite::converse {
namespace {

// A setting read from the first place that has it.
struct Found {
  std::string value;
  std::string source;
};

// Env variable, then the profile's key.
std::optional<Found> lookup(const credentials::Environment& environment,
                            const credentials::SharedConfig& shared, const std::string& profile,
                            std::string_view variable, std::string_view key) {
  if (auto value = environment.get_non_empty(variable)) return Found{*value, std::string(variable)};
  if (const auto* property = shared.get(profile, key)) {
    return Found{property->value, "profile " + profile + " (" + property->where() + ")"};
  }
  return std::nullopt;
}

bool is_true(const std::string& value) {
  if (value.size() != 4) return false;
  std::string lower;
  for (char c : value) lower += static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
  return lower == "true";
}

// SSL_CERT_FILE / SSL_CERT_DIR for http::find_ca_trust when no bundle is named.
http::EnvironmentLookup curl_environment(const credentials::Environment& environment) {
  return [environment](std::string_view name) { return environment.get(name); };
}

}  // namespace

Result<Config> resolve_config(const credentials::Environment& environment,
                              const ConfigOverrides& overrides) {
  Config config;
  auto origin = [&config](std::string setting, std::string value, std::string source) {
    config.origins.push_back({std::move(setting), std::move(value), std::move(source)});
  };

  auto loaded = credentials::SharedConfig::load(environment);
  if (!loaded) return std::move(loaded).error();
  auto shared = std::make_shared<const credentials::SharedConfig>(std::move(loaded).value());
  const std::string profile = credentials::selected_profile(environment, overrides.profile);
  origin("profile", profile,
         overrides.profile
             ? "--profile"
             : (environment.get_non_empty("AWS_PROFILE") ? "AWS_PROFILE" : "default"));

  // Region.
  auto region =
      credentials::resolve_region(overrides.region, environment, *shared, overrides.profile);
  if (!region) return std::move(region).error();
  config.region = region->name;
  origin("region", region->name, region->source);

  // Endpoint: explicit override, then configured endpoints, then the rules.
  EndpointParams params;
  params.region = config.region;
  std::string endpoint_source;
  if (overrides.endpoint_url) {
    params.endpoint_url = overrides.endpoint_url;
    endpoint_source = "--endpoint-url";
  } else if (!environment.is_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") &&
             !(shared->get(profile, "ignore_configured_endpoint_urls") &&
               is_true(shared->get(profile, "ignore_configured_endpoint_urls")->value))) {
    if (auto value = environment.get_non_empty("AWS_ENDPOINT_URL_BEDROCK_RUNTIME")) {
      params.endpoint_url = *value;
      endpoint_source = "AWS_ENDPOINT_URL_BEDROCK_RUNTIME";
    } else if (auto general = environment.get_non_empty("AWS_ENDPOINT_URL")) {
      params.endpoint_url = *general;
      endpoint_source = "AWS_ENDPOINT_URL";
    } else if (auto service = shared->service_get(profile, "bedrock_runtime", "endpoint_url")) {
      params.endpoint_url = *service;
      endpoint_source = "profile " + profile + " services bedrock_runtime endpoint_url";
    } else if (const auto* property = shared->get(profile, "endpoint_url")) {
      params.endpoint_url = property->value;
      endpoint_source = "profile " + profile + " (" + property->where() + ")";
    }
  }
  if (auto fips =
          lookup(environment, *shared, profile, "AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint")) {
    params.use_fips = is_true(fips->value);
    origin("use_fips_endpoint", fips->value, fips->source);
  }
  if (auto dual = lookup(environment, *shared, profile, "AWS_USE_DUALSTACK_ENDPOINT",
                         "use_dualstack_endpoint")) {
    params.use_dual_stack = is_true(dual->value);
    origin("use_dualstack_endpoint", dual->value, dual->source);
  }
  auto endpoint = resolve_endpoint(params);
  if (!endpoint) {
    Error error = std::move(endpoint).error();
    if (!endpoint_source.empty()) error.message += " (endpoint from " + endpoint_source + ")";
    return error;
  }
  config.endpoint = *endpoint;
  origin("endpoint", config.endpoint, endpoint_source.empty() ? "endpoint rules" : endpoint_source);

  // Retries.
  if (overrides.max_attempts) {
    config.retry.max_attempts = *overrides.max_attempts;
    origin("max_attempts", std::to_string(*overrides.max_attempts), "--max-attempts");
  } else if (auto attempts =
                 lookup(environment, *shared, profile, "AWS_MAX_ATTEMPTS", "max_attempts")) {
    int value = 0;
    const auto* end = attempts->value.data() + attempts->value.size();
    auto [ptr, ec] = std::from_chars(attempts->value.data(), end, value);
    if (ec != std::errc() || ptr != end || value < 1) {
      return make_error(ErrorKind::Config, attempts->source +
                                               ": max attempts must be a whole number "
                                               "of at least 1, not '" +
                                               attempts->value + "'");
    }
    config.retry.max_attempts = value;
    origin("max_attempts", attempts->value, attempts->source);
  }
  if (config.retry.max_attempts < 1) {
    return make_error(ErrorKind::Config, "max attempts must be at least 1");
  }
  if (auto mode = lookup(environment, *shared, profile, "AWS_RETRY_MODE", "retry_mode")) {
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

  // Timeouts.
  if (overrides.connect_timeout) config.timeouts.connect = *overrides.connect_timeout;
  if (overrides.read_timeout) config.timeouts.stall = *overrides.read_timeout;
  if (overrides.total_timeout) config.timeouts.total = *overrides.total_timeout;
  if (overrides.call_timeout) config.call_timeout = *overrides.call_timeout;
  origin("connect_timeout", std::to_string(config.timeouts.connect.count()) + " ms",
         overrides.connect_timeout ? "--connect-timeout" : "default");
  origin("read_timeout", std::to_string(config.timeouts.stall.count()) + " ms (stall, per attempt)",
         overrides.read_timeout ? "--read-timeout" : "default");

  // User agent.
  if (auto app = environment.get_non_empty("AWS_SDK_UA_APP_ID")) {
    config.user_agent += " app/" + *app;
  } else if (const auto* property = shared->get(profile, "sdk_ua_app_id")) {
    config.user_agent += " app/" + property->value;
  }

  config.log = overrides.log;

  // Transport.
  if (overrides.transport) {
    config.transport = overrides.transport;
  } else {
    http::CurlOptions curl;
    // SSL_CERT_FILE / SSL_CERT_DIR when no bundle is named (http::find_ca_trust).
    curl.environment = curl_environment(environment);
    if (auto bundle = lookup(environment, *shared, profile, "AWS_CA_BUNDLE", "ca_bundle")) {
      curl.ca_bundle = environment.expand_home(bundle->value);
      origin("ca_bundle", curl.ca_bundle, bundle->source);
    }
    config.transport = http::make_curl_transport(std::move(curl));
  }

  // Authentication: a Bedrock API key, else SigV4 credentials.
  config.bearer_token = credentials::bearer_token(environment);
  if (config.bearer_token) {
    origin("auth", "bearer token", "AWS_BEARER_TOKEN_BEDROCK");
  } else {
    origin("auth", "sigv4", "default");
  }
  if (overrides.credentials) {
    config.credentials = overrides.credentials;
    origin("credentials", "given", "caller");
  } else {
    credentials::ProviderContext context;
    context.environment = environment;
    context.shared_config = shared;
    context.profile = overrides.profile;
    context.region = overrides.region;  // STS calls use the client's --region too
    context.mfa_code = overrides.mfa_code;
    // The metadata endpoints are plain HTTP on link-local addresses; a fresh libcurl transport
    // keeps them off the Bedrock connection pool. STS is HTTPS: it gets the CA bundle.
    http::CurlOptions credentials_curl;
    credentials_curl.environment = curl_environment(environment);
    if (auto bundle = lookup(environment, *shared, profile, "AWS_CA_BUNDLE", "ca_bundle")) {
      credentials_curl.ca_bundle = environment.expand_home(bundle->value);
    }
    context.transport =
        std::shared_ptr<http::Transport>(http::make_curl_transport(std::move(credentials_curl)));
    context.log = overrides.log;
    config.credentials = credentials::make_default_chain(std::move(context));
    origin("credentials", "default chain", "default");
  }
  return config;
}

}  // namespace bedrock_lite::converse
