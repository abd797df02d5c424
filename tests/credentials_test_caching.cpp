// credentials: the caching provider (refresh windows, single flight, failures, forced refresh)
// and the chain, with an injected clock and scripted inner providers.
#include <bedrock_lite/credentials.h>

#include "support/thread_failures.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace creds = bedrock_lite::credentials;
using bedrock_lite::ErrorKind;
using bedrock_lite::LogLevel;
using bedrock_lite::Result;
using namespace std::chrono_literals;

namespace {

const creds::TimePoint kStart = *creds::parse_iso8601("2026-03-01T12:00:00Z");

// A clock the test moves by hand. Thread-safe.
struct ManualClock {
  std::atomic<std::int64_t> offset_seconds{0};
  bedrock_lite::Clock clock() {
    return [this] { return kStart + std::chrono::seconds(offset_seconds.load()); };
  }
  void advance(std::chrono::seconds by) { offset_seconds += by.count(); }
  creds::TimePoint now() const { return kStart + std::chrono::seconds(offset_seconds.load()); }
};

creds::Credentials make_credentials(int generation, std::optional<creds::TimePoint> expiration) {
  creds::Credentials c;
  c.access_key_id = "AKID" + std::to_string(generation);
  c.secret_access_key = bedrock_lite::Secret("secret" + std::to_string(generation));
  c.session_token = bedrock_lite::Secret("token" + std::to_string(generation));
  c.expiration = expiration;
  c.source = "scripted";
  return c;
}

// Answers from a script of results; counts resolve() and refresh() calls. Thread-safe.
class ScriptedProvider : public creds::CredentialsProvider {
 public:
  void push(Result<creds::Credentials> result) {
    std::lock_guard<std::mutex> lock(mutex_);
    script_.push_back(std::move(result));
  }
  Result<creds::Credentials> resolve() override { return next(false); }
  Result<creds::Credentials> refresh() override { return next(true); }
  int resolves() const { return resolves_; }
  int refreshes() const { return refreshes_; }

 private:
  Result<creds::Credentials> next(bool forced) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++(forced ? refreshes_ : resolves_);
    if (script_.empty()) return bedrock_lite::make_error(ErrorKind::Network, "script exhausted");
    auto result = std::move(script_.front());
    script_.pop_front();
    return result;
  }
  std::mutex mutex_;
  std::deque<Result<creds::Credentials>> script_;
  std::atomic<int> resolves_{0};
  std::atomic<int> refreshes_{0};
};

struct LogRecorder {
  std::mutex mutex;
  std::vector<std::pair<LogLevel, std::string>> lines;
  bedrock_lite::LogHook hook() {
    return [this](LogLevel level, std::string_view message) {
      std::lock_guard<std::mutex> lock(mutex);
      lines.emplace_back(level, std::string(message));
    };
  }
  bool contains(LogLevel level, const std::string& text) {
    std::lock_guard<std::mutex> lock(mutex);
    for (const auto& [l, m] : lines) {
      if (l == level && m.find(text) != std::string::npos) return true;
    }
    return false;
  }
  std::string all() {
    std::lock_guard<std::mutex> lock(mutex);
    std::string out;
    for (const auto& line : lines) out += line.second + "\n";
    return out;
  }
};

}  // namespace

TEST_CASE("Caching provider: cached until the advisory window, then refreshed",
          "[credentials][cache]") {
  ManualClock clock;
  auto inner = std::make_shared<ScriptedProvider>();
  inner->push(make_credentials(1, kStart + 1h));
  inner->push(make_credentials(2, kStart + 2h));
  auto cache = creds::make_caching_provider(inner, clock.clock());

  REQUIRE(cache->resolve()->access_key_id == "AKID1");
  clock.advance(50min);  // 10 min left: outside the 5-minute advisory window
  REQUIRE(cache->resolve()->access_key_id == "AKID1");
  CHECK(inner->resolves() == 1);
  clock.advance(6min);  // 4 min left: refresh
  auto refreshed = cache->resolve();
  REQUIRE(refreshed.ok());
  CHECK(refreshed->access_key_id == "AKID2");
  CHECK(refreshed->secret_access_key.reveal() == "secret2");
  CHECK(inner->resolves() == 2);
}

