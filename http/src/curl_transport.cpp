// The libcurl transport. start() configures an easy handle from the transport's options and
// hands it to the caller's Engine (engine.cpp drives it); send() checks an Engine out of a pool,
// drives that one call to its end and returns the engine: the engine's multi handle owns the
// connection cache, so keep-alive connections survive between calls, and its timers measure the
// stall timeout to the millisecond (libcurl's progress callback and LOW_SPEED_TIME only tick once
// a second).
#include <bedrock_lite/http.h>

#include "engine.h"

#include <bedrock_lite/internal/text.h>

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bedrock_lite::http {
namespace {

using internal::host_of;
using internal::iequals;

// libcurl hands over each header line with its CRLF.
std::string_view trim(std::string_view text) {
  return internal::trim(text, internal::kBlanksAndLineEnds);
}

// One pass over the text: find_first_of("\r\n") runs a memchr per character, and every header of
// every call goes through here.
bool has_line_break(std::string_view text) {
  for (const char c : text) {
    if (c == '\r' || c == '\n') return true;
  }
  return false;
}

long to_curl_ms(std::chrono::milliseconds ms) {
  return static_cast<long>(std::max<std::chrono::milliseconds::rep>(ms.count(), 1));
}

using detail::CurlCall;
using detail::HeaderLines;
using detail::Stop;
using detail::Transfer;

// Called once per header line, including interim (1xx) responses' lines and the blank line that
// ends each head. The final head goes to the sink at its blank line; trailers are ignored.
size_t on_header_line(char* buffer, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t length = size * count;
  transfer->last_activity = *transfer->now;
  transfer->received_any = true;
  if (transfer->head_done) return length;
  std::string_view line(buffer, length);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);

  ResponseHead& head = transfer->head;
  if (line.substr(0, 5) == "HTTP/") {
    // HTTP/2 status lines read "HTTP/2 200": an HTTP/1.x one tells the engine (update_host_cap).
    if (transfer->answered_http1 != nullptr && line.substr(0, 7) == "HTTP/1.") {
      *transfer->answered_http1 = true;
    }
    head = ResponseHead{};
    auto space = line.find(' ');
    if (space != std::string_view::npos) {
      auto code = line.substr(space + 1, 3);
      std::from_chars(code.data(), code.data() + code.size(), head.status);
    }
    return length;
  }
  if (line.empty()) {
    if (head.status >= 100 && head.status < 200) {  // 100-continue and other interim heads
      head = ResponseHead{};
      return length;
    }
    transfer->head_done = true;
    if (!transfer->sink->on_head(head)) {
      transfer->cancelled = true;
      return 0;
    }
    return length;
  }
  if ((line.front() == ' ' || line.front() == '\t') && !head.headers.empty()) {
    // Obsolete line folding (RFC 7230 §3.2.4): the continuation joins the previous value.
    head.headers.back().value += ' ';
    head.headers.back().value += std::string(trim(line));
    return length;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return length;  // not a header; libcurl rejects real garbage
  head.headers.push_back(
      Header{std::string(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1)))});
  return length;
}

size_t on_body_bytes(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t length = size * count;
  transfer->last_activity = *transfer->now;
  transfer->received_any = true;
  if (!transfer->head_done) {
    // A body before the end of the head cannot come from HTTP/1.1; deliver the head we have
    // rather than reorder the sink's calls.
    transfer->head_done = true;
    if (!transfer->sink->on_head(transfer->head)) {
      transfer->cancelled = true;
      return 0;
    }
  }
  if (length == 0) return 0;
  if (!transfer->sink->on_body(std::string_view(data, length))) {
    transfer->cancelled = true;
    return 0;
  }
  return length;
}

// Whether the libcurl this process runs on was built with HTTP/2 (nghttp2). Asked once: the
// answer cannot change while the process runs.
bool curl_has_http2() {
  static const bool has = [] {
    const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
    return info != nullptr && (info->features & CURL_VERSION_HTTP2) != 0;
  }();
  return has;
}

// How a curl failure reads to the caller (retryable is decided by what had arrived).
ErrorKind kind_of(CURLcode code) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return ErrorKind::Timeout;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_BAD_FUNCTION_ARGUMENT:
      return ErrorKind::Usage;
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
      return ErrorKind::Config;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_TOO_MANY_REDIRECTS:
      return ErrorKind::Protocol;
    default:
      // Resolve, connect, TLS handshake and verification, send/recv failures, resets, a body cut
      // short (PARTIAL_FILE) and an empty reply (GOT_NOTHING): the network failed us.
      return ErrorKind::Network;
  }
}

