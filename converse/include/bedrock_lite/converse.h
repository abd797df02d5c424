// The Bedrock Runtime client: Converse, ConverseStream and CountTokens over an http::Transport,
// signed with SigV4 (or a Bedrock API key), retried in AWS "standard" mode.
//
// A user reads this header: build a Config (usually with resolve_config()), create a Client,
// call it from any thread.
//
//   using namespace bedrock_lite;
//   auto config = converse::resolve_config(credentials::Environment::from_process());
//   if (!config) return fail(config.error());            // NoRegion, Config, ...
//   auto client = converse::Client::create(std::move(config).value());
//   if (!client) return fail(client.error());
//   converse::ConverseRequest request;
//   request.model_id = "us.amazon.nova-micro-v1:0";
//   converse::ContentBlock text;
//   text.text = "Hello";
//   request.messages = {{"user", {text}, {}}};
//   auto response = client->converse_stream(request, [](const converse::StreamEvent& event) {
//     if (auto* delta = std::get_if<converse::ContentBlockDeltaEvent>(&event.body)) {
//       if (delta->delta.text) std::fputs(delta->delta.text->c_str(), stdout);
//     }
//     return converse::StreamControl::Continue;
//   });
//   // response: the same ConverseResponse converse() returns, or an Error (kind, AWS type,
//   // message, HTTP status, request id) after every event that came before it.
#pragma once

#include <bedrock_lite/converse_events.h>
#include <bedrock_lite/converse_types.h>
#include <bedrock_lite/core.h>
#include <bedrock_lite/credentials.h>
#include <bedrock_lite/export.h>
#include <bedrock_lite/http.h>
#include <bedrock_lite/replay.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bedrock_lite::converse {

// ---------------------------------------------------------------------------------------------
// Endpoints (docs/wire-protocol.md §1.2: the service's endpoint rule set)

// Inputs of the endpoint rules. Immutable value.
struct EndpointParams {
  std::string region;
  bool use_fips = false;        // AWS_USE_FIPS_ENDPOINT
  bool use_dual_stack = false;  // AWS_USE_DUALSTACK_ENDPOINT
  // An explicit endpoint (config, AWS_ENDPOINT_URL_BEDROCK_RUNTIME, AWS_ENDPOINT_URL): used
  // verbatim, minus a trailing '/'. Only here may the scheme be plain http:// (loopback, tests).
  std::optional<std::string> endpoint_url;
};

// The base URL, scheme://host[:port][/base-path], without a trailing '/'. Errors are the rule
// set's own words: "Invalid Configuration: Missing Region" (NoRegion), "...: FIPS and custom
// endpoint are not supported", "...: Dualstack and custom endpoint are not supported" and
// "DualStack is enabled but this partition does not support DualStack" (Config); a malformed
// region or endpoint URL is a Config error naming it.
BEDROCK_LITE_API Result<std::string> resolve_endpoint(const EndpointParams& params);

// The three operations, by the last segment of their path (docs/wire-protocol.md §1.3).
enum class Operation { Converse, ConverseStream, CountTokens };

// "/model/<model id percent-encoded once>/<converse|converse-stream|count-tokens>".
// The model id keeps only A-Za-z0-9-._~; ':' and '/' become %3A and %2F (docs/wire-protocol.md
// §1.9: a raw
// '/' in an ARN would break the service's routing).
BEDROCK_LITE_API std::string operation_path(std::string_view model_id, Operation operation);

// ---------------------------------------------------------------------------------------------
// Retries (docs/wire-protocol.md §6: AWS "standard" mode, retry behavior 2.0 as the JS SDK v3 ships
// it)

