// The bits of cryptography the SSO and `aws login` providers need, over OpenSSL libcrypto (kept
// out of every public header): the digests that name their cache files, and the DPoP proof
// (RFC 9449) that the sign-in service asks for when `aws login` credentials are refreshed.
#pragma once

#include <bedrock_lite/core.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace bedrock_lite::credentials::detail {

// Lower-case hex of SHA-1 / SHA-256 of `text`. The SSO token cache is named after the SHA-1 of
// the session name (or legacy start URL), the login cache after the SHA-256 of the session.
std::string sha1_hex(std::string_view text);
std::string sha256_hex(std::string_view text);

// base64url without padding (RFC 7515 §2), as JWTs are written.
std::string base64url(std::string_view bytes);

// A random version-4 UUID ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx") from the OpenSSL RNG.
std::string random_uuid();

// A DPoP proof for one request: an ES256 JWT whose header carries the public half of
// `private_key_pem` (a P-256 key, "-----BEGIN EC PRIVATE KEY-----" as `aws login` caches it) as a
// JWK, and whose claims are jti (random), htm, htu and iat (seconds since the epoch). The key is
// a Secret and never appears in an error: a bad key is a Config error that says only what is
// wrong with it ("not a P-256 key", "not a PEM private key").
Result<std::string> dpop_proof(const Secret& private_key_pem, std::string_view method,
                               std::string_view url, std::int64_t issued_at);

}  // namespace bedrock_lite::credentials::detail
