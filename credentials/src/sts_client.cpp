// The STS endpoint rules and the STS client (docs/configuration.md "STS").
#include "sts_client.h"

#include <bedrock_lite/internal/text.h>
#include <bedrock_lite/sigv4.h>

#include "provider_internals.h"
#include "sts_xml.h"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <random>
#include <thread>

namespace bedrock_lite::credentials {
namespace {

Error config_error(std::string message) {
  return make_error(ErrorKind::Config, std::move(message));
}

// A setting from its variable, then the profile's key.
struct Setting {
  std::string value;
  std::string source;
};
std::optional<Setting> setting(const Environment& environment, const SharedConfig& shared,
                               const std::string& profile, std::string_view variable,
                               std::string_view key) {
  if (auto value = environment.get_non_empty(variable))
    return Setting{*value, std::string(variable)};
  if (const ProfileProperty* property = shared.get(profile, key)) {
    if (!property->value.empty()) return Setting{property->value, property->where()};
  }
  return std::nullopt;
}

Result<bool> boolean_setting(const std::optional<Setting>& found, std::string_view what) {
  if (!found) return false;
  if (internal::iequals(found->value, "true")) return true;
  if (internal::iequals(found->value, "false")) return false;
  return config_error(found->source + ": " + std::string(what) + " must be true or false, not '" +
                      found->value + "'");
}

// The regions the global endpoint served before regional endpoints became the default: with
// sts_regional_endpoints = legacy these still go to sts.amazonaws.com (the STS endpoint rules'
// legacy branch, as botocore's endpoint ruleset for sts has it).
constexpr std::string_view kLegacyGlobalRegions[] = {
    "ap-northeast-1", "ap-south-1",   "ap-southeast-1", "ap-southeast-2",
    "aws-global",     "ca-central-1", "eu-central-1",   "eu-north-1",
    "eu-west-1",      "eu-west-2",    "eu-west-3",      "sa-east-1",
    "us-east-1",      "us-east-2",    "us-west-1",      "us-west-2"};

// Partitions by region prefix, as partitions.json's regionRegex (the same table as Bedrock's).
struct Partition {
  std::string_view prefix;
  std::string_view dns_suffix;
  std::string_view dual_stack_dns_suffix;  // empty: no dual-stack endpoints
};
constexpr Partition kPartitions[] = {
    {"cn-", "amazonaws.com.cn", "api.amazonwebservices.com.cn"},
    {"us-gov-", "amazonaws.com", "api.aws"},
    {"us-isob-", "sc2s.sgov.gov", ""},
    {"us-iso-", "c2s.ic.gov", ""},
    {"", "amazonaws.com", "api.aws"},
};

bool is_valid_host_label(const std::string& label) {
  if (label.empty() || label.size() > 63 || label.front() == '-') return false;
  return std::all_of(label.begin(), label.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-';
  });
}

Result<std::string> checked_url(std::string url, const std::string& source) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  const auto scheme_end = url.find("://");
  const std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
  if (!internal::iequals(scheme, "https") && !internal::iequals(scheme, "http")) {
    return config_error(source + ": STS endpoint URL '" + url +
                        "' must start with https:// (or http:// for a local endpoint)");
  }
  const std::string rest = url.substr(scheme_end + 3);
  if (rest.empty() || rest.front() == '/' || rest.front() == ':' ||
      url.find_first_of("?# \t\r\n") != std::string::npos) {
    return config_error(source + ": STS endpoint URL '" + url +
                        "' has no host, or holds a query, fragment or whitespace");
  }
  return url;
}

// The configured endpoint URL, unless configured endpoints are ignored.
Result<std::optional<Setting>> configured_endpoint(const Environment& environment,
                                                   const SharedConfig& shared,
                                                   const std::string& profile) {
  auto ignore =
      boolean_setting(setting(environment, shared, profile, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
                              "ignore_configured_endpoint_urls"),
                      "ignore_configured_endpoint_urls");
  if (!ignore) return std::move(ignore).error();
  if (*ignore) return std::optional<Setting>();
  for (const char* variable : {"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"}) {
    if (auto value = environment.get_non_empty(variable)) {
      return std::optional<Setting>(Setting{*value, variable});
    }
  }
  if (auto service = shared.service_get(profile, "sts", "endpoint_url")) {
    return std::optional<Setting>(
        Setting{*service, "profile " + profile + " services sts endpoint_url"});
  }
  if (const ProfileProperty* property = shared.get(profile, "endpoint_url")) {
    return std::optional<Setting>(Setting{property->value, property->where()});
  }
  return std::optional<Setting>();
}

}  // namespace

