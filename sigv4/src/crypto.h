// SHA-256 and HMAC-SHA256 over OpenSSL's EVP digest interface, plus lowercase hex.
//
// Why not HMAC()/EVP_MAC: on OpenSSL 3 both look the algorithm up (and allocate a context) on
// every call, which costs more than hashing a whole Converse request. We fetch SHA-256 once per
// Signer and run RFC 2104 over one reused EVP_MD_CTX instead; the official vectors check it.
#pragma once

#include <cstddef>
#include <mutex>
#include <string_view>
#include <vector>

typedef struct evp_md_st EVP_MD;
typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace bedrock_lite::sigv4::detail {

constexpr std::size_t kSha256Bytes = 32;
constexpr std::size_t kSha256HexChars = 64;

// The fetched SHA-256 implementation. Immutable after construction, shareable across threads.
class Sha256Algorithm {
 public:
  Sha256Algorithm();
  ~Sha256Algorithm();
  Sha256Algorithm(const Sha256Algorithm&) = delete;
  Sha256Algorithm& operator=(const Sha256Algorithm&) = delete;
  const EVP_MD* md() const noexcept { return md_; }

 private:
  EVP_MD* fetched_ = nullptr;  // owned; null if the fetch failed (then md_ is the built-in)
  const EVP_MD* md_ = nullptr;
};

// Idle digest contexts kept for reuse, so a signing call neither allocates a context nor has
// OpenSSL allocate its algorithm state. Thread-safe (a mutex around a short vector).
class ContextPool {
 public:
  ContextPool() = default;
  ~ContextPool();
  ContextPool(const ContextPool&) = delete;
  ContextPool& operator=(const ContextPool&) = delete;

  // An idle context, or a new one (nullptr if OpenSSL cannot allocate).
  EVP_MD_CTX* acquire();
  // Takes the context back; frees it when the pool already holds enough.
  void release(EVP_MD_CTX* ctx);

 private:
  static constexpr std::size_t kMaxIdle = 64;  // more than any plausible number of signing threads
  std::mutex mutex_;
  std::vector<EVP_MD_CTX*> idle_;  // guarded by mutex_
};

// One digest context, reused for every hash of one signing call. Single-thread. Any OpenSSL
// failure sets failed(); outputs are then unspecified and the caller reports an error.
class Hasher {
 public:
  // With a pool, the context is borrowed from it and given back on destruction.
  explicit Hasher(const EVP_MD* md, ContextPool* pool = nullptr);
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  void sha256(std::string_view data, unsigned char out[kSha256Bytes]);
  void hmac(const unsigned char* key, std::size_t key_length, std::string_view data,
            unsigned char out[kSha256Bytes]);
  bool failed() const noexcept { return failed_; }

 private:
  const EVP_MD* md_;
  ContextPool* pool_;
  EVP_MD_CTX* ctx_;
  bool failed_ = false;
};

// Overwrites secret-derived bytes in a way the compiler may not drop as a dead store
// (OPENSSL_cleanse); std::fill before a buffer dies can be optimised away.
void wipe(void* bytes, std::size_t n) noexcept;

// Writes 2*n lowercase hex characters to out.
void hex_encode(const unsigned char* bytes, std::size_t n, char* out) noexcept;

}  // namespace bedrock_lite::sigv4::detail
