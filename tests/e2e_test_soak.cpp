// Fault soak: thousands of calls through the real libcurl transport against the loopback fake
// Bedrock while it injects, at random, every fault it supports. Each fault is paired with one
// call (the soak is sequential), so every call's outcome is known in advance: the fault matrix
// of docs/reliability.md, checked cell by cell, thousands of times, in random order.
//
// Size: BEDROCK_LITE_SOAK_ITERATIONS calls (default 3000 in an optimised build without
// sanitizers, fewer under ASan/TSan/Debug so the executable stays fast). The seed is random and
// printed; BEDROCK_LITE_SOAK_SEED replays a run.
#include <bedrock_lite/converse.h>

#include "e2e_test_support.h"
#include "support/fake_bedrock.h"
#include "support/fixtures.h"
#include "support/loopback_server.h"
#include "support/thread_failures.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <catch2/catch.hpp>

#include <unistd.h>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <thread>

using namespace bedrock_lite;
using namespace bedrock_lite::converse;
using bedrock_lite::test::FakeBedrock;
using bedrock_lite::test::Fault;
using std::chrono::milliseconds;

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

#ifdef NDEBUG
constexpr bool kOptimised = true;
#else
constexpr bool kOptimised = false;
#endif

std::size_t env_size(const char* name, std::size_t fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  return static_cast<std::size_t>(std::strtoull(text, nullptr, 10));
}

std::uint64_t soak_seed() {
  if (const char* text = std::getenv("BEDROCK_LITE_SOAK_SEED"))
    return std::strtoull(text, nullptr, 10);
  return std::random_device{}();
}

milliseconds soak_config_stall() {
  return milliseconds(kSanitized || !kOptimised ? 500 : 250);
}

Config soak_config(const FakeBedrock& server) {
  Config config;
  config.region = "us-east-1";
  config.endpoint = server.url();
  config.credentials = e2e_test::fake_credentials("soak/session+token");
  config.transport = http::make_curl_transport();
  config.retry.jitter = [] { return 0.0; };
  config.retry.sleeper = [](milliseconds) {};
  config.timeouts.connect = std::chrono::seconds(5);
  // The Stall* faults keep quiet for 4x this; a loaded machine still answers well within it.
  config.timeouts.stall = soak_config_stall();
  return config;
}

test::FakeBedrockOptions soak_server_options(milliseconds client_stall) {
  test::FakeBedrockOptions options;
  options.stall = client_stall * 4;
  return options;
}

ConverseRequest soak_request() {
  rapidjson::Document document;
  const std::string text = test::read_file(
      test::fixture_path("recorded/bedrock-recorded/test_bedrock_model_stream/00/request.json"));
  document.Parse(text.c_str());
  REQUIRE(!document.HasParseError());
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  document["body"].Accept(writer);
  auto request = parse_converse_request(buffer.GetString());
  REQUIRE(request.ok());
  request->model_id = "us.amazon.nova-micro-v1:0";
  return std::move(request).value();
}

enum class Op { Converse, ConverseStream, CountTokens };
const char* op_name(Op op) {
  switch (op) {
    case Op::Converse:
      return "converse";
    case Op::ConverseStream:
      return "converse-stream";
    case Op::CountTokens:
      return "count-tokens";
  }
  return "?";
}

const char* fault_name(Fault fault) {
  switch (fault) {
    case Fault::None:
      return "None";
    case Fault::Status429:
      return "Status429";
    case Fault::Status500:
      return "Status500";
    case Fault::Status503:
      return "Status503";
    case Fault::Status400:
      return "Status400";
    case Fault::ExpiredToken:
      return "ExpiredToken";
    case Fault::ResetMidStream:
      return "ResetMidStream";
    case Fault::StreamException:
      return "StreamException";
    case Fault::StreamExceptionFirst:
      return "StreamExceptionFirst";
    case Fault::CorruptCrc:
      return "CorruptCrc";
    case Fault::OneByteChunks:
      return "OneByteChunks";
    case Fault::HangBeforeResponse:
      return "HangBeforeResponse";
    case Fault::HangMidStream:
      return "HangMidStream";
    case Fault::SlowStream:
      return "SlowStream";
    case Fault::TruncatedJson:
      return "TruncatedJson";
    case Fault::ClockSkew:
      return "ClockSkew";
    case Fault::StallBeforeResponse:
      return "StallBeforeResponse";
    case Fault::StallMidStream:
      return "StallMidStream";
  }
  return "?";
}

