// The replay transport as a loopback HTTP/1.1 server (`bedrock-lite serve-fixtures`), so an
// application in any language (boto3, the JS SDK, this library) can point its endpoint URL at a
// fixture set and get the recorded answers. Format and matching rules: replay.h, docs/fixtures.md.
// Lives with the CLI, never in libbedrock_lite: an application that links the library gets no
// socket server.
#pragma once

#include <bedrock_lite/core.h>
#include <bedrock_lite/replay.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace bedrock_lite::replay {

// Immutable once the server is started. Every limit is there so that one bad client can neither
// hang the server nor exhaust it.
struct FixtureServerOptions {
  // Port on 127.0.0.1; 0 lets the kernel pick a free one (FixtureServer::port() tells which).
  int port = 0;
  // Request line plus headers; a longer head gets 431 and the connection is closed.
  std::size_t max_header_bytes = 64 * 1024;
  // Request body (after de-chunking); a longer body gets 413. Bedrock takes inline media up to
  // tens of MB (base64 video), so the cap is well above that.
  std::size_t max_body_bytes = std::size_t{64} << 20;
  // A connection that sends nothing (between requests or in the middle of one), or does not read
  // what is sent to it, for this long is closed.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(30)};
  // Connections served at once (a thread each); a connection beyond this gets 503 and is closed.
  std::size_t max_connections = 64;
  // Chunk size of chunked response bodies (event streams, and bodies recorded as chunked): the
  // 16 KiB a real connection typically hands a reader, so clients' stream decoders meet messages
  // that straddle chunks. 0 sends the body as one chunk.
  std::size_t chunk_bytes = 16 * 1024;
  // One line per request that got no recorded answer (no fixture matched, malformed HTTP, a
  // limit hit) at Warn, and one per answered request at Debug. Called on connection threads.
  LogHook log;
};

// Serves a fixture set on 127.0.0.1 over HTTP/1.1:
//  - each request is answered by ReplayTransport::match() (same rules, same cycling through
//    repeated interactions, shared with any other user of the same transport) with the recorded
//    status, reason, headers and body bytes. Content-Length, Transfer-Encoding and connection
//    headers are not replayed but recomputed: event-stream bodies (and bodies recorded as
//    chunked) go out chunked in options.chunk_bytes pieces, every other body with its length;
//  - a request that matches nothing gets 404 with the x-amzn-ErrorType header
//    "ReplayMismatchException" and the body {"message":"<the replay error>"} (closest fixture,
//    first differing JSON path); malformed HTTP gets 400 ("BadRequestException") and its
//    connection is closed;
//  - keep-alive (several requests per connection), `Expect: 100-continue`, Content-Length and
//    chunked request bodies, concurrent connections (a thread each).
//
// Thread-safe: port() and url() from any thread; stop() (or the destructor) from any thread
// but a connection's own. No global state: signals are the caller's business.
class FixtureServer {
 public:
  // Binds 127.0.0.1:options.port and starts serving before it returns, so a client may connect
  // at once. A failure to bind or listen is a Network error naming the address.
  static Result<std::unique_ptr<FixtureServer>> start(std::shared_ptr<ReplayTransport> replay,
                                                      FixtureServerOptions options = {});
  // Loads `root` (load_fixture_set; a Config error when it holds no interaction) and starts.
  static Result<std::unique_ptr<FixtureServer>> start(const std::string& root,
                                                      FixtureServerOptions options = {});

  ~FixtureServer();  // stop()
  FixtureServer(const FixtureServer&) = delete;
  FixtureServer& operator=(const FixtureServer&) = delete;

  // The bound port (the kernel's pick when options.port was 0).
  int port() const noexcept;
  // "http://127.0.0.1:<port>", no trailing slash: what an SDK's endpoint URL is set to.
  std::string url() const;
  const ReplayTransport& replay() const noexcept;

  // Stops accepting, closes every connection (a response in flight is cut off) and joins every
  // thread. Idempotent.
  void stop();

 private:
  struct State;
  explicit FixtureServer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace bedrock_lite::replay
