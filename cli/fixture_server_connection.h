// The fixture server's connection plumbing (fixture_server.cpp): the state every connection
// reads, one client socket, and the HTTP/1.1 request reader (head, then the body by
// Content-Length or chunked framing). Private to the fixture server; inline because only
// fixture_server.cpp includes it.
#pragma once

#include "fixture_server.h"

#include <bedrock_lite/internal/http1.h>
#include <bedrock_lite/internal/text.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bedrock_lite::replay::fixture_server_detail {

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
inline const char* default_reason(int status) {
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

inline std::string hex(std::size_t n) {
  char text[2 * sizeof(std::size_t) + 1];
  std::snprintf(text, sizeof text, "%zx", n);
  return text;
}

inline void close_fd(int& fd) {
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

}  // namespace bedrock_lite::replay::fixture_server_detail
