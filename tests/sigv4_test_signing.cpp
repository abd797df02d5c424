// SigV4 beyond the vector suites: the Bedrock worked examples, signing errors, the signing-key
// cache (with its concurrency test), the raw request parser and the X-Amz-Date form.
#include "sigv4_test_support.h"
#include "support/thread_failures.h"

#include <bedrock_lite/sigv4.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace sigv4 = bedrock_lite::sigv4;
using namespace bedrock_lite::sigv4_test;

namespace {

// The same value by an independent route (OpenSSL's own HMAC), for cross-checks.
std::string openssl_hmac_hex(const unsigned char* key, std::size_t key_length,
                             const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  REQUIRE(HMAC(EVP_sha256(), key, static_cast<int>(key_length),
               reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
               &length) != nullptr);
  static const char* kDigits = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kDigits[out[i] >> 4];
    hex += kDigits[out[i] & 15];
  }
  return hex;
}

std::string hex(const sigv4::SigningKey& key) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char b : key) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

}  // namespace

// --- Bedrock worked examples --------------------------------------------------------------

namespace {

const std::vector<sigv4::Header> kBedrockHeaders = {
    {"content-type", "application/json"}, {"host", "bedrock-runtime.us-east-1.amazonaws.com"}};
constexpr const char* kBedrockBody = R"({"messages":[{"role":"user","content":[{"text":"Hi"}]}]})";

sigv4::SigningResult sign_bedrock(const std::string& path, const sigv4::Settings& settings = {}) {
  sigv4::SignableRequest request;
  request.method = "POST";
  request.path = path;
  request.headers = &kBedrockHeaders;
  request.body = kBedrockBody;
  auto result = sigv4::sign(request, {kAccessKeyId, kSecret, ""},
                            {"us-east-1", "bedrock", time_of("20250101T000000Z")}, settings);
  INFO(path << ": " << (result ? std::string() : result.error().message));
  REQUIRE(result.ok());
  return std::move(result).value();
}

std::string line_of(const std::string& text, int index) {
  std::istringstream in(text);
  std::string line;
  for (int i = 0; i <= index; ++i) std::getline(in, line);
  return line;
}

}  // namespace

TEST_CASE("sigv4: Bedrock model id with ':' is encoded again in the canonical URI",
          "[sigv4][bedrock]") {
  const auto result = sign_bedrock("/model/anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse");
  CHECK(line_of(result.canonical_request, 1) ==
        "/model/anthropic.claude-3-5-sonnet-20241022-v2%253A0/converse");
}

TEST_CASE(
    "sigv4: Bedrock inference-profile ARN reproduces docs/wire-protocol.md 1.9's worked signature",
    "[sigv4][bedrock]") {
  const std::string path =
      "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%"
      "2Fabc123def456/converse";
  const auto result = sign_bedrock(path);
  CHECK(result.canonical_request ==
        "POST\n"
        "/model/arn%253Aaws%253Abedrock%253Aus-east-1%253A123456789012%253Aapplication-inference-"
        "profile%252Fabc123def456/converse\n"
        "\n"
        "content-type:application/json\n"
        "host:bedrock-runtime.us-east-1.amazonaws.com\n"
        "x-amz-date:20250101T000000Z\n"
        "\n"
        "content-type;host;x-amz-date\n"
        "45e583fed2564dc00e823303d7609f8587af7f685b993cb0f998afc0d480b01d");
  CHECK(result.string_to_sign ==
        "AWS4-HMAC-SHA256\n20250101T000000Z\n20250101/us-east-1/bedrock/aws4_request\n"
        "70c449dcd0f1689ea12d57a8308dfa49a814dd055317d410905527e8b13fecff");
  CHECK(result.signature == "649991b637c8e9607d3b1edd73a8d337f6eecd6b2edcd99fd45e4a033f59d93d");
  CHECK(result.authorization() ==
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/bedrock/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, "
        "Signature=649991b637c8e9607d3b1edd73a8d337f6eecd6b2edcd99fd45e4a033f59d93d");

  // The client's simple call: same request, the headers to append.
  sigv4::Signer signer;
  auto added =
      signer.sign_headers("POST", path, kBedrockHeaders, kBedrockBody, {kAccessKeyId, kSecret, ""},
                          "us-east-1", "bedrock", time_of("20250101T000000Z"));
  REQUIRE(added.ok());
  REQUIRE(added->size() == 2);
  CHECK((*added)[0].name == "X-Amz-Date");
  CHECK((*added)[0].value == "20250101T000000Z");
  CHECK((*added)[1].name == "Authorization");
  CHECK((*added)[1].value == result.authorization());
}

