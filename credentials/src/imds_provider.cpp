// EC2 instance metadata credentials, IMDSv2 (docs/wire-protocol.md §5.4; botocore IMDSFetcher,
// smithy-rs aws-config imds, JS credential-provider-imds).
#include <bedrock_lite/credentials.h>

#include "credentials_json.h"
#include "provider_internals.h"

#include <bedrock_lite/internal/text.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <random>
#include <string_view>

namespace bedrock_lite::credentials {
namespace {

// "2", "0.25", "1.5": decimal seconds as whole milliseconds (truncated), or nothing. By hand,
// not std::from_chars(double): libstdc++'s floating-point from_chars was the library's one use
// of libm, which costs a program that maps libm.so about 300 KiB of resident memory.
std::optional<long long> decimal_seconds_to_ms(std::string_view text) {
  long long whole = 0;
  long long fraction_ms = 0;
  long long scale = 100;
  bool digits = false;
  std::size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    if (whole > 1000000000) return std::nullopt;
    whole = whole * 10 + (text[i] - '0');
    digits = true;
  }
  if (i < text.size() && text[i] == '.') {
    for (++i; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      fraction_ms += (text[i] - '0') * scale;
      scale /= 10;
      digits = true;
    }
  }
  if (!digits || i != text.size()) return std::nullopt;
  return whole * 1000 + fraction_ms;
}

constexpr const char* kTokenPath = "/latest/api/token";
constexpr const char* kExtendedPath = "/latest/meta-data/iam/security-credentials-extended/";
constexpr const char* kLegacyPath = "/latest/meta-data/iam/security-credentials/";
constexpr const char* kTtlHeader = "x-aws-ec2-metadata-token-ttl-seconds";
constexpr const char* kTokenHeader = "x-aws-ec2-metadata-token";
// Six hours, the SDKs' token TTL.
constexpr int kTokenTtlSeconds = 21600;
// The token is reused until this long before its TTL ends (smithy-rs token.rs).
constexpr std::chrono::seconds kTokenRefreshBuffer{120};

using SteadyTime = std::chrono::steady_clock::time_point;

using internal::lower;

// What this resolution uses, read from the environment and the profile at resolve time.
struct ImdsConfig {
  std::string endpoint;  // no trailing slash
  bool v1_disabled = false;
  std::chrono::milliseconds timeout;
  int attempts = 1;
  std::optional<std::string> profile_name;  // skips role discovery
};

class ImdsProvider final : public CredentialsProvider {
 public:
  ImdsProvider(ProviderContext context, std::shared_ptr<detail::LazySharedConfig> shared)
      : context_(std::move(context)), shared_(std::move(shared)) {
    if (!context_.jitter) {
      std::random_device seed;
      auto engine = std::make_shared<std::minstd_rand>(seed());
      auto distribution = std::make_shared<std::uniform_real_distribution<double>>(0.0, 1.0);
      // Called only under mutex_.
      jitter_ = [engine, distribution] { return (*distribution)(*engine); };
    } else {
      jitter_ = context_.jitter;
    }
  }

  Result<Credentials> resolve() override {
    if (context_.environment.is_true("AWS_EC2_METADATA_DISABLED")) {
      return make_error(ErrorKind::NoCredentials, "disabled by AWS_EC2_METADATA_DISABLED");
    }
    if (!context_.transport) {
      return make_error(ErrorKind::NoCredentials, "no HTTP transport given");
    }
    auto config = read_config();
    if (!config) return std::move(config).error();

    std::lock_guard<std::mutex> lock(mutex_);
    auto fetched = fetch(*config);
    const TimePoint now = context_.clock();
    if (fetched) {
      Credentials credentials = std::move(fetched).value();
      if (credentials.expiration && *credentials.expiration <= now) {
        // Static stability: IMDS handed out credentials that are already expired (it does
        // during some outages); use them for a bounded extension rather than failing.
        last_ = credentials;
        return extend(
            credentials, now,
            "IMDS returned credentials that expired at " + format_iso8601(*credentials.expiration));
      }
      last_ = credentials;
      return credentials;
    }
    const Error& error = fetched.error();
    if (last_ && error.kind != ErrorKind::Config) {
      // Static stability: IMDS is down but we hold its last credentials.
      return extend(*last_, now, "IMDS unavailable (" + error.to_string() + ")");
    }
    return std::move(fetched).error();
  }

