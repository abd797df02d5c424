#include "retry.h"

#include <bedrock_lite/internal/retry_codes.h>
#include <bedrock_lite/internal/text.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string_view>

namespace bedrock_lite::converse::detail {
bool is_throttling(const Error& error) {
  if (error.http_status == 429) return true;
  // Stream exceptions are spelled in camelCase (throttlingException): compare without case.
  for (auto code : internal::kThrottlingCodes) {
    if (internal::iequals(error.aws_type, code)) return true;
  }
  return false;
}

bool is_timeout(const Error& error) {
  return error.kind == ErrorKind::Timeout;
}

std::chrono::milliseconds backoff_delay(const RetryConfig& config, int retry, bool throttling,
                                        double jitter) {
  const double base =
      static_cast<double>((throttling ? config.throttling_base_delay : config.base_delay).count());
  const double cap = static_cast<double>(config.max_backoff.count());
  // 2^(retry-1) passes any cap long before 2^62; clamping the exponent keeps it finite.
  const int exponent = std::clamp(retry - 1, 0, 62);
  // A shift, not std::ldexp/std::floor: this file was the library's only use of libm, and a
  // program that maps libm.so for it pays ~300 KiB of resident memory (issue 5's CLI target).
  const double ceiling = std::min(base * static_cast<double>(std::uint64_t{1} << exponent), cap);
  if (!(jitter >= 0.0)) jitter = 0.0;  // also catches NaN
  if (jitter >= 1.0) jitter = std::nextafter(1.0, 0.0);
  // jitter * ceiling is never negative, so truncation is floor().
  return std::chrono::milliseconds(static_cast<long long>(jitter * ceiling));
}

RetryQuota::RetryQuota(int capacity) : capacity_(std::max(capacity, 0)), tokens_(capacity_) {}

bool RetryQuota::try_acquire(int cost) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (cost > tokens_) return false;
  tokens_ -= cost;
  return true;
}

void RetryQuota::release(int amount) {
  std::lock_guard<std::mutex> lock(mutex_);
  tokens_ = std::min(capacity_, tokens_ + std::max(amount, 0));
}

int RetryQuota::available() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return tokens_;
}

std::optional<std::chrono::milliseconds> RetryState::next_delay(int attempt, const Error& error,
                                                                const char** why_not) {
  auto refuse = [&](const char* reason) -> std::optional<std::chrono::milliseconds> {
    if (why_not != nullptr) *why_not = reason;
    return std::nullopt;
  };
  if (!error.retryable) return refuse("not retryable");
  if (attempt >= config_.max_attempts) return refuse("max attempts reached");
  const int cost = is_timeout(error) ? config_.timeout_retry_cost : config_.retry_cost;
  if (!quota_.try_acquire(cost)) return refuse("retry quota exhausted");
  last_cost_ = cost;
  const double jitter = jitter_ ? jitter_() : 0.0;
  return backoff_delay(config_, attempt, is_throttling(error), jitter);
}

void RetryState::on_success() {
  quota_.release(last_cost_ > 0 ? last_cost_ : config_.success_increment);
}

}  // namespace bedrock_lite::converse::detail
