// Standard-mode retry bookkeeping (docs/wire-protocol.md §6): which errors are throttling or
// timeouts, the full-jitter backoff, and the client-wide retry quota.
#pragma once

#include <bedrock_lite/converse.h>
#include <bedrock_lite/core.h>

#include <chrono>
#include <mutex>
#include <optional>

namespace bedrock_lite::converse::detail {

// Throttling errors use the larger backoff base: HTTP 429 or one of the codes botocore's
// ThrottledRetryableChecker lists.
bool is_throttling(const Error& error);

// Timeouts cost more quota (timeout_retry_cost), as in the JS SDK.
bool is_timeout(const Error& error);

// Full jitter: jitter * min(base * 2^(retry-1), max_backoff), retry counted from 1, jitter in
// [0, 1) (clamped there, so a faulty source cannot exceed the cap).
std::chrono::milliseconds backoff_delay(const RetryConfig& config, int retry, bool throttling,
                                        double jitter);

// The retry quota (token bucket). Thread-safe: one per client, shared by every call.
class RetryQuota {
 public:
  explicit RetryQuota(int capacity);
  RetryQuota(const RetryQuota&) = delete;
  RetryQuota& operator=(const RetryQuota&) = delete;

  // Takes `cost` tokens if that many are left.
  bool try_acquire(int cost);
  // Gives back `amount` tokens, never above the capacity.
  void release(int amount);
  int available() const;

 private:
  mutable std::mutex mutex_;
  const int capacity_;
  int tokens_;
};

// One call's retry decisions. Single-thread: lives on the calling thread for one operation.
class RetryState {
 public:
  RetryState(const RetryConfig& config, RetryQuota& quota, const Jitter& jitter)
      : config_(config), quota_(quota), jitter_(jitter) {}

  // Called after failed attempt number `attempt` (1-based). The delay to wait before the next
  // attempt, or nullopt when `error` is final: not retryable, attempts used up, or quota empty
  // (then `why_not` says which, for the log hook).
  std::optional<std::chrono::milliseconds> next_delay(int attempt, const Error& error,
                                                      const char** why_not = nullptr);
  // Called once when the call succeeded: returns tokens to the quota.
  void on_success();

 private:
  const RetryConfig& config_;
  RetryQuota& quota_;
  const Jitter& jitter_;
  int last_cost_ = 0;  // tokens taken by the latest retry, 0 when none
};

}  // namespace bedrock_lite::converse::detail
