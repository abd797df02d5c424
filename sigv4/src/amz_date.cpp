// X-Amz-Date formatting and parsing without gmtime/timegm (not thread-safe or not standard):
// Howard Hinnant's days-from-civil algorithms, exact for the proleptic Gregorian calendar.
#include "amz_date.h"

#include <bedrock_lite/internal/text.h>
#include <bedrock_lite/sigv4.h>

namespace bedrock_lite::sigv4 {
namespace detail {
namespace {

constexpr std::int64_t kSecondsPerDay = 86400;

void put_digits(char* out, unsigned value, int width) noexcept {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

bool read_digits(std::string_view text, std::size_t at, int width, unsigned& value) noexcept {
  value = 0;
  for (int i = 0; i < width; ++i) {
    const char c = text[at + static_cast<std::size_t>(i)];
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return true;
}

bool is_leap(std::int64_t y) noexcept {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

}  // namespace

bool format_amz_date(std::chrono::system_clock::time_point time, char out[16]) noexcept {
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
  // Floor division, so times before 1970 land on the right day.
  std::int64_t days = seconds / kSecondsPerDay;
  std::int64_t rest = seconds % kSecondsPerDay;
  if (rest < 0) {
    rest += kSecondsPerDay;
    --days;
  }
  const internal::CivilDate date = internal::civil_from_days(days);
  if (date.year < 0 || date.year > 9999) return false;
  const auto secs = static_cast<unsigned>(rest);
  put_digits(out, static_cast<unsigned>(date.year), 4);
  put_digits(out + 4, date.month, 2);
  put_digits(out + 6, date.day, 2);
  out[8] = 'T';
  put_digits(out + 9, secs / 3600, 2);
  put_digits(out + 11, secs / 60 % 60, 2);
  put_digits(out + 13, secs % 60, 2);
  out[15] = 'Z';
  return true;
}

}  // namespace detail

std::optional<std::string> format_amz_date(std::chrono::system_clock::time_point time) {
  char buffer[16];
  if (!detail::format_amz_date(time, buffer)) return std::nullopt;
  return std::string(buffer, sizeof buffer);
}

std::optional<std::chrono::system_clock::time_point> parse_amz_date(std::string_view text) {
  // Field offsets: compact "YYYYMMDDTHHMMSSZ" or extended "YYYY-MM-DDTHH:MM:SSZ".
  std::size_t at[6];
  if (text.size() == 16 && text[8] == 'T' && text[15] == 'Z') {
    const std::size_t compact[6] = {0, 4, 6, 9, 11, 13};
    std::copy(compact, compact + 6, at);
  } else if (text.size() == 20 && text[4] == '-' && text[7] == '-' && text[10] == 'T' &&
             text[13] == ':' && text[16] == ':' && text[19] == 'Z') {
    const std::size_t extended[6] = {0, 5, 8, 11, 14, 17};
    std::copy(extended, extended + 6, at);
  } else {
    return std::nullopt;
  }
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!detail::read_digits(text, at[0], 4, year) || !detail::read_digits(text, at[1], 2, month) ||
      !detail::read_digits(text, at[2], 2, day) || !detail::read_digits(text, at[3], 2, hour) ||
      !detail::read_digits(text, at[4], 2, minute) ||
      !detail::read_digits(text, at[5], 2, second)) {
    return std::nullopt;
  }
  static constexpr unsigned kDaysInMonth[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }
  const unsigned month_days =
      kDaysInMonth[month - 1] + (month == 2 && detail::is_leap(year) ? 1u : 0u);
  if (day > month_days) return std::nullopt;
  const std::int64_t days = internal::days_from_civil(year, month, day);
  const std::int64_t seconds = days * detail::kSecondsPerDay + hour * 3600 + minute * 60 + second;
  return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
}

}  // namespace bedrock_lite::sigv4