Result<StsEndpoint> resolve_sts_endpoint(const Environment& environment,
                                         const SharedConfig& shared_config,
                                         const std::optional<std::string>& override_profile,
                                         const std::optional<std::string>& region_override) {
  const std::string profile = selected_profile(environment, override_profile);
  auto region = resolve_region(region_override, environment, shared_config, override_profile);
  if (!region) {
    Error error = std::move(region).error();
    error.message = "STS needs a region: " + error.message;
    return error;
  }
  auto configured = configured_endpoint(environment, shared_config, profile);
  if (!configured) return std::move(configured).error();
  if (*configured) {
    auto url = checked_url((*configured)->value, (*configured)->source);
    if (!url) return std::move(url).error();
    return StsEndpoint{*url, region->name, (*configured)->source};
  }
  auto fips = boolean_setting(
      setting(environment, shared_config, profile, "AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint"),
      "use_fips_endpoint");
  if (!fips) return std::move(fips).error();
  auto dual = boolean_setting(setting(environment, shared_config, profile,
                                      "AWS_USE_DUALSTACK_ENDPOINT", "use_dualstack_endpoint"),
                              "use_dualstack_endpoint");
  if (!dual) return std::move(dual).error();
  bool legacy = false;
  if (auto mode = setting(environment, shared_config, profile, "AWS_STS_REGIONAL_ENDPOINTS",
                          "sts_regional_endpoints")) {
    if (!internal::iequals(mode->value, "legacy") && !internal::iequals(mode->value, "regional")) {
      return config_error(mode->source +
                          ": sts_regional_endpoints must be legacy or regional, not '" +
                          mode->value + "'");
    }
    legacy = internal::iequals(mode->value, "legacy");
  }
  const std::string& name = region->name;
  if (!is_valid_host_label(name)) {
    return config_error(region->source + ": region '" + name + "' is not a valid host label");
  }
  const std::string rules = "STS endpoint rules (region " + name + " from " + region->source + ")";
  const bool legacy_global =
      std::find(std::begin(kLegacyGlobalRegions), std::end(kLegacyGlobalRegions), name) !=
      std::end(kLegacyGlobalRegions);
  if (!*fips && !*dual && (name == "aws-global" || (legacy && legacy_global))) {
    return StsEndpoint{"https://sts.amazonaws.com", "us-east-1", rules + ", legacy global"};
  }
  const Partition* partition = &kPartitions[std::size(kPartitions) - 1];
  for (const auto& candidate : kPartitions) {
    if (name.rfind(candidate.prefix, 0) == 0) {
      partition = &candidate;
      break;
    }
  }
  std::string_view suffix = partition->dns_suffix;
  if (*dual) {
    if (partition->dual_stack_dns_suffix.empty()) {
      return config_error("STS: dual-stack is enabled but region " + name +
                          "'s partition has no dual-stack endpoints");
    }
    suffix = partition->dual_stack_dns_suffix;
  }
  // GovCloud's regional STS endpoints are FIPS endpoints already (the STS rules' us-gov branch).
  const bool fips_host = *fips && !(partition->prefix == "us-gov-" && !*dual);
  std::string url = fips_host ? "https://sts-fips." : "https://sts.";
  url += name;
  url += '.';
  url += suffix;
  return StsEndpoint{url, name, rules};
}

namespace detail {

std::string form_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0F];
    }
  }
  return out;
}

StsCaller make_sts_caller(const ProviderContext& context) {
  StsCaller caller;
  caller.transport = context.transport;
  caller.clock = context.clock ? context.clock : system_clock();
  caller.jitter = context.jitter;
  if (!caller.jitter) {
    auto engine = std::make_shared<std::minstd_rand>(std::random_device{}());
    auto mutex = std::make_shared<std::mutex>();
    caller.jitter = [engine, mutex] {
      std::lock_guard<std::mutex> lock(*mutex);
      return std::uniform_real_distribution<double>(0.0, 1.0)(*engine);
    };
  }
  caller.sleeper = context.sleeper;
  if (!caller.sleeper) {
    caller.sleeper = [](std::chrono::milliseconds pause) { std::this_thread::sleep_for(pause); };
  }
  caller.log = context.log;
  caller.settings = context.sts;
  return caller;
}

