// SigV4: canonical request, string to sign and signature (the canonical forms are in
// canonical.cpp, the key cache in key_cache.cpp).
//
// The hot path (one Converse request) builds exactly three strings it must return anyway
// (canonical request, string to sign, Authorization) plus the small output headers; everything
// else is written straight into those strings or into stack buffers, and every hash of one call
// reuses one digest context.
#include "amz_date.h"
#include "canonical.h"
#include "crypto.h"
#include "key_cache.h"

#include <bedrock_lite/internal/text.h>
#include <bedrock_lite/sigv4.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

namespace bedrock_lite::sigv4 {
namespace {

using detail::add_request_query;
using detail::append_canonical_uri;
using detail::append_encoded;
using detail::append_lower;
using detail::append_signed_headers;
using detail::append_trimmed;
using detail::find_header;
using detail::has_control;
using detail::Hasher;
using detail::HeaderRef;
using detail::is_unsignable;
using detail::kSha256Bytes;
using detail::kSha256HexChars;
using detail::QueryParam;
using detail::sort_headers;
using detail::trimmed_view;
using internal::iequals;

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kTerminator = "aws4_request";
constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
constexpr std::size_t kAmzDateChars = 16;
constexpr std::size_t kDateChars = 8;

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
//
// sign_with runs the steps of SigV4 in order, one function each: check the inputs, format
// X-Amz-Date, hash the payload, find the signing headers the request already carries, list the
// signed headers, then build the string to sign's scope, the query parameters (query signing),
// the canonical request, the rest of the string to sign, the signature and the headers to add.
// As in smithy-rs' aws-sigv4 (canonical_request.rs), what every step reads is gathered once in
// a value, SigningInputs, built up by the first steps.

namespace {

// The request, credentials, scope and settings, and what is derived from them once: X-Amz-Date,
// the payload hash and the signing headers the request already carries. Views point into the
// caller's arguments and into this value's own buffers, so it is neither copied nor moved.
struct SigningInputs {
  SigningInputs(const SignableRequest& request_in, const Credentials& credentials_in,
                const Scope& scope_in, const Settings& settings_in)
      : request(request_in),
        headers(request_in.headers != nullptr ? *request_in.headers : no_headers()),
        credentials(credentials_in),
        scope(scope_in),
        settings(settings_in),
        query_signing(settings_in.location == SignatureLocation::Query),
        has_token(!credentials_in.session_token.empty()),
        sign_token(has_token && settings_in.session_token == SessionTokenMode::Signed),
        want_content_header(!query_signing &&
                            settings_in.content_sha256 == ContentSha256Header::Add) {}
  SigningInputs(const SigningInputs&) = delete;
  SigningInputs& operator=(const SigningInputs&) = delete;

  static const std::vector<Header>& no_headers() {
    static const std::vector<Header> kNoHeaders;
    return kNoHeaders;
  }

  const SignableRequest& request;
  const std::vector<Header>& headers;
  const Credentials& credentials;
  const Scope& scope;
  const Settings& settings;
  const bool query_signing;
  const bool has_token;
  const bool sign_token;
  const bool want_content_header;

