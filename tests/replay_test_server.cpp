// The fixture server (bedrock-lite serve-fixtures) over real sockets: the libcurl transport gets
// every recorded answer byte for byte; raw sockets check keep-alive, chunked uploads,
// Expect: 100-continue, misses, malformed HTTP and the limits.
#include <bedrock_lite/http.h>
#include <bedrock_lite/replay.h>
#include <fixture_server.h>

#include "replay_test_support.h"
#include "support/environment.h"
#include "support/fixtures.h"
#include "support/thread_failures.h"

#include <rapidjson/document.h>
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

using bedrock_lite::ErrorKind;
using bedrock_lite::LogLevel;
using bedrock_lite::test::fixture_path;
using bedrock_lite::test::TempDir;
namespace http = bedrock_lite::http;
namespace replay = bedrock_lite::replay;
namespace fs = std::filesystem;

using bedrock_lite::replay_test::CollectSink;
using bedrock_lite::replay_test::operation_of;

namespace {

// "https://host/model/x/converse" → "/model/x/converse"; a bare path stays as it is.
std::string path_of(const std::string& uri) {
  const auto scheme = uri.find("://");
  if (scheme == std::string::npos) return uri;
  const auto slash = uri.find('/', scheme + 3);
  return slash == std::string::npos ? "/" : uri.substr(slash);
}

// Collects log lines from the server's connection threads.
struct LogLines {
  std::mutex mutex;
  std::vector<std::pair<LogLevel, std::string>> lines;
  bedrock_lite::LogHook hook() {
    return [this](LogLevel level, std::string_view message) {
      std::lock_guard<std::mutex> lock(mutex);
      lines.emplace_back(level, std::string(message));
    };
  }
  int count_containing(const std::string& text) {
    std::lock_guard<std::mutex> lock(mutex);
    int n = 0;
    for (const auto& line : lines) n += line.second.find(text) != std::string::npos ? 1 : 0;
    return n;
  }
  std::vector<std::string> warnings() {
    std::lock_guard<std::mutex> lock(mutex);
    std::vector<std::string> out;
    for (const auto& line : lines) {
      if (line.first == LogLevel::Warn) out.push_back(line.second);
    }
    return out;
  }
};

std::unique_ptr<replay::FixtureServer> start_server(const std::string& root,
                                                    replay::FixtureServerOptions options = {}) {
  auto server = replay::FixtureServer::start(root, std::move(options));
  INFO((server ? std::string() : server.error().to_string()));
  REQUIRE(server.ok());
  return std::move(server).value();
}

// A raw client socket, for what the libcurl transport would never send.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    // A safety net so a server bug fails the test instead of hanging it; not a timing check.
    timeval limit{20, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~RawClient() { ::close(fd_); }

  void send(const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      REQUIRE(n > 0);
      sent += static_cast<std::size_t>(n);
    }
  }

  // Reads more bytes; false at end of stream (or the safety-net timeout).
  bool fill() {
    char chunk[16384];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  struct Response {
    int status = 0;
    http::Headers headers;
    std::string body;
    int chunks = 0;  // body chunks of a chunked response
  };

  // Reads one response (Content-Length, chunked, or up to the end of the stream).
  Response read_response() {
    Response response;
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) REQUIRE(fill());
    std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    std::size_t line_end = head.find("\r\n");
    const std::string status_line = head.substr(0, line_end);
    REQUIRE(status_line.rfind("HTTP/1.1 ", 0) == 0);
    response.status = std::stoi(status_line.substr(9, 3));
    while (line_end != std::string::npos) {
      const std::size_t start = line_end + 2;
      line_end = head.find("\r\n", start);
      const std::string line =
          head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
      const auto colon = line.find(':');
      REQUIRE(colon != std::string::npos);
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      response.headers.push_back({line.substr(0, colon), value});
    }
    if (response.status == 100 || response.status == 204) return response;
    if (const auto* length = http::find_header(response.headers, "content-length")) {
      const std::size_t n = std::stoul(*length);
      while (buffer_.size() < n) REQUIRE(fill());
      response.body = buffer_.substr(0, n);
      buffer_.erase(0, n);
    } else if (http::find_header(response.headers, "transfer-encoding")) {
      for (;;) {
        std::size_t eol;
        while ((eol = buffer_.find("\r\n")) == std::string::npos) REQUIRE(fill());
        const std::size_t n = std::stoul(buffer_.substr(0, eol), nullptr, 16);
        buffer_.erase(0, eol + 2);
        while (buffer_.size() < n + 2) REQUIRE(fill());
        REQUIRE(buffer_.substr(n, 2) == "\r\n");
        response.body += buffer_.substr(0, n);
        buffer_.erase(0, n + 2);
        if (n == 0) break;
        ++response.chunks;
      }
    } else {
      while (fill()) {
      }
      response.body = buffer_;
      buffer_.clear();
    }
    return response;
  }

