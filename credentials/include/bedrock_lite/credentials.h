// Credentials, shared config files and region: the standard AWS chain (docs/wire-protocol.md §5),
// resolved the way the AWS CLI resolves it on the same machine, lazily and thread-safely, and
// always saying where each value came from.
//
// The world is injected: an Environment snapshot (the only getenv in the library is
// Environment::from_process()), a transport for the container and IMDS endpoints, a clock and a
// jitter source for expiry and refresh, a log hook for what --debug shows.
#pragma once

#include <bedrock_lite/core.h>
#include <bedrock_lite/export.h>
#include <bedrock_lite/http.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bedrock_lite::credentials {

using TimePoint = std::chrono::system_clock::time_point;

// ---------------------------------------------------------------------------------------------
// Environment

// A snapshot of environment variables. Immutable. from_process() is the one place in the library
// that reads the process environment; tests build one from a map (with their own HOME).
class BEDROCK_LITE_API Environment {
 public:
  Environment() = default;
  explicit Environment(std::map<std::string, std::string> variables);

  // Copies every variable of the running process.
  static Environment from_process();

  // The variable's value, or nullopt when it is not set (set-but-empty gives "").
  std::optional<std::string> get(std::string_view name) const;
  // The value when set and non-empty, as the SDKs treat empty variables as unset.
  std::optional<std::string> get_non_empty(std::string_view name) const;
  // True when the variable is set to "true" (case-insensitive), the AWS boolean convention.
  bool is_true(std::string_view name) const;
  // HOME, then USERPROFILE, then HOMEDRIVE+HOMEPATH (docs/wire-protocol.md §5.3); nullopt when none
  // is set.
  std::optional<std::string> home() const;
  // Expands a leading "~/" with home(); other paths are returned unchanged.
  std::string expand_home(const std::string& path) const;

  // This snapshot as the lookup the libcurl transport reads SSL_CERT_FILE / SSL_CERT_DIR through
  // (http::CurlOptions::environment); it holds a copy, so it may outlive the snapshot.
  http::EnvironmentLookup lookup() const;
  // Every variable as NAME=value, for a child process (credential_process).
  std::vector<std::string> to_envp() const;
  const std::map<std::string, std::string, std::less<>>& variables() const { return variables_; }

 private:
  std::map<std::string, std::string, std::less<>> variables_;
};

// ---------------------------------------------------------------------------------------------
// Shared config and credentials files

// One `key = value` of a profile or section, with where it was read. A key whose own value was
// empty and that is followed by indented `k = v` lines (`s3 =`, `bedrock_runtime =`) holds those
// in sub_properties. Immutable once parsed.
struct ProfileProperty {
  std::string value;
  std::string file;  // the path as read
  std::size_t line = 0;
  std::map<std::string, std::string> sub_properties;  // keys lower-cased

  // "file:line", for --debug and error messages.
  std::string where() const { return file + ":" + std::to_string(line); }
};

// A profile, or a `[services name]` / `[sso-session name]` section. Keys are lower-cased.
// Immutable once parsed.
struct BEDROCK_LITE_API ProfileSection {
  std::string name;
  std::map<std::string, ProfileProperty> properties;

  const ProfileProperty* find(std::string_view key) const;
};

// Where the shared files are and whether each was read. Immutable.
struct SharedFileStatus {
  std::string path;
  bool read = false;  // false when it does not exist
};

// The merged view of ~/.aws/config and ~/.aws/credentials (docs/wire-protocol.md §5.3): `[profile
// x]` and
// `[default]` in config, bare `[x]` in credentials; `[profile default]` beats `[default]`;
// duplicate keys, last wins; the credentials file wins for a key both files set. Immutable.
class BEDROCK_LITE_API SharedConfig {
 public:
  // Each file is at most this large; a longer one is a Config error (bounded input).
  static constexpr std::size_t kMaxFileBytes = std::size_t{1} << 20;

  SharedConfig() = default;

