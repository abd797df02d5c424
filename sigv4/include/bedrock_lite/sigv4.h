// AWS Signature Version 4 (header and presigned-query signing), the derived-signing-key cache, and
// the raw HTTP/1.1 request parser and renderer used by the official test vectors and by
// `bedrock-lite sign`.
//
// A leaf module: it depends only on core (and OpenSSL libcrypto, privately). Its fallible calls
// return core's Result with this module's own narrow error struct, sigv4::Error; `converse` maps
// it into bedrock_lite::Error in one place.
//
// Secrets: the signer reads the secret key and session token through the views in Credentials
// and never copies the secret anywhere but into the HMAC input. A SigningResult holds the session
// token (in the X-Amz-Security-Token header or query parameter, and in the canonical request when
// it is signed) and the Authorization value: treat it as secret-bearing and redact before logging.
#pragma once

#include <bedrock_lite/core.h>
#include <bedrock_lite/export.h>

#include <array>
#include <cassert>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bedrock_lite::sigv4 {

// Immutable once built. `message` is one line saying what was wrong and where; for the request
// parser it starts with "line N: " and `line` is that 1-based line number (0 for signing
// errors). It never holds a secret.
struct Error {
  std::string message;
  std::size_t line = 0;
};

// One header as given or added. Names compare case-insensitively; order is kept. Same shape as
// http::Header, so the client converts member by member.
struct Header {
  std::string name;
  std::string value;
};

// ---------------------------------------------------------------------------------------------
// Settings: named modes, defaulted for every service but S3 (Bedrock included).

// Where the signature goes.
enum class SignatureLocation {
  Header,  // Authorization header (default: what every SDK does for API calls)
  Query,   // presigned URL: X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders,
           // -Signature
};

// What the last line of the canonical request holds.
enum class PayloadMode {
  Signed,    // hex SHA-256 of the body (default: the body is covered by the signature)
  Unsigned,  // the literal UNSIGNED-PAYLOAD (S3 presigned URLs, streaming uploads)
};

// Whether an `x-amz-content-sha256` header carrying the payload hash is added and signed.
enum class ContentSha256Header {
  Omit,  // default: only S3 requires it; botocore's SigV4Auth does not send it
         // (docs/wire-protocol.md §4.7)
  Add,   // aws-c-auth's `sign_body` (vectors post-x-www-form-urlencoded*); header signing only
};

// How the already-encoded request path becomes the canonical URI.
enum class UriEncoding {
  Double,  // default (every service but S3): every byte but unreserved and '/' is encoded again,
           // so a model id's %3A becomes %253A (docs/wire-protocol.md §1.9, smithy-rs
           // double-url-encode)
  Single,  // S3: existing %XX escapes are kept; only raw bytes outside the unreserved set are
           // encoded
};

enum class PathNormalization {
  Normalize,  // default (every service but S3): remove "." and ".." segments and empty segments,
              // keeping a trailing '/', as botocore's normalize_url_path (vectors get-relative-*,
              // get-slash*)
  AsIs,       // S3: object keys may contain "//" and dot segments (normalize-path.txt)
};

enum class SessionTokenMode {
  Signed,             // default: X-Amz-Security-Token added before signing and signed (botocore)
  AddedAfterSigning,  // added to the request but not signed (aws-c-auth `omit_session_token`,
                      // vector post-sts-header-after); some services require this
};

// Immutable value. Every member defaults to what Bedrock (and every service but S3) needs.
struct Settings {
  SignatureLocation location = SignatureLocation::Header;
  // X-Amz-Expires for query signing; AWS accepts 1 s to 7 days. Ignored for header signing.
  std::chrono::seconds expires{3600};
  PayloadMode payload = PayloadMode::Signed;
  ContentSha256Header content_sha256 = ContentSha256Header::Omit;
  UriEncoding uri_encoding = UriEncoding::Double;
  PathNormalization path_normalization = PathNormalization::Normalize;
  SessionTokenMode session_token = SessionTokenMode::Signed;
};

