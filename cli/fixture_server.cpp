// The fixture server (fixture_server.h): a small HTTP/1.1 server over POSIX sockets, one thread
// per connection, every wait a poll() that also watches a wake pipe so stop() ends them all.
// Matching is ReplayTransport::match(); this file only speaks HTTP.
#include "fixture_server.h"
#include "fixture_server_connection.h"

#include <bedrock_lite/internal/http1.h>
#include <bedrock_lite/internal/text.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <list>
#include <mutex>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace bedrock_lite::replay {
namespace {

using namespace fixture_server_detail;

// Answers requests: the recorded response of the matching interaction (its framing recomputed
// for this connection), or an error reply of the server's own.
class Responder {
 public:
  Responder(Socket& socket, const Shared& state) : socket_(socket), state_(state) {}

  void answer(ClientRequest& request) {
    auto found = state_.replay->match(request.method, request.target, request.body);
    if (!found.ok()) {
      // Same words as the in-process replay; the connection stays usable (the request was read
      // whole), so a test can go on after a miss.
      state_.log(LogLevel::Warn, found.error().message);
      if (!send_error(request, 404, kMismatchType, found.error().message)) {
        request.keep_alive = false;
      }
      return;
    }
    const Interaction& interaction = **found;
    state_.log(LogLevel::Debug, "serve-fixtures: " + request.method + " " + request.target +
                                    " -> " + interaction.folder + " (" +
                                    std::to_string(interaction.status) + ")");
    if (!send_interaction(request, interaction)) request.keep_alive = false;
  }

  // Answers a request that cannot be served and marks the connection for closing (after a
  // framing error the next request's start is unknown).
  void reject(ClientRequest& request, const Rejection& rejection) {
    // `what` may quote the client's bytes: the log line stays one printable line.
    std::string message = "serve-fixtures: " + rejection.what;
    for (char& c : message) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    }
    state_.log(LogLevel::Warn, message);
    request.keep_alive = false;
    send_error(request, rejection.status, kBadRequestType, message);
  }

 private:
  bool send_error(const ClientRequest& request, int status, const char* type,
                  const std::string& message) {
    const std::string body = "{\"message\":" + json_string(message) + "}";
    std::string head = "HTTP/1.1 " + std::to_string(status) + " " + default_reason(status) +
                       "\r\ncontent-type: application/json\r\nx-amzn-ErrorType: " + type +
                       "\r\ncontent-length: " + std::to_string(body.size()) + "\r\n";
    if (!request.keep_alive) head += "connection: close\r\n";
    head += "\r\n";
    const bool send_body = request.method != "HEAD";
    return socket_.send_all(head) && (!send_body || socket_.send_all(body));
  }

  // The status line and the recorded headers, with framing headers (content-length,
  // transfer-encoding, connection) written for this connection.
  std::string response_head(const ClientRequest& request, const Interaction& interaction,
                            bool chunked, bool no_body) const {
    const int status = interaction.status;
    const std::string reason = interaction.reason.empty() || !safe_header_value(interaction.reason)
                                   ? std::string(default_reason(status))
                                   : interaction.reason;
    std::string head = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n";
    for (const auto& header : interaction.response_headers) {
      if (is_framing_header(header.name) || !is_token(header.name) ||
          !safe_header_value(header.value)) {
        continue;
      }
      head += header.name + ": " + header.value + "\r\n";
    }
    if (chunked) {
      head += "transfer-encoding: chunked\r\n";
    } else if (!no_body || request.method == "HEAD") {
      head += "content-length: " + std::to_string(interaction.response_body.size()) + "\r\n";
    }
    if (!request.keep_alive)
      head += "connection: close\r\n";
    else if (request.http10)
      head += "connection: keep-alive\r\n";
    head += "\r\n";
    return head;
  }

  bool send_interaction(const ClientRequest& request, const Interaction& interaction) {
    const int status = interaction.status;
    const bool no_body = status < 200 || status == 204 || status == 304 || request.method == "HEAD";
    bool chunked = false;
    if (const auto* te = find_header(interaction.response_headers, "transfer-encoding")) {
      chunked = lists_token(*te, "chunked");
    }
    if (const auto* type = find_header(interaction.response_headers, "content-type")) {
      chunked = chunked || type->find("application/vnd.amazon.eventstream") != std::string::npos;
    }
    // HTTP/1.0 clients do not know chunked framing: they get the length instead.
    chunked = chunked && !request.http10 && !no_body;
    if (!socket_.send_all(response_head(request, interaction, chunked, no_body))) return false;
    if (no_body) return true;
    std::string_view body = interaction.response_body;
    if (!chunked) return socket_.send_all(body);
    const std::size_t piece =
        state_.options.chunk_bytes == 0 ? body.size() : state_.options.chunk_bytes;
    while (!body.empty()) {
      const std::size_t n = std::min(piece, body.size());
      // One send per chunk: a client's reader sees the pieces as they would arrive.
      std::string chunk = hex(n) + "\r\n";
      chunk.append(body.data(), n);
      chunk += "\r\n";
      if (!socket_.send_all(chunk)) return false;
      body.remove_prefix(n);
    }
    return socket_.send_all("0\r\n\r\n");
  }

  Socket& socket_;
  const Shared& state_;
};

// One client connection on its own thread: read a request, answer it, until the client or the
// server ends the connection.
class Connection {
 public:
  Connection(int fd, const Shared& state)
      : socket_(fd, state), reader_(socket_, state), responder_(socket_, state) {}

  void serve() {
    for (;;) {
      ClientRequest request;
      Rejection rejection;
      switch (reader_.read(request, rejection)) {
        case ReadStatus::Closed:
          return;
        case ReadStatus::Rejected:
          responder_.reject(request, rejection);
          socket_.linger(reader_.discard_buffered());
          return;
        case ReadStatus::Request:
          break;
      }
      responder_.answer(request);
      if (!request.keep_alive) return;
    }
  }