  int fd() const { return fd_; }

  // True when the server has closed the connection (and sent nothing more).
  bool closed_by_server() { return !fill() && buffer_.empty(); }

 private:
  int fd_ = -1;
  std::string buffer_;
};

// A one-interaction fixture set with a small JSON answer and a small event stream.
struct SmallSet {
  TempDir dir;
  SmallSet() {
    dir.write("a/request.json",
              R"({"method":"POST","uri":"https://h/model/m%3A0/converse","headers":{},)"
              R"("body":{"messages":[{"role":"user","content":[{"text":"hi"}]}]}})");
    dir.write("a/response.json",
              R"({"status":200,"reason":"OK","headers":{"content-type":"application/json",)"
              R"("content-length":"999","x-amzn-requestid":"r-1"}})");
    dir.write(
        "a/response.body",
        R"({"output":{"message":{"role":"assistant","content":[{"text":"hello"}]}},"stopReason":"end_turn"})");
    dir.write(
        "b/request.json",
        R"({"method":"POST","uri":"/model/m%3A0/count-tokens","headers":{},"body":"raw bytes"})");
    dir.write(
        "b/response.json",
        R"({"status":429,"reason":"","headers":{"content-type":"application/json","x-amzn-errortype":"ThrottlingException"}})");
    dir.write("b/response.body", R"({"message":"slow down"})");
  }
  std::string root() const { return dir.path().string(); }
  static std::string converse_body() {
    return R"({"messages":[{"content":[{"text":"hi"}],"role":"user"}]})";
  }
  static std::string converse_request(const std::string& extra_headers = "") {
    const std::string body = converse_body();
    return "POST /model/m:0/converse HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
           "application/json\r\n" +
           extra_headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }
};

}  // namespace

TEST_CASE(
    "fixture server: the curl transport gets every recorded Converse, ConverseStream and "
    "CountTokens answer byte for byte") {
  LogLines log;
  replay::FixtureServerOptions options;
  options.log = log.hook();
  auto server = start_server(fixture_path("recorded").string(), options);
  const auto& interactions = server->replay().fixtures().interactions;
  auto transport = http::make_curl_transport();
  std::map<std::string, int> replayed;
  int multi_chunk_streams = 0;
  for (const auto& interaction : interactions) {
    const std::string operation = operation_of(interaction.folder);
    if (operation != "converse" && operation != "converse-stream" && operation != "count-tokens") {
      continue;
    }
    INFO(interaction.folder);
    http::Request request;
    request.method = interaction.method;
    request.url = server->url() + path_of(interaction.uri);
    request.headers = {{"Content-Type", "application/json"}};
    request.body = interaction.request_body;
    CollectSink sink;
    auto head = transport->send(request, sink);
    INFO((head ? std::string() : head.error().to_string()));
    REQUIRE(head.ok());
    CHECK(head->status == interaction.status);
    CHECK(sink.body() == interaction.response_body);
    // Every recorded header comes back with its value; framing is recomputed for this connection.
    for (const auto& recorded : interaction.response_headers) {
      if (recorded.name == "content-length" || recorded.name == "transfer-encoding" ||
          recorded.name == "connection") {
        continue;
      }
      const std::string* got = http::find_header(head->headers, recorded.name);
      INFO(recorded.name);
      REQUIRE(got != nullptr);
      CHECK(*got == recorded.value);
    }
    const std::string* type = http::find_header(interaction.response_headers, "content-type");
    const bool stream = type && *type == "application/vnd.amazon.eventstream";
    const std::string* te = http::find_header(head->headers, "transfer-encoding");
    const std::string* length = http::find_header(head->headers, "content-length");
    if (stream) {
      REQUIRE(te != nullptr);
      CHECK(*te == "chunked");
      CHECK(length == nullptr);
      if (sink.chunks.size() > 1) ++multi_chunk_streams;
    } else if (te == nullptr) {
      REQUIRE(length != nullptr);
      CHECK(*length == std::to_string(interaction.response_body.size()));
    }
    ++replayed[operation];
  }
  CHECK(replayed["converse"] >= 262);
  CHECK(replayed["converse-stream"] >= 27);
  CHECK(replayed["count-tokens"] >= 9);
  CHECK(multi_chunk_streams >= 1);  // the 174-message stream arrives in several pieces
  CHECK(log.warnings().empty());
  // One keep-alive connection served them all.
  CHECK(log.count_containing("connection from port") == 1);
}

