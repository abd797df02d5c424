// An independent check of a DPoP proof (RFC 9449) as the AWS sign-in service makes it: its own
// base64url and JWT parsing, the signature verified with OpenSSL against the public half of the
// key the `aws login` cache holds. Used by the fake sign-in service.
#pragma once

#include <cstdint>
#include <string>

namespace bedrock_lite::test {

struct DpopExpectation {
  std::string private_key_pem;  // the cache's dpopKey; its public half must be the JWK
  std::string method = "POST";
  std::string url;                 // htu
  std::int64_t iat = 0;            // seconds since the epoch
  std::int64_t iat_tolerance = 0;  // seconds either side (a child process reads its own clock)
};

// Empty when `proof` is a valid ES256 DPoP JWT for `expected`; else what is wrong with it. On
// success `jti` is set to the proof's jti.
std::string dpop_problem(const std::string& proof, const DpopExpectation& expected,
                         std::string* jti = nullptr);

// base64url without padding, decoded; empty on a character outside the alphabet.
std::string base64url_decode(const std::string& text);

}  // namespace bedrock_lite::test