 private:
  Socket socket_;
  RequestReader reader_;
  Responder responder_;
};

}  // namespace

struct FixtureServer::State {
  Shared shared;
  int listen_fd = -1;
  int wake_write = -1;
  int port = 0;
  std::thread acceptor;

  // One connection's thread. Nodes of a std::list stay put, so the thread may hold its own.
  struct Worker {
    std::thread thread;
    std::atomic<bool> done{false};
  };
  std::list<Worker> workers;  // touched by the acceptor thread, then by stop() after joining it

  std::mutex stop_mutex;
  bool stopped = false;  // guarded by stop_mutex

  ~State() {
    close_fd(listen_fd);
    close_fd(shared.wake_read);
    close_fd(wake_write);
  }

  void accept_loop();
};

void FixtureServer::State::accept_loop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd, POLLIN, 0}, {shared.wake_read, POLLIN, 0}};
    const int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || fds[1].revents != 0) return;
    sockaddr_in peer{};
    socklen_t peer_length = sizeof peer;
    const int fd =
        ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &peer_length, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: back off instead of spinning on the pending connection.
        pollfd wake{shared.wake_read, POLLIN, 0};
        if (::poll(&wake, 1, 100) > 0) return;
      }
      continue;
    }
    shared.log(LogLevel::Debug,
               "serve-fixtures: connection from port " + std::to_string(ntohs(peer.sin_port)));
    // Chunks of a stream go out as they are written, not held back by Nagle's algorithm.
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    workers.remove_if([](Worker& worker) {
      if (!worker.done.load()) return false;
      worker.thread.join();
      return true;
    });
    if (workers.size() >= shared.options.max_connections) {
      const std::string message = "serve-fixtures: more than " +
                                  std::to_string(shared.options.max_connections) +
                                  " connections at once; closed a new one";
      shared.log(LogLevel::Warn, message);
      const std::string reply =
          "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
          "x-amzn-ErrorType: ServiceUnavailableException\r\nconnection: close\r\n"
          "content-length: " +
          std::to_string(message.size() + 14) + "\r\n\r\n{\"message\":\"" + message + "\"}";
      // Best effort, without waiting: this connection gets no thread.
      (void)::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      ::close(fd);
      continue;
    }
    Worker& worker = workers.emplace_back();
    worker.thread = std::thread([this, fd, &worker] {
      Connection(fd, shared).serve();
      ::close(fd);
      worker.done.store(true);
    });
  }
}

FixtureServer::FixtureServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

FixtureServer::~FixtureServer() {
  stop();
}

Result<std::unique_ptr<FixtureServer>> FixtureServer::start(std::shared_ptr<ReplayTransport> replay,
                                                            FixtureServerOptions options) {
  if (!replay) return make_error(ErrorKind::Usage, "serve-fixtures: no replay transport given");
  if (options.port < 0 || options.port > 65535) {
    return make_error(ErrorKind::Usage,
                      "serve-fixtures: port " + std::to_string(options.port) + " is not 0-65535");
  }
  auto state = std::make_unique<State>();
  state->shared.replay = std::move(replay);
  state->shared.options = std::move(options);
  const std::string address = "127.0.0.1:" + std::to_string(state->shared.options.port);
  auto network_error = [&address](const char* step) {
    return make_error(ErrorKind::Network, std::string("serve-fixtures: cannot ") + step + " " +
                                              address + ": " + std::strerror(errno));
  };
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) return network_error("make a wake pipe for");
  state->shared.wake_read = pipe_fds[0];
  state->wake_write = pipe_fds[1];
  state->listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (state->listen_fd < 0) return network_error("open a socket for");
  // A restarted server may take its fixed port back while old connections sit in TIME_WAIT.
  const int one = 1;
  ::setsockopt(state->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(state->shared.options.port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // loopback only, never a public interface
  if (::bind(state->listen_fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    return network_error("bind");
  }
  if (::listen(state->listen_fd, SOMAXCONN) != 0) return network_error("listen on");
  socklen_t length = sizeof addr;
  if (::getsockname(state->listen_fd, reinterpret_cast<sockaddr*>(&addr), &length) != 0) {
    return network_error("read the port of");
  }
  state->port = ntohs(addr.sin_port);
  State* raw = state.get();
  state->acceptor = std::thread([raw] { raw->accept_loop(); });
  return std::unique_ptr<FixtureServer>(new FixtureServer(std::move(state)));
}

Result<std::unique_ptr<FixtureServer>> FixtureServer::start(const std::string& root,
                                                            FixtureServerOptions options) {
  auto replay = ReplayTransport::open(root);
  if (!replay.ok()) return std::move(replay).error();
  return start(std::shared_ptr<ReplayTransport>(std::move(replay).value()), std::move(options));
}

int FixtureServer::port() const noexcept {
  return state_->port;
}

std::string FixtureServer::url() const {
  return "http://127.0.0.1:" + std::to_string(state_->port);
}

const ReplayTransport& FixtureServer::replay() const noexcept {
  return *state_->shared.replay;
}

void FixtureServer::stop() {
  std::lock_guard<std::mutex> lock(state_->stop_mutex);
  if (state_->stopped) return;
  state_->stopped = true;
  const char byte = 1;
  while (::write(state_->wake_write, &byte, 1) < 0 && errno == EINTR) {
  }
  if (state_->acceptor.joinable()) state_->acceptor.join();
  for (auto& worker : state_->workers) {
    if (worker.thread.joinable()) worker.thread.join();
  }
  state_->workers.clear();
  close_fd(state_->listen_fd);
}

}  // namespace bedrock_lite::replay
