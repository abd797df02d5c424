// Retry policy and clock-skew correction.
#include <bedrock_lite/converse.h>

#include "../converse/src/clock_skew.h"
#include "../converse/src/retry.h"

#include <catch2/catch.hpp>

using namespace bedrock_lite;
using namespace bedrock_lite::converse;
using std::chrono::milliseconds;

TEST_CASE("standard retry backoff is full jitter, exponential, capped", "[converse][retry]") {
  RetryConfig config;
  using detail::backoff_delay;
  // transient base 100 ms: 100, 200, 400 ... with jitter 1-epsilon just under the ceiling
  CHECK(backoff_delay(config, 1, false, 0.5) == milliseconds(50));
  CHECK(backoff_delay(config, 2, false, 0.5) == milliseconds(100));
  CHECK(backoff_delay(config, 3, false, 0.5) == milliseconds(200));
  CHECK(backoff_delay(config, 1, false, 0.0) == milliseconds(0));
  CHECK(backoff_delay(config, 1, false, 0.999) == milliseconds(99));
  // throttling base 500 ms
  CHECK(backoff_delay(config, 1, true, 0.5) == milliseconds(250));
  CHECK(backoff_delay(config, 3, true, 0.5) == milliseconds(1000));
  // the 20 s cap, even for absurd retry numbers; jitter outside [0,1) is clamped
  CHECK(backoff_delay(config, 10, true, 0.5) == milliseconds(10000));
  CHECK(backoff_delay(config, 1000, false, 0.5) == milliseconds(10000));
  CHECK(backoff_delay(config, 1000, false, 7.0) < milliseconds(20000));
  CHECK(backoff_delay(config, 2, false, -1.0) == milliseconds(0));
}

TEST_CASE("retry state: attempts, retryable flag and the quota decide", "[converse][retry]") {
  RetryConfig config;
  config.max_attempts = 3;
  Jitter jitter = [] { return 0.5; };
  Error throttled = make_error(ErrorKind::Service, "slow down", true);
  throttled.aws_type = "ThrottlingException";
  throttled.http_status = 429;
  Error transient = make_error(ErrorKind::Service, "oops", true);
  transient.aws_type = "InternalServerException";
  transient.http_status = 500;
  Error validation = make_error(ErrorKind::Service, "bad", false);
  validation.aws_type = "ValidationException";
  Error timeout = make_error(ErrorKind::Timeout, "stalled", true);

  SECTION("delays per retry, then the attempts run out") {
    detail::RetryQuota quota(500);
    detail::RetryState state(config, quota, jitter);
    CHECK(state.next_delay(1, throttled) == milliseconds(250));
    CHECK(state.next_delay(2, transient) == milliseconds(100));
    const char* why = nullptr;
    CHECK_FALSE(state.next_delay(3, transient, &why));
    CHECK(std::string(why) == "max attempts reached");
    CHECK(quota.available() == 490);
    state.on_success();
    CHECK(quota.available() == 495);  // the last retry's cost comes back
  }
  SECTION("non-retryable errors are never retried and cost nothing") {
    detail::RetryQuota quota(500);
    detail::RetryState state(config, quota, jitter);
    const char* why = nullptr;
    CHECK_FALSE(state.next_delay(1, validation, &why));
    CHECK(std::string(why) == "not retryable");
    CHECK(quota.available() == 500);
  }
  SECTION("timeouts cost 10 tokens, others 5; an empty quota stops retries") {
    detail::RetryQuota quota(14);
    detail::RetryState a(config, quota, jitter);
    CHECK(a.next_delay(1, timeout));
    CHECK(quota.available() == 4);
    detail::RetryState b(config, quota, jitter);
    const char* why = nullptr;
    CHECK_FALSE(b.next_delay(1, transient, &why));
    CHECK(std::string(why) == "retry quota exhausted");
    a.on_success();
    CHECK(quota.available() == 14);
    detail::RetryState c(config, quota, jitter);
    c.on_success();  // no retry: +1, never above capacity
    CHECK(quota.available() == 14);
  }
  SECTION("max_attempts 1 disables retries") {
    RetryConfig once = config;
    once.max_attempts = 1;
    detail::RetryQuota quota(500);
    detail::RetryState state(once, quota, jitter);
    CHECK_FALSE(state.next_delay(1, throttled));
  }
  CHECK(detail::is_throttling(throttled));
  Error stream_throttle = make_error(ErrorKind::Service, "x", true);
  stream_throttle.aws_type = "throttlingException";
  CHECK(detail::is_throttling(stream_throttle));
  CHECK_FALSE(detail::is_throttling(transient));
}

TEST_CASE("clock skew: HTTP dates parse and the offset follows the JS SDK rule",
          "[converse][skew]") {
  using detail::parse_http_date;
  auto t = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT");
  REQUIRE(t);
  CHECK(std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count() ==
        784111777);
  auto amz = parse_http_date("19941106T084937Z");
  REQUIRE(amz);
  CHECK(*amz == *t);
  CHECK_FALSE(parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC"));
  CHECK_FALSE(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"));
  CHECK_FALSE(parse_http_date("yesterday"));
  CHECK_FALSE(parse_http_date("19941306T084937Z"));

  detail::ClockSkew skew;
  const auto now = *t;
  // 4 minutes off: under the 5-minute threshold, no correction.
  CHECK_FALSE(skew.observe({{"Date", "Sun, 06 Nov 1994 08:53:37 GMT"}}, now));
  CHECK(skew.offset() == milliseconds(0));
  // an hour ahead: corrected to server - now.
  CHECK(skew.observe({{"Date", "Sun, 06 Nov 1994 09:49:37 GMT"}}, now));
  CHECK(skew.offset() == milliseconds(3600000));
  CHECK(skew.signing_time(now) == now + std::chrono::hours(1));
  // the same server time again: already corrected.
  CHECK_FALSE(skew.observe({{"date", "Sun, 06 Nov 1994 09:49:38 GMT"}}, now));
  CHECK_FALSE(skew.observe({}, now));

  Error expired = make_error(ErrorKind::Service, "Signature expired");
  expired.aws_type = "InvalidSignatureException";
  CHECK(detail::is_clock_skew_error(expired));
  expired.aws_type = "ValidationException";
  CHECK_FALSE(detail::is_clock_skew_error(expired));
}
