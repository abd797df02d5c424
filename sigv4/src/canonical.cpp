// SigV4's canonical forms: percent-encoding, the canonical URI and query, and the header lists,
// with the word-at-a-time scans the hot path needs over a ~1 KB session token. signer.cpp
// assembles them into the canonical request. The file's own helpers come first, then what
// canonical.h declares, in the order of the canonical request.
#include "canonical.h"

#include <bedrock_lite/internal/text.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace bedrock_lite::sigv4::detail {
namespace {

using internal::ascii_lower;
using internal::hex_value;
using internal::iequals;

// RFC 3986 unreserved characters: the only bytes SigV4 never percent-encodes.
struct UnreservedTable {
  bool unreserved[256];
  constexpr UnreservedTable() : unreserved() {
    for (int c = 0; c < 256; ++c) {
      unreserved[c] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '~';
    }
  }
};

constexpr UnreservedTable kUnreserved;

constexpr char kUpperHex[] = "0123456789ABCDEF";

inline unsigned char byte_at(std::string_view s, std::size_t i) {
  return static_cast<unsigned char>(s[i]);
}

// Byte order of the lowercased names: what "sorted by lowercase name" means in the spec.
bool iless(std::string_view a, std::string_view b) {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = static_cast<unsigned char>(ascii_lower(a[i]));
    const auto y = static_cast<unsigned char>(ascii_lower(b[i]));
    if (x != y) return x < y;
  }
  return a.size() < b.size();
}

// Python's str.split() whitespace, which botocore's ' '.join(value.split()) collapses; '\n'
// also joins the folded lines of get-header-value-multiline.
constexpr bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

struct SpaceTable {
  bool space[256];
  constexpr SpaceTable() : space() {
    for (int c = 0; c < 256; ++c) space[c] = is_space(static_cast<char>(c));
  }
};

constexpr SpaceTable kSpace;

// Word-at-a-time scans (SWAR) for the checks that run over every byte of a ~1 KB session token:
// a byte loop there costs as much as hashing the whole canonical request.
constexpr std::uint64_t kOnes = 0x0101010101010101ULL;

constexpr std::uint64_t kHighs = 0x8080808080808080ULL;

inline std::uint64_t load_word(const char* p) {
  std::uint64_t word;
  std::memcpy(&word, p, sizeof word);
  return word;
}

// Exact for "some byte is below n" when n <= 128.
inline bool any_byte_below(std::uint64_t word, std::uint64_t n) {
  return ((word - kOnes * n) & ~word & kHighs) != 0;
}

inline bool any_byte_equal(std::uint64_t word, std::uint64_t byte) {
  const std::uint64_t v = word ^ (kOnes * byte);
  return ((v - kOnes) & ~v & kHighs) != 0;
}

#if defined(__SSE2__)
// Sixteen bytes at a time where SSE2 exists (every x86-64): a byte is <= limit (unsigned) when
// min(byte, limit) == byte.
inline bool any_byte_at_most(__m128i block, char limit) {
  const __m128i bound = _mm_set1_epi8(limit);
  return _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(block, bound), block)) != 0;
}

inline bool any_byte_is(__m128i block, char byte) {
  return _mm_movemask_epi8(_mm_cmpeq_epi8(block, _mm_set1_epi8(byte))) != 0;
}

inline __m128i load_block(const char* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
#endif

// False only when no byte is <= ' ', so no byte is_space() accepts (9-13 and 32).
bool may_have_space(std::string_view s) {
  std::size_t i = 0;
#if defined(__SSE2__)
  for (; i + 16 <= s.size(); i += 16) {
    if (any_byte_at_most(load_block(s.data() + i), 0x20)) return true;
  }
#endif
  for (; i + 8 <= s.size(); i += 8) {
    if (any_byte_below(load_word(s.data() + i), 0x21)) return true;
  }
  for (; i < s.size(); ++i) {
    if (static_cast<unsigned char>(s[i]) <= 0x20) return true;
  }
  return false;
}

// True when botocore's normalize_url_path would change nothing: no empty, "." or ".." segment
// (the path starts with '/', which is not an empty segment of its own).
bool is_normal_path(std::string_view path) {
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(start, end - start);
    const bool last = end == path.size();
    if ((segment.empty() && !last) || segment == "." || segment == "..") return false;
    start = end + 1;
  }
  return true;
}

// botocore's remove_dot_segments: drops empty and "." segments, ".." pops one, and a trailing
// '/' survives only when something is left (vectors get-relative-*, get-slash*, get-slashes-*).
void append_normalized(std::string& out, std::string_view path, bool double_encode) {
  std::vector<std::string_view> kept;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(start, end - start);
    if (segment == "..") {
      if (!kept.empty()) kept.pop_back();
    } else if (!segment.empty() && segment != ".") {
      kept.push_back(segment);
    }
    start = end + 1;
  }
  out.push_back('/');
  for (std::size_t i = 0; i < kept.size(); ++i) {
    if (i > 0) out.push_back('/');
    append_encoded(out, kept[i], double_encode ? 0 : '%');
  }
  if (!kept.empty() && path.back() == '/') out.push_back('/');
}

// Decodes as form decoding does ('+' is a space, %XX a byte, a stray '%' stays; none of the
// suites has a '+'), then encodes with the unreserved set, so "%E1%88%B4" and a raw "ሴ" both
// canonicalise to "%E1%88%B4" (vectors get-vanilla-query-order-encoded, get-vanilla-utf8-query).
std::string canonical_query_component(std::string_view raw) {
  std::string decoded;
  decoded.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == '+') {
      decoded.push_back(' ');
    } else if (c == '%' && i + 2 < raw.size() && hex_value(raw[i + 1]) >= 0 &&
               hex_value(raw[i + 2]) >= 0) {
      decoded.push_back(static_cast<char>(hex_value(raw[i + 1]) * 16 + hex_value(raw[i + 2])));
      i += 2;
    } else {
      decoded.push_back(c);
    }
  }
  std::string encoded;
  encoded.reserve(decoded.size() * 3);
  append_encoded(encoded, decoded);
  return encoded;
}

}  // namespace

