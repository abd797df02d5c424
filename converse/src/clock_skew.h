// Clock-skew correction, the JS SDK v3 way (docs/wire-protocol.md §4.12): keep an offset between
// the service's clock and ours, updated from the Date header of every response, and sign with now +
// offset.
#pragma once

#include <bedrock_lite/core.h>
#include <bedrock_lite/http.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string_view>

namespace bedrock_lite::converse::detail {

// Parses an HTTP date (RFC 7231 IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT") or an X-Amz-Date
// ("19941106T084937Z"). nullopt when it is neither.
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text);

// The service's codes for a signature outside its time window (JS SDK isClockSkewError list).
bool is_clock_skew_error(const Error& error);

// Thread-safe: one per client; every attempt reads it, every response may update it.
class ClockSkew {
 public:
  // The service rejects signatures more than 5 minutes off; the JS SDK corrects at that distance.
  static constexpr std::chrono::milliseconds kThreshold{5 * 60 * 1000};

  // now() + offset: the time to sign with.
  std::chrono::system_clock::time_point signing_time(
      std::chrono::system_clock::time_point now) const;
  // Looks at the response's Date (else X-Amz-Date) header; when it is kThreshold or more away
  // from the corrected time, sets offset = server - now. Returns true when the offset changed.
  bool observe(const http::Headers& headers, std::chrono::system_clock::time_point now);
  std::chrono::milliseconds offset() const {
    return std::chrono::milliseconds(offset_ms_.load(std::memory_order_relaxed));
  }

 private:
  std::atomic<long long> offset_ms_{0};
};

}  // namespace bedrock_lite::converse::detail