  // Reads AWS_CONFIG_FILE (default ~/.aws/config) and AWS_SHARED_CREDENTIALS_FILE (default
  // ~/.aws/credentials). A missing file is an empty file; an unreadable or malformed one is a
  // Config error naming file:line.
  static Result<SharedConfig> load(const Environment& environment);
  // Parses texts directly; the names are used in `where()` and error messages.
  static Result<SharedConfig> parse(std::string_view config_text, const std::string& config_name,
                                    std::string_view credentials_text,
                                    const std::string& credentials_name);

  // nullptr when the profile is in neither file. Profile names are case-sensitive.
  const ProfileSection* profile(std::string_view name) const;
  const ProfileSection* services(std::string_view name) const;
  const ProfileSection* sso_session(std::string_view name) const;

  // A profile's key, or nullptr.
  const ProfileProperty* get(std::string_view profile, std::string_view key) const;
  // The `services` section the profile names, then its `<service> =` block's key, e.g.
  // service_get("default", "bedrock_runtime", "endpoint_url"). nullopt when absent.
  std::optional<std::string> service_get(std::string_view profile, std::string_view service,
                                         std::string_view key) const;

  // Both files, in the order read (config, then credentials), for "files read" messages.
  const std::vector<SharedFileStatus>& files() const { return files_; }
  // "a (read), b (missing)" for error messages.
  std::string describe_files() const;
  // Non-fatal findings (an invalid profile name ignored...), for the log hook.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  std::map<std::string, ProfileSection, std::less<>> profiles_;
  std::map<std::string, ProfileSection, std::less<>> services_;
  std::map<std::string, ProfileSection, std::less<>> sso_sessions_;
  std::vector<SharedFileStatus> files_;
  std::vector<std::string> warnings_;

  friend class SharedConfigBuilder;
};

// The profile in use: the override (--profile), else AWS_PROFILE, else "default".
// (botocore also reads AWS_DEFAULT_PROFILE; the other SDKs do not, nor do we.)
BEDROCK_LITE_API std::string selected_profile(const Environment& environment,
                                              const std::optional<std::string>& override_profile);

// ---------------------------------------------------------------------------------------------
// Credentials and providers

// A resolved set of AWS credentials. Immutable value. The secret parts are Secrets: they never
// print. `expiration` is empty for credentials that do not expire (static keys).
struct Credentials {
  std::string access_key_id;
  Secret secret_access_key;
  Secret session_token;  // may be empty
  std::optional<TimePoint> expiration;
  // Where they came from, as docs/cli.md spells it: "environment", "profile:<name>",
  // "process:<name>", "sso:<session or profile>", "login:<profile>", "container", "imds",
  // "web-identity", "assume-role:<profile>".
  std::string source;
  std::string account_id;  // when the source reported one (not a secret)
};

// Something that yields credentials. Thread-safe: resolve() and refresh() may be called from
// any number of threads at once.
//
// Error kinds: NoCredentials when this source is not configured here (a chain moves on to the
// next one); anything else (Config, Protocol, Network, Timeout...) when it is configured but
// failed (a chain stops there, as the SDKs do). One exception, decided by resolve_for_chain():
// a configured source whose login has run out (an expired IAM Identity Center or `aws login`
// session) answers NoCredentials telling the user to log in again, and still ends the chain, so
// a chain never falls through to another identity behind the user's back.
class BEDROCK_LITE_API CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // Current credentials; cached ones when the provider caches.
  virtual Result<Credentials> resolve() = 0;
  // Drops anything cached and fetches anew: what a client does after the service rejected the
  // credentials (ExpiredToken and friends). Defaults to resolve() for providers that hold none.
  virtual Result<Credentials> refresh() { return resolve(); }
  // What a chain calls: resolve() (or refresh() when `forced`), and sets `ends_chain` to whether
  // the result ends the chain's walk. The default: every result but NoCredentials does.
  virtual Result<Credentials> resolve_for_chain(bool forced, bool& ends_chain) {
    auto result = forced ? refresh() : resolve();
    ends_chain = result.ok() || result.error().kind != ErrorKind::NoCredentials;
    return result;
  }
};

