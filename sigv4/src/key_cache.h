// The signing-key cache (private): derived signing keys per (date, region, service, secret
// fingerprint), so a busy client runs the four-HMAC derivation once a day, not once a request.
#pragma once

#include "crypto.h"

#include <bedrock_lite/sigv4.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace bedrock_lite::sigv4::detail {

// kSigning = HMAC chain over "AWS4" + secret, date, region, service, "aws4_request". Wipes every
// intermediate that leads to the key.
void derive_key(Hasher& hasher, std::string_view secret, std::string_view date,
                std::string_view region, std::string_view service, SigningKey& out);

// Thread-safe (see Signer): entries are guarded by the mutex; derivations is atomic. Keyed by a
// SHA-256 fingerprint of the secret, never the secret itself; bounded, oldest entry evicted first.
class KeyCache {
 public:
  explicit KeyCache(std::size_t max) : max_entries_(max == 0 ? 1 : max) {}

  SigningKey key(Hasher& hasher, std::string_view secret, std::string_view date,
                 std::string_view region, std::string_view service) const;
  std::uint64_t derivations() const { return derivations_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    char date[8];  // YYYYMMDD
    std::string region;
    std::string service;
    std::array<unsigned char, kSha256Bytes> secret_fingerprint;
    SigningKey key;
  };

  const std::size_t max_entries_;
  mutable std::mutex mutex_;
  mutable std::vector<Entry> entries_;     // guarded by mutex_
  mutable std::size_t next_eviction_ = 0;  // guarded by mutex_; oldest inserted goes first
  mutable std::atomic<std::uint64_t> derivations_{0};
};

}  // namespace bedrock_lite::sigv4::detail
