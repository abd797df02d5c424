// The signing-key cache and the key derivation (key_cache.h).
#include "key_cache.h"

#include <cstring>
#include <utility>

namespace bedrock_lite::sigv4 {
namespace detail {
namespace {
constexpr std::string_view kTerminator = "aws4_request";
constexpr std::size_t kDateChars = 8;
}  // namespace

void derive_key(Hasher& hasher, std::string_view secret, std::string_view date,
                std::string_view region, std::string_view service, SigningKey& out) {
  std::string seed;
  seed.reserve(4 + secret.size());
  seed.append("AWS4").append(secret);
  unsigned char k_date[kSha256Bytes];
  unsigned char k_region[kSha256Bytes];
  unsigned char k_service[kSha256Bytes];
  hasher.hmac(reinterpret_cast<const unsigned char*>(seed.data()), seed.size(), date, k_date);
  hasher.hmac(k_date, kSha256Bytes, region, k_region);
  hasher.hmac(k_region, kSha256Bytes, service, k_service);
  hasher.hmac(k_service, kSha256Bytes, kTerminator, out.data());
  // The seed holds the secret, the intermediate keys lead to the signing key: wipe them before
  // the memory is reused.
  detail::wipe(&seed[0], seed.size());
  detail::wipe(k_date, sizeof k_date);
  detail::wipe(k_region, sizeof k_region);
  detail::wipe(k_service, sizeof k_service);
}

SigningKey KeyCache::key(Hasher& hasher, std::string_view secret, std::string_view date,
                         std::string_view region, std::string_view service) const {
  std::array<unsigned char, kSha256Bytes> fingerprint;
  hasher.sha256(secret, fingerprint.data());
  if (date.size() == kDateChars) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& entry : entries_) {
      if (std::memcmp(entry.date, date.data(), kDateChars) == 0 && entry.region == region &&
          entry.service == service && entry.secret_fingerprint == fingerprint) {
        return entry.key;
      }
    }
  }
  // Derived outside the lock: two threads missing at once both derive the same key, which is
  // cheaper than serialising every signer behind one derivation.
  SigningKey key{};
  derive_key(hasher, secret, date, region, service, key);
  derivations_.fetch_add(1, std::memory_order_relaxed);
  if (date.size() == kDateChars && !hasher.failed()) {
    Entry entry;
    std::memcpy(entry.date, date.data(), kDateChars);
    entry.region = std::string(region);
    entry.service = std::string(service);
    entry.secret_fingerprint = fingerprint;
    entry.key = key;
    std::lock_guard<std::mutex> lock(mutex_);
    if (entries_.size() < max_entries_) {
      entries_.push_back(std::move(entry));
    } else {
      entries_[next_eviction_] = std::move(entry);
      next_eviction_ = (next_eviction_ + 1) % max_entries_;
    }
  }
  return key;
}
}  // namespace detail

SigningKey derive_signing_key(std::string_view secret_access_key, std::string_view date,
                              std::string_view region, std::string_view service) {
  detail::Sha256Algorithm algorithm;
  detail::Hasher hasher(algorithm.md());
  SigningKey key{};
  detail::derive_key(hasher, secret_access_key, date, region, service, key);
  return key;
}

}  // namespace bedrock_lite::sigv4