// Static credentials, e.g. given in code. Never expire unless `credentials.expiration` is set.
BEDROCK_LITE_API std::shared_ptr<CredentialsProvider> make_static_provider(Credentials credentials);

// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (AWS_SECURITY_TOKEN as botocore)
// and the optional AWS_CREDENTIAL_EXPIRATION. An id without a secret, or the reverse, is a
// Config error naming the missing variable. Source "environment".
BEDROCK_LITE_API std::shared_ptr<CredentialsProvider> make_environment_provider(
    Environment environment);

// Settings for running credential_process; an immutable value. Defaults: botocore has no
// timeout; we stop a hung helper after a minute rather than hanging the caller forever.
struct ProcessSettings {
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  std::size_t max_stdout_bytes = std::size_t{64} << 10;  // a Version 1 document is < 4 KiB
  std::size_t max_stderr_bytes = 1024;                   // kept for the error message
};

// Runs `command_line` (split like a POSIX shell splits words, quotes honoured, no shell), with
// `environment` as its environment, and reads a Version 1 JSON document from its stdout.
// `profile_name` only names the source ("process:<name>"). Stdout is never logged.
BEDROCK_LITE_API Result<Credentials> run_credential_process(const std::string& command_line,
                                                            const std::string& profile_name,
                                                            const Environment& environment,
                                                            const ProcessSettings& settings = {});

// The ISO-8601 / RFC 3339 timestamps AWS sends ("2026-01-01T00:00:00Z", fractional seconds and
// numeric offsets accepted). nullopt when malformed.
BEDROCK_LITE_API std::optional<TimePoint> parse_iso8601(std::string_view text);
// "2026-01-01T00:00:00Z"
BEDROCK_LITE_API std::string format_iso8601(TimePoint time);

// Where the metadata endpoints are and how long to wait for them. Every default follows the SDKs
// (docs/wire-protocol.md §5.4, §5.5); tests point the endpoints at loopback servers. Immutable
// value.
struct MetadataSettings {
  // IMDS base URL; when unset: AWS_EC2_METADATA_SERVICE_ENDPOINT, config
  // ec2_metadata_service_endpoint, else http://169.254.169.254 or, in IPv6 mode,
  // http://[fd00:ec2::254].
  std::optional<std::string> imds_endpoint;
  // Base for AWS_CONTAINER_CREDENTIALS_RELATIVE_URI; the real one is fixed by ECS.
  std::string container_relative_base = "http://169.254.170.2";
  // IMDS per-request timeout (botocore, Rust and JS all use 1 s: the PUT of a container behind
  // a hop limit of 1 is dropped, never refused); AWS_METADATA_SERVICE_TIMEOUT overrides.
  std::chrono::milliseconds imds_timeout{std::chrono::seconds(1)};
  // IMDS attempts per request (botocore: 1); AWS_METADATA_SERVICE_NUM_ATTEMPTS overrides.
  int imds_attempts = 1;
  // Whole-resolution budget, so a machine without IMDS fails in under 2 s, never 30.
  std::chrono::milliseconds imds_budget{std::chrono::milliseconds(1900)};
  // Container: botocore waits 2 s and tries 3 times with 1 s between.
  std::chrono::milliseconds container_timeout{std::chrono::seconds(2)};
  int container_attempts = 3;
  std::chrono::milliseconds container_retry_delay{std::chrono::seconds(1)};
  // Static stability (docs/wire-protocol.md §5.4.6, Rust's numbers): when IMDS is down or returns
  // expired credentials, the last IMDS credentials stay usable for base + jitter * spread.
  std::chrono::seconds static_stability_base{std::chrono::minutes(10)};
  std::chrono::seconds static_stability_spread{std::chrono::minutes(5)};
};