TEST_CASE(
    "fixture server: keep-alive serves several requests on one connection, chunk sizes as "
    "configured") {
  SmallSet set;
  replay::FixtureServerOptions options;
  options.chunk_bytes = 100;
  auto server = start_server(
      fixture_path("recorded/bedrock-recorded/test_bedrock_model_stream").string(), options);
  const auto& stream = server->replay().fixtures().interactions.at(0);
  RawClient client(server->port());
  for (int i = 0; i < 3; ++i) {
    INFO("request " << i);
    client.send("POST " + path_of(stream.uri) + " HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                std::to_string(stream.request_body.size()) + "\r\n\r\n" + stream.request_body);
    const auto response = client.read_response();
    CHECK(response.status == 200);
    CHECK(response.body == stream.response_body);
    CHECK(response.chunks == static_cast<int>((stream.response_body.size() + 99) / 100));
    CHECK(http::find_header(response.headers, "connection") == nullptr);
  }
  // Connection: close is honoured: the answer says so and the server closes.
  client.send("POST " + path_of(stream.uri) + " HTTP/1.1\r\nConnection: close\r\nContent-Length: " +
              std::to_string(stream.request_body.size()) + "\r\n\r\n" + stream.request_body);
  const auto last = client.read_response();
  CHECK(last.status == 200);
  REQUIRE(http::find_header(last.headers, "connection") != nullptr);
  CHECK(*http::find_header(last.headers, "connection") == "close");
  CHECK(client.closed_by_server());
}

TEST_CASE("fixture server: recorded framing headers are recomputed, reason and types kept") {
  SmallSet set;
  auto server = start_server(set.root());
  RawClient client(server->port());
  client.send(SmallSet::converse_request());
  auto response = client.read_response();
  CHECK(response.status == 200);
  // The recorded content-length (999) is not replayed: the body's own length is.
  REQUIRE(http::find_header(response.headers, "content-length") != nullptr);
  CHECK(*http::find_header(response.headers, "content-length") ==
        std::to_string(response.body.size()));
  CHECK(response.body.find("\"hello\"") != std::string::npos);
  CHECK(*http::find_header(response.headers, "x-amzn-requestid") == "r-1");
  // A body recorded as a string matches byte for byte; an empty reason gets the standard one.
  client.send("POST /model/m%3A0/count-tokens HTTP/1.1\r\nContent-Length: 9\r\n\r\nraw bytes");
  response = client.read_response();
  CHECK(response.status == 429);
  CHECK(*http::find_header(response.headers, "x-amzn-errortype") == "ThrottlingException");
  CHECK(response.body == R"({"message":"slow down"})");
}

TEST_CASE(
    "fixture server: a request that matches nothing gets 404 naming the closest fixture, the "
    "connection stays usable") {
  SmallSet set;
  LogLines log;
  replay::FixtureServerOptions options;
  options.log = log.hook();
  auto server = start_server(set.root(), options);
  RawClient client(server->port());
  const std::string body = R"({"messages":[{"role":"user","content":[{"text":"bye"}]}]})";
  client.send("POST /model/m%3A0/converse HTTP/1.1\r\nContent-Length: " +
              std::to_string(body.size()) + "\r\n\r\n" + body);
  const auto miss = client.read_response();
  CHECK(miss.status == 404);
  REQUIRE(http::find_header(miss.headers, "x-amzn-ErrorType") != nullptr);
  CHECK(*http::find_header(miss.headers, "x-amzn-ErrorType") == "ReplayMismatchException");
  CHECK(*http::find_header(miss.headers, "content-type") == "application/json");
  rapidjson::Document json;
  json.Parse(miss.body.c_str());
  REQUIRE_FALSE(json.HasParseError());
  const std::string message = json["message"].GetString();
  const std::string closest = (set.dir.path() / "a").string();
  CHECK(message == "replay: no fixture matches POST /model/m:0/converse; closest is " + closest +
                       ": body differs at /messages/0/content/0/text (string differs)");
  // The same line goes to the log (the CLI prints it on stderr).
  const auto warnings = log.warnings();
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] == message);
  // The miss did not cost the connection.
  client.send(SmallSet::converse_request());
  CHECK(client.read_response().status == 200);

  // The in-process replay says the same for the same request.
  auto replay = replay::ReplayTransport::open(set.root());
  REQUIRE(replay.ok());
  auto direct = (*replay)->match("POST", "/model/m%3A0/converse", body);
  REQUIRE_FALSE(direct.ok());
  CHECK(direct.error().kind == ErrorKind::Usage);
  CHECK(direct.error().message == message);
}