TEST_CASE("sigv4: a raw ':' in the path canonicalises as one encoding, %3A", "[sigv4][bedrock]") {
  // The Anthropic SDK sends the ':' of a model id unencoded (bedrock-recorded README). Encoded
  // once on the wire it is %3A and canonically %253A; raw, it is canonically %3A.
  const auto raw = sign_bedrock("/model/anthropic.claude-sonnet-4-20250514-v1:0/count-tokens");
  CHECK(line_of(raw.canonical_request, 1) ==
        "/model/anthropic.claude-sonnet-4-20250514-v1%3A0/count-tokens");
  const auto encoded =
      sign_bedrock("/model/anthropic.claude-sonnet-4-20250514-v1%3A0/count-tokens");
  CHECK(line_of(encoded.canonical_request, 1) ==
        "/model/anthropic.claude-sonnet-4-20250514-v1%253A0/count-tokens");
  CHECK(raw.signature != encoded.signature);
}

TEST_CASE("sigv4: session token signed for Bedrock, and the signing name is bedrock",
          "[sigv4][bedrock]") {
  sigv4::Signer signer;
  auto added = signer.sign_headers("POST", "/model/us.amazon.nova-micro-v1%3A0/converse-stream",
                                   kBedrockHeaders, kBedrockBody,
                                   {kAccessKeyId, kSecret, "session-token-value"}, "us-west-2",
                                   "bedrock", time_of("20250101T000000Z"));
  REQUIRE(added.ok());
  REQUIRE(added->size() == 3);
  CHECK((*added)[0].name == "X-Amz-Security-Token");
  CHECK((*added)[0].value == "session-token-value");
  CHECK((*added)[2].value.rfind(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-west-2/bedrock/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=",
            0) == 0);
}

TEST_CASE("sigv4: UNSIGNED-PAYLOAD with the x-amz-content-sha256 header", "[sigv4]") {
  sigv4::Settings settings;
  settings.payload = sigv4::PayloadMode::Unsigned;
  settings.content_sha256 = sigv4::ContentSha256Header::Add;
  const auto result = sign_bedrock("/model/m%3A0/converse", settings);
  CHECK(result.canonical_request ==
        "POST\n/model/m%253A0/converse\n\n"
        "content-type:application/json\n"
        "host:bedrock-runtime.us-east-1.amazonaws.com\n"
        "x-amz-content-sha256:UNSIGNED-PAYLOAD\n"
        "x-amz-date:20250101T000000Z\n\n"
        "content-type;host;x-amz-content-sha256;x-amz-date\n"
        "UNSIGNED-PAYLOAD");
  REQUIRE(result.headers.size() == 3);
  CHECK(result.headers[1].name == "x-amz-content-sha256");
  CHECK(result.headers[1].value == "UNSIGNED-PAYLOAD");
  // The signature, recomputed with OpenSSL's HMAC over our string to sign.
  const auto key = sigv4::derive_signing_key(kSecret, "20250101", "us-east-1", "bedrock");
  CHECK(result.signature == openssl_hmac_hex(key.data(), key.size(), result.string_to_sign));

  // A precomputed payload hash gives the same result as hashing the body.
  sigv4::SignableRequest request;
  request.method = "POST";
  request.path = "/model/m%3A0/converse";
  request.headers = &kBedrockHeaders;
  request.payload_sha256_hex = "45e583fed2564dc00e823303d7609f8587af7f685b993cb0f998afc0d480b01d";
  auto precomputed = sigv4::sign(request, {kAccessKeyId, kSecret, ""},
                                 {"us-east-1", "bedrock", time_of("20250101T000000Z")});
  REQUIRE(precomputed.ok());
  CHECK(precomputed->signature == sign_bedrock("/model/m%3A0/converse").signature);
  request.payload_sha256_hex = "not-a-hash";
  auto bad = sigv4::sign(request, {kAccessKeyId, kSecret, ""},
                         {"us-east-1", "bedrock", time_of("20250101T000000Z")});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "precomputed payload hash is not 64 lowercase hex characters");
}

TEST_CASE("sigv4: S3 modes keep existing escapes and do not normalise", "[sigv4]") {
  sigv4::Settings settings;
  settings.uri_encoding = sigv4::UriEncoding::Single;
  settings.path_normalization = sigv4::PathNormalization::AsIs;
  const auto result = sign_bedrock("/bucket//a%2Fb/./c d", settings);
  CHECK(line_of(result.canonical_request, 1) == "/bucket//a%2Fb/./c%20d");
}