// A transfer that delivered nothing yet may be retried; one that did may not.
Result<ResponseHead> outcome(Stop stop, CURLcode code, CurlCall& call) {
  const Request& request = *call.request;
  Transfer& transfer = call.transfer;
  const std::string& where = call.where;
  const char* error_text = call.error_text;
  const bool nothing_received = !transfer.received_any;
  switch (stop) {
    case Stop::Stall:
      return make_error(ErrorKind::Timeout,
                        where + ": no byte received for " +
                            std::to_string(request.timeouts.stall.count()) + " ms (stall timeout)",
                        nothing_received);
    case Stop::Deadline:
      return make_error(ErrorKind::Timeout,
                        where + ": total deadline of " +
                            std::to_string(request.timeouts.total->count()) + " ms passed",
                        nothing_received);
    case Stop::Cancel:
      return make_error(ErrorKind::Cancelled, where + ": the call was cancelled");
    case Stop::None:
      break;
  }
  if (transfer.cancelled) {
    return make_error(ErrorKind::Cancelled, where + ": transfer cancelled by the body sink");
  }
  if (code != CURLE_OK) {
    std::string message = where + ": " + curl_easy_strerror(code);
    if (error_text[0] != '\0') message += std::string(" (") + error_text + ")";
    if (code == CURLE_OPERATION_TIMEDOUT && nothing_received) {
      message += " [connect timeout " + std::to_string(request.timeouts.connect.count()) + " ms]";
    }
    const ErrorKind kind = kind_of(code);
    const bool retryable =
        nothing_received && (kind == ErrorKind::Network || kind == ErrorKind::Timeout);
    return make_error(kind, std::move(message), retryable);
  }
  if (!transfer.head_done) {
    return make_error(ErrorKind::Protocol, where + ": the response ended before its head",
                      nothing_received);
  }
  return std::move(transfer.head);
}

// Checks what libcurl would otherwise put on the wire unchecked: the method and the header lines.
std::optional<Error> check_request(const Request& request, const std::string& where) {
  // The method goes on the request line verbatim: only an RFC 9110 token is acceptable.
  const bool token_method =
      !request.method.empty() &&
      std::all_of(request.method.begin(), request.method.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) ||
               std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
      });
  if (!token_method) {
    return make_error(ErrorKind::Usage,
                      "invalid HTTP method for " + std::string(host_of(request.url)));
  }
  for (const auto& header : request.headers) {
    // A line break would let a value inject headers (or split the request): refuse it.
    if (header.name.empty() || has_line_break(header.name) || has_line_break(header.value) ||
        header.name.find(':') != std::string::npos) {
      return make_error(ErrorKind::Usage,
                        where + ": invalid header name or value for \"" +
                            (has_line_break(header.name) ? std::string("?") : header.name) + "\"");
    }
  }
  return std::nullopt;
}

void add_header_lines(const Request& request, HeaderLines& headers) {
  bool has_expect = false, has_accept = false, has_content_type = false;
  for (const auto& header : request.headers) {
    has_expect = has_expect || iequals(header.name, "expect");
    has_accept = has_accept || iequals(header.name, "accept");
    has_content_type = has_content_type || iequals(header.name, "content-type");
    // "Name;" is libcurl's spelling of a header with an empty value ("Name:" would remove it).
    if (header.value.empty()) {
      headers.add(header.name, ";", {});
    } else {
      headers.add(header.name, ": ", header.value);
    }
  }
  // libcurl adds "Expect: 100-continue" for large bodies, "Accept: */*" always and a form
  // Content-Type for POSTFIELDS; none of them is signed, so send only what the caller gave.
  if (!has_expect) headers.add("Expect", ":", {});
  if (!has_accept) headers.add("Accept", ":", {});
  if (!has_content_type) headers.add("Content-Type", ":", {});
}

// Idle engines for send(), bounded. An engine is used by one send() at a time.
class EnginePool {
 public:
  explicit EnginePool(std::size_t max_idle) : max_idle_(max_idle) {}

  Result<std::unique_ptr<Engine>> checkout() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!idle_.empty()) {
        auto engine = std::move(idle_.back());
        idle_.pop_back();
        return engine;
      }
    }
    return Engine::create();
  }

  void checkin(std::unique_ptr<Engine> engine) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (idle_.size() < max_idle_) idle_.push_back(std::move(engine));
  }

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<Engine>> idle_;
  std::size_t max_idle_;
};