 private:
  Credentials extend(Credentials credentials, TimePoint now, const std::string& why) {
    const auto spread = std::chrono::duration<double>(context_.metadata.static_stability_spread);
    const auto extension = context_.metadata.static_stability_base +
                           std::chrono::duration_cast<std::chrono::seconds>(spread * jitter_());
    const TimePoint until = std::max(now + extension, credentials.expiration.value_or(now));
    detail::log(context_.log, LogLevel::Warn,
                "credentials: " + why +
                    "; static stability: using the last IMDS credentials "
                    "until " +
                    format_iso8601(until));
    credentials.expiration = until;
    return credentials;
  }

  Result<ImdsConfig> read_config() {
    auto loaded = shared_->get();
    if (!loaded) return std::move(loaded).error();
    const SharedConfig& shared = **loaded;
    const Environment& env = context_.environment;
    const std::string profile = selected_profile(env, context_.profile);
    auto setting = [&](const char* variable, const char* key) -> std::optional<std::string> {
      if (auto value = env.get_non_empty(variable)) return value;
      if (const ProfileProperty* property = shared.get(profile, key)) {
        if (!property->value.empty()) return property->value;
      }
      return std::nullopt;
    };

    ImdsConfig config;
    if (context_.metadata.imds_endpoint) {
      config.endpoint = *context_.metadata.imds_endpoint;
    } else if (auto endpoint =
                   setting("AWS_EC2_METADATA_SERVICE_ENDPOINT", "ec2_metadata_service_endpoint")) {
      config.endpoint = *endpoint;
    } else {
      auto mode =
          setting("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ec2_metadata_service_endpoint_mode");
      const std::string m = lower(mode.value_or("ipv4"));
      if (m == "ipv6") {
        config.endpoint = "http://[fd00:ec2::254]";
      } else if (m == "ipv4") {
        config.endpoint = "http://169.254.169.254";
      } else {
        return make_error(ErrorKind::Config,
                          "IMDS endpoint mode '" + *mode + "' is neither IPv4 nor IPv6");
      }
    }
    while (!config.endpoint.empty() && config.endpoint.back() == '/') config.endpoint.pop_back();
    config.v1_disabled = lower(setting("AWS_EC2_METADATA_V1_DISABLED", "ec2_metadata_v1_disabled")
                                   .value_or("false")) == "true";

    config.timeout = context_.metadata.imds_timeout;
    if (auto timeout = setting("AWS_METADATA_SERVICE_TIMEOUT", "metadata_service_timeout")) {
      const auto ms = decimal_seconds_to_ms(*timeout);
      if (!ms || *ms <= 0 || *ms > 3600 * 1000) {
        return make_error(ErrorKind::Config,
                          "metadata service timeout '" + *timeout + "' is not a number of seconds");
      }
      config.timeout = std::chrono::milliseconds(*ms);
    }
    config.attempts = context_.metadata.imds_attempts;
    if (auto attempts =
            setting("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "metadata_service_num_attempts")) {
      int n = 0;
      auto r = std::from_chars(attempts->data(), attempts->data() + attempts->size(), n);
      if (r.ec != std::errc() || r.ptr != attempts->data() + attempts->size() || n < 1 || n > 10) {
        return make_error(ErrorKind::Config,
                          "metadata service attempts '" + *attempts + "' is not 1 to 10");
      }
      config.attempts = n;
    }
    config.profile_name = setting("AWS_EC2_INSTANCE_PROFILE_NAME", "ec2_instance_profile_name");
    return config;
  }

  // One request with bounded attempts, never past the deadline of this resolution.
  Result<http::Response> call(const ImdsConfig& config, const std::string& method,
                              const std::string& path, const http::Headers& headers,
                              SteadyTime deadline) {
    Error last = make_error(ErrorKind::Timeout, "");
    for (int attempt = 0; attempt < config.attempts; ++attempt) {
      const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (remaining < std::chrono::milliseconds(20)) {
        last = make_error(ErrorKind::Timeout,
                          "no answer from " + config.endpoint + " within " +
                              std::to_string(context_.metadata.imds_budget.count()) + " ms");
        break;
      }
      http::Request request;
      request.method = method;
      request.url = config.endpoint + path;
      request.headers = headers;
      request.use_proxy = false;  // link-local: never through a proxy
      const auto limit = std::min(config.timeout, remaining);
      request.timeouts.connect = limit;
      request.timeouts.stall = limit;
      request.timeouts.total = limit;
      auto response = detail::fetch_small(*context_.transport, request);
      if (response) return response;
      last = std::move(response).error();
      if (last.kind != ErrorKind::Network && last.kind != ErrorKind::Timeout) break;
    }
    return last;
  }

  // Returns the token, "" for IMDSv1 (no token), or an error.
  Result<std::string> session_token(const ImdsConfig& config, SteadyTime deadline,
                                    bool& v1_after_timeout) {
    const TimePoint now = context_.clock();
    if (token_ && now < token_expiry_ - kTokenRefreshBuffer) return *token_;
    token_.reset();
    auto response =
        call(config, "PUT", kTokenPath, {{kTtlHeader, std::to_string(kTokenTtlSeconds)}}, deadline);
    const std::string where = "IMDS " + config.endpoint + kTokenPath;
    if (!response) {
      const Error& error = response.error();
      // A PUT that times out is what a container behind a hop limit of 1 sees; botocore then
      // tries IMDSv1. A refused connection means there is no IMDS at all.
      if (error.kind == ErrorKind::Timeout && !config.v1_disabled) {
        v1_after_timeout = true;
        return std::string();
      }
      return make_error(ErrorKind::NoCredentials, where + ": " + error.message);
    }
    const int status = response->status;
    if (status == 200) {
      if (response->body.empty()) {
        return make_error(ErrorKind::Protocol, where + ": empty session token");
      }
      int ttl = kTokenTtlSeconds;
      if (const std::string* header = http::find_header(response->headers, kTtlHeader)) {
        int parsed = 0;
        auto r = std::from_chars(header->data(), header->data() + header->size(), parsed);
        if (r.ec == std::errc() && parsed > 0) ttl = parsed;
      }
      token_ = response->body;
      token_expiry_ = now + std::chrono::seconds(ttl);
      return *token_;
    }
    if (status == 403 || status == 404 || status == 405) {
      if (config.v1_disabled) {
        return make_error(ErrorKind::NoCredentials,
                          where + " answered HTTP " + std::to_string(status) +
                              " and IMDSv1 fallback is disabled (AWS_EC2_METADATA_V1_DISABLED / "
                              "ec2_metadata_v1_disabled)");
      }
      return std::string();
    }
    if (status == 400) {
      return make_error(ErrorKind::Protocol, where + " rejected the token request (HTTP 400)");
    }
    return make_error(ErrorKind::NoCredentials, where + " answered HTTP " + std::to_string(status));
  }

  Result<Credentials> fetch(const ImdsConfig& config) {
    const SteadyTime deadline = std::chrono::steady_clock::now() + context_.metadata.imds_budget;
    bool token_refetched = false;
    bool role_rediscovered = false;
    bool v1_after_timeout = false;
    // Each turn either succeeds, fails, or changes one thing (new token, legacy path, new role)
    // and goes round again; every change happens at most once, so this ends.
    for (int turn = 0; turn < 6; ++turn) {
      auto token = session_token(config, deadline, v1_after_timeout);
      if (!token) return std::move(token).error();
      http::Headers headers;
      if (!token->empty()) headers.push_back({kTokenHeader, *token});
      const std::string base = legacy_ ? kLegacyPath : kExtendedPath;

      // The role name: configured, remembered, or discovered.
      std::string role;
      bool role_discovered_now = false;
      if (config.profile_name) {
        role = *config.profile_name;
      } else if (role_) {
        role = *role_;
      } else {
        auto listing = call(config, "GET", base, headers, deadline);
        const std::string where = "IMDS " + config.endpoint + base;
        if (!listing) return unreachable(where, listing.error(), v1_after_timeout);
        if (listing->status == 401 && !token->empty() && !token_refetched) {
          token_.reset();
          token_refetched = true;
          continue;
        }
        if (listing->status == 404 && !legacy_) {
          legacy_ = true;  // no extended API here: the legacy path from now on
          continue;
        }
        if (listing->status == 404) {
          return make_error(ErrorKind::NoCredentials,
                            where + " answered HTTP 404: no IAM role attached to the instance");
        }
        if (listing->status != 200) return status_error(where, listing->status);
        std::string_view body = listing->body;
        body = body.substr(0, body.find('\n'));
        while (!body.empty() && (body.back() == '\r' || body.back() == ' ')) body.remove_suffix(1);
        if (body.empty()) {
          return make_error(ErrorKind::Protocol, where + ": empty role name");
        }
        role = std::string(body);
        role_ = role;
        role_discovered_now = true;
      }

      auto document = call(config, "GET", base + role, headers, deadline);
      const std::string where = "IMDS " + config.endpoint + base + role;
      if (!document) return unreachable(where, document.error(), v1_after_timeout);
      if (document->status == 401 && !token->empty() && !token_refetched) {
        token_.reset();  // the token expired early (instance stopped and started...)
        token_refetched = true;
        continue;
      }
      if (document->status == 404 && !legacy_ && !role_discovered_now && config.profile_name) {
        legacy_ = true;
        continue;
      }
      if (document->status == 404 && !config.profile_name && !role_discovered_now &&
          !role_rediscovered) {
        // The role changed under us (instance profile replaced): discover it again.
        role_.reset();
        role_rediscovered = true;
        continue;
      }
      if (document->status != 200) return status_error(where, document->status);
      detail::CredentialsDocument shape;
      shape.check_code = true;
      return detail::parse_credentials_document(document->body, where, shape, "imds");
    }
    return make_error(ErrorKind::Protocol,
                      "IMDS " + config.endpoint + ": gave up after repeated 401/404 answers");
  }

  static Error unreachable(const std::string& where, const Error& error, bool v1_after_timeout) {
    // Not reachable: this is the ordinary "not on EC2" outcome, so the chain moves on.
    return make_error(ErrorKind::NoCredentials,
                      where + ": " + error.message +
                          (v1_after_timeout ? " (after the token request timed out)" : ""));
  }

  static Error status_error(const std::string& where, int status) {
    Error error =
        make_error(ErrorKind::NoCredentials, where + " answered HTTP " + std::to_string(status));
    error.http_status = status;
    return error;
  }

  const ProviderContext context_;
  const std::shared_ptr<detail::LazySharedConfig> shared_;
  Jitter jitter_;

  // One fetch at a time; everything below is guarded by mutex_.
  std::mutex mutex_;
  std::optional<std::string> token_;
  TimePoint token_expiry_{};
  std::optional<std::string> role_;
  bool legacy_ = false;
  std::optional<Credentials> last_;  // for static stability
};

}  // namespace

namespace detail {
std::shared_ptr<CredentialsProvider> make_imds_provider(
    ProviderContext context, std::shared_ptr<LazySharedConfig> shared_config) {
  return std::make_shared<ImdsProvider>(std::move(context), std::move(shared_config));
}
}  // namespace detail

std::shared_ptr<CredentialsProvider> make_imds_provider(ProviderContext context) {
  auto shared =
      std::make_shared<detail::LazySharedConfig>(context.environment, context.shared_config);
  return detail::make_imds_provider(std::move(context), std::move(shared));
}

}  // namespace bedrock_lite::credentials
