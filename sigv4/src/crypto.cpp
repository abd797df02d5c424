#include "crypto.h"

#include <bedrock_lite/sigv4.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstring>

namespace bedrock_lite::sigv4::detail {
namespace {

constexpr std::size_t kBlockBytes = 64;  // SHA-256 block size (RFC 2104's B)

// Two characters per byte value: one lookup per byte instead of two nibble lookups.
struct HexTable {
  char pairs[256][2];
  constexpr HexTable() : pairs() {
    constexpr char kDigits[] = "0123456789abcdef";
    for (int i = 0; i < 256; ++i) {
      pairs[i][0] = kDigits[i >> 4];
      pairs[i][1] = kDigits[i & 15];
    }
  }
};
constexpr HexTable kHex;

}  // namespace

Sha256Algorithm::Sha256Algorithm() {
  fetched_ = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  md_ = fetched_ != nullptr ? fetched_ : EVP_sha256();
}

Sha256Algorithm::~Sha256Algorithm() {
  EVP_MD_free(fetched_);
}

ContextPool::~ContextPool() {
  for (EVP_MD_CTX* ctx : idle_) EVP_MD_CTX_free(ctx);
}

EVP_MD_CTX* ContextPool::acquire() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!idle_.empty()) {
      EVP_MD_CTX* ctx = idle_.back();
      idle_.pop_back();
      return ctx;
    }
  }
  return EVP_MD_CTX_new();
}

void ContextPool::release(EVP_MD_CTX* ctx) {
  if (ctx == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (idle_.size() < kMaxIdle) {
      idle_.push_back(ctx);
      return;
    }
  }
  EVP_MD_CTX_free(ctx);
}

Hasher::Hasher(const EVP_MD* md, ContextPool* pool)
    : md_(md), pool_(pool), ctx_(pool != nullptr ? pool->acquire() : EVP_MD_CTX_new()) {
  if (ctx_ == nullptr) failed_ = true;
}

Hasher::~Hasher() {
  // A context that failed midway may hold odd state: it is not worth keeping.
  if (pool_ != nullptr && !failed_) {
    pool_->release(ctx_);
  } else {
    EVP_MD_CTX_free(ctx_);
  }
}

void Hasher::sha256(std::string_view data, unsigned char out[kSha256Bytes]) {
  if (failed_) return;
  unsigned int length = 0;
  if (EVP_DigestInit_ex(ctx_, md_, nullptr) != 1 ||
      EVP_DigestUpdate(ctx_, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx_, out, &length) != 1 || length != kSha256Bytes) {
    failed_ = true;
  }
}

void Hasher::hmac(const unsigned char* key, std::size_t key_length, std::string_view data,
                  unsigned char out[kSha256Bytes]) {
  if (failed_) return;
  // RFC 2104: keys longer than the block are hashed first; shorter ones are zero-padded.
  unsigned char hashed_key[kSha256Bytes];
  if (key_length > kBlockBytes) {
    sha256(std::string_view(reinterpret_cast<const char*>(key), key_length), hashed_key);
    key = hashed_key;
    key_length = kSha256Bytes;
  }
  unsigned char pad[kBlockBytes];
  for (std::size_t i = 0; i < kBlockBytes; ++i) {
    pad[i] = static_cast<unsigned char>((i < key_length ? key[i] : 0) ^ 0x36);
  }
  unsigned char inner[kSha256Bytes];
  unsigned int length = 0;
  bool ok = EVP_DigestInit_ex(ctx_, md_, nullptr) == 1 &&
            EVP_DigestUpdate(ctx_, pad, kBlockBytes) == 1 &&
            EVP_DigestUpdate(ctx_, data.data(), data.size()) == 1 &&
            EVP_DigestFinal_ex(ctx_, inner, &length) == 1;
  for (std::size_t i = 0; i < kBlockBytes; ++i) {
    pad[i] = static_cast<unsigned char>((i < key_length ? key[i] : 0) ^ 0x5c);
  }
  ok = ok && EVP_DigestInit_ex(ctx_, md_, nullptr) == 1 &&
       EVP_DigestUpdate(ctx_, pad, kBlockBytes) == 1 &&
       EVP_DigestUpdate(ctx_, inner, kSha256Bytes) == 1 &&
       EVP_DigestFinal_ex(ctx_, out, &length) == 1;
  if (!ok) failed_ = true;
  // The pads are the key in thin disguise (and the key may be the secret itself, "AWS4"+secret).
  wipe(pad, sizeof pad);
  if (key == hashed_key) wipe(hashed_key, sizeof hashed_key);
}

void wipe(void* bytes, std::size_t n) noexcept {
  OPENSSL_cleanse(bytes, n);
}

void hex_encode(const unsigned char* bytes, std::size_t n, char* out) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    std::memcpy(out + 2 * i, kHex.pairs[bytes[i]], 2);
  }
}

}  // namespace bedrock_lite::sigv4::detail

namespace bedrock_lite::sigv4 {

// The libcrypto loaded at run time, which may differ from the headers built against.
std::string crypto_runtime_version() {
  return OpenSSL_version(OPENSSL_VERSION);
}

}  // namespace bedrock_lite::sigv4
