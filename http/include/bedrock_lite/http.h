// The HTTP transport interface and its libcurl implementation. Tests and users swap in other
// transports (replay, recording, their own) through the same interface.
#pragma once

#include <bedrock_lite/core.h>
#include <bedrock_lite/export.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bedrock_lite::http {

// One header as sent or received. Names compare case-insensitively; order is kept.
struct Header {
  std::string name;
  std::string value;
};
using Headers = std::vector<Header>;

// Case-insensitive lookup of the first header with that name; nullptr when absent.
BEDROCK_LITE_API const std::string* find_header(const Headers& headers, std::string_view name);

// Per-request time limits. The read limit is a stall limit (no byte received for that long),
// never a cap on the total duration, so a long generation that keeps sending is not cut off.
struct Timeouts {
  // Time to establish TCP + TLS.
  std::chrono::milliseconds connect{std::chrono::seconds(10)};
  // No byte for this long, while waiting for the response or in the middle of the body.
  // Sized for long non-streaming generations, where the service sends nothing until done.
  std::chrono::milliseconds stall{std::chrono::minutes(5)};
  // Optional cap on the whole exchange; none by default.
  std::optional<std::chrono::milliseconds> total;
};

// Immutable once built.
struct Request {
  std::string method;  // "GET", "PUT", "POST"
  // Absolute URL: scheme://host[:port]/path[?query]. The path is already percent-encoded and is
  // sent exactly as given (model ids carry %3A and %2F that must not be re-normalised).
  std::string url;
  // Sent exactly as given, in order. The transport adds nothing that would need signing (it
  // suppresses libcurl's automatic Expect and Accept headers).
  Headers headers;
  std::string body;
  Timeouts timeouts;
  // False for link-local metadata endpoints (IMDS, container), which must bypass proxies.
  bool use_proxy = true;
};

struct ResponseHead {
  int status = 0;
  Headers headers;
};

// Receives a response as it arrives. Called on the thread that called Transport::send().
// Single-thread. Views passed in are valid only during the call.
class BEDROCK_LITE_API BodySink {
 public:
  virtual ~BodySink() = default;
  // Status and headers, once, before any body byte. Return false to cancel the transfer.
  virtual bool on_head(const ResponseHead& head) = 0;
  // One body chunk, as received from the network. Return false to cancel the transfer.
  virtual bool on_body(std::string_view chunk) = 0;
};

// Thread-safe: one transport serves concurrent send() calls.
class BEDROCK_LITE_API Transport {
 public:
  virtual ~Transport() = default;
  // Sends one request and streams the response into `sink`. Returns the head once the whole
  // response was received, whatever its status (an HTTP error status is not a transport
  // error). Otherwise an Error of kind Network, Timeout, Cancelled (a sink returned false) or
  // Protocol (malformed HTTP); `retryable` is set for failures before any response byte.
  virtual Result<ResponseHead> send(const Request& request, BodySink& sink) = 0;
};

// Reads one environment variable: nullopt when unset. The library never calls getenv itself
// (the caller passes its environment snapshot, e.g. credentials::Environment).
using EnvironmentLookup = std::function<std::optional<std::string>(std::string_view name)>;

// Where TLS trust anchors are read from. Immutable.
struct CaTrust {
  std::string file;       // a PEM bundle; empty when only `directory` is used
  std::string directory;  // OpenSSL hashed directories (<hash>.0 names), ':'-separated; or empty
};

// The CA certificates to trust, the first that exists of (docs/configuration.md, "CA
// certificates"):
//   1. `explicit_bundle` (AWS_CA_BUNDLE or the profile's ca_bundle, resolved by the caller): when
//      given it is the only choice, and a missing or unreadable file is a Config error;
//   2. SSL_CERT_FILE (a file) and SSL_CERT_DIR (':'-separated directories), from `environment`
//      (empty: no variable is read); both are used when both exist;
//   3. the system bundles Debian/Ubuntu, RHEL/Fedora, SUSE, Alpine and others ship, in the order
//      Go's crypto/x509 (root_linux.go) probes them, then their hashed certificate directories.
// A directory counts only when it holds a hashed certificate name, as OpenSSL needs. `root`
// (tests) is prefixed to the system locations only. None found: a Config error naming every
// place tried.
BEDROCK_LITE_API Result<CaTrust> find_ca_trust(std::string_view explicit_bundle,
                                               const EnvironmentLookup& environment,
                                               std::string_view root = {});

// Options of the libcurl transport. Immutable once the transport is built.
struct CurlOptions {
  // PEM bundle of trusted CAs (AWS_CA_BUNDLE or the profile's ca_bundle, resolved by the
  // caller). Empty: find_ca_trust picks one (SSL_CERT_FILE / SSL_CERT_DIR through `environment`,
  // then the system locations). Verification itself is never off. When nothing is found, every
  // https request fails with find_ca_trust's Config error; plain http (metadata endpoints) works.
  std::string ca_bundle;
  // Explicit proxy URL for requests with use_proxy. Unset: libcurl reads HTTPS_PROXY /
  // https_proxy / http_proxy / NO_PROXY itself, as curl and botocore do.
  std::optional<std::string> proxy;
  // Hosts that bypass `proxy` (libcurl NO_PROXY syntax); only used together with `proxy`.
  std::optional<std::string> no_proxy;
  // Idle connection handles kept for reuse (each holds its keep-alive connections). More
  // concurrent calls than this still work; the surplus handles are closed after use.
  std::size_t max_idle_handles = 16;
  // Where SSL_CERT_FILE and SSL_CERT_DIR are read from; empty reads none.
  EnvironmentLookup environment;
};

// The libcurl transport: keep-alive connections from a bounded pool of handles (a handle is
// checked out for one call, so concurrent send() calls never share one), TLS verification always
// on, HTTP/1.1, the stall timeout measured to the millisecond, body chunks delivered as libcurl
// receives them. Thread-safe. libcurl's process-wide initialisation happens once, lazily.
BEDROCK_LITE_API std::unique_ptr<Transport> make_curl_transport(CurlOptions options = {});

// The one redaction function for logging or recording a header: returns `value` unchanged, or
// the fixed mask Secret::kMask ("<redacted>") when the header carries a secret: Authorization,
// Proxy-Authorization, X-Amz-Security-Token, Cookie, Set-Cookie, any header whose value is a
// bearer token ("Bearer ..."), and token-bearing names (*-Token, *-Api-Key, X-Api-Key).
// X-Amz-Content-Sha256, X-Amz-Date and the like are shown.
BEDROCK_LITE_API std::string redact_header_value(std::string_view name, std::string_view value);

// A whole response, buffered.
struct Response {
  int status = 0;
  Headers headers;
  std::string body;
};

// Sends `request` and buffers the body. A body longer than `max_body_bytes` is a Protocol
// error (a peer controls that size).
BEDROCK_LITE_API Result<Response> fetch(Transport& transport, const Request& request,
                                        std::size_t max_body_bytes = std::size_t{64} << 20);

// The libcurl this process runs on, with its TLS backend and resolver, for `bedrock-lite
// --version` and bug reports: "libcurl/8.5.0 (TLS OpenSSL/3.0.13, resolver threaded)".
BEDROCK_LITE_API std::string curl_runtime_version();

}  // namespace bedrock_lite::http
