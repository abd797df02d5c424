// Time and chance as parameters: caches, token refresh, retry backoff and signing take a clock
// and a jitter source, so tests drive them. Production passes the defaults below.
#pragma once

#include <chrono>
#include <functional>

namespace bedrock_lite {

// Wall-clock "now" (UTC), used for signing dates and credential expiry.
using Clock = std::function<std::chrono::system_clock::time_point()>;

// Returns a uniformly distributed value in [0, 1), for full-jitter backoff.
using Jitter = std::function<double()>;

// Sleeps for the given duration (retry backoff); tests pass one that records instead.
using Sleeper = std::function<void(std::chrono::milliseconds)>;

inline Clock system_clock() {
  return [] { return std::chrono::system_clock::now(); };
}

}  // namespace bedrock_lite