// Views of the caller's credentials, valid during the call only. The caller holds them as
// bedrock_lite::Secret and passes reveal() here. An empty session token means none.
struct Credentials {
  std::string_view access_key_id;
  std::string_view secret_access_key;
  std::string_view session_token;
};

// Everything that is signed besides credentials and scope. Views, valid during the call only.
struct SignableRequest {
  std::string_view method;  // "POST"
  // The path exactly as sent on the wire, already percent-encoded once
  // ("/model/anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse"). Must start with '/'.
  std::string_view path;
  // The query exactly as sent, without the '?'; empty when there is none.
  std::string_view query;
  // Every header that will be sent, in order; must include Host. Headers named user-agent,
  // expect, transfer-encoding, x-amzn-trace-id and authorization are sent but never signed
  // (botocore's exclusions: proxies and SDK layers rewrite them).
  const std::vector<Header>* headers = nullptr;
  // The body bytes, hashed unless `payload_sha256_hex` is given.
  std::string_view body;
  // A precomputed lowercase hex SHA-256 of the body (64 characters), e.g. when the body is
  // streamed from a file; empty to hash `body`.
  std::string_view payload_sha256_hex;
};

// Region, service and time: the credential scope and the timestamp.
struct Scope {
  std::string_view region;  // "us-east-1"
  std::string_view
      service;  // the signing name: "bedrock" for Bedrock Runtime (not "bedrock-runtime")
  std::chrono::system_clock::time_point time;  // signing time, already corrected for clock skew
};

// The outcome of signing. Immutable once built. Secret-bearing (see the file comment).
struct BEDROCK_LITE_API SigningResult {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;  // lowercase hex
  // Header signing: the headers to append to the request, in this order, each only when it
  // applies: X-Amz-Security-Token, X-Amz-Date, x-amz-content-sha256, Authorization. A header the
  // request already carries with the same value is not repeated. Empty for query signing.
  std::vector<Header> headers;
  // Query signing: the parameters to append to the query, names and values already
  // percent-encoded, in this order: X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date,
  // X-Amz-SignedHeaders, X-Amz-Expires, X-Amz-Security-Token (when a token is present),
  // X-Amz-Signature. Empty for header signing.
  std::vector<Header> query;

  // The Authorization header value, or empty for query signing.
  const std::string& authorization() const noexcept;
};

// The 32-byte derived signing key: HMAC chain over date, region, service and "aws4_request".
using SigningKey = std::array<unsigned char, 32>;

// Pure function: kSigning for one (secret, date "YYYYMMDD", region, service).
BEDROCK_LITE_API SigningKey derive_signing_key(std::string_view secret_access_key,
                                               std::string_view date, std::string_view region,
                                               std::string_view service);

// The signer, with its derived-signing-key cache, so a busy client does the four key-derivation
// HMACs once per (date, region, service, secret) instead of once per request.
//
// Thread-safe: sign() and signing_key() may be called from any number of threads at once; the
// cache (and a pool of idle OpenSSL digest contexts) is guarded by a mutex held only for the
// lookup or insert, never while hashing a body. Cache entries are keyed by date, region, service
// and a SHA-256 fingerprint of the secret, never by the secret itself. The cache holds at most
// `max_cached_keys` entries, evicting the oldest inserted. Move-only; a moved-from Signer may
// only be destroyed or assigned to.
class BEDROCK_LITE_API Signer {
 public:
  explicit Signer(std::size_t max_cached_keys = 8);
  ~Signer();
  Signer(Signer&&) noexcept;
  Signer& operator=(Signer&&) noexcept;
  Signer(const Signer&) = delete;
  Signer& operator=(const Signer&) = delete;

