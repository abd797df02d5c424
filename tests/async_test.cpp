// The event-driven client end to end, against the loopback fake Bedrock: one table of faults run
// through both drivers (the blocking Client and the AsyncClient on an engine) with the same
// expectations; per-call deadlines, replay and recording through the engine, and an engine driven
// by an outside epoll loop through LoopHooks.
#include <bedrock_lite/converse.h>
#include <bedrock_lite/replay.h>

#include "async_test_support.h"
#include "e2e_test_support.h"
#include "support/environment.h"
#include "support/fake_bedrock.h"
#include "support/fixtures.h"

#include <catch2/catch.hpp>

#include <sys/epoll.h>
#include <unistd.h>

#include <filesystem>
#include <map>

using namespace bedrock_lite;
using namespace bedrock_lite::converse;
using namespace bedrock_lite::e2e_test;
using bedrock_lite::test::FakeBedrock;
using bedrock_lite::test::Fault;
using std::chrono::milliseconds;

namespace {

// One row: the faults queued, and how the call must end under either driver.
struct Row {
  const char* name;
  std::vector<Fault> faults;
  ErrorKind kind;  // ignored when ok
  bool ok;
  const char* aws_type;
  std::size_t events;  // delivered before the end; SIZE_MAX: the whole recorded stream
  std::size_t requests;
  bool retryable;
};

constexpr std::size_t kAll = SIZE_MAX;

const std::vector<Row>& rows() {
  static const std::vector<Row> table = {
      {"clean stream", {}, ErrorKind::Service, true, "", kAll, 1, false},
      {"429 then 500 are retried",
       {Fault::Status429, Fault::Status500},
       ErrorKind::Service,
       true,
       "",
       kAll,
       3,
       false},
      {"three 503s give up with the last",
       {Fault::Status503, Fault::Status503, Fault::Status503},
       ErrorKind::Service,
       false,
       "ServiceUnavailableException",
       0,
       3,
       true},
      {"400 is not retried",
       {Fault::Status400},
       ErrorKind::Service,
       false,
       "ValidationException",
       0,
       1,
       false},
      {"reset mid-stream", {Fault::ResetMidStream}, ErrorKind::Network, false, "", 3, 1, false},
      {"stream exception after events",
       {Fault::StreamException},
       ErrorKind::Service,
       false,
       "modelStreamErrorException",
       3,
       1,
       false},
      {"corrupt CRC", {Fault::CorruptCrc}, ErrorKind::Protocol, false, "", 3, 1, false},
      {"hang mid-stream past the stall limit",
       {Fault::HangMidStream},
       ErrorKind::Timeout,
       false,
       "",
       3,
       1,
       false},
      {"stream exception before any event is retried",
       {Fault::StreamExceptionFirst},
       ErrorKind::Service,
       true,
       "",
       kAll,
       2,
       false},
      {"hang before the response is retried",
       {Fault::HangBeforeResponse},
       ErrorKind::Service,
       true,
       "",
       kAll,
       2,
       false},
      {"expired token refreshes and retries once",
       {Fault::ExpiredToken},
       ErrorKind::Service,
       true,
       "",
       kAll,
       2,
       false},
      {"clock skew is corrected and retried once",
       {Fault::ClockSkew},
       ErrorKind::Service,
       true,
       "",
       kAll,
       2,
       false},
      {"one-byte chunks", {Fault::OneByteChunks}, ErrorKind::Service, true, "", kAll, 1, false},
      {"truncated stream", {Fault::TruncatedJson}, ErrorKind::Protocol, false, "", kAll, 1, false},
  };
  return table;
}

}  // namespace

TEST_CASE("async: the fault table gives the same result through both drivers", "[e2e][async]") {
  const auto expected = recorded_events("test_bedrock_model_stream/00");
  for (Driver driver : {Driver::Blocking, Driver::Engine}) {
    for (const Row& row : rows()) {
      DYNAMIC_SECTION(driver_name(driver) << ": " << row.name) {
        FakeBedrock server;
        for (Fault fault : row.faults) server.push_fault(fault);
        Sleeps sleeps;
        Config config = make_config(server, sleeps);
        config.timeouts.stall = milliseconds(300);
        Outcome outcome = run_stream(driver, config, stream_request());
        CHECK(outcome.completions == 1);
        REQUIRE(outcome.result);
        const auto& result = *outcome.result;
        INFO((result.ok() ? std::string("ok") : result.error().to_string()));
        REQUIRE(result.ok() == row.ok);
        if (!row.ok) {
          CHECK(result.error().kind == row.kind);
          CHECK(result.error().aws_type == row.aws_type);
          CHECK(result.error().retryable == row.retryable);
        } else {
          CHECK(result->stop_reason == "end_turn");
          CHECK_FALSE(response_text(*result).empty());
        }
        // A truncated stream delivers the events it holds whole: count them, not a constant.
        if (row.faults.size() == 1 && row.faults[0] == Fault::TruncatedJson) {
          REQUIRE(outcome.events.size() < expected.size());
          check_events_equal(outcome.events, expected, outcome.events.size());
        } else {
          check_events_equal(outcome.events, expected,
                             row.events == kAll ? expected.size() : row.events);
        }
        CHECK(server.request_count() == row.requests);
        check_all_signed(server);
      }
    }
  }
}