TEST_CASE("sigv4: signing errors say what was wrong and never hold a secret", "[sigv4]") {
  const std::vector<sigv4::Header> no_host = {{"content-type", "application/json"}};
  sigv4::SignableRequest request;
  request.method = "POST";
  request.path = "/x";
  request.headers = &no_host;
  const sigv4::Scope scope{"us-east-1", "bedrock", time_of("20250101T000000Z")};
  auto missing_host = sigv4::sign(request, {kAccessKeyId, kSecret, ""}, scope);
  REQUIRE_FALSE(missing_host.ok());
  CHECK(missing_host.error().message == "no Host header");

  request.headers = &kBedrockHeaders;
  request.path = "model/x";
  auto relative = sigv4::sign(request, {kAccessKeyId, kSecret, ""}, scope);
  REQUIRE_FALSE(relative.ok());
  CHECK(relative.error().message == "path must start with '/'");

  request.path = "/x";
  auto no_secret = sigv4::sign(request, {kAccessKeyId, "", ""}, scope);
  REQUIRE_FALSE(no_secret.ok());
  CHECK(no_secret.error().message == "empty secret access key");

  const std::vector<sigv4::Header> other_token = {{"host", "h"},
                                                  {"X-Amz-Security-Token", "an-old-token"}};
  request.headers = &other_token;
  auto mismatch = sigv4::sign(request, {kAccessKeyId, kSecret, "the-new-token"}, scope);
  REQUIRE_FALSE(mismatch.ok());
  CHECK(mismatch.error().message.find("X-Amz-Security-Token differs") != std::string::npos);
  CHECK(mismatch.error().message.find("token") != std::string::npos);
  CHECK(mismatch.error().message.find("an-old-token") == std::string::npos);
  CHECK(mismatch.error().message.find("the-new-token") == std::string::npos);

  request.headers = &kBedrockHeaders;
  auto injected = sigv4::sign(request, {kAccessKeyId, kSecret, "tok\r\nX-Evil: 1"}, scope);
  REQUIRE_FALSE(injected.ok());
  CHECK(injected.error().message == "session token contains a control character");
}

// --- signing-key cache --------------------------------------------------------------------

