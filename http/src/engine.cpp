// The event-driven engine: libcurl's multi interface driven by curl_multi_socket_action, with an
// epoll loop of its own (poll/run) or an outside loop (LoopHooks), engine timers for libcurl's
// timeouts, retries' backoff and every call's stall and total limits, and an eventfd that wakes
// the loop for work posted from other threads.
#include "engine.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <string>
#include <utility>

namespace bedrock_lite::http {
namespace detail {

CURLcode curl_global_once() {
  static const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
  return code;
}

curl_slist* HeaderLines::list() {
  nodes_.resize(starts_.size());
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    nodes_[i].data = &text_[starts_[i]];
    nodes_[i].next = i + 1 < nodes_.size() ? &nodes_[i + 1] : nullptr;
  }
  return nodes_.empty() ? nullptr : nodes_.data();
}

}  // namespace detail

namespace {

using detail::CurlCall;
using detail::Stop;
using Clock = detail::SteadyClock;

// Streams one HTTP/2 connection is assumed to carry: RFC 9113 §6.5.2 asks servers to allow at
// least 100 concurrent streams, and libcurl's own client-side limit
// (CURLMOPT_MAX_CONCURRENT_STREAMS) defaults to 100.
constexpr std::size_t kStreamsPerConnection = 100;

// Idle easy handles kept per engine: enough for a burst of retries without re-creating handles,
// few enough that a quiet engine holds little.
constexpr std::size_t kIdleEasyHandles = 64;

std::chrono::milliseconds until(Clock::time_point when, Clock::time_point now) {
  if (when <= now) return std::chrono::milliseconds(0);
  // Rounded up: waking a millisecond early would only find nothing due and wait again.
  return std::chrono::ceil<std::chrono::milliseconds>(when - now);
}

// libcurl asks for a socket to be watched (CURLMOPT_SOCKETFUNCTION).
int on_curl_socket(CURL* /*easy*/, curl_socket_t fd, int what, void* user, void* socket_data) {
  auto* impl = static_cast<Engine::Impl*>(user);
  SocketWatch watch = SocketWatch::Remove;
  if (what == CURL_POLL_IN) watch = SocketWatch::Read;
  if (what == CURL_POLL_OUT) watch = SocketWatch::Write;
  if (what == CURL_POLL_INOUT) watch = SocketWatch::ReadWrite;
  if (!impl->own_loop) {
    impl->hooks.watch_socket(fd, watch);
    return 0;
  }
  if (watch == SocketWatch::Remove) {
    // The descriptor may already be closed (epoll drops it then), so a failure is expected.
    epoll_ctl(impl->epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
    curl_multi_assign(impl->multi, fd, nullptr);
    return 0;
  }
  epoll_event event{};
  event.data.fd = fd;
  event.events = (watch == SocketWatch::Write ? 0u : EPOLLIN) |
                 (watch == SocketWatch::Read ? 0u : static_cast<std::uint32_t>(EPOLLOUT));
  // socket_data marks a descriptor already registered (curl_multi_assign below). Either guess
  // can be wrong: a descriptor closed behind libcurl's back (a resolver's, a TLS library's) left
  // epoll on close, and its number may come back for a new socket. The other operation then
  // makes the registration true; a socket libcurl waits on that epoll does not watch would only
  // end in the call's stall timeout.
  const int op = socket_data != nullptr ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  if (epoll_ctl(impl->epoll_fd, op, fd, &event) != 0) {
    if (op == EPOLL_CTL_ADD && errno == EEXIST) {
      epoll_ctl(impl->epoll_fd, EPOLL_CTL_MOD, fd, &event);
    } else if (op == EPOLL_CTL_MOD && errno == ENOENT) {
      epoll_ctl(impl->epoll_fd, EPOLL_CTL_ADD, fd, &event);
    }
  }
  curl_multi_assign(impl->multi, fd, impl);
  return 0;
}

// libcurl asks for its timer (CURLMOPT_TIMERFUNCTION): -1 removes it.
int on_curl_timer(CURLM* /*multi*/, long timeout_ms, void* user) {
  auto* impl = static_cast<Engine::Impl*>(user);
  if (timeout_ms < 0) {
    impl->curl_deadline.reset();
  } else {
    impl->curl_deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  }
  return 0;
}

int curl_mask(SocketWatch ready) {
  switch (ready) {
    case SocketWatch::Read:
      return CURL_CSELECT_IN;
    case SocketWatch::Write:
      return CURL_CSELECT_OUT;
    case SocketWatch::ReadWrite:
      return CURL_CSELECT_IN | CURL_CSELECT_OUT;
    case SocketWatch::Remove:
      break;
  }
  return CURL_CSELECT_ERR;
}

}  // namespace

Engine::Impl::~Impl() {
  for (auto& entry : calls) {
    curl_multi_remove_handle(multi, entry.second->easy);
    curl_easy_cleanup(entry.second->easy);
  }
  calls.clear();
  for (CURL* easy : idle_easy) curl_easy_cleanup(easy);
  if (multi != nullptr) curl_multi_cleanup(multi);
  if (epoll_fd >= 0) close(epoll_fd);
  if (wake_fd >= 0) close(wake_fd);
}

Engine::TimerId Engine::Impl::add_timer(Clock::time_point when, std::function<void()> fn) {
  const TimerId id = new_id();
  timers.emplace(std::make_pair(when, id), std::move(fn));
  timer_when.emplace(id, when);
  return id;
}

void Engine::Impl::cancel_timer(TimerId id) {
  auto found = timer_when.find(id);
  if (found == timer_when.end()) return;
  timers.erase(std::make_pair(found->second, id));
  timer_when.erase(found);
}

CallId Engine::Impl::fail_soon(Completion done, Error error) {
  const CallId id = new_id();
  add_timer(now, [done = std::move(done), error = std::move(error)]() mutable {
    done(std::move(error));
  });
  return id;
}

CallId Engine::Impl::add_call(std::unique_ptr<CurlCall> call) {
  CurlCall& ref = *call;
  const CallId id = ref.id;
  // The engine's last reading of the clock may be old: start() is called between turns, and a
  // pooled engine (send()) sits unused for as long as the program makes no call. Stall and total
  // limits measured from that reading would end a fresh call at its first turn.
  now = Clock::now();
  curl_easy_setopt(ref.easy, CURLOPT_PRIVATE, &ref);
  ref.transfer.now = &now;
  ref.transfer.last_activity = now;
  // Only an HTTP/2 offer answered over HTTP/1.x says the server lacks h2 (update_host_cap).
  ref.transfer.answered_http1 = ref.may_multiplex ? &answered_http1 : nullptr;
  calls.emplace(id, std::move(call));
  count_call(ref, +1);
  if (curl_multi_add_handle(multi, ref.easy) != CURLM_OK) {
    auto owned = std::move(calls[id]);
    calls.erase(id);
    count_call(*owned, -1);
    recycle(owned->easy);
    return fail_soon(
        std::move(owned->done),
        make_error(ErrorKind::Network, owned->where + ": cannot start the transfer", true));
  }
  // The stall timer re-arms itself from the last activity; the deadline fires once.
  ref.stall_timer = add_timer(now + ref.request->timeouts.stall, [this, id] { check_stall(id); });
  if (ref.request->timeouts.total) {
    ref.deadline_timer =
        add_timer(now + *ref.request->timeouts.total, [this, id] { stop(id, Stop::Deadline); });
  }
  return id;
}

void Engine::Impl::count_call(const CurlCall& call, int delta) {
  std::size_t& count = call.may_multiplex ? multiplex_calls : serial_calls;
  count = delta > 0 ? count + 1 : count - 1;
  update_host_cap();
}

// libcurl 7.88 opens a new connection for every call that starts while the connections it has
// are full or still in their TLS handshake (their ALPN and SETTINGS unknown), CURLOPT_PIPEWAIT
// notwithstanding: 1,000 HTTP/2 calls through nghttpx used 901 connections. So while every call
// in flight may multiplex, connections per host are capped at what those calls need at
// kStreamsPerConnection streams each, and libcurl queues the rest until a connection can take
// them. Any HTTP/1.1 call in flight, or an HTTP/2 offer answered over HTTP/1.x (a server without
// h2), lifts the cap: HTTP/1.1 needs a connection per concurrent call.
void Engine::Impl::update_host_cap() {
  long cap = 0;
  if (serial_calls == 0 && !answered_http1 && multiplex_calls > 0) {
    cap = static_cast<long>((multiplex_calls + kStreamsPerConnection - 1) / kStreamsPerConnection);
  }
  // libcurl refuses the option from inside its own callbacks (CURLM_RECURSIVE_API_CALL): then
  // host_cap keeps the old value and the next turn tries again.
  if (cap != host_cap && curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, cap) == CURLM_OK) {
    host_cap = cap;
  }
}