TEST_CASE("async: Converse and its retries give the same response through both drivers",
          "[e2e][async]") {
  for (Driver driver : {Driver::Blocking, Driver::Engine}) {
    DYNAMIC_SECTION(driver_name(driver)) {
      FakeBedrock server;
      server.push_fault(Fault::Status429);
      Sleeps sleeps;
      Outcome outcome = run_converse(driver, make_config(server, sleeps), stream_request());
      REQUIRE(outcome.result);
      REQUIRE(outcome.result->ok());
      CHECK(response_text(**outcome.result) ==
            "Hello! How can I assist you today? Whether you have questions, need information, "
            "or just want to chat, I'm here to help.");
      CHECK(server.request_count() == 2);
      // The engine waits on a timer; only the blocking client calls the sleeper.
      CHECK(sleeps.values.size() == (driver == Driver::Blocking ? 1u : 0u));
    }
  }
}

TEST_CASE("async: a per-call deadline ends a hung call with a Timeout", "[e2e][async]") {
  FakeBedrock server;
  server.push_fault(Fault::HangBeforeResponse);
  Sleeps sleeps;
  auto engine = http::Engine::create();
  REQUIRE(engine.ok());
  auto client = AsyncClient::create(make_config(server, sleeps), **engine);
  REQUIRE(client.ok());
  std::optional<Result<ConverseResponse>> result;
  CallOptions options;
  options.deadline = milliseconds(300);
  const auto started = std::chrono::steady_clock::now();
  client->converse(
      stream_request(), [&](Result<ConverseResponse> end) { result = std::move(end); }, options);
  (*engine)->run();
  const auto took = std::chrono::steady_clock::now() - started;
  REQUIRE(result);
  REQUIRE_FALSE(result->ok());
  CHECK(result->error().kind == ErrorKind::Timeout);
  CHECK(took < std::chrono::seconds(3));  // the stall limit is 5 s: the deadline ended it
}

TEST_CASE("async: replay and recording run through the engine", "[e2e][async]") {
  const auto folder = recorded("test_bedrock_model_stream/00");
  auto replay = replay::ReplayTransport::open(folder.string());
  REQUIRE(replay.ok());
  test::TempDir dir;
  FakeBedrock server;
  Sleeps sleeps;
  Config recording = make_config(server, sleeps);
  recording.transport = std::make_shared<replay::RecordingTransport>(http::make_curl_transport(),
                                                                     (dir.path() / "rec").string());
  Config replaying = make_config(server, sleeps);
  replaying.transport = std::shared_ptr<http::Transport>(std::move(replay).value());

  const auto expected = recorded_events("test_bedrock_model_stream/00");
  for (Config* config : {&recording, &replaying}) {
    Outcome outcome = run_stream(Driver::Engine, *config, stream_request());
    REQUIRE(outcome.result);
    INFO((outcome.result->ok() ? "" : outcome.result->error().to_string()));
    REQUIRE(outcome.result->ok());
    check_events_equal(outcome.events, expected, expected.size());
  }
  CHECK(server.request_count() == 1);  // the replay sent nothing
  auto recorded_set = replay::load_fixture_set((dir.path() / "rec").string());
  REQUIRE(recorded_set.ok());
  REQUIRE(recorded_set->interactions.size() == 1);
  CHECK(recorded_set->interactions[0].status == 200);
}

TEST_CASE("async: an outside epoll loop drives the engine through LoopHooks", "[e2e][async]") {
  FakeBedrock server;
  server.push_fault(Fault::SlowStream);
  const int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  REQUIRE(epoll_fd >= 0);
  std::optional<milliseconds> timer;
  std::map<int, http::SocketWatch> watched;
  http::LoopHooks hooks;
  hooks.watch_socket = [&](int fd, http::SocketWatch watch) {
    epoll_event event{};
    event.data.fd = fd;
    event.events =
        (watch == http::SocketWatch::Read || watch == http::SocketWatch::ReadWrite ? EPOLLIN : 0u) |
        (watch == http::SocketWatch::Write || watch == http::SocketWatch::ReadWrite
             ? static_cast<unsigned>(EPOLLOUT)
             : 0u);
    if (watch == http::SocketWatch::Remove) {
      epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
      watched.erase(fd);
      return;
    }
    epoll_ctl(epoll_fd, watched.count(fd) != 0 ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &event);
    watched[fd] = watch;
  };
  hooks.set_timer = [&](std::optional<milliseconds> delay) { timer = delay; };
  auto engine = http::Engine::create(hooks);
  REQUIRE(engine.ok());
  Sleeps sleeps;
  auto client = AsyncClient::create(make_config(server, sleeps), **engine);
  REQUIRE(client.ok());
  Collected collected;
  std::optional<Result<ConverseResponse>> result;
  client->converse_stream(stream_request(), collected.handler(),
                          [&](Result<ConverseResponse> end) { result = std::move(end); });
  int turns = 0;
  while (!result && turns++ < 100000) {
    epoll_event events[16];
    const int wait = timer ? static_cast<int>(timer->count()) : 1000;
    const int count = epoll_wait(epoll_fd, events, 16, wait);
    if (count == 0) (*engine)->on_timeout();
    for (int i = 0; i < count; ++i) {
      const bool in = (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0;
      const bool out = (events[i].events & EPOLLOUT) != 0;
      (*engine)->on_socket(events[i].data.fd, in && out ? http::SocketWatch::ReadWrite
                                              : out     ? http::SocketWatch::Write
                                                        : http::SocketWatch::Read);
    }
  }
  close(epoll_fd);
  REQUIRE(result);
  INFO((result->ok() ? "" : result->error().to_string()));
  REQUIRE(result->ok());
  const auto expected = recorded_events("test_bedrock_model_stream/00");
  check_events_equal(collected.events, expected, expected.size());
}