TEST_CASE("sigv4: derived signing key matches AWS's documented example", "[sigv4][cache]") {
  // IAM User Guide, "Examples of how to derive a signing key for Signature Version 4".
  const auto key = sigv4::derive_signing_key(kSecret, "20120215", "us-east-1", "iam");
  CHECK(hex(key) == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST_CASE("sigv4: signing-key cache reuses a key and derives anew for a new date",
          "[sigv4][cache]") {
  sigv4::Signer signer;
  CHECK(signer.key_derivations() == 0);
  const auto first = signer.signing_key(kSecret, "20150830", "us-east-1", "service");
  CHECK(first == sigv4::derive_signing_key(kSecret, "20150830", "us-east-1", "service"));
  CHECK(signer.key_derivations() == 1);
  CHECK(signer.signing_key(kSecret, "20150830", "us-east-1", "service") == first);
  CHECK(signer.key_derivations() == 1);

  const auto next_day = signer.signing_key(kSecret, "20150831", "us-east-1", "service");
  CHECK(next_day != first);
  CHECK(signer.key_derivations() == 2);
  CHECK(signer.signing_key("anotherSecret", "20150830", "us-east-1", "service") != first);
  CHECK(signer.signing_key(kSecret, "20150830", "us-west-2", "service") != first);
  CHECK(signer.signing_key(kSecret, "20150830", "us-east-1", "bedrock") != first);
  CHECK(signer.key_derivations() == 5);

  // Signing a thousand requests on one day derives once.
  sigv4::Signer busy;
  for (int i = 0; i < 1000; ++i) {
    auto added = busy.sign_headers("POST", "/model/m%3A0/converse", kBedrockHeaders, kBedrockBody,
                                   {kAccessKeyId, kSecret, ""}, "us-east-1", "bedrock",
                                   time_of("20250101T000000Z") + std::chrono::seconds(i));
    REQUIRE(added.ok());
  }
  CHECK(busy.key_derivations() == 1);

  // A bounded cache evicts, and an evicted key is derived again, correctly.
  sigv4::Signer small(2);
  small.signing_key(kSecret, "20150801", "r", "s");
  small.signing_key(kSecret, "20150802", "r", "s");
  small.signing_key(kSecret, "20150803", "r", "s");
  CHECK(small.key_derivations() == 3);
  CHECK(small.signing_key(kSecret, "20150801", "r", "s") ==
        sigv4::derive_signing_key(kSecret, "20150801", "r", "s"));
  CHECK(small.key_derivations() == 4);
}

TEST_CASE("sigv4: signing-key cache concurrency, threads hammering one signer",
          "[sigv4][cache][concurrency]") {
  const std::vector<std::string> dates = {"20250101", "20250102", "20250103"};
  const std::vector<std::string> secrets = {kSecret, "secondSecretKeyExample0123456789abcdefgh"};
  // Everything the workers compare against is computed up front: Catch2 assertions are not
  // thread-safe, so the workers only record mismatches (thread, call, date, which secret).
  std::map<std::pair<std::string, std::string>, sigv4::SigningKey> expected;
  std::map<std::pair<std::string, std::string>, std::string> expected_authorization;
  std::map<std::string, std::chrono::system_clock::time_point> times;
  for (const auto& date : dates) {
    times[date] = time_of(date + "T120000Z");
    for (const auto& secret : secrets) {
      expected[{date, secret}] = sigv4::derive_signing_key(secret, date, "us-east-1", "bedrock");
      sigv4::SignableRequest request;
      request.method = "POST";
      request.path = "/model/m%3A0/converse";
      request.headers = &kBedrockHeaders;
      request.body = kBedrockBody;
      auto one_off =
          sigv4::sign(request, {kAccessKeyId, secret, ""}, {"us-east-1", "bedrock", times[date]});
      REQUIRE(one_off.ok());
      expected_authorization[{date, secret}] = one_off->authorization();
    }
  }

  sigv4::Signer signer(4);  // fewer slots than combinations: lookups race with evictions
  constexpr int kThreads = 8;
  constexpr int kIterations = 300;
  std::mutex mutex;
  std::condition_variable start;
  bool go = false;
  bedrock_lite::test::ThreadFailures failures;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      {
        std::unique_lock<std::mutex> lock(mutex);
        start.wait(lock, [&] { return go; });
      }
      for (int i = 0; i < kIterations; ++i) {
        const auto& date = dates[static_cast<std::size_t>((i + t) % 3)];
        const auto which = static_cast<std::size_t>((i / 3 + t) % 2);
        const auto& secret = secrets[which];
        const auto call = static_cast<std::size_t>(i);
        const std::string what = date + " secret " + std::to_string(which) + ": ";
        if (signer.signing_key(secret, date, "us-east-1", "bedrock") != expected.at({date, secret}))
          failures.add(t, call, what + "wrong signing key");
        auto added =
            signer.sign_headers("POST", "/model/m%3A0/converse", kBedrockHeaders, kBedrockBody,
                                {kAccessKeyId, secret, ""}, "us-east-1", "bedrock", times.at(date));
        if (!added.ok())
          failures.add(t, call, what + added.error().message);
        else if (added->back().value != expected_authorization.at({date, secret}))
          failures.add(t, call, what + "Authorization differs from the one-off signing");
      }
    });
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    go = true;
  }
  start.notify_all();
  for (auto& thread : threads) thread.join();
  INFO(failures.report());
  CHECK(failures.count() == 0);
  CHECK(signer.key_derivations() >= 6);
  CHECK(signer.key_derivations() < static_cast<std::uint64_t>(kThreads * kIterations * 2));
}

// --- raw request parser and renderer ------------------------------------------------------

TEST_CASE("sigv4: raw request parser errors name the line", "[sigv4][parser]") {
  struct Case {
    const char* input;
    std::size_t line;
    const char* message;
  };
  const Case cases[] = {
      {"", 1, "line 1: no request line (the input is empty)"},
      {"\nHost:x\n", 1, "line 1: no request line (the first line is empty)"},
      {"GET\nHost:x\n", 1, "line 1: malformed request line: expected 'METHOD /path HTTP/1.1'"},
      {"GET / FTP/1\n", 1, "line 1: malformed request line: the version must start with 'HTTP/'"},
      {"GET example.com HTTP/1.1\n", 1,
       "line 1: malformed request line: the request target must start with '/'"},
      {"GET / HTTP/1.1\nHost:x\nNoColonHere\n", 3, "line 3: header line has no ':'"},
      {"GET / HTTP/1.1\r\nHost:x\r\nBad Name:v\r\n", 3,
       "line 3: invalid character in header name (space, control or separator)"},
      {"GET / HTTP/1.1\n:value\n", 2, "line 2: empty header name"},
      {"GET / HTTP/1.1\n  folded\n", 2,
       "line 2: continuation line (starts with a space or tab) before any header"},
  };
  for (const auto& c : cases) {
    INFO("input: " << c.input);
    auto parsed = sigv4::parse_request(c.input);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().line == c.line);
    CHECK(parsed.error().message == c.message);
  }
}

