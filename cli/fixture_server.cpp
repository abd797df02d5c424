// The fixture server (fixture_server.h): a small HTTP/1.1 server over POSIX sockets, one thread
// per connection, every wait a poll() that also watches a wake pipe so stop() ends them all.
// Matching is ReplayTransport::match(); this file only speaks HTTP.
#include "fixture_server.h"

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

using http::find_header;
using http::Header;
using http::Headers;

using internal::iequals;
using internal::is_framing_header;
using internal::is_token;
using internal::json_string;
using internal::lists_token;
using internal::parse_chunk_size;
using internal::parse_content_length;
using internal::safe_header_value;
using internal::trim;

// The reason phrase we send: the standard one, else a generic word for the class.
const char* default_reason(int status) {
  const char* phrase = internal::reason_phrase(status);
  return *phrase != '\0' ? phrase : status < 400 ? "OK" : "Error";
}

// x-amzn-ErrorType values of the server's own answers. Not AWS types, so an SDK shows them as
// they are; neither is retryable in any SDK (404 and 400 with an unknown code are not).
constexpr const char* kMismatchType = "ReplayMismatchException";
constexpr const char* kBadRequestType = "BadRequestException";

// A chunk-size line or a trailer line longer than this is malformed (real ones are < 20 bytes).
constexpr std::size_t kMaxChunkLineBytes = 1024;
// Bytes read per recv(): what a socket typically hands over at once.
constexpr std::size_t kReadBytes = 16 * 1024;
// After an error reply on a connection that is being closed, unread request bytes are drained
// (up to this much) so the close does not turn into a reset that destroys the reply in flight.
constexpr std::size_t kMaxDrainBytes = 1 << 20;

std::string hex(std::size_t n) {
  char text[2 * sizeof(std::size_t) + 1];
  std::snprintf(text, sizeof text, "%zx", n);
  return text;
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// What every connection reads: set before the first thread starts, then never written.
struct Shared {
  std::shared_ptr<ReplayTransport> replay;
  FixtureServerOptions options;
  int wake_read = -1;  // readable once stop() has begun: every poll watches it

  void log(LogLevel level, const std::string& message) const {
    if (options.log) options.log(level, message);
  }
  bool stopping() const {
    pollfd wake{wake_read, POLLIN, 0};
    return ::poll(&wake, 1, 0) > 0;
  }
};

}  // namespace

namespace {

// One client socket: waiting on it (against the idle timeout and stop()), reading into a buffer,
// sending whole, and the lingering close after an error reply.
class Socket {
 public:
  Socket(int fd, const Shared& state) : fd_(fd), state_(state) {}

  // Reads what the socket has onto `buffer`. False on end of stream, error, idle timeout or stop.
  bool fill(std::string& buffer) {
    if (wait(POLLIN) != Wait::Ready) return false;
    char chunk[kReadBytes];
    for (;;) {
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buffer.append(chunk, static_cast<std::size_t>(n));
      return true;
    }
  }

  bool send_all(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        data.remove_prefix(static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        // A client that stops reading is given the idle timeout, like one that stops sending.
        if (wait(POLLOUT) != Wait::Ready) return false;
        continue;
      }
      return false;
    }
    return true;
  }

  // Lingering close: stop sending, then read what the client still sends (up to kMaxDrainBytes,
  // counting the `drained` bytes already read), so the kernel does not reset the connection
  // (and discard our reply) over unread bytes.
  void linger(std::size_t drained) {
    ::shutdown(fd_, SHUT_WR);
    std::string scratch;
    while (drained < kMaxDrainBytes && fill(scratch)) {
      drained += scratch.size();
      scratch.clear();
    }
  }

 private:
  enum class Wait { Ready, Timeout, Stop };

  Wait wait(short events) {
    pollfd fds[2] = {{fd_, events, 0}, {state_.wake_read, POLLIN, 0}};
    const auto timeout = state_.options.idle_timeout.count();
    const int limit = timeout > 0x7fffffff ? 0x7fffffff : static_cast<int>(timeout);
    for (;;) {
      const int n = ::poll(fds, 2, limit);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Wait::Stop;
      if (n == 0) return Wait::Timeout;
      if (fds[1].revents != 0) return Wait::Stop;
      return Wait::Ready;
    }
  }