// Immutable settings. Every default is the standard mode's.
struct RetryConfig {
  // Attempts in all, first one included (AWS_MAX_ATTEMPTS / max_attempts). 1 disables retries.
  int max_attempts = 3;
  // Full-jitter exponential backoff: delay = jitter() * min(base * 2^(retry-1), max_backoff).
  // JS SDK v3 bases: 100 ms for transient errors, 500 ms for throttling; 20 s cap everywhere.
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds throttling_base_delay{500};
  std::chrono::milliseconds max_backoff{std::chrono::seconds(20)};
  // The client-wide retry quota (token bucket, docs/wire-protocol.md §6.3): a retry costs
  // retry_cost tokens (timeout_retry_cost after a timeout); without enough tokens the error is
  // returned as is. A success gives back what its retries took, or success_increment when it took
  // none.
  int quota_capacity = 500;
  int retry_cost = 5;
  int timeout_retry_cost = 10;
  int success_increment = 1;
  // Randomness and waiting, injectable for tests. Empty: a uniform generator owned by the client
  // and std::this_thread::sleep_for.
  Jitter jitter;
  Sleeper sleeper;
};

// ---------------------------------------------------------------------------------------------
// Configuration

// Where one resolved setting came from, for --debug ("region", "us-east-1", "AWS_REGION").
struct ConfigOrigin {
  std::string setting;
  std::string value;  // never a secret
  std::string source;
};

// Everything a Client needs, resolved. Immutable once the client is built (the client keeps a
// copy). Build one by hand, or with resolve_config().
struct Config {
  // The signing region (also picks the endpoint when `endpoint` is derived from it).
  std::string region;
  // Base URL, as resolve_endpoint() returns it. https:// for real endpoints; http:// only when
  // given explicitly (loopback servers, tests).
  std::string endpoint;
  // SigV4 credentials (default: the standard chain). Not used when `bearer_token` is set.
  std::shared_ptr<credentials::CredentialsProvider> credentials;
  // A Bedrock API key: sent as `Authorization: Bearer <token>` instead of a SigV4 signature
  // (docs/wire-protocol.md §5.9).
  std::optional<Secret> bearer_token;
  RetryConfig retry;
  // Per attempt: connect, stall (no byte for that long; never a cap on a generation that keeps
  // sending) and an optional total deadline. Defaults in http::Timeouts.
  http::Timeouts timeouts;
  // Optional cap on one whole call: every attempt and the backoff between them, measured on
  // `clock`. Each attempt's total deadline is cut to what is left; a retry whose backoff would
  // end past the cap is not made, and the call returns its last error. None by default.
  std::optional<std::chrono::milliseconds> call_timeout;
  // Converse and CountTokens bodies longer than this are a Protocol error (the peer controls the
  // size). Streams are not buffered; each event is bounded by the decoder's limits.
  std::size_t max_response_bytes = std::size_t{64} << 20;
  std::string user_agent = std::string("bedrock-lite/") + version();
  // Retries, refreshes and each attempt (headers redacted) are reported here; nothing otherwise.
  LogHook log;
  // The transport; when empty, the client makes the libcurl one. Replay and recording
  // transports (bedrock_lite/replay.h) plug in here; resolve_config() makes them for
  // ConfigOverrides::replay_dir and record_dir.
  std::shared_ptr<http::Transport> transport;
  // The record/replay transport resolve_config() made for ConfigOverrides::replay_dir (also
  // `transport`), for its strict check (unused()) and the end of an "all" run (finish(); the
  // transport's destructor does it when the last client holding it goes). Null otherwise.
  std::shared_ptr<replay::RecordReplayTransport> recordings;
  // Wall clock for signing (corrected for clock skew by the client).
  Clock clock = system_clock();
  // Where each resolved value came from (filled by resolve_config()).
  std::vector<ConfigOrigin> origins;
};