TEST_CASE("sigv4: CRLF and LF requests sign alike and render in their own line endings",
          "[sigv4][parser]") {
  const std::string lf =
      "POST /a?b=c HTTP/1.1\nHost:example.amazonaws.com\nMy-Header:a\n  b\n\nbody";
  std::string crlf;
  for (char c : lf.substr(0, lf.size() - 4)) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  crlf += "body";
  const auto from_lf = parse_or_fail(lf, "lf");
  const auto from_crlf = parse_or_fail(crlf, "crlf");
  CHECK(from_crlf.line_ending == "\r\n");
  CHECK(from_crlf.body == "body");
  CHECK(from_crlf.query == "b=c");
  REQUIRE(from_crlf.headers.size() == 2);
  CHECK(from_crlf.headers[1].value == "a\n  b");
  const sigv4::Scope scope{"us-east-1", "service", time_of(kSuiteTime)};
  const auto a = sign_or_fail(from_lf, {kAccessKeyId, kSecret, ""}, scope, {}, "lf");
  const auto b = sign_or_fail(from_crlf, {kAccessKeyId, kSecret, ""}, scope, {}, "crlf");
  CHECK(a.canonical_request == b.canonical_request);
  CHECK(a.signature == b.signature);
  const std::string rendered = sigv4::render_signed_request(from_crlf, b);
  CHECK(
      rendered.rfind("POST /a?b=c HTTP/1.1\r\nHost:example.amazonaws.com\r\nMy-Header:a\r\n  b\r\n"
                     "X-Amz-Date:20150830T123600Z\r\nAuthorization:",
                     0) == 0);
  CHECK(rendered.substr(rendered.size() - 8) == "\r\n\r\nbody");
}

TEST_CASE("sigv4: X-Amz-Date round trip and range", "[sigv4]") {
  const auto t = time_of("20150830T123600Z");
  CHECK(sigv4::format_amz_date(t) == std::optional<std::string>("20150830T123600Z"));
  CHECK(sigv4::parse_amz_date("2015-08-30T12:36:00Z") == t);
  CHECK(sigv4::format_amz_date(*sigv4::parse_amz_date("20000229T235959Z")) ==
        std::optional<std::string>("20000229T235959Z"));
  CHECK(sigv4::format_amz_date(*sigv4::parse_amz_date("19691231T235959Z")) ==
        std::optional<std::string>("19691231T235959Z"));
  CHECK_FALSE(sigv4::parse_amz_date("20150230T000000Z").has_value());
  CHECK_FALSE(sigv4::parse_amz_date("20150830T123600").has_value());
  CHECK_FALSE(sigv4::parse_amz_date("2015083OT123600Z").has_value());
  CHECK_FALSE(sigv4::parse_amz_date("20150830T246000Z").has_value());
}

TEST_CASE("sigv4: byte scans find a control character or whitespace at any position", "[sigv4]") {
  // The token and header-value checks scan 16 and 8 bytes at a time, then byte by byte: every
  // position of a 40-byte value exercises each path.
  const sigv4::Scope scope{"us-east-1", "bedrock", time_of("20250101T000000Z")};
  for (std::size_t at = 0; at < 40; ++at) {
    for (char bad : {'\x01', '\n', '\x1f', '\x7f'}) {
      std::string token(40, 'a');
      token[at] = bad;
      sigv4::SignableRequest request;
      request.method = "POST";
      request.path = "/";
      request.headers = &kBedrockHeaders;
      auto result = sigv4::sign(request, {kAccessKeyId, kSecret, token}, scope);
      INFO("byte " << static_cast<int>(bad) << " at " << at);
      CHECK_FALSE(result.ok());
    }
    for (char space : {' ', '\t', '\v'}) {
      std::string value(40, 'v');
      value[at] = space;
      const std::vector<sigv4::Header> headers = {{"host", "h"}, {"x-test", value}};
      sigv4::SignableRequest request;
      request.method = "GET";
      request.path = "/";
      request.headers = &headers;
      auto result = sigv4::sign(request, {kAccessKeyId, kSecret, ""}, scope);
      REQUIRE(result.ok());
      std::string expected = value;
      if (at == 0 || at == 39) {
        expected.erase(at, 1);  // trimmed
      } else {
        expected[at] = ' ';  // one inner run, one space
      }
      INFO("byte " << static_cast<int>(space) << " at " << at);
      CHECK(line_of(result->canonical_request, 5) == "x-test:" + expected);
    }
  }
}