  int fd_;
  const Shared& state_;
};

// One request as read from the connection. `keep_alive` starts as the request asks and turns
// false when the connection must close after the answer.
struct ClientRequest {
  std::string method;
  std::string target;
  Headers headers;
  std::string body;
  bool http10 = false;
  bool keep_alive = true;
};

// What reading found: a request to answer, one to refuse (with `status` and why), or nothing
// more on this connection (closed, idle, or stopping).
enum class ReadStatus { Request, Rejected, Closed };
struct Rejection {
  int status = 400;
  std::string what;
};

// Reads requests off a connection: the head (request line and headers, bounded), then the body
// by Content-Length or chunked framing. Keeps the bytes received but not yet consumed.
class RequestReader {
 public:
  RequestReader(Socket& socket, const Shared& state) : socket_(socket), state_(state) {}

  ReadStatus read(ClientRequest& request, Rejection& rejection) {
    request_ = &request;
    rejection_ = &rejection;
    return read_request();
  }

  // Drops the unread bytes (after a rejection) and says how many there were.
  std::size_t discard_buffered() {
    const std::size_t size = buffer_.size();
    buffer_.clear();
    return size;
  }

 private:
  bool fill() { return socket_.fill(buffer_); }

  ReadStatus read_request() {
    // Empty lines before a request line are ignored (RFC 9112 §2.2).
    std::size_t head_end = std::string::npos;
    std::size_t separator = 0;
    std::size_t empty_line_bytes = 0;  // counted against the head limit, so they cannot go on
    for (;;) {
      const std::size_t empty = std::min(buffer_.find_first_not_of("\r\n"), buffer_.size());
      buffer_.erase(0, empty);
      empty_line_bytes += empty;
      if (empty_line_bytes > state_.options.max_header_bytes) {
        return reject(431, "more than " + std::to_string(state_.options.max_header_bytes) +
                               " bytes of empty lines before a request");
      }
      head_end = find_head_end(separator);
      if (head_end != std::string::npos) break;
      if (buffer_.size() > state_.options.max_header_bytes) {
        return reject(431, "request head longer than " +
                               std::to_string(state_.options.max_header_bytes) + " bytes");
      }
      const bool had_bytes = !buffer_.empty();
      if (!fill()) {
        if (had_bytes)
          state_.log(LogLevel::Warn,
                     "serve-fixtures: connection closed or idle in "
                     "the middle of a request head");
        return ReadStatus::Closed;
      }
    }
    if (head_end > state_.options.max_header_bytes) {
      return reject(431, "request head longer than " +
                             std::to_string(state_.options.max_header_bytes) + " bytes");
    }
    const std::string head = buffer_.substr(0, head_end);
    buffer_.erase(0, head_end + separator);
    if (auto problem = parse_head(head); !problem.empty()) {
      return reject(problem == "version" ? 505 : 400,
                    problem == "version" ? "only HTTP/1.0 and HTTP/1.1 are served" : problem);
    }
    return read_body();
  }

  // Position of the blank line ending the head, and in `separator` the length of the line
  // ends there ("\r\n\r\n", "\n\n", ...): bare LF is accepted as a line end (RFC 9112 §2.2).
  std::size_t find_head_end(std::size_t& separator) const {
    for (std::size_t at = buffer_.find('\n'); at != std::string::npos;
         at = buffer_.find('\n', at + 1)) {
      if (at + 1 < buffer_.size() && buffer_[at + 1] == '\n') {
        separator = 2;
        return at;
      }
      if (at + 2 < buffer_.size() && buffer_[at + 1] == '\r' && buffer_[at + 2] == '\n') {
        separator = 3;
        return at;
      }
    }
    return std::string::npos;
  }

  static std::vector<std::string_view> split_lines(std::string_view head) {
    std::vector<std::string_view> lines;
    while (!head.empty()) {
      const std::size_t end = head.find('\n');
      std::string_view line = head.substr(0, end);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      lines.push_back(line);
      if (end == std::string_view::npos) break;
      head.remove_prefix(end + 1);
    }
    return lines;
  }