class CurlTransport final : public Transport {
 public:
  explicit CurlTransport(CurlOptions options)
      : options_(std::move(options)), pool_(options_.max_idle_handles) {
    // Once per transport: the trust store does not change under a running program.
    auto trust = find_ca_trust(options_.ca_bundle, options_.environment);
    if (trust) {
      trust_ = std::move(trust).value();
    } else {
      trust_error_ = std::move(trust).error();
    }
  }

  // One call on a pooled engine, driven to its end: the same code path as start().
  Result<ResponseHead> send(const Request& request, BodySink& sink) override {
    auto engine = pool_.checkout();
    if (!engine) return std::move(engine).error();
    std::optional<Result<ResponseHead>> result;
    start(**engine, request, sink,
          [&result](Result<ResponseHead> end) { result = std::move(end); });
    while (!result) (*engine)->poll(std::chrono::seconds(1));
    pool_.checkin(std::move(engine).value());
    return std::move(*result);
  }

  CallId start(Engine& engine, const Request& request, BodySink& sink, Completion done) override {
    Engine::Impl& impl = engine.impl();
    const std::string where = request.method + " " + std::string(host_of(request.url));
    if (detail::curl_global_once() != CURLE_OK) {
      return impl.fail_soon(std::move(done), make_error(ErrorKind::Config,
                                                        where + ": libcurl initialisation failed"));
    }
    // No trust store: TLS cannot be verified, so no https request is made; plain http (the
    // link-local metadata endpoints) does not need one.
    if (trust_error_ && request.url.size() >= 8 && iequals(request.url.substr(0, 8), "https://")) {
      return impl.fail_soon(std::move(done),
                            make_error(trust_error_->kind, where + ": " + trust_error_->message));
    }
    if (auto invalid = check_request(request, where)) {
      return impl.fail_soon(std::move(done), std::move(*invalid));
    }
    CURL* easy = impl.take_easy();
    if (easy == nullptr) {
      return impl.fail_soon(
          std::move(done),
          make_error(ErrorKind::Network, where + ": cannot create a libcurl handle", true));
    }
    auto call = std::make_unique<CurlCall>();
    call->id = impl.new_id();
    call->easy = easy;
    call->request = &request;
    call->where = where;
    call->done = std::move(done);
    call->transfer.sink = &sink;
    add_header_lines(request, call->headers);
    call->may_multiplex = may_multiplex(request);
    const CURLcode setup =
        configure(easy, request, call->headers.list(), call->transfer, call->error_text);
    if (setup != CURLE_OK) {
      impl.recycle(easy);  // the options set so far point into this call
      return impl.fail_soon(std::move(call->done),
                            make_error(kind_of(setup), where + ": " + curl_easy_strerror(setup)));
    }
    return impl.add_call(std::move(call));
  }

 private:
  // HTTP/2 by ALPN over TLS only (CURL_HTTP_VERSION_2TLS: plain http stays HTTP/1.1), or
  // HTTP/1.1 throughout when the options force it or the libcurl we run on cannot speak HTTP/2
  // (built without nghttp2: asking it for 2TLS fails every call with "Unsupported protocol").
  bool wants_http2() const {
    return options_.http_version == CurlOptions::Version::Http2 && curl_has_http2();
  }
  // HTTP/2 is offered over TLS only: only such a call may share a connection.
  bool may_multiplex(const Request& request) const {
    return wants_http2() && request.url.size() >= 8 &&
           iequals(request.url.substr(0, 8), "https://");
  }
  CURLcode configure_version(CURL* easy, const Request& request) const {
    const long version = wants_http2() ? static_cast<long>(CURL_HTTP_VERSION_2TLS)
                                       : static_cast<long>(CURL_HTTP_VERSION_1_1);
    CURLcode code = curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, version);
    // Over TLS with HTTP/2 on offer, wait for a connection that may multiplex rather than open
    // another one beside it; HTTP/1.1 never multiplexes, so it never waits.
    const long pipewait = may_multiplex(request) ? 1L : 0L;
    if (code == CURLE_OK) code = curl_easy_setopt(easy, CURLOPT_PIPEWAIT, pipewait);
    return code;
  }

  CURLcode configure(CURL* easy, const Request& request, curl_slist* headers, Transfer& transfer,
                     char* error_text) const {
    // No curl_easy_reset here: a handle is fresh or came back through the engine's reset, so one
    // reset per call (each one frees and re-initialises all of libcurl's per-handle options).
    CURLcode code = CURLE_OK;
    auto set = [&code](CURLcode step) {
      if (code == CURLE_OK) code = step;
    };
    set(curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_text));
    set(curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L));  // we are called from many threads
    set(curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str()));
    // The path is sent as given: model ids carry %3A / %2F that are part of the signature.
    set(curl_easy_setopt(easy, CURLOPT_PATH_AS_IS, 1L));
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85 replaced the bitmask option (now deprecated)
    set(curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https"));
#else
    set(curl_easy_setopt(easy, CURLOPT_PROTOCOLS,
                         static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS)));