// What a call must end in. `events` is the number of stream events delivered before the end;
// -1: some proper prefix (a stream cut at an arbitrary byte).
struct Expected {
  bool ok = true;
  ErrorKind kind = ErrorKind::Service;
  std::string aws_type;
  int events = -1;
};

// The fault matrix (docs/reliability.md). The stream faults do not apply to the buffered
// operations: the fake server answers those normally.
Expected expected_outcome(Fault fault, Op op, int all_events) {
  const bool stream = op == Op::ConverseStream;
  auto ok = [&] { return Expected{true, ErrorKind::Service, "", stream ? all_events : 0}; };
  auto fail = [&](ErrorKind kind, std::string type, int events) {
    return Expected{false, kind, std::move(type), stream ? events : 0};
  };
  switch (fault) {
    case Fault::Status400:
      return fail(ErrorKind::Service, "ValidationException", 0);
    case Fault::TruncatedJson:
      return fail(ErrorKind::Protocol, "", -1);
    case Fault::ResetMidStream:
      return stream ? fail(ErrorKind::Network, "", 3) : ok();
    case Fault::StreamException:
      return stream ? fail(ErrorKind::Service, "modelStreamErrorException", 3) : ok();
    case Fault::CorruptCrc:
      return stream ? fail(ErrorKind::Protocol, "", 3) : ok();
    case Fault::StallMidStream:
      return stream ? fail(ErrorKind::Timeout, "", 3) : ok();
    default:
      return ok();  // 429/500/503, ExpiredToken, ClockSkew, StallBeforeResponse,
                    // StreamExceptionFirst: retried; OneByteChunks, SlowStream: no fault
  }
}

std::size_t open_fds() {
  std::size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    (void)entry;
    ++count;
  }
  return count;
}

using Events = std::vector<std::pair<std::string, std::string>>;

// One call of `op`; `events` gets every stream event delivered, in order.
Result<void> run_call(const Client& client, Op op, const ConverseRequest& request, Events& events) {
  switch (op) {
    case Op::Converse: {
      auto response = client.converse(request);
      if (!response.ok()) return std::move(response).error();
      if (!response->output.message) return make_error(ErrorKind::Protocol, "no message");
      return {};
    }
    case Op::CountTokens: {
      auto response = client.count_tokens(count_tokens_request(request));
      if (!response.ok()) return std::move(response).error();
      if (response->input_tokens <= 0) return make_error(ErrorKind::Protocol, "no inputTokens");
      return {};
    }
    case Op::ConverseStream: {
      auto response = client.converse_stream(request, [&events](const StreamEvent& event) {
        events.emplace_back(event.event_type, event.payload);
        return StreamControl::Continue;
      });
      if (!response.ok()) return std::move(response).error();
      return {};
    }
  }
  return {};
}

