// ISO-8601 timestamps as AWS sends them in Expiration fields. Civil-date arithmetic is Howard
// Hinnant's (bedrock_lite/internal/text.h), so no locale, time zone database or timegm is involved.
#include <bedrock_lite/credentials.h>

#include <bedrock_lite/internal/text.h>

#include <charconv>
#include <cstdint>
#include <cstdio>

namespace bedrock_lite::credentials {
namespace {

bool digits(std::string_view text, std::size_t pos, std::size_t count, int& out) {
  if (pos + count > text.size()) return false;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  auto result = std::from_chars(text.data() + pos, text.data() + pos + count, out);
  return result.ec == std::errc();
}

}  // namespace

std::optional<TimePoint> parse_iso8601(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(text, 0, 4, year) || text.size() < 19 || text[4] != '-' ||
      !digits(text, 5, 2, month) || text[7] != '-' || !digits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !digits(text, 11, 2, hour) ||
      text[13] != ':' || !digits(text, 14, 2, minute) || text[16] != ':' ||
      !digits(text, 17, 2, second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  std::int64_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t start = pos;
    std::int64_t scale = 100000000;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      nanos += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  std::int64_t offset_seconds = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh = 0, om = 0;
    const bool negative = text[pos] == '-';
    if (!digits(text, pos + 1, 2, oh)) return std::nullopt;
    std::size_t next = pos + 3;
    if (next < text.size() && text[next] == ':') ++next;
    if (!digits(text, next, 2, om)) return std::nullopt;
    pos = next + 2;
    offset_seconds = (std::int64_t{oh} * 3600 + om * 60) * (negative ? -1 : 1);
  } else {
    return std::nullopt;  // a timestamp without a zone is ambiguous
  }
  if (pos != text.size()) return std::nullopt;
  const std::int64_t days =
      internal::days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const std::int64_t seconds = days * 86400 + std::int64_t{hour} * 3600 +
                               std::int64_t{minute} * 60 + second - offset_seconds;
  // A TimePoint counts nanoseconds in 64 bits (years ~1678 to ~2262) while the format allows
  // 0000-9999: converting a year outside that range would overflow, so such a timestamp is
  // refused, with a year of margin so that adding refresh windows to it cannot overflow either
  // (fixtures/regressions/credentials_json/expiration_in_year_4052).
  constexpr std::int64_t kLimit =
      std::chrono::duration_cast<std::chrono::seconds>(TimePoint::duration::max()).count() -
      std::int64_t{366} * 86400;
  if (seconds > kLimit || seconds < -kLimit) return std::nullopt;
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(
      std::chrono::seconds(seconds) + std::chrono::nanoseconds(nanos)));
}

std::string format_iso8601(TimePoint time) {
  const auto total =
      std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
  std::int64_t days = total / 86400;
  std::int64_t rem = total % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  const internal::CivilDate date = internal::civil_from_days(days);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                static_cast<long long>(date.year), date.month, date.day,
                static_cast<long long>(rem / 3600), static_cast<long long>(rem % 3600 / 60),
                static_cast<long long>(rem % 60));
  return buffer;
}

}  // namespace bedrock_lite::credentials
