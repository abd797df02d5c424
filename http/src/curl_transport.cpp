// The libcurl transport. Each call checks a (multi, easy) handle pair out of a pool, drives it
// with curl_multi_poll in its own loop, and returns it: the multi handle owns the connection
// cache, so keep-alive connections survive between calls, and driving the loop ourselves lets the
// stall timeout be measured to the millisecond (libcurl's progress callback and LOW_SPEED_TIME
// only tick once a second).
#include <bedrock_lite/http.h>

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

using SteadyClock = std::chrono::steady_clock;

// libcurl's one process-wide initialisation, done once and lazily (STYLE.md §2: the only
// process-wide step the library takes). Never undone: other code in the process may use libcurl.
CURLcode curl_global_once() {
  static const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
  return code;
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

// A request's header lines as the curl_slist libcurl reads (CURLOPT_HTTPHEADER: libcurl neither
// copies nor frees the list, it only walks it during the transfer). The nodes and the text live
// in storage kept with the handle pair and reused by every call, instead of the two allocations
// per line (node and copied string) curl_slist_append makes and curl_slist_free_all undoes.
class HeaderLines {
 public:
  void clear() {
    text_.clear();
    starts_.clear();
  }
  void add(std::string_view name, std::string_view separator, std::string_view value) {
    starts_.push_back(text_.size());
    text_.append(name).append(separator).append(value).push_back('\0');
  }
  // Links the nodes once every line is in (text_ no longer moves); valid until the next clear().
  curl_slist* list() {
    nodes_.resize(starts_.size());
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      nodes_[i].data = &text_[starts_[i]];
      nodes_[i].next = i + 1 < nodes_.size() ? &nodes_[i + 1] : nullptr;
    }
    return nodes_.empty() ? nullptr : nodes_.data();
  }

 private:
  std::string text_;                 // the lines, each ended by a NUL
  std::vector<std::size_t> starts_;  // where each line starts in text_
  std::vector<curl_slist> nodes_;
};

struct Handles {
  CURLM* multi = nullptr;
  CURL* easy = nullptr;
  HeaderLines headers;  // the current call's request headers
};

void cleanup(Handles& handles) {
  if (handles.easy != nullptr) curl_easy_cleanup(handles.easy);
  if (handles.multi != nullptr) curl_multi_cleanup(handles.multi);
  handles.easy = nullptr;
  handles.multi = nullptr;
}

// Idle handle pairs, bounded. A pair is used by one call at a time.
class HandlePool {
 public:
  explicit HandlePool(std::size_t max_idle) : max_idle_(max_idle) {}
  ~HandlePool() {
    for (auto& handles : idle_) cleanup(handles);
  }
  HandlePool(const HandlePool&) = delete;
  HandlePool& operator=(const HandlePool&) = delete;

  Handles checkout() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!idle_.empty()) {
        Handles handles = std::move(idle_.back());
        idle_.pop_back();
        return handles;
      }
    }
    Handles handles;
    handles.multi = curl_multi_init();
    handles.easy = curl_easy_init();
    if (handles.multi == nullptr || handles.easy == nullptr) cleanup(handles);
    return handles;
  }

  void checkin(Handles handles) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (idle_.size() < max_idle_) {
        idle_.push_back(std::move(handles));
        return;
      }
    }
    cleanup(handles);
  }

 private:
  std::mutex mutex_;
  std::vector<Handles> idle_;
  std::size_t max_idle_;
};

// The state of one call, shared with libcurl's callbacks.
struct Transfer {
  BodySink* sink = nullptr;
  ResponseHead head;
  bool head_done = false;
  bool cancelled = false;
  bool received_any = false;  // any byte of a response (status line included)
  // Set by the callbacks when bytes arrive; the poll loop turns it into last_activity with the
  // clock reading it takes anyway after each curl_multi_perform (callbacks only run inside it),
  // instead of reading the clock once per header line and twice per body chunk.
  bool active = false;
  SteadyClock::time_point last_activity;
};