void Engine::Impl::check_stall(CallId id) {
  auto found = calls.find(id);
  if (found == calls.end()) return;
  CurlCall& call = *found->second;
  call.stall_timer = 0;
  curl_off_t sent = 0;
  // Bytes sent count as activity: a large upload is not a stall either.
  if (curl_easy_getinfo(call.easy, CURLINFO_SIZE_UPLOAD_T, &sent) == CURLE_OK &&
      sent != call.transfer.uploaded) {
    call.transfer.uploaded = sent;
    call.transfer.last_activity = now;
  }
  const auto stall_at = call.transfer.last_activity + call.request->timeouts.stall;
  if (now >= stall_at) {
    stop(id, Stop::Stall);
    return;
  }
  call.stall_timer = add_timer(stall_at, [this, id] { check_stall(id); });
}

void Engine::Impl::stop(CallId id, Stop why) {
  if (in_curl > 0) {
    stops.emplace_back(id, why);
    return;
  }
  finish(id, why, CURLE_OK);
}

CURL* Engine::Impl::take_easy() {
  if (!idle_easy.empty()) {
    CURL* easy = idle_easy.back();
    idle_easy.pop_back();
    return easy;
  }
  return curl_easy_init();
}

void Engine::Impl::recycle(CURL* easy) {
  // Drops every pointer into the finished call (headers, error buffer, request).
  curl_easy_reset(easy);
  if (idle_easy.size() < kIdleEasyHandles) {
    idle_easy.push_back(easy);
  } else {
    curl_easy_cleanup(easy);
  }
}