  // Empty on success, else what is wrong ("version" for an unsupported HTTP version).
  std::string parse_request_line(std::string_view request_line) {
    const std::size_t first = request_line.find(' ');
    const std::size_t last = request_line.rfind(' ');
    if (first == std::string_view::npos || first == last) {
      return "malformed request line (want METHOD TARGET HTTP/1.1)";
    }
    const std::string_view method = request_line.substr(0, first);
    const std::string_view target = request_line.substr(first + 1, last - first - 1);
    const std::string_view version = request_line.substr(last + 1);
    if (!is_token(method)) return "malformed request line: bad method";
    if (target.empty() || target.find_first_of(" \t") != std::string_view::npos) {
      return "malformed request line: bad target";
    }
    for (char c : target) {
      if (static_cast<unsigned char>(c) < 0x21 || c == 0x7f) {
        return "malformed request line: control character in the target";
      }
    }
    if (version.size() != 8 || version.substr(0, 5) != "HTTP/") {
      return "malformed request line: bad HTTP version";
    }
    if (version != "HTTP/1.1" && version != "HTTP/1.0") return "version";
    request_->method = std::string(method);
    request_->target = std::string(target);
    request_->http10 = version == "HTTP/1.0";
    return {};
  }

  // Empty on success, else what is wrong ("version" for an unsupported HTTP version).
  std::string parse_head(std::string_view head) {
    const std::vector<std::string_view> lines = split_lines(head);
    if (lines.empty()) return "empty request";
    if (auto problem = parse_request_line(lines[0]); !problem.empty()) return problem;
    ClientRequest& request = *request_;
    for (std::size_t i = 1; i < lines.size(); ++i) {
      const std::string_view line = lines[i];
      if (line.front() == ' ' || line.front() == '\t') {
        return "header line " + std::to_string(i + 1) + " is folded (obsolete line folding)";
      }
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
        return "header line " + std::to_string(i + 1) + " is not 'name: value'";
      }
      request.headers.push_back(
          Header{std::string(line.substr(0, colon)), std::string(trim(line.substr(colon + 1)))});
    }
    const std::string* connection = find_header(request.headers, "connection");
    request.keep_alive = request.http10 ? (connection && lists_token(*connection, "keep-alive"))
                                        : !(connection && lists_token(*connection, "close"));
    return {};
  }

  // The body's framing from the headers: chunked, or Content-Length (checked) in `length`.
  ReadStatus read_framing(bool& chunked, std::size_t& length) {
    const Headers& headers = request_->headers;
    const std::string* transfer_encoding = find_header(headers, "transfer-encoding");
    const std::string* content_length = find_header(headers, "content-length");
    chunked = transfer_encoding != nullptr;
    length = 0;
    if (transfer_encoding) {
      // Both framings at once is the request-smuggling shape (RFC 9112 §6.1): refused.
      if (content_length) return reject(400, "both Content-Length and Transfer-Encoding");
      // Clients send plain "chunked"; a compressed upload ("gzip, chunked") is not replayable.
      if (!iequals(trim(*transfer_encoding), "chunked")) {
        return reject(
            501, "Transfer-Encoding '" + *transfer_encoding + "' is not served (only chunked)");
      }
    } else if (content_length) {
      for (const auto& header : headers) {
        if (iequals(header.name, "content-length") && header.value != *content_length) {
          return reject(400, "conflicting Content-Length headers");
        }
      }
      if (!parse_content_length(*content_length, length)) {
        return reject(400, "Content-Length '" + *content_length + "' is not a number");
      }
      if (length > state_.options.max_body_bytes) {
        return reject(413, "request body of " + std::to_string(length) + " bytes is over the " +
                               std::to_string(state_.options.max_body_bytes) + "-byte limit");
      }
    }
    return ReadStatus::Request;
  }

  ReadStatus read_body() {
    bool chunked = false;
    std::size_t length = 0;
    if (auto framing = read_framing(chunked, length); framing != ReadStatus::Request) {
      return framing;
    }
    const bool has_body = chunked || length > 0;
    // The client waits for this before sending the body (it would send it anyway after a
    // second or so; answering at once keeps uploads fast).
    const std::string* expect = find_header(request_->headers, "expect");
    if (has_body && !request_->http10 && expect && iequals(trim(*expect), "100-continue") &&
        (chunked || buffer_.size() < length)) {
      if (!socket_.send_all("HTTP/1.1 100 Continue\r\n\r\n")) return ReadStatus::Closed;
    }
    if (chunked) return read_chunked_body();
    while (buffer_.size() < length) {
      if (!fill()) {
        state_.log(LogLevel::Warn, "serve-fixtures: connection closed or idle after " +
                                       std::to_string(buffer_.size()) + " of " +
                                       std::to_string(length) + " body bytes");
        return ReadStatus::Closed;
      }
    }
    request_->body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return ReadStatus::Request;
  }

  // Reads a line ending at or after `from` in buffer_; its end (the '\n') in `end`.
  bool read_line(std::size_t from, std::size_t& end) {
    for (;;) {
      end = buffer_.find('\n', from);
      if (end != std::string::npos) return end - from <= kMaxChunkLineBytes;
      if (buffer_.size() - from > kMaxChunkLineBytes) return false;
      if (!fill()) return false;
    }
  }

  // One chunk (size line, data, CRLF) from `at` onto the body. `last` is set by the final,
  // zero-size chunk, after which `at` is where the trailer starts.
  ReadStatus read_chunk(std::size_t& at, bool& last) {
    std::string& body = request_->body;
    std::size_t end = 0;
    if (!read_line(at, end)) return reject_or_close("malformed or missing chunk-size line");
    std::string_view line(buffer_.data() + at, end - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::size_t size = 0;
    if (!parse_chunk_size(line, size)) {
      return reject(400, "chunk size '" + std::string(line) + "' is not hexadecimal");
    }
    at = end + 1;
    last = size == 0;
    if (last) return ReadStatus::Request;
    if (size > state_.options.max_body_bytes - body.size()) {
      return reject(413, "chunked request body over the " +
                             std::to_string(state_.options.max_body_bytes) + "-byte limit");
    }
    while (buffer_.size() - at < size + 1) {
      if (!fill()) return reject_or_close("connection closed in the middle of a chunk");
    }
    body.append(buffer_, at, size);
    at += size;
    // The chunk's CRLF (a bare LF is accepted as elsewhere).
    if (buffer_[at] == '\r') {
      while (buffer_.size() - at < 2) {
        if (!fill()) return reject_or_close("connection closed in the middle of a chunk");
      }
      ++at;
    }
    if (buffer_[at] != '\n') return reject(400, "chunk data not followed by CRLF");
    ++at;
    // Consumed chunks leave the buffer, so it holds at most one chunk beyond the body.
    buffer_.erase(0, at);
    at = 0;
    return ReadStatus::Request;
  }

  ReadStatus read_chunked_body() {
    std::size_t at = 0;  // parse position in buffer_
    for (bool last = false; !last;) {
      if (auto status = read_chunk(at, last); status != ReadStatus::Request) return status;
    }
    // Trailer fields, ignored, up to the empty line; bounded like the head.
    std::size_t trailer_bytes = 0;
    for (;;) {
      std::size_t end = 0;
      if (!read_line(at, end)) return reject_or_close("malformed chunked trailer");
      const std::size_t line_length = end - at - (end > at && buffer_[end - 1] == '\r' ? 1 : 0);
      trailer_bytes += end + 1 - at;
      at = end + 1;
      if (line_length == 0) break;
      if (trailer_bytes > state_.options.max_header_bytes) {
        return reject(431, "chunked trailer longer than " +
                               std::to_string(state_.options.max_header_bytes) + " bytes");
      }
    }
    buffer_.erase(0, at);
    return ReadStatus::Request;
  }

  // A framing error found while reading: refused with 400 unless the server is stopping.
  ReadStatus reject_or_close(const std::string& what) {
    if (state_.stopping()) return ReadStatus::Closed;
    return reject(400, what);
  }

  ReadStatus reject(int status, std::string what) {
    rejection_->status = status;
    rejection_->what = std::move(what);
    return ReadStatus::Rejected;
  }

  Socket& socket_;
  const Shared& state_;
  std::string buffer_;
  ClientRequest* request_ = nullptr;
  Rejection* rejection_ = nullptr;
};

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