// Called once per header line, including interim (1xx) responses' lines and the blank line that
// ends each head. The final head goes to the sink at its blank line; trailers are ignored.
size_t on_header_line(char* buffer, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t length = size * count;
  transfer->active = true;
  transfer->received_any = true;
  if (transfer->head_done) return length;
  std::string_view line(buffer, length);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);

  ResponseHead& head = transfer->head;
  if (line.substr(0, 5) == "HTTP/") {
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
  transfer->active = true;
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
  // Time the caller spends in its sink is not the peer's silence: `active` makes the loop stamp
  // last_activity after curl_multi_perform returns, i.e. after the sink.
  return length;
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

  Result<ResponseHead> send(const Request& request, BodySink& sink) override {
    const std::string where = request.method + " " + std::string(host_of(request.url));
    if (curl_global_once() != CURLE_OK) {
      return make_error(ErrorKind::Config, where + ": libcurl initialisation failed");
    }
    // No trust store: TLS cannot be verified, so no https request is made; plain http (the
    // link-local metadata endpoints) does not need one.
    if (trust_error_ && request.url.size() >= 8 && iequals(request.url.substr(0, 8), "https://")) {
      return make_error(trust_error_->kind, where + ": " + trust_error_->message);
    }
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
    bool has_expect = false, has_accept = false, has_content_type = false;
    for (const auto& header : request.headers) {
      // A line break would let a value inject headers (or split the request): refuse it.
      if (header.name.empty() || has_line_break(header.name) || has_line_break(header.value) ||
          header.name.find(':') != std::string::npos) {
        return make_error(ErrorKind::Usage,
                          where + ": invalid header name or value for \"" +
                              (has_line_break(header.name) ? std::string("?") : header.name) +
                              "\"");
      }
      has_expect = has_expect || iequals(header.name, "expect");
      has_accept = has_accept || iequals(header.name, "accept");
      has_content_type = has_content_type || iequals(header.name, "content-type");
    }

    Handles handles = pool_.checkout();
    if (handles.easy == nullptr) {
      return make_error(ErrorKind::Network, where + ": cannot create a libcurl handle", true);
    }
    HeaderLines& headers = handles.headers;
    headers.clear();
    for (const auto& header : request.headers) {
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

    Transfer transfer;
    transfer.sink = &sink;
    char error_text[CURL_ERROR_SIZE] = {0};
    CURLcode setup = configure(handles.easy, request, headers.list(), transfer, error_text);
    if (setup != CURLE_OK) {
      curl_easy_reset(handles.easy);  // the options set so far point into this call
      pool_.checkin(std::move(handles));
      return make_error(kind_of(setup), where + ": " + curl_easy_strerror(setup));
    }

    const auto start = SteadyClock::now();
    transfer.last_activity = start;
    Result<ResponseHead> result =
        perform_transfer(handles, request, transfer, where, error_text, start);
    curl_easy_reset(handles.easy);  // drop pointers into this call's stack (headers, errors)
    pool_.checkin(std::move(handles));
    return result;
  }

 private:
  CURLcode configure(CURL* easy, const Request& request, curl_slist* headers, Transfer& transfer,
                     char* error_text) {
    // No curl_easy_reset here: a handle is fresh or came back through send()'s reset, so one
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
    // HTTP/1.1: what every recorded exchange used, and one connection per concurrent call keeps
    // a slow stream from delaying another.
    set(curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1)));
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

  // Drives the transfer on the multi handle until it ends, stalls or passes its deadline, then
  // turns the outcome into the response head or an error.
  Result<ResponseHead> perform_transfer(Handles& handles, const Request& request,
                                        Transfer& transfer, const std::string& where,
                                        const char* error_text, SteadyClock::time_point start) {
    if (curl_multi_add_handle(handles.multi, handles.easy) != CURLM_OK) {
      return make_error(ErrorKind::Network, where + ": cannot start the transfer", true);
    }
    std::optional<SteadyClock::time_point> deadline;
    if (request.timeouts.total) deadline = start + *request.timeouts.total;
    const TransferEnd end = drive(handles, request.timeouts.stall, deadline, transfer);
    // Removing an unfinished transfer closes its connection, so a stalled peer is dropped.
    curl_multi_remove_handle(handles.multi, handles.easy);
    return outcome(end, request, transfer, where, error_text);
  }

  // Why the transfer loop stopped: the transfer ended (with libcurl's result), or we stopped it.
  enum class Stop { None, Stall, Deadline, Multi };
  struct TransferEnd {
    Stop stop = Stop::None;
    CURLcode code = CURLE_OK;
  };

  static TransferEnd drive(Handles& handles, std::chrono::milliseconds stall,
                           std::optional<SteadyClock::time_point> deadline, Transfer& transfer) {
    TransferEnd end;
    curl_off_t uploaded = 0;
    for (;;) {
      int running = 0;
      if (curl_multi_perform(handles.multi, &running) != CURLM_OK) return {Stop::Multi};
      if (running == 0) {
        int queued = 0;
        while (CURLMsg* message = curl_multi_info_read(handles.multi, &queued)) {
          if (message->msg == CURLMSG_DONE) end.code = message->data.result;
        }
        return end;
      }
      const auto now = SteadyClock::now();
      // Bytes received (callbacks ran inside curl_multi_perform) or sent count as activity: a
      // large upload is not a stall either.
      curl_off_t now_uploaded = 0;
      if (curl_easy_getinfo(handles.easy, CURLINFO_SIZE_UPLOAD_T, &now_uploaded) == CURLE_OK &&
          now_uploaded != uploaded) {
        uploaded = now_uploaded;
        transfer.active = true;
      }
      if (transfer.active) {
        transfer.active = false;
        transfer.last_activity = now;
      }
      const auto stall_at = transfer.last_activity + stall;
      if (now >= stall_at) return {Stop::Stall};
      if (deadline && now >= *deadline) return {Stop::Deadline};
      auto wake = stall_at;
      if (deadline) wake = std::min(wake, *deadline);
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(wake - now).count() + 1;
      // libcurl shortens the wait itself when one of its own timers (connect timeout) is due.
      int wait_ms = static_cast<int>(std::min<decltype(wait)>(wait, 1000));
      if (curl_multi_poll(handles.multi, nullptr, 0, wait_ms, nullptr) != CURLM_OK) {
        return {Stop::Multi};
      }
    }
  }

  // A transfer that delivered nothing yet may be retried; one that did may not.
  static Result<ResponseHead> outcome(const TransferEnd& end, const Request& request,
                                      Transfer& transfer, const std::string& where,
                                      const char* error_text) {
    const bool nothing_received = !transfer.received_any;
    switch (end.stop) {
      case Stop::Stall:
        return make_error(ErrorKind::Timeout,
                          where + ": no byte received for " +
                              std::to_string(request.timeouts.stall.count()) +
                              " ms (stall timeout)",
                          nothing_received);
      case Stop::Deadline:
        return make_error(ErrorKind::Timeout,
                          where + ": total deadline of " +
                              std::to_string(request.timeouts.total->count()) + " ms passed",
                          nothing_received);
      case Stop::Multi:
        return make_error(ErrorKind::Network, where + ": libcurl multi interface failed",
                          nothing_received);
      case Stop::None:
        break;
    }
    if (transfer.cancelled) {
      return make_error(ErrorKind::Cancelled, where + ": transfer cancelled by the body sink");
    }
    if (end.code != CURLE_OK) {
      std::string message = where + ": " + curl_easy_strerror(end.code);
      if (error_text[0] != '\0') message += std::string(" (") + error_text + ")";
      if (end.code == CURLE_OPERATION_TIMEDOUT && nothing_received) {
        message += " [connect timeout " + std::to_string(request.timeouts.connect.count()) + " ms]";
      }
      const ErrorKind kind = kind_of(end.code);
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

  CurlOptions options_;
  CaTrust trust_;
  std::optional<Error> trust_error_;
  HandlePool pool_;
};

}  // namespace

std::unique_ptr<Transport> make_curl_transport(CurlOptions options) {
  return std::make_unique<CurlTransport>(std::move(options));
}

}  // namespace bedrock_lite::http