// Asked for the current code of the MFA device `mfa_serial` when an assume-role profile names
// one (`mfa_serial`). Returns the code, or an error that ends the resolution. Called at most once
// per role: a refresh that would need a new code fails instead of asking again (a code is good
// for one use, and a background refresh must never block on a prompt).
using MfaCodeCallback = std::function<Result<std::string>(const std::string& mfa_serial)>;

// How the STS calls of the web-identity and assume-role providers behave. Immutable value.
struct StsSettings {
  // Per attempt: connecting, and the whole exchange (an STS answer is small and quick; a peer
  // that stalls must not hold a credentials refresh for minutes).
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds attempt_timeout{std::chrono::seconds(30)};
  // Attempts per call, for throttling, IDPCommunicationError, 5xx and transport failures before
  // any answer (botocore's standard retry mode: 3).
  int max_attempts = 3;
  // Backoff before attempt n+1: jitter * min(max_backoff, base * 2^(n-1)), as botocore's standard
  // mode.
  std::chrono::milliseconds base_backoff{std::chrono::seconds(1)};
  std::chrono::milliseconds max_backoff{std::chrono::seconds(20)};
  // An STS answer is a few KiB (credentials plus a session token); a longer one is refused.
  std::size_t max_response_bytes = std::size_t{64} << 10;
};

// Everything a provider that may do I/O needs. `transport` may be null: the container and IMDS
// providers then report themselves as not available. Immutable once handed to a factory (each
// provider keeps its own copy); the hooks in it must be thread-safe.
struct ProviderContext {
  Environment environment;
  // The shared files, if the caller already loaded them (the client's config resolver does);
  // otherwise they are loaded on first use.
  std::shared_ptr<const SharedConfig> shared_config;
  std::optional<std::string> profile;  // --profile
  std::shared_ptr<http::Transport> transport;
  Clock clock = system_clock();
  Jitter jitter;    // [0,1); when empty, a PRNG seeded once per provider
  Sleeper sleeper;  // between container attempts; when empty, a real sleep
  LogHook log;
  MetadataSettings metadata;
  ProcessSettings process;
  // --region: the region of STS calls, before AWS_REGION and the profile (resolve_region()).
  std::optional<std::string> region;
  // For assume-role profiles with `mfa_serial`; when empty such a profile is a Config error.
  MfaCodeCallback mfa_code;
  StsSettings sts;
};

// The selected profile's credentials, in botocore's order: IAM Identity Center (sso_session or
// the legacy sso_start_url; source "sso:<session or profile>"), keys set in the credentials file,
// `aws login` (login_session; source "login:<profile>"), credential_process, then keys set only
// in the config file. SSO and login trade a token cached by the AWS CLI for credentials (network
// I/O on resolve(), never before) and refresh that token, writing the cache back atomically; an
// expired token that cannot be refreshed is NoCredentials telling the user to run
// `aws sso login` / `aws login`. (role_arn and web_identity_token_file profiles are answered
// earlier in the chain, by the assume-role and web-identity providers.)
// An explicitly selected profile (--profile or AWS_PROFILE) that is in neither file is a Config
// error naming it and the files read. Source "profile:<name>" or "process:<name>".
BEDROCK_LITE_API std::shared_ptr<CredentialsProvider> make_profile_provider(
    ProviderContext context);

// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (against 169.254.170.2) or
// AWS_CONTAINER_CREDENTIALS_FULL_URI (https, loopback, or the ECS/EKS link-local hosts only),
// with AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (re-read every fetch) or
// AWS_CONTAINER_AUTHORIZATION_TOKEN as the Authorization header. Source "container".
BEDROCK_LITE_API std::shared_ptr<CredentialsProvider> make_container_provider(
    ProviderContext context);

// EC2 instance metadata, IMDSv2 (docs/wire-protocol.md §5.4): session token cached until 120 s
// before its TTL ends, the security-credentials-extended path then the legacy one, role
// rediscovery, v1 fallback only when allowed, static stability. Source "imds".
BEDROCK_LITE_API std::shared_ptr<CredentialsProvider> make_imds_provider(ProviderContext context);