void Engine::Impl::socket_action(int fd, int mask) {
  int running = 0;
  ++in_curl;
  curl_multi_socket_action(multi, fd, mask, &running);
  --in_curl;
  update_host_cap();  // a status line may have said HTTP/1.x
  // A sink may have taken long: what it did is not the peer's silence.
  now = Clock::now();
  read_done();
  while (!stops.empty()) {
    auto pending = std::move(stops);
    stops.clear();
    for (auto& [id, why] : pending) finish(id, why, CURLE_OK);
  }
}

void Engine::Impl::read_done() {
  int queued = 0;
  while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
    if (message->msg != CURLMSG_DONE) continue;
    void* data = nullptr;
    curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &data);
    const CURLcode code = message->data.result;
    if (data != nullptr) finish(static_cast<CurlCall*>(data)->id, Stop::None, code);
  }
}

bool Engine::Impl::run_due() {
  bool ran = false;
  for (;;) {
    if (curl_deadline && *curl_deadline <= now) {
      curl_deadline.reset();
      socket_action(CURL_SOCKET_TIMEOUT, 0);
      ran = true;
      continue;
    }
    if (timers.empty() || timers.begin()->first.first > now) return ran;
    auto first = timers.begin();
    auto fn = std::move(first->second);
    timer_when.erase(first->first.second);
    timers.erase(first);
    if (fn) fn();
    ran = true;
  }
}

bool Engine::Impl::run_posted() {
  if (posted_count.load(std::memory_order_acquire) == 0) return false;
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(post_mutex);
    batch.swap(posted);
    posted_count.store(0, std::memory_order_release);
  }
  for (auto& fn : batch) fn();
  return !batch.empty();
}