#endif
    set(configure_version(easy, request));
    set(curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L));
    set(curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L));
    set(curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L));
    // Always named (NULL turns the compiled-in default off): libcurl's default is the build
    // machine's path, which a static binary carries to distributions that keep theirs elsewhere.
    const char* ca_file = trust_.file.empty() ? nullptr : trust_.file.c_str();
    const char* ca_dir = trust_.directory.empty() ? nullptr : trust_.directory.c_str();
    set(curl_easy_setopt(easy, CURLOPT_CAINFO, ca_file));
    set(curl_easy_setopt(easy, CURLOPT_CAPATH, ca_dir));
    set(curl_easy_setopt(easy, CURLOPT_PROXY_CAINFO, ca_file));
    set(curl_easy_setopt(easy, CURLOPT_PROXY_CAPATH, ca_dir));
    if (!request.use_proxy) {
      set(curl_easy_setopt(easy, CURLOPT_PROXY, ""));  // "" disables proxies, env included
    } else if (options_.proxy) {
      set(curl_easy_setopt(easy, CURLOPT_PROXY, options_.proxy->c_str()));
      if (options_.no_proxy) {
        set(curl_easy_setopt(easy, CURLOPT_NOPROXY, options_.no_proxy->c_str()));
      }
    }
    set(curl_easy_setopt(easy, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L));
    // A non-streaming generation can be silent for minutes: keep NATs from dropping the socket.
    set(curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L));
    set(curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L));
    set(curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, to_curl_ms(request.timeouts.connect)));
    set(curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers));
    set(curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &on_header_line));
    set(curl_easy_setopt(easy, CURLOPT_HEADERDATA, &transfer));
    set(curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &on_body_bytes));
    set(curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer));

    const std::string& method = request.method;
    const bool send_body =
        !request.body.empty() || method == "POST" || method == "PUT" || method == "PATCH";
    if (method == "HEAD") {
      set(curl_easy_setopt(easy, CURLOPT_NOBODY, 1L));
    } else if (!send_body) {
      set(curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L));
      if (method != "GET") set(curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method.c_str()));
    } else {
      // POSTFIELDS with an explicit size: the body goes out in one piece with its exact
      // Content-Length (binary-safe, no chunked encoding); other verbs reuse the same path.
      set(curl_easy_setopt(easy, CURLOPT_POST, 1L));
      set(curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                           static_cast<curl_off_t>(request.body.size())));
      set(curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data()));
      if (method != "POST") set(curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method.c_str()));
    }
    return code;
  }

  CurlOptions options_;
  CaTrust trust_;
  std::optional<Error> trust_error_;
  EnginePool pool_;
};

}  // namespace

std::unique_ptr<Transport> make_curl_transport(CurlOptions options) {
  return std::make_unique<CurlTransport>(std::move(options));
}

void Engine::Impl::finish(CallId id, Stop why, CURLcode code) {
  auto found = calls.find(id);
  if (found == calls.end()) return;
  std::unique_ptr<CurlCall> call = std::move(found->second);
  calls.erase(found);
  // Removing an unfinished transfer closes its connection, so a stalled peer is dropped.
  curl_multi_remove_handle(multi, call->easy);
  count_call(*call, -1);
  if (call->stall_timer != 0) cancel_timer(call->stall_timer);
  if (call->deadline_timer != 0) cancel_timer(call->deadline_timer);
  Result<ResponseHead> result = outcome(why, code, *call);
  recycle(call->easy);
  Completion done = std::move(call->done);
  call.reset();
  done(std::move(result));
}

}  // namespace bedrock_lite::http
