// The STS client the web-identity and assume-role providers share: one POST of a form body to
// the resolved endpoint, unsigned (AssumeRoleWithWebIdentity) or SigV4-signed (AssumeRole), with
// bounded retries of transient failures, and the answer read by sts_xml.h.
#pragma once

#include <bedrock_lite/credentials.h>

#include <string>
#include <utility>
#include <vector>

namespace bedrock_lite::credentials::detail {

// What an STS call needs from the provider's context. Thread-safe to share (the hooks must be).
struct StsCaller {
  std::shared_ptr<http::Transport> transport;
  Clock clock;
  Jitter jitter;    // [0,1)
  Sleeper sleeper;  // between attempts
  LogHook log;
  StsSettings settings;
};

// Fills the hooks a context left empty (a seeded PRNG, a real sleep).
StsCaller make_sts_caller(const ProviderContext& context);

// One STS query-protocol call.
struct StsCall {
  std::string action;  // "AssumeRole", "AssumeRoleWithWebIdentity"
  // Form parameters after Action and Version, in this order. Values are raw (encoded here).
  std::vector<std::pair<std::string, std::string>> parameters;
  // Signs the request with these (service "sts", the endpoint's signing region); nullptr sends
  // it unsigned, as AssumeRoleWithWebIdentity must be.
  const Credentials* signing_credentials = nullptr;
  // What --debug may say about the call (the role ARN); never a token.
  std::string description;
};

// Sends `call`, retrying (settings.max_attempts in all) errors marked retryable, and returns the
// credentials of the answer (source and account id to be set by the caller: account id is set
// from AssumedRoleUser when present). Errors name the action and the endpoint.
Result<Credentials> call_sts(const StsCaller& caller, const StsEndpoint& endpoint,
                             const StsCall& call);

// application/x-www-form-urlencoded as the AWS query protocol writes it: RFC 3986 unreserved
// characters kept, every other byte %XX (space included, never '+').
std::string form_encode(std::string_view text);

}  // namespace bedrock_lite::credentials::detail