TEST_CASE("Caching provider: static credentials are fetched once", "[credentials][cache]") {
  ManualClock clock;
  auto inner = std::make_shared<ScriptedProvider>();
  inner->push(make_credentials(1, std::nullopt));
  auto cache = creds::make_caching_provider(inner, clock.clock());
  for (int i = 0; i < 5; ++i) {
    clock.advance(24h * 30);
    REQUIRE(cache->resolve()->access_key_id == "AKID1");
  }
  CHECK(inner->resolves() == 1);
}

TEST_CASE("Caching provider: a failed refresh keeps valid credentials and logs it",
          "[credentials][cache]") {
  ManualClock clock;
  LogRecorder log;
  auto inner = std::make_shared<ScriptedProvider>();
  inner->push(make_credentials(1, kStart + 1h));
  inner->push(bedrock_lite::make_error(ErrorKind::Network, "IMDS down"));
  inner->push(bedrock_lite::make_error(ErrorKind::Network, "IMDS still down"));
  auto cache = creds::make_caching_provider(inner, clock.clock(), log.hook());
  REQUIRE(cache->resolve().ok());

  clock.advance(57min);  // advisory window
  auto kept = cache->resolve();
  REQUIRE(kept.ok());
  CHECK(kept->access_key_id == "AKID1");
  CHECK(log.contains(LogLevel::Warn,
                     "refresh failed, keeping the current ones from scripted "
                     "(valid until 2026-03-01T13:00:00Z): Network: IMDS down"));

  clock.advance(150s);  // mandatory window (30 s left): still valid, failure tolerated
  auto still = cache->resolve();
  REQUIRE(still.ok());
  CHECK(still->access_key_id == "AKID1");

  clock.advance(31s);  // expired, and the source still fails: an error, never the old ones
  auto expired = cache->resolve();
  REQUIRE_FALSE(expired.ok());
  CHECK(expired.error().message == "script exhausted");
  CHECK(log.all().find("secret1") == std::string::npos);
}

TEST_CASE("Caching provider: expired credentials are never returned", "[credentials][cache]") {
  ManualClock clock;
  auto inner = std::make_shared<ScriptedProvider>();
  inner->push(make_credentials(1, kStart - 1s));  // already expired when fetched
  inner->push(make_credentials(2, kStart + 1h));
  auto cache = creds::make_caching_provider(inner, clock.clock());
  auto first = cache->resolve();
  REQUIRE_FALSE(first.ok());
  CHECK(first.error().kind == ErrorKind::NoCredentials);
  CHECK(first.error().message == "credentials from scripted expired at 2026-03-01T11:59:59Z");
  REQUIRE(cache->resolve()->access_key_id == "AKID2");
  clock.advance(1h);
  auto after = cache->resolve();  // script exhausted and the held ones expired exactly now
  REQUIRE_FALSE(after.ok());
}

TEST_CASE("Caching provider: refresh() forces a fetch through the inner refresh()",
          "[credentials][cache]") {
  ManualClock clock;
  auto inner = std::make_shared<ScriptedProvider>();
  inner->push(make_credentials(1, kStart + 6h));
  inner->push(make_credentials(2, kStart + 6h));
  inner->push(bedrock_lite::make_error(ErrorKind::Network, "down"));
  auto cache = creds::make_caching_provider(inner, clock.clock());
  REQUIRE(cache->resolve()->access_key_id == "AKID1");
  auto forced = cache->refresh();
  REQUIRE(forced.ok());
  CHECK(forced->access_key_id == "AKID2");
  CHECK(inner->refreshes() == 1);
  CHECK(cache->resolve()->access_key_id == "AKID2");
  // A forced refresh that fails is an error (the service rejected what we hold) and drops them.
  auto failed = cache->refresh();
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().message == "down");
  CHECK_FALSE(cache->resolve().ok());
}

