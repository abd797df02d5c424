// Signatures per second, single thread, for a typical Bedrock Converse request (2 KB JSON body,
// session token) and for a 1 MB body, next to the bare crypto floor measured in the same run:
// the same SHA-256 and HMAC-SHA256 calls on the same bytes with no string building — SHA-256 of
// the body, SHA-256 of a buffer the size of the canonical request, and one HMAC of a buffer the
// size of the string to sign under an already derived key (the signer's cache hit).
//
// The floor uses the same OpenSSL calls as sigv4/src/crypto.cpp: SHA-256 fetched once, one
// reused EVP_MD_CTX, RFC 2104 HMAC over it. Target (issue 2): full signature <= 1.5x the floor at
// 2 KB, <= 1.1x at 1 MB.
#include <bedrock_lite/sigv4.h>

#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace sigv4 = bedrock_lite::sigv4;

namespace {

// A Converse body of about `size` bytes: one user message whose text fills it.
std::string converse_body(std::size_t size) {
  const std::string head = R"({"messages":[{"role":"user","content":[{"text":")";
  const std::string tail =
      R"("}]}],"system":[{"text":"You are terse."}],"inferenceConfig":{"maxTokens":512,"temperature":0.5}})";
  std::string text;
  const std::string filler = "Summarise the attached notes in three bullet points. ";
  while (head.size() + text.size() + tail.size() < size) text += filler;
  text.resize(size - head.size() - tail.size());
  return head + text + tail;
}

// STS session tokens run to several hundred characters; this one has the usual alphabet.
std::string session_token() {
  std::string token = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ";
  while (token.size() < 900) token += "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/";
  token.resize(900);
  return token + "==";
}

struct Fixture {
  explicit Fixture(std::size_t body_size)
      : body(converse_body(body_size)),
        token(session_token()),
        headers{{"host", "bedrock-runtime.us-east-1.amazonaws.com"},
                {"content-type", "application/json"},
                {"accept", "application/json"},
                {"user-agent", "bedrock-lite/0.1.0"}} {
    request.method = "POST";
    request.path = "/model/anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse";
    request.headers = &headers;
    request.body = body;
    credentials = {"ASIAEXAMPLEEXAMPLE00", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token};
    scope = {
        "us-east-1", "bedrock",
        std::chrono::system_clock::time_point(std::chrono::seconds(1767225600))};  // 2026-01-01
  }
  std::string body;
  std::string token;
  std::vector<sigv4::Header> headers;
  sigv4::SignableRequest request;
  sigv4::Credentials credentials;
  sigv4::Scope scope;
};

void sign_loop(benchmark::State& state, std::size_t body_size) {
  Fixture fixture(body_size);
  sigv4::Signer signer;
  for (auto _ : state) {
    auto result = signer.sign(fixture.request, fixture.credentials, fixture.scope);
    if (!result.ok()) {
      state.SkipWithError(result.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(result->signature.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * fixture.body.size()));
}

// The floor's HMAC: the same RFC 2104 construction over the same EVP calls as the signer.
void hmac(EVP_MD_CTX* ctx, const EVP_MD* md, const unsigned char* key, std::size_t key_length,
          const unsigned char* data, std::size_t length, unsigned char* out) {
  unsigned char pad[64];
  unsigned char inner[32];
  unsigned int n = 0;
  for (std::size_t i = 0; i < 64; ++i) pad[i] = (i < key_length ? key[i] : 0) ^ 0x36;
  EVP_DigestInit_ex(ctx, md, nullptr);
  EVP_DigestUpdate(ctx, pad, 64);
  EVP_DigestUpdate(ctx, data, length);
  EVP_DigestFinal_ex(ctx, inner, &n);
  for (std::size_t i = 0; i < 64; ++i) pad[i] = (i < key_length ? key[i] : 0) ^ 0x5c;
  EVP_DigestInit_ex(ctx, md, nullptr);
  EVP_DigestUpdate(ctx, pad, 64);
  EVP_DigestUpdate(ctx, inner, 32);
  EVP_DigestFinal_ex(ctx, out, &n);
}

void sha256(EVP_MD_CTX* ctx, const EVP_MD* md, const void* data, std::size_t length,
            unsigned char* out) {
  unsigned int n = 0;
  EVP_DigestInit_ex(ctx, md, nullptr);
  EVP_DigestUpdate(ctx, data, length);
  EVP_DigestFinal_ex(ctx, out, &n);
}

void floor_loop(benchmark::State& state, std::size_t body_size) {
  Fixture fixture(body_size);
  // The buffers have exactly the sizes the signer hashes for this request.
  auto reference = sigv4::sign(fixture.request, fixture.credentials, fixture.scope);
  if (!reference.ok()) {
    state.SkipWithError(reference.error().message.c_str());
    return;
  }
  const std::string canonical(reference->canonical_request.size(), 'c');
  const std::string to_sign(reference->string_to_sign.size(), 's');
  const auto key = sigv4::derive_signing_key(fixture.credentials.secret_access_key, "20260101",
                                             "us-east-1", "bedrock");
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned char digest[32];
  for (auto _ : state) {
    sha256(ctx, md, fixture.body.data(), fixture.body.size(), digest);
    benchmark::DoNotOptimize(digest);
    sha256(ctx, md, canonical.data(), canonical.size(), digest);
    benchmark::DoNotOptimize(digest);
    hmac(ctx, md, key.data(), key.size(), reinterpret_cast<const unsigned char*>(to_sign.data()),
         to_sign.size(), digest);
    benchmark::DoNotOptimize(digest);
  }
  EVP_MD_CTX_free(ctx);
  EVP_MD_free(md);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * fixture.body.size()));
}

constexpr std::size_t k2KB = 2 * 1024;
constexpr std::size_t k1MB = 1024 * 1024;

void BM_SignConverse2KB(benchmark::State& state) {
  sign_loop(state, k2KB);
}
void BM_CryptoFloor2KB(benchmark::State& state) {
  floor_loop(state, k2KB);
}
void BM_SignConverse1MB(benchmark::State& state) {
  sign_loop(state, k1MB);
}
void BM_CryptoFloor1MB(benchmark::State& state) {
  floor_loop(state, k1MB);
}

}  // namespace

BENCHMARK(BM_SignConverse2KB);
BENCHMARK(BM_CryptoFloor2KB);
BENCHMARK(BM_SignConverse1MB);
BENCHMARK(BM_CryptoFloor1MB);

BENCHMARK_MAIN();