bool is_prefix(const Events& got, const Events& reference) {
  if (got.size() > reference.size()) return false;
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (got[i] != reference[i]) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("e2e soak: thousands of calls under random faults end as the fault matrix says",
          "[e2e][soak]") {
  const std::size_t iterations =
      env_size("BEDROCK_LITE_SOAK_ITERATIONS", kSanitized ? 300 : (kOptimised ? 3000 : 600));
  const std::uint64_t seed = soak_seed();
  std::printf("soak: %zu calls, seed %llu (BEDROCK_LITE_SOAK_SEED=%llu replays it)\n", iterations,
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  INFO("seed " << seed);
  const ConverseRequest request = soak_request();

  // Warm-up outside the measured window: libcurl's and OpenSSL's one-time state, and the
  // reference event list every stream must reproduce.
  Events reference;
  {
    FakeBedrock server;
    auto client = Client::create(soak_config(server));
    REQUIRE(client.ok());
    auto response = client->converse_stream(request, [&](const StreamEvent& event) {
      reference.emplace_back(event.event_type, event.payload);
      return StreamControl::Continue;
    });
    REQUIRE(response.ok());
  }
  REQUIRE(reference.size() > 3);
  const int all_events = static_cast<int>(reference.size());
  const std::size_t fds_before = open_fds();

  // Weights out of ~1000: mostly clean calls, every fault often enough to be hit many times.
  const std::vector<std::pair<Fault, int>> weights = {
      {Fault::None, 400},
      {Fault::Status429, 50},
      {Fault::Status500, 50},
      {Fault::Status503, 50},
      {Fault::Status400, 40},
      {Fault::ExpiredToken, 40},
      {Fault::ResetMidStream, 50},
      {Fault::StreamException, 50},
      {Fault::StreamExceptionFirst, 50},
      {Fault::CorruptCrc, 50},
      {Fault::OneByteChunks, 40},
      {Fault::TruncatedJson, 50},
      {Fault::ClockSkew, 20},
      {Fault::StallBeforeResponse, 5},
      {Fault::StallMidStream, 5},
  };
  std::vector<int> w;
  for (const auto& [fault, weight] : weights) w.push_back(weight);
  std::mt19937_64 rng(seed);
  std::discrete_distribution<std::size_t> pick_fault(w.begin(), w.end());
  std::uniform_int_distribution<int> pick_op(0, 2);

  std::map<std::string, std::size_t> tally;  // "fault op outcome" -> calls
  std::size_t requests_served = 0;
  {
    const milliseconds client_stall = soak_config_stall();
    FakeBedrock server(soak_server_options(client_stall));
    Config config = soak_config(server);
    auto client = Client::create(config);
    REQUIRE(client.ok());
    for (std::size_t i = 0; i < iterations; ++i) {
      const Op op = static_cast<Op>(pick_op(rng));
      Fault fault = weights[pick_fault(rng)].first;
      // A slow stream takes ~2 s: a few per run are enough.
      if (i % 1000 == 999) fault = Fault::SlowStream;
      if (fault != Fault::None) server.push_fault(fault);
      const Expected expected = expected_outcome(fault, op, all_events);

      Events events;
      const auto started = std::chrono::steady_clock::now();
      const Result<void> result = run_call(*client, op, request, events);
      const auto took = std::chrono::steady_clock::now() - started;

      const std::string cell = std::string(fault_name(fault)) + " " + op_name(op);
      INFO("call " << i << ": " << cell << " -> "
                   << (result.ok() ? std::string("ok") : result.error().to_string()));
      // No hang: the slowest expected call is a stall timeout plus a retry, or a slow stream.
      REQUIRE(took < std::chrono::seconds(30));
      // Never an event twice, out of order, or after the end.
      REQUIRE(is_prefix(events, reference));
      REQUIRE(result.ok() == expected.ok);
      if (!result.ok()) {
        REQUIRE(result.error().kind == expected.kind);
        REQUIRE(result.error().aws_type == expected.aws_type);
        REQUIRE_FALSE(result.error().message.empty());
        REQUIRE(result.error().message.find('\n') == std::string::npos);
      }
      if (expected.events >= 0) {
        REQUIRE(events.size() == static_cast<std::size_t>(expected.events));
      } else {
        REQUIRE(events.size() < reference.size());
      }
      ++tally[cell + (result.ok() ? " ok" : std::string(" ") + result.error().display_name())];
      if (i % 100 == 99) requests_served += server.clear_requests();
    }
    // Every call reached the server at least once (retries add more).
    requests_served += server.clear_requests();
    CHECK(requests_served >= iterations);
  }

  for (const auto& [cell, count] : tally) std::printf("soak: %6zu  %s\n", count, cell.c_str());
  std::printf("soak: fds %zu before\n", fds_before);
  // Every connection, handle and server socket is closed once client and server are gone.
  CHECK(open_fds() == fds_before);
  // Memory not growing with the number of calls is a figure, not a test: bench_client's
  // BM_SteadyStateRss (BENCHMARKS.md). Leaks are LeakSanitizer's (the asan-ubsan preset).
}

TEST_CASE(
    "e2e soak concurrency: 8 threads share one client and one refreshing credentials provider",
    "[e2e][soak][concurrency]") {
  const std::size_t per_thread = env_size("BEDROCK_LITE_SOAK_THREAD_CALLS", kSanitized ? 40 : 200);
  const std::uint64_t seed = soak_seed();
  std::printf("soak concurrency: 8 x %zu calls, seed %llu\n", per_thread,
              static_cast<unsigned long long>(seed));
  std::fflush(stdout);

  // A container credentials endpoint whose credentials are always inside the caching
  // provider's advisory window: every call may trigger the single-flight refresh while the
  // other threads keep signing with the current credentials.
  std::atomic<int> fetches{0};
  test::LoopbackServer container([&fetches](httplib::Server& s) {
    s.Get("/credentials", [&fetches](const httplib::Request&, httplib::Response& res) {
      ++fetches;
      const auto expires = std::chrono::system_clock::now() + std::chrono::minutes(4);
      res.set_content(std::string("{\"AccessKeyId\":\"") + e2e_test::kAccessKey +
                          "\",\"SecretAccessKey\":\"" + e2e_test::kSecretKey +
                          "\",\"Token\":\"soak-token\",\"Expiration\":\"" +
                          credentials::format_iso8601(expires) + "\"}",
                      "application/json");
    });
  });
  credentials::ProviderContext context;
  context.environment = credentials::Environment(
      {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", container.url() + "/credentials"}});
  context.transport = std::shared_ptr<http::Transport>(http::make_curl_transport());
  auto provider = credentials::make_caching_provider(credentials::make_container_provider(context));

  const milliseconds client_stall = soak_config_stall();
  FakeBedrock server(soak_server_options(client_stall));
  Config config = soak_config(server);
  config.credentials = provider;
  auto created = Client::create(config);
  REQUIRE(created.ok());
  const Client& client = *created;
  const ConverseRequest request = soak_request();
  Events reference;
  REQUIRE(client
              .converse_stream(request,
                               [&](const StreamEvent& event) {
                                 reference.emplace_back(event.event_type, event.payload);
                                 return StreamControl::Continue;
                               })
              .ok());

  const std::vector<Fault> faults = {
      Fault::Status429,       Fault::Status500,
      Fault::Status503,       Fault::Status400,
      Fault::ExpiredToken,    Fault::ResetMidStream,
      Fault::StreamException, Fault::StreamExceptionFirst,
      Fault::CorruptCrc,      Fault::OneByteChunks,
      Fault::TruncatedJson,   Fault::ClockSkew,
  };
  std::mutex mutex;
  bedrock_lite::test::ThreadFailures failures;
  std::map<std::string, std::size_t> outcomes;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(seed + static_cast<std::uint64_t>(t));
      std::uniform_int_distribution<std::size_t> pick(0, faults.size() * 2);
      std::map<std::string, std::size_t> mine;
      for (std::size_t i = 0; i < per_thread; ++i) {
        const Op op = static_cast<Op>(i % 3);
        // Faults go into one shared queue, so which call meets which is up to the scheduler:
        // only the invariants are checked here, the exact matrix in the sequential soak.
        const std::size_t f = pick(rng);
        if (f < faults.size()) server.push_fault(faults[f]);
        Events events;
        const Result<void> result = run_call(client, op, request, events);
        std::string problem;
        if (!result.ok()) {
          const ErrorKind kind = result.error().kind;
          if (kind != ErrorKind::Service && kind != ErrorKind::Protocol &&
              kind != ErrorKind::Network && kind != ErrorKind::Timeout)
            problem = "unexpected error " + result.error().to_string();
        }
        // Events are a prefix of the stream's own (in order, never twice, none after the
        // end); a successful stream delivered all of them.
        if (!is_prefix(events, reference)) problem = "events out of order or repeated";
        if (op == Op::ConverseStream && result.ok() && events.size() != reference.size())
          problem = "a successful stream missed events";
        mine[std::string(op_name(op)) +
             (result.ok() ? " ok" : " " + result.error().display_name())]++;
        if (!problem.empty()) {
          failures.add(t, i,
                       std::string(op_name(op)) + ": " + problem +
                           (result.ok() ? "" : " (" + result.error().to_string() + ")"));
        }
      }
      std::lock_guard<std::mutex> lock(mutex);
      for (const auto& [k, v] : mine) outcomes[k] += v;
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& [k, v] : outcomes) std::printf("soak concurrency: %6zu  %s\n", v, k.c_str());
  INFO(failures.report());
  CHECK(failures.count() == 0);
  CHECK(fetches.load() >= 1);
  CHECK(outcomes["converse ok"] > 0);
  CHECK(outcomes["converse-stream ok"] > 0);
}
