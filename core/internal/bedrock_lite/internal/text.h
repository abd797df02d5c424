// Small text helpers shared by the modules and the CLI (private, never installed): ASCII case,
// trimming, one-line quoting, hex digits, base64, civil dates and JSON string escaping. Each was
// written several times before; one copy here keeps them in agreement. Header-only, so sigv4 and
// eventstream (which may use core only) need nothing but this include directory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace bedrock_lite::internal {

// --- ASCII case -------------------------------------------------------------------------------
// Header names, profile keys, schemes and error codes are ASCII: no locale is involved.

constexpr char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

inline std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

// --- trimming ---------------------------------------------------------------------------------

// HTTP's optional whitespace (RFC 9110 §5.6.3) and the profile file's: space and tab.
constexpr std::string_view kBlanks = " \t";
// Blanks and line ends, for text that may end in a CRLF or a newline.
constexpr std::string_view kBlanksAndLineEnds = " \t\r\n";

inline std::string_view trim(std::string_view text, std::string_view whitespace = kBlanks) {
  const std::size_t first = text.find_first_not_of(whitespace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(whitespace) - first + 1);
}

// --- text quoted in a one-line message ----------------------------------------------------------

// Outside text (a service's message, a member's value, a process's stderr) made fit for a one-line
// error: control characters and runs of whitespace become one space, none leads or trails, and a
// cut at `max_bytes` never splits a UTF-8 sequence and is marked "...".
inline std::string one_line(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(text.size() < max_bytes ? text.size() : max_bytes);
  bool space = false;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (out.size() + (space ? 1 : 0) >= max_bytes) {
      // Back off to the start of a UTF-8 sequence (continuation bytes are 10xxxxxx).
      std::size_t cut = out.size();
      while (cut > 0 && (static_cast<unsigned char>(out[cut - 1]) & 0xC0U) == 0x80U) --cut;
      if (cut > 0 && (static_cast<unsigned char>(out[cut - 1]) & 0xC0U) == 0xC0U) --cut;
      out.resize(cut);
      return out + "...";
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// --- hex and base64 ---------------------------------------------------------------------------

// The value of one hex digit (either case), or -1.
constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Lowercase hex of `size` bytes (digests in file names and fixture hashes).
inline std::string hex_lower(const unsigned char* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0x0F];
  }
  return out;
}

// RFC 4648 §4: the standard alphabet with '=' padding, as Bedrock's JSON carries bytes; or §5:
// the URL-safe alphabet without padding, as JWS (RFC 7515 §2) and so DPoP proofs want it.
enum class Base64Form { Standard, UrlUnpadded };

inline std::string base64_encode(std::string_view bytes, Base64Form form = Base64Form::Standard) {
  const char* alphabet = form == Base64Form::Standard
                             ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                             : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const auto byte = [&bytes](std::size_t k) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k]));
  };
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t n = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += alphabet[n >> 18 & 63U];
    out += alphabet[n >> 12 & 63U];
    out += alphabet[n >> 6 & 63U];
    out += alphabet[n & 63U];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 0) return out;
  std::uint32_t n = byte(i) << 16;
  if (rest == 2) n |= byte(i + 1) << 8;
  out += alphabet[n >> 18 & 63U];
  out += alphabet[n >> 12 & 63U];
  if (rest == 2) out += alphabet[n >> 6 & 63U];
  if (form == Base64Form::Standard) out.append(rest == 2 ? 1 : 2, '=');
  return out;
}

// The value of one base64 digit, or -1.
constexpr int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Strict RFC 4648 base64: padding required, no whitespace. False on anything else; `out` then
// holds what was decoded before the fault.
inline bool base64_decode(std::string_view text, std::string& out) {
  out.clear();
  if (text.size() % 4 != 0) return false;
  unsigned buffer = 0;
  int bits = 0;
  std::size_t padding = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '=') {
      if (i + 2 < text.size()) return false;  // only in the last two places
      ++padding;
      continue;
    }
    if (padding > 0) return false;
    const int value = base64_value(c);
    if (value < 0) return false;
    buffer = (buffer << 6) | static_cast<unsigned>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return true;
}

// --- civil dates ------------------------------------------------------------------------------
// Howard Hinnant's algorithms ("chrono-Compatible Low-Level Date Algorithms"), exact for the
// proleptic Gregorian calendar: no gmtime/timegm (not thread-safe, or not standard), no locale
// and no time zone database.

// Days since 1970-01-01 of year-month-day (month 1-12, day 1-31).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct CivilDate {
  std::int64_t year = 1970;
  unsigned month = 1;  // 1-12
  unsigned day = 1;    // 1-31
};

// The date `days` days after 1970-01-01.
constexpr CivilDate civil_from_days(std::int64_t days) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  CivilDate date;
  date.day = doy - (153 * mp + 2) / 5 + 1;
  date.month = mp < 10 ? mp + 3 : mp - 9;
  date.year = static_cast<std::int64_t>(yoe) + era * 400 + (date.month <= 2 ? 1 : 0);
  return date;
}

// --- JSON -------------------------------------------------------------------------------------

// `text` as a JSON string, quotes included (RFC 8259 §7): '"' and '\\' escaped, the short
// escapes for \n \r \t, and \u00XX for the other control characters. Bytes from 0x80
// on pass through, so UTF-8 stays as it is.
inline std::string json_string(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x",
                        static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

// The host[:port] of an absolute URL, for error messages. Never echoes user:password.
inline std::string_view host_of(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
  auto end = url.find_first_of("/?#");
  if (end != std::string_view::npos) url = url.substr(0, end);
  auto at = url.rfind('@');
  if (at != std::string_view::npos) url.remove_prefix(at + 1);
  return url;
}

// Appends one reference token of a JSON pointer (RFC 6901): '~' as "~0", '/' as "~1".
inline void append_json_pointer_token(std::string& out, std::string_view token) {
  for (char c : token) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
}

}  // namespace bedrock_lite::internal
