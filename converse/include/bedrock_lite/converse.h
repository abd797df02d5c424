// The Bedrock Runtime client: Converse, ConverseStream and CountTokens over an http::Transport,
// signed with SigV4 (or a Bedrock API key), retried in AWS "standard" mode.
//
// A user reads this header: build a Config (usually with resolve_config()), create a Client,
// call it from any thread.
#pragma once

#include <bedrock_lite/clock.h>
#include <bedrock_lite/error.h>
#include <bedrock_lite/export.h>
#include <bedrock_lite/http.h>
#include <bedrock_lite/log.h>
#include <bedrock_lite/secret.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace bedrock_lite::converse {

// ---------------------------------------------------------------------------------------------
// Endpoints (API.md §1.2: the service's endpoint rule set)

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

// The three operations, by the last segment of their path (API.md §1.3).
enum class Operation { Converse, ConverseStream, CountTokens };

// "/model/<model id percent-encoded once>/<converse|converse-stream|count-tokens>".
// The model id keeps only A-Za-z0-9-._~; ':' and '/' become %3A and %2F (API.md §1.9: a raw
// '/' in an ARN would break the service's routing).
BEDROCK_LITE_API std::string operation_path(std::string_view model_id, Operation operation);

// ---------------------------------------------------------------------------------------------
// Retries (API.md §6: AWS "standard" mode, retry behavior 2.0 as the JS SDK v3 ships it)

// Immutable settings. Every default is the standard mode's.
struct RetryConfig {
  // Attempts in all, first one included (AWS_MAX_ATTEMPTS / max_attempts). 1 disables retries.
  int max_attempts = 3;
  // Full-jitter exponential backoff: delay = jitter() * min(base * 2^(retry-1), max_backoff).
  // JS SDK v3 bases: 100 ms for transient errors, 500 ms for throttling; 20 s cap everywhere.
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds throttling_base_delay{500};
  std::chrono::milliseconds max_backoff{std::chrono::seconds(20)};
  // The client-wide retry quota (token bucket, API.md §6.3): a retry costs retry_cost tokens
  // (timeout_retry_cost after a timeout); without enough tokens the error is returned as is.
  // A success gives back what its retries took, or success_increment when it took none.
  int quota_capacity = 500;
  int retry_cost = 5;
  int timeout_retry_cost = 10;
  int success_increment = 1;
  // Randomness and waiting, injectable for tests. Empty: a uniform generator owned by the client
  // and std::this_thread::sleep_for.
  Jitter jitter;
  Sleeper sleeper;
};

}  // namespace bedrock_lite::converse
