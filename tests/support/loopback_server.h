// A scoped cpp-httplib server on 127.0.0.1, port 0, for fake IMDS / container / Bedrock
// endpoints and the transport tests. The constructor binds (so connections queue from then on)
// and starts serving; the destructor releases handlers blocked in wait_until_stopping(), stops
// the server and joins its thread.
//
//   LoopbackServer server([](httplib::Server& s) {
//     s.Get("/hello", [](const httplib::Request&, httplib::Response& res) {
//       res.set_content("hi", "text/plain");
//     });
//   });
//   std::string url = server.url() + "/hello";
//
// Header-only on purpose: Debian's libcpp-httplib is built with CPPHTTPLIB_OPENSSL_SUPPORT (which
// changes httplib::Request's layout), so httplib code must only be compiled in targets that link
// PkgConfig::HTTPLIB and get its definitions, i.e. the test executables, never the shared
// bedrock_lite_test_support library.
#pragma once

#include <httplib.h>
#include <sys/socket.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace bedrock_lite::test {

namespace detail {
// Exposes the listening socket, which httplib keeps protected.
class HttplibServer : public httplib::Server {
 public:
  auto listening_socket() const { return svr_sock_.load(); }
};
}  // namespace detail

class LoopbackServer {
 public:
  // `setup` registers the handlers (and may change settings) before the server starts.
  // `worker_threads` bounds concurrent connections (httplib holds a thread per connection).
  explicit LoopbackServer(const std::function<void(httplib::Server&)>& setup,
                          std::size_t worker_threads = 16) {
    // httplib creates the task queue once listen_after_bind() has marked the server running;
    // stop() is a no-op before that, so the destructor waits for this signal first.
    server_.new_task_queue = [this, worker_threads] {
      mark_started();
      return new httplib::ThreadPool(worker_threads);
    };
    // Keep-alive tests make many requests on one connection; httplib's default closes after 5.
    server_.set_keep_alive_max_count(1000);
    // Headers and body go out in separate writes; without NODELAY, Nagle plus the client's
    // delayed ACK adds ~40 ms to every response.
    server_.set_tcp_nodelay(true);
    setup(server_);
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("LoopbackServer: cannot bind 127.0.0.1:0");
    // httplib listens with a backlog of 5: more simultaneous connects than that get their SYN
    // dropped and retried a second later. Linux lets listen() raise the backlog in place; the
    // event-driven client's tests connect hundreds at once.
    ::listen(server_.listening_socket(), 1024);
    thread_ = std::thread([this] {
      server_.listen_after_bind();
      mark_started();  // also when listening failed, so the destructor cannot wait forever
    });
  }

  ~LoopbackServer() {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      stopping_ = true;
      stopping_cv_.notify_all();
      stopping_cv_.wait(lock, [this] { return started_; });
    }
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:<port>", no trailing slash.
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  httplib::Server& server() { return server_; }

  // For handlers that must hang (a stalled peer): blocks until the server is being destroyed.
  void wait_until_stopping() {
    std::unique_lock<std::mutex> lock(mutex_);
    stopping_cv_.wait(lock, [this] { return stopping_; });
  }

  // Paces a handler (a slow peer): waits `duration`, returning early with true when the server
  // is being destroyed.
  template <class Rep, class Period>
  bool wait_until_stopping_for(std::chrono::duration<Rep, Period> duration) {
    std::unique_lock<std::mutex> lock(mutex_);
    return stopping_cv_.wait_for(lock, duration, [this] { return stopping_; });
  }

 private:
  void mark_started() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      started_ = true;
    }
    stopping_cv_.notify_all();
  }

  detail::HttplibServer server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable stopping_cv_;
  bool stopping_ = false;
  bool started_ = false;
};

}  // namespace bedrock_lite::test