TEST_CASE(
    "fixture server: malformed HTTP gets 400 and the connection closes, the server keeps serving") {
  SmallSet set;
  LogLines log;
  replay::FixtureServerOptions options;
  options.log = log.hook();
  options.max_header_bytes = 1024;
  options.max_body_bytes = 4096;
  auto server = start_server(set.root(), options);
  struct Case {
    const char* name;
    std::string bytes;
    int status;
    const char* says;
  };
  const std::vector<Case> cases = {
      {"not HTTP", "hello there\r\n\r\n", 400, "malformed request line"},
      {"no version", "GET /\r\n\r\n", 400, "malformed request line"},
      {"bad version", "GET / HTTP/9.9\r\n\r\n", 505, "only HTTP/1.0 and HTTP/1.1"},
      {"control character in target", std::string("GET /a\x01 HTTP/1.1\r\n\r\n"), 400,
       "control character"},
      {"header without colon", "GET / HTTP/1.1\r\nHost x\r\n\r\n", 400,
       "header line 2 is not 'name: value'"},
      {"folded header", "GET / HTTP/1.1\r\nA: b\r\n  c\r\n\r\n", 400, "folded"},
      {"bad content-length", "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 400,
       "Content-Length '1x'"},
      {"control bytes quoted as ?", std::string("POST / HTTP/1.1\r\nContent-Length: 1\x1b\r\n\r\n"),
       400, "Content-Length '1?'"},
      {"two content-lengths", "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
       400, "conflicting"},
      {"both framings",
       "POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
       "both"},
      {"unknown transfer coding", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501,
       "only chunked"},
      {"bad chunk size", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400,
       "not hexadecimal"},
      {"chunk without CRLF", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX", 400,
       "not followed by CRLF"},
      {"head too long", "GET / HTTP/1.1\r\nX: " + std::string(2000, 'a') + "\r\n\r\n", 431,
       "longer than 1024"},
      {"body too long", "POST / HTTP/1.1\r\nContent-Length: 5000\r\n\r\n", 413,
       "over the 4096-byte limit"},
      {"chunked body too long", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2000\r\n",
       413, "over the 4096-byte limit"},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.name) {
      {
        RawClient bad(server->port());
        bad.send(c.bytes);
        const auto response = bad.read_response();
        CHECK(response.status == c.status);
        CHECK(*http::find_header(response.headers, "connection") == "close");
        CHECK(*http::find_header(response.headers, "x-amzn-ErrorType") == "BadRequestException");
        CHECK_THAT(response.body, Catch::Contains(c.says));
        CHECK(bad.closed_by_server());
      }
      const auto warnings = log.warnings();
      REQUIRE_FALSE(warnings.empty());
      CHECK_THAT(warnings.back(), Catch::Contains(c.says));
      // Another client is served as usual.
      RawClient good(server->port());
      good.send(SmallSet::converse_request());
      CHECK(good.read_response().status == 200);
    }
  }
}