namespace {

// host[:port] and path of an endpoint URL already checked by resolve_sts_endpoint().
std::pair<std::string, std::string> authority_and_path(const std::string& url) {
  const auto start = url.find("://") + 3;
  const auto slash = url.find('/', start);
  if (slash == std::string::npos) return {url.substr(start), "/"};
  return {url.substr(start, slash - start), url.substr(slash) + "/"};
}

Result<Credentials> attempt(const StsCaller& caller, const StsEndpoint& endpoint,
                            const StsCall& call, const std::string& body,
                            const std::string& where) {
  const auto [authority, path] = authority_and_path(endpoint.url);
  http::Request request;
  request.method = "POST";
  request.url = endpoint.url.substr(0, endpoint.url.find('/', endpoint.url.find("://") + 3)) + path;
  request.headers = {{"Host", authority},
                     {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  request.body = body;
  request.timeouts.connect =
      std::min(caller.settings.connect_timeout, caller.settings.attempt_timeout);
  request.timeouts.stall = caller.settings.attempt_timeout;
  request.timeouts.total = caller.settings.attempt_timeout;
  if (call.signing_credentials != nullptr) {
    const Credentials& source = *call.signing_credentials;
    std::vector<sigv4::Header> to_sign;
    for (const auto& header : request.headers) to_sign.push_back({header.name, header.value});
    const sigv4::Credentials keys{source.access_key_id, source.secret_access_key.reveal(),
                                  source.session_token.reveal()};
    auto added = sigv4::Signer().sign_headers("POST", path, to_sign, body, keys,
                                              endpoint.signing_region, "sts", caller.clock());
    if (!added) {
      return make_error(ErrorKind::Config, where + ": cannot sign: " + added.error().message);
    }
    for (auto& header : *added) request.headers.push_back({header.name, header.value});
  }
  auto response = fetch_small(*caller.transport, request, caller.settings.max_response_bytes);
  if (!response) {
    Error error = std::move(response).error();
    error.message = where + ": " + error.message;
    return error;
  }
  if (response->status != 200) {
    const std::string* request_id = http::find_header(response->headers, "x-amzn-RequestId");
    return sts_error_from_answer(response->status, response->body,
                                 request_id ? *request_id : std::string(), where);
  }
  return parse_sts_credentials(response->body, call.action, where);
}

}  // namespace

Result<Credentials> call_sts(const StsCaller& caller, const StsEndpoint& endpoint,
                             const StsCall& call) {
  const std::string where = "STS " + call.action + " at " + endpoint.url;
  if (!caller.transport) return make_error(ErrorKind::Config, where + ": no HTTP transport given");
  std::string body = "Action=" + call.action + "&Version=2011-06-15";
  for (const auto& [name, value] : call.parameters) body += "&" + name + "=" + form_encode(value);
  const int attempts = std::max(1, caller.settings.max_attempts);
  for (int number = 1;; ++number) {
    log(caller.log, LogLevel::Debug,
        "credentials: " + where + " (" + call.description + "), attempt " + std::to_string(number) +
            (call.signing_credentials ? ", signed" : ", unsigned"));
    auto result = attempt(caller, endpoint, call, body, where);
    if (result || !result.error().retryable || number >= attempts) {
      if (!result && number > 1) {
        Error error = std::move(result).error();
        error.message += " (after " + std::to_string(number) + " attempts)";
        return error;
      }
      return result;
    }
    const auto cap =
        std::min(caller.settings.max_backoff,
                 caller.settings.base_backoff * (std::int64_t{1} << std::min(number - 1, 20)));
    const auto pause = std::chrono::milliseconds(
        static_cast<std::int64_t>(caller.jitter() * static_cast<double>(cap.count())));
    log(caller.log, LogLevel::Debug,
        "credentials: " + where + " failed (" + result.error().display_name() + "), retrying in " +
            std::to_string(pause.count()) + " ms");
    caller.sleeper(pause);
  }
}

}  // namespace detail
}  // namespace bedrock_lite::credentials