namespace {

// An inner provider that issues credentials valid for `lifetime` from the clock's now, each with
// a new generation, slowly enough that refreshes overlap with readers.
class IssuingProvider : public creds::CredentialsProvider {
 public:
  IssuingProvider(ManualClock& clock, std::chrono::seconds lifetime)
      : clock_(clock), lifetime_(lifetime) {}
  Result<creds::Credentials> resolve() override {
    const int generation = ++issued_;
    std::this_thread::yield();
    return make_credentials(generation, clock_.now() + lifetime_);
  }
  int issued() const { return issued_; }

 private:
  ManualClock& clock_;
  std::chrono::seconds lifetime_;
  std::atomic<int> issued_{0};
};

}  // namespace

// Counts how many fetches run at once: single flight means never more than one.
class SingleFlightProbe : public creds::CredentialsProvider {
 public:
  explicit SingleFlightProbe(std::shared_ptr<creds::CredentialsProvider> inner)
      : inner_(std::move(inner)) {}
  Result<creds::Credentials> resolve() override {
    const int now_running = ++running_;
    int seen = max_.load();
    while (now_running > seen && !max_.compare_exchange_weak(seen, now_running)) {
    }
    auto result = inner_->resolve();
    --running_;
    return result;
  }
  int max_concurrent() const { return max_; }

 private:
  std::shared_ptr<creds::CredentialsProvider> inner_;
  std::atomic<int> running_{0};
  std::atomic<int> max_{0};
};

TEST_CASE("Caching provider concurrency: 8 threads across refreshes see no torn or expired value",
          "[credentials][cache][concurrency]") {
  ManualClock clock;
  auto issuing = std::make_shared<IssuingProvider>(clock, 10min);
  auto probe = std::make_shared<SingleFlightProbe>(issuing);
  auto cache = creds::make_caching_provider(probe, clock.clock());

  constexpr int kThreads = 8;
  constexpr int kRounds = 400;
  bedrock_lite::test::ThreadFailures failures;
  std::mutex start_mutex;
  std::condition_variable start_cv;
  bool go = false;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      {
        std::unique_lock<std::mutex> lock(start_mutex);
        start_cv.wait(lock, [&] { return go; });
      }
      for (int i = 0; i < kRounds; ++i) {
        const auto call = static_cast<std::size_t>(i);
        // One thread moves time forward so refreshes keep happening under the readers.
        if (t == 0 && i % 10 == 0) clock.advance(1min);
        const auto before = clock.now();
        auto result = cache->resolve();
        if (!result.ok()) {
          failures.add(t, call, result.error().to_string());
          continue;
        }
        const std::string generation = result->access_key_id.substr(4);
        if (result->secret_access_key.reveal() != "secret" + generation ||
            result->session_token.reveal() != "token" + generation) {
          // The values are test secrets ("secret<n>"): naming the key id is enough.
          failures.add(t, call,
                       "torn credentials: secret or token not of " + result->access_key_id);
        }
        if (!result->expiration || *result->expiration <= before)
          failures.add(t, call, "expired credentials " + result->access_key_id);
      }
    });
  }
  {
    std::lock_guard<std::mutex> lock(start_mutex);
    go = true;
  }
  start_cv.notify_all();
  for (auto& thread : threads) thread.join();
  INFO(failures.report());
  CHECK(failures.count() == 0);
  CHECK(probe->max_concurrent() == 1);
  // Time moved 40 minutes with 10-minute credentials refreshed 5 minutes early: several
  // refreshes, but nowhere near one per call.
  CHECK(issuing->issued() >= 4);
  CHECK(issuing->issued() < kThreads * kRounds / 10);
}