  char amz_date_text[kAmzDateChars] = {};
  std::string_view amz_date;  // YYYYMMDDTHHMMSSZ
  std::string_view date;      // YYYYMMDD, the credential scope's date
  char payload_hex[kSha256HexChars] = {};
  std::string_view payload_hash;
  const Header* given_date = nullptr;
  const Header* given_token = nullptr;
  const Header* given_content = nullptr;
};

// A part of a string being built, by position: the string may still reallocate.
struct Span {
  std::size_t at = 0;
  std::size_t length = 0;
  std::string_view in(const std::string& text) const {
    return std::string_view(text).substr(at, length);
  }
};

// Inputs that would corrupt the credential scope or inject header lines.
std::optional<Error> check_inputs(const SigningInputs& in) {
  const Credentials& credentials = in.credentials;
  const Scope& scope = in.scope;
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
  if (in.request.method.empty() || has_control(in.request.method))
    return signing_error("empty method or control character in it");
  if (in.request.path.empty() || in.request.path.front() != '/')
    return signing_error("path must start with '/'");
  if (find_header(in.headers, "host") == nullptr) return signing_error("no Host header");
  return std::nullopt;
}

std::optional<Error> set_amz_date(SigningInputs& in) {
  if (!detail::format_amz_date(in.scope.time, in.amz_date_text))
    return signing_error("signing time is outside years 0000-9999");
  in.amz_date = std::string_view(in.amz_date_text, kAmzDateChars);
  in.date = in.amz_date.substr(0, kDateChars);
  return std::nullopt;
}

// UNSIGNED-PAYLOAD, the caller's precomputed hash (checked), or the SHA-256 of the body.
std::optional<Error> set_payload_hash(SigningInputs& in, Hasher& hasher) {
  if (in.settings.payload == PayloadMode::Unsigned) {
    in.payload_hash = kUnsignedPayload;
  } else if (!in.request.payload_sha256_hex.empty()) {
    const auto& given = in.request.payload_sha256_hex;
    bool valid = given.size() == kSha256HexChars;
    for (char c : given) valid = valid && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    if (!valid) return signing_error("precomputed payload hash is not 64 lowercase hex characters");
    in.payload_hash = given;
  } else {
    unsigned char digest[kSha256Bytes];
    hasher.sha256(in.request.body, digest);
    detail::hex_encode(digest, kSha256Bytes, in.payload_hex);
    in.payload_hash = std::string_view(in.payload_hex, kSha256HexChars);
  }
  return std::nullopt;
}

// Which of our headers the request already carries (and must agree with).
std::optional<Error> find_given_headers(SigningInputs& in) {
  in.given_date = in.query_signing ? nullptr : find_header(in.headers, "x-amz-date");
  in.given_token = in.has_token ? find_header(in.headers, "x-amz-security-token") : nullptr;
  in.given_content =
      in.want_content_header ? find_header(in.headers, "x-amz-content-sha256") : nullptr;
  if (in.given_date != nullptr && trimmed_view(in.given_date->value) != in.amz_date)
    return signing_error("the request's X-Amz-Date differs from the signing time " +
                         std::string(in.amz_date));
  if (in.given_token != nullptr &&
      trimmed_view(in.given_token->value) != in.credentials.session_token)
    return signing_error("the request's X-Amz-Security-Token differs from the credentials' token");
  if (in.given_content != nullptr && trimmed_view(in.given_content->value) != in.payload_hash)
    return signing_error("the request's x-amz-content-sha256 differs from the payload hash " +
                         std::string(in.payload_hash));
  return std::nullopt;
}

// The headers that are signed, ours included, sorted by lowercase name. On the stack for the
// usual handful; the heap only for requests with many headers. Points into itself: not copied.
class SignedHeaderRefs {
 public:
  explicit SignedHeaderRefs(const SigningInputs& in) {
    const std::size_t capacity = in.headers.size() + 3;
    if (capacity > inline_refs_.size()) heap_refs_.resize(capacity);
    refs_ = capacity > inline_refs_.size() ? heap_refs_.data() : inline_refs_.data();
    for (const auto& header : in.headers) {
      if (is_unsignable(header.name)) continue;
      // A token added after signing is not signed, even when the request already carries it.
      if (in.has_token && !in.sign_token && &header == in.given_token) continue;
      refs_[count_++] = {header.name, header.value};
    }
    if (!in.query_signing && in.given_date == nullptr)
      refs_[count_++] = {"x-amz-date", in.amz_date};
    if (!in.query_signing && in.sign_token && in.given_token == nullptr)
      refs_[count_++] = {"x-amz-security-token", in.credentials.session_token};
    if (in.want_content_header && in.given_content == nullptr)
      refs_[count_++] = {"x-amz-content-sha256", in.payload_hash};
    sort_headers(refs_, count_);
  }
  SignedHeaderRefs(const SignedHeaderRefs&) = delete;
  SignedHeaderRefs& operator=(const SignedHeaderRefs&) = delete;

  const HeaderRef* data() const { return refs_; }
  std::size_t size() const { return count_; }
  const HeaderRef& operator[](std::size_t i) const { return refs_[i]; }