void Engine::Impl::drain_wake() {
  std::uint64_t count = 0;
  while (read(wake_fd, &count, sizeof count) == static_cast<ssize_t>(sizeof count)) {
  }
}

std::optional<Engine::Impl::Clock::time_point> Engine::Impl::next_deadline() const {
  std::optional<Clock::time_point> next = curl_deadline;
  if (!timers.empty()) {
    const auto first = timers.begin()->first.first;
    if (!next || first < *next) next = first;
  }
  return next;
}

void Engine::Impl::report_timer() {
  if (own_loop || !hooks.set_timer) return;
  auto next = next_deadline();
  if (posted_count.load(std::memory_order_acquire) > 0) next = now;
  // Reported on every entry while a deadline exists: the outside loop re-arms with what is left,
  // so socket activity can never postpone a due timer.
  if (!next && !reported) return;
  reported = next;
  if (!next) {
    hooks.set_timer(std::nullopt);
  } else {
    hooks.set_timer(until(*next, Clock::now()));
  }
}

// ---------------------------------------------------------------------------------------------

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::create(LoopHooks hooks) {
  if (detail::curl_global_once() != CURLE_OK) {
    return make_error(ErrorKind::Config, "engine: libcurl initialisation failed");
  }
  auto impl = std::make_unique<Impl>();
  impl->own_loop = !hooks.watch_socket;
  if (!impl->own_loop && !hooks.set_timer) {
    return make_error(ErrorKind::Usage, "engine: LoopHooks::watch_socket given without set_timer");
  }
  impl->hooks = std::move(hooks);
  impl->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  impl->multi = curl_multi_init();
  if (impl->wake_fd < 0 || impl->multi == nullptr) {
    return make_error(ErrorKind::Network, "engine: cannot create the eventfd or libcurl handle");
  }
  if (impl->own_loop) {
    impl->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (impl->epoll_fd < 0) {
      return make_error(ErrorKind::Network, "engine: cannot create the epoll descriptor");
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = impl->wake_fd;
    epoll_ctl(impl->epoll_fd, EPOLL_CTL_ADD, impl->wake_fd, &event);
  } else {
    impl->hooks.watch_socket(impl->wake_fd, SocketWatch::Read);
  }
  CURLM* multi = impl->multi;
  curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &on_curl_socket);
  curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, impl.get());
  curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &on_curl_timer);
  curl_multi_setopt(multi, CURLMOPT_TIMERDATA, impl.get());
  // HTTP/2 calls to one host share a connection up to its stream limit (CurlOptions::Http2).
  curl_multi_setopt(multi, CURLMOPT_PIPELINING, static_cast<long>(CURLPIPE_MULTIPLEX));
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

void Engine::cancel(CallId id) {
  Impl& impl = *impl_;
  auto deferred = impl.deferred.find(id);
  if (deferred != impl.deferred.end()) {
    auto done = std::move(deferred->second.done);
    impl.cancel_timer(deferred->second.timer);
    impl.deferred.erase(deferred);
    done(make_error(ErrorKind::Cancelled, "the call was cancelled before it started"));
  } else {
    impl.stop(id, Stop::Cancel);
  }
  impl.report_timer();
}

Engine::TimerId Engine::add_timer(std::chrono::milliseconds delay, std::function<void()> fn) {
  Impl& impl = *impl_;
  const TimerId id = impl.add_timer(Impl::Clock::now() + delay, std::move(fn));
  impl.report_timer();
  return id;
}

void Engine::cancel_timer(TimerId id) {
  impl_->cancel_timer(id);
  impl_->report_timer();
}

void Engine::post(std::function<void()> fn) {
  Impl& impl = *impl_;
  {
    std::lock_guard<std::mutex> lock(impl.post_mutex);
    impl.posted.push_back(std::move(fn));
    impl.posted_count.store(impl.posted.size(), std::memory_order_release);
  }
  const std::uint64_t one = 1;
  // A full counter (never in practice) still leaves the descriptor readable: nothing is lost.
  [[maybe_unused]] const auto written = write(impl.wake_fd, &one, sizeof one);
}