TEST_CASE("fixture server: chunked request bodies, Expect: 100-continue and HTTP/1.0") {
  SmallSet set;
  auto server = start_server(set.root());
  const std::string body = SmallSet::converse_body();
  SECTION("chunked body in uneven pieces, with an extension and a trailer") {
    RawClient client(server->port());
    std::string bytes = "POST /model/m%3A0/converse HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    bytes += "5;ext=1\r\n" + body.substr(0, 5) + "\r\n";
    bytes += "1\r\n" + body.substr(5, 1) + "\r\n";
    char size[16];
    std::snprintf(size, sizeof size, "%zX", body.size() - 6);
    bytes += std::string(size) + "\r\n" + body.substr(6) + "\r\n0\r\nX-Trailer: 1\r\n\r\n";
    // Sent byte by byte: every parse step meets a partial buffer.
    for (char c : bytes) client.send(std::string(1, c));
    const auto response = client.read_response();
    CHECK(response.status == 200);
    CHECK(response.body.find("\"hello\"") != std::string::npos);
    client.send(SmallSet::converse_request());  // and the connection goes on
    CHECK(client.read_response().status == 200);
  }
  SECTION("Expect: 100-continue gets the interim answer before the body is sent") {
    RawClient client(server->port());
    client.send("POST /model/m%3A0/converse HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n");
    CHECK(client.read_response().status == 100);
    client.send(body);
    CHECK(client.read_response().status == 200);
  }
  SECTION("Expect: 100-continue with a chunked body") {
    RawClient client(server->port());
    client.send(
        "POST /model/m%3A0/converse HTTP/1.1\r\nExpect: 100-continue\r\n"
        "Transfer-Encoding: chunked\r\n\r\n");
    CHECK(client.read_response().status == 100);
    char size[16];
    std::snprintf(size, sizeof size, "%zx", body.size());
    client.send(std::string(size) + "\r\n" + body + "\r\n0\r\n\r\n");
    CHECK(client.read_response().status == 200);
  }
  SECTION("HTTP/1.0 closes after the answer unless asked to keep alive") {
    RawClient client(server->port());
    std::string request = SmallSet::converse_request();
    request.replace(request.find("HTTP/1.1"), 8, "HTTP/1.0");
    client.send(request);
    CHECK(client.read_response().status == 200);
    CHECK(client.closed_by_server());
  }
  SECTION("the curl transport with a chunked upload") {
    auto transport = http::make_curl_transport();
    http::Request request;
    request.method = "POST";
    request.url = server->url() + "/model/m%3A0/converse";
    request.headers = {{"Transfer-Encoding", "chunked"}, {"Content-Type", "application/json"}};
    request.body = body;
    auto response = http::fetch(*transport, request);
    INFO((response ? std::string() : response.error().to_string()));
    REQUIRE(response.ok());
    CHECK(response->status == 200);
  }
}

TEST_CASE("fixture server: idle connections are closed, stop() ends open connections") {
  SmallSet set;
  replay::FixtureServerOptions options;
  options.idle_timeout = std::chrono::milliseconds(50);
  auto server = start_server(set.root(), options);
  {
    RawClient idle(server->port());
    CHECK(idle.closed_by_server());  // nothing sent: closed after the idle timeout
  }
  {
    RawClient half(server->port());
    half.send("POST /model/m%3A0/converse HTTP/1.1\r\nContent-Length: 100\r\n\r\n{");
    CHECK(half.closed_by_server());  // a body that never comes
  }
  auto patient = start_server(set.root());  // the default 30 s idle timeout
  RawClient open(patient->port());
  open.send(SmallSet::converse_request());
  CHECK(open.read_response().status == 200);
  patient->stop();  // returns with the connection still open on the client side
  CHECK(open.closed_by_server());
  patient->stop();  // idempotent
}

TEST_CASE("fixture server: start errors name the address or the folder") {
  SmallSet set;
  auto first = start_server(set.root());
  replay::FixtureServerOptions same_port;
  same_port.port = first->port();
  auto taken = replay::FixtureServer::start(set.root(), same_port);
  REQUIRE_FALSE(taken.ok());
  CHECK(taken.error().kind == ErrorKind::Network);
  CHECK_THAT(taken.error().message, Catch::StartsWith("serve-fixtures: cannot bind 127.0.0.1:" +
                                                      std::to_string(first->port()) + ": "));
  TempDir empty;
  auto nothing = replay::FixtureServer::start(empty.path().string());
  REQUIRE_FALSE(nothing.ok());
  CHECK(nothing.error().kind == ErrorKind::Config);
  replay::FixtureServerOptions out_of_range;
  out_of_range.port = 70000;
  auto bad_port = replay::FixtureServer::start(set.root(), out_of_range);
  REQUIRE_FALSE(bad_port.ok());
  CHECK(bad_port.error().kind == ErrorKind::Usage);
}