// STS (docs/configuration.md "STS"): where the web-identity and assume-role providers send
// their calls. Immutable value.
struct StsEndpoint {
  std::string url;             // "https://sts.eu-west-1.amazonaws.com", no trailing slash
  std::string signing_region;  // the SigV4 scope's region ("us-east-1" for the global endpoint)
  std::string source;          // where the URL came from, for --debug: "AWS_ENDPOINT_URL_STS"...
};

// The STS endpoint for `profile`: unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (or the profile's
// ignore_configured_endpoint_urls) is true, AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, the profile's
// `services` section `sts = endpoint_url`, the profile's `endpoint_url`; else the endpoint rules:
// https://sts.{region}.amazonaws.com (amazonaws.com.cn for cn- regions...), sts-fips for
// AWS_USE_FIPS_ENDPOINT / use_fips_endpoint, api.aws for AWS_USE_DUALSTACK_ENDPOINT /
// use_dualstack_endpoint, and the global https://sts.amazonaws.com only when
// AWS_STS_REGIONAL_ENDPOINTS / sts_regional_endpoints is `legacy` and the region is one of the
// regions that endpoint served. The region is resolve_region(region_override...). Errors: NoRegion
// naming every place looked at; Config for a bad value (naming where it was set).
BEDROCK_LITE_API Result<StsEndpoint> resolve_sts_endpoint(
    const Environment& environment, const SharedConfig& shared_config,
    const std::optional<std::string>& override_profile,
    const std::optional<std::string>& region_override);

// Web identity (STS AssumeRoleWithWebIdentity, unsigned): AWS_WEB_IDENTITY_TOKEN_FILE,
// AWS_ROLE_ARN and AWS_ROLE_SESSION_NAME, each before the selected profile's
// web_identity_token_file, role_arn and role_session_name, except when a profile was chosen
// explicitly (context.profile, i.e. --profile: botocore's disable_env_vars), when only the profile
// counts. NoCredentials when no token file is configured; a token file without a role ARN is a
// Config error. The token file is read again at every fetch (the kubelet rotates it). No I/O
// until the first resolve(); no caching of its own (the default chain caches). Source
// "web-identity".
BEDROCK_LITE_API std::shared_ptr<CredentialsProvider> make_web_identity_provider(
    ProviderContext context);

// Assume role (STS AssumeRole, SigV4-signed with the source credentials): the selected profile's
// role_arn with source_profile (a chain of any length; each hop signs with the previous hop's
// credentials) or credential_source (Environment, Ec2InstanceMetadata, EcsContainer), and
// external_id, role_session_name, duration_seconds, mfa_serial. NoCredentials when the profile
// has no role_arn (or is a web identity profile); Config errors for both or neither source, a
// missing source profile, a cycle (naming its profiles), a bad duration, an MFA serial without
// context.mfa_code. Intermediate credentials are cached per hop. Source "assume-role:<profile>".
BEDROCK_LITE_API std::shared_ptr<CredentialsProvider> make_assume_role_provider(
    ProviderContext context);

// Refresh policy of the caching provider (docs/wire-protocol.md §5.8, our recommendation).
// Immutable value.
struct CachingSettings {
  // From this long before expiry one caller refreshes while others keep the current ones.
  std::chrono::seconds advisory_refresh{std::chrono::minutes(5)};
  // From this long before expiry every caller waits for fresh credentials.
  std::chrono::seconds mandatory_refresh{std::chrono::minutes(1)};
};

// Caches what `inner` returns and refreshes ahead of expiry. Thread-safe; single-flight (one
// refresh at a time). A failed refresh while the held credentials are still valid keeps them and
// reports to the log hook; credentials at or past expiry are never returned (IMDS static
// stability is the IMDS provider's own extended expiry). refresh() forces a fetch.
BEDROCK_LITE_API std::shared_ptr<CredentialsProvider> make_caching_provider(
    std::shared_ptr<CredentialsProvider> inner, Clock clock = system_clock(), LogHook log = {},
    CachingSettings settings = {});

