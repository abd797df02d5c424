// Small text helpers shared by the http module's sources (private).
#pragma once

#include <cstddef>
#include <string_view>

namespace bedrock_lite::internal {

// ASCII case-insensitive equality: HTTP header names are ASCII tokens, so no locale is involved.
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
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

}  // namespace bedrock_lite::internal