TEST_CASE("fixture server concurrency: 8 clients at once, each with its own connections") {
  auto server = start_server(fixture_path("recorded/arize-openinference").string());
  std::vector<const replay::Interaction*> cases;
  for (const auto& interaction : server->replay().fixtures().interactions) {
    const std::string operation = operation_of(interaction.folder);
    if (operation == "converse" || operation == "converse-stream") cases.push_back(&interaction);
  }
  REQUIRE(cases.size() >= 30);
  auto transport = http::make_curl_transport();
  bedrock_lite::test::ThreadFailures failures;
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      // Each thread replays requests whose answer is unique in the set, so the cycling order
      // of repeated requests cannot depend on thread timing.
      for (std::size_t i = static_cast<std::size_t>(t); i < cases.size(); i += 8) {
        const replay::Interaction& interaction = *cases[i];
        http::Request request;
        request.method = interaction.method;
        request.url = server->url() + path_of(interaction.uri);
        request.body = interaction.request_body;
        auto response = http::fetch(*transport, request);
        if (!response.ok()) {
          failures.add(t, i, interaction.folder + ": " + response.error().to_string());
          continue;
        }
        if (response->status != interaction.status) {
          failures.add(t, i,
                       interaction.folder + ": status " + std::to_string(response->status) +
                           ", recorded " + std::to_string(interaction.status));
          continue;
        }
        // Identical requests recorded twice may answer in either order across threads.
        bool known = false;
        for (const auto* other : cases) {
          if (other->request_body == interaction.request_body && other->uri == interaction.uri)
            known = known || other->response_body == response->body;
        }
        if (!known) failures.add(t, i, interaction.folder + ": a body no such request recorded");
        ++done;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  INFO(failures.report());
  CHECK(failures.count() == 0);
  CHECK(done == static_cast<int>(cases.size()));
}

TEST_CASE("fixture server: seeded random garbage never stops it serving") {
  SmallSet set;
  replay::FixtureServerOptions options;
  options.max_header_bytes = 2048;
  options.max_body_bytes = 4096;
  options.idle_timeout = std::chrono::milliseconds(200);
  auto server = start_server(set.root(), options);
  const std::uint32_t seed = Catch::rngSeed() != 0 ? Catch::rngSeed() : 20261123u;
  INFO("seed " << seed);
  std::mt19937 random(seed);
  const std::string valid = SmallSet::converse_request();
  const std::vector<std::string> pieces = {"\r\n",
                                           "\n",
                                           ":",
                                           " ",
                                           "Content-Length: 5\r\n",
                                           "Transfer-Encoding: chunked\r\n",
                                           "0\r\n\r\n",
                                           "ffffffffffffffffff\r\n",
                                           "HTTP/1.1",
                                           "POST "};
  for (int round = 0; round < 100; ++round) {
    INFO("round " << round);
    std::string garbage;
    const int parts = static_cast<int>(random() % 12);
    for (int i = 0; i < parts; ++i) {
      switch (random() % 3) {
        case 0:
          garbage += pieces[random() % pieces.size()];
          break;
        case 1:
          garbage += valid.substr(0, random() % valid.size());
          break;
        default:
          for (int n = static_cast<int>(random() % 40); n > 0; --n)
            garbage += static_cast<char>(random() % 256);
      }
    }
    {
      RawClient bad(server->port());
      bad.send(garbage);
      ::shutdown(bad.fd(), SHUT_WR);  // no more bytes: the server answers or closes, never hangs
      while (bad.fill()) {
      }
    }
    RawClient good(server->port());
    good.send(valid);
    REQUIRE(good.read_response().status == 200);
  }
}

TEST_CASE("fixture server: connections beyond max_connections get 503 and are closed") {
  SmallSet set;
  LogLines log;
  replay::FixtureServerOptions options;
  options.max_connections = 1;
  options.log = log.hook();
  auto server = start_server(set.root(), options);
  RawClient first(server->port());
  first.send(SmallSet::converse_request());
  REQUIRE(first.read_response().status == 200);  // its thread is serving it, kept alive
  {
    RawClient second(server->port());
    const auto response = second.read_response();
    CHECK(response.status == 503);
    CHECK(*http::find_header(response.headers, "x-amzn-ErrorType") ==
          "ServiceUnavailableException");
    CHECK(second.closed_by_server());
  }
  CHECK(log.count_containing("more than 1 connections at once") == 1);
  first.send(SmallSet::converse_request());  // the first connection is unaffected
  CHECK(first.read_response().status == 200);
}