 private:
  std::array<HeaderRef, 16> inline_refs_;
  std::vector<HeaderRef> heap_refs_;
  HeaderRef* refs_ = nullptr;
  std::size_t count_ = 0;
};

// The string to sign starts with the credential scope (date/region/service/aws4_request); the
// Authorization value and X-Amz-Credential reuse it from there instead of a string of their own.
// Returns where the scope is.
Span start_string_to_sign(const SigningInputs& in, std::string& sts) {
  sts.reserve(kAlgorithm.size() + kAmzDateChars + kDateChars + in.scope.region.size() +
              in.scope.service.size() + kTerminator.size() + kSha256HexChars + 6);
  sts.append(kAlgorithm).append(1, '\n').append(in.amz_date).append(1, '\n');
  Span scope;
  scope.at = sts.size();
  sts.append(in.date).append(1, '/').append(in.scope.region).append(1, '/');
  sts.append(in.scope.service).append(1, '/').append(kTerminator);
  scope.length = sts.size() - scope.at;
  sts.push_back('\n');
  return scope;
}

// Query signing: our parameters, encoded, in the order aws-c-auth appends them to the URL.
void add_signing_params(const SigningInputs& in, std::string_view credential_scope,
                        const SignedHeaderRefs& refs, std::vector<Header>& query) {
  std::string credential;
  credential.reserve(in.credentials.access_key_id.size() + credential_scope.size() * 2 + 8);
  append_encoded(credential, in.credentials.access_key_id);
  credential.append("%2F");
  append_encoded(credential, credential_scope);
  std::string signed_list;
  append_signed_headers(signed_list, refs.data(), refs.size());
  std::string encoded_list;
  append_encoded(encoded_list, signed_list);
  query.push_back({"X-Amz-Algorithm", std::string(kAlgorithm)});
  query.push_back({"X-Amz-Credential", std::move(credential)});
  query.push_back({"X-Amz-Date", std::string(in.amz_date)});
  query.push_back({"X-Amz-SignedHeaders", std::move(encoded_list)});
  query.push_back({"X-Amz-Expires", std::to_string(in.settings.expires.count())});
  if (in.has_token) {
    std::string token;
    append_encoded(token, in.credentials.session_token);
    query.push_back({"X-Amz-Security-Token", std::move(token)});
  }
}

// The request's query parameters and our signing parameters, canonicalised and sorted by name,
// then value, joined by '&'.
void append_canonical_query(const SigningInputs& in, const std::vector<Header>& signing_params,
                            std::string& creq) {
  if (in.request.query.empty() && !in.query_signing) return;
  std::vector<QueryParam> params;
  add_request_query(params, in.request.query);
  const bool signs_token_param = in.query_signing && in.sign_token;
  for (const auto& param : signing_params) {
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

// One "name:value" line per lowercase name; the values of duplicate names are joined in order
// by ',' (get-header-key-duplicate).
void append_canonical_headers(const SignedHeaderRefs& refs, std::string& creq) {
  for (std::size_t i = 0; i < refs.size(); ++i) {
    const bool continues = i > 0 && iequals(refs[i].name, refs[i - 1].name);
    if (continues) {
      creq.push_back(',');
    } else {
      if (i > 0) creq.push_back('\n');
      append_lower(creq, refs[i].name);
      creq.push_back(':');
    }
    append_trimmed(creq, refs[i].value);
  }
  if (refs.size() > 0) creq.push_back('\n');
}

// Canonical request: method, canonical URI, canonical query, canonical headers, signed headers
// and payload hash, one per line. Returns where the signed headers are.
Span build_canonical_request(const SigningInputs& in, const SignedHeaderRefs& refs,
                             const std::vector<Header>& signing_params, std::string& creq) {
  std::size_t estimate = in.request.method.size() + in.request.path.size() * 3 +
                         in.request.query.size() * 3 + kSha256HexChars + 16;
  for (std::size_t i = 0; i < refs.size(); ++i)
    estimate += 2 * refs[i].name.size() + refs[i].value.size() + 3;
  for (const auto& param : signing_params) estimate += param.name.size() + param.value.size() + 2;
  creq.reserve(estimate);
  creq.append(in.request.method).push_back('\n');
  append_canonical_uri(creq, in.request.path, in.settings);
  creq.push_back('\n');
  append_canonical_query(in, signing_params, creq);
  creq.push_back('\n');
  append_canonical_headers(refs, creq);
  creq.push_back('\n');
  Span signed_headers;
  signed_headers.at = creq.size();
  append_signed_headers(creq, refs.data(), refs.size());
  signed_headers.length = creq.size() - signed_headers.at;
  creq.push_back('\n');
  creq.append(in.payload_hash);
  return signed_headers;
}

// String to sign: the hash of the canonical request completes it.
void finish_string_to_sign(Hasher& hasher, const std::string& creq, std::string& sts) {
  unsigned char creq_digest[kSha256Bytes];
  hasher.sha256(creq, creq_digest);
  const std::size_t hex_at = sts.size();
  sts.append(kSha256HexChars, '0');
  detail::hex_encode(creq_digest, kSha256Bytes, &sts[hex_at]);
}

// Signature: the HMAC of the string to sign under the signing key (from the cache when there is
// one), as lowercase hex. The key is wiped once used.
std::optional<Error> compute_signature(const detail::KeyCache* cache, Hasher& hasher,
                                       const SigningInputs& in, const std::string& sts,
                                       std::string& signature_hex) {
  const auto& secret = in.credentials.secret_access_key;
  SigningKey key{};
  if (cache != nullptr) {
    key = cache->key(hasher, secret, in.date, in.scope.region, in.scope.service);
  } else {
    derive_key(hasher, secret, in.date, in.scope.region, in.scope.service, key);
  }
  unsigned char signature[kSha256Bytes];
  hasher.hmac(key.data(), key.size(), sts, signature);
  detail::wipe(key.data(), key.size());
  if (hasher.failed()) return signing_error("SHA-256 failed in OpenSSL");
  signature_hex.assign(kSha256HexChars, '0');
  detail::hex_encode(signature, kSha256Bytes, &signature_hex[0]);
  return std::nullopt;
}

// Header signing: what to append, in aws-c-auth's order.
void add_signing_headers(const SigningInputs& in, std::string_view credential_scope,
                         std::string_view signed_headers, SigningResult& result) {
  result.headers.reserve(4);
  if (in.has_token && in.given_token == nullptr)
    result.headers.push_back({"X-Amz-Security-Token", std::string(in.credentials.session_token)});
  if (in.given_date == nullptr) result.headers.push_back({"X-Amz-Date", std::string(in.amz_date)});
  if (in.want_content_header && in.given_content == nullptr)
    result.headers.push_back({"x-amz-content-sha256", std::string(in.payload_hash)});
  std::string authorization;
  authorization.reserve(kAlgorithm.size() + in.credentials.access_key_id.size() +
                        credential_scope.size() + signed_headers.size() + kSha256HexChars + 48);
  authorization.append(kAlgorithm).append(" Credential=").append(in.credentials.access_key_id);
  authorization.append(1, '/').append(credential_scope).append(", SignedHeaders=");
  authorization.append(signed_headers).append(", Signature=").append(result.signature);
  result.headers.push_back({"Authorization", std::move(authorization)});
}

Result<SigningResult, Error> sign_with(const detail::KeyCache* cache, const EVP_MD* md,
                                       detail::ContextPool* contexts,
                                       const SignableRequest& request,
                                       const Credentials& credentials, const Scope& scope,
                                       const Settings& settings) {
  SigningInputs in(request, credentials, scope, settings);
  if (auto error = check_inputs(in)) return std::move(*error);
  if (auto error = set_amz_date(in)) return std::move(*error);
  Hasher hasher(md, contexts);
  if (auto error = set_payload_hash(in, hasher)) return std::move(*error);
  if (auto error = find_given_headers(in)) return std::move(*error);
  const SignedHeaderRefs refs(in);

  SigningResult result;
  std::string& sts = result.string_to_sign;
  const Span credential_scope = start_string_to_sign(in, sts);
  if (in.query_signing) add_signing_params(in, credential_scope.in(sts), refs, result.query);
  const Span signed_headers =
      build_canonical_request(in, refs, result.query, result.canonical_request);
  finish_string_to_sign(hasher, result.canonical_request, sts);
  if (auto error = compute_signature(cache, hasher, in, sts, result.signature)) {
    return std::move(*error);
  }
  if (in.query_signing) {
    result.query.push_back({"X-Amz-Signature", result.signature});
    return result;
  }
  add_signing_headers(in, credential_scope.in(sts), signed_headers.in(result.canonical_request),
                      result);
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