// What a caller sets explicitly (code or CLI flags); each set member wins over the environment
// and the shared files.
struct ConfigOverrides {
  std::optional<std::string> region;                         // --region
  std::optional<std::string> profile;                        // --profile
  std::optional<std::string> endpoint_url;                   // --endpoint-url
  std::optional<int> max_attempts;                           // --max-attempts
  std::optional<std::chrono::milliseconds> connect_timeout;  // --connect-timeout
  std::optional<std::chrono::milliseconds> read_timeout;     // --read-timeout (stall)
  std::optional<std::chrono::milliseconds> total_timeout;    // per attempt
  std::optional<std::chrono::milliseconds> call_timeout;     // all attempts of one call
  std::shared_ptr<credentials::CredentialsProvider> credentials;
  std::shared_ptr<http::Transport> transport;
  LogHook log;
  // Asked for an MFA code when an assume-role profile has mfa_serial (the CLI: --mfa-code or a
  // prompt on a terminal); see credentials::ProviderContext::mfa_code.
  credentials::MfaCodeCallback mfa_code;
  // --replay: answer every call from this fixture set (docs/fixtures.md) instead of the network.
  // A replay checks no signature, so a fixed, non-secret placeholder identity (access key id
  // AKIDREPLAY, source "replay") signs unless `credentials` is given; bearer auth is off; the
  // region defaults to us-east-1 when none is configured. Not together with `transport`.
  std::optional<std::string> replay_dir;
  // --record-mode: what replay_dir is used for (replay::RecordMode: none, the default, replays;
  // once, new and all may record, through `transport` or libcurl, with real credentials).
  // A mode that may record keeps the region, credentials and bearer token a live call needs.
  std::optional<replay::RecordMode> record_mode;
  // --record: save every exchange to this folder as a fixture set (replay::RecordingTransport
  // around the transport). Ignored with `replay_dir`: a replay sends nothing to record.
  std::optional<std::string> record_dir;
};

// Resolves a Config the way the AWS CLI would on this machine, from one Environment snapshot and
// the shared files it names (docs/wire-protocol.md §5):
//  - region: overrides, AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`;
//  - endpoint: overrides, then (unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true)
//    AWS_ENDPOINT_URL_BEDROCK_RUNTIME, AWS_ENDPOINT_URL, the profile's services section
//    `bedrock_runtime = endpoint_url`, the profile's `endpoint_url`; else the rules of
//    resolve_endpoint() with AWS_USE_FIPS_ENDPOINT / use_fips_endpoint and
//    AWS_USE_DUALSTACK_ENDPOINT / use_dualstack_endpoint;
//  - max attempts: overrides, AWS_MAX_ATTEMPTS, the profile's `max_attempts`, 3;
//  - credentials: overrides, else the default chain (no I/O until the first call);
//  - bearer token: AWS_BEARER_TOKEN_BEDROCK as credentials::bearer_token() decides;
//  - CA bundle (credentials::resolve_ca_bundle(): AWS_CA_BUNDLE, `ca_bundle`) for the libcurl
//    transport made here when the overrides give none, and for the credentials chain's metadata
//    transport (credentials::prepare_provider_context(), as `bedrock-lite credentials` uses);
//  - replay_dir (with record_mode) / record_dir: the record/replay or recording transport,
//    origin "replay" / "record";
//  - user agent "bedrock-lite/<version>" with AWS_SDK_UA_APP_ID appended as "app/<id>".
// Errors: Config naming the variable or file:line of a bad value; NoRegion listing where it
// looked.
BEDROCK_LITE_API Result<Config> resolve_config(const credentials::Environment& environment,
                                               const ConfigOverrides& overrides = {});

// ---------------------------------------------------------------------------------------------
// The client

// What a stream handler tells the client.
enum class StreamControl { Continue, Stop };

// Receives each ConverseStream event as it arrives, on the thread that called converse_stream().
// The event is valid only during the call; copy what you keep. Unknown event types arrive too
// (StreamEvent::body holds UnknownEvent). Returning Stop cancels the transfer within one chunk
// and converse_stream() returns a Cancelled error.
using StreamHandler = std::function<StreamControl(const StreamEvent& event)>;

// The Bedrock Runtime client. Thread-safe: one client serves any number of threads at once
// (calls share the transport's connection pool, the signing-key cache, the retry quota and the
// clock-skew offset). Move-only.
//
// Every call: builds the JSON body from the typed request, signs each attempt anew (SigV4 with
// service "bedrock", signed headers content-type;host;x-amz-date[;x-amz-security-token]) or adds
// the bearer token, and retries in standard mode. On ExpiredTokenException-type errors it forces
// a credentials refresh and retries once; on clock-skew errors it corrects its offset from the
// response's Date header and retries once, immediately. Every Error from a response carries its
// request id. A moved-from Client may only be destroyed or assigned to.
class BEDROCK_LITE_API Client {
 public:
  // Checks the config (region, endpoint URL, credentials or bearer token) and builds the client;
  // makes the libcurl transport when the config names none. No network I/O.
  static Result<Client> create(Config config);

