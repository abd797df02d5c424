// The inside of http::Engine, shared by engine.cpp (the loop, timers, posted work, the
// curl_multi_socket_action plumbing) and curl_transport.cpp (which configures each easy handle
// from the transport's options). Private to the http module.
#pragma once

#include <bedrock_lite/http.h>

#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace bedrock_lite::http {
namespace detail {

using SteadyClock = std::chrono::steady_clock;

// libcurl's one process-wide initialisation, done once and lazily (STYLE.md §2: the only
// process-wide step the library takes). Never undone: other code in the process may use libcurl.
CURLcode curl_global_once();

// A request's header lines as the curl_slist libcurl reads (CURLOPT_HTTPHEADER: libcurl neither
// copies nor frees the list, it only walks it during the transfer). The nodes and the text live
// with the call, instead of the two allocations per line (node and copied string)
// curl_slist_append makes and curl_slist_free_all undoes.
class HeaderLines {
 public:
  void add(std::string_view name, std::string_view separator, std::string_view value) {
    starts_.push_back(text_.size());
    text_.append(name).append(separator).append(value).push_back('\0');
  }
  // Links the nodes once every line is in (text_ no longer moves).
  curl_slist* list();

 private:
  std::string text_;                 // the lines, each ended by a NUL
  std::vector<std::size_t> starts_;  // where each line starts in text_
  std::vector<curl_slist> nodes_;
};

// The state of one transfer, shared with libcurl's callbacks.
struct Transfer {
  BodySink* sink = nullptr;
  ResponseHead head;
  bool head_done = false;
  bool cancelled = false;     // the sink returned false
  bool received_any = false;  // any byte of a response (status line included)
  // Set by an HTTP/1.x status line when the call offered HTTP/2 (Engine::Impl::answered_http1);
  // null for a call that asked for HTTP/1.1.
  bool* answered_http1 = nullptr;
  // Stamped by the callbacks with the engine's reading of the clock for this turn.
  const SteadyClock::time_point* now = nullptr;
  SteadyClock::time_point last_activity;
  curl_off_t uploaded = 0;  // bytes sent when the stall timer last looked
};

// Why a transfer ended: libcurl finished it (with its result), or the engine stopped it.
enum class Stop { None, Stall, Deadline, Cancel };

// One libcurl call on an engine.
struct CurlCall {
  CallId id = 0;
  CURL* easy = nullptr;
  // The caller's, alive until `done` ran (Transport::start): libcurl reads the URL and body from
  // it during the transfer.
  const Request* request = nullptr;
  HeaderLines headers;
  Transfer transfer;
  Completion done;
  std::string where;  // "POST host", for messages
  char error_text[CURL_ERROR_SIZE] = {0};
  Engine::TimerId stall_timer = 0;
  Engine::TimerId deadline_timer = 0;
  bool may_multiplex = false;  // HTTP/2 over TLS asked for (CURLOPT_PIPEWAIT set)
};

}  // namespace detail

struct Engine::Impl {
  using Clock = detail::SteadyClock;

  LoopHooks hooks;
  bool own_loop = true;
  CURLM* multi = nullptr;
  int epoll_fd = -1;
  int wake_fd = -1;
  Clock::time_point now = Clock::now();

  std::unordered_map<CallId, std::unique_ptr<detail::CurlCall>> calls;
  std::vector<CURL*> idle_easy;  // reset handles kept for the next call
  struct Deferred {
    std::function<Result<ResponseHead>()> send;
    Completion done;
    TimerId timer = 0;
  };
  std::unordered_map<CallId, Deferred> deferred;

  std::map<std::pair<Clock::time_point, TimerId>, std::function<void()>> timers;
  std::unordered_map<TimerId, Clock::time_point> timer_when;
  std::optional<Clock::time_point> curl_deadline;  // libcurl's own timer
  std::optional<Clock::time_point> reported;       // what hooks.set_timer was told last

  std::mutex post_mutex;
  std::vector<std::function<void()>> posted;  // guarded by post_mutex
  std::atomic<std::size_t> posted_count{0};
  std::atomic<std::size_t> tokens{0};  // keep_running() tokens alive

  // Connections per host (CURLMOPT_MAX_HOST_CONNECTIONS), see update_host_cap().
  std::size_t multiplex_calls = 0;  // calls in flight that may share an HTTP/2 connection
  std::size_t serial_calls = 0;     // calls in flight that want HTTP/1.1 only
  bool answered_http1 = false;      // a call that offered HTTP/2 was answered over HTTP/1.x
  long host_cap = 0;                // what libcurl was told last; 0: no limit

  std::uint64_t next_id = 1;
  int in_curl = 0;  // depth of curl_multi_socket_action on the stack
  std::vector<std::pair<CallId, detail::Stop>> stops;  // asked for inside libcurl's callbacks

  ~Impl();

  CallId new_id() { return next_id++; }
  TimerId add_timer(Clock::time_point when, std::function<void()> fn);
  void cancel_timer(TimerId id);
  // Hands a prepared call to libcurl; on failure its completion is scheduled with the error.
  CallId add_call(std::unique_ptr<detail::CurlCall> call);
  // Completes `done` with `error` at the engine's next turn (never inside start()).
  CallId fail_soon(Completion done, Error error);
  void check_stall(CallId id);
  // Counts a call in (+1) or out (-1) and sets the per-host connection limit to match.
  void count_call(const detail::CurlCall& call, int delta);
  void update_host_cap();
  void stop(CallId id, detail::Stop why);
  void finish(CallId id, detail::Stop why, CURLcode code);
  void socket_action(int fd, int mask);
  void read_done();
  // Each returns true when it ran anything (a timer, libcurl's timeout, posted work).
  bool run_due();
  bool run_posted();
  void drain_wake();
  std::optional<Clock::time_point> next_deadline() const;
  void report_timer();
  CURL* take_easy();
  void recycle(CURL* easy);
};

}  // namespace bedrock_lite::http
