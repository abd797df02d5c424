#include "token_crypto.h"

#include <bedrock_lite/internal/text.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <cstdio>
#include <memory>
#include <string>

namespace bedrock_lite::credentials::detail {
namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using SigPtr = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;

void free_bio(BIO* bio) {
  BIO_free(bio);
}
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, free_bio>>;

std::string digest_hex(const EVP_MD* md, std::string_view text) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), out, &size, md, nullptr) != 1) return {};
  return internal::hex_lower(out, size);
}

Error key_error(const std::string& what) {
  return make_error(ErrorKind::Config, "login dpopKey: " + what);
}

// The uncompressed public point's coordinates, each left-padded to 32 bytes (RFC 7518 §6.2.1.2).
Result<std::pair<std::string, std::string>> public_coordinates(EVP_PKEY* key) {
  BIGNUM* x_raw = nullptr;
  BIGNUM* y_raw = nullptr;
  const bool ok = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x_raw) == 1 &&
                  EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y_raw) == 1;
  BignumPtr x(x_raw);
  BignumPtr y(y_raw);
  if (!ok) return key_error("the public point cannot be derived from the key");
  unsigned char xb[32];
  unsigned char yb[32];
  if (BN_bn2binpad(x.get(), xb, 32) != 32 || BN_bn2binpad(y.get(), yb, 32) != 32) {
    return key_error("a public coordinate is longer than 32 bytes");
  }
  return std::make_pair(std::string(reinterpret_cast<char*>(xb), 32),
                        std::string(reinterpret_cast<char*>(yb), 32));
}

Result<PkeyPtr> load_p256_key(const Secret& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.reveal().data(), static_cast<int>(pem.reveal().size())));
  if (!bio) return key_error("out of memory");
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return key_error("not a PEM private key");
  char group[64] = {0};
  std::size_t group_length = 0;
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_EC ||
      EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                     &group_length) != 1 ||
      std::string(group) != "prime256v1") {
    return key_error("not a P-256 (prime256v1) EC key");
  }
  return key;
}

// ES256 signature over `message`: JWS wants the raw 64-byte r||s, OpenSSL gives DER.
Result<std::string> es256_sign(EVP_PKEY* key, std::string_view message) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t der_length = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &der_length,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    return key_error("signing failed");
  }
  std::string der(der_length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &der_length,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    return key_error("signing failed");
  }
  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  SigPtr signature(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der_length)));
  if (!signature) return key_error("signing produced no ECDSA signature");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(signature.get(), &r, &s);
  unsigned char raw[64];
  if (BN_bn2binpad(r, raw, 32) != 32 || BN_bn2binpad(s, raw + 32, 32) != 32) {
    return key_error("signature component longer than 32 bytes");
  }
  return std::string(reinterpret_cast<char*>(raw), 64);
}

}  // namespace

std::string sha1_hex(std::string_view text) {
  return digest_hex(EVP_sha1(), text);
}

std::string sha256_hex(std::string_view text) {
  return digest_hex(EVP_sha256(), text);
}

std::string base64url(std::string_view bytes) {
  return internal::base64_encode(bytes, internal::Base64Form::UrlUnpadded);
}

std::string random_uuid() {
  unsigned char bytes[16] = {0};
  if (RAND_bytes(bytes, sizeof bytes) != 1) return {};
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  const std::string hex = internal::hex_lower(bytes, sizeof bytes);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

Result<std::string> dpop_proof(const Secret& private_key_pem, std::string_view method,
                               std::string_view url, std::int64_t issued_at) {
  auto key = load_p256_key(private_key_pem);
  if (!key) return std::move(key).error();
  auto point = public_coordinates(key->get());
  if (!point) return std::move(point).error();
  const std::string jti = random_uuid();
  if (jti.empty()) return make_error(ErrorKind::Config, "login DPoP proof: no random bytes");
  // Member order as the SDKs write them; the service parses, it does not compare text.
  const std::string header = R"({"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"EC","x":")" +
                             base64url(point->first) + R"(","y":")" + base64url(point->second) +
                             R"(","crv":"P-256"}})";
  const std::string claims =
      "{\"jti\":" + internal::json_string(jti) + ",\"htm\":" + internal::json_string(method) +
      ",\"htu\":" + internal::json_string(url) + ",\"iat\":" + std::to_string(issued_at) + "}";
  const std::string signing_input = base64url(header) + "." + base64url(claims);
  auto signature = es256_sign(key->get(), signing_input);
  if (!signature) return std::move(signature).error();
  return signing_input + "." + base64url(*signature);
}

}  // namespace bedrock_lite::credentials::detail
