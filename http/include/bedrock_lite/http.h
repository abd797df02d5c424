// The HTTP transport interface and its libcurl implementation. Tests and users swap in other
// transports (replay, recording, their own) through the same interface.
#pragma once

#include <bedrock_lite/core.h>
#include <bedrock_lite/export.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
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

class Engine;

// Names one call started on an Engine (0 is never used).
using CallId = std::uint64_t;

// Receives the end of a call started on an Engine: what Transport::send() would have returned.
// Called exactly once, on the thread that drives the engine.
using Completion = std::function<void(Result<ResponseHead> result)>;

// Thread-safe: one transport serves concurrent send() calls.
class BEDROCK_LITE_API Transport {
 public:
  virtual ~Transport() = default;
  // Sends one request and streams the response into `sink`. Returns the head once the whole
  // response was received, whatever its status (an HTTP error status is not a transport
  // error). Otherwise an Error of kind Network, Timeout, Cancelled (a sink returned false) or
  // Protocol (malformed HTTP); `retryable` is set for failures before any response byte.
  virtual Result<ResponseHead> send(const Request& request, BodySink& sink) = 0;

  // The event-driven form of send(): starts `request` on `engine` and returns at once; the sink
  // and then `done` run on the engine's driving thread. `request` and `sink` must live until
  // `done` ran: neither is copied (a call in flight holds no second copy of its body). Call it
  // on the driving thread. The default runs send() on the driving thread at the engine's next
  // turn, which blocks that thread for as long as send() takes: right for transports that do no
  // I/O (replay); the libcurl transport and the recording transport override it and never block.
  // Inline (defined after Engine below), so Transport has no key function: its vtable and
  // typeinfo are emitted where it is used, and a class derived from it in code built with RTTI
  // links against a library built with -fno-rtti (the noexcept and static builds).
  virtual inline CallId start(Engine& engine, const Request& request, BodySink& sink,
                              Completion done);
};

// Which sockets an outside event loop watches for an Engine.
enum class SocketWatch { Remove, Read, Write, ReadWrite };

// How an Engine plugs into an event loop that is not its own (epoll, libuv, Boost.Asio, Qt).
// Both are called on the driving thread, from inside the engine's own calls.
struct LoopHooks {
  // Watch `fd` for `watch` (Remove: stop watching it); when it is ready, call
  // Engine::on_socket(fd, what is ready). One of the descriptors is the engine's own wake-up
  // descriptor (for post() from other threads); it is watched for reading like the others.
  std::function<void(int fd, SocketWatch watch)> watch_socket;
  // Call Engine::on_timeout() after `delay` (replacing any earlier timer), or never (nullopt).
  std::function<void(std::optional<std::chrono::milliseconds> delay)> set_timer;
};

// The event-driven engine: any number of HTTP calls on one thread over libcurl's multi interface
// (curl_multi_socket_action), with timers and a queue of work posted from other threads.
//
// Two ways to drive it: poll()/run() (its own epoll loop), or an outside loop through LoopHooks
// and on_socket()/on_timeout(). Each call has the stall and total limits of its Request's
// Timeouts, measured on the steady clock by engine timers.
//
// Single-thread: every member but post() and keep_running() is called on one thread at a time
// (the driving thread); sinks, completions, timers and posted work run there. Calls, timers and
// posted work left when the engine is destroyed are dropped without their completion.
class BEDROCK_LITE_API Engine {
 public:
  using TimerId = std::uint64_t;

  // Empty hooks: drive it with poll() or run(). Errors: Network when the OS refuses the epoll or
  // eventfd descriptor, Config when libcurl cannot be initialised.
  static Result<std::unique_ptr<Engine>> create(LoopHooks hooks = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Starts `request` through `transport` (Transport::start).
  CallId start(Transport& transport, const Request& request, BodySink& sink, Completion done) {
    return transport.start(*this, request, sink, std::move(done));
  }
  // Ends a call: its completion gets a Cancelled error, before cancel() returns or, when called
  // from inside one of the engine's callbacks, as soon as that callback returned. An id that
  // already ended is ignored.
  void cancel(CallId id);

  // Runs `fn` once on the driving thread after `delay`.
  TimerId add_timer(std::chrono::milliseconds delay, std::function<void()> fn);
  void cancel_timer(TimerId id);
  // Runs `fn` on the driving thread at the engine's next turn. Thread-safe: wakes the engine.
  void post(std::function<void()> fn);
  // While a returned token lives, run() does not return (work is on its way through post()
  // from another thread). Thread-safe; the token may be dropped on any thread.
  std::shared_ptr<void> keep_running();

  // Runs what is ready, waiting at most `timeout` for something to become ready. Returns the
  // number of calls still in flight. Only without LoopHooks.
  std::size_t poll(std::chrono::milliseconds timeout);
  // poll() until no call, timer, posted work or keep_running() token is left.
  void run();
  // True when no call, timer, posted work or token is left.
  bool idle() const;
  std::size_t calls_in_flight() const;

  // Outside-loop driving: a watched descriptor is ready, or the timer asked for expired.
  void on_socket(int fd, SocketWatch ready);
  void on_timeout();

  // Runs `send` on the driving thread at the engine's next turn, as one call (cancel() before it
  // runs completes it as Cancelled): the default Transport::start.
  CallId defer(std::function<Result<ResponseHead>()> send, Completion done);

  struct Impl;
  // For the libcurl transport in this module.
  Impl& impl() { return *impl_; }

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

inline CallId Transport::start(Engine& engine, const Request& request, BodySink& sink,
                               Completion done) {
  // The caller keeps `request` and `sink` until `done` ran.
  return engine.defer([this, &request, &sink] { return send(request, sink); }, std::move(done));
}

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
  // Idle engines kept for send()'s reuse (each holds its keep-alive connections). More
  // concurrent send() calls than this still work; the surplus engines are closed after use.
  std::size_t max_idle_handles = 16;
  // Where SSL_CERT_FILE and SSL_CERT_DIR are read from; empty reads none.
  EnvironmentLookup environment;
  // Http2: HTTP/2 over TLS when the server offers it by ALPN (as AWS's JavaScript SDK talks to
  // Bedrock Runtime), with concurrent calls on one Engine multiplexed over shared connections up
  // to the server's stream limit; plain http:// stays HTTP/1.1, and so does everything on a
  // libcurl built without HTTP/2 (curl_runtime_version() then says "HTTP/1.1 only"). Http1_1
  // forces HTTP/1.1 (one connection per concurrent call).
  enum class Version { Http2, Http1_1 } http_version = Version::Http2;
};

// The libcurl transport: TLS verification always on, HTTP/2 or HTTP/1.1 (CurlOptions), the
// stall timeout measured to the millisecond, body chunks delivered as libcurl receives them.
// send() drives one call on an Engine checked out of a bounded pool (each engine keeps its
// keep-alive connections; concurrent send() calls never share one); start() runs the call on the
// caller's engine. Thread-safe. libcurl's process-wide initialisation happens once, lazily.
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

// The libcurl this process runs on, with its TLS backend, resolver and whether it speaks HTTP/2,
// for `bedrock-lite --version` and bug reports:
// "libcurl/8.5.0 (TLS OpenSSL/3.0.13, resolver threaded, HTTP/2)"; "HTTP/1.1 only" names a
// libcurl built without nghttp2, on which CurlOptions::Version::Http2 falls back to HTTP/1.1.
BEDROCK_LITE_API std::string curl_runtime_version();

}  // namespace bedrock_lite::http
