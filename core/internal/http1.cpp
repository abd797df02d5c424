// HTTP/1.1 message syntax shared by the fixture server and the recorder (http1.h).
#include <bedrock_lite/internal/http1.h>

#include <bedrock_lite/internal/text.h>

#include <cctype>
#include <cstring>

namespace bedrock_lite::internal {

// Whether a comma-separated header value (Connection, Transfer-Encoding) lists `token`.
bool lists_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    if (iequals(trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

// RFC 9110 token characters (method and header names).
bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0) continue;
    if (std::strchr("!#$%&'*+-.^_`|~", c) == nullptr || c == '\0') return false;
  }
  return true;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 424:
      return "Failed Dependency";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "";
  }
}

// A header value that would break the framing of the reply (a recorded CR or LF) is not sent.
bool safe_header_value(std::string_view value) {
  return value.find_first_of("\r\n") == std::string_view::npos;
}

// Hop-by-hop and framing headers: recomputed for the connection at hand, never replayed.
bool is_framing_header(std::string_view name) {
  return iequals(name, "content-length") || iequals(name, "transfer-encoding") ||
         iequals(name, "connection") || iequals(name, "keep-alive") ||
         iequals(name, "proxy-connection") || iequals(name, "upgrade") || iequals(name, "te") ||
         iequals(name, "trailer");
}

// Parses a chunk-size line ("1a2b", "1a;ext=1"): false when it is not hex or overflows.
bool parse_chunk_size(std::string_view line, std::size_t& size) {
  line = trim(line.substr(0, line.find(';')));
  if (line.empty() || line.size() > 2 * sizeof(std::size_t)) return false;
  std::size_t value = 0;
  for (char c : line) {
    unsigned digit = 0;
    if (c >= '0' && c <= '9')
      digit = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f')
      digit = static_cast<unsigned>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      digit = static_cast<unsigned>(c - 'A' + 10);
    else
      return false;
    value = value * 16 + digit;
  }
  size = value;
  return true;
}

bool parse_content_length(std::string_view text, std::size_t& size) {
  text = trim(text);
  if (text.empty() || text.size() > 19) return false;
  std::size_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<std::size_t>(c - '0');
  }
  size = value;
  return true;
}

}  // namespace bedrock_lite::internal