  // Signs `request`. Errors (one line, never a secret): a path not starting with '/', no Host
  // header, an empty method, access key id, secret, region or service, control characters in
  // the method, access key id, token, region or service, a '/' in the access key id, region or
  // service, a time outside years 0000-9999, a malformed precomputed
  // payload hash, or an X-Amz-Date / X-Amz-Security-Token / x-amz-content-sha256 header already in
  // the request whose value differs from the one being signed.
  Result<SigningResult, Error> sign(const SignableRequest& request, const Credentials& credentials,
                                    const Scope& scope, const Settings& settings = {}) const;

  // The simple call for a client: header signing with default settings. `path_and_query` is the
  // encoded path, optionally followed by '?' and the query. Returns the headers to append, in
  // the order SigningResult::headers documents.
  Result<std::vector<Header>, Error> sign_headers(
      std::string_view method, std::string_view path_and_query, const std::vector<Header>& headers,
      std::string_view body, const Credentials& credentials, std::string_view region,
      std::string_view service, std::chrono::system_clock::time_point time) const;

  // The derived key for one scope: from the cache, or derived now and cached.
  SigningKey signing_key(std::string_view secret_access_key, std::string_view date,
                         std::string_view region, std::string_view service) const;

  // How many keys were derived (cache misses) so far; for tests and metrics.
  std::uint64_t key_derivations() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One-off signing without a long-lived Signer (the CLI, tests): derives the key every call.
BEDROCK_LITE_API Result<SigningResult, Error> sign(const SignableRequest& request,
                                                   const Credentials& credentials,
                                                   const Scope& scope,
                                                   const Settings& settings = {});

// ---------------------------------------------------------------------------------------------
// Raw HTTP/1.1 requests, in the form of the official suite's request.txt files.

// Immutable once parsed.
struct BEDROCK_LITE_API ParsedRequest {
  std::string method;
  std::string path;     // the request target up to '?', exactly as written
  std::string query;    // after the first '?', exactly as written; empty when none
  std::string version;  // "HTTP/1.1"
  // In order. A value is the text after the ':' exactly as written (leading spaces kept); folded
  // continuation lines are joined to it with '\n', keeping their leading whitespace, so the
  // request renders back byte for byte. Signing trims and collapses whitespace anyway.
  std::vector<Header> headers;
  bool has_body_separator = false;  // a blank line followed the headers
  std::string body;                 // everything after that blank line, bytes as they are
  std::string line_ending = "\n";   // "\r\n" when the request line ended with CRLF

  // A SignableRequest viewing this request (valid while it lives and is not modified).
  SignableRequest signable() const;
};

// Parses request line, header lines (obsolete line folding: a line starting with a space or tab
// continues the previous header), then optionally a blank line and the body. LF or CRLF. Errors
// name the line: no request line, a malformed request line, a header line without ':', an empty
// or invalid header name, a continuation line before any header.
BEDROCK_LITE_API Result<ParsedRequest, Error> parse_request(std::string_view text);

// The request in the same raw form with the signature applied: header signing appends
// `signed.headers` after the request's own headers (dropping any Authorization it had); query
// signing appends `signed.query` to the request target. Then a blank line and the body.
BEDROCK_LITE_API std::string render_signed_request(const ParsedRequest& request,
                                                   const SigningResult& signed_result);

// The X-Amz-Date form of a time, "YYYYMMDDTHHMMSSZ"; nullopt outside years 0000-9999.
BEDROCK_LITE_API std::optional<std::string> format_amz_date(
    std::chrono::system_clock::time_point time);

// Parses "YYYYMMDDTHHMMSSZ" (also accepted: ISO 8601 "YYYY-MM-DDTHH:MM:SSZ", as the vectors'
// context.json writes it). nullopt when malformed or out of range.
BEDROCK_LITE_API std::optional<std::chrono::system_clock::time_point> parse_amz_date(
    std::string_view text);

// The libcrypto the signer runs on, as it names itself ("OpenSSL 3.0.13 30 Jan 2024"), for
// `bedrock-lite --version` and bug reports.
BEDROCK_LITE_API std::string crypto_runtime_version();

}  // namespace bedrock_lite::sigv4