std::shared_ptr<void> Engine::keep_running() {
  Impl* impl = impl_.get();
  impl->tokens.fetch_add(1, std::memory_order_acq_rel);
  return std::shared_ptr<void>(impl, [](Impl* held) {
    held->tokens.fetch_sub(1, std::memory_order_acq_rel);
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = write(held->wake_fd, &one, sizeof one);
  });
}

CallId Engine::defer(std::function<Result<ResponseHead>()> send, Completion done) {
  Impl& impl = *impl_;
  const CallId id = impl.new_id();
  Impl::Deferred& entry = impl.deferred[id];
  entry.send = std::move(send);
  entry.done = std::move(done);
  entry.timer = impl.add_timer(Impl::Clock::now(), [&impl, id] {
    auto found = impl.deferred.find(id);
    if (found == impl.deferred.end()) return;
    Impl::Deferred taken = std::move(found->second);
    impl.deferred.erase(found);
    taken.done(taken.send());
  });
  impl.report_timer();
  return id;
}

std::size_t Engine::poll(std::chrono::milliseconds timeout) {
  Impl& impl = *impl_;
  if (!impl.own_loop) return impl.calls.size();
  impl.now = Impl::Clock::now();
  // What ran may have been the very thing the caller waits for: libcurl's timeout action can
  // carry a whole exchange on a kept-alive loopback connection (send, answer, done), and a failed
  // start() completes on a timer due at once. Waiting for the next event after that would hold
  // the caller for the full `timeout` with nothing left to do (send() polled with 1 s: each such
  // call took a second, and the fault soak crawled as if hung).
  const bool ran_due = impl.run_due();
  const bool ran_posted = impl.run_posted();
  auto wait = timeout;
  if (ran_due || ran_posted || impl.posted_count.load(std::memory_order_acquire) > 0) {
    wait = std::chrono::milliseconds(0);
  }
  if (auto next = impl.next_deadline()) wait = std::min(wait, until(*next, impl.now));
  std::array<epoll_event, 256> events{};
  const int count = epoll_wait(impl.epoll_fd, events.data(), static_cast<int>(events.size()),
                               static_cast<int>(std::min<long long>(wait.count(), 1 << 30)));
  impl.now = Impl::Clock::now();
  for (int i = 0; i < count; ++i) {
    const epoll_event& event = events[static_cast<std::size_t>(i)];
    if (event.data.fd == impl.wake_fd) {
      impl.drain_wake();
      continue;
    }
    int mask = 0;
    if ((event.events & EPOLLIN) != 0) mask |= CURL_CSELECT_IN;
    if ((event.events & EPOLLOUT) != 0) mask |= CURL_CSELECT_OUT;
    if ((event.events & (EPOLLERR | EPOLLHUP)) != 0) mask |= CURL_CSELECT_ERR;
    impl.socket_action(event.data.fd, mask);
  }
  impl.run_due();
  impl.run_posted();
  return impl.calls.size();
}

bool Engine::idle() const {
  const Impl& impl = *impl_;
  return impl.calls.empty() && impl.deferred.empty() && impl.timers.empty() &&
         impl.posted_count.load(std::memory_order_acquire) == 0 &&
         impl.tokens.load(std::memory_order_acquire) == 0;
}

std::size_t Engine::calls_in_flight() const {
  return impl_->calls.size() + impl_->deferred.size();
}

void Engine::run() {
  while (!idle()) poll(std::chrono::seconds(1));
}

void Engine::on_socket(int fd, SocketWatch ready) {
  Impl& impl = *impl_;
  impl.now = Impl::Clock::now();
  if (fd == impl.wake_fd) {
    impl.drain_wake();
  } else {
    impl.socket_action(fd, curl_mask(ready));
  }
  impl.run_due();
  impl.run_posted();
  impl.report_timer();
}

void Engine::on_timeout() {
  Impl& impl = *impl_;
  impl.now = Impl::Clock::now();
  impl.reported.reset();
  impl.run_due();
  impl.run_posted();
  impl.report_timer();
}

}  // namespace bedrock_lite::http
