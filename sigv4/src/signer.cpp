// SigV4: canonical request, string to sign and signature (the key cache is in key_cache.cpp).
//
// The hot path (one Converse request) builds exactly three strings it must return anyway
// (canonical request, string to sign, Authorization) plus the small output headers; everything
// else is written straight into those strings or into stack buffers, and every hash of one call
// reuses one digest context.
#include "amz_date.h"
#include "crypto.h"
#include "key_cache.h"

#include <bedrock_lite/sigv4.h>

#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace bedrock_lite::sigv4 {
namespace {

using detail::Hasher;
using detail::kSha256Bytes;
using detail::kSha256HexChars;

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kTerminator = "aws4_request";
constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
constexpr std::size_t kAmzDateChars = 16;
constexpr std::size_t kDateChars = 8;

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

inline char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
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

// Appends s with every byte outside the unreserved set (and outside `keep`) as %XX. Runs of
// bytes kept as they are go in with one append: paths and tokens are mostly such runs.
void append_encoded(std::string& out, std::string_view s, char keep1 = 0, char keep2 = 0) {
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

// --- canonical URI ------------------------------------------------------------------------

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

// --- canonical query ----------------------------------------------------------------------

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
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

struct QueryParam {
  std::string name;
  std::string value;
};

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

// --- canonical headers --------------------------------------------------------------------

struct HeaderRef {
  std::string_view name;
  std::string_view value;
};

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

std::string_view trimmed_view(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

Error signing_error(std::string message) {
  return Error{std::move(message), 0};
}

}  // namespace

struct Signer::Impl {
  explicit Impl(std::size_t max_cached_keys) : cache(max_cached_keys) {}
  detail::Sha256Algorithm sha256;
  detail::KeyCache cache;
  mutable detail::ContextPool contexts;
};

Signer::Signer(std::size_t max_cached_keys) : impl_(std::make_unique<Impl>(max_cached_keys)) {}
Signer::~Signer() = default;
Signer::Signer(Signer&&) noexcept = default;
Signer& Signer::operator=(Signer&&) noexcept = default;

SigningKey Signer::signing_key(std::string_view secret_access_key, std::string_view date,
                               std::string_view region, std::string_view service) const {
  Hasher hasher(impl_->sha256.md(), &impl_->contexts);
  return impl_->cache.key(hasher, secret_access_key, date, region, service);
}

std::uint64_t Signer::key_derivations() const {
  return impl_->cache.derivations();
}

const std::string& SigningResult::authorization() const noexcept {
  static const std::string kNone;
  for (const auto& header : headers) {
    if (header.name == "Authorization") return header.value;
  }
  return kNone;
}

// --- signing --------------------------------------------------------------------------------

namespace {

Result<SigningResult, Error> sign_with(const detail::KeyCache* cache, const EVP_MD* md,
                                       detail::ContextPool* contexts,
                                       const SignableRequest& request,
                                       const Credentials& credentials, const Scope& scope,
                                       const Settings& settings) {
  static const std::vector<Header> kNoHeaders;
  const std::vector<Header>& headers = request.headers != nullptr ? *request.headers : kNoHeaders;
  const bool query_signing = settings.location == SignatureLocation::Query;
  const bool has_token = !credentials.session_token.empty();
  const bool sign_token = has_token && settings.session_token == SessionTokenMode::Signed;

  // Inputs that would corrupt the credential scope or inject header lines.
  if (credentials.access_key_id.empty()) return signing_error("empty access key id");
  if (credentials.secret_access_key.empty()) return signing_error("empty secret access key");
  if (has_control(credentials.access_key_id) ||
      credentials.access_key_id.find('/') != std::string_view::npos)
    return signing_error("access key id contains a control character or '/'");
  if (has_control(credentials.session_token))
    return signing_error("session token contains a control character");
  if (scope.region.empty()) return signing_error("empty region");
  if (scope.service.empty()) return signing_error("empty service");
  if (has_control(scope.region) || scope.region.find('/') != std::string_view::npos)
    return signing_error("region contains a control character or '/'");
  if (has_control(scope.service) || scope.service.find('/') != std::string_view::npos)
    return signing_error("service contains a control character or '/'");
  if (request.method.empty() || has_control(request.method))
    return signing_error("empty method or control character in it");
  if (request.path.empty() || request.path.front() != '/')
    return signing_error("path must start with '/'");
  if (find_header(headers, "host") == nullptr) return signing_error("no Host header");

  char amz_date[kAmzDateChars];
  if (!detail::format_amz_date(scope.time, amz_date))
    return signing_error("signing time is outside years 0000-9999");
  const std::string_view amz_date_view(amz_date, kAmzDateChars);
  const std::string_view date = amz_date_view.substr(0, kDateChars);

  Hasher hasher(md, contexts);

  // Payload hash.
  char payload_hex[kSha256HexChars];
  std::string_view payload_hash;
  if (settings.payload == PayloadMode::Unsigned) {
    payload_hash = kUnsignedPayload;
  } else if (!request.payload_sha256_hex.empty()) {
    const auto& given = request.payload_sha256_hex;
    bool valid = given.size() == kSha256HexChars;
    for (char c : given) valid = valid && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    if (!valid) return signing_error("precomputed payload hash is not 64 lowercase hex characters");
    payload_hash = given;
  } else {
    unsigned char digest[kSha256Bytes];
    hasher.sha256(request.body, digest);
    detail::hex_encode(digest, kSha256Bytes, payload_hex);
    payload_hash = std::string_view(payload_hex, kSha256HexChars);
  }

  // Which of our headers the request already carries (and must agree with).
  const Header* given_date = query_signing ? nullptr : find_header(headers, "x-amz-date");
  const Header* given_token = has_token ? find_header(headers, "x-amz-security-token") : nullptr;
  const bool want_content_header =
      !query_signing && settings.content_sha256 == ContentSha256Header::Add;
  const Header* given_content =
      want_content_header ? find_header(headers, "x-amz-content-sha256") : nullptr;
  if (given_date != nullptr && trimmed_view(given_date->value) != amz_date_view)
    return signing_error("the request's X-Amz-Date differs from the signing time " +
                         std::string(amz_date_view));
  if (given_token != nullptr && trimmed_view(given_token->value) != credentials.session_token)
    return signing_error("the request's X-Amz-Security-Token differs from the credentials' token");
  if (given_content != nullptr && trimmed_view(given_content->value) != payload_hash)
    return signing_error("the request's x-amz-content-sha256 differs from the payload hash " +
                         std::string(payload_hash));

  // The headers that are signed, ours included, sorted by lowercase name. On the stack for the
  // usual handful; the heap only for requests with many headers.
  std::array<HeaderRef, 16> inline_refs;
  std::vector<HeaderRef> heap_refs;
  const std::size_t capacity = headers.size() + 3;
  if (capacity > inline_refs.size()) heap_refs.resize(capacity);
  HeaderRef* const refs = capacity > inline_refs.size() ? heap_refs.data() : inline_refs.data();
  std::size_t ref_count = 0;
  for (const auto& header : headers) {
    if (is_unsignable(header.name)) continue;
    // A token added after signing is not signed, even when the request already carries it.
    if (has_token && !sign_token && &header == given_token) continue;
    refs[ref_count++] = {header.name, header.value};
  }
  if (!query_signing && given_date == nullptr) refs[ref_count++] = {"x-amz-date", amz_date_view};
  if (!query_signing && sign_token && given_token == nullptr)
    refs[ref_count++] = {"x-amz-security-token", credentials.session_token};
  if (want_content_header && given_content == nullptr)
    refs[ref_count++] = {"x-amz-content-sha256", payload_hash};
  sort_headers(refs, ref_count);

  SigningResult result;

  // The string to sign starts with the credential scope (date/region/service/aws4_request); the
  // Authorization value and X-Amz-Credential reuse it from there instead of a string of their own.
  std::string& sts = result.string_to_sign;
  sts.reserve(kAlgorithm.size() + kAmzDateChars + kDateChars + scope.region.size() +
              scope.service.size() + kTerminator.size() + kSha256HexChars + 6);
  sts.append(kAlgorithm).append(1, '\n').append(amz_date_view).append(1, '\n');
  const std::size_t scope_at = sts.size();
  sts.append(date).append(1, '/').append(scope.region).append(1, '/');
  sts.append(scope.service).append(1, '/').append(kTerminator);
  const std::size_t scope_length = sts.size() - scope_at;
  sts.push_back('\n');

  // Query signing: our parameters, encoded, in the order aws-c-auth appends them to the URL.
  if (query_signing) {
    std::string credential;
    credential.reserve(credentials.access_key_id.size() + scope_length * 2 + 8);
    append_encoded(credential, credentials.access_key_id);
    credential.append("%2F");
    append_encoded(credential, std::string_view(sts).substr(scope_at, scope_length));
    std::string signed_list;
    append_signed_headers(signed_list, refs, ref_count);
    std::string encoded_list;
    append_encoded(encoded_list, signed_list);
    result.query.push_back({"X-Amz-Algorithm", std::string(kAlgorithm)});
    result.query.push_back({"X-Amz-Credential", std::move(credential)});
    result.query.push_back({"X-Amz-Date", std::string(amz_date_view)});
    result.query.push_back({"X-Amz-SignedHeaders", std::move(encoded_list)});
    result.query.push_back({"X-Amz-Expires", std::to_string(settings.expires.count())});
    if (has_token) {
      std::string token;
      append_encoded(token, credentials.session_token);
      result.query.push_back({"X-Amz-Security-Token", std::move(token)});
    }
  }

  // Canonical request.
  std::string& creq = result.canonical_request;
  std::size_t estimate = request.method.size() + request.path.size() * 3 +
                         request.query.size() * 3 + kSha256HexChars + 16;
  for (std::size_t i = 0; i < ref_count; ++i)
    estimate += 2 * refs[i].name.size() + refs[i].value.size() + 3;
  for (const auto& param : result.query) estimate += param.name.size() + param.value.size() + 2;
  creq.reserve(estimate);
  creq.append(request.method).push_back('\n');
  append_canonical_uri(creq, request.path, settings);
  creq.push_back('\n');
  if (!request.query.empty() || query_signing) {
    std::vector<QueryParam> params;
    add_request_query(params, request.query);
    const bool signs_token_param = query_signing && sign_token;
    for (const auto& param : result.query) {
      if (param.name == "X-Amz-Security-Token" && !signs_token_param) continue;
      params.push_back({param.name, param.value});
    }
    std::sort(params.begin(), params.end(), [](const QueryParam& a, const QueryParam& b) {
      return a.name != b.name ? a.name < b.name : a.value < b.value;
    });
    for (std::size_t i = 0; i < params.size(); ++i) {
      if (i > 0) creq.push_back('&');
      creq.append(params[i].name).append(1, '=').append(params[i].value);
    }
  }
  creq.push_back('\n');
  for (std::size_t i = 0; i < ref_count; ++i) {
    const bool continues = i > 0 && iequals(refs[i].name, refs[i - 1].name);
    if (continues) {
      creq.push_back(',');  // duplicate names: values joined in order (get-header-key-duplicate)
    } else {
      if (i > 0) creq.push_back('\n');
      append_lower(creq, refs[i].name);
      creq.push_back(':');
    }
    append_trimmed(creq, refs[i].value);
  }
  if (ref_count > 0) creq.push_back('\n');
  creq.push_back('\n');
  const std::size_t signed_headers_at = creq.size();
  append_signed_headers(creq, refs, ref_count);
  const std::size_t signed_headers_length = creq.size() - signed_headers_at;
  creq.push_back('\n');
  creq.append(payload_hash);

  // String to sign: the hash of the canonical request completes it.
  unsigned char creq_digest[kSha256Bytes];
  hasher.sha256(creq, creq_digest);
  const std::size_t hex_at = sts.size();
  sts.append(kSha256HexChars, '0');
  detail::hex_encode(creq_digest, kSha256Bytes, &sts[hex_at]);

  // Signature.
  SigningKey key{};
  if (cache != nullptr) {
    key = cache->key(hasher, credentials.secret_access_key, date, scope.region, scope.service);
  } else {
    derive_key(hasher, credentials.secret_access_key, date, scope.region, scope.service, key);
  }
  unsigned char signature[kSha256Bytes];
  hasher.hmac(key.data(), key.size(), sts, signature);
  detail::wipe(key.data(), key.size());
  if (hasher.failed()) return signing_error("SHA-256 failed in OpenSSL");
  result.signature.assign(kSha256HexChars, '0');
  detail::hex_encode(signature, kSha256Bytes, &result.signature[0]);

  if (query_signing) {
    result.query.push_back({"X-Amz-Signature", result.signature});
    return result;
  }

  // Header signing: what to append, in aws-c-auth's order.
  const std::string_view credential_scope = std::string_view(sts).substr(scope_at, scope_length);
  const std::string_view signed_headers =
      std::string_view(creq).substr(signed_headers_at, signed_headers_length);
  result.headers.reserve(4);
  if (has_token && given_token == nullptr)
    result.headers.push_back({"X-Amz-Security-Token", std::string(credentials.session_token)});
  if (given_date == nullptr) result.headers.push_back({"X-Amz-Date", std::string(amz_date_view)});
  if (want_content_header && given_content == nullptr)
    result.headers.push_back({"x-amz-content-sha256", std::string(payload_hash)});
  std::string authorization;
  authorization.reserve(kAlgorithm.size() + credentials.access_key_id.size() +
                        credential_scope.size() + signed_headers.size() + kSha256HexChars + 48);
  authorization.append(kAlgorithm).append(" Credential=").append(credentials.access_key_id);
  authorization.append(1, '/').append(credential_scope).append(", SignedHeaders=");
  authorization.append(signed_headers).append(", Signature=").append(result.signature);
  result.headers.push_back({"Authorization", std::move(authorization)});
  return result;
}

}  // namespace

Result<SigningResult, Error> Signer::sign(const SignableRequest& request,
                                          const Credentials& credentials, const Scope& scope,
                                          const Settings& settings) const {
  return sign_with(&impl_->cache, impl_->sha256.md(), &impl_->contexts, request, credentials, scope,
                   settings);
}

Result<std::vector<Header>, Error> Signer::sign_headers(
    std::string_view method, std::string_view path_and_query, const std::vector<Header>& headers,
    std::string_view body, const Credentials& credentials, std::string_view region,
    std::string_view service, std::chrono::system_clock::time_point time) const {
  SignableRequest request;
  request.method = method;
  const std::size_t mark = path_and_query.find('?');
  request.path = path_and_query.substr(0, mark);
  if (mark != std::string_view::npos) request.query = path_and_query.substr(mark + 1);
  request.headers = &headers;
  request.body = body;
  auto signed_result = sign(request, credentials, Scope{region, service, time});
  if (!signed_result) return std::move(signed_result).error();
  return std::move(signed_result.value().headers);
}

Result<SigningResult, Error> sign(const SignableRequest& request, const Credentials& credentials,
                                  const Scope& scope, const Settings& settings) {
  detail::Sha256Algorithm algorithm;
  return sign_with(nullptr, algorithm.md(), nullptr, request, credentials, scope, settings);
}

}  // namespace bedrock_lite::sigv4