  // A client in one line: resolve_config() over this process's environment and shared AWS files
  // (the standard credentials chain, region and settings, exactly as the AWS CLI finds them),
  // then create(). `overrides` win over what the environment says. No network I/O.
  static Result<Client> from_environment(const ConfigOverrides& overrides = {});

  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  // POST /model/{modelId}/converse.
  Result<ConverseResponse> converse(const ConverseRequest& request) const;

  // POST /model/{modelId}/converse-stream. Events go to `handler` as they arrive; the returned
  // response is what StreamAccumulator rebuilds from them (the same type converse() returns).
  // A stream exception ends the call with its Error after every earlier event was delivered.
  // Attempts are retried only until the first event reached the handler, never after.
  Result<ConverseResponse> converse_stream(const ConverseRequest& request,
                                           const StreamHandler& handler) const;

  // POST /model/{modelId}/count-tokens.
  Result<CountTokensResponse> count_tokens(const CountTokensRequest& request) const;

  const Config& config() const noexcept;

 private:
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------------------------------------
// The event-driven client (docs/async.md)

// Receive the end of an AsyncClient call: exactly once per call, on the engine's driving thread.
using ConverseCompletion = std::function<void(Result<ConverseResponse> result)>;
using CountTokensCompletion = std::function<void(Result<CountTokensResponse> result)>;

// Options of one AsyncClient call.
struct CallOptions {
  // Cap on the whole call (every attempt, the backoff between them and the credentials fetch);
  // when it passes, the call ends with a Timeout error. Unset: Config::call_timeout.
  std::optional<std::chrono::milliseconds> deadline;
};

// Names one AsyncClient call (0 is never used).
using CallHandle = std::uint64_t;

// Any number of Converse, ConverseStream and CountTokens calls on one thread: the thread that
// drives `engine` (http::Engine::run/poll, or an outside loop through http::LoopHooks). Behaves
// call for call like Client: the same signing, lazy credentials, standard-mode retries (their
// backoff is an engine timer, never a sleep; RetryConfig::sleeper is not used), stall and total
// limits, clock-skew correction, one refresh on ExpiredToken, replay and recording; errors are
// values delivered to the completion.
//
// Credentials are fetched on a worker thread the client owns (a slow IMDS, container endpoint,
// STS or SSO call never holds up the engine's thread); the result comes back through
// Engine::post. The libcurl and recording transports run on the engine; a transport with only
// send() (replay) runs on the driving thread at the engine's next turn.
//
// Single-thread: create, start, cancel and destroy it on the driving thread. Handlers and
// completions run there, never inside the call that started them. The engine must outlive the
// client. Destroying the client cancels its calls (each completion gets a Cancelled error).
class BEDROCK_LITE_API AsyncClient {
 public:
  // Client::create's checks; makes the libcurl transport when the config names none.
  static Result<AsyncClient> create(Config config, http::Engine& engine);

  AsyncClient(AsyncClient&&) noexcept;
  AsyncClient& operator=(AsyncClient&&) noexcept;
  AsyncClient(const AsyncClient&) = delete;
  AsyncClient& operator=(const AsyncClient&) = delete;
  ~AsyncClient();

  CallHandle converse(const ConverseRequest& request, ConverseCompletion done,
                      CallOptions options = {});
  // Events go to `handler` as they arrive (a StreamEvent is valid only during the call), then the
  // accumulated response or the Error to `done`.
  CallHandle converse_stream(const ConverseRequest& request, StreamHandler handler,
                             ConverseCompletion done, CallOptions options = {});
  CallHandle count_tokens(const CountTokensRequest& request, CountTokensCompletion done,
                          CallOptions options = {});

  // Ends the call: its completion gets a Cancelled error before cancel() returns. A call that
  // already ended is ignored.
  void cancel(CallHandle call);
  // Calls started and not yet ended.
  std::size_t in_flight() const;

  const Config& config() const noexcept;

 private:
  struct Impl;
  explicit AsyncClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bedrock_lite::converse
