#include "support/dpop_check.h"

#include "support/json.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <vector>

namespace bedrock_lite::test {
namespace {

std::string base64url_encode(const unsigned char* data, std::size_t size) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (std::size_t i = 0; i < size; ++i) {
    buffer = (buffer << 8) | data[i];
    bits += 8;
    while (bits >= 6) {
      out += kAlphabet[(buffer >> (bits - 6)) & 63];
      bits -= 6;
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (6 - bits)) & 63];
  return out;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const auto at = text.find(separator, start);
    parts.push_back(text.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return parts;
    start = at + 1;
  }
}

std::string member(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return "<not an object>";
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsString()) return "<absent>";
  return it->value.GetString();
}

struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

std::string coordinate(EVP_PKEY* key, const char* name) {
  BIGNUM* value = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &value) != 1) return {};
  unsigned char bytes[32];
  BN_bn2binpad(value, bytes, 32);
  BN_free(value);
  return base64url_encode(bytes, 32);
}

// Verifies the raw r||s ES256 signature of `input` with `key`.
bool verify(EVP_PKEY* key, const std::string& input, const std::string& raw) {
  if (raw.size() != 64) return false;
  ECDSA_SIG* signature = ECDSA_SIG_new();
  ECDSA_SIG_set0(signature,
                 BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr),
                 BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int der_length = i2d_ECDSA_SIG(signature, &der);
  ECDSA_SIG_free(signature);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      der_length > 0 && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(ctx, der, static_cast<std::size_t>(der_length),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  OPENSSL_free(der);
  return ok;
}

}  // namespace

std::string base64url_decode(const std::string& text) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    int value;
    if (c >= 'A' && c <= 'Z')
      value = c - 'A';
    else if (c >= 'a' && c <= 'z')
      value = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      value = c - '0' + 52;
    else if (c == '-')
      value = 62;
    else if (c == '_')
      value = 63;
    else
      return {};
    buffer = (buffer << 6) | static_cast<unsigned>(value);
    bits += 6;
    if (bits >= 8) {
      out += static_cast<char>((buffer >> (bits - 8)) & 0xFF);
      bits -= 8;
    }
  }
  return out;
}

std::string dpop_problem(const std::string& proof, const DpopExpectation& expected,
                         std::string* jti) {
  const auto parts = split(proof, '.');
  if (parts.size() != 3) return "not three dot-separated parts";
  auto header = parse_json(base64url_decode(parts[0]));
  auto claims = parse_json(base64url_decode(parts[1]));
  if (header.HasParseError() || !header.IsObject()) return "header is not a JSON object";
  if (claims.HasParseError() || !claims.IsObject()) return "claims are not a JSON object";
  if (member(header, "typ") != "dpop+jwt") return "typ is " + member(header, "typ");
  if (member(header, "alg") != "ES256") return "alg is " + member(header, "alg");
  auto jwk = header.FindMember("jwk");
  if (jwk == header.MemberEnd()) return "no jwk";
  if (member(jwk->value, "kty") != "EC" || member(jwk->value, "crv") != "P-256") {
    return "jwk is not an EC P-256 key";
  }
  BIO* bio = BIO_new_mem_buf(expected.private_key_pem.data(),
                             static_cast<int>(expected.private_key_pem.size()));
  std::unique_ptr<EVP_PKEY, KeyFree> key(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  if (!key) return "the expected key does not load";
  if (member(jwk->value, "x") != coordinate(key.get(), OSSL_PKEY_PARAM_EC_PUB_X) ||
      member(jwk->value, "y") != coordinate(key.get(), OSSL_PKEY_PARAM_EC_PUB_Y)) {
    return "jwk is not the cached key's public half";
  }
  if (!verify(key.get(), parts[0] + "." + parts[1], base64url_decode(parts[2]))) {
    return "signature does not verify";
  }
  if (member(claims, "htm") != expected.method) return "htm is " + member(claims, "htm");
  if (member(claims, "htu") != expected.url) return "htu is " + member(claims, "htu");
  auto iat = claims.FindMember("iat");
  if (iat == claims.MemberEnd() || !iat->value.IsInt64() ||
      iat->value.GetInt64() < expected.iat - expected.iat_tolerance ||
      iat->value.GetInt64() > expected.iat + expected.iat_tolerance) {
    return "iat is not " + std::to_string(expected.iat);
  }
  const std::string id = member(claims, "jti");
  if (id.size() != 36) return "jti is not a UUID: " + id;
  if (jti != nullptr) *jti = id;
  return {};
}

}  // namespace bedrock_lite::test
