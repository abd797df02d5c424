#include "clock_skew.h"

#include <bedrock_lite/internal/text.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace bedrock_lite::converse::detail {
namespace {

bool parse_int(std::string_view text, int& out) {
  if (text.empty()) return false;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end;
}

std::optional<std::chrono::system_clock::time_point> make_time(int year, int month, int day,
                                                               int hour, int minute, int second) {
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 ||
      hour < 0 || minute < 0 || second < 0 || year < 1970 || year > 9999) {
    return std::nullopt;
  }
  // The checks above keep month and day positive.
  const std::int64_t days =
      internal::days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const long long seconds = days * 86400LL + hour * 3600LL + minute * 60LL + second;
  return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
}

int month_number(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (kMonths[i] == name) return static_cast<int>(i) + 1;
  }
  return 0;
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  // X-Amz-Date: YYYYMMDDTHHMMSSZ
  if (text.size() == 16 && text[8] == 'T' && text[15] == 'Z') {
    if (!parse_int(text.substr(0, 4), year) || !parse_int(text.substr(4, 2), month) ||
        !parse_int(text.substr(6, 2), day) || !parse_int(text.substr(9, 2), hour) ||
        !parse_int(text.substr(11, 2), minute) || !parse_int(text.substr(13, 2), second)) {
      return std::nullopt;
    }
    return make_time(year, month, day, hour, minute, second);
  }
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (29 characters, fixed positions).
  if (text.size() != 29 || text[3] != ',' || text[4] != ' ' || text[7] != ' ' || text[11] != ' ' ||
      text[16] != ' ' || text[19] != ':' || text[22] != ':' || text.substr(25) != " GMT") {
    return std::nullopt;
  }
  month = month_number(text.substr(8, 3));
  if (month == 0 || !parse_int(text.substr(5, 2), day) || !parse_int(text.substr(12, 4), year) ||
      !parse_int(text.substr(17, 2), hour) || !parse_int(text.substr(20, 2), minute) ||
      !parse_int(text.substr(23, 2), second)) {
    return std::nullopt;
  }
  return make_time(year, month, day, hour, minute, second);
}

bool is_clock_skew_error(const Error& error) {
  static constexpr std::array<std::string_view, 6> kCodes = {
      "AuthFailure",        "InvalidSignatureException", "RequestExpired",
      "RequestInTheFuture", "RequestTimeTooSkewed",      "SignatureDoesNotMatch"};
  for (auto code : kCodes) {
    if (error.aws_type == code) return true;
  }
  return false;
}

std::chrono::system_clock::time_point ClockSkew::signing_time(
    std::chrono::system_clock::time_point now) const {
  return now + offset();
}

bool ClockSkew::observe(const http::Headers& headers, std::chrono::system_clock::time_point now) {
  const std::string* value = http::find_header(headers, "date");
  if (value == nullptr) value = http::find_header(headers, "x-amz-date");
  if (value == nullptr) return false;
  const auto server = parse_http_date(*value);
  if (!server) return false;
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  const auto current = offset();
  const auto distance = duration_cast<milliseconds>(*server - (now + current));
  if (std::llabs(distance.count()) < kThreshold.count()) return false;
  offset_ms_.store(duration_cast<milliseconds>(*server - now).count(), std::memory_order_relaxed);
  return true;
}

}  // namespace bedrock_lite::converse::detail