TEST_CASE("Chain: first provider that answers wins, skips are logged with reasons",
          "[credentials][chain]") {
  LogRecorder log;
  auto skip = std::make_shared<ScriptedProvider>();
  skip->push(bedrock_lite::make_error(ErrorKind::NoCredentials, "not configured here"));
  auto answer = std::make_shared<ScriptedProvider>();
  answer->push(make_credentials(7, std::nullopt));
  answer->push(make_credentials(8, std::nullopt));
  auto never = std::make_shared<ScriptedProvider>();
  auto chain = creds::make_chain_provider({{"first", skip}, {"second", answer}, {"third", never}},
                                          log.hook());
  auto result = chain->resolve();
  REQUIRE(result.ok());
  CHECK(result->access_key_id == "AKID7");
  CHECK(log.contains(LogLevel::Debug, "credentials: first skipped: not configured here"));
  CHECK(log.contains(LogLevel::Debug, "credentials: using second"));
  CHECK(never->resolves() == 0);
  // Later calls stay with the provider that answered.
  REQUIRE(chain->resolve()->access_key_id == "AKID8");
  CHECK(skip->resolves() == 1);
}

TEST_CASE("Chain: a configured provider that fails stops the chain, none is NoCredentials",
          "[credentials][chain]") {
  auto broken = std::make_shared<ScriptedProvider>();
  broken->push(bedrock_lite::make_error(
      ErrorKind::Config, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"));
  auto later = std::make_shared<ScriptedProvider>();
  later->push(make_credentials(1, std::nullopt));
  auto chain = creds::make_chain_provider({{"environment", broken}, {"profile", later}});
  auto result = chain->resolve();
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == ErrorKind::Config);
  CHECK(later->resolves() == 0);

  auto a = std::make_shared<ScriptedProvider>();
  a->push(bedrock_lite::make_error(ErrorKind::NoCredentials, "A unset"));
  auto b = std::make_shared<ScriptedProvider>();
  b->push(bedrock_lite::make_error(ErrorKind::NoCredentials, "B unset"));
  auto none = creds::make_chain_provider({{"a", a}, {"b", b}})->resolve();
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().to_string() == "NoCredentials: no credentials found (a: A unset; b: B unset)");
}

// Blocks inside resolve() until released, so a test can hold a refresh in flight.
class GatedProvider : public creds::CredentialsProvider {
 public:
  Result<creds::Credentials> resolve() override {
    std::unique_lock<std::mutex> lock(mutex_);
    const int generation = ++calls_;
    entered_.notify_all();
    if (generation > 1) released_cv_.wait(lock, [&] { return released_; });
    return make_credentials(generation, kStart + 1h * generation);
  }
  void wait_until_entered(int calls) {
    std::unique_lock<std::mutex> lock(mutex_);
    entered_.wait(lock, [&] { return calls_ >= calls; });
  }
  void release() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      released_ = true;
    }
    released_cv_.notify_all();
  }
  int calls() {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable entered_;
  std::condition_variable released_cv_;
  int calls_ = 0;
  bool released_ = false;
};

TEST_CASE("Caching provider concurrency: during a refresh others keep the valid credentials",
          "[credentials][cache][concurrency]") {
  ManualClock clock;
  auto gated = std::make_shared<GatedProvider>();
  auto cache = creds::make_caching_provider(gated, clock.clock());
  REQUIRE(cache->resolve()->access_key_id == "AKID1");  // valid until kStart + 1h
  clock.advance(57min);                                 // advisory window

  // The refresher only records (Catch2's assertions are not thread-safe); checked after join.
  std::string refreshed_key;
  std::thread refresher([&] {
    auto refreshed = cache->resolve();
    refreshed_key = refreshed.ok() ? refreshed->access_key_id : refreshed.error().to_string();
  });
  gated->wait_until_entered(2);  // the refresh is in flight, blocked in the inner provider
  // Another caller is not blocked and does not start a second refresh.
  auto meanwhile = cache->resolve();
  REQUIRE(meanwhile.ok());
  CHECK(meanwhile->access_key_id == "AKID1");
  CHECK(gated->calls() == 2);
  gated->release();
  refresher.join();
  CHECK(refreshed_key == "AKID2");
  CHECK(cache->resolve()->access_key_id == "AKID2");
  CHECK(gated->calls() == 2);
}