// The standard chain, in order (botocore's): environment → assume-role (the profile's role_arn)
// → web identity → profile (static keys, credential_process) → container → IMDS
// (docs/configuration.md "Credentials: the default chain"). Walked lazily on first resolve();
// construction does no I/O. Once a provider has answered, refreshes ask that same provider. Each
// provider tried, and why it was skipped, goes to the log hook at Debug level; a chain where none
// answered fails with NoCredentials listing every reason.
BEDROCK_LITE_API std::shared_ptr<CredentialsProvider> make_chain_provider(
    std::vector<std::pair<std::string, std::shared_ptr<CredentialsProvider>>> providers,
    LogHook log = {});

// make_chain_provider over the standard providers, behind make_caching_provider: what a client
// uses by default.
BEDROCK_LITE_API std::shared_ptr<CredentialsProvider> make_default_chain(
    ProviderContext context, CachingSettings caching = {});

// A CA bundle path (leading "~/" expanded) and where it was found: "AWS_CA_BUNDLE" or
// "profile <name> (<file>:<line>)". Immutable value.
struct ResolvedCaBundle {
  std::string path;
  std::string source;
};

// AWS_CA_BUNDLE, else the selected profile's `ca_bundle`; nullopt when neither is set (libcurl's
// built-in trust store). Both the Bedrock transport and the metadata transport use it.
BEDROCK_LITE_API std::optional<ResolvedCaBundle> resolve_ca_bundle(
    const Environment& environment, const SharedConfig& shared_config,
    const std::optional<std::string>& override_profile);

// The one way the standard chain is assembled on a machine, shared by the client's config
// resolver, `bedrock-lite sign` and `bedrock-lite credentials` so that they resolve the same
// identity. The caller sets what it knows (environment, profile, log, ...); this loads the shared
// files when `shared_config` is empty and, when `transport` is empty, gives the metadata
// providers a fresh libcurl transport (its own connection pool, apart from Bedrock's) that trusts
// resolve_ca_bundle()'s bundle. Errors: the shared files' (Config, naming file and line).
BEDROCK_LITE_API Result<ProviderContext> prepare_provider_context(ProviderContext context);

// make_default_chain(prepare_provider_context(context)).
BEDROCK_LITE_API Result<std::shared_ptr<CredentialsProvider>> make_prepared_default_chain(
    ProviderContext context, CachingSettings caching = {});

// ---------------------------------------------------------------------------------------------
// Region

// A region and where it was found ("--region", "AWS_REGION", "AWS_DEFAULT_REGION",
// "profile default (~/.aws/config:3)"). Immutable value.
struct ResolvedRegion {
  std::string name;
  std::string source;
};

// --region > AWS_REGION > AWS_DEFAULT_REGION > the selected profile's `region` (the cross-SDK
// order; docs/wire-protocol.md §5.2). None → a NoRegion error naming every place it looked.
BEDROCK_LITE_API Result<ResolvedRegion> resolve_region(
    const std::optional<std::string>& cli_region, const Environment& environment,
    const SharedConfig& shared_config, const std::optional<std::string>& override_profile);

// ---------------------------------------------------------------------------------------------
// Bedrock API keys (bearer token, docs/wire-protocol.md §5.9)

// The token to send as `Authorization: Bearer <token>` instead of signing, or nullopt to sign.
// Precedence, as botocore: when AWS_BEARER_TOKEN_BEDROCK is set and non-empty, bearer auth is
// preferred over SigV4 for every Bedrock Runtime operation (all list httpBearerAuth), whatever
// credentials the chain would find — unless AWS_AUTH_SCHEME_PREFERENCE ranks sigv4 before
// httpBearerAuth (or lists sigv4 and not httpBearerAuth).
BEDROCK_LITE_API std::optional<Secret> bearer_token(const Environment& environment);

}  // namespace bedrock_lite::credentials