bool has_control(std::string_view s) {
  std::size_t i = 0;
#if defined(__SSE2__)
  for (; i + 16 <= s.size(); i += 16) {
    const __m128i block = load_block(s.data() + i);
    if (any_byte_at_most(block, 0x1f) || any_byte_is(block, 0x7f)) return true;
  }
#endif
  for (; i + 8 <= s.size(); i += 8) {
    const std::uint64_t word = load_word(s.data() + i);
    if (any_byte_below(word, 0x20) || any_byte_equal(word, 0x7f)) return true;
  }
  for (; i < s.size(); ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

// Appends s with every byte outside the unreserved set (and outside `keep`) as %XX. Runs of
// bytes kept as they are go in with one append: paths and tokens are mostly such runs.
void append_encoded(std::string& out, std::string_view s, char keep1, char keep2) {
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const std::size_t run = i;
    while (i < n && (kUnreserved.unreserved[byte_at(s, i)] || (keep1 != 0 && s[i] == keep1) ||
                     (keep2 != 0 && s[i] == keep2))) {
      ++i;
    }
    out.append(s.data() + run, i - run);
    if (i < n) {
      const unsigned char u = byte_at(s, i);
      const char escaped[3] = {'%', kUpperHex[u >> 4], kUpperHex[u & 15]};
      out.append(escaped, 3);
      ++i;
    }
  }
}

// Headers SigV4 signers leave out because something between client and service may add, drop
// or rewrite them (botocore SIGNED_HEADERS_BLACKLIST, plus the Authorization being replaced).
bool is_unsignable(std::string_view name) {
  static constexpr std::string_view kUnsignable[] = {"user-agent", "expect", "transfer-encoding",
                                                     "x-amzn-trace-id", "authorization"};
  for (auto unsignable : kUnsignable) {
    if (iequals(name, unsignable)) return true;
  }
  return false;
}

void append_canonical_uri(std::string& out, std::string_view path, const Settings& settings) {
  const bool double_encode = settings.uri_encoding == UriEncoding::Double;
  if (path.empty()) {
    out.push_back('/');
  } else if (settings.path_normalization == PathNormalization::Normalize && !is_normal_path(path)) {
    append_normalized(out, path, double_encode);
  } else {
    // Double: the path is already encoded once, so '%' itself is encoded again (%3A -> %253A).
    // Single (S3): existing escapes stay; raw bytes are still encoded once.
    append_encoded(out, path, '/', double_encode ? 0 : '%');
  }
}

void add_request_query(std::vector<QueryParam>& params, std::string_view query) {
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view pair = query.substr(start, end - start);
    if (!pair.empty()) {  // parse_qsl drops empty fields ("a=1&&b=2")
      const std::size_t equals = pair.find('=');
      if (equals == std::string_view::npos) {
        params.push_back({canonical_query_component(pair), std::string()});
      } else {
        params.push_back({canonical_query_component(pair.substr(0, equals)),
                          canonical_query_component(pair.substr(equals + 1))});
      }
    }
    start = end + 1;
  }
}

// Appends the value trimmed, with every inner run of whitespace collapsed to one space; each
// word goes in with one append (a session token is one 1 KB word).
void append_trimmed(std::string& out, std::string_view value) {
  if (!may_have_space(value)) {
    out.append(value);
    return;
  }
  const std::size_t n = value.size();
  std::size_t i = 0;
  while (i < n && kSpace.space[byte_at(value, i)]) ++i;
  bool first = true;
  while (i < n) {
    const std::size_t word = i;
    while (i < n && !kSpace.space[byte_at(value, i)]) ++i;
    if (!first) out.push_back(' ');
    out.append(value.data() + word, i - word);
    first = false;
    while (i < n && kSpace.space[byte_at(value, i)]) ++i;
  }
}

void append_lower(std::string& out, std::string_view s) {
  const std::size_t at = out.size();
  out.append(s);
  for (std::size_t i = at; i < out.size(); ++i) out[i] = ascii_lower(out[i]);
}

// Stable sort by lowercase name: duplicates keep their order, as get-header-value-order needs.
// Insertion sort for the usual handful (no allocation), stable_sort beyond.
void sort_headers(HeaderRef* refs, std::size_t count) {
  if (count <= 24) {
    for (std::size_t i = 1; i < count; ++i) {
      const HeaderRef moving = refs[i];
      std::size_t j = i;
      while (j > 0 && iless(moving.name, refs[j - 1].name)) {
        refs[j] = refs[j - 1];
        --j;
      }
      refs[j] = moving;
    }
  } else {
    std::stable_sort(refs, refs + count,
                     [](const HeaderRef& a, const HeaderRef& b) { return iless(a.name, b.name); });
  }
}

// SignedHeaders: the sorted lowercase names, each once, joined by ';'.
void append_signed_headers(std::string& out, const HeaderRef* refs, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0 && iequals(refs[i].name, refs[i - 1].name)) continue;
    if (i > 0) out.push_back(';');
    append_lower(out, refs[i].name);
  }
}

const Header* find_header(const std::vector<Header>& headers, std::string_view name) {
  for (const auto& header : headers) {
    if (iequals(header.name, name)) return &header;
  }
  return nullptr;
}

// Trimmed of what is_space() accepts.
std::string_view trimmed_view(std::string_view s) {
  return internal::trim(s, " \t\n\r\v\f");
}

}  // namespace bedrock_lite::sigv4::detail
